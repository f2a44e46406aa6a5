// Numeric modifiers: lt, lte, gt, gte (and the number reading neq and time parts share).
#include <cerrno>
#include <cstdlib>
#include <string>

#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

bool parse_number(std::string_view text, double& out) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty() || text.size() > 64) return false;
    char buf[72];
    text.copy(buf, text.size());
    buf[text.size()] = 0;
    char* end = nullptr;
    errno = 0;
    bool neg = buf[0] == '-';
    const char* digits = buf + (neg || buf[0] == '+');
    if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        unsigned long long v = std::strtoull(digits + 2, &end, 16);
        if (end == digits + 2 || *end || errno) return false;
        out = neg ? -static_cast<double>(v) : static_cast<double>(v);
        return true;
    }
    // Only plain decimal notation: strtod would also take "inf", "nan" and hex floats.
    for (const char* p = digits; *p; ++p)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '-' || *p == '+'))
            return false;
    out = std::strtod(buf, &end);
    return end != buf && *end == 0;
}

bool compare(double v, cmp_op op, double rhs) {
    switch (op) {
        case cmp_op::eq: return v == rhs;
        case cmp_op::lt: return v < rhs;
        case cmp_op::lte: return v <= rhs;
        case cmp_op::gt: return v > rhs;
        case cmp_op::gte: return v >= rhs;
    }
    return false;
}

const char* op_name(cmp_op op) {
    switch (op) {
        case cmp_op::eq: return "=";
        case cmp_op::lt: return "<";
        case cmp_op::lte: return "<=";
        case cmp_op::gt: return ">";
        case cmp_op::gte: return ">=";
    }
    return "?";
}

}  // namespace mimamori::sigma
