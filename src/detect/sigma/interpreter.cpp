// Direct evaluation of predicates and condition trees.
#include "detect/sigma/interpreter.hpp"

#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

std::vector<field_id> resolve_field(std::string_view name, const field_aliases* aliases) {
    std::vector<field_id> ids;
    if (aliases) {
        if (auto it = aliases->renames.find(std::string(name)); it != aliases->renames.end())
            for (const auto& n : it->second) ids.push_back(intern(n));
    }
    field_id self = intern(name);
    bool dup = false;
    for (auto id : ids) dup |= id == self;
    if (!dup) ids.push_back(self);
    return ids;
}

bool match_patterns(const std::vector<string_pattern>& pats, std::string_view value) {
    for (const auto& p : pats) {
        if (p.is_regex ? regex_search(p, value) : glob_match(p.tokens, value, p.cased)) return true;
    }
    return false;
}

bool matches_empty(const std::vector<string_pattern>& pats) { return match_patterns(pats, std::string_view()); }

namespace {

template <typename Fn>
bool any_value(const event_batch& b, const event& e, std::span<const field_id> ids, Fn&& fn) {
    for (const auto& fl : b.fields(e))
        for (auto id : ids)
            if (fl.id == id && fn(fl.value)) return true;
    return false;
}

}  // namespace

bool eval_predicate(const predicate& p, const event_batch& b, const event& e, std::span<const field_id> ids,
                    std::span<const field_id> other) {
    switch (p.kind) {
        case pred_kind::match: {
            bool present = false;
            if (any_value(b, e, ids, [&](std::string_view v) {
                    present = true;
                    return match_patterns(p.patterns, v);
                }))
                return true;
            return !present && matches_empty(p.patterns);
        }
        case pred_kind::keyword: {
            bool hit = false;
            for_each_keyword_text(b, e, [&](std::string_view v) { hit = hit || match_patterns(p.patterns, v); });
            return hit;
        }
        case pred_kind::exists: return any_value(b, e, ids, [](std::string_view) { return true; });
        case pred_kind::null_value:
            return !any_value(b, e, ids, [](std::string_view v) { return !v.empty(); });
        case pred_kind::numeric:
            return any_value(b, e, ids, [&](std::string_view v) {
                double d;
                return parse_number(v, d) && compare(d, p.op, p.number);
            });
        case pred_kind::time_part:
            return any_value(b, e, ids, [&](std::string_view v) {
                int part;
                return time_part(v, p.unit, part) && compare(part, p.op, p.number);
            });
        case pred_kind::cidr:
            return any_value(b, e, ids, [&](std::string_view v) {
                ip_net ip;
                if (!parse_ip(v, ip)) return false;
                for (const auto& n : p.nets)
                    if (cidr_contains(n, ip)) return true;
                return false;
            });
        case pred_kind::fieldref:
            return any_value(b, e, ids, [&](std::string_view v) {
                return any_value(b, e, other, [&](std::string_view o) { return fieldref_match(v, o, p.mode, p.cased); });
            });
    }
    return false;
}

namespace {

struct walker {
    const rule_ir& r;
    const event_batch& b;
    const event& e;
    const field_aliases* aliases;

    bool eval(std::uint32_t n) {
        const auto& x = r.nodes[n];
        switch (x.o) {
            case expr_node::op::const_true: return true;
            case expr_node::op::const_false: return false;
            case expr_node::op::not_: return !eval(x.kids[0]);
            case expr_node::op::and_:
                for (auto k : x.kids)
                    if (!eval(k)) return false;
                return true;
            case expr_node::op::or_: {
                std::uint32_t need = x.pred > 1 ? x.pred : 1, got = 0;
                for (auto k : x.kids)
                    if (eval(k) && ++got >= need) return true;
                return false;
            }
            case expr_node::op::pred: {
                const auto& p = r.preds[x.pred];
                auto ids = resolve_field(p.field, aliases);
                std::vector<field_id> other;
                if (p.kind == pred_kind::fieldref) other = resolve_field(p.other_field, aliases);
                return eval_predicate(p, b, e, ids, other);
            }
        }
        return false;
    }
};

}  // namespace

bool interpret(const rule_ir& rule, const event_batch& b, const event& e, const field_aliases* aliases) {
    if (rule.nodes.empty()) return false;
    walker w{rule, b, e, aliases};
    return w.eval(rule.root);
}

}  // namespace mimamori::sigma
