#pragma once
/// The correlation engine: Sigma correlation rules over a stream of base-rule matches.
///
/// Input is "rule R matched an event with these fields at time t" (`on_match`); output is
/// `hit`s: a correlation's condition held for one group. Hits of a correlation feed the
/// correlations that reference it (chains). The engine knows nothing of how base rules are
/// evaluated, so it runs behind the Sigma engine, behind tests, or behind anything else.
///
/// Time is the events' own time. Matches pass a reorder buffer first: with `lateness` L, a
/// match is processed once a match L later has been seen (or at flush), in timestamp order, so
/// input that is out of order by at most L gives the same hits as sorted input. Matches older
/// than what was already processed are still applied where the window allows (counted as late).
///
/// Windows (`timespan` T) slide. Counting types keep per-group counters in 16 buckets of T/16
/// (sums and shares in 8 buckets of T/8): every event counted lies within T of the current
/// one; events between T·(1-1/16) and T apart may fall out early. Temporal types keep exact
/// times. value_count keeps the most recent distinct values (as 32-bit hashes), at most as many
/// as the condition can tell apart, so "≥ N distinct" is exact whatever the traffic.
///
/// State is bounded: when the bytes held pass `memory_cap`, groups whose windows have passed
/// are dropped first (expired), then the least recently updated groups (evicted, counted per
/// rule). `save` / `restore` write and read the whole state (windows, reorder buffer, counters)
/// so that a restarted process continues where it stopped.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "detect/correlate/rule.hpp"

namespace mimamori::correlate {

struct options {
    std::size_t memory_cap = std::size_t{256} << 20;  ///< bytes of state (all rules, buffer included)
    /// How far out of order input may be (ns). 0 = process on arrival. `k_unbounded` = hold every
    /// match until flush() or until the buffer's share of the memory cap is used (batch scans
    /// that read one file after another).
    timestamp_ns lateness = 0;
    static constexpr timestamp_ns k_unbounded = std::numeric_limits<timestamp_ns>::max();
    std::size_t max_values = 4096;  ///< distinct values kept per group (value_count, value_percentile)
    /// Fields of the triggering event to carry into hits (`hit::context`), e.g. the user of the
    /// logon that completed a brute-force-then-success sequence. Empty = none (saves memory).
    std::vector<std::string> context_fields;
    /// The staff context folder for `context: staff_presence` rules (roster.csv, absences.csv,
    /// badge.csv; presence.hpp). Empty = $MIMAMORI_CONTEXT; neither = such rules count nothing.
    std::string context_dir;
};

/// Where an event came from: enough to find it again.
struct evidence_ref {
    std::string file;
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
    timestamp_ns ts = k_no_time;
};

/// A correlation's condition held for one group.
struct hit {
    std::uint32_t rule = 0;        ///< index into engine::rules()
    timestamp_ns ts = k_no_time;   ///< time of the event that made it hold
    timestamp_ns first_ts = k_no_time;  ///< earliest event of the window that holds
    std::vector<std::pair<std::string, std::string>> group;  ///< group-by name → value
    double value = 0;              ///< the aggregate: count, distinct values, sum, avg, share %, rules seen
    std::uint64_t events = 0;      ///< base events this hit accounts for that earlier hits of the group did not
    bool continuation = false;     ///< the condition already held for this group at its previous update
    std::string sample;            ///< the value field of the triggering event (value_* types)
    std::vector<std::pair<std::string, std::string>> context;  ///< options::context_fields of the triggering event
    evidence_ref first, last;      ///< first event of the window (as far as known) and the triggering one
};

/// Field access for matches that do not come from an event (chained hits, tests).
struct field_values {
    std::vector<std::pair<std::string, std::string>> kv;
    std::string_view get(std::string_view name) const {
        for (const auto& [k, v] : kv)
            if (k == name) return v;
        return {};
    }
};

struct rule_stats {
    std::uint64_t matches = 0;       ///< inputs routed to the rule
    std::uint64_t hits = 0;
    std::uint64_t groups = 0;        ///< groups with state now
    std::uint64_t evicted = 0;       ///< groups dropped under the memory cap while still in window
    std::uint64_t expired = 0;       ///< groups dropped after their window passed
    std::uint64_t missing_group = 0; ///< inputs without a group-by field (not counted)
    std::uint64_t missing_value = 0; ///< inputs without (numeric) value field
    std::uint64_t too_late = 0;      ///< inputs older than the group's window when processed
    std::size_t bytes = 0;
};

struct engine_stats {
    std::uint64_t inputs = 0;
    std::uint64_t late = 0;          ///< processed after newer input (beyond the lateness bound)
    std::uint64_t buffered = 0;      ///< in the reorder buffer now
    std::uint64_t buffer_forced = 0; ///< released early because the buffer hit its memory share
    std::size_t bytes = 0;           ///< state + buffer
    std::vector<rule_stats> rules;
};

class engine {
public:
    using input_handle = std::uint32_t;
    static constexpr input_handle k_no_input = ~input_handle{0};

    /// Check references (unknown rule names are allowed: they are base rules the caller will
    /// feed), resolve chains and reject cycles.
    static result<std::unique_ptr<engine>> create(std::vector<corr_rule> rules, options opts = {});
    ~engine();
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    const std::vector<corr_rule>& rules() const;

    /// The handle to feed matches of a base rule with, or k_no_input when no correlation
    /// references it (by id or by name). Resolve once per rule, not per event.
    input_handle input_for(std::string_view id, std::string_view name) const;
    /// Whether a rule's own matches should become alerts: true unless a correlation references
    /// it and none of those referencing it says `generate: true`. Works for base rules and for
    /// correlations (inner links of a chain).
    bool emits_alerts(std::string_view id, std::string_view name) const;

    /// A base rule matched an event.
    void on_match(input_handle in, const event_batch& batch, const event& e, std::vector<hit>& out);
    /// Many matches of one batch, in order: (input handle, event index). Same result as calling
    /// on_match for each, but group lookups overlap (prefetch), which is much faster when there
    /// are many groups.
    void on_matches(const event_batch& batch, const std::vector<std::pair<input_handle, std::uint32_t>>& matches,
                    std::vector<hit>& out);
    /// The same with fields given by name (tests, replay).
    void on_match(input_handle in, timestamp_ns ts, const field_values& fields, const evidence_ref& ev,
                  std::vector<hit>& out);
    /// Move time forward without input (streaming: wall clock). Releases buffered matches up to
    /// now - lateness and closes windows of lt/lte conditions that ended.
    void advance(timestamp_ns now, std::vector<hit>& out);
    /// End of input: release everything buffered and close every open lt/lte window.
    void flush(std::vector<hit>& out);

    engine_stats stats() const;

    /// Serialize the full state (binary, versioned; host byte order).
    void save(std::ostream& out) const;
    /// Replace the state with a saved one. Rules are matched by id (else title) and fingerprint;
    /// state of rules that changed or disappeared is skipped (reported in `skipped`).
    status restore(std::istream& in, std::size_t* skipped = nullptr);

    struct impl;

private:
    explicit engine(std::unique_ptr<impl> p);
    std::unique_ptr<impl> m;
};

}  // namespace mimamori::correlate
