#pragma once
/// The Sigma condition language. Grammar (keywords are case-insensitive):
///
///   condition  = or_expr ;
///   or_expr    = and_expr { "or" and_expr } ;
///   and_expr   = not_expr { "and" not_expr } ;
///   not_expr   = "not" not_expr | primary ;
///   primary    = "(" or_expr ")" | quantifier | identifier ;
///   quantifier = ( "all" | "any" | integer ) "of" ( "them" | pattern ) ;
///   identifier = name ;            (letters, digits, _ - .)
///   pattern    = name with * ;     (any run of characters)
///
/// Precedence from loosest: or, and, not, "x of", parentheses. Nesting is capped at 64 levels.
#include <string>
#include <string_view>
#include <vector>

namespace mimamori::sigma {

struct cond_node {
    enum class kind : unsigned char { and_, or_, not_, ident, of };
    kind k = kind::ident;
    std::vector<cond_node> kids;
    std::string name;  ///< ident: the search identifier; of: the pattern, or "them"
    int count = 1;     ///< of: how many must match; 0 = all
    int column = 1;    ///< 1-based position in the condition text
};

struct cond_error {
    int column = 1;
    std::string message;
};

/// Parse one condition. On failure fills `err` (column points at the offending token).
bool parse_condition(std::string_view text, cond_node& out, cond_error& err);

/// Back to text (normalized spacing, full parentheses), for messages and tests.
std::string to_string(const cond_node& n);

}  // namespace mimamori::sigma
