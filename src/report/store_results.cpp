#include "report/store_results.hpp"

#include <algorithm>

namespace mimamori::report {

void evidence_index::add_batch(const event_batch& b, std::int64_t first_event_id) {
    std::string_view last_file;
    std::vector<run>* runs = nullptr;
    std::int64_t id = first_event_id;
    for (const auto& e : b.events()) {
        const std::int64_t this_id = id++;
        if (e.file.empty()) continue;
        if (!runs || e.file != last_file) {
            runs = &m_files[std::string(e.file)];
            last_file = e.file;
        }
        const bool by_line = e.line != 0;
        const std::uint64_t key = by_line ? e.line : e.offset;
        if (!runs->empty()) {
            run& r = runs->back();
            if (r.by_line == by_line && r.key + r.n == key && r.id + r.n == this_id && r.n < UINT32_MAX) {
                ++r.n;
                continue;
            }
            if (key < r.key) m_sorted = false;
        }
        runs->push_back(run{key, this_id, 1, by_line});
    }
}

std::int64_t evidence_index::find(std::string_view file, std::uint64_t line, std::uint64_t offset) const {
    if (!m_sorted) {
        for (auto& [name, runs] : m_files)
            std::stable_sort(runs.begin(), runs.end(), [](const run& x, const run& y) { return x.key < y.key; });
        m_sorted = true;
    }
    auto it = m_files.find(std::string(file));
    if (it == m_files.end()) return 0;
    const bool by_line = line != 0;
    const std::uint64_t key = by_line ? line : offset;
    const auto& runs = it->second;
    // The last run starting at or before key; runs of the other kind (line vs offset) are skipped.
    auto ub = std::upper_bound(runs.begin(), runs.end(), key, [](std::uint64_t k, const run& r) { return k < r.key; });
    while (ub != runs.begin()) {
        --ub;
        if (ub->by_line != by_line) continue;
        if (key < ub->key + ub->n) return ub->id + static_cast<std::int64_t>(key - ub->key);
        break;
    }
    return 0;
}

std::size_t evidence_index::runs() const {
    std::size_t n = 0;
    for (const auto& [name, r] : m_files) n += r.size();
    return n;
}

namespace {

void member(std::string& out, const char* key, const std::string& value) {
    if (value.empty()) return;
    out += ",\"";
    out += key;
    out += "\":";
    append_json_string(out, value);
}

}  // namespace

std::string stored_alert_json(const alert::alert& a) {
    std::string j;
    alert::write_alert_json(a, j);
    if (j.empty() || j.back() != '}') return j;
    j.pop_back();
    member(j, "rule_name", a.rule.name);
    member(j, "title_ja", a.rule.title_ja);
    member(j, "description_en", a.rule.description_en);
    member(j, "description_ja", a.rule.description_ja);
    member(j, "action_en", a.rule.action_en);
    member(j, "action_ja", a.rule.action_ja);
    j.push_back('}');
    return j;
}

result<stored_counts> store_results(store::store& st, const std::vector<alert::alert>& alerts,
                                    const std::vector<alert::incident>& incidents, const evidence_index& index) {
    stored_counts counts;
    std::vector<store::late_alert_row> rows;
    rows.reserve(alerts.size());
    for (const auto& a : alerts) {
        store::late_alert_row r;
        r.row.ts = a.first;
        r.row.rule_id = a.rule.id;
        r.row.rule_name = a.rule.title;
        r.row.level = std::string(alert::level_name(a.rule.lvl));
        r.row.json = stored_alert_json(a);
        for (const auto& ev : a.evidence) {
            std::int64_t id = index.find(ev.file, ev.line, ev.offset);
            if (id == 0) {
                ++counts.evidence_missing;
                continue;
            }
            ++counts.evidence_linked;
            if (std::find(r.event_ids.begin(), r.event_ids.end(), id) == r.event_ids.end()) r.event_ids.push_back(id);
        }
        rows.push_back(std::move(r));
    }
    std::vector<std::int64_t> alert_ids;
    if (!rows.empty()) {
        auto ids = st.put_alerts(rows);
        if (!ids) return ids.err();
        alert_ids = std::move(ids.value());
    }
    counts.alerts = alert_ids.size();
    std::vector<store::incident_row> inc_rows;
    inc_rows.reserve(incidents.size());
    for (const auto& inc : incidents) {
        store::incident_row r;
        r.first_ts = inc.first;
        r.last_ts = inc.last;
        r.score = inc.risk;
        r.title = inc.title_en;
        alert::write_incident_json(inc, alerts, r.json);
        for (auto ix : inc.alerts)
            if (ix < alert_ids.size()) r.alert_ids.push_back(alert_ids[ix]);
        inc_rows.push_back(std::move(r));
    }
    if (!inc_rows.empty()) {
        auto ids = st.put_incidents(inc_rows);
        if (!ids) return ids.err();
        counts.incidents = ids.value().size();
    }
    return counts;
}

}  // namespace mimamori::report
