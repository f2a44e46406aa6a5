#pragma once
/// The alert record `mimamori scan` prints: one rule matching one event. Deliberately simple;
/// deduplication and incidents come later (they group these).
#include <string>
#include <utility>
#include <vector>

#include "core/event.hpp"
#include "detect/ruleset/ruleset.hpp"

namespace mimamori::detect {

struct alert {
    timestamp_ns ts = k_no_time;
    std::string rule_id, title, level, logsource;
    std::vector<std::string> tags;
    std::string host, user;
    /// The fields the rule's selections name, with the event's values (first value each).
    std::vector<std::pair<std::string, std::string>> key_fields;
    /// The matched event as one JSON object (write_event_json).
    std::string event_json;
};

/// Build the alert for one match.
alert make_alert(const ruleset& rs, const rule_match& m, const event_batch& batch);

/// Append one NDJSON line (no newline): rule id, title, level, tags, logsource, host, user,
/// key fields and the matched event.
void write_alert_json(const alert& a, std::string& out);

/// Levels ordered for sorting and filtering: informational 0 … critical 4 (unknown = medium).
int level_rank(std::string_view level);

}  // namespace mimamori::detect
