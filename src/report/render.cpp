// The incident and summary reports: the same facts as an HTML/Markdown document (in Japanese or
// English) or as JSON. Every sentence is assembled from the loaded data; where the data has
// nothing to say, the report says that instead of filling in.
#include <algorithm>
#include <cstdio>
#include <set>

#include "alert/alert.hpp"
#include "report/doc.hpp"
#include "report/report.hpp"

namespace mimamori::report {

using detail::block;
using detail::cell;
using detail::doc;

bool parse_format(std::string_view s, format& out) {
    if (s == "html") out = format::html;
    else if (s == "md" || s == "markdown") out = format::md;
    else if (s == "json") out = format::json;
    else return false;
    return true;
}

namespace {

// The two languages side by side, so no word reaches a reader untranslated.
struct tr {
    bool ja;
    const char* operator()(const char* en, const char* jp) const { return ja ? jp : en; }
};

const char* const k_levels[] = {"critical", "high", "medium", "low", "informational"};
const char* const k_level_colors[] = {"#8e1b1b", "#d84315", "#c89100", "#1565c0", "#78909c"};
const char* const k_stages[] = {"entry", "internal", "exit", "unknown"};

std::string level_word(const std::string& l, bool ja) {
    if (!ja) return l.empty() ? "unknown" : l;
    if (l == "critical") return "重大";
    if (l == "high") return "高";
    if (l == "medium") return "中";
    if (l == "low") return "低";
    if (l == "informational") return "情報";
    return "不明";
}

std::string stage_word(const std::string& s, bool ja) {
    if (s == "entry") return ja ? "侵入" : "entry";
    if (s == "internal") return ja ? "内部活動（横展開など）" : "inside the network";
    if (s == "exit") return ja ? "外部への持ち出し・通信" : "leaving the network";
    return ja ? "その他" : "other";
}

// Short stage names for table columns.
std::string stage_short(const std::string& s, bool ja) {
    if (s == "entry") return ja ? "侵入" : "entry";
    if (s == "internal") return ja ? "内部活動" : "internal";
    if (s == "exit") return ja ? "持ち出し・外部通信" : "exit";
    return ja ? "その他" : "other";
}

int level_rank(const std::string& l) {
    for (int i = 0; i < 5; ++i)
        if (l == k_levels[i]) return i;
    return 5;
}

// What a stage means, in words for management.
std::string stage_plain(const std::string& s, bool ja) {
    if (s == "entry") return ja ? "侵入（外部からの入り口）" : "getting in (entry)";
    if (s == "internal") return ja ? "社内での活動（横展開・探索）" : "moving around inside (internal)";
    if (s == "exit") return ja ? "外部への送信（情報持ち出しや不正な通信）" : "sending out (exit: data or traffic leaving)";
    return ja ? "段階不明の活動" : "activity of no known stage";
}

std::string commas(std::uint64_t v) { return alert::with_commas(v); }

std::string bytes_word(std::uint64_t b) {
    char buf[64];
    const char* u[] = {"B", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(b);
    int k = 0;
    while (v >= 1000 && k < 4) {
        v /= 1000;
        ++k;
    }
    if (k == 0) std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
    else std::snprintf(buf, sizeof buf, "%.1f %s (%s B)", v, u[k], commas(b).c_str());
    return buf;
}

std::string local_time(timestamp_ns ts, const time_zone& z, bool seconds = true) {
    if (ts == k_no_time) return "-";
    std::int64_t s = ts / k_ns_per_sec;
    if (ts < 0 && ts % k_ns_per_sec) --s;
    auto c = civil_from_seconds(s + z.offset_at_utc(s));
    char b[40];
    if (seconds) std::snprintf(b, sizeof b, "%04d-%02u-%02u %02u:%02u:%02u", c.year, c.month, c.day, c.hour, c.minute, c.second);
    else std::snprintf(b, sizeof b, "%04d-%02u-%02u %02u:%02u", c.year, c.month, c.day, c.hour, c.minute);
    return b;
}

std::string zone_label(const time_zone& z) {
    std::string n(z.name());
    std::int32_t off = z.offset_at_utc(0);
    char b[16];
    std::snprintf(b, sizeof b, "UTC%+03d:%02d", off / 3600, std::abs(off / 60) % 60);
    return n == "UTC" ? std::string("UTC") : n + " (" + b + ")";
}

std::string join(const std::vector<std::string>& v, const std::string& sep, std::size_t max = 0, bool ja = false) {
    std::string s;
    std::size_t n = max && v.size() > max ? max : v.size();
    for (std::size_t i = 0; i < n; ++i) s += (i ? sep : "") + v[i];
    if (n < v.size())
        s += ja ? " ほか" + std::to_string(v.size() - n) + "件" : " and " + std::to_string(v.size() - n) + " more";
    return s;
}

cell num(std::uint64_t v) { return cell{commas(v), "", true, false, ""}; }
cell txt(std::string s) { return cell{std::move(s), "", false, false, ""}; }
cell code(std::string s) { return cell{std::move(s), "", false, true, ""}; }
cell lvl(const std::string& l, bool ja) { return cell{level_word(l, ja), "", false, false, "lv lv-" + l}; }

std::string truncate(const std::string& s, std::size_t n) {
    if (s.size() <= n) return s;
    std::size_t k = n;
    while (k > 0 && (static_cast<unsigned char>(s[k]) & 0xC0) == 0x80) --k;  // UTF-8 boundary
    return s.substr(0, k) + "…";
}

// ---- JSON ------------------------------------------------------------------------------------

void jstr(std::string& o, const char* k, const std::string& v, bool comma = true) {
    if (comma) o.push_back(',');
    o += "\"";
    o += k;
    o += "\":";
    append_json_string(o, v);
}
void jnum(std::string& o, const char* k, double v) {
    char b[48];
    if (v == static_cast<double>(static_cast<long long>(v))) std::snprintf(b, sizeof b, "%lld", static_cast<long long>(v));
    else std::snprintf(b, sizeof b, "%.2f", v);
    o += ",\"";
    o += k;
    o += "\":";
    o += b;
}
void jtime(std::string& o, const char* k, timestamp_ns t) {
    o += ",\"";
    o += k;
    o += "\":";
    if (t == k_no_time) o += "null";
    else append_json_string(o, format_rfc3339(t));
}
void jlist(std::string& o, const char* k, const std::vector<std::string>& v) {
    o += ",\"";
    o += k;
    o += "\":[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) o.push_back(',');
        append_json_string(o, v[i]);
    }
    o += "]";
}
void jcounts(std::string& o, const char* k, const std::vector<labelled_count>& v, const char* n2 = nullptr) {
    o += ",\"";
    o += k;
    o += "\":[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) o.push_back(',');
        o += "{";
        jstr(o, "label", v[i].label, false);
        if (!v[i].kind.empty()) jstr(o, "kind", v[i].kind);
        jnum(o, "count", static_cast<double>(v[i].n));
        if (n2) jnum(o, n2, static_cast<double>(v[i].n2));
        o += "}";
    }
    o += "]";
}

std::string incident_json(const incident_report& r) {
    std::string o = "{";
    jstr(o, "report", "incident", false);
    jnum(o, "id", static_cast<double>(r.id));
    jstr(o, "incident", r.key);
    jstr(o, "status", r.status);
    jtime(o, "first", r.first);
    jtime(o, "last", r.last);
    jnum(o, "risk", r.risk);
    jstr(o, "level", r.level);
    jlist(o, "stages", r.stages);
    jstr(o, "title_en", r.title_en);
    jstr(o, "title_ja", r.title_ja);
    jstr(o, "summary_en", r.summary_en);
    jstr(o, "summary_ja", r.summary_ja);
    o += ",\"affected\":{";
    jlist(o, "accounts", r.accounts);
    o.erase(o.rfind(",\"accounts\""), 1);  // no leading comma inside the object
    jlist(o, "hosts", r.hosts);
    jlist(o, "sources", r.sources);
    jlist(o, "destinations", r.destinations);
    jlist(o, "domains", r.domains);
    jnum(o, "files_total", static_cast<double>(r.files_total));
    jcounts(o, "files", r.files);
    o += "}";
    o += ",\"counts\":{";
    jnum(o, "related_events", static_cast<double>(r.related_events));
    o.erase(o.rfind(",\"related_events\""), 1);
    jnum(o, "failed_logons", static_cast<double>(r.failed_logons));
    jnum(o, "successful_logons", static_cast<double>(r.successful_logons));
    jnum(o, "blocked_events", static_cast<double>(r.blocked_events));
    jnum(o, "bytes_sent", static_cast<double>(r.bytes_sent));
    jnum(o, "bytes_received", static_cast<double>(r.bytes_received));
    jnum(o, "alerts", static_cast<double>(r.alerts.size()));
    jnum(o, "detections", static_cast<double>(r.detections));
    jnum(o, "evidence_records", static_cast<double>(r.evidence_records));
    jcounts(o, "events_by_source", r.events_by_source);
    o += "}";
    o += ",\"timeline\":[";
    for (std::size_t i = 0; i < r.alerts.size(); ++i) {
        const auto& a = r.alerts[i];
        if (i) o.push_back(',');
        o += "{";
        jnum(o, "alert_id", static_cast<double>(a.id));
        o.erase(o.rfind(",\"alert_id\""), 1);
        jstr(o, "alert", a.key);
        jtime(o, "first", a.first);
        jtime(o, "last", a.last);
        jstr(o, "stage", a.stage);
        jstr(o, "level", a.level);
        jstr(o, "rule_id", a.rule_id);
        jstr(o, "title", a.title);
        jnum(o, "count", static_cast<double>(a.count));
        jstr(o, "user", a.user);
        jstr(o, "host", a.host);
        jstr(o, "source_ip", a.src_ip);
        jstr(o, "destination_ip", a.dst_ip);
        jstr(o, "summary_en", a.sentence_en);
        jstr(o, "summary_ja", a.sentence_ja);
        jstr(o, "action_en", a.action_en);
        jstr(o, "action_ja", a.action_ja);
        o += ",\"event_ids\":[";
        for (std::size_t k = 0; k < a.event_ids.size(); ++k) o += (k ? "," : "") + std::to_string(a.event_ids[k]);
        o += "]}";
    }
    o += "],\"evidence\":[";
    for (std::size_t i = 0; i < r.evidence.size(); ++i) {
        const auto& e = r.evidence[i];
        if (i) o.push_back(',');
        o += "{\"event_id\":" + std::to_string(e.event_id);
        jtime(o, "@timestamp", e.ts);
        jstr(o, "source_type", e.source_type);
        jstr(o, "file", e.file);
        if (e.line) jnum(o, "line", static_cast<double>(e.line));
        else jnum(o, "offset", static_cast<double>(e.offset));
        jnum(o, "alert_id", static_cast<double>(e.alert_id));
        jstr(o, "raw", e.raw);
        o += "}";
    }
    o += "]}\n";
    return o;
}

std::string summary_json(const summary_report& r) {
    std::string o = "{";
    jstr(o, "report", "summary", false);
    jtime(o, "from", r.from);
    jtime(o, "to", r.to);
    jnum(o, "events", static_cast<double>(r.events));
    jnum(o, "alerts", static_cast<double>(r.alerts));
    jnum(o, "incidents", static_cast<double>(r.incidents));
    jnum(o, "failed_logons", static_cast<double>(r.failed_logons));
    o += ",\"alerts_by_level\":{";
    bool first = true;
    for (const auto& [k, v] : r.alerts_by_level) {
        if (!first) o.push_back(',');
        first = false;
        append_json_string(o, k);
        o += ":" + std::to_string(v);
    }
    o += "},\"alerts_by_stage\":{";
    first = true;
    for (const auto& [s, m] : r.stage_level) {
        if (!first) o.push_back(',');
        first = false;
        append_json_string(o, s);
        o += ":{";
        bool f2 = true;
        for (const auto& [k, v] : m) {
            if (!f2) o.push_back(',');
            f2 = false;
            append_json_string(o, k);
            o += ":" + std::to_string(v);
        }
        o += "}";
    }
    o += "}";
    jcounts(o, "top_sources", r.top_sources);
    jcounts(o, "top_targets", r.top_targets);
    jcounts(o, "noisiest_rules", r.noisy_rules, "events");
    jcounts(o, "events_by_source", r.events_by_source);
    o += ",\"failed_logons_by_day\":[";
    for (std::size_t i = 0; i < r.failed_by_day.size(); ++i)
        o += (i ? "," : "") + std::string("{\"day\":\"") + r.failed_by_day[i].day + "\",\"count\":" +
             std::to_string(r.failed_by_day[i].failed) + "}";
    o += "],\"log_sources\":[";
    for (std::size_t i = 0; i < r.sources.size(); ++i) {
        const auto& s = r.sources[i];
        if (i) o.push_back(',');
        o += "{";
        jstr(o, "source_type", s.source_type, false);
        jnum(o, "events", static_cast<double>(s.events));
        jtime(o, "first", s.first);
        jtime(o, "last", s.last);
        jnum(o, "active_days", static_cast<double>(s.active_days));
        o += std::string(",\"silent\":") + (s.silent ? "true" : "false");
        o += std::string(",\"occasional\":") + (s.occasional ? "true" : "false") + "}";
    }
    o += "],\"incident_list\":[";
    for (std::size_t i = 0; i < r.incident_list.size(); ++i) {
        const auto& l = r.incident_list[i];
        if (i) o.push_back(',');
        o += "{\"id\":" + std::to_string(l.id);
        jstr(o, "incident", l.key);
        jstr(o, "level", l.level);
        jnum(o, "risk", l.risk);
        jstr(o, "title_en", l.title_en);
        jstr(o, "title_ja", l.title_ja);
        jtime(o, "first", l.first);
        jtime(o, "last", l.last);
        jnum(o, "alerts", static_cast<double>(l.alerts));
        o += "}";
    }
    o += "]}\n";
    return o;
}

// ---- the incident document -----------------------------------------------------------------

// The rule's title in the report's language (rules without title_ja keep their title).
const std::string& rule_title(const alert_item& a, bool ja) { return ja && !a.title_ja.empty() ? a.title_ja : a.title; }

std::string alert_sentence(const alert_item& a, bool ja) {
    const std::string& s = ja ? a.sentence_ja : a.sentence_en;
    return s.empty() ? rule_title(a, ja) : s;
}

doc incident_doc(const incident_report& r, const render_options& o) {
    const bool ja = o.ja;
    tr t{ja};
    doc d;
    d.lang = ja ? "ja" : "en";
    const std::string& title = ja ? (r.title_ja.empty() ? r.title_en : r.title_ja) : r.title_en;
    d.kicker = t("Mimamori incident report", "Mimamori インシデント報告書");
    d.title = title.empty() ? std::string(t("Incident ", "インシデント ")) + std::to_string(r.id) : title;
    const timestamp_ns span = (r.first != k_no_time && r.last != k_no_time) ? r.last - r.first : 0;
    d.head_facts = {
        {t("Incident", "インシデント番号"), std::to_string(r.id) + (r.key.empty() ? "" : "  (" + r.key + ")")},
        {t("Severity", "重大度"), level_word(r.level, ja)},
        {t("Risk score", "リスクスコア"), std::to_string(static_cast<int>(r.risk + 0.5)) + " / 100"},
        {t("Period", "期間"), local_time(r.first, o.zone) + " → " + local_time(r.last, o.zone) + (ja ? "（" : "  (") +
                                  alert::human_duration(span, ja) + (ja ? "）" : ")")},
        {t("Status", "状況"), r.status == "open" ? t("open (no response recorded)", "未対応（対応記録なし）") : r.status},
        {t("Times shown in", "時刻の表記"), zone_label(o.zone)},
    };

    // Stage lists for the sentences.
    std::vector<const alert_item*> entry, internal, exit;
    for (const auto& a : r.alerts) {
        if (a.stage == "entry") entry.push_back(&a);
        else if (a.stage == "exit") exit.push_back(&a);
        else internal.push_back(&a);
    }
    std::vector<std::string> stage_words;
    for (const auto& s : r.stages) stage_words.push_back(stage_plain(s, ja));

    // 1. Summary.
    d.h2(t("1. Summary", "1. 概要"), "summary");
    {
        std::string p;
        if (ja) {
            p = local_time(r.first, o.zone, false) + " から " + local_time(r.last, o.zone, false) + " までの期間（" +
                alert::human_duration(span, ja) + "）に、" + std::to_string(r.alerts.size()) +
                " 件のアラートがこのインシデントにまとめられました。最も高い重大度は「" + level_word(r.level, true) +
                "」、リスクスコアは 100 点中 " + std::to_string(static_cast<int>(r.risk + 0.5)) + " 点です。";
        } else {
            p = "Between " + local_time(r.first, o.zone, false) + " and " + local_time(r.last, o.zone, false) + " (" +
                alert::human_duration(span, false) + "), Mimamori linked " + std::to_string(r.alerts.size()) +
                (r.alerts.size() == 1 ? " alert" : " alerts") + " into this incident. The highest severity is " +
                level_word(r.level, false) + " and the risk score is " + std::to_string(static_cast<int>(r.risk + 0.5)) +
                " out of 100.";
        }
        d.para(p);
        std::vector<std::string> who;
        if (!r.accounts.empty())
            who.push_back(ja ? "関係するアカウントは " + join(r.accounts, "、", 4, true) + " です。"
                             : std::to_string(r.accounts.size()) + (r.accounts.size() == 1 ? " account (" : " accounts (") +
                                   join(r.accounts, ", ", 4) + ")");
        if (!r.hosts.empty())
            who.push_back(ja ? "関係するコンピューターは " + join(r.hosts, "、", 4, true) + " です。"
                             : std::to_string(r.hosts.size()) + (r.hosts.size() == 1 ? " computer (" : " computers (") +
                                   join(r.hosts, ", ", 4) + ")");
        if (!r.sources.empty())
            who.push_back(ja ? "接続元のアドレスは " + join(r.sources, "、", 4, true) + " です。"
                             : "source " + std::string(r.sources.size() == 1 ? "address " : "addresses ") + join(r.sources, ", ", 4));
        if (!who.empty()) d.para(ja ? join(who, "") : "It involves " + join(who, "; ") + ".");
        if (!stage_words.empty())
            d.para(ja ? "攻撃の段階: " + join(stage_words, " → ") + "。"
                      : "Stages seen: " + join(stage_words, " → ") + ".");
        if (!exit.empty() && r.bytes_sent > 0)
            d.para(ja ? "外部への送信の段階に当たるアラートがあり、関連するイベントでは合計 " + bytes_word(r.bytes_sent) +
                            " が送信されています。情報持ち出しの可能性があります。"
                      : "There are alerts of the exit stage, and the related events sent " + bytes_word(r.bytes_sent) +
                            " in total: data may have left the company.");
        const std::string& story = ja ? r.summary_ja : r.summary_en;
        if (!story.empty()) {
            d.h3(t("What the alerts say", "アラートが示す経緯"));
            d.para(story);
        }
    }

    // 2. Route in.
    d.h2(t("2. Route in", "2. 侵入経路"), "route-in");
    if (!entry.empty()) {
        const auto& a = *entry.front();
        d.para(ja ? "最初の兆候は " + local_time(a.first, o.zone) + " の「" + rule_title(a, true) + "」でした。" + alert_sentence(a, true) + "。"
                  : "The first sign was \"" + a.title + "\" at " + local_time(a.first, o.zone) + ": " + alert_sentence(a, false));
        // The most severe entry alert (the first of them) is usually the one that got in.
        const alert_item* worst = entry.front();
        for (const auto* e : entry)
            if (level_rank(e->level) < level_rank(worst->level)) worst = e;
        if (worst != entry.front())
            d.para(ja ? "侵入段階で最も重大なのは " + local_time(worst->first, o.zone) + " の「" + rule_title(*worst, true) + "」（重大度: " +
                            level_word(worst->level, true) + "）でした。" + alert_sentence(*worst, true) + "。"
                      : "The most serious alert of the entry stage is \"" + worst->title + "\" (" + worst->level + ") at " +
                            local_time(worst->first, o.zone) + ": " + alert_sentence(*worst, false));
        if (entry.size() > 1) {
            std::vector<std::string> items;
            for (std::size_t i = 1; i < entry.size() && i < 12; ++i)
                items.push_back(local_time(entry[i]->first, o.zone) + " — " + alert_sentence(*entry[i], ja));
            d.para(ja ? "侵入段階のその他のアラート:" : "Other alerts of the entry stage:");
            d.list(items);
        }
    } else if (!r.alerts.empty()) {
        d.para(ja ? "侵入段階のアラートはありません。読み込んだログからは、どこから入ったのかは分かりません。最初のアラートは " +
                        local_time(r.alerts.front().first, o.zone) + " の「" + rule_title(r.alerts.front(), true) + "」です。"
                  : "No alert of the entry stage: the logs read do not show how this began. The first alert is \"" +
                        r.alerts.front().title + "\" at " + local_time(r.alerts.front().first, o.zone) + ".");
    }

    // 3. Cause: what the rules that fired first say the activity is.
    d.h2(t("3. Cause", "3. 原因"), "cause");
    {
        const auto& basis = entry.empty() ? internal : entry;
        std::vector<std::string> items;
        std::set<std::string> seen;
        for (const auto* a : basis.empty() ? exit : basis) {
            const std::string& desc = ja ? (a->description_ja.empty() ? a->description_en : a->description_ja) : a->description_en;
            std::string line = rule_title(*a, ja) + (desc.empty() ? "" : (ja ? "：" : ": ") + desc);
            if (seen.insert(line).second) items.push_back(line);
        }
        if (items.empty()) {
            d.para(t("No alert of this incident carries a description of its cause.",
                     "このインシデントのアラートには、原因についての説明がありません。"));
        } else {
            d.para(ja ? "発端となった検知ルールの説明から見た原因（ログから推定したもので、確認が必要です）:"
                      : "What the first detections point to (inferred from the logs; to be confirmed):");
            d.list(items);
        }
        if (!r.sources.empty())
            d.para(ja ? "接続元: " + join(r.sources, "、", 8, true) : "Origin: " + join(r.sources, ", ", 8));
    }

    // 4. Affected.
    d.h2(t("4. Affected accounts, computers and files", "4. 影響範囲（アカウント・コンピューター・ファイル）"), "affected");
    {
        auto& tb = d.table({t("Kind", "種別"), t("Count", "件数"), t("Which", "対象")});
        auto row = [&](const char* en, const char* jp, const std::vector<std::string>& v) {
            tb.rows.push_back({txt(t(en, jp)), num(v.size()), txt(v.empty() ? "-" : join(v, ", ", 20, ja))});
        };
        row("Accounts", "アカウント", r.accounts);
        row("Computers", "コンピューター", r.hosts);
        row("Source addresses", "接続元アドレス", r.sources);
        row("Destination addresses", "接続先アドレス", r.destinations);
        if (!r.domains.empty()) row("Domains", "ドメイン", r.domains);
        if (r.files_total > 0) {
            d.h3(ja ? "アクセスされたファイル（" + commas(r.files_total) + " 件）"
                    : "Files touched (" + commas(r.files_total) + ")");
            auto& ft = d.table({t("File", "ファイル"), t("Events", "イベント数")});
            for (const auto& f : r.files) ft.rows.push_back({code(f.label), num(f.n)});
            if (r.files_total > r.files.size())
                d.note(ja ? "アクセス回数の多い順に " + std::to_string(r.files.size()) + " 件を表示しています。"
                          : "The " + std::to_string(r.files.size()) + " most-touched files are shown.");
        } else {
            d.para(t("No file names appear in the related events.", "関連するイベントにファイル名は記録されていません。"));
        }
    }

    // 5. Counts.
    d.h2(t("5. Counts", "5. 件数"), "counts");
    d.para(ja ? "関連イベント = インシデントの期間内で、接続元・接続先アドレスまたはアカウントがこのインシデントのものと一致する保存済みイベント。"
              : "Related events = stored events within the incident's period whose source or destination address or account is one of this incident's.");
    d.facts({
        {t("Related events", "関連イベント"), commas(r.related_events)},
        {t("Failed logons among them", "うちログオン失敗"), commas(r.failed_logons)},
        {t("Successful logons among them", "うちログオン成功"), commas(r.successful_logons)},
        {t("Refused by a firewall or server among them", "うちファイアウォールやサーバーが拒否"), commas(r.blocked_events)},
        {t("Bytes sent", "送信バイト数"), bytes_word(r.bytes_sent)},
        {t("Bytes received", "受信バイト数"), bytes_word(r.bytes_received)},
        {t("Distinct files", "ファイル数"), commas(r.files_total)},
        {t("Alerts", "アラート"), commas(r.alerts.size())},
        {t("Detections (events the alerts stand for)", "検知件数（アラートが表すイベント数）"), commas(r.detections)},
        {t("Evidence records cited", "証拠として引用したレコード"), commas(r.evidence_records)},
    });
    if (!r.events_by_source.empty()) {
        std::vector<std::pair<std::string, double>> bars;
        for (const auto& c : r.events_by_source) bars.emplace_back(c.label, static_cast<double>(c.n));
        auto& ch = d.chart(t("Related events by log source", "ログの種類別の関連イベント数"), detail::svg_bars(bars, "#1f5f8b"));
        ch.headers = {t("Log source", "ログの種類"), t("Events", "イベント数")};
        for (const auto& c : r.events_by_source) ch.rows.push_back({txt(c.label), num(c.n)});
    }

    // 6. Timeline.
    d.h2(t("6. Timeline", "6. 時系列"), "timeline");
    if (r.alerts.size() > 1 && r.first != k_no_time && r.last > r.first) {
        // The alerts on one time axis, a lane per stage, colored by severity.
        auto stage_key = [](const std::string& st) {
            return (st == "entry" || st == "internal" || st == "exit") ? st : std::string("unknown");
        };
        std::vector<std::string> lanes, lane_keys;
        for (const char* st : k_stages)
            if (std::any_of(r.alerts.begin(), r.alerts.end(), [&](const alert_item& a) { return stage_key(a.stage) == st; })) {
                lane_keys.push_back(st);
                lanes.push_back(stage_short(st, ja));
            }
        const double span_ns = static_cast<double>(r.last - r.first);
        std::vector<detail::lane_item> items;
        for (const auto& a : r.alerts) {
            const std::string key = stage_key(a.stage);
            std::size_t lane = static_cast<std::size_t>(std::find(lane_keys.begin(), lane_keys.end(), key) - lane_keys.begin());
            detail::lane_item it;
            it.lane = lane;
            it.from = static_cast<double>(a.first - r.first) / span_ns;
            it.to = static_cast<double>((a.last == k_no_time ? a.first : a.last) - r.first) / span_ns;
            it.color = k_level_colors[std::min(level_rank(a.level), 4)];
            it.tip = local_time(a.first, o.zone) + " " + alert_sentence(a, ja);
            items.push_back(std::move(it));
        }
        std::vector<std::pair<double, std::string>> ticks;
        const bool one_day = local_time(r.first, o.zone).compare(0, 10, local_time(r.last, o.zone), 0, 10) == 0;
        for (int k = 0; k <= 4; ++k) {
            timestamp_ns at = r.first + static_cast<timestamp_ns>(span_ns * k / 4);
            std::string label = local_time(at, o.zone, false);
            ticks.emplace_back(k / 4.0, one_day ? label.substr(11) : label.substr(5));
        }
        d.chart(t("Alerts over time, by stage (color: severity)", "段階ごとのアラートの時間経過（色は重大度）"),
                detail::svg_lanes(lanes, items, ticks, [&] {
                    std::vector<std::pair<std::string, std::string>> legend;
                    for (int k = 0; k < 5; ++k)
                        if (std::any_of(r.alerts.begin(), r.alerts.end(), [&](const alert_item& a) { return a.level == k_levels[k]; }))
                            legend.emplace_back(k_level_colors[k], level_word(k_levels[k], ja));
                    return legend;
                }()));
    }
    {
        auto& tb = d.table({t("Time", "時刻"), t("Stage", "段階"), t("Severity", "重大度"), t("What happened", "内容"),
                            t("Events", "件数"), t("Evidence (event ids)", "証拠（イベントID）")});
        for (const auto& a : r.alerts) {
            std::vector<std::string> ids;
            for (auto x : a.event_ids) ids.push_back(std::to_string(x));
            std::string when = local_time(a.first, o.zone);
            if (a.last != k_no_time && a.last != a.first) {
                std::string end = local_time(a.last, o.zone);
                when += " → " + (end.compare(0, 10, when, 0, 10) == 0 ? end.substr(11) : end);  // same day: time only
            }
            tb.rows.push_back({txt(when), txt(stage_short(a.stage, ja)), lvl(a.level, ja), txt(alert_sentence(a, ja)),
                               num(a.count), txt(ids.empty() ? "-" : join(ids, ", ", 6, ja))});
        }
    }

    // 7. Response.
    d.h2(t("7. What was done and what to do next", "7. 対応状況と今後の対応"), "response");
    {
        std::string first_seen = r.alerts.empty() ? "-" : local_time(r.alerts.front().first, o.zone);
        d.h3(t("What was done", "実施済みの対応"));
        d.para(ja ? "Mimamori がこの活動を検知し、" + std::to_string(r.alerts.size()) + " 件のアラートと " +
                        commas(r.evidence_records) + " 件の証拠レコードを保存しました（最初のアラート: " + first_seen +
                        "）。" + (r.status == "open" ? "対応の記録はまだありません。実施した対応をここに書き加えてください。" : "状況: " + r.status)
                  : "Mimamori detected this activity and stored " + std::to_string(r.alerts.size()) + " alert(s) and " +
                        commas(r.evidence_records) + " evidence record(s) (first alert: " + first_seen + "). " +
                        (r.status == "open" ? "No response has been recorded yet; add what was done here." : "Status: " + r.status));
        if (r.blocked_events > 0)
            d.para(ja ? "関連イベントのうち " + commas(r.blocked_events) + " 件は、ファイアウォールやサーバーが自動的に拒否（遮断）しています。"
                      : commas(r.blocked_events) + " of the related events were refused automatically by a firewall or server (denied, blocked or rejected).");
        d.h3(t("What to do next", "今後の対応"));
        // Most urgent first: what left the network, then what happened inside, then the way in;
        // within a stage, the most severe alert's advice first. Each advice once.
        std::vector<const alert_item*> order;
        for (const auto& a : r.alerts) order.push_back(&a);
        auto urgency = [](const std::string& st) { return st == "exit" ? 0 : st == "internal" ? 1 : st == "entry" ? 2 : 3; };
        std::stable_sort(order.begin(), order.end(), [&](const alert_item* x, const alert_item* y) {
            if (urgency(x->stage) != urgency(y->stage)) return urgency(x->stage) < urgency(y->stage);
            return level_rank(x->level) < level_rank(y->level);
        });
        std::vector<std::string> items;
        std::set<std::string> seen;
        for (const auto* a : order) {
            const std::string& act = ja ? (a->action_ja.empty() ? a->action_en : a->action_ja) : a->action_en;
            if (act.empty() || !seen.insert(act).second) continue;
            items.push_back((ja ? "【" + stage_short(a->stage, true) + "】" : stage_short(a->stage, false) + ": ") + act +
                            (ja ? "（" + rule_title(*a, true) + "）" : " (" + a->title + ")"));
        }
        if (items.empty()) {
            d.para(t("The rules of these alerts give no advice.", "これらのアラートの検知ルールには対応の推奨がありません。"));
        } else {
            d.para(t("From the detection rules' advice, most urgent first (data leaving, then activity inside, then the way in):",
                     "検知ルールの推奨対応を、緊急度の高い順（外部への持ち出し → 内部活動 → 侵入）に並べています:"));
            d.list(items, true);
        }
    }

    // 8. Evidence.
    d.h2(t("8. Evidence", "8. 証拠"), "evidence");
    if (r.evidence.empty()) {
        d.para(t("The alerts cite no stored event.", "アラートが引用している保存済みイベントはありません。"));
    } else {
        d.para(ja ? "アラートが引用している保存済みイベント " + commas(r.evidence_records) + " 件" +
                        (r.evidence_records > r.evidence.size() ? "（時刻順に最初の " + std::to_string(r.evidence.size()) + " 件）" : "") +
                        "。ファイル名と行番号で元のログを確認できます。"
                  : commas(r.evidence_records) + " stored event(s) cited by the alerts" +
                        (r.evidence_records > r.evidence.size() ? " (the first " + std::to_string(r.evidence.size()) + " by time)" : "") +
                        "; file and line lead back to the original log.");
        auto& tb = d.table({t("Event id", "イベントID"), t("Time", "時刻"), t("Log source", "ログの種類"),
                            t("File:line", "ファイル:行"), t("Record", "レコード")});
        for (const auto& e : r.evidence) {
            std::string where = e.file + (e.line ? ":" + std::to_string(e.line) : "@" + std::to_string(e.offset));
            tb.rows.push_back({cell{std::to_string(e.event_id), "", true, false, ""}, txt(local_time(e.ts, o.zone)), txt(e.source_type),
                               code(where), code(truncate(e.gist.empty() ? e.raw : e.gist, 240))});
        }
    }
    d.footer = ja ? "この報告書は Mimamori が保存済みのイベント・アラート・インシデントから自動生成しました。"
                  : "Generated by Mimamori from the stored events, alerts and incidents.";
    return d;
}

// ---- the summary document ------------------------------------------------------------------

doc summary_doc(const summary_report& r, const render_options& o) {
    const bool ja = o.ja;
    tr t{ja};
    doc d;
    d.lang = ja ? "ja" : "en";
    d.kicker = t("Mimamori security summary", "Mimamori セキュリティ概況報告");
    std::string from = local_time(r.from, o.zone, false), to = local_time(r.to, o.zone, false);
    if (r.from == k_no_time || r.to == k_no_time)
        d.title = t("Security summary (no events stored yet)", "セキュリティ概況（保存済みのイベントはまだありません）");
    else
        d.title = ja ? "セキュリティ概況 " + from.substr(0, 10) + " 〜 " + to.substr(0, 10)
                     : "Security summary " + from.substr(0, 10) + " to " + to.substr(0, 10);
    d.head_facts = {{t("Period", "期間"), from + " → " + to},
                    {t("Times shown in", "時刻の表記"), zone_label(o.zone)}};

    std::size_t silent = 0;
    for (const auto& s : r.sources) silent += s.silent;
    d.h2(t("1. Overview", "1. 概要"), "overview");
    {
        std::vector<std::string> lv;
        for (const char* l : k_levels) {
            auto it = r.alerts_by_level.find(l);
            if (it == r.alerts_by_level.end() || it->second == 0) continue;
            lv.push_back(ja ? level_word(l, true) + " " + commas(it->second) + " 件" : commas(it->second) + " " + l);
        }
        if (ja)
            d.para("この期間に " + std::to_string(r.sources.size()) + " 種類のログから " + commas(r.events) +
                   " 件のイベントを読み込み、" + commas(r.alerts) + " 件のアラート" + (lv.empty() ? "" : "（" + join(lv, "、") + "）") +
                   "を検知して " + commas(r.incidents) + " 件のインシデントにまとめました。ログオンの失敗は " +
                   commas(r.failed_logons) + " 件でした。");
        else
            d.para("In this period Mimamori read " + commas(r.events) + " events from " + std::to_string(r.sources.size()) +
                   " kinds of log, raised " + commas(r.alerts) + " alerts" + (lv.empty() ? "" : " (" + join(lv, ", ") + ")") +
                   " and grouped them into " + commas(r.incidents) + " incidents. There were " + commas(r.failed_logons) +
                   " failed logons.");
        if (!r.incident_list.empty()) {
            const auto& top = r.incident_list.front();
            d.para(ja ? "リスクが最も高いインシデントは「" + (top.title_ja.empty() ? top.title_en : top.title_ja) + "」（リスク " +
                            std::to_string(static_cast<int>(top.risk + 0.5)) + "、" + local_time(top.first, o.zone, false) + " から）です。"
                      : "The highest-risk incident is \"" + top.title_en + "\" (risk " + std::to_string(static_cast<int>(top.risk + 0.5)) +
                            ", from " + local_time(top.first, o.zone, false) + ").");
        }
        if (silent)
            d.para(ja ? std::to_string(silent) + " 種類のログが途中で途絶えています（「ログの受信状況」を参照）。"
                      : std::to_string(silent) + " log source(s) went silent before the end (see \"Log sources\").");
    }

    d.h2(t("2. Incidents", "2. インシデント"), "incidents");
    if (r.incident_list.empty()) {
        d.para(t("No incident in this period.", "この期間のインシデントはありません。"));
    } else {
        const std::size_t show = std::min<std::size_t>(r.incident_list.size(), 25);
        auto& tb = d.table({t("Risk", "リスク"), t("Severity", "重大度"), t("Incident", "インシデント"), t("From", "開始"),
                            t("Alerts", "アラート")});
        for (std::size_t i = 0; i < show; ++i) {
            const auto& l = r.incident_list[i];
            cell title = txt(ja ? (l.title_ja.empty() ? l.title_en : l.title_ja) : l.title_en);
            if (o.link_incidents) title.href = "incident-" + std::to_string(l.id) + "." + d.lang + ".html";
            tb.rows.push_back({num(static_cast<std::uint64_t>(l.risk + 0.5)), lvl(l.level, ja), title,
                               txt(local_time(l.first, o.zone, false)), num(l.alerts)});
        }
        if (show < r.incident_list.size())
            d.note(ja ? "リスクの高い順に " + std::to_string(show) + " 件を表示（全 " + commas(r.incident_list.size()) + " 件）。"
                      : "The " + std::to_string(show) + " highest-risk incidents of " + commas(r.incident_list.size()) + ".");
    }

    d.h2(t("3. Alerts by stage and severity", "3. 段階別・重大度別のアラート"), "alerts");
    if (r.alerts == 0) {
        d.para(t("No alert in this period.", "この期間のアラートはありません。"));
    } else {
        std::vector<std::string> rows, series, colors, labels;
        std::vector<std::vector<double>> vals;
        for (int k = 0; k < 5; ++k) {
            series.push_back(k_levels[k]);
            colors.push_back(k_level_colors[k]);
            labels.push_back(level_word(k_levels[k], ja));
        }
        auto& ch = d.chart(t("Alerts per stage, by severity", "段階ごとのアラート数（重大度別）"), "");
        ch.headers = {t("Stage", "段階")};
        for (const auto& l : labels) ch.headers.push_back(l);
        ch.headers.push_back(t("Total", "合計"));
        for (const char* st : k_stages) {
            auto it = r.stage_level.find(st);
            if (it == r.stage_level.end()) continue;
            rows.push_back(stage_word(st, ja));
            std::vector<double> v;
            std::vector<cell> tr_row{txt(stage_word(st, ja))};
            std::uint64_t total = 0;
            for (const char* l : k_levels) {
                auto jt = it->second.find(l);
                std::uint64_t n = jt == it->second.end() ? 0 : jt->second;
                v.push_back(static_cast<double>(n));
                tr_row.push_back(num(n));
                total += n;
            }
            tr_row.push_back(num(total));
            vals.push_back(std::move(v));
            ch.rows.push_back(std::move(tr_row));
        }
        ch.svg = detail::svg_stacked(rows, series, colors, vals, labels);
        // The chart's table is the Markdown form; HTML readers get the numbers too.
        auto copy = ch;
        d.blocks.push_back(block::of(block::table));
        d.blocks.back().headers = copy.headers;
        d.blocks.back().rows = copy.rows;
        d.blocks[d.blocks.size() - 2].headers.clear();  // Markdown shows the table once
    }

    d.h2(t("4. Failed logons per day", "4. 日別のログオン失敗"), "failed-logons");
    {
        std::vector<std::pair<std::string, double>> bars;
        std::uint64_t peak = 0;
        std::string peak_day;
        for (const auto& dc : r.failed_by_day) {
            bars.emplace_back(dc.day, static_cast<double>(dc.failed));
            if (dc.failed > peak) {
                peak = dc.failed;
                peak_day = dc.day;
            }
        }
        if (peak == 0) {
            d.para(t("No failed logon in this period.", "この期間にログオンの失敗はありません。"));
        } else {
            double avg = r.failed_by_day.empty() ? 0 : static_cast<double>(r.failed_logons) / static_cast<double>(r.failed_by_day.size());
            char a[32];
            std::snprintf(a, sizeof a, "%.1f", avg);
            d.para(ja ? "1 日平均 " + std::string(a) + " 件、最多は " + peak_day + " の " + commas(peak) + " 件です。"
                      : "On average " + std::string(a) + " a day; the most on " + peak_day + " with " + commas(peak) + ".");
            auto& ch = d.chart(t("Failed logons per day", "日別のログオン失敗件数"), detail::svg_columns(bars, "#d84315"));
            ch.headers = {t("Day", "日付"), t("Failed logons", "ログオン失敗")};
            for (const auto& dc : r.failed_by_day) ch.rows.push_back({txt(dc.day), num(dc.failed)});
        }
    }

    d.h2(t("5. Top sources and targets", "5. 主な接続元と対象"), "top");
    {
        d.h3(t("Source addresses with the most alerts", "アラートの多い接続元アドレス"));
        if (r.top_sources.empty()) d.para(t("No alert names a source address.", "接続元アドレスのあるアラートはありません。"));
        else {
            std::vector<std::pair<std::string, double>> bars;
            for (const auto& c : r.top_sources) bars.emplace_back(c.label, static_cast<double>(c.n));
            auto& ch = d.chart("", detail::svg_bars(bars, "#1f5f8b"));
            ch.headers = {t("Address", "アドレス"), t("Alerts", "アラート")};
            for (const auto& c : r.top_sources) ch.rows.push_back({txt(c.label), num(c.n)});
        }
        d.h3(t("Accounts, computers and addresses most alerted on", "アラートの多いアカウント・コンピューター・アドレス"));
        if (r.top_targets.empty()) d.para(t("No alert names a target.", "対象のあるアラートはありません。"));
        else {
            auto& tb = d.table({t("Kind", "種別"), t("Target", "対象"), t("Alerts", "アラート")});
            for (const auto& c : r.top_targets) {
                std::string kind = c.kind == "user" ? t("account", "アカウント") : c.kind == "host" ? t("computer", "コンピューター") : t("address", "アドレス");
                tb.rows.push_back({txt(kind), txt(c.label), num(c.n)});
            }
        }
    }

    d.h2(t("6. Noisiest rules", "6. アラートの多い検知ルール"), "rules");
    if (r.noisy_rules.empty()) d.para(t("No alert in this period.", "この期間のアラートはありません。"));
    else {
        std::vector<std::pair<std::string, double>> bars;
        auto label = [&](const labelled_count& c) { return ja && !c.label_ja.empty() ? c.label_ja : c.label; };
        for (const auto& c : r.noisy_rules) bars.emplace_back(label(c), static_cast<double>(c.n));
        auto& ch = d.chart(t("Alerts per rule", "ルールごとのアラート数"), detail::svg_bars(bars, "#c89100"));
        ch.headers = {t("Rule", "ルール"), t("Alerts", "アラート"), t("Events", "イベント数")};
        for (const auto& c : r.noisy_rules) ch.rows.push_back({txt(label(c)), num(c.n), num(c.n2)});
        auto copy = ch;
        d.blocks.push_back(block::of(block::table));
        d.blocks.back().headers = copy.headers;
        d.blocks.back().rows = copy.rows;
        d.blocks[d.blocks.size() - 2].headers.clear();
        d.note(t("A rule with many alerts on ordinary work is a candidate for tuning or a suppression (--alert-config).",
                 "通常業務で多数のアラートを出すルールは、調整や抑制（--alert-config）の候補です。"));
    }

    d.h2(t("7. Log sources", "7. ログの受信状況"), "sources");
    {
        const std::string hours = std::to_string(r.silent_after / (3600 * k_ns_per_sec));
        if (silent)
            d.para(ja ? "最新のログより " + hours + " 時間以上前に途絶えたログの種類が " + std::to_string(silent) +
                            " 件あります。機器の停止、設定の変更、ログの削除がないか確認してください。"
                      : std::to_string(silent) + " log source(s) stopped more than " + hours +
                            " hours before the newest log: check whether a device stopped, was reconfigured, or its logs were deleted.");
        else
            d.para(ja ? "定期的に届くログはすべて期間の終わりまで届いています（途絶えの基準: 最新のログより " + hours + " 時間以上前）。"
                      : "Every regular log source kept sending until the end of the period (silent means more than " + hours +
                            " hours behind the newest log).");
        std::size_t occasional = 0;
        for (const auto& s : r.sources) occasional += s.occasional;
        if (occasional)
            d.note(ja ? "「不定期」のログ（" + std::to_string(occasional) +
                            " 種類）は、記録のある日が少ないため途絶えの判定をしていません。"
                      : std::to_string(occasional) + " occasional source(s) logged on too few days to tell whether they went silent.");
        auto& tb = d.table({t("Log source", "ログの種類"), t("Events", "イベント数"), t("First", "最初"), t("Last", "最後"),
                            t("State", "状態")});
        for (const auto& s : r.sources)
            tb.rows.push_back({txt(s.source_type), num(s.events), txt(local_time(s.first, o.zone, false)),
                               txt(local_time(s.last, o.zone, false)),
                               s.silent       ? cell{t("silent", "途絶え"), "", false, false, "silent"}
                               : s.occasional ? txt(ja ? "不定期（" + std::to_string(s.active_days) + " 日のみ）"
                                                       : "occasional (" + std::to_string(s.active_days) + " day(s) only)")
                                              : txt(t("ok", "正常"))});
    }
    d.footer = ja ? "この報告書は Mimamori が保存済みのイベント・アラート・インシデントから自動生成しました。"
                  : "Generated by Mimamori from the stored events, alerts and incidents.";
    return d;
}

}  // namespace

std::string render_incident(const incident_report& r, format f, const render_options& o) {
    if (f == format::json) return incident_json(r);
    auto d = incident_doc(r, o);
    return f == format::html ? detail::to_html(d) : detail::to_markdown(d);
}

std::string render_summary(const summary_report& r, format f, const render_options& o) {
    if (f == format::json) return summary_json(r);
    auto d = summary_doc(r, o);
    return f == format::html ? detail::to_html(d) : detail::to_markdown(d);
}

}  // namespace mimamori::report
