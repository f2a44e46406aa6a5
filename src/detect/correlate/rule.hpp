#pragma once
/// Sigma correlation rules (specification v2.1): the parsed form the engine runs.
/// Correlation documents are read here with yaml-cpp, straight from the rule files, so the
/// engine does not depend on how the detection-rule loader models them.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"

namespace mimamori::correlate {

enum class corr_type : std::uint8_t {
    event_count,       ///< events per group in the timespan
    value_count,       ///< distinct values of `field` per group
    temporal,          ///< all referenced rules matched per group within the timespan (any order)
    temporal_ordered,  ///< the same, in the order the rules are listed
    value_sum,         ///< sum of numeric `field`
    value_avg,         ///< average of numeric `field`
    value_percentile,  ///< share (in %) of the event's `field` value among the group's events
};
std::string_view type_name(corr_type t);
bool parse_type(std::string_view s, corr_type& t);

/// `condition:` — every bound present must hold (AND).
struct condition {
    static constexpr double k_unset = std::numeric_limits<double>::quiet_NaN();
    double gt = k_unset, gte = k_unset, lt = k_unset, lte = k_unset, eq = k_unset, neq = k_unset;

    bool empty() const;
    bool test(double v) const;
    /// True when some bound can become true as the aggregate grows (gt, gte, eq, neq): such
    /// conditions are checked on every update. Conditions with only lt/lte are checked when a
    /// group's window closes (otherwise the first event would already satisfy "fewer than N").
    bool checked_on_update() const;
    /// The largest number of distinct values the condition can tell apart (+1), for value_count.
    double max_bound() const;
    std::string to_string() const;  ///< "gte 10", "gt 100 and lte 200"
};

/// One correlation document.
struct corr_rule {
    std::string file;
    int line = 0;
    std::string id, name, title, level, description, status;
    std::vector<std::string> tags;

    corr_type type = corr_type::event_count;
    std::vector<std::string> rules;     ///< referenced rule ids or names, in order
    std::vector<std::string> group_by;  ///< field names or alias names
    /// alias → (referenced rule name or id → field name in that rule's events)
    std::map<std::string, std::map<std::string, std::string>> aliases;
    timestamp_ns timespan = 0;
    condition cond;
    std::vector<std::string> fields;  ///< `condition.field` (value_* types); several = a tuple
    bool generate = false;
    /// Mimamori extension `context: staff_presence`: count an input only when the owner of the
    /// account in the first group-by field is away at that moment (on leave, or never badged in
    /// that day) according to the staff context folder (presence.hpp; `MIMAMORI_CONTEXT`).
    /// `context_timezone` (IANA name or offset) is the zone of "that day"; default UTC.
    std::string context, context_timezone;

    /// A hash of everything that shapes the state (type, rules, group-by, aliases, timespan,
    /// condition, fields): saved state is only restored into a rule with the same fingerprint.
    std::uint64_t fingerprint() const;
};

struct load_problem {
    std::string file;
    int line = 0;
    std::string rule;  ///< title or id when known
    std::string message;
};

struct load_result {
    std::vector<corr_rule> rules;
    std::vector<load_problem> problems;  ///< documents rejected, each with its reason
    std::size_t documents = 0;           ///< YAML documents read (all kinds)
};

/// "90s", "10m", "1h", "7d", "2w" → nanoseconds; false on anything else.
bool parse_timespan(std::string_view s, timestamp_ns& out);

/// Every correlation document in the YAML text (multi-document files allowed); other
/// documents (detection rules, filters) are skipped.
load_result parse_correlations(std::string_view yaml_text, const std::string& file = "<text>");
/// The same for files (.yml/.yaml); folders are walked recursively.
load_result load_correlations(const std::vector<std::string>& paths);

}  // namespace mimamori::correlate
