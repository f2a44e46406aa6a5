// Incidents: grouping alerts by shared entities, stage order, risk, ja/en stories; output.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <set>

#include "alert/alert.hpp"
#include "core/time.hpp"
#include "detect/intel/hash.hpp"

namespace mimamori::alert {

std::string with_commas(std::uint64_t v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

std::string human_duration(timestamp_ns d, bool ja) {
    const double secs = static_cast<double>(std::max<timestamp_ns>(d, 0)) / 1e9;
    auto fmt = [&](double v, const char* en1, const char* enN, const char* jau) {
        const auto n = static_cast<long long>(std::llround(v));
        if (ja) return std::to_string(n) + jau;
        return std::to_string(n) + " " + (n == 1 ? en1 : enN);
    };
    if (secs < 1.5) return ja ? "1秒未満" : "under a second";
    if (secs < 90) return fmt(secs, "second", "seconds", "秒");
    if (secs < 90 * 60) return fmt(secs / 60, "minute", "minutes", "分");
    if (secs < 36 * 3600) return fmt(secs / 3600, "hour", "hours", "時間");
    return fmt(secs / 86400, "day", "days", "日");
}

double level_weight(level l) {
    switch (l) {
        case level::informational: return 1;
        case level::low: return 5;
        case level::medium: return 15;
        case level::high: return 35;
        case level::critical: return 60;
    }
    return 15;
}

namespace {

std::string_view stage_ja(stage s) {
    switch (s) {
        case stage::entry: return "侵入";
        case stage::internal: return "内部活動";
        case stage::exit: return "外部への持ち出し・通信";
        default: return "その他";
    }
}
std::string_view level_ja(level l) {
    switch (l) {
        case level::informational: return "情報";
        case level::low: return "低";
        case level::medium: return "中";
        case level::high: return "高";
        case level::critical: return "重大";
    }
    return "中";
}

std::string detail(const alert& a, std::string_view key) {
    for (const auto& [k, v] : a.details)
        if (k == key) return v;
    return {};
}

std::string fill_template(const std::string& tpl, const alert& a, bool ja) {
    std::string out;
    for (std::size_t i = 0; i < tpl.size(); ++i) {
        if (tpl[i] != '{') {
            out.push_back(tpl[i]);
            continue;
        }
        const std::size_t end = tpl.find('}', i);
        if (end == std::string::npos) {
            out.append(tpl.substr(i));
            break;
        }
        const std::string key = tpl.substr(i + 1, end - i - 1);
        std::string v;
        if (key == "src") v = a.ent.src_ip;
        else if (key == "dst") v = a.ent.dst_ip;
        else if (key == "user") v = a.ent.user;
        else if (key == "host") v = a.ent.host;
        else if (key == "domain") v = a.ent.domain;
        else if (key == "count") v = with_commas(a.count);
        else if (key == "value") v = with_commas(static_cast<std::uint64_t>(std::llround(a.value)));
        else if (key == "duration") v = human_duration(a.last - a.first, ja);
        else if (key == "sample") v = a.samples.empty() ? "" : a.samples.back();
        else if (key == "samples") {
            for (std::size_t k = 0; k < a.samples.size() && k < 5; ++k) v += (k ? ", " : "") + a.samples[k];
        } else if (key == "title") v = a.rule.title;
        else v = detail(a, key);
        if (v.empty()) v = ja ? "（不明）" : "(unknown)";
        out += v;
        i = end;
    }
    return out;
}


// Values that say nothing about who did it: they must not tie unrelated alerts together.
bool linkable(std::string_view v) {
    return !(v.empty() || v == "127.0.0.1" || v == "::1" || v == "localhost" || v == "SYSTEM" ||
             v == "root" || v == "-" || v == "0.0.0.0");
}

struct dsu {
    std::vector<std::size_t> p;
    explicit dsu(std::size_t n) : p(n) { std::iota(p.begin(), p.end(), 0); }
    std::size_t find(std::size_t x) {
        while (p[x] != x) x = p[x] = p[p[x]];
        return x;
    }
    void unite(std::size_t a, std::size_t b) {
        a = find(a);
        b = find(b);
        if (a != b) p[std::max(a, b)] = std::min(a, b);
    }
};

std::vector<std::string> link_keys(const alert& a) {
    std::vector<std::string> k;
    if (linkable(a.ent.src_ip)) k.push_back("ip:" + a.ent.src_ip);
    if (linkable(a.ent.dst_ip)) k.push_back("ip:" + a.ent.dst_ip);
    if (linkable(a.ent.user)) k.push_back("user:" + a.ent.user);
    if (linkable(a.ent.domain)) k.push_back("domain:" + a.ent.domain);
    // The target of an inbound attack is not the attacker's identity: entry alerts do not link
    // by host (else every brute force on one server would be one incident) - unless the entry
    // succeeded (valid account / initial access with a user): then that host is the foothold
    // and what happens on it next belongs to the same story.
    bool got_in = false;
    for (const auto& t : a.rule.tags)
        got_in |= t == "attack.t1078" || t.rfind("attack.t1078.", 0) == 0 || t == "attack.initial-access" ||
                  t == "attack.initial_access";
    got_in &= !a.ent.user.empty();
    if ((a.rule.stg != stage::entry || got_in) && linkable(a.ent.host)) k.push_back("host:" + a.ent.host);
    return k;
}

}  // namespace

bool internal_address(std::string_view ip) {
    auto starts = [&](std::string_view p) { return ip.substr(0, p.size()) == p; };
    if (starts("10.") || starts("192.168.") || starts("127.") || starts("169.254.")) return true;
    if (starts("172.") || starts("100.")) {
        int second = 0;
        std::size_t i = ip.find('.') + 1;
        for (; i < ip.size() && ip[i] >= '0' && ip[i] <= '9'; ++i) second = second * 10 + (ip[i] - '0');
        return starts("172.") ? (second >= 16 && second <= 31) : (second >= 64 && second <= 127);
    }
    return starts("fc") || starts("fd") || starts("fe80:") || ip == "::1";
}

std::string alert_sentence(const alert& a, bool ja) {
    const std::string& tpl = ja ? a.rule.summary_ja : a.rule.summary_en;
    if (!tpl.empty()) return fill_template(tpl, a, ja);
    // Generic: rule title, how many, who, where.
    std::string s;
    if (ja) {
        s = (a.rule.title_ja.empty() ? a.rule.title : a.rule.title_ja) + "（" + with_commas(a.count) + "件";
        if (!a.ent.src_ip.empty()) s += "、送信元 " + a.ent.src_ip;
        if (!a.ent.user.empty()) s += "、ユーザー " + a.ent.user;
        if (!a.ent.host.empty()) s += "、ホスト " + a.ent.host;
        if (!a.ent.dst_ip.empty()) s += "、宛先 " + a.ent.dst_ip;
        s += "）";
    } else {
        s = a.rule.title + " (" + with_commas(a.count) + (a.count == 1 ? " event" : " events");
        if (!a.ent.src_ip.empty()) s += " from " + a.ent.src_ip;
        if (!a.ent.user.empty()) s += ", user " + a.ent.user;
        if (!a.ent.host.empty()) s += " on " + a.ent.host;
        if (!a.ent.dst_ip.empty()) s += " to " + a.ent.dst_ip;
        s += ")";
    }
    return s;
}

std::vector<incident> build_incidents(const std::vector<alert>& alerts, const incident_options& opts) {
    std::vector<std::size_t> eligible;
    for (std::size_t i = 0; i < alerts.size(); ++i)
        if (alerts[i].rule.lvl >= opts.min_level) eligible.push_back(i);
    dsu sets(alerts.size());
    // For every entity: its alerts in time order; consecutive ones close enough are linked.
    std::map<std::string, std::vector<std::size_t>> by_entity;
    for (std::size_t i : eligible)
        for (auto& k : link_keys(alerts[i])) by_entity[k].push_back(i);
    for (auto& [k, list] : by_entity) {
        std::sort(list.begin(), list.end(), [&](std::size_t a, std::size_t b) { return alerts[a].first < alerts[b].first; });
        timestamp_ns reach = k_no_time;
        std::size_t prev = list.front();
        for (std::size_t i : list) {
            if (reach != k_no_time && alerts[i].first <= reach + opts.window) sets.unite(prev, i);
            reach = reach == k_no_time ? alerts[i].last : std::max(reach, alerts[i].last);
            prev = i;
        }
    }
    std::map<std::size_t, std::vector<std::size_t>> groups;
    for (std::size_t i : eligible) groups[sets.find(i)].push_back(i);

    // One incident from a set of alerts: time span, stages, risk, title and story.
    auto make = [&](std::vector<std::size_t> members) {
        incident inc;
        std::sort(members.begin(), members.end(), [&](std::size_t a, std::size_t b) {
            const alert& x = alerts[a];
            const alert& y = alerts[b];
            if (x.rule.stg != y.rule.stg) return x.rule.stg < y.rule.stg;
            return x.first != y.first ? x.first < y.first : x.id < y.id;
        });
        inc.alerts = members;
        std::set<stage> stages;
        for (std::size_t i : members) {
            const alert& a = alerts[i];
            inc.first = inc.first == k_no_time ? a.first : std::min(inc.first, a.first);
            inc.last = inc.last == k_no_time ? a.last : std::max(inc.last, a.last);
            inc.max_level = std::max(inc.max_level, a.rule.lvl);
            if (a.rule.stg != stage::unknown) stages.insert(a.rule.stg);
        }
        inc.stages.assign(stages.begin(), stages.end());
        // Risk per entity: level weights, more for bigger alerts, halved every half-life before
        // the incident's last activity.
        // Several rules often see the same activity (a brute force is also a spray): an entity's
        // score is its strongest alert plus 30 % of the second and 10 % of the rest, not a sum.
        std::map<std::string, std::vector<double>> scores;
        for (std::size_t i : members) {
            const alert& a = alerts[i];
            const double age = static_cast<double>(inc.last - a.last);
            const double decay = std::pow(0.5, age / static_cast<double>(opts.half_life));
            const double score = level_weight(a.rule.lvl) *
                                 (1 + 0.25 * std::log10(static_cast<double>(std::max<std::uint64_t>(a.count, 1)))) * decay;
            for (const std::string* v : {&a.ent.src_ip, &a.ent.user, &a.ent.host, &a.ent.dst_ip, &a.ent.domain})
                if (linkable(*v)) scores[*v].push_back(score);
        }
        for (auto& [k, list] : scores) {
            std::sort(list.rbegin(), list.rend());
            double v = 0;
            for (std::size_t j = 0; j < list.size(); ++j) v += list[j] * (j == 0 ? 1.0 : j == 1 ? 0.3 : 0.1);
            inc.entity_risk.emplace_back(k, std::round(v * 10) / 10);
        }
        std::sort(inc.entity_risk.begin(), inc.entity_risk.end(),
                  [](const auto& a, const auto& b) { return a.second != b.second ? a.second > b.second : a.first < b.first; });
        const double top = inc.entity_risk.empty() ? level_weight(inc.max_level) : inc.entity_risk.front().second;
        const double chain = 1 + 0.25 * static_cast<double>(std::max<std::size_t>(inc.stages.size(), 1) - 1);
        inc.risk = std::min(100.0, std::round(top * chain));
        // Identity: hash of the first alert's id (stable for the same input).
        inc.id = "I-" + alerts[members.front()].id.substr(2);
        // Story.
        // Name the incident after the attacker when an entry alert knows one, else the entity at
        // the highest risk.
        // An Internet address wins over an internal one: a company PC that scans or spams is
        // a victim turned tool, not "the attacker".
        std::string attacker, insider;
        for (std::size_t i : members) {
            const std::string& src = alerts[i].ent.src_ip;
            if (alerts[i].rule.stg != stage::entry || src.empty()) continue;
            if (!internal_address(src)) {
                attacker = src;
                break;
            }
            if (insider.empty()) insider = src;
        }
        const std::string who = !attacker.empty() ? attacker
                                : !insider.empty() ? insider
                                : inc.entity_risk.empty() ? std::string() : inc.entity_risk.front().first;
        std::string path_en, path_ja;
        for (std::size_t k = 0; k < inc.stages.size(); ++k) {
            path_en += (k ? " → " : "") + std::string(stage_name(inc.stages[k]));
            path_ja += (k ? " → " : "") + std::string(stage_ja(inc.stages[k]));
        }
        inc.title_en = (!attacker.empty() ? "Attack from " + who
                        : !insider.empty() ? "Suspicious activity of the internal host " + who
                        : who.empty()     ? std::string("Activity")
                                          : "Activity involving " + who) +
                       (path_en.empty() ? "" : " (" + path_en + ")");
        inc.title_ja = (!attacker.empty() ? who + " からの攻撃"
                        : !insider.empty() ? "社内の端末 " + who + " の不審な動き"
                        : who.empty()     ? std::string("一連の活動")
                                          : who + " に関わる一連の活動") +
                       (path_ja.empty() ? "" : "（" + path_ja + "）");
        // One sentence per rule (the first alert of it tells the story; repeats are counted).
        std::vector<std::size_t> firsts;
        std::map<std::string, std::size_t> repeats;
        for (std::size_t i : members) {
            const std::string key = alerts[i].rule.id.empty() ? alerts[i].rule.title : alerts[i].rule.id;
            if (repeats[key]++ == 0) firsts.push_back(i);
        }
        const std::size_t k_max = 6;
        for (std::size_t k = 0; k < firsts.size() && k < k_max; ++k) {
            const alert& a = alerts[firsts[k]];
            std::string en = alert_sentence(a, false), ja = alert_sentence(a, true);
            const std::size_t n = repeats[a.rule.id.empty() ? a.rule.title : a.rule.id];
            if (n > 1) {
                en += " (" + std::to_string(n) + " times)";
                ja += "（" + std::to_string(n) + " 回）";
            }
            if (k == 0) {
                inc.summary_en = en;
                inc.summary_ja = ja;
            } else {
                inc.summary_en += "; then " + en;
                inc.summary_ja += "。その後、" + ja;
            }
        }
        if (firsts.size() > k_max) {
            inc.summary_en += "; and " + std::to_string(firsts.size() - k_max) + " more kind(s) of alert";
            inc.summary_ja += "。ほかに " + std::to_string(firsts.size() - k_max) + " 種類のアラートがあります";
        }
        if (!inc.summary_en.empty()) inc.summary_en += ".";
        if (!inc.summary_ja.empty()) inc.summary_ja += "。";
        return inc;
    };
    // Attempts from the Internet that got nowhere (every alert an `attempt: true` rule, every
    // source an Internet address) are the background of any server on the Internet: one digest
    // incident per UTC day instead of one incident per scanner, so the real ones stand out.
    auto background = [&](const std::vector<std::size_t>& members) {
        for (std::size_t i : members) {
            const alert& a = alerts[i];
            if (!a.rule.attempt || a.ent.src_ip.empty() || internal_address(a.ent.src_ip)) return false;
        }
        return true;
    };
    constexpr timestamp_ns k_day = 24LL * 3600 * 1'000'000'000;
    std::map<timestamp_ns, std::vector<std::size_t>> digests;
    std::vector<incident> out;
    for (auto& [root, members] : groups) {
        if (background(members)) {
            timestamp_ns first = k_no_time;
            for (std::size_t i : members) first = first == k_no_time ? alerts[i].first : std::min(first, alerts[i].first);
            auto& d = digests[first == k_no_time ? 0 : first - ((first % k_day) + k_day) % k_day];
            d.insert(d.end(), members.begin(), members.end());
            continue;
        }
        out.push_back(make(members));
    }
    for (auto& [day, members] : digests) {
        incident inc = make(members);
        std::set<std::string> sources;
        std::map<std::string, std::set<std::string>> by_rule_en, by_rule_ja;  // rule title → sources
        for (std::size_t i : members) {
            const alert& a = alerts[i];
            sources.insert(a.ent.src_ip);
            by_rule_en[a.rule.title].insert(a.ent.src_ip);
            by_rule_ja[a.rule.title_ja.empty() ? a.rule.title : a.rule.title_ja].insert(a.ent.src_ip);
        }
        auto kinds = [](const std::map<std::string, std::set<std::string>>& m, bool ja) {
            std::vector<std::pair<std::size_t, std::string>> v;
            for (const auto& [t, ips] : m) v.emplace_back(ips.size(), t);
            std::sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.first != y.first ? x.first > y.first : x.second < y.second; });
            std::string out;
            for (std::size_t k = 0; k < v.size(); ++k) {
                if (k) out += ja ? "、" : ", ";
                out += v[k].second + (ja ? "（" + std::to_string(v[k].first) + " 件）" : " (" + std::to_string(v[k].first) + ")");
            }
            return out;
        };
        const std::string n = with_commas(sources.size());
        inc.title_en = "Failed attempts from the Internet: " + n + (sources.size() == 1 ? " address" : " addresses");
        inc.title_ja = "インターネットからの失敗した攻撃の試み: 送信元 " + n + " 件";
        inc.summary_en = n + " Internet " + (sources.size() == 1 ? "address" : "addresses") + " tried to get in and failed: " +
                         kinds(by_rule_en, false) + ". None of them logged on or was seen doing anything further. This is the "
                         "background of any server on the Internet: nothing to investigate; block the most persistent at the firewall.";
        inc.summary_ja = "インターネット上の " + n + " 件の送信元から侵入の試みがありましたが、いずれも失敗しています: " +
                         kinds(by_rule_ja, true) + "。ログオンの成功やその後の活動は見られません。インターネットに公開したサーバーでは"
                         "日常的に起きることで、調査は不要です。しつこい送信元はファイアウォールで遮断してください。";
        inc.max_level = std::min(inc.max_level, level::low);
        inc.risk = std::min(inc.risk, 20.0);
        out.push_back(std::move(inc));
    }
    // Highest risk first; ties by time.
    std::sort(out.begin(), out.end(), [](const incident& a, const incident& b) {
        return a.risk != b.risk ? a.risk > b.risk : a.first < b.first;
    });
    return out;
}

// ---- output ------------------------------------------------------------------------------

namespace {
void kv_str(std::string& out, const char* key, std::string_view v, bool comma = true) {
    if (comma) out.push_back(',');
    append_json_string(out, key);
    out.push_back(':');
    append_json_string(out, v);
}
void kv_num(std::string& out, const char* key, double v) {
    out.push_back(',');
    append_json_string(out, key);
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, ":%lld", static_cast<long long>(v));
    else std::snprintf(buf, sizeof buf, ":%.6g", v);
    out += buf;
}
void kv_time(std::string& out, const char* key, timestamp_ns t) {
    if (t == k_no_time) return;
    kv_str(out, key, format_rfc3339(t));
}
}  // namespace

void write_alert_json(const alert& a, std::string& out) {
    out.push_back('{');
    kv_str(out, "id", a.id, false);
    out += ",\"rule\":{";
    kv_str(out, "id", a.rule.id, false);
    kv_str(out, "title", a.rule.title);
    kv_str(out, "level", level_name(a.rule.lvl));
    kv_str(out, "stage", stage_name(a.rule.stg));
    kv_str(out, "nist_csf", a.rule.nist_csf);
    out += ",\"tags\":[";
    for (std::size_t i = 0; i < a.rule.tags.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, a.rule.tags[i]);
    }
    out += "]}";
    out += ",\"entities\":{";
    bool first = true;
    auto ent = [&](const char* k, const std::string& v) {
        if (v.empty()) return;
        kv_str(out, k, v, !first);
        first = false;
    };
    ent("user.name", a.ent.user);
    ent("host.name", a.ent.host);
    ent("source.ip", a.ent.src_ip);
    ent("destination.ip", a.ent.dst_ip);
    ent("domain", a.ent.domain);
    out.push_back('}');
    kv_time(out, "first", a.first);
    kv_time(out, "last", a.last);
    kv_num(out, "count", static_cast<double>(a.count));
    kv_num(out, "signals", static_cast<double>(a.signals));
    kv_num(out, "suppressed", static_cast<double>(a.suppressed));
    if (a.value != 0) kv_num(out, "value", a.value);
    if (!a.samples.empty()) {
        out += ",\"samples\":[";
        for (std::size_t i = 0; i < a.samples.size(); ++i) {
            if (i) out.push_back(',');
            append_json_string(out, a.samples[i]);
        }
        out.push_back(']');
    }
    if (!a.details.empty()) {
        out += ",\"details\":{";
        for (std::size_t i = 0; i < a.details.size(); ++i) kv_str(out, a.details[i].first.c_str(), a.details[i].second, i != 0);
        out.push_back('}');
    }
    out += ",\"evidence\":[";
    for (std::size_t i = 0; i < a.evidence.size(); ++i) {
        const auto& e = a.evidence[i];
        if (i) out.push_back(',');
        out.push_back('{');
        kv_str(out, "file", e.file, false);
        if (e.line) kv_num(out, "line", static_cast<double>(e.line));
        else kv_num(out, "offset", static_cast<double>(e.offset));
        kv_time(out, "@timestamp", e.ts);
        out.push_back('}');
    }
    out.push_back(']');
    kv_str(out, "summary_en", alert_sentence(a, false));
    kv_str(out, "summary_ja", alert_sentence(a, true));
    if (!a.rule.description_en.empty()) kv_str(out, "description_en", a.rule.description_en);
    if (!a.rule.description_ja.empty()) kv_str(out, "description_ja", a.rule.description_ja);
    if (!a.rule.action_en.empty()) kv_str(out, "action_en", a.rule.action_en);
    if (!a.rule.action_ja.empty()) kv_str(out, "action_ja", a.rule.action_ja);
    out.push_back('}');
}

void write_incident_json(const incident& inc, const std::vector<alert>& alerts, std::string& out) {
    out.push_back('{');
    kv_str(out, "id", inc.id, false);
    kv_time(out, "first", inc.first);
    kv_time(out, "last", inc.last);
    kv_num(out, "risk", inc.risk);
    kv_str(out, "level", level_name(inc.max_level));
    out += ",\"stages\":[";
    for (std::size_t i = 0; i < inc.stages.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, stage_name(inc.stages[i]));
    }
    out += "],\"entities\":[";
    for (std::size_t i = 0; i < inc.entity_risk.size(); ++i) {
        if (i) out.push_back(',');
        out.push_back('{');
        kv_str(out, "value", inc.entity_risk[i].first, false);
        kv_num(out, "risk", inc.entity_risk[i].second);
        out.push_back('}');
    }
    out.push_back(']');
    kv_str(out, "title_en", inc.title_en);
    kv_str(out, "title_ja", inc.title_ja);
    kv_str(out, "summary_en", inc.summary_en);
    kv_str(out, "summary_ja", inc.summary_ja);
    out += ",\"alerts\":[";
    for (std::size_t i = 0; i < inc.alerts.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, alerts[inc.alerts[i]].id);
    }
    out += "]}";
}

void render_text(const std::vector<incident>& incidents, const std::vector<alert>& alerts, bool ja,
                 std::string& out) {
    char buf[512];
    // Whole seconds are enough to read; JSON keeps full precision.
    auto t = [](timestamp_ns ts) { return ts == k_no_time ? std::string("-") : format_rfc3339(ts - ts % 1'000'000'000); };
    // A rule's title in the reader's language (rules without a Japanese title keep the English).
    auto title_of = [ja](const alert& a) -> const std::string& {
        return ja && !a.rule.title_ja.empty() ? a.rule.title_ja : a.rule.title;
    };
    out += ja ? "インシデント (" : "Incidents (";
    out += std::to_string(incidents.size()) + ")\n";
    if (incidents.empty()) out += ja ? "  なし\n" : "  none\n";
    for (std::size_t n = 0; n < incidents.size(); ++n) {
        const incident& inc = incidents[n];
        std::snprintf(buf, sizeof buf, "\n#%zu  %s  %s %.0f (%s)  %s → %s\n", n + 1, inc.id.c_str(),
                      ja ? "リスク" : "risk", inc.risk,
                      ja ? std::string(level_ja(inc.max_level)).c_str() : std::string(level_name(inc.max_level)).c_str(),
                      t(inc.first).c_str(), t(inc.last).c_str());
        out += buf;
        out += "  " + (ja ? inc.title_ja : inc.title_en) + "\n";
        out += "  " + (ja ? inc.summary_ja : inc.summary_en) + "\n";
        std::set<std::string> actions;
        for (std::size_t k = 0; k < inc.alerts.size(); ++k) {
            const alert& a = alerts[inc.alerts[k]];
            std::snprintf(buf, sizeof buf, "    %zu. [%s] %-8s %s  (%s, %s)\n", k + 1,
                          ja ? std::string(stage_ja(a.rule.stg)).c_str() : std::string(stage_name(a.rule.stg)).c_str(),
                          ja ? std::string(level_ja(a.rule.lvl)).c_str() : std::string(level_name(a.rule.lvl)).c_str(),
                          title_of(a).c_str(), a.id.c_str(), t(a.first).c_str());
            out += buf;
            const std::string& act = ja ? a.rule.action_ja : a.rule.action_en;
            if (!act.empty()) actions.insert(act);
        }
        if (!actions.empty()) {
            out += ja ? "  推奨対応:\n" : "  What to do:\n";
            for (const auto& a : actions) out += "    - " + a + "\n";
        }
    }
    out += ja ? "\nアラート (" : "\nAlerts (";
    out += std::to_string(alerts.size()) + ")\n";
    if (alerts.empty()) {
        out += ja ? "  なし\n" : "  none\n";
        return;
    }
    std::snprintf(buf, sizeof buf, "  %-14s %-13s %-8s %-20s %8s  %s\n", "id", "level", "stage", "first", "count", "rule / entities");
    out += buf;
    for (const alert& a : alerts) {
        std::string ents;
        for (const auto* v : {&a.ent.src_ip, &a.ent.user, &a.ent.host, &a.ent.dst_ip, &a.ent.domain})
            if (!v->empty()) ents += (ents.empty() ? "" : " ") + *v;
        std::snprintf(buf, sizeof buf, "  %-14s %-13s %-8s %-20s %8s  %s  [%s]\n", a.id.c_str(),
                      std::string(level_name(a.rule.lvl)).c_str(), std::string(stage_name(a.rule.stg)).c_str(),
                      t(a.first).c_str(), with_commas(a.count).c_str(), title_of(a).c_str(), ents.c_str());
        out += buf;
    }
}

}  // namespace mimamori::alert
