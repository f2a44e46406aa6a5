// Canonical keys and human descriptions of patterns and predicates.
#include "detect/sigma/ir.hpp"

#include <cstdio>

#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

std::string string_pattern::key() const {
    std::string k = is_regex ? "re:" : "glob:";
    k += cased ? 'c' : 'i';
    if (multiline) k += 'm';
    if (dotall) k += 's';
    k += ':';
    if (is_regex) {
        k += regex;
    } else {
        for (const auto& t : tokens) {
            switch (t.k) {
                case glob_token::kind::literal:
                    k += 'L';
                    k += std::to_string(t.text.size());
                    k += ':';
                    k += t.text;
                    break;
                case glob_token::kind::any_char: k += '?'; break;
                case glob_token::kind::any_string: k += '*'; break;
                case glob_token::kind::dash: k += 'D'; break;
            }
        }
    }
    return k;
}

namespace {
std::string net_text(const ip_net& n) {
    char buf[64];
    if (!n.v6) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u/%d", n.addr[0], n.addr[1], n.addr[2], n.addr[3], n.prefix);
        return buf;
    }
    std::string s;
    for (int i = 0; i < 16; i += 2) {
        std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (n.addr[i] << 8) | n.addr[i + 1]);
        s += buf;
    }
    return s + "/" + std::to_string(n.prefix);
}

std::string number_text(double d) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
}
}  // namespace

std::string predicate::key() const {
    std::string k = std::to_string(static_cast<int>(kind)) + "|" + field + "|";
    switch (kind) {
        case pred_kind::match:
        case pred_kind::keyword:
            for (const auto& p : patterns) {
                auto pk = p.key();
                k += std::to_string(pk.size()) + ":" + pk;
            }
            break;
        case pred_kind::exists:
        case pred_kind::null_value: break;
        case pred_kind::numeric: k += op_name(op) + number_text(number); break;
        case pred_kind::time_part: k += std::string(unit_name(unit)) + op_name(op) + number_text(number); break;
        case pred_kind::cidr:
            for (const auto& n : nets) k += net_text(n) + ",";
            break;
        case pred_kind::fieldref:
            k += std::to_string(static_cast<int>(mode)) + (cased ? "c" : "i") + other_field;
            break;
    }
    return k;
}

std::string predicate::describe() const {
    std::string name = field.empty() ? std::string("keywords") : field;
    switch (kind) {
        case pred_kind::match:
        case pred_kind::keyword: {
            std::string s = name + (patterns.size() > 1 ? " matches any of " : " matches ");
            for (std::size_t i = 0; i < patterns.size() && i < 5; ++i) {
                if (i) s += ", ";
                s += "'" + (patterns[i].is_regex ? "/" + patterns[i].regex + "/" : glob_to_text(patterns[i].tokens)) + "'";
            }
            if (patterns.size() > 5) s += ", ...";
            return s;
        }
        case pred_kind::exists: return name + " exists";
        case pred_kind::null_value: return name + " is null or empty";
        case pred_kind::numeric: return name + " " + op_name(op) + " " + number_text(number);
        case pred_kind::time_part:
            return std::string(unit_name(unit)) + " of " + name + " " + op_name(op) + " " + number_text(number);
        case pred_kind::cidr: {
            std::string s = name + " in";
            for (const auto& n : nets) s += " " + net_text(n);
            return s;
        }
        case pred_kind::fieldref: return name + " relates to field " + other_field;
    }
    return name;
}

}  // namespace mimamori::sigma
