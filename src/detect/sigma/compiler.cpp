// rule_doc → rule_ir: modifiers, placeholders and the condition.
#include "detect/sigma/compiler.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>
#include <unordered_map>

#include "detect/sigma/condition.hpp"
#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

std::string load_placeholders(const std::string& path, placeholders& out) {
    try {
        YAML::Node root = YAML::LoadFile(path);
        out.source = path;
        auto ph = root["placeholders"];
        if (!ph.IsDefined() || ph.IsNull()) return {};
        if (!ph.IsMap()) return "'placeholders' must be a map of name: [values]";
        for (const auto& kv : ph) {
            std::string name = kv.first.Scalar();
            if (name.size() >= 2 && name.front() == '%' && name.back() == '%') name = name.substr(1, name.size() - 2);
            std::vector<std::string> vals;
            if (kv.second.IsScalar()) vals.push_back(kv.second.Scalar());
            else if (kv.second.IsSequence())
                for (const auto& v : kv.second)
                    if (v.IsScalar()) vals.push_back(v.Scalar());
            out.values[name] = std::move(vals);
        }
        return {};
    } catch (const YAML::Exception& e) {
        return "line " + std::to_string(e.mark.line + 1) + ": " + e.msg;
    }
}

namespace {

using op = expr_node::op;

struct mods {
    bool contains = false, startswith = false, endswith = false, all = false, cased = false, neq = false;
    bool exists = false, re = false, re_i = false, re_m = false, re_s = false, cidr = false, fieldref = false;
    bool expand = false, windash = false, has_cmp = false, has_time = false;
    cmp_op cmp = cmp_op::eq;
    time_unit unit = time_unit::minute;
    std::vector<std::string> encodings;  // in order
};

const char* k_known_modifiers =
    "contains, startswith, endswith, all, exists, cased, neq, re (with i, m, s), base64, base64offset, utf16le, "
    "utf16be, utf16, wide, windash, cidr, lt, lte, gt, gte, expand, fieldref, minute, hour, day, week, month, year";

class compiler {
public:
    compiler(const std::shared_ptr<const rule_doc>& doc, const compile_options& opts, rule_ir& ir,
             std::vector<problem>& problems)
        : m_doc(*doc), m_opts(opts), m_ir(ir), m_problems(problems) {
        m_ir.doc = doc;
    }

    bool run() {
        const detection& det = m_doc.det;
        for (std::size_t i = 0; i < det.ids.size(); ++i) m_ids[det.ids[i].name] = i;
        std::vector<std::uint32_t> roots;
        for (const auto& c : det.conditions) {
            cond_node tree;
            cond_error err;
            if (!parse_condition(c.text, tree, err)) {
                add(c.line, c.column + err.column - 1, "condition.syntax",
                    "condition '" + c.text + "': " + err.message + " (column " + std::to_string(err.column) + ")");
                continue;
            }
            roots.push_back(cond(tree, c));
        }
        if (roots.empty()) {
            m_ir.root = node(op::const_false, {});
        } else {
            m_ir.root = roots.size() == 1 ? roots[0] : node(op::or_, roots);
        }
        collect_key_fields(m_ir.root, true);
        return !m_failed;
    }

private:
    const rule_doc& m_doc;
    const compile_options& m_opts;
    rule_ir& m_ir;
    std::vector<problem>& m_problems;
    bool m_failed = false;
    std::unordered_map<std::string, std::size_t> m_ids;
    std::unordered_map<std::string, std::uint32_t> m_id_nodes;
    std::unordered_map<std::string, std::uint32_t> m_pred_keys;

    void add(int line, int column, std::string code, std::string msg, severity sev = severity::error) {
        problem p;
        p.sev = sev;
        p.file = m_doc.file;
        p.line = line;
        p.column = column;
        p.rule_id = m_doc.id;
        p.title = m_doc.title;
        p.code = std::move(code);
        p.message = std::move(msg);
        if (sev == severity::error) m_failed = true;
        m_problems.push_back(std::move(p));
    }

    std::uint32_t node(op o, std::vector<std::uint32_t> kids, std::uint32_t pred = 0) {
        if ((o == op::and_ || o == op::or_) && kids.size() == 1) return kids[0];
        expr_node n;
        n.o = o;
        n.kids = std::move(kids);
        n.pred = pred;
        m_ir.nodes.push_back(std::move(n));
        return static_cast<std::uint32_t>(m_ir.nodes.size() - 1);
    }

    std::uint32_t pred(predicate p) {
        std::string k = p.key();
        auto it = m_pred_keys.find(k);
        std::uint32_t idx;
        if (it != m_pred_keys.end()) {
            idx = it->second;
        } else {
            idx = static_cast<std::uint32_t>(m_ir.preds.size());
            m_ir.preds.push_back(std::move(p));
            m_pred_keys.emplace(std::move(k), idx);
        }
        return node(op::pred, {}, idx);
    }

    // ---- condition ----------------------------------------------------------------------

    std::uint32_t ident(const std::string& name, int line, int column) {
        if (auto it = m_id_nodes.find(name); it != m_id_nodes.end()) return it->second;
        auto it = m_ids.find(name);
        if (it == m_ids.end()) {
            std::string known;
            for (const auto& s : m_doc.det.ids) known += (known.empty() ? "" : ", ") + s.name;
            add(line, column, "condition.undefined",
                "the condition uses '" + name + "', which the detection does not define (defined: " +
                    (known.empty() ? "none" : known) + ")");
            return node(op::const_false, {});
        }
        std::uint32_t n = search(m_doc.det.ids[it->second]);
        m_id_nodes[name] = n;
        return n;
    }

    static bool name_matches(std::string_view pat, std::string_view name) {
        glob g;
        for (char c : pat) {
            if (c == '*') g.push_back({glob_token::kind::any_string, {}});
            else if (!g.empty() && g.back().k == glob_token::kind::literal) g.back().text.push_back(c);
            else g.push_back({glob_token::kind::literal, std::string(1, c)});
        }
        return glob_match(g, name, true);
    }

    std::uint32_t cond(const cond_node& n, const condition_text& c) {
        int col = c.column + n.column - 1;
        switch (n.k) {
            case cond_node::kind::ident: return ident(n.name, c.line, col);
            case cond_node::kind::not_: return node(op::not_, {cond(n.kids[0], c)});
            case cond_node::kind::and_:
            case cond_node::kind::or_: {
                std::vector<std::uint32_t> kids;
                for (const auto& k : n.kids) kids.push_back(cond(k, c));
                return node(n.k == cond_node::kind::and_ ? op::and_ : op::or_, std::move(kids));
            }
            case cond_node::kind::of: {
                std::vector<std::uint32_t> kids;
                for (const auto& s : m_doc.det.ids) {
                    bool hit = n.name == "them" ? (s.name.empty() || s.name[0] != '_') : name_matches(n.name, s.name);
                    if (hit) kids.push_back(ident(s.name, c.line, col));
                }
                if (kids.empty()) {
                    add(c.line, col, "condition.pattern",
                        "'" + to_string(n) + "' matches no search identifier of this detection");
                    return node(op::const_false, {});
                }
                if (n.count == 0) return node(op::and_, std::move(kids));
                if (n.count == 1) return node(op::or_, std::move(kids));
                if (static_cast<std::size_t>(n.count) > kids.size()) {
                    add(c.line, col, "condition.count",
                        "'" + to_string(n) + "' asks for more identifiers than the " + std::to_string(kids.size()) +
                            " it matches; it can never be true",
                        severity::warning);
                    return node(op::const_false, {});
                }
                auto idx = node(op::or_, kids);
                // "n of": an or-node with a threshold; pred holds n (see interpreter/ruleset).
                m_ir.nodes[idx].pred = static_cast<std::uint32_t>(n.count);
                return idx;
            }
        }
        return node(op::const_false, {});
    }

    // ---- search identifiers -------------------------------------------------------------

    std::uint32_t search(const search_id& s) {
        std::vector<std::uint32_t> alts;
        for (const auto& g : s.alternatives) {
            std::vector<std::uint32_t> tests;
            for (const auto& t : g.tests) tests.push_back(field(t));
            alts.push_back(tests.empty() ? node(op::const_true, {}) : node(op::and_, std::move(tests)));
        }
        if (alts.empty()) return node(op::const_false, {});
        return node(op::or_, std::move(alts));
    }

    bool parse_mods(const field_test& t, mods& m) {
        bool ok = true;
        bool after_re = false;
        std::string where = t.field.empty() ? std::string("the keyword list") : "'" + t.field + "'";
        for (const auto& raw : t.modifiers) {
            std::string x = raw;
            std::transform(x.begin(), x.end(), x.begin(), [](unsigned char c) { return std::tolower(c); });
            if (x == "contains") m.contains = true;
            else if (x == "startswith") m.startswith = true;
            else if (x == "endswith") m.endswith = true;
            else if (x == "all") m.all = true;
            else if (x == "cased") m.cased = true;
            else if (x == "neq") m.neq = true;
            else if (x == "exists") m.exists = true;
            else if (x == "re") m.re = after_re = true;
            else if ((x == "i" || x == "m" || x == "s") && after_re) {
                (x == "i" ? m.re_i : x == "m" ? m.re_m : m.re_s) = true;
            } else if (x == "i" || x == "m" || x == "s") {
                add(t.line, t.column, "modifier.order", "modifier '" + x + "' on " + where + " only applies after 're'");
                ok = false;
            } else if (x == "cidr") m.cidr = true;
            else if (x == "fieldref") m.fieldref = true;
            else if (x == "expand") m.expand = true;
            else if (x == "windash") m.windash = true;
            else if (x == "base64" || x == "base64offset" || x == "utf16le" || x == "utf16be" || x == "utf16" || x == "wide")
                m.encodings.push_back(x);
            else if (x == "lt" || x == "lte" || x == "gt" || x == "gte") {
                if (m.has_cmp) {
                    add(t.line, t.column, "modifier.conflict", where + " has two comparison modifiers");
                    ok = false;
                }
                m.has_cmp = true;
                m.cmp = x == "lt" ? cmp_op::lt : x == "lte" ? cmp_op::lte : x == "gt" ? cmp_op::gt : cmp_op::gte;
            } else if (x == "minute" || x == "hour" || x == "day" || x == "week" || x == "month" || x == "year") {
                m.has_time = true;
                m.unit = x == "minute" ? time_unit::minute : x == "hour" ? time_unit::hour : x == "day" ? time_unit::day
                         : x == "week" ? time_unit::week : x == "month" ? time_unit::month : time_unit::year;
            } else {
                add(t.line, t.column, "modifier.unknown",
                    "unknown modifier '" + raw + "' on " + where + " (known: " + k_known_modifiers + ")");
                ok = false;
            }
        }
        // Combinations that have no meaning.
        auto conflict = [&](bool a, bool b, const char* what) {
            if (a && b) {
                add(t.line, t.column, "modifier.conflict", where + ": " + what);
                ok = false;
            }
        };
        bool position = m.contains || m.startswith || m.endswith;
        bool transform = m.windash || !m.encodings.empty() || m.expand;
        conflict(m.re, position || transform || m.cidr || m.has_cmp, "'re' cannot be combined with contains/startswith/endswith, encodings, windash, cidr or comparisons");
        conflict(m.cidr, position || transform || m.has_cmp, "'cidr' cannot be combined with string or number modifiers");
        conflict(m.has_cmp, position || transform, "lt/lte/gt/gte compare numbers and cannot be combined with string modifiers");
        conflict(m.exists, position || transform || m.re || m.cidr || m.has_cmp || m.all || m.fieldref, "'exists' takes only true or false and no other modifier");
        conflict(m.fieldref, transform || m.re || m.cidr || m.has_cmp, "'fieldref' can only be combined with contains/startswith/endswith, cased and neq");
        conflict(m.has_time, position || transform || m.re || m.cidr, "time modifiers can only be combined with lt/lte/gt/gte");
        conflict((m.contains + m.startswith + m.endswith) > 1, true, "use only one of contains, startswith, endswith");
        return ok;
    }

    // Expand %placeholders% of one value; false (and a problem) when one is unknown.
    bool expand(const field_test& t, const rule_value& v, std::vector<std::string>& out) {
        // Split into literal parts (with \% unescaped) and placeholder names.
        std::vector<std::pair<bool, std::string>> parts;  // (is_placeholder, text)
        std::string cur;
        const std::string& s = v.text;
        for (std::size_t i = 0; i < s.size(); ++i) {
            if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == '%') {
                cur.push_back('%');
                ++i;
            } else if (s[i] == '%') {
                std::size_t end = s.find('%', i + 1);
                if (end == std::string::npos) {
                    cur.push_back('%');
                    continue;
                }
                parts.emplace_back(false, cur);
                cur.clear();
                parts.emplace_back(true, s.substr(i + 1, end - i - 1));
                i = end;
            } else {
                cur.push_back(s[i]);
            }
        }
        parts.emplace_back(false, cur);
        out.assign(1, std::string());
        for (const auto& [is_ph, text] : parts) {
            if (!is_ph) {
                for (auto& o : out) o += text;
                continue;
            }
            const std::vector<std::string>* vals = nullptr;
            if (m_opts.ph) {
                auto it = m_opts.ph->values.find(text);
                if (it != m_opts.ph->values.end()) vals = &it->second;
            }
            if (!vals || vals->empty()) {
                std::string src = m_opts.ph && !m_opts.ph->source.empty() ? m_opts.ph->source : "the placeholders file";
                add(v.line ? v.line : t.line, v.column ? v.column : t.column, "placeholder.undefined",
                    "placeholder %" + text + "% (on '" + t.field + "|expand') has no values: define it under "
                    "'placeholders:' in " + src + " with the values of your environment");
                return false;
            }
            std::vector<std::string> next;
            for (const auto& o : out)
                for (const auto& val : *vals) next.push_back(o + val);
            out = std::move(next);
        }
        return true;
    }

    // The patterns one string value stands for.
    bool string_patterns(const field_test& t, const mods& m, const std::string& text, int line, int column,
                         std::vector<string_pattern>& out) {
        bool keyword = t.field.empty();
        if (m.re) {
            string_pattern p;
            p.is_regex = true;
            p.regex = text;
            p.cased = !m.re_i;
            p.multiline = m.re_m;
            p.dotall = m.re_s;
            if (auto why = regex_check(p); !why.empty()) {
                add(line, column, "regex.invalid", "regular expression '" + text + "' on " +
                    (keyword ? std::string("the keywords") : "'" + t.field + "'") + " does not compile: " + why);
                return false;
            }
            out.push_back(std::move(p));
            return true;
        }
        glob g = m.encodings.empty() ? parse_wildcards(text) : literal_glob(text);
        if (m.windash) apply_windash(g);
        std::vector<glob> variants{std::move(g)};
        for (const auto& enc : m.encodings) {
            std::vector<glob> next;
            for (const auto& v : variants) {
                auto plain = plain_text(v);
                if (!plain) {
                    add(line, column, "modifier.conflict", "'" + enc + "' needs plain text; windash cannot be combined with it");
                    return false;
                }
                if (enc == "utf16le" || enc == "wide") next.push_back(literal_glob(encode_utf16le(*plain)));
                else if (enc == "utf16be") next.push_back(literal_glob(encode_utf16be(*plain)));
                else if (enc == "utf16") next.push_back(literal_glob(encode_utf16_bom(*plain)));
                else if (enc == "base64") next.push_back(literal_glob(encode_base64(*plain)));
                else
                    for (auto& s : encode_base64_offsets(*plain)) next.push_back(literal_glob(s));
            }
            variants = std::move(next);
        }
        for (auto& v : variants) {
            add_wildcards(v, keyword || m.contains || m.endswith, keyword || m.contains || m.startswith);
            string_pattern p;
            p.cased = m.cased;
            p.tokens = std::move(v);
            out.push_back(std::move(p));
        }
        return true;
    }

    std::uint32_t field(const field_test& t) {
        mods m;
        if (!parse_mods(t, m)) return node(op::const_false, {});
        const std::string& f = t.field;
        bool keyword = f.empty();
        std::string where = keyword ? std::string("the keyword list") : "'" + f + "'";
        if (keyword && (m.exists || m.cidr || m.has_cmp || m.fieldref || m.has_time)) {
            add(t.line, t.column, "modifier.keyword", "keyword searches take only string modifiers");
            return node(op::const_false, {});
        }
        if (t.values.empty()) return node(op::const_false, {});

        std::vector<std::uint32_t> per_value;  // one node per value (for all) or alternative
        std::vector<string_pattern> any_patterns;
        bool has_null = false;

        auto finish = [&]() -> std::uint32_t {
            std::vector<std::uint32_t> kids = per_value;
            if (!any_patterns.empty()) {
                predicate p;
                p.kind = keyword ? pred_kind::keyword : pred_kind::match;
                p.field = f;
                p.patterns = std::move(any_patterns);
                kids.push_back(pred(std::move(p)));
            }
            if (has_null) {
                predicate p;
                p.kind = pred_kind::null_value;
                p.field = f;
                kids.push_back(pred(std::move(p)));
            }
            std::uint32_t r = kids.empty() ? node(op::const_false, {}) : node(m.all ? op::and_ : op::or_, std::move(kids));
            return m.neq ? node(op::not_, {r}) : r;
        };

        if (m.exists) {
            if (t.values.size() != 1 || (t.values[0].text != "true" && t.values[0].text != "false")) {
                add(t.line, t.column, "modifier.exists", where + "|exists takes true or false");
                return node(op::const_false, {});
            }
            predicate p;
            p.kind = pred_kind::exists;
            p.field = f;
            std::uint32_t n = pred(std::move(p));
            bool want = t.values[0].text == "true";
            if (m.neq) want = !want;
            return want ? n : node(op::not_, {n});
        }

        for (const auto& v : t.values) {
            int line = v.line ? v.line : t.line, column = v.column ? v.column : t.column;
            if (v.t == rule_value::type::null) {
                if (keyword) {
                    add(line, column, "detection.null_keyword", "a keyword list cannot contain null");
                    continue;
                }
                has_null = true;
                continue;
            }
            if (m.cidr) {
                predicate p;
                p.kind = pred_kind::cidr;
                p.field = f;
                ip_net net;
                if (!parse_cidr(v.text, net)) {
                    add(line, column, "cidr.invalid", "'" + v.text + "' on " + where + " is not an IPv4 or IPv6 network like 10.0.0.0/8 or fe80::/10");
                    continue;
                }
                p.nets.push_back(net);
                per_value.push_back(pred(std::move(p)));
                continue;
            }
            if (m.has_cmp || m.has_time) {
                double num;
                if (!parse_number(v.text, num)) {
                    add(line, column, "numeric.invalid", "'" + v.text + "' on " + where + " must be a number for this modifier");
                    continue;
                }
                predicate p;
                p.kind = m.has_time ? pred_kind::time_part : pred_kind::numeric;
                p.field = f;
                p.unit = m.unit;
                p.op = m.has_cmp ? m.cmp : cmp_op::eq;
                p.number = num;
                per_value.push_back(pred(std::move(p)));
                continue;
            }
            if (m.fieldref) {
                predicate p;
                p.kind = pred_kind::fieldref;
                p.field = f;
                p.other_field = v.text;
                p.cased = m.cased;
                p.mode = m.contains ? ref_mode::contains : m.startswith ? ref_mode::startswith
                         : m.endswith ? ref_mode::endswith : ref_mode::equals;
                per_value.push_back(pred(std::move(p)));
                continue;
            }
            std::vector<std::string> texts;
            if (m.expand) {
                if (!expand(t, v, texts)) continue;
            } else {
                texts.push_back(v.text);
            }
            std::vector<string_pattern> pats;
            for (const auto& text : texts)
                if (!string_patterns(t, m, text, line, column, pats)) pats.clear();
            if (pats.empty()) continue;
            if (m.all) {
                predicate p;
                p.kind = keyword ? pred_kind::keyword : pred_kind::match;
                p.field = f;
                p.patterns = std::move(pats);
                per_value.push_back(pred(std::move(p)));
            } else {
                for (auto& p : pats) any_patterns.push_back(std::move(p));
            }
        }
        if (m.all && has_null) {
            add(t.line, t.column, "detection.null_in_list", where + ": null cannot be part of a value list with 'all'", severity::warning);
        }
        return finish();
    }

    void collect_key_fields(std::uint32_t n, bool positive) {
        const auto& e = m_ir.nodes[n];
        if (e.o == op::pred) {
            const auto& p = m_ir.preds[e.pred];
            if (positive && !p.field.empty() && p.kind != pred_kind::null_value &&
                std::find(m_ir.key_fields.begin(), m_ir.key_fields.end(), p.field) == m_ir.key_fields.end())
                m_ir.key_fields.push_back(p.field);
            return;
        }
        for (auto k : e.kids) collect_key_fields(k, e.o == op::not_ ? !positive : positive);
    }
};

}  // namespace

bool compile_rule(const std::shared_ptr<const rule_doc>& doc, const compile_options& opts, rule_ir& out,
                  std::vector<problem>& problems) {
    out = rule_ir{};
    compiler c(doc, opts, out, problems);
    return c.run();
}

void apply_filter(rule_ir& rule, const rule_ir& filter) {
    auto pred_base = static_cast<std::uint32_t>(rule.preds.size());
    auto node_base = static_cast<std::uint32_t>(rule.nodes.size());
    for (const auto& p : filter.preds) rule.preds.push_back(p);
    for (auto n : filter.nodes) {
        if (n.o == expr_node::op::pred) n.pred += pred_base;
        for (auto& k : n.kids) k += node_base;
        rule.nodes.push_back(std::move(n));
    }
    expr_node neg;
    neg.o = expr_node::op::not_;
    neg.kids = {filter.root + node_base};
    rule.nodes.push_back(std::move(neg));
    expr_node both;
    both.o = expr_node::op::and_;
    both.kids = {rule.root, static_cast<std::uint32_t>(rule.nodes.size() - 1)};
    rule.nodes.push_back(std::move(both));
    rule.root = static_cast<std::uint32_t>(rule.nodes.size() - 1);
}

}  // namespace mimamori::sigma
