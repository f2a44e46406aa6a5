#pragma once
/// The Sigma document model as read from YAML, before any compilation: rules, filters
/// (meta-filters) and correlation rules, with the source position of every part so that each
/// problem can point at a line. See the Sigma specification (shared/sigma/specification).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mimamori::sigma {

enum class severity : std::uint8_t {
    error,    ///< the document cannot be used: it is rejected
    warning,  ///< the document loads, but something in it is probably not what the author meant
};

/// One thing wrong with one document. Every problem of a document is collected, not only the first.
struct problem {
    severity sev = severity::error;
    std::string file;
    int line = 0;    ///< 1-based; 0 = unknown
    int column = 0;  ///< 1-based; 0 = unknown
    std::string rule_id;
    std::string title;
    std::string code;     ///< stable machine code, e.g. "modifier.unknown", "condition.syntax"
    std::string message;  ///< a sentence a rule author can act on
};

enum class doc_kind : std::uint8_t { rule, filter, correlation };

struct logsource {
    std::string product, category, service, definition;
    bool empty() const { return product.empty() && category.empty() && service.empty(); }
    /// "product/category/service" with absent parts left out, e.g. "windows/process_creation".
    std::string to_string() const;
};

/// A scalar as written in the rule: YAML gives us text plus whether it was a bare number,
/// boolean or null.
struct rule_value {
    enum class type : std::uint8_t { string, number, boolean, null };
    type t = type::string;
    std::string text;
    int line = 0, column = 0;
};

/// One `field|mod|mod: value(s)` entry. An empty field means a keyword search
/// (list items without a field, or a `'|all': [...]` map key).
struct field_test {
    std::string field;
    std::vector<std::string> modifiers;
    std::vector<rule_value> values;
    int line = 0, column = 0;
};

/// The entries of one map: all of them must hold (AND).
struct test_group {
    std::vector<field_test> tests;
    int line = 0;
};

/// A named search identifier (`selection`, `filter_main`, ...): any of its alternatives (OR).
/// A map is one alternative; a list of maps is one alternative per map; a list of plain
/// values is one keyword alternative.
struct search_id {
    std::string name;
    std::vector<test_group> alternatives;
    int line = 0, column = 0;
};

struct condition_text {
    std::string text;
    int line = 0, column = 0;  ///< where the condition's text starts in the file
};

struct detection {
    std::vector<search_id> ids;
    std::vector<condition_text> conditions;  ///< a list of conditions means any of them (OR)
    int line = 0;
};

/// One YAML document: a detection rule, a filter or a correlation rule.
struct rule_doc {
    doc_kind kind = doc_kind::rule;
    std::string file;
    int line = 0;  ///< line of the document's first key
    std::string id, name, title, status, level, description, author, date, modified, license,
        taxonomy, scope_text;
    std::vector<std::string> tags, references, falsepositives, fields, scope;
    std::vector<std::pair<std::string, std::string>> related;  ///< (type, id)
    logsource ls;
    detection det;
    /// filter: the rules (ids or names) it applies to. correlation: the rules it correlates.
    std::vector<std::string> target_rules;
    std::string correlation_type;
};

}  // namespace mimamori::sigma
