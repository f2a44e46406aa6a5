#pragma once
/// The compiled form of one Sigma rule, shared by the reference interpreter and the Hyperscan
/// ruleset: a list of predicates (each a test on one field of an event) and the rule's
/// condition as an expression tree over them. Both evaluators read exactly this; they differ
/// only in how a predicate is decided.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detect/sigma/ast.hpp"

namespace mimamori::sigma {

/// One element of a Sigma wildcard pattern.
struct glob_token {
    enum class kind : std::uint8_t {
        literal,     ///< `text`, byte for byte
        any_char,    ///< `?`: exactly one byte
        any_string,  ///< `*`: any bytes, possibly none
        dash,        ///< windash: one of - / – — ―
    };
    kind k = kind::literal;
    std::string text;
    bool operator==(const glob_token&) const = default;
};
using glob = std::vector<glob_token>;

/// One way a value may match: a wildcard pattern over the whole value, or a regular expression
/// searched anywhere in it.
struct string_pattern {
    bool is_regex = false;
    bool cased = false;      ///< glob: compare case-sensitively; regex: no `i` flag
    bool multiline = false;  ///< regex `m`
    bool dotall = false;     ///< regex `s`
    glob tokens;             ///< when !is_regex
    std::string regex;       ///< when is_regex
    /// Canonical text: equal keys mean equal patterns (used to share work between rules).
    std::string key() const;
};

enum class pred_kind : std::uint8_t {
    match,       ///< a value of the field matches any of `patterns`
    keyword,     ///< the event's text (raw record, message) matches any of `patterns`
    exists,      ///< the field is present (== `exists`)
    null_value,  ///< the field is absent or empty
    numeric,     ///< a value of the field, read as a number, compares true with `number`
    cidr,        ///< a value of the field is an IP address inside any of `nets`
    fieldref,    ///< a value of the field equals (starts/ends with, contains) one of `other_field`
    time_part,   ///< the minute/hour/... of a date value of the field compares true with `number`
};

enum class cmp_op : std::uint8_t { eq, lt, lte, gt, gte };
enum class time_unit : std::uint8_t { minute, hour, day, week, month, year };
enum class ref_mode : std::uint8_t { equals, startswith, endswith, contains };

struct ip_net {
    bool v6 = false;
    std::array<std::uint8_t, 16> addr{};  ///< v4 uses the first 4 bytes
    int prefix = 0;
};

struct predicate {
    pred_kind kind = pred_kind::match;
    std::string field;  ///< the field name as the rule writes it; empty for keyword
    std::vector<string_pattern> patterns;
    bool exists = true;
    cmp_op op = cmp_op::eq;
    double number = 0;
    time_unit unit = time_unit::minute;
    std::vector<ip_net> nets;
    std::string other_field;
    ref_mode mode = ref_mode::equals;
    bool cased = false;  ///< fieldref

    /// Canonical text: equal keys mean equal predicates.
    std::string key() const;
    /// Short human form, e.g. `Image endswith '\cmd.exe'`.
    std::string describe() const;
};

/// A node of the condition tree. Nodes refer to their children by index into rule_ir::nodes.
struct expr_node {
    enum class op : std::uint8_t { pred, and_, or_, not_, const_true, const_false };
    op o = op::const_false;
    /// pred: index into rule_ir::preds. or_: when > 1, at least this many children must hold
    /// ("2 of selection_*").
    std::uint32_t pred = 0;
    std::vector<std::uint32_t> kids;
};

/// A rule ready to run: metadata for alerts plus predicates and condition.
struct rule_ir {
    std::shared_ptr<const rule_doc> doc;
    std::vector<predicate> preds;
    std::vector<expr_node> nodes;
    std::uint32_t root = 0;
    /// Fields the rule's selections name outside of any negation: shown with an alert.
    std::vector<std::string> key_fields;
};

}  // namespace mimamori::sigma
