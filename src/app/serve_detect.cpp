#include "app/serve_detect.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <set>

#include "alert/alert.hpp"
#include "alert/pipeline.hpp"
#include "detect/ruleset/engine.hpp"
#include "detect/ruleset/logsource.hpp"

namespace mimamori::app {

namespace {

// Evidence event ids stored with one alert row: enough to find the events, bounded so that a
// rule matching every event of a batch does not write a list as long as the batch.
constexpr std::size_t k_max_evidence_per_row = 64;

// Alerts and incidents are held in memory while they can still grow: an incident whose last
// alert is this much older than the newest event is finished and forgotten (it stays stored).
// Longer than the incident window (24 h) and the dedup window (1 h).
constexpr timestamp_ns k_keep_ns = 48LL * 3600 * 1'000'000'000;
constexpr timestamp_ns k_hour_ns = 3600LL * 1'000'000'000;

// The full detection pipeline on live batches: the Sigma ruleset, then correlation, threat
// intelligence, alert aggregation and incidents (alert::pipeline, as `mimamori scan` runs it).
// An alert that grows is stored again, with its current state, in every batch that grew it,
// with that batch's evidence events; incidents are rebuilt from the alerts when asked and the
// changed ones handed to the store.
class live_stage final : public server::detect_stage {
public:
    explicit live_stage(server::detect_config cfg) : m_cfg(std::move(cfg)) {}

    status load() {
        detect::engine_options eo;
        eo.rule_paths = m_cfg.rules;
        eo.builtin = m_cfg.builtin;
        std::unique_ptr<detect::engine> eng;
        std::unique_ptr<detect::ruleset::scratch> scratch;
        if (eo.builtin || !eo.rule_paths.empty()) {
            auto e = detect::load_engine(eo);
            if (!e) return e.err();
            if (!e.value()->rules) return error{"detect", "no ruleset was compiled"};
            scratch = e.value()->rules->make_scratch();
            if (!e.value()->loaded.rejected.empty())
                std::fprintf(stderr, "mimamori serve: %zu rule document(s) could not be loaded; `mimamori rules check` says why\n",
                             e.value()->loaded.rejected.size());
            std::fprintf(stderr, "mimamori serve: %zu detection rule(s) loaded\n", e.value()->rules->rules().size());
            eng = std::move(e.value());
        }
        alert::pipeline_options po;
        const std::string data = detect::default_data_dir();
        if (m_cfg.builtin) po.rule_paths.push_back(data + "/rules");
        for (const auto& r : m_cfg.rules) po.rule_paths.push_back(r);
        po.metadata_paths.push_back(data + "/mappings/alert/builtin.yml");
        for (const auto& i : m_cfg.intel) po.intel.push_back(intel::source{i, "", intel::list_format::automatic});
        // Live input arrives roughly in time order: correlations process matches on arrival.
        auto p = alert::pipeline::create(po);
        if (!p) return p.err();
        if (eng) {
            std::vector<alert::base_rule> base;
            for (const auto& r : eng->rules->rules())
                base.push_back({r.doc->id, r.doc->name, r.doc->title, r.doc->level, r.doc->tags});
            p.value()->set_base_rules(std::move(base));
        }
        for (const auto& pr : p.value()->stats().problems) std::fprintf(stderr, "mimamori serve: %s\n", pr.c_str());
        std::fprintf(stderr, "mimamori serve: %zu correlation rule(s), %zu indicator(s)\n", p.value()->stats().correlations,
                     p.value()->stats().indicators);
        m_engine = std::move(eng);
        m_scratch = std::move(scratch);
        m_pipe = std::move(p.value());
        return {};
    }

    void process(const event_batch& batch, std::vector<store::alert_row>& alerts) override {
        for (const auto& e : batch.events()) m_newest = std::max(m_newest, e.ts);
        forget_finished();
        m_pairs.clear();
        if (m_engine) {
            m_matches.clear();
            m_engine->rules->match(batch, *m_scratch, m_matches);
            for (const auto& m : m_matches) m_pairs.emplace_back(m.rule, m.event);
        }
        m_touched.clear();
        m_pipe->on_batch(batch, m_pairs, &m_touched);
        if (!batch.empty()) m_state_dirty = true;
        if (m_touched.empty()) return;
        m_incidents_dirty = true;
        // One row per alert this batch made or grew, its evidence the batch's events.
        std::stable_sort(m_touched.begin(), m_touched.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        const auto& all = m_pipe->live_alerts();
        for (std::size_t i = 0; i < m_touched.size();) {
            const std::size_t idx = m_touched[i].first;
            const alert::alert& a = all[idx];
            store::alert_row row;
            row.ts = a.last;
            row.rule_id = a.rule.id;
            row.rule_name = a.rule.title;
            row.level = std::string(alert::level_name(a.rule.lvl));
            alert::write_alert_json(a, row.json);
            for (; i < m_touched.size() && m_touched[i].first == idx; ++i) {
                const std::uint32_t ev = m_touched[i].second;
                if (ev == alert::pipeline::k_no_event || row.event_indexes.size() >= k_max_evidence_per_row) continue;
                if (row.event_indexes.empty() || row.event_indexes.back() != ev) row.event_indexes.push_back(ev);
            }
            alerts.push_back(std::move(row));
        }
    }

    bool incidents(std::vector<store::live_incident>& changed, std::vector<std::string>& removed) override {
        if (!m_incidents_dirty) return false;
        m_incidents_dirty = false;
        const auto& all = m_pipe->live_alerts();
        auto incs = m_pipe->live_incidents();
        std::map<std::string, std::string> now;  // key → JSON
        for (const auto& inc : incs) {
            store::live_incident li;
            li.key = inc.id;
            li.row.first_ts = inc.first;
            li.row.last_ts = inc.last;
            li.row.score = inc.risk;
            li.row.title = inc.title_en;
            alert::write_incident_json(inc, all, li.row.json);
            for (std::size_t ai : inc.alerts) li.alert_keys.push_back(all[ai].id);
            auto it = m_written.find(li.key);
            if (it == m_written.end() || it->second != li.row.json) changed.push_back(li);
            now.emplace(li.key, li.row.json);
        }
        for (const auto& [k, v] : m_written)
            if (!now.count(k)) removed.push_back(k);
        m_written = std::move(now);
        return !changed.empty() || !removed.empty();
    }

    std::string save_state() override {
        if (!m_state_dirty) return {};
        m_state_dirty = false;
        return m_pipe->save_state();
    }

    status restore_state(const std::string& blob) override { return m_pipe->restore_state(blob); }

    status reload() override {
        // Build the new rules fully before replacing the old: a broken edit keeps the old ones.
        // The correlation windows carry over through the saved state.
        std::string state = m_pipe ? m_pipe->save_state() : std::string();
        auto old_engine = std::move(m_engine);
        auto old_scratch = std::move(m_scratch);
        auto old_pipe = std::move(m_pipe);
        if (auto st = load(); !st) {
            m_engine = std::move(old_engine);
            m_scratch = std::move(old_scratch);
            m_pipe = std::move(old_pipe);
            return st;
        }
        (void)m_pipe->restore_state(state);
        // Alerts start again after a reload; incidents already stored stay as they are.
        m_written.clear();
        return {};
    }

private:
    // Forget finished incidents and old alerts, at most once per hour of event time. Event time
    // is capped at the clock: a sender with a clock far ahead must not make live alerts look old.
    void forget_finished() {
        if (m_newest == k_no_time) return;
        const timestamp_ns wall = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch()).count();
        const timestamp_ns now = std::min(m_newest, wall + k_hour_ns);
        if (m_last_forget != k_no_time && now - m_last_forget < k_hour_ns) return;
        // Only once the incidents as they are now were handed to the store: what is forgotten
        // must have been stored in its final state.
        if (m_incidents_dirty) return;
        m_last_forget = now;
        if (m_pipe->live_alerts().empty()) return;
        const std::size_t before = m_pipe->live_alerts().size();
        const auto gone = m_pipe->live_forget_before(now - k_keep_ns);
        for (const auto& key : gone) m_written.erase(key);
        if (before != m_pipe->live_alerts().size())
            std::fprintf(stderr, "mimamori serve: forgot %zu finished incident(s) and %zu alert(s) held in memory (they stay stored)\n",
                         gone.size(), before - m_pipe->live_alerts().size());
    }

    server::detect_config m_cfg;
    std::unique_ptr<detect::engine> m_engine;
    std::unique_ptr<detect::ruleset::scratch> m_scratch;
    std::unique_ptr<alert::pipeline> m_pipe;
    std::vector<detect::rule_match> m_matches;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> m_pairs;
    std::vector<alert::pipeline::touch> m_touched;
    std::map<std::string, std::string> m_written;  // incident key → JSON last handed to the store
    bool m_incidents_dirty = false, m_state_dirty = false;
    timestamp_ns m_newest = k_no_time, m_last_forget = k_no_time;
};

}  // namespace

result<std::unique_ptr<server::detect_stage>> make_serve_detect(const server::config& cfg) {
    if (!cfg.detect.enabled) return std::unique_ptr<server::detect_stage>();
    if (!cfg.detect.builtin && cfg.detect.rules.empty() && cfg.detect.intel.empty())
        return std::unique_ptr<server::detect_stage>();
    auto s = std::make_unique<live_stage>(cfg.detect);
    if (auto st = s->load(); !st) return error{"detect", "rules: " + st.err().message};
    return std::unique_ptr<server::detect_stage>(std::move(s));
}

}  // namespace mimamori::app
