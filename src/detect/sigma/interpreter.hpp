#pragma once
/// The reference evaluator: decides a rule on one event by walking its condition tree and
/// testing each predicate directly (wildcard matcher, RE2, number/IP parsing). Slow and
/// obviously correct; the compiled ruleset is tested against it. The ruleset also uses
/// `eval_predicate` for the predicates Hyperscan does not handle (numbers, CIDR, exists, ...).
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"
#include "detect/sigma/ir.hpp"

namespace mimamori::sigma {

/// For one log source: the event fields that hold what a rule calls by another name, e.g. on
/// Security 4688 events `Image` is read from `NewProcessName`. A rule's field name is always
/// read as itself too, so native names keep working.
struct field_aliases {
    std::unordered_map<std::string, std::vector<std::string>> renames;
};

/// The event field ids a rule's field name reads, in order: mapped names, then the name itself.
std::vector<field_id> resolve_field(std::string_view name, const field_aliases* aliases);

/// Calls fn(text) for each text a keyword search looks at: the raw record and every field value
/// (Windows records keep their data in fields, not in the raw text).
template <typename Fn>
void for_each_keyword_text(const event_batch& b, const event& e, Fn&& fn) {
    if (!e.raw.empty()) fn(e.raw);
    for (const auto& fl : b.fields(e)) fn(fl.value);
}

/// True when some pattern matches the empty value. Such a match predicate also holds when the
/// field is absent: readers omit empty values, so "empty" and "absent" cannot be told apart.
bool matches_empty(const std::vector<string_pattern>& pats);

/// Decide one predicate. `ids` are the event fields of p.field, `other` those of p.other_field.
bool eval_predicate(const predicate& p, const event_batch& b, const event& e, std::span<const field_id> ids,
                    std::span<const field_id> other);

/// Does a string value match any of the patterns (wildcards or RE2)?
bool match_patterns(const std::vector<string_pattern>& pats, std::string_view value);

/// Evaluate the whole rule on one event.
bool interpret(const rule_ir& rule, const event_batch& b, const event& e, const field_aliases* aliases = nullptr);

}  // namespace mimamori::sigma
