// Reading reports out of the store. Every number is a query over stored rows; the stored
// incident and alert JSON (written by `scan --store` and the daemon) is read with SQLite's JSON
// functions.
#include <algorithm>
#include <set>

#include "report/report.hpp"
#include "store/schema.hpp"

namespace mimamori::report {

namespace {

using store::sql_value;

std::int64_t as_int(const sql_value& v) {
    if (std::holds_alternative<std::int64_t>(v)) return std::get<std::int64_t>(v);
    if (std::holds_alternative<double>(v)) return static_cast<std::int64_t>(std::get<double>(v));
    if (std::holds_alternative<std::string>(v)) {
        const auto& s = std::get<std::string>(v);
        std::int64_t x = 0;
        bool neg = !s.empty() && s[0] == '-';
        for (std::size_t i = neg ? 1 : 0; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) x = x * 10 + (s[i] - '0');
        return neg ? -x : x;
    }
    return 0;
}
std::uint64_t as_u(const sql_value& v) {
    auto x = as_int(v);
    return x < 0 ? 0 : static_cast<std::uint64_t>(x);
}
double as_double(const sql_value& v) {
    if (std::holds_alternative<double>(v)) return std::get<double>(v);
    return static_cast<double>(as_int(v));
}
std::string as_str(const sql_value& v) {
    if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
    if (std::holds_alternative<std::int64_t>(v)) return std::to_string(std::get<std::int64_t>(v));
    if (std::holds_alternative<double>(v)) return std::to_string(std::get<double>(v));
    return {};
}
bool is_null(const sql_value& v) { return std::holds_alternative<std::monostate>(v); }
// A list entry: a label and its count (and for top targets, what kind of thing it is).
labelled_count counted(std::string label, std::uint64_t n, std::string kind = {}) {
    labelled_count c;
    c.label = std::move(label);
    c.n = n;
    c.kind = std::move(kind);
    return c;
}
timestamp_ns as_time(const sql_value& v) { return is_null(v) ? k_no_time : as_int(v); }
timestamp_ns parse_time(const sql_value& v) {
    timestamp_ns t = k_no_time;
    if (std::holds_alternative<std::string>(v) && parse_rfc3339(std::get<std::string>(v), t)) return t;
    return k_no_time;
}

std::string placeholders(std::size_t n) {
    std::string s;
    for (std::size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
    return s.empty() ? "NULL" : s;
}

void add_unique(std::vector<std::string>& v, const std::string& x) {
    if (!x.empty() && std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

// "KAEDE\tanaka.k" and "tanaka.k@corp" are the account "tanaka.k" in logs that write it bare.
std::string bare_user(const std::string& u) {
    std::string s = u;
    if (auto p = s.rfind('\\'); p != std::string::npos) s = s.substr(p + 1);
    if (auto p = s.find('@'); p != std::string::npos) s = s.substr(0, p);
    return s;
}

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

result<std::vector<std::int64_t>> incident_ids(store::store& st) {
    auto q = st.select("SELECT id FROM incidents ORDER BY score DESC, first_ts, id", {});
    if (!q) return q.err();
    std::vector<std::int64_t> out;
    for (const auto& r : q.value().rows) out.push_back(as_int(r.values[0]));
    return out;
}

result<incident_report> load_incident(store::store& st, std::string_view id, const alert::rule_catalog* catalog) {
    incident_report r;
    const char* head =
        "SELECT id, first_ts, last_ts, status, score, json_extract(json,'$.id'), json_extract(json,'$.level'), "
        "json_extract(json,'$.title_en'), json_extract(json,'$.title_ja'), json_extract(json,'$.summary_en'), "
        "json_extract(json,'$.summary_ja'), json FROM incidents WHERE ";
    std::vector<sql_value> p;
    std::string sql = head;
    if (all_digits(id)) {
        sql += "id = ?";
        p.emplace_back(as_int(sql_value{std::string(id)}));
    } else {
        sql += "json_extract(json,'$.id') = ?";
        p.emplace_back(std::string(id));
    }
    auto q = st.select(sql, p);
    if (!q) return q.err();
    if (q.value().rows.empty())
        return error{"report.not_found", "no incident " + std::string(id) + " in the store (`mimamori report summary` lists them)"};
    const auto& v = q.value().rows[0].values;
    r.id = as_int(v[0]);
    r.first = as_time(v[1]);
    r.last = as_time(v[2]);
    r.status = as_str(v[3]);
    r.risk = as_double(v[4]);
    r.key = as_str(v[5]);
    r.level = as_str(v[6]);
    r.title_en = as_str(v[7]);
    r.title_ja = as_str(v[8]);
    r.summary_en = as_str(v[9]);
    r.summary_ja = as_str(v[10]);
    {
        std::vector<sql_value> pj{v[11]};
        auto sq = st.select("SELECT value FROM json_each(?, '$.stages')", pj);
        if (!sq) return sq.err();
        for (const auto& row : sq.value().rows) r.stages.push_back(as_str(row.values[0]));
    }

    // The alerts, with the rule texts stored beside them.
    std::vector<sql_value> pid{std::int64_t{r.id}};
    auto aq = st.select(
        "SELECT a.id, a.ts, a.rule_id, a.rule_name, a.level, a.event_ids, json_extract(a.json,'$.id'), "
        "json_extract(a.json,'$.rule.stage'), json_extract(a.json,'$.last'), json_extract(a.json,'$.count'), "
        "json_extract(a.json,'$.entities.\"user.name\"'), json_extract(a.json,'$.entities.\"host.name\"'), "
        "json_extract(a.json,'$.entities.\"source.ip\"'), json_extract(a.json,'$.entities.\"destination.ip\"'), "
        "json_extract(a.json,'$.entities.domain'), json_extract(a.json,'$.summary_en'), "
        "json_extract(a.json,'$.summary_ja'), json_extract(a.json,'$.description_en'), "
        "json_extract(a.json,'$.description_ja'), json_extract(a.json,'$.action_en'), "
        "json_extract(a.json,'$.action_ja'), json_extract(a.json,'$.title_ja') "
        "FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ? ORDER BY a.ts, a.id",
        pid);
    if (!aq) return aq.err();
    std::set<std::int64_t> cited;
    for (const auto& row : aq.value().rows) {
        const auto& a = row.values;
        alert_item it;
        it.id = as_int(a[0]);
        it.first = as_time(a[1]);
        it.rule_id = as_str(a[2]);
        it.title = as_str(a[3]);
        it.level = as_str(a[4]);
        std::string ids = as_str(a[5]);
        for (std::size_t i = 0; i < ids.size();) {
            std::size_t j = ids.find(',', i);
            if (j == std::string::npos) j = ids.size();
            auto x = as_int(sql_value{ids.substr(i, j - i)});
            if (x > 0) {
                it.event_ids.push_back(x);
                cited.insert(x);
            }
            i = j + 1;
        }
        it.key = as_str(a[6]);
        it.stage = as_str(a[7]);
        it.last = parse_time(a[8]);
        if (it.last == k_no_time) it.last = it.first;
        it.count = as_u(a[9]);
        it.user = as_str(a[10]);
        it.host = as_str(a[11]);
        it.src_ip = as_str(a[12]);
        it.dst_ip = as_str(a[13]);
        it.domain = as_str(a[14]);
        it.sentence_en = as_str(a[15]);
        it.sentence_ja = as_str(a[16]);
        it.description_en = as_str(a[17]);
        it.description_ja = as_str(a[18]);
        it.action_en = as_str(a[19]);
        it.action_ja = as_str(a[20]);
        it.title_ja = as_str(a[21]);
        if (catalog && (it.description_en.empty() || it.action_en.empty() || it.title_ja.empty())) {
            const alert::rule_info* ri = catalog->find(it.rule_id.empty() ? it.title : it.rule_id);
            if (!ri && !it.rule_id.empty()) ri = catalog->find(it.title);
            if (ri) {
                auto fill = [](std::string& slot, const std::string& v) {
                    if (slot.empty()) slot = v;
                };
                fill(it.description_en, ri->description_en);
                fill(it.description_ja, ri->description_ja);
                fill(it.action_en, ri->action_en);
                fill(it.action_ja, ri->action_ja);
                fill(it.title_ja, ri->title_ja);
            }
        }
        r.detections += it.count;
        add_unique(r.accounts, it.user);
        add_unique(r.hosts, it.host);
        add_unique(r.sources, it.src_ip);
        add_unique(r.destinations, it.dst_ip);
        add_unique(r.domains, it.domain);
        r.alerts.push_back(std::move(it));
    }

    // Related events: in the incident's span, from or to one of its addresses, or by one of its
    // accounts (as written, and bare).
    std::vector<std::string> ips, users;
    for (const auto& x : r.sources) add_unique(ips, x);
    for (const auto& x : r.destinations) add_unique(ips, x);
    for (const auto& x : r.accounts) {
        add_unique(users, x);
        add_unique(users, bare_user(x));
    }
    if (r.first != k_no_time && (!ips.empty() || !users.empty())) {
        std::string rel = "WITH rel AS (SELECT id, source_type, event_outcome, event_category, event_action FROM events WHERE ts >= ? AND ts <= ? AND " +
                          store::every_partition("id") + " AND (source_ip IN (" +
                          placeholders(ips.size()) + ") OR destination_ip IN (" + placeholders(ips.size()) +
                          ") OR user_name IN (" + placeholders(users.size()) + "))) ";
        std::vector<sql_value> rp{std::int64_t{r.first}, std::int64_t{r.last == k_no_time ? r.first : r.last}};
        for (int k = 0; k < 2; ++k)
            for (const auto& x : ips) rp.emplace_back(x);
        for (const auto& x : users) rp.emplace_back(x);
        auto bq = st.select(rel + "SELECT source_type, count(*), "
                                  "sum(event_outcome = 'failure' AND event_category LIKE '%authentication%'), "
                                  "sum(event_outcome = 'success' AND event_category LIKE '%authentication%'), "
                                  "sum(event_action IN ('deny', 'denied', 'drop', 'dropped', 'block', 'blocked', 'reject', "
                                  "'rejected', 'smtp_reject')) "
                                  "FROM rel GROUP BY source_type ORDER BY 2 DESC, 1",
                            rp);
        if (!bq) return bq.err();
        for (const auto& row : bq.value().rows) {
            labelled_count c = counted(as_str(row.values[0]), as_u(row.values[1]));
            r.related_events += c.n;
            r.failed_logons += as_u(row.values[2]);
            r.successful_logons += as_u(row.values[3]);
            r.blocked_events += as_u(row.values[4]);
            r.events_by_source.push_back(std::move(c));
        }
        auto yq = st.select(rel + "SELECT sum(CAST(json_extract(d.fields,'$.\"source.bytes\"') AS INTEGER)), "
                                  "sum(CAST(json_extract(d.fields,'$.\"destination.bytes\"') AS INTEGER)), "
                                  "sum(CAST(json_extract(d.fields,'$.\"http.response.body.bytes\"') AS INTEGER)) "
                                  "FROM rel JOIN event_docs d ON d.id = rel.id",
                            rp);
        if (!yq) return yq.err();
        if (!yq.value().rows.empty()) {
            const auto& y = yq.value().rows[0].values;
            r.bytes_sent = as_u(y[0]);
            r.bytes_received = as_u(y[1]) + as_u(y[2]);
        }
        auto fq = st.select(rel + "SELECT p, count(*) FROM (SELECT json_extract(d.fields,'$.\"file.path\"') AS p "
                                  "FROM rel JOIN event_docs d ON d.id = rel.id) WHERE p IS NOT NULL AND p != '' "
                                  "GROUP BY p ORDER BY 2 DESC, 1",
                            rp);
        if (!fq) return fq.err();
        r.files_total = fq.value().rows.size();
        for (const auto& row : fq.value().rows) {
            if (r.files.size() >= 30) break;
            r.files.push_back(counted(as_str(row.values[0]), as_u(row.values[1])));
        }
    }

    // The cited events.
    r.evidence_records = cited.size();
    if (!cited.empty()) {
        std::vector<sql_value> ep;
        for (auto x : cited) ep.emplace_back(std::int64_t{x});
        auto eq = st.select("SELECT e.id, e.ts, e.source_type, d.file, d.line, d.offset, d.raw, "
                            "json_extract(d.fields,'$.\"event.code\"'), json_extract(d.fields,'$.\"event.action\"'), "
                            "json_extract(d.fields,'$.\"user.name\"'), json_extract(d.fields,'$.\"host.name\"'), "
                            "json_extract(d.fields,'$.\"source.ip\"'), json_extract(d.fields,'$.\"destination.ip\"'), "
                            "json_extract(d.fields,'$.\"file.path\"'), json_extract(d.fields,'$.\"process.command_line\"') "
                            "FROM events e "
                            "JOIN event_docs d ON d.id = e.id WHERE e.id IN (" + placeholders(ep.size()) +
                                ") ORDER BY e.ts, e.id LIMIT 60",
                            ep);
        if (!eq) return eq.err();
        for (const auto& row : eq.value().rows) {
            evidence_item e;
            e.event_id = as_int(row.values[0]);
            e.ts = as_time(row.values[1]);
            e.source_type = as_str(row.values[2]);
            e.file = as_str(row.values[3]);
            e.line = as_u(row.values[4]);
            e.offset = as_u(row.values[5]);
            e.raw = as_str(row.values[6]);
            if (!e.raw.empty() && e.raw[0] == '{') {
                static const char* const k_names[] = {"event.code", "event.action", "user.name", "host.name",
                                                      "source.ip", "destination.ip", "file.path", "process.command_line"};
                for (std::size_t k = 0; k < 8; ++k) {
                    std::string v = as_str(row.values[7 + k]);
                    if (v.empty()) continue;
                    if (!e.gist.empty()) e.gist += "  ";
                    e.gist += std::string(k_names[k]) + "=" + v;
                }
            }
            for (const auto& a : r.alerts)
                if (std::find(a.event_ids.begin(), a.event_ids.end(), e.event_id) != a.event_ids.end()) {
                    e.alert_id = a.id;
                    break;
                }
            r.evidence.push_back(std::move(e));
        }
    }
    return r;
}

result<summary_report> load_summary(store::store& st, const summary_options& o, const time_zone& zone) {
    summary_report r;
    r.silent_after = o.silent_after;
    r.from = o.from;
    r.to = o.to;
    if (r.from == k_no_time || r.to == k_no_time) {
        auto q = st.select(store::stored_time_span_sql(), {});
        if (!q) return q.err();
        const auto& v = q.value().rows.at(0).values;
        // An empty store keeps "no time": every query below then finds nothing.
        if (r.from == k_no_time && !is_null(v[0])) r.from = as_int(v[0]);
        if (r.to == k_no_time && !is_null(v[1])) r.to = as_int(v[1]) + 1;
    }
    const std::vector<sql_value> span{std::int64_t{r.from}, std::int64_t{r.to}};
    const auto top = static_cast<std::int64_t>(o.top);
    const std::vector<sql_value> span_top{std::int64_t{r.from}, std::int64_t{r.to}, top};

    // The time index is partitioned: the partitions are named so that SQLite can seek it.
    const std::string in_partitions = " AND " + store::every_partition("id");
    auto sq = st.select("SELECT source_type, min(ts), max(ts), count(*), count(DISTINCT ts / 86400000000000) FROM events "
                        "WHERE ts >= ? AND ts < ?" + in_partitions + " GROUP BY source_type ORDER BY 4 DESC, 1",
                        span);
    if (!sq) return sq.err();
    timestamp_ns newest = k_no_time;
    for (const auto& row : sq.value().rows) {
        source_seen s{as_str(row.values[0]), as_time(row.values[1]), as_time(row.values[2]), as_u(row.values[3]),
                      as_u(row.values[4])};
        r.events += s.events;
        r.events_by_source.push_back(counted(s.source_type, s.events));
        if (s.last != k_no_time && (newest == k_no_time || s.last > newest)) newest = s.last;
        r.sources.push_back(std::move(s));
    }
    for (auto& s : r.sources) {
        if (newest == k_no_time || s.last == k_no_time || newest - s.last <= o.silent_after) continue;
        const auto span_days = static_cast<std::uint64_t>((s.last - s.first) / (86400 * k_ns_per_sec)) + 1;
        s.occasional = s.active_days < 3 || 2 * s.active_days < span_days;
        s.silent = !s.occasional;
    }

    // Failed logons per hour, folded into the zone's days; every day of the period is listed.
    auto fq = st.select("SELECT ts / 3600000000000, count(*) FROM events WHERE ts >= ? AND ts < ?" + in_partitions +
                        " AND event_outcome = 'failure' AND event_category LIKE '%authentication%' GROUP BY 1",
                        span);
    if (!fq) return fq.err();
    auto day_of = [&](timestamp_ns ts) {
        std::int64_t s = ts / k_ns_per_sec;
        s += zone.offset_at_utc(s);
        auto c = civil_from_seconds(s);
        char b[16];
        std::snprintf(b, sizeof b, "%04d-%02u-%02u", c.year, c.month, c.day);
        return std::string(b);
    };
    std::map<std::string, std::uint64_t> by_day;
    if (r.from != k_no_time && r.to != k_no_time && r.to > r.from) {
        std::int64_t days = (r.to - r.from) / (86400 * k_ns_per_sec) + 2;
        if (days <= 400) {
            for (timestamp_ns t = r.from; t < r.to; t += 3600 * k_ns_per_sec) by_day.emplace(day_of(t), 0);
            by_day.emplace(day_of(r.to - 1), 0);
        }
    }
    for (const auto& row : fq.value().rows) {
        std::uint64_t n = as_u(row.values[1]);
        by_day[day_of(as_int(row.values[0]) * 3600 * k_ns_per_sec)] += n;
        r.failed_logons += n;
    }
    for (const auto& [d, n] : by_day) r.failed_by_day.push_back({d, n});

    auto aq = st.select("SELECT level, ifnull(json_extract(json,'$.rule.stage'),'unknown'), count(*) FROM alerts "
                        "WHERE ts >= ? AND ts < ? GROUP BY 1, 2",
                        span);
    if (!aq) return aq.err();
    for (const auto& row : aq.value().rows) {
        std::uint64_t n = as_u(row.values[2]);
        r.alerts += n;
        r.alerts_by_level[as_str(row.values[0])] += n;
        r.stage_level[as_str(row.values[1])][as_str(row.values[0])] += n;
    }
    auto tq = st.select("SELECT s, count(*) FROM (SELECT json_extract(json,'$.entities.\"source.ip\"') AS s FROM alerts "
                        "WHERE ts >= ? AND ts < ?) WHERE s IS NOT NULL GROUP BY s ORDER BY 2 DESC, 1 LIMIT ?",
                        span_top);
    if (!tq) return tq.err();
    for (const auto& row : tq.value().rows) r.top_sources.push_back(counted(as_str(row.values[0]), as_u(row.values[1])));
    auto gq = st.select(
        "SELECT k, t, count(*) FROM ("
        "SELECT 'user' AS k, json_extract(json,'$.entities.\"user.name\"') AS t FROM alerts WHERE ts >= ?1 AND ts < ?2 "
        "UNION ALL SELECT 'host', json_extract(json,'$.entities.\"host.name\"') FROM alerts WHERE ts >= ?1 AND ts < ?2 "
        "UNION ALL SELECT 'address', json_extract(json,'$.entities.\"destination.ip\"') FROM alerts WHERE ts >= ?1 AND ts < ?2"
        ") WHERE t IS NOT NULL GROUP BY k, t ORDER BY 3 DESC, 2 LIMIT ?3",
        span_top);
    if (!gq) return gq.err();
    for (const auto& row : gq.value().rows)
        r.top_targets.push_back(counted(as_str(row.values[1]), as_u(row.values[2]), as_str(row.values[0])));
    auto nq = st.select("SELECT rule_name, count(*), sum(ifnull(json_extract(json,'$.count'),0)), "
                        "max(json_extract(json,'$.title_ja')) FROM alerts "
                        "WHERE ts >= ? AND ts < ? GROUP BY rule_name ORDER BY 2 DESC, 1 LIMIT ?",
                        span_top);
    if (!nq) return nq.err();
    for (const auto& row : nq.value().rows)
        r.noisy_rules.push_back({as_str(row.values[0]), as_u(row.values[1]), as_u(row.values[2]), {}, as_str(row.values[3])});

    auto iq = st.select(
        "SELECT i.id, json_extract(i.json,'$.id'), json_extract(i.json,'$.level'), json_extract(i.json,'$.title_en'), "
        "json_extract(i.json,'$.title_ja'), i.score, i.first_ts, i.last_ts, "
        "(SELECT count(*) FROM incident_alerts ia WHERE ia.incident_id = i.id) "
        "FROM incidents i WHERE i.last_ts >= ? AND i.first_ts < ? ORDER BY i.score DESC, i.first_ts, i.id",
        span);
    if (!iq) return iq.err();
    for (const auto& row : iq.value().rows) {
        const auto& v = row.values;
        incident_line l;
        l.id = as_int(v[0]);
        l.key = as_str(v[1]);
        l.level = as_str(v[2]);
        l.title_en = as_str(v[3]);
        l.title_ja = as_str(v[4]);
        l.risk = as_double(v[5]);
        l.first = as_time(v[6]);
        l.last = as_time(v[7]);
        l.alerts = as_u(v[8]);
        r.incident_list.push_back(std::move(l));
    }
    r.incidents = r.incident_list.size();
    return r;
}

}  // namespace mimamori::report
