// JSON flattening and the YAML-driven ECS mapping (contract in json_map.hpp; file format at the
// top of mappings/ndjson/default.yaml).
//
// Speed notes. One simdjson DOM parser per mapper (the DOM API picks the CPU's SIMD kernel at
// run time; this build's on-demand API is compiled for the portable fallback only), fed from a
// padded buffer the mapper owns (lines in the arena carry no padding). Field names live in a trie of canonical dotted
// paths: an edge (parent node, key) → node is one hash probe per key, and each node caches its
// interned field id and validator, so the per-field cost is a probe and a push. Every name the
// mapping mentions is a node too, compiled once: profile conditions and ECS rules read a
// node's "seen in this object" stamp and first value in O(1), no string maps per event.
#include "parse/json_map.hpp"

#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace mimamori::parse {

namespace {

constexpr std::uint32_t k_none = ~std::uint32_t{0};

// ----------------------------------------------------------------------------------------------
// Strings that must outlive every batch (source types, mapping constants).

std::string_view stable_string(std::string_view s) {
    static std::mutex mu;
    static std::unordered_set<std::string> store;  // node-based: element addresses are stable
    std::lock_guard lock(mu);
    return *store.emplace(s).first;
}

// ----------------------------------------------------------------------------------------------
// Value checks, by field name: the same rules the schema test applies, so that neither a
// native ECS-named field nor a mapped one can produce an event the schema rejects.

enum class check : std::uint8_t {
    none, ip, port, status_code, count, pid, outcome, category, number, transport, reserved
};

constexpr std::string_view k_categories[] = {
    "authentication", "configuration", "database", "driver", "email", "file", "host",
    "iam", "intrusion_detection", "malware", "network", "package", "process",
    "registry", "session", "threat", "vulnerability", "web", "api"};
constexpr std::string_view k_transports[] = {"tcp", "udp", "icmp", "ipv6-icmp", "gre",
                                             "esp", "ah",  "sctp", "igmp"};
// Keys the JSON writer emits itself; a native field of that name would duplicate them.
constexpr std::string_view k_reserved[] = {"@timestamp",    "event.dataset", "event.original",
                                           "log.file.path", "log.file.line", "log.offset",
                                           "mimamori.parse_error"};

bool ends_with(std::string_view s, std::string_view suf) {
    return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

check check_for(std::string_view name, field_id id) {
    for (auto r : k_reserved)
        if (name == r) return check::reserved;
    if (ends_with(name, ".ip")) return check::ip;
    if (ends_with(name, ".port")) return check::port;
    if (name == "http.response.status_code") return check::status_code;
    if (ends_with(name, ".bytes") || ends_with(name, ".packets")) return check::count;
    if (name == "process.pid") return check::pid;
    if (name == "event.outcome") return check::outcome;
    if (name == "event.category") return check::category;
    if (name == "network.transport") return check::transport;
    if (id != k_no_field && id < f::k_first_dynamic && default_kind(id) == value_kind::number)
        return check::number;
    return check::none;
}

bool is_plain_number(std::string_view v) {
    if (v.empty()) return false;
    bool digit = false;
    for (char c : v) {
        if (c >= '0' && c <= '9') digit = true;
        else if (c != '.' && c != '-') return false;
    }
    return digit;
}

bool passes(check c, std::string_view v) {
    switch (c) {
        case check::none: return !v.empty();
        case check::reserved: return false;
        case check::ip: return is_ip(v);
        case check::port: return is_uint_in(v, 0, 65535);
        case check::status_code: return is_uint_in(v, 100, 999);
        case check::count: return is_uint_in(v, 0, ~0ULL >> 1);
        case check::pid: return is_uint_in(v, 0, 4294967295ULL);
        case check::outcome: return v == "success" || v == "failure" || v == "unknown";
        case check::category:
            return std::find(std::begin(k_categories), std::end(k_categories), v) != std::end(k_categories);
        case check::number: return is_plain_number(v);
        case check::transport:
            return std::find(std::begin(k_transports), std::end(k_transports), v) !=
                       std::end(k_transports) ||
                   is_uint_in(v, 0, 255);
    }
    return false;
}

// ----------------------------------------------------------------------------------------------
// Timestamps.

enum class ts_format : std::uint8_t { automatic, rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns, layout };

// Decimal "123" or "123.456" (no sign, no exponent) scaled to ns, where one unit = 10^-scale s.
bool parse_epoch(std::string_view s, int scale, timestamp_ns& out) {
    std::size_t i = 0;
    std::int64_t whole = 0;
    int nd = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        if (++nd > 19) return false;
        whole = whole * 10 + (s[i] - '0');
        ++i;
    }
    if (nd == 0) return false;
    std::int64_t frac_ns = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        // The fraction of one unit, in ns: unit is 10^(9-scale) ns.
        std::int64_t unit = 1;
        for (int k = scale; k < 9; ++k) unit *= 10;
        std::int64_t place = unit;
        std::size_t d = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            place /= 10;
            frac_ns += (s[i] - '0') * place;
            ++i;
        }
        if (i == d) return false;
    }
    if (i != s.size()) return false;
    std::int64_t mult = 1;
    for (int k = scale; k < 9; ++k) mult *= 10;
    if (whole > std::numeric_limits<std::int64_t>::max() / mult) return false;
    out = whole * mult + frac_ns;
    return true;
}

// Whether an RFC 3339-like stamp carries its own zone (Z or an offset after the seconds).
bool rfc3339_has_zone(std::string_view s) {
    if (s.size() <= 19) return false;
    std::size_t i = 19;
    if (s[i] == '.' || s[i] == ',') {
        ++i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    }
    return i < s.size();
}

timestamp_ns local_to_utc_ns(timestamp_ns local, const time_zone* zone) {
    if (!zone) return local;
    std::int64_t secs = local / k_ns_per_sec, frac = local % k_ns_per_sec;
    if (frac < 0) {
        frac += k_ns_per_sec;
        --secs;
    }
    return zone->local_to_utc(secs) * k_ns_per_sec + frac;
}

bool parse_rfc3339_zoned(std::string_view s, const time_zone* zone, timestamp_ns& out) {
    if (!parse_rfc3339(s, out, 0)) return false;
    if (!rfc3339_has_zone(s)) out = local_to_utc_ns(out, zone);
    return true;
}

bool read_digits(std::string_view s, std::size_t& i, int min_n, int max_n, unsigned& v) {
    v = 0;
    int n = 0;
    while (n < max_n && i < s.size() && s[i] >= '0' && s[i] <= '9') {
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
        ++i;
        ++n;
    }
    return n >= min_n;
}

// A small strptime: %Y %m %d %e %H %M %S %y %b %h %f %z %Z %T %s %%; a space matches one or
// more spaces; other characters match themselves.
bool parse_layout(std::string_view s, std::string_view layout, const time_zone* zone, timestamp_ns& out) {
    civil_time c;
    bool zoned = false, epoch = false;
    std::int32_t off = 0;
    std::int64_t epoch_s = 0;
    std::size_t i = 0;
    for (std::size_t k = 0; k < layout.size(); ++k) {
        char lc = layout[k];
        if (lc != '%') {
            if (lc == ' ') {
                if (i >= s.size() || s[i] != ' ') return false;
                while (i < s.size() && s[i] == ' ') ++i;
            } else {
                if (i >= s.size() || s[i] != lc) return false;
                ++i;
            }
            continue;
        }
        if (++k >= layout.size()) return false;
        unsigned v = 0;
        switch (layout[k]) {
            case 'Y':
                if (!read_digits(s, i, 4, 4, v)) return false;
                c.year = static_cast<int>(v);
                break;
            case 'y':
                if (!read_digits(s, i, 2, 2, v)) return false;
                c.year = 2000 + static_cast<int>(v);
                break;
            case 'm':
                if (!read_digits(s, i, 1, 2, c.month)) return false;
                break;
            case 'e':
                while (i < s.size() && s[i] == ' ') ++i;
                [[fallthrough]];
            case 'd':
                if (!read_digits(s, i, 1, 2, c.day)) return false;
                break;
            case 'H':
                if (!read_digits(s, i, 1, 2, c.hour)) return false;
                break;
            case 'M':
                if (!read_digits(s, i, 1, 2, c.minute)) return false;
                break;
            case 'S':
                if (!read_digits(s, i, 1, 2, c.second)) return false;
                break;
            case 'T':
                if (!read_digits(s, i, 1, 2, c.hour) || i >= s.size() || s[i++] != ':' ||
                    !read_digits(s, i, 1, 2, c.minute) || i >= s.size() || s[i++] != ':' ||
                    !read_digits(s, i, 1, 2, c.second))
                    return false;
                break;
            case 'b':
            case 'h': {
                if (i + 3 > s.size()) return false;
                c.month = month_from_abbrev(s.substr(i, 3));
                if (c.month == 0) return false;
                i += 3;
                while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) ++i;
                break;
            }
            case 'f': {
                std::uint32_t frac = 0;
                int n = 0;
                while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                    if (n < 9) {
                        frac = frac * 10 + static_cast<std::uint32_t>(s[i] - '0');
                        ++n;
                    }
                    ++i;
                }
                if (n == 0) return false;
                for (; n < 9; ++n) frac *= 10;
                c.nanos = frac;
                break;
            }
            case 'z': {
                if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
                    ++i;
                    zoned = true;
                    off = 0;
                    break;
                }
                if (i >= s.size() || (s[i] != '+' && s[i] != '-')) return false;
                int sign = s[i] == '-' ? -1 : 1;
                ++i;
                unsigned hh = 0, mm = 0;
                if (!read_digits(s, i, 2, 2, hh)) return false;
                if (i < s.size() && s[i] == ':') ++i;
                if (!read_digits(s, i, 2, 2, mm)) return false;
                off = sign * static_cast<std::int32_t>(hh * 3600 + mm * 60);
                zoned = true;
                break;
            }
            case 'Z': {
                std::size_t st = i;
                while (i < s.size() && s[i] >= 'A' && s[i] <= 'Z') ++i;
                auto z = s.substr(st, i - st);
                if (z != "UTC" && z != "GMT" && z != "Z") return false;
                zoned = true;
                off = 0;
                break;
            }
            case 's': {
                std::size_t st = i;
                while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
                if (i == st || i - st > 12) return false;
                epoch_s = std::stoll(std::string(s.substr(st, i - st)));
                epoch = true;
                break;
            }
            case '%':
                if (i >= s.size() || s[i] != '%') return false;
                ++i;
                break;
            default: return false;
        }
    }
    if (i != s.size()) return false;
    if (epoch) {
        out = epoch_s * k_ns_per_sec + c.nanos;
        return true;
    }
    if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour > 23 || c.minute > 59 ||
        c.second > 60)
        return false;
    timestamp_ns t = (civil_to_seconds(c) - off) * k_ns_per_sec + c.nanos;
    out = zoned ? t : local_to_utc_ns(t, zone);
    return true;
}

// Strict JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
    std::size_t i = 0, n = s.size();
    if (i < n && s[i] == '-') ++i;
    if (i >= n) return false;
    if (s[i] == '0') {
        ++i;
    } else if (s[i] >= '1' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    } else {
        return false;
    }
    if (i < n && s[i] == '.') {
        std::size_t d = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == d) return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t d = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
        if (i == d) return false;
    }
    return i == n;
}

// simdjson rejects integers beyond 64 bits and doubles out of range. Rather than lose the whole
// object, such numbers are quoted (kept as text) and the object parsed again. Only tokens that
// are valid JSON numbers are touched, so broken numbers still make the object malformed.
bool quote_big_numbers(std::string_view s, std::string& out) {
    out.clear();
    bool changed = false;
    std::size_t i = 0, copied = 0;
    while (i < s.size()) {
        char c = s[i];
        if (c == '"') {
            for (++i; i < s.size() && s[i] != '"'; ++i)
                if (s[i] == '\\') ++i;
            ++i;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            std::size_t st = i;
            while (i < s.size() && (s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                                    (s[i] >= '0' && s[i] <= '9')))
                ++i;
            std::string_view tok = s.substr(st, i - st);
            bool big = tok.size() > 18 || tok.find_first_of("eE") != std::string_view::npos;
            if (big && is_json_number(tok)) {
                out.append(s.substr(copied, st - copied)).append(1, '"').append(tok).append(1, '"');
                copied = i;
                changed = true;
            }
            continue;
        }
        ++i;
    }
    if (changed) out.append(s.substr(copied));
    return changed;
}

bool all_digits_dot(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if ((c < '0' || c > '9') && c != '.') return false;
    return true;
}

bool parse_time_value(std::string_view v, ts_format fmt, std::string_view layout, const time_zone* zone,
                      timestamp_ns& out) {
    switch (fmt) {
        case ts_format::rfc3339: return parse_rfc3339_zoned(v, zone, out);
        case ts_format::epoch_s: return parse_epoch(v, 0, out);
        case ts_format::epoch_ms: return parse_epoch(v, 3, out);
        case ts_format::epoch_us: return parse_epoch(v, 6, out);
        case ts_format::epoch_ns: return parse_epoch(v, 9, out);
        case ts_format::layout: return parse_layout(v, layout, zone, out);
        case ts_format::automatic: {
            if (all_digits_dot(v)) {
                std::size_t int_digits = v.find('.');
                if (int_digits == std::string_view::npos) int_digits = v.size();
                int scale = int_digits <= 10 ? 0 : int_digits <= 13 ? 3 : int_digits <= 16 ? 6 : 9;
                return parse_epoch(v, scale, out);
            }
            if (parse_rfc3339_zoned(v, zone, out)) return true;
            static constexpr std::string_view k_layouts[] = {
                "%d/%b/%Y:%H:%M:%S %z",  // Apache / nginx access logs
                "%Y/%m/%d %H:%M:%S",
                "%Y-%m-%dT%H:%M:%S.%f%z",
                "%b %e %H:%M:%S %Y",
                "%a %b %e %H:%M:%S %Y",
            };
            for (auto l : k_layouts)
                if (parse_layout(v, l, zone, out)) return true;
            return false;
        }
    }
    return false;
}

}  // namespace

// ----------------------------------------------------------------------------------------------
// The mapping as loaded from YAML (names are strings; compiled per mapper into node indexes).

namespace {

enum class cond_op : std::uint8_t { exists, missing, equals, not_equals, starts_with, all, any, negate };

struct condition {
    cond_op op = cond_op::all;
    std::string field;
    std::vector<std::string_view> values;  // stable strings
    std::vector<condition> kids;
};

enum class xform_op : std::uint8_t { lowercase, uppercase, host, port, after_last, before_first, trim };

struct transform {
    xform_op op;
    std::string arg;
};

struct rule {
    bool has_cond = false;
    condition cond;
    std::string from;            // native name ("" when `value` is used)
    std::string_view constant;   // stable; used when `from` is empty
    std::vector<transform> transforms;
    bool has_map = false;
    std::vector<std::pair<std::string, std::string_view>> map;  // native value → stable value
    bool has_default = false;
    std::string_view map_default;
};

struct target_spec {
    std::string name;
    std::vector<rule> rules;
};

struct ts_spec {
    std::string field;
    ts_format fmt = ts_format::automatic;
    std::string layout;
    std::vector<transform> transforms;
    bool utc = false;  // zone-less stamps are UTC rather than the configured local zone
};

struct profile_spec {
    std::string_view name;  // stable
    bool has_match = false;
    condition match;
    std::vector<ts_spec> ts;
    std::vector<target_spec> fields;
};

}  // namespace

class json_mapping {
public:
    std::string path;
    std::vector<profile_spec> profiles;
};

namespace {

// ----------------------------------------------------------------------------------------------
// YAML loader: collects every problem with file:line:col.

class loader {
public:
    explicit loader(std::string file) : m_file(std::move(file)) {}

    std::vector<std::string> errors;

    void fail(const YAML::Node& n, const std::string& msg) {
        std::string where = m_file;
        if (n.IsDefined() && n.Mark().line >= 0)
            where += ":" + std::to_string(n.Mark().line + 1) + ":" + std::to_string(n.Mark().column + 1);
        errors.push_back(where + ": " + msg);
    }
    void fail_at(const YAML::Mark& m, const std::string& msg) {
        std::string where = m_file;
        if (m.line >= 0) where += ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
        errors.push_back(where + ": " + msg);
    }

    bool scalar(const YAML::Node& n, std::string& out, const char* what) {
        if (!n.IsScalar()) {
            fail(n, std::string(what) + " must be a single value");
            return false;
        }
        out = n.Scalar();
        return true;
    }

    // A scalar or a list of scalars.
    bool names(const YAML::Node& n, std::vector<std::string>& out, const char* what) {
        if (n.IsScalar()) {
            if (n.Scalar().empty()) {
                fail(n, std::string(what) + " is empty");
                return false;
            }
            out.push_back(n.Scalar());
            return true;
        }
        if (n.IsSequence() && n.size() > 0) {
            bool ok = true;
            for (const auto& it : n) {
                if (!it.IsScalar() || it.Scalar().empty()) {
                    fail(it, std::string(what) + ": each item must be a non-empty name");
                    ok = false;
                } else {
                    out.push_back(it.Scalar());
                }
            }
            return ok;
        }
        fail(n, std::string(what) + " must be a name or a list of names");
        return false;
    }

    bool parse_condition(const YAML::Node& n, condition& c) {
        if (!n.IsMap() || n.size() == 0) {
            fail(n, "a condition is a map such as {exists: field} or {equals: {field: value}}");
            return false;
        }
        std::vector<condition> parts;
        bool ok = true;
        for (auto it = n.begin(); it != n.end(); ++it) {
            std::string op = it->first.IsScalar() ? it->first.Scalar() : "";
            const YAML::Node arg = it->second;  // a copy: the iterator hands out a temporary
            if (op == "exists" || op == "missing") {
                std::vector<std::string> fs;
                if (!names(arg, fs, op.c_str())) {
                    ok = false;
                    continue;
                }
                for (auto& f : fs) {
                    condition k;
                    k.op = op == "exists" ? cond_op::exists : cond_op::missing;
                    k.field = f;
                    parts.push_back(std::move(k));
                }
            } else if (op == "equals" || op == "not_equals" || op == "starts_with") {
                if (!arg.IsMap() || arg.size() == 0) {
                    fail(arg, op + " takes a map of field: value (or field: [values])");
                    ok = false;
                    continue;
                }
                for (auto f = arg.begin(); f != arg.end(); ++f) {
                    condition k;
                    k.op = op == "equals" ? cond_op::equals
                           : op == "not_equals" ? cond_op::not_equals : cond_op::starts_with;
                    if (!f->first.IsScalar() || f->first.Scalar().empty()) {
                        fail(f->first, op + ": field name must be a non-empty name");
                        ok = false;
                        continue;
                    }
                    k.field = f->first.Scalar();
                    std::vector<std::string> vs;
                    const YAML::Node vn = f->second;  // a copy: the iterator hands out a temporary
                    if (vn.IsScalar()) {
                        vs.push_back(vn.Scalar());
                    } else if (vn.IsSequence() && vn.size() > 0) {
                        for (const auto& v : vn) {
                            if (!v.IsScalar()) {
                                fail(v, op + ": values must be single values");
                                ok = false;
                            } else {
                                vs.push_back(v.Scalar());
                            }
                        }
                    } else {
                        fail(vn, op + ": '" + k.field + "' needs a value or a list of values");
                        ok = false;
                        continue;
                    }
                    for (auto& v : vs) k.values.push_back(stable_string(v));
                    parts.push_back(std::move(k));
                }
            } else if (op == "all" || op == "any") {
                if (!arg.IsSequence() || arg.size() == 0) {
                    fail(arg, op + " takes a non-empty list of conditions");
                    ok = false;
                    continue;
                }
                condition k;
                k.op = op == "all" ? cond_op::all : cond_op::any;
                for (const auto& sub : arg) {
                    condition s;
                    if (parse_condition(sub, s)) k.kids.push_back(std::move(s));
                    else ok = false;
                }
                parts.push_back(std::move(k));
            } else if (op == "not") {
                condition k;
                k.op = cond_op::negate;
                condition s;
                if (!parse_condition(arg, s)) {
                    ok = false;
                    continue;
                }
                k.kids.push_back(std::move(s));
                parts.push_back(std::move(k));
            } else {
                fail(it->first, "unknown condition '" + op +
                                    "' (known: exists, missing, equals, not_equals, starts_with, all, any, not)");
                ok = false;
            }
        }
        if (parts.size() == 1) {
            c = std::move(parts[0]);
        } else {
            c = condition{};
            c.op = cond_op::all;
            c.kids = std::move(parts);
        }
        return ok;
    }

    bool parse_transform_item(const YAML::Node& n, std::vector<transform>& out) {
        static const std::pair<const char*, xform_op> k_plain[] = {
            {"lowercase", xform_op::lowercase}, {"uppercase", xform_op::uppercase},
            {"host", xform_op::host},           {"port", xform_op::port},
            {"trim", xform_op::trim}};
        static const std::pair<const char*, xform_op> k_arg[] = {
            {"after_last", xform_op::after_last}, {"before_first", xform_op::before_first}};
        if (n.IsScalar()) {
            for (auto& [name, op] : k_plain)
                if (n.Scalar() == name) {
                    out.push_back({op, {}});
                    return true;
                }
            fail(n, "unknown transform '" + n.Scalar() +
                        "' (known: lowercase, uppercase, host, port, trim, {after_last: X}, {before_first: X})");
            return false;
        }
        if (n.IsMap() && n.size() == 1) {
            auto it = n.begin();
            std::string name = it->first.IsScalar() ? it->first.Scalar() : "";
            for (auto& [nm, op] : k_arg)
                if (name == nm) {
                    if (!it->second.IsScalar() || it->second.Scalar().empty()) {
                        fail(it->second, name + " needs a non-empty separator");
                        return false;
                    }
                    out.push_back({op, it->second.Scalar()});
                    return true;
                }
            fail(it->first, "unknown transform '" + name + "' (with an argument: after_last, before_first)");
            return false;
        }
        fail(n, "a transform is a name (lowercase) or a one-entry map ({after_last: \"/\"})");
        return false;
    }

    // Check a value a rule can produce for `target` (constants, map outputs, defaults).
    void check_output(const std::string& target, const YAML::Node& where, std::string_view v) {
        check c = check_for(target, find_field(target));
        if (c == check::none) {
            if (v.empty()) fail(where, "value for '" + target + "' is empty");
            return;
        }
        if (!passes(c, v)) fail(where, "'" + std::string(v) + "' is not a valid value for " + target);
    }

    // One map item of a field spec; a list in `from` expands to one rule per candidate.
    bool parse_rule_map(const std::string& target, const YAML::Node& n, std::vector<rule>& out) {
        rule r;
        std::vector<std::string> froms;
        bool ok = true, has_value = false;
        for (auto it = n.begin(); it != n.end(); ++it) {
            std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
            const YAML::Node v = it->second;  // a copy: the iterator hands out a temporary
            if (key == "from") {
                ok &= names(v, froms, "from");
            } else if (key == "value") {
                std::string s;
                if (scalar(v, s, "value")) {
                    check_output(target, v, s);
                    r.constant = stable_string(s);
                    has_value = true;
                } else {
                    ok = false;
                }
            } else if (key == "if") {
                r.has_cond = true;
                ok &= parse_condition(v, r.cond);
            } else if (key == "transform") {
                if (v.IsSequence()) {
                    for (const auto& t : v) ok &= parse_transform_item(t, r.transforms);
                } else {
                    ok &= parse_transform_item(v, r.transforms);
                }
            } else if (key == "map") {
                if (!v.IsMap() || v.size() == 0) {
                    fail(v, "map takes native value: ECS value pairs");
                    ok = false;
                    continue;
                }
                r.has_map = true;
                for (auto m = v.begin(); m != v.end(); ++m) {
                    if (!m->first.IsScalar() || !m->second.IsScalar()) {
                        fail(m->first, "map entries must be value: value");
                        ok = false;
                        continue;
                    }
                    check_output(target, m->second, m->second.Scalar());
                    r.map.emplace_back(m->first.Scalar(), stable_string(m->second.Scalar()));
                }
            } else if (key == "default") {
                std::string s;
                if (scalar(v, s, "default")) {
                    check_output(target, v, s);
                    r.has_default = true;
                    r.map_default = stable_string(s);
                } else {
                    ok = false;
                }
            } else {
                fail(it->first, "unknown key '" + key + "' in the rule for '" + target +
                                    "' (known: from, value, if, transform, map, default)");
                ok = false;
            }
        }
        if (froms.empty() == !has_value) {
            fail(n, "the rule for '" + target + "' needs exactly one of 'from' or 'value'");
            return false;
        }
        if (has_value && (r.has_map || !r.transforms.empty())) {
            fail(n, "'value' is a constant: 'map' and 'transform' apply only to 'from'");
            ok = false;
        }
        if (r.has_default && !r.has_map) {
            fail(n, "'default' applies only with 'map'");
            ok = false;
        }
        if (!ok) return false;
        if (has_value) {
            out.push_back(std::move(r));
        } else {
            for (auto& f : froms) {
                rule c = r;
                c.from = f;
                out.push_back(std::move(c));
            }
        }
        return true;
    }

    bool parse_target(const std::string& target, const YAML::Node& n, target_spec& t) {
        t.name = target;
        bool ok = true;
        if (n.IsScalar()) {
            if (n.Scalar().empty()) {
                fail(n, "empty native name for '" + target + "'");
                return false;
            }
            rule r;
            r.from = n.Scalar();
            t.rules.push_back(std::move(r));
        } else if (n.IsMap()) {
            ok = parse_rule_map(target, n, t.rules);
        } else if (n.IsSequence() && n.size() > 0) {
            for (const auto& item : n) {
                if (item.IsScalar() && !item.Scalar().empty()) {
                    rule r;
                    r.from = item.Scalar();
                    t.rules.push_back(std::move(r));
                } else if (item.IsMap()) {
                    ok &= parse_rule_map(target, item, t.rules);
                } else {
                    fail(item, "each alternative for '" + target + "' is a native name or a rule map");
                    ok = false;
                }
            }
        } else {
            fail(n, "'" + target + "' needs a native name, a list of alternatives or a rule map");
            return false;
        }
        return ok;
    }

    bool parse_ts_item(const YAML::Node& n, std::vector<ts_spec>& out) {
        ts_spec t;
        if (n.IsScalar() && !n.Scalar().empty()) {
            t.field = n.Scalar();
            out.push_back(std::move(t));
            return true;
        }
        if (!n.IsMap()) {
            fail(n, "a timestamp is a field name or {field: name, format: rfc3339|epoch_s|epoch_ms|epoch_us|epoch_ns|auto|\"%Y-%m-%d …\"}");
            return false;
        }
        bool ok = true;
        for (auto it = n.begin(); it != n.end(); ++it) {
            std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
            if (key == "transform") {
                const YAML::Node tv = it->second;  // a copy: the iterator hands out a temporary
                if (tv.IsSequence()) {
                    for (const auto& t2 : tv) ok &= parse_transform_item(t2, t.transforms);
                } else {
                    ok &= parse_transform_item(it->second, t.transforms);
                }
                continue;
            }
            std::string v;
            if (!scalar(it->second, v, key.c_str())) {
                ok = false;
                continue;
            }
            if (key == "field") {
                t.field = v;
            } else if (key == "format") {
                static const std::pair<const char*, ts_format> k_fmts[] = {
                    {"auto", ts_format::automatic}, {"rfc3339", ts_format::rfc3339},
                    {"epoch_s", ts_format::epoch_s}, {"epoch_ms", ts_format::epoch_ms},
                    {"epoch_us", ts_format::epoch_us}, {"epoch_ns", ts_format::epoch_ns}};
                bool found = false;
                for (auto& [nm, f] : k_fmts)
                    if (v == nm) {
                        t.fmt = f;
                        found = true;
                    }
                if (!found) {
                    if (v.find('%') != std::string::npos) {
                        t.fmt = ts_format::layout;
                        t.layout = v;
                        timestamp_ns dummy;
                        (void)parse_layout("", v, nullptr, dummy);  // no crash on odd layouts
                        static const std::string_view k_ok = "YymdeHMSTbhfzZs% ";
                        for (std::size_t i = 0; i < v.size(); ++i)
                            if (v[i] == '%' && (i + 1 >= v.size() || k_ok.find(v[i + 1]) == std::string::npos)) {
                                fail(it->second, "layout '" + v + "': unknown directive (known: %Y %y %m %d %e %H %M %S %T %b %f %z %Z %s %%)");
                                ok = false;
                                break;
                            } else if (v[i] == '%') {
                                ++i;
                            }
                    } else {
                        fail(it->second, "unknown timestamp format '" + v +
                                             "' (known: auto, rfc3339, epoch_s, epoch_ms, epoch_us, epoch_ns, or a layout with %)");
                        ok = false;
                    }
                }
            } else if (key == "zone") {
                if (v == "utc" || v == "UTC") t.utc = true;
                else if (v == "local") t.utc = false;
                else {
                    fail(it->second, "zone must be 'utc' or 'local'");
                    ok = false;
                }
            } else {
                fail(it->first, "unknown key '" + key + "' in timestamp (known: field, format, zone, transform)");
                ok = false;
            }
        }
        if (t.field.empty()) {
            fail(n, "timestamp needs 'field'");
            return false;
        }
        if (ok) out.push_back(std::move(t));
        return ok;
    }

    static bool valid_profile_name(const std::string& s) {
        if (s.empty() || s.size() > 64) return false;
        for (char c : s)
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
                return false;
        return true;
    }

    void load(const YAML::Node& root, json_mapping& m) {
        if (!root.IsMap()) {
            fail(root, "a mapping file is a map with 'profiles:'");
            return;
        }
        YAML::Node profiles;
        for (auto it = root.begin(); it != root.end(); ++it) {
            std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
            if (key == "profiles") {
                profiles = it->second;
            } else if (key == "version") {
                if (!it->second.IsScalar() || it->second.Scalar() != "1")
                    fail(it->second, "unsupported version (this build reads version 1)");
            } else if (key != "description") {
                fail(it->first, "unknown top-level key '" + key + "' (known: version, description, profiles)");
            }
        }
        if (!profiles.IsDefined() || !profiles.IsSequence() || profiles.size() == 0) {
            fail(profiles.IsDefined() ? profiles : root, "'profiles' must be a non-empty list");
            return;
        }
        std::string catch_all;
        for (const auto& p : profiles) {
            if (!p.IsMap()) {
                fail(p, "each profile is a map with name, match, timestamp, fields");
                continue;
            }
            profile_spec ps;
            std::string name;
            bool has_ts = false;
            for (auto it = p.begin(); it != p.end(); ++it) {
                std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
                const YAML::Node v = it->second;  // a copy: the iterator hands out a temporary
                if (key == "name") {
                    if (scalar(v, name, "name") && !valid_profile_name(name)) {
                        fail(v, "profile name '" + name + "' must be 1-64 of [a-z0-9._-] (it becomes the source type)");
                        name.clear();
                    }
                } else if (key == "match") {
                    ps.has_match = parse_condition(v, ps.match);
                    if (!ps.has_match) ps.has_match = true;  // errors already reported
                } else if (key == "timestamp") {
                    has_ts = true;
                    if (v.IsSequence()) {
                        if (v.size() == 0) fail(v, "timestamp list is empty");
                        for (const auto& t : v) parse_ts_item(t, ps.ts);
                    } else {
                        parse_ts_item(v, ps.ts);
                    }
                } else if (key == "fields") {
                    if (!v.IsMap()) {
                        fail(v, "fields is a map of ECS name: native name (or alternatives / rules)");
                        continue;
                    }
                    for (auto f = v.begin(); f != v.end(); ++f) {
                        if (!f->first.IsScalar() || f->first.Scalar().empty()) {
                            fail(f->first, "field target must be a non-empty name");
                            continue;
                        }
                        std::string target = f->first.Scalar();
                        if (check_for(target, k_no_field) == check::reserved) {
                            fail(f->first, "'" + target + "' is written by Mimamori itself and cannot be mapped");
                            continue;
                        }
                        for (const auto& t : ps.fields)
                            if (t.name == target) fail(f->first, "'" + target + "' is mapped twice in this profile");
                        target_spec t;
                        if (parse_target(target, f->second, t)) ps.fields.push_back(std::move(t));
                    }
                } else if (key != "description") {
                    fail(it->first, "unknown profile key '" + key + "' (known: name, description, match, timestamp, fields)");
                }
            }
            if (name.empty()) {
                fail(p, "profile without a valid 'name'");
                continue;
            }
            if (!has_ts) fail(p, "profile '" + name + "' has no 'timestamp'");
            for (const auto& q : m.profiles)
                if (q.name == name) fail(p, "profile '" + name + "' is defined twice");
            if (!catch_all.empty())
                fail(p, "profile '" + name + "' can never match: profile '" + catch_all +
                            "' before it has no 'match' and takes every object");
            if (!ps.has_match && catch_all.empty()) catch_all = name;
            ps.name = stable_string(name);
            m.profiles.push_back(std::move(ps));
        }
    }

private:
    std::string m_file;
};

std::string join_errors(const std::vector<std::string>& errs) {
    std::string s;
    for (const auto& e : errs) s += (s.empty() ? "" : "\n") + e;
    return s;
}

}  // namespace

result<std::shared_ptr<const json_mapping>> load_json_mapping_text(std::string_view yaml,
                                                                   const std::string& name) {
    loader ld(name);
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& ex) {
        ld.fail_at(ex.mark, "not valid YAML: " + ex.msg);
        return error{"config.mapping", join_errors(ld.errors)};
    }
    auto m = std::make_shared<json_mapping>();
    m->path = name;
    try {
        ld.load(root, *m);
    } catch (const YAML::Exception& ex) {
        ld.fail_at(ex.mark, ex.msg);
    }
    if (!ld.errors.empty()) return error{"config.mapping", join_errors(ld.errors)};
    return std::shared_ptr<const json_mapping>(std::move(m));
}

result<std::shared_ptr<const json_mapping>> load_json_mapping(const std::string& path) {
    namespace fs = std::filesystem;
    static std::mutex mu;
    static std::map<std::string, std::pair<fs::file_time_type, std::shared_ptr<const json_mapping>>> cache;
    std::error_code ec;
    auto mtime = fs::last_write_time(path, ec);
    if (ec)
        return error{"config.mapping", path + ": cannot read the JSON field mapping (" + ec.message() +
                                           "); give another with --ndjson-mapping"};
    {
        std::lock_guard lock(mu);
        if (auto it = cache.find(path); it != cache.end() && it->second.first == mtime) return it->second.second;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) return error{"config.mapping", path + ": cannot open the JSON field mapping"};
    std::stringstream ss;
    ss << in.rdbuf();
    auto r = load_json_mapping_text(ss.str(), path);
    if (!r) return r;
    std::lock_guard lock(mu);
    cache[path] = {mtime, r.value()};
    return r;
}

std::string json_mapping_path(const options& opts) {
    if (!opts.ndjson_mapping.empty()) return opts.ndjson_mapping;
    std::string dir = opts.mappings_dir.empty() ? std::string(MIMAMORI_SOURCE_DIR) + "/mappings" : opts.mappings_dir;
    return dir + "/ndjson/default.yaml";
}

bool looks_like_json_object(std::string_view s) {
    std::size_t i = 0;
    if (s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    if (i >= s.size() || s[i] != '{') return false;
    int depth = 0;
    bool in_str = false;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (in_str) {
            if (c == '\\') ++i;
            else if (c == '"') in_str = false;
            continue;
        }
        if (c == '"') in_str = true;
        else if (c == '{' || c == '[') ++depth;
        else if (c == '}' || c == ']') {
            if (--depth == 0) {
                ++i;
                break;
            }
            if (depth < 0) return false;
        }
    }
    if (depth != 0 || in_str) return false;
    for (; i < s.size(); ++i)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

// ----------------------------------------------------------------------------------------------
// The mapper.

namespace {

// The child a key led to last time, to skip the hash probe when objects repeat their key order
// (they nearly always do: one source writes its keys in one order).
struct guess {
    std::uint32_t parent = k_none;
    std::uint32_t node = k_none;
    std::string key;
};

struct node {
    std::string path;
    guess first_child;   // the first key of an object at this node
    guess next_sibling;  // the key that followed this one
    field_id id = k_no_field;
    check chk = check::none;
    std::uint64_t stamp = 0;         // == mapper's m_seq when seen in the current object
    std::uint32_t first_value = k_none;  // index into m_vals of the first scalar under this name
};

struct scalar_value {
    std::string_view v;
    value_kind kind;
    bool in_batch;  // false: v points into the parser and must be copied before use in the event
};

struct c_cond {
    cond_op op;
    std::uint32_t node = k_none;
    const std::vector<std::string_view>* values = nullptr;
    std::vector<c_cond> kids;
};

struct c_rule {
    const rule* r;
    bool has_cond;
    c_cond cond;
    std::uint32_t from = k_none;
};

struct c_target {
    field_id id;
    check chk;
    bool declared;  // predeclared ECS field: its declared kind wins
    std::vector<c_rule> rules;
};

struct c_ts {
    std::uint32_t node;
    const ts_spec* spec;
};

struct c_profile {
    std::string_view name;
    bool has_match;
    c_cond match;
    std::vector<c_ts> ts;
    std::vector<c_target> targets;
};

// Edge key: parent node index (4 bytes) followed by the key bytes.
struct sv_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

const std::string_view* invalid_json_reasons() {
    // simdjson's messages are static; ours add the prefix, built once.
    static const auto table = [] {
        static std::array<std::string, simdjson::NUM_ERROR_CODES> t;
        for (int i = 0; i < simdjson::NUM_ERROR_CODES; ++i)
            t[i] = std::string("invalid JSON: ") + simdjson::error_message(static_cast<simdjson::error_code>(i));
        static std::array<std::string_view, simdjson::NUM_ERROR_CODES> v;
        for (int i = 0; i < simdjson::NUM_ERROR_CODES; ++i) v[i] = t[i];
        return v.data();
    }();
    return table;
}

std::string_view invalid_json_reason(simdjson::error_code err) {
    auto i = static_cast<int>(err);
    if (i < 0 || i >= simdjson::NUM_ERROR_CODES) return "invalid JSON";
    return invalid_json_reasons()[i];
}

}  // namespace

struct json_mapper::impl {
    simdjson::dom::parser parser;
    std::unique_ptr<char[]> buf;
    std::size_t buf_cap = 0;

    std::shared_ptr<const json_mapping> mapping;
    std::vector<c_profile> profiles;

    std::vector<node> nodes;
    std::unordered_map<std::string, std::uint32_t, sv_hash, std::equal_to<>> edges;
    std::unordered_map<std::string, std::uint32_t, sv_hash, std::equal_to<>> by_path;
    std::string keybuf;

    std::vector<scalar_value> vals;
    std::vector<std::uint64_t> id_seen;  // by field id: == seq when the event has that field
    std::uint64_t seq = 0;
    std::string_view last_profile;

    event_batch* batch = nullptr;  // of the current call
    std::string requoted;          // scratch for quote_big_numbers

    impl() {
        nodes.emplace_back();  // root
        nodes[0].path = "";
    }

    // -- names ---------------------------------------------------------------------------------

    // `from_data`: a name met in input, not in the mapping; those are capped per mapper and per
    // process, because interned names live for the process and input can invent names forever.
    std::uint32_t node_for_path(std::string_view path, bool from_data = false) {
        static std::atomic<std::size_t> new_names{0};
        if (auto it = by_path.find(path); it != by_path.end()) return it->second;
        if (from_data && nodes.size() >= k_max_names + 1) return k_none;
        field_id id = find_field(path);
        if (id == k_no_field) {
            if (from_data && new_names.fetch_add(1, std::memory_order_relaxed) >= k_max_process_names) return k_none;
            id = intern(path);
        }
        node n;
        n.path = std::string(path);
        n.id = id;
        n.chk = check_for(path, n.id);
        auto idx = static_cast<std::uint32_t>(nodes.size());
        nodes.push_back(std::move(n));
        by_path.emplace(nodes.back().path, idx);
        return idx;
    }

    std::uint32_t child(std::uint32_t parent, std::string_view key) {
        if (parent == k_none || key.empty() || key.size() > k_max_key) return k_none;
        keybuf.resize(4);
        std::memcpy(keybuf.data(), &parent, 4);
        keybuf.append(key);
        if (auto it = edges.find(std::string_view(keybuf)); it != edges.end()) return it->second;
        if (edges.size() >= 4 * k_max_names) return k_none;
        std::string path;
        if (parent == 0) {
            path.assign(key);
        } else {
            path.reserve(nodes[parent].path.size() + 1 + key.size());
            path.append(nodes[parent].path).append(1, '.').append(key);
        }
        std::uint32_t n = node_for_path(path, true);
        edges.emplace(keybuf, n);
        return n;
    }

    // child(parent, key) for the key after `prev` (k_none: the first key of the object).
    std::uint32_t predicted_child(std::uint32_t parent, std::uint32_t prev, bool first, std::string_view key) {
        if (parent == k_none || (!first && prev == k_none)) return child(parent, key);
        {
            const guess& g = first ? nodes[parent].first_child : nodes[prev].next_sibling;
            if (g.parent == parent && g.key == key) return g.node;
        }
        std::uint32_t n = child(parent, key);
        guess& g = first ? nodes[parent].first_child : nodes[prev].next_sibling;  // nodes may have grown
        g.parent = parent;
        g.node = n;
        g.key.assign(key);
        return n;
    }

    // -- compiling the mapping -----------------------------------------------------------------

    c_cond compile(const condition& c) {
        c_cond k;
        k.op = c.op;
        if (!c.field.empty()) k.node = node_for_path(c.field);
        k.values = &c.values;
        for (const auto& s : c.kids) k.kids.push_back(compile(s));
        return k;
    }

    void set_mapping(std::shared_ptr<const json_mapping> m) {
        mapping = std::move(m);
        profiles.clear();
        for (const auto& p : mapping->profiles) {
            c_profile cp;
            cp.name = p.name;
            cp.has_match = p.has_match;
            if (p.has_match) cp.match = compile(p.match);
            for (const auto& t : p.ts) cp.ts.push_back({node_for_path(t.field), &t});
            for (const auto& t : p.fields) {
                c_target ct;
                ct.id = intern(t.name);
                ct.chk = check_for(t.name, ct.id);
                ct.declared = ct.id < f::k_first_dynamic;
                for (const auto& r : t.rules) {
                    c_rule cr;
                    cr.r = &r;
                    cr.has_cond = r.has_cond;
                    if (r.has_cond) cr.cond = compile(r.cond);
                    if (!r.from.empty()) cr.from = node_for_path(r.from);
                    ct.rules.push_back(std::move(cr));
                }
                cp.targets.push_back(std::move(ct));
            }
            profiles.push_back(std::move(cp));
        }
    }

    // -- flattening ----------------------------------------------------------------------------

    void touch(std::uint32_t n) {
        node& nd = nodes[n];
        if (nd.stamp != seq) {
            nd.stamp = seq;
            nd.first_value = k_none;
        }
    }

    void mark_id(field_id id) {
        if (id >= id_seen.size()) id_seen.resize(std::max<std::size_t>(id + 1, id_seen.size() * 2), 0);
        id_seen[id] = seq;
    }
    bool id_present(field_id id) const { return id < id_seen.size() && id_seen[id] == seq; }

    // Values are copied into the batch: DOM strings live in the parser's buffer, which the next
    // object reuses. Only values that reach the event (or a mapped field) are copied.
    void emit(std::uint32_t n, std::string_view v, value_kind kind, bool in_batch) {
        if (n == k_none || n == 0 || v.empty()) return;
        node& nd = nodes[n];
        // Profiles and rules see every value; the event gets only those valid for their name.
        touch(n);
        if (nd.chk != check::none && !passes(nd.chk, v)) {
            if (nd.first_value == k_none) nd.first_value = static_cast<std::uint32_t>(vals.size());
            vals.push_back({v, kind, in_batch});
            return;
        }
        if (!in_batch) v = batch->copy(v);
        if (nd.first_value == k_none) nd.first_value = static_cast<std::uint32_t>(vals.size());
        vals.push_back({v, kind, true});
        if (nd.chk != check::none) {
            if (nd.id < f::k_first_dynamic) kind = default_kind(nd.id);
            else if (nd.chk == check::port || nd.chk == check::count) kind = value_kind::number;
        }
        batch->add(nd.id, v, kind);
        mark_id(nd.id);
    }

    void emit_number(std::uint32_t n, simdjson::dom::element el) {
        if (n == k_none) return;
        char tmp[64];
        std::to_chars_result r{};
        bool plain = true;
        switch (el.type()) {
            case simdjson::dom::element_type::INT64:
                r = std::to_chars(tmp, tmp + sizeof tmp, el.get_int64().value_unsafe());
                break;
            case simdjson::dom::element_type::UINT64:
                r = std::to_chars(tmp, tmp + sizeof tmp, el.get_uint64().value_unsafe());
                break;
            default: {
                double d = el.get_double().value_unsafe();
                // Fixed notation keeps values such as 0.000002701 readable and numeric for the
                // writer; beyond 1e21 the shortest form (with an exponent) is kept as text.
                if (d > -1e21 && d < 1e21) {
                    r = std::to_chars(tmp, tmp + sizeof tmp, d, std::chars_format::fixed);
                } else {
                    r = std::to_chars(tmp, tmp + sizeof tmp, d);
                    plain = false;
                }
            }
        }
        if (r.ec != std::errc()) return;
        emit(n, std::string_view(tmp, static_cast<std::size_t>(r.ptr - tmp)),
             plain ? value_kind::number : value_kind::string, false);
    }

    void walk(simdjson::dom::element el, std::uint32_t n, int depth) {
        using simdjson::dom::element_type;
        switch (el.type()) {
            case element_type::OBJECT: {
                if (n != k_none) touch(n);
                if (depth >= k_max_depth) {
                    if (n != k_none) emit(n, simdjson::minify(el), value_kind::string, false);
                    return;
                }
                simdjson::dom::object obj;
                if (el.get(obj)) return;
                std::uint32_t prev = k_none;
                bool first = true;
                for (auto kv : obj) {
                    std::uint32_t c = predicted_child(n, prev, first, kv.key);
                    first = false;
                    prev = c;
                    walk(kv.value, c, depth + 1);
                }
                return;
            }
            case element_type::ARRAY: {
                if (n != k_none) touch(n);
                if (depth >= k_max_depth) {
                    if (n != k_none) emit(n, simdjson::minify(el), value_kind::string, false);
                    return;
                }
                simdjson::dom::array arr;
                if (el.get(arr)) return;
                for (auto v : arr) walk(v, n, depth + 1);
                return;
            }
            case element_type::STRING:
                emit(n, el.get_string().value_unsafe(), value_kind::string, false);
                return;
            case element_type::INT64:
            case element_type::UINT64:
            case element_type::DOUBLE:
                emit_number(n, el);
                return;
            case element_type::BOOL:
                emit(n, el.get_bool().value_unsafe() ? std::string_view("true") : std::string_view("false"),
                     value_kind::boolean, true);
                return;
            case element_type::NULL_VALUE: return;
        }
    }

    void load(std::string_view text) {
        std::size_t need = text.size() + simdjson::SIMDJSON_PADDING;
        if (need > buf_cap) {
            buf_cap = std::max(need, buf_cap * 2);
            buf.reset(new char[buf_cap]);
        }
        std::memcpy(buf.get(), text.data(), text.size());
        std::memset(buf.get() + text.size(), 0, simdjson::SIMDJSON_PADDING);
    }

    parse_status parse_and_flatten(std::string_view text, event_batch& b, std::string_view& why) {
        load(text);
        batch = &b;
        ++seq;
        vals.clear();

        simdjson::dom::element root;
        auto err = parser.parse(buf.get(), text.size(), false).get(root);
        if (err == simdjson::NUMBER_ERROR) {
            if (quote_big_numbers(text, requoted)) {
                load(requoted);
                err = parser.parse(buf.get(), requoted.size(), false).get(root);
            }
        }
        if (err) {
            why = invalid_json_reason(err);
            return parse_status::malformed;
        }
        if (root.type() != simdjson::dom::element_type::OBJECT) {
            why = "JSON value is not an object";
            return parse_status::malformed;
        }
        nodes[0].stamp = seq;
        walk(root, 0, 1);
        return parse_status::ok;
    }

    // -- mapping -------------------------------------------------------------------------------

    const scalar_value* value_of(std::uint32_t n) const {
        if (n == k_none) return nullptr;
        const node& nd = nodes[n];
        if (nd.stamp != seq || nd.first_value == k_none) return nullptr;
        return &vals[nd.first_value];
    }

    bool eval(const c_cond& c) const {
        switch (c.op) {
            case cond_op::exists: return c.node != k_none && nodes[c.node].stamp == seq;
            case cond_op::missing: return c.node == k_none || nodes[c.node].stamp != seq;
            case cond_op::equals:
            case cond_op::not_equals: {
                const scalar_value* v = value_of(c.node);
                bool hit = false;
                if (v)
                    for (auto want : *c.values) hit |= v->v == want;
                return c.op == cond_op::equals ? hit : !hit;
            }
            case cond_op::starts_with: {
                const scalar_value* v = value_of(c.node);
                if (!v) return false;
                for (auto want : *c.values)
                    if (v->v.substr(0, want.size()) == want) return true;
                return false;
            }
            case cond_op::all:
                for (const auto& k : c.kids)
                    if (!eval(k)) return false;
                return true;
            case cond_op::any:
                for (const auto& k : c.kids)
                    if (eval(k)) return true;
                return false;
            case cond_op::negate: return !eval(c.kids[0]);
        }
        return false;
    }

    std::string_view apply(const transform& t, std::string_view v, bool& copied) {
        switch (t.op) {
            case xform_op::lowercase:
            case xform_op::uppercase: {
                bool change = false;
                for (char c : v)
                    change |= t.op == xform_op::lowercase ? (c >= 'A' && c <= 'Z') : (c >= 'a' && c <= 'z');
                if (!change) return v;
                char* p = batch->bytes().allocate(v.size());
                for (std::size_t i = 0; i < v.size(); ++i) {
                    char c = v[i];
                    if (t.op == xform_op::lowercase && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
                    if (t.op == xform_op::uppercase && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
                    p[i] = c;
                }
                copied = true;
                return {p, v.size()};
            }
            case xform_op::host: {
                // "[::1]:80" → "::1"; "1.2.3.4:80" → "1.2.3.4"; a bare IPv6 address stays whole.
                if (!v.empty() && v.front() == '[') {
                    auto close = v.find(']');
                    return close == std::string_view::npos ? v : v.substr(1, close - 1);
                }
                auto colon = v.find(':');
                if (colon != std::string_view::npos && v.find(':', colon + 1) == std::string_view::npos)
                    return v.substr(0, colon);
                return v;
            }
            case xform_op::port: {
                auto close = v.rfind(']');
                auto colon = v.rfind(':');
                if (colon == std::string_view::npos) return {};
                if (close != std::string_view::npos) return colon > close ? v.substr(colon + 1) : std::string_view{};
                if (v.find(':') != colon) return {};  // bare IPv6
                return v.substr(colon + 1);
            }
            case xform_op::after_last: {
                auto p = v.rfind(t.arg);
                return p == std::string_view::npos ? v : v.substr(p + t.arg.size());
            }
            case xform_op::before_first: {
                auto p = v.find(t.arg);
                return p == std::string_view::npos ? v : v.substr(0, p);
            }
            case xform_op::trim: {
                auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
                while (!v.empty() && ws(v.front())) v.remove_prefix(1);
                while (!v.empty() && ws(v.back())) v.remove_suffix(1);
                return v;
            }
        }
        return v;
    }

    void map_targets(const c_profile& p, event_batch& b) {
        for (const auto& t : p.targets) {
            if (id_present(t.id)) continue;  // the object itself carries this ECS field
            for (const auto& cr : t.rules) {
                if (cr.has_cond && !eval(cr.cond)) continue;
                const rule& r = *cr.r;
                std::string_view v;
                value_kind kind = value_kind::string;
                if (r.from.empty()) {
                    v = r.constant;
                } else {
                    const scalar_value* sv = value_of(cr.from);
                    if (!sv) continue;
                    v = sv->v;
                    kind = sv->kind;
                    if (!sv->in_batch) v = b.copy(v);
                    bool copied = false;
                    for (const auto& x : r.transforms) v = apply(x, v, copied);
                    if (!r.transforms.empty() && kind != value_kind::string) kind = value_kind::string;
                    if (r.has_map) {
                        bool found = false;
                        for (const auto& [from, to] : r.map)
                            if (from == v) {
                                v = to;
                                found = true;
                                break;
                            }
                        if (!found) {
                            if (!r.has_default) continue;
                            v = r.map_default;
                        }
                        kind = value_kind::string;
                    }
                }
                if (!passes(t.chk, v)) continue;
                if (t.declared) kind = default_kind(t.id);
                else if (kind == value_kind::number && !is_plain_number(v)) kind = value_kind::string;
                b.add(t.id, v, kind);
                mark_id(t.id);
                break;
            }
        }
    }

    bool read_time(const c_profile& p, const context& ctx, timestamp_ns& ts) {
        const time_zone* local = ctx.opts ? &ctx.opts->zone : nullptr;
        for (const auto& t : p.ts) {
            const scalar_value* v = value_of(t.node);
            if (!v) continue;
            std::string_view text = v->v;
            bool copied = false;
            for (const auto& x : t.spec->transforms) text = apply(x, text, copied);
            if (parse_time_value(text, t.spec->fmt, t.spec->layout, t.spec->utc ? nullptr : local, ts))
                return true;
        }
        return false;
    }

    parse_status map(std::string_view text, const context& ctx, event_batch& b, event& e,
                     std::string_view& why) {
        auto st = parse_and_flatten(text, b, why);
        if (st != parse_status::ok) return st;
        const c_profile* chosen = nullptr;
        for (const auto& p : profiles)
            if (!p.has_match || eval(p.match)) {
                chosen = &p;
                break;
            }
        if (!chosen) {
            why = "no profile of the JSON mapping matches this object";
            return parse_status::malformed;
        }
        timestamp_ns ts = k_no_time;
        if (!read_time(*chosen, ctx, ts)) {
            why = "JSON object has no timestamp the mapping can read";
            return parse_status::malformed;
        }
        map_targets(*chosen, b);
        e.ts = ts;
        e.source_type = chosen->name;
        last_profile = chosen->name;
        return parse_status::ok;
    }
};

json_mapper::json_mapper() : m(std::make_unique<impl>()) {}
json_mapper::~json_mapper() = default;

void json_mapper::set_mapping(std::shared_ptr<const json_mapping> mp) { m->set_mapping(std::move(mp)); }

status json_mapper::configure(const options& opts) {
    auto r = load_json_mapping(json_mapping_path(opts));
    if (!r) return r.err();
    set_mapping(r.value());
    return {};
}

parse_status json_mapper::map_object(std::string_view text, const context& ctx, event_batch& batch,
                                     event& e, std::string_view& why) {
    if (!m->mapping) {
        why = "no JSON mapping loaded";
        return parse_status::malformed;
    }
    return m->map(text, ctx, batch, e, why);
}

parse_status json_mapper::flatten(std::string_view text, event_batch& batch, std::string_view& why) {
    return m->parse_and_flatten(text, batch, why);
}

std::string_view json_mapper::last_profile() const { return m->last_profile; }

}  // namespace mimamori::parse
