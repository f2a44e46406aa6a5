#pragma once
/// Stage 2 of loading (compiler): a rule_doc → rule_ir. Applies the value modifiers, resolves
/// the condition against the search identifiers, expands placeholders, and reports every
/// problem (unknown modifier, bad condition with its column, undefined identifier, bad regex,
/// unresolvable placeholder, ...).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "detect/sigma/ast.hpp"
#include "detect/sigma/ir.hpp"

namespace mimamori::sigma {

/// Values for `|expand` placeholders (`%Administrators%` → list of Sigma values).
struct placeholders {
    std::map<std::string, std::vector<std::string>> values;
    std::string source;  ///< file the values came from, named in problems
};

/// Read a placeholders file: a map `placeholders: {name: [values...]}` (names without the
/// percent signs). Returns an empty string on success, else the reason.
std::string load_placeholders(const std::string& path, placeholders& out);

struct compile_options {
    const placeholders* ph = nullptr;
};

/// Compile a detection rule (or the detection of a filter document). Appends problems; returns
/// false when any of them is an error (the rule is rejected).
bool compile_rule(const std::shared_ptr<const rule_doc>& doc, const compile_options& opts, rule_ir& out,
                  std::vector<problem>& problems);

/// Make `rule` match only when `filter` does not: rule := rule and not filter.
void apply_filter(rule_ir& rule, const rule_ir& filter);

}  // namespace mimamori::sigma
