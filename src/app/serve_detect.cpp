#include "app/serve_detect.hpp"

#include <cstdio>

#include "detect/alert.hpp"
#include "detect/ruleset/engine.hpp"

namespace mimamori::app {

namespace {

// The Sigma ruleset on live batches: every (rule, event) match becomes a stored alert.
// Correlation, intel, deduplication and incidents are the alert pipeline's job (issue 5).
class sigma_stage final : public server::detect_stage {
public:
    explicit sigma_stage(detect::engine_options opts) : m_opts(std::move(opts)) {}

    status load() {
        auto e = detect::load_engine(m_opts);
        if (!e) return e.err();
        if (!e.value()->rules) return error{"detect", "no ruleset was compiled"};
        auto scratch = e.value()->rules->make_scratch();
        if (!e.value()->loaded.rejected.empty())
            std::fprintf(stderr, "mimamori serve: %zu rule document(s) could not be loaded; `mimamori rules check` says why\n",
                         e.value()->loaded.rejected.size());
        std::fprintf(stderr, "mimamori serve: %zu detection rule(s) loaded\n", e.value()->rules->rules().size());
        m_engine = std::move(e.value());
        m_scratch = std::move(scratch);
        return {};
    }

    void process(const event_batch& batch, std::vector<store::alert_row>& alerts) override {
        m_matches.clear();
        m_engine->rules->match(batch, *m_scratch, m_matches);
        for (const auto& m : m_matches) {
            auto a = detect::make_alert(*m_engine->rules, m, batch);
            store::alert_row row;
            row.ts = a.ts;
            row.rule_id = a.rule_id;
            row.rule_name = a.title;
            row.level = a.level;
            // The event is stored beside the alert (event_ids): do not store it twice.
            a.event_json.clear();
            detect::write_alert_json(a, row.json);
            row.event_indexes.push_back(m.event);
            alerts.push_back(std::move(row));
        }
    }

    status reload() override {
        // Build the new ruleset fully before replacing the old: a broken edit keeps the old rules.
        auto old_engine = std::move(m_engine);
        auto old_scratch = std::move(m_scratch);
        if (auto st = load(); !st) {
            m_engine = std::move(old_engine);
            m_scratch = std::move(old_scratch);
            return st;
        }
        return {};
    }

private:
    detect::engine_options m_opts;
    std::unique_ptr<detect::engine> m_engine;
    std::unique_ptr<detect::ruleset::scratch> m_scratch;
    std::vector<detect::rule_match> m_matches;
};

}  // namespace

result<std::unique_ptr<server::detect_stage>> make_serve_detect(const server::config& cfg) {
    if (!cfg.detect.enabled) return std::unique_ptr<server::detect_stage>();
    detect::engine_options eo;
    eo.rule_paths = cfg.detect.rules;
    eo.builtin = cfg.detect.builtin;
    auto s = std::make_unique<sigma_stage>(eo);
    if (auto st = s->load(); !st) return error{"detect", "rules: " + st.err().message};
    return std::unique_ptr<server::detect_stage>(std::move(s));
}

}  // namespace mimamori::app
