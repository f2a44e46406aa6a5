#pragma once
/// Everything after the single-event rules, in one object: base-rule matches and threat
/// intelligence become findings; matches of rules that correlations reference feed the
/// correlation engine, whose hits become findings too; findings become alerts (dedup,
/// suppression) and alerts become incidents. `mimamori scan` drives it batch by batch.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "alert/alert.hpp"
#include "core/event.hpp"
#include "core/result.hpp"
#include "detect/correlate/engine.hpp"
#include "detect/intel/intel.hpp"

namespace mimamori::alert {

struct pipeline_options {
    /// Rule files and folders: correlation documents are read from them, and the catalog (stage,
    /// NIST CSF, ja/en texts) from every document in them.
    std::vector<std::string> rule_paths;
    /// Extra metadata files (the built-in detectors' texts, e.g. mappings/alert/builtin.yml).
    std::vector<std::string> metadata_paths;
    std::vector<intel::source> intel;
    std::string alert_config;  ///< suppressions and windows (YAML); empty = defaults
    std::string state_file;    ///< correlation state: restored at start when present, saved at finish
    correlate::options corr;
    aggregator_options agg;
    incident_options inc;
};

/// A Sigma rule as the ruleset knows it (index-aligned with the ruleset's rules).
struct base_rule {
    std::string id, name, title, level;
    std::vector<std::string> tags;
};

struct pipeline_stats {
    std::uint64_t base_matches = 0, intel_hits = 0, correlation_hits = 0, findings = 0;
    std::size_t correlations = 0, indicators = 0;
    std::vector<std::string> problems;  ///< correlation documents rejected, state not restored, …
    correlate::engine_stats corr;
};

class pipeline {
public:
    static result<std::unique_ptr<pipeline>> create(pipeline_options opts);
    ~pipeline();

    void set_base_rules(std::vector<base_rule> rules);
    /// What a batch did to the alerts (live mode): (alert index in `live_alerts()`, event
    /// index in the batch that is evidence of it, or `k_no_event`).
    using touch = std::pair<std::size_t, std::uint32_t>;
    static constexpr std::uint32_t k_no_event = static_cast<std::uint32_t>(-1);

    /// One batch after the Sigma ruleset ran on it: (rule index, event index) pairs. When
    /// `touched` is given, every signal's alert and evidence event is appended to it.
    void on_batch(const event_batch& batch, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& matches,
                  std::vector<touch>* touched = nullptr);

    /// Live mode (the daemon): the alerts as they are now (indices stay valid), and the
    /// incidents they make now. `finish` is not called in live mode.
    const std::vector<alert>& live_alerts() const;
    std::vector<incident> live_incidents() const;
    /// Live mode's memory bound: forget incidents whose last alert is older than `cutoff` with
    /// their alerts, and alerts in no incident last seen before it. Returns the forgotten
    /// incidents' ids (they are finished, not gone: the daemon keeps them stored).
    std::vector<std::string> live_forget_before(timestamp_ns cutoff);
    /// The correlation state as one blob (the daemon keeps it in its store), and back.
    std::string save_state() const;
    status restore_state(const std::string& blob);
    /// End of input: flush correlations, save state, build alerts and incidents.
    status finish();

    const std::vector<alert>& alerts() const { return m_alerts; }
    const std::vector<incident>& incidents() const { return m_incidents; }
    pipeline_stats stats() const;
    const rule_catalog& catalog() const { return m_catalog; }

private:
    pipeline() = default;
    void add_hits(std::vector<correlate::hit>& hits, const event_batch* batch = nullptr, std::vector<touch>* touched = nullptr);
    void add_finding(finding f, std::uint32_t ev, std::vector<touch>* touched);

    pipeline_options m_opts;
    rule_catalog m_catalog;
    std::unique_ptr<correlate::engine> m_corr;
    intel::intel_store m_intel;
    std::unique_ptr<intel::event_matcher> m_matcher;
    std::unique_ptr<aggregator> m_agg;
    std::vector<base_rule> m_base;
    std::vector<correlate::engine::input_handle> m_inputs;
    std::vector<std::uint8_t> m_emits;
    std::vector<std::vector<std::string>> m_template_fields;  // per base rule: {placeholders} of its summaries
    std::vector<alert> m_alerts;
    std::vector<incident> m_incidents;
    pipeline_stats m_stats;
    std::vector<correlate::hit> m_hits;
    std::vector<std::pair<correlate::engine::input_handle, std::uint32_t>> m_corr_in;
    std::vector<std::vector<intel::hit>> m_intel_hits;
};

}  // namespace mimamori::alert
