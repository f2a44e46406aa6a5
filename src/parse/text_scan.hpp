#pragma once
/// Small scanning helpers shared by the text parsers of web servers, host firewalls and
/// appliances (web.cpp, netfilter.cpp, pf.cpp, kv.cpp, cef.cpp, leef.cpp). Everything here works
/// on views of the line (which lives in the batch arena) and never allocates, except where a
/// function takes the batch to build a value.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/time.hpp"
#include "parse/parser.hpp"
#include "parse/syslog.hpp"

namespace mimamori::parse::scan {

using sv = std::string_view;

constexpr bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
constexpr bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
constexpr bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
constexpr int hex_value(char c) {
    return is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : c - 'A' + 10;
}
/// Characters of a key in key=value text: [A-Za-z0-9_.-].
constexpr bool is_key_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '_' || c == '.' || c == '-';
}

/// s is 1..19 decimal digits; v is its value.
inline bool parse_uint(sv s, std::uint64_t& v) {
    if (s.empty() || s.size() > 19) return false;
    v = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return true;
}
inline bool all_digits(sv s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_digit(c)) return false;
    return true;
}
/// n digits at s[pos..]; false when out of range or not digits.
inline bool digits_at(sv s, std::size_t pos, std::size_t n, unsigned& v) {
    if (pos + n > s.size()) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (!is_digit(c)) return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return true;
}
inline bool starts_with(sv s, sv p) {
    return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}
inline bool ends_with(sv s, sv p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}
/// ASCII case-insensitive equality (b must be lower case).
inline bool iequals(sv a, sv lower_b) {
    if (a.size() != lower_b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
        if (c != lower_b[i]) return false;
    }
    return true;
}
/// ASCII case-insensitive substring search (needle must be lower case).
inline bool icontains(sv hay, sv lower_needle) {
    if (lower_needle.empty()) return true;
    if (hay.size() < lower_needle.size()) return false;
    for (std::size_t i = 0; i + lower_needle.size() <= hay.size(); ++i) {
        std::size_t k = 0;
        for (; k < lower_needle.size(); ++k) {
            char c = hay[i + k];
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c | 0x20);
            if (c != lower_needle[k]) break;
        }
        if (k == lower_needle.size()) return true;
    }
    return false;
}
/// Position of the first occurrence of needle in hay at or after from, or npos.
inline std::size_t find(sv hay, sv needle, std::size_t from = 0) {
    return hay.find(needle, from);
}

/// Next space-separated token of s starting at pos (pos is moved past it and one space).
inline sv next_token(sv s, std::size_t& pos) {
    std::size_t start = pos;
    while (pos < s.size() && s[pos] != ' ') ++pos;
    sv t = s.substr(start, pos - start);
    if (pos < s.size()) ++pos;
    return t;
}

/// The zone for timestamps that carry none.
inline const time_zone& zone_of(const context& ctx) {
    static const time_zone k_utc;
    return ctx.opts ? ctx.opts->zone : k_utc;
}

/// "+hhmm", "-hh:mm", "+hh", "Z", "UTC", "GMT" → offset in seconds. False otherwise.
inline bool parse_offset(sv s, std::int32_t& off) {
    if (s == "Z" || s == "z" || s == "UTC" || s == "GMT" || s == "UT") {
        off = 0;
        return true;
    }
    if (s.size() < 3 || (s[0] != '+' && s[0] != '-')) return false;
    unsigned hh = 0, mm = 0;
    if (!digits_at(s, 1, 2, hh)) return false;
    std::size_t j = 3;
    if (j < s.size() && s[j] == ':') ++j;
    if (j < s.size()) {
        if (!digits_at(s, j, 2, mm) || j + 2 != s.size()) return false;
    } else if (j != 3) {
        return false;
    }
    if (hh > 18 || mm > 59) return false;
    off = (s[0] == '-' ? -1 : 1) * static_cast<std::int32_t>(hh * 3600 + mm * 60);
    return true;
}

/// A civil time we can represent: 1970..2200 (int64 nanoseconds end in 2262), fields in range.
inline bool civil_valid(const civil_time& c) {
    return c.year >= 1970 && c.year <= 2200 && c.month >= 1 && c.month <= 12 && c.day >= 1 &&
           c.day <= 31 && c.hour <= 23 && c.minute <= 59 && c.second <= 60;
}
/// UTC ns of a civil time written with a known offset.
inline timestamp_ns civil_to_ns(const civil_time& c, std::int32_t offset_s) {
    return (civil_to_seconds(c) - offset_s) * k_ns_per_sec + c.nanos;
}
/// UTC ns of a civil time written in the context's zone.
inline timestamp_ns local_to_ns(const context& ctx, const civil_time& c) {
    return zone_of(ctx).local_to_utc(civil_to_seconds(c)) * k_ns_per_sec + c.nanos;
}

/// ".ddd…" fraction at s[pos..] (pos at the dot or comma); moves pos past it. Up to 9 digits
/// count; more are skipped.
inline bool parse_fraction(sv s, std::size_t& pos, std::uint32_t& nanos) {
    if (pos >= s.size() || (s[pos] != '.' && s[pos] != ',')) return false;
    std::size_t i = pos + 1;
    std::uint32_t v = 0;
    int n = 0;
    while (i < s.size() && is_digit(s[i])) {
        if (n < 9) {
            v = v * 10 + static_cast<std::uint32_t>(s[i] - '0');
            ++n;
        }
        ++i;
    }
    if (n == 0) return false;
    for (int k = n; k < 9; ++k) v *= 10;
    nanos = v;
    pos = i;
    return true;
}

/// "hh:mm:ss" at s[pos..] (moves pos past it, and past a fraction when one follows).
inline bool parse_hms(sv s, std::size_t& pos, civil_time& c) {
    if (pos + 8 > s.size() || s[pos + 2] != ':' || s[pos + 5] != ':') return false;
    if (!digits_at(s, pos, 2, c.hour) || !digits_at(s, pos + 3, 2, c.minute) ||
        !digits_at(s, pos + 6, 2, c.second))
        return false;
    pos += 8;
    parse_fraction(s, pos, c.nanos);
    return true;
}

/// The year of a line that carries none (RFC 3164): as the syslog parser infers it (the
/// reference time's year in the log zone, minus one when the month lies ahead).
inline int infer_year(const context& ctx, unsigned month) {
    return infer_syslog_year(month, ctx.reference_time, zone_of(ctx));
}

/// ISO 8601 at the start of s: "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh[:]mm]" ("/" also accepted
/// as date separator). Zoneless → the context's zone. Returns the length consumed, 0 on failure.
inline std::size_t parse_iso(sv s, const context& ctx, timestamp_ns& out) {
    civil_time c;
    unsigned y = 0;
    if (s.size() < 19 || !digits_at(s, 0, 4, y) || (s[4] != '-' && s[4] != '/') || s[7] != s[4] ||
        (s[10] != 'T' && s[10] != ' '))
        return 0;
    c.year = static_cast<int>(y);
    if (!digits_at(s, 5, 2, c.month) || !digits_at(s, 8, 2, c.day)) return 0;
    std::size_t i = 11;
    if (!parse_hms(s, i, c) || !civil_valid(c)) return 0;
    std::int32_t off = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        out = civil_to_ns(c, 0);
        return i + 1;
    }
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        std::size_t j = i + 3;
        if (j < s.size() && s[j] == ':') ++j;
        std::size_t end = j + 2 <= s.size() && is_digit(s[j]) ? j + 2 : i + 3;
        if (parse_offset(s.substr(i, end - i), off)) {
            out = civil_to_ns(c, off);
            return end;
        }
    }
    out = local_to_ns(ctx, c);
    return i;
}

/// RFC 3164 "Mmm dd hh:mm:ss[.frac]" (day may be space-padded) at the start of s; the year is
/// inferred (infer_year) unless a 4-digit year follows the time ("Mmm dd hh:mm:ss yyyy", as in
/// some appliances) or precedes it ("Mmm dd yyyy hh:mm:ss", CEF rt). Zone from the context.
/// Returns the length consumed, 0 on failure.
inline std::size_t parse_bsd(sv s, const context& ctx, timestamp_ns& out) {
    if (s.size() < 15 || s[3] != ' ') return 0;
    civil_time c;
    c.month = month_from_abbrev(s.substr(0, 3));
    if (c.month == 0) return 0;
    std::size_t i = 4;
    if (s[i] == ' ') ++i;
    if (i < s.size() && is_digit(s[i])) {
        c.day = static_cast<unsigned>(s[i] - '0');
        ++i;
        if (i < s.size() && is_digit(s[i]))
            c.day = c.day * 10 + static_cast<unsigned>(s[i++] - '0');
    } else {
        return 0;
    }
    if (i >= s.size() || s[i] != ' ') return 0;
    ++i;
    bool have_year = false;
    unsigned y = 0;
    if (i + 5 < s.size() && digits_at(s, i, 4, y) && s[i + 4] == ' ') {
        have_year = true;
        i += 5;
    }
    if (!parse_hms(s, i, c)) return 0;
    if (!have_year && i + 5 <= s.size() && s[i] == ' ' && digits_at(s, i + 1, 4, y) &&
        (i + 5 == s.size() || s[i + 5] == ' ')) {
        have_year = true;
        i += 5;
    }
    c.year = have_year ? static_cast<int>(y) : infer_year(ctx, c.month);
    if (!civil_valid(c)) return 0;
    out = local_to_ns(ctx, c);
    return i;
}

/// Epoch time as digits: 10 digits = s (optionally ".frac"), 13 = ms, 16 = µs, 19 = ns.
inline bool parse_epoch(sv s, timestamp_ns& out) {
    std::size_t dot = s.find('.');
    sv whole = dot == sv::npos ? s : s.substr(0, dot);
    std::uint64_t v = 0;
    if (!parse_uint(whole, v)) return false;
    std::uint64_t unit = 0;
    switch (whole.size()) {
        case 9:
        case 10:
            unit = k_ns_per_sec;
            break;
        case 13:
            unit = 1'000'000;
            break;
        case 16:
            unit = 1'000;
            break;
        case 19:
            unit = 1;
            break;
        default:
            return false;
    }
    constexpr std::uint64_t k_max_s = 7'258'118'400ULL;  // 2200-01-01: int64 ns end in 2262
    if (v / (k_ns_per_sec / unit) >= k_max_s) return false;
    timestamp_ns ns = static_cast<timestamp_ns>(v * unit);
    if (dot != sv::npos) {
        if (whole.size() > 10) return false;
        std::size_t p = dot;
        std::uint32_t frac = 0;
        if (!parse_fraction(s, p, frac) || p != s.size()) return false;
        ns += frac;
    }
    out = ns;
    return true;
}

/// Time written by an appliance in one of the usual shapes: epoch (s/ms/µs/ns), ISO 8601,
/// "Mmm dd [yyyy ]hh:mm:ss[.frac][ zone]". A trailing zone ("UTC", "+0900") is honoured.
inline bool parse_any_time(sv s, const context& ctx, timestamp_ns& out) {
    if (s.empty()) return false;
    if (is_digit(s[0])) {
        if (parse_epoch(s, out)) return true;
        std::size_t n = parse_iso(s, ctx, out);
        if (n == 0) return false;
        if (n == s.size()) return true;
        if (s[n] == ' ') {  // "2019-05-10 11:50:48 UTC"
            std::int32_t off = 0;
            if (parse_offset(s.substr(n + 1), off)) {
                timestamp_ns utc_as_local = 0;
                const context utc_ctx{nullptr, ctx.reference_time};
                if (parse_iso(s.substr(0, n), utc_ctx, utc_as_local) == n) {
                    out = utc_as_local - static_cast<timestamp_ns>(off) * k_ns_per_sec;
                    return true;
                }
            }
            return true;  // unknown zone name: keep the context-zone reading
        }
        return false;
    }
    std::size_t n = parse_bsd(s, ctx, out);
    if (n == 0) return false;
    if (n == s.size()) return true;
    if (s[n] == ' ') {
        std::int32_t off = 0;
        if (parse_offset(s.substr(n + 1), off)) {
            const context utc_ctx{nullptr, ctx.reference_time};
            timestamp_ns t = 0;
            if (parse_bsd(s.substr(0, n), utc_ctx, t) == n) {
                out = t - static_cast<timestamp_ns>(off) * k_ns_per_sec;
                return true;
            }
        }
        return true;
    }
    return false;
}

/// What a syslog-style prefix before an appliance record told us.
struct prefix_info {
    timestamp_ns ts = k_no_time;
    sv host;
};

/// Skip "<PRI>", an RFC 5424 header ("1 TIMESTAMP HOST APP PROCID MSGID SD ") or an RFC 3164 /
/// ISO header ("TIMESTAMP HOST [TAG[PID]:] ") at the start of line; return the rest. Anything
/// not recognised is left in place. Used by the appliance line formats, whose records arrive
/// either bare or through a syslog relay that wrote such a header to a file.
inline sv skip_syslog_prefix(sv line, const context& ctx, prefix_info& info) {
    sv s = line;
    if (!s.empty() && s[0] == '<') {
        std::size_t i = 1;
        while (i < s.size() && i < 5 && is_digit(s[i])) ++i;
        if (i > 1 && i < s.size() && s[i] == '>') s.remove_prefix(i + 1);
    }
    bool rfc5424 = false;
    if (s.size() > 2 && s[0] == '1' && s[1] == ' ' && is_digit(s[2])) {
        rfc5424 = true;
        s.remove_prefix(2);
    }
    timestamp_ns ts = k_no_time;
    std::size_t n = 0;
    if (!s.empty() && is_digit(s[0])) {
        n = parse_iso(s, ctx, ts);
        // Sophos UTM: "2019:05:10-11:50:48 utm-1 ulogd[1234]: …"
        civil_time c;
        unsigned y = 0;
        std::size_t i = 11;
        if (n == 0 && s.size() > 20 && digits_at(s, 0, 4, y) && s[4] == ':' && s[7] == ':' &&
            s[10] == '-' && digits_at(s, 5, 2, c.month) && digits_at(s, 8, 2, c.day) &&
            parse_hms(s, i, c)) {
            c.year = static_cast<int>(y);
            if (civil_valid(c)) {
                ts = local_to_ns(ctx, c);
                n = i;
            }
        }
    } else if (!s.empty() && is_alpha(s[0])) {
        n = parse_bsd(s, ctx, ts);
    }
    if (n == 0 || n >= s.size() || s[n] != ' ') return s;
    sv rest = s.substr(n + 1);
    info.ts = ts;
    std::size_t p = 0;
    sv host = next_token(rest, p);
    if (host.empty() || host.find('=') != sv::npos || host.find('|') != sv::npos) return rest;
    info.host = host;
    rest = rest.substr(p);
    if (rfc5424) {
        // APP PROCID MSGID, then structured data ("-" or [..]..)
        for (int k = 0; k < 3; ++k) {
            std::size_t q = 0;
            sv tok = next_token(rest, q);
            if (tok.empty()) return rest;
            rest = rest.substr(q);
        }
        if (!rest.empty() && rest[0] == '-') {
            rest.remove_prefix(rest.size() > 1 && rest[1] == ' ' ? 2 : 1);
        } else {
            while (!rest.empty() && rest[0] == '[') {
                bool in_q = false;
                std::size_t i = 1;
                for (; i < rest.size(); ++i) {
                    if (rest[i] == '\\') {
                        ++i;
                        continue;
                    }
                    if (rest[i] == '"')
                        in_q = !in_q;
                    else if (rest[i] == ']' && !in_q)
                        break;
                }
                if (i >= rest.size()) return rest;
                rest.remove_prefix(i + 1);
            }
            if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
        }
        if (rest.size() >= 3 && rest.compare(0, 3, "\xEF\xBB\xBF") == 0) rest.remove_prefix(3);
        return rest;
    }
    // Optional tag: "prog:", "prog[123]:" — only when followed by a space.
    std::size_t i = 0;
    while (i < rest.size() && i < 64 && rest[i] != ' ' && rest[i] != ':' && rest[i] != '[' &&
           rest[i] != '=' && rest[i] != '|')
        ++i;
    if (i > 0 && i < rest.size()) {
        std::size_t j = i;
        if (rest[j] == '[') {
            while (j < rest.size() && rest[j] != ']' && rest[j] != ' ') ++j;
            if (j < rest.size() && rest[j] == ']') ++j;
        }
        if (j + 1 < rest.size() && rest[j] == ':' && rest[j + 1] == ' ') return rest.substr(j + 2);
    }
    return rest;
}

/// Lower-case transport name for a protocol as logs write it ("TCP", "udp", "6", "ICMPv6");
/// empty when it is none of the names the schema knows. Numbers are returned as they are.
inline sv transport_name(sv p) {
    if (iequals(p, "tcp") || p == "6") return "tcp";
    if (iequals(p, "udp") || p == "17") return "udp";
    if (iequals(p, "icmp") || p == "1") return "icmp";
    if (iequals(p, "icmpv6") || iequals(p, "ipv6-icmp") || iequals(p, "icmp6") || p == "58")
        return "ipv6-icmp";
    if (iequals(p, "gre") || p == "47") return "gre";
    if (iequals(p, "esp") || p == "50") return "esp";
    if (iequals(p, "ah") || p == "51") return "ah";
    if (iequals(p, "sctp") || p == "132") return "sctp";
    if (iequals(p, "igmp") || p == "2") return "igmp";
    std::uint64_t v = 0;
    if (parse_uint(p, v) && v <= 255) return p;
    return {};
}

/// "aa:bb:cc:dd:ee:ff" (or with '-') → "AA-BB-CC-DD-EE-FF" (RFC 7042, as ECS asks), copied into
/// the batch. Empty when s is not a 6-octet MAC.
inline sv ecs_mac(event_batch& batch, sv s) {
    if (s.size() != 17) return {};
    char buf[17];
    for (std::size_t i = 0; i < 17; ++i) {
        char c = s[i];
        if (i % 3 == 2) {
            if (c != ':' && c != '-') return {};
            buf[i] = '-';
        } else {
            if (!is_hex(c)) return {};
            buf[i] = (c >= 'a' && c <= 'f') ? static_cast<char>(c - 32) : c;
        }
    }
    return batch.copy(sv(buf, 17));
}

/// Cache of key text → interned field id for formats whose records name their own fields
/// (key=value, CEF, LEEF), plus a per-format payload (the ECS target of that key). Fixed-size
/// open addressing; keys are views of the interned names (stable for the process' life), so a
/// lookup with a view into the line allocates nothing. Once full, lookups of new keys fall back
/// to the slow path every time (correct, just slower). One instance per thread.
template <typename Payload>
class key_cache {
public:
    struct entry {
        sv key;
        field_id id = k_no_field;
        Payload payload{};
    };
    /// The entry for key, or nullptr when absent.
    const entry* find(sv key) const {
        std::size_t h = hash(key) & (k_slots - 1);
        for (std::size_t probe = 0; probe < k_slots; ++probe) {
            const entry& e = m_slots[(h + probe) & (k_slots - 1)];
            if (e.id == k_no_field) return nullptr;
            if (e.key == key) return &e;
        }
        return nullptr;
    }
    /// Insert (key must be a view with static lifetime, e.g. field_name()). False when full.
    bool insert(sv key, field_id id, const Payload& p) {
        if (m_used * 2 >= k_slots) return false;
        std::size_t h = hash(key) & (k_slots - 1);
        for (std::size_t probe = 0; probe < k_slots; ++probe) {
            entry& e = m_slots[(h + probe) & (k_slots - 1)];
            if (e.id == k_no_field) {
                e.key = key;
                e.id = id;
                e.payload = p;
                ++m_used;
                return true;
            }
        }
        return false;
    }

private:
    static constexpr std::size_t k_slots = 8192;
    static std::size_t hash(sv k) {
        std::uint64_t h = 1469598103934665603ULL;
        for (char c : k) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
        return static_cast<std::size_t>(h ^ (h >> 29));
    }
    std::vector<entry> m_slots = std::vector<entry>(k_slots);
    std::size_t m_used = 0;
};

/// True when s needs no unescaping for the given escape character set.
inline bool has_backslash(sv s) {
    return s.find('\\') != sv::npos;
}

// ---------------------------------------------------------------------------------------------
// Key=value mappings (mappings/kv.yaml), shared by kv.cpp, cef.cpp and leef.cpp; implemented in
// kv.cpp.

/// How a mapped value is checked or converted before it is stored under its ECS name.
enum class value_check : std::uint8_t {
    none,       ///< stored as is
    ip,         ///< must be an IP address (ip:port[:iface] compounds are split)
    port,       ///< 0..65535
    count,      ///< unsigned integer
    number,     ///< numeric text
    transport,  ///< protocol name/number → lower-case transport
    mac,        ///< normalised to RFC 7042
    lower,      ///< ASCII lower-cased copy
    status,     ///< HTTP status 100..999
    outcome,    ///< success / failure / unknown
    drop,       ///< never stored (an ECS name whose values the parser alone decides)
};

/// The check for values stored under `name` (an ECS name, or a record's own key that looks
/// like one: "client.ip", "p.port"): such fields must hold what their names promise.
inline value_check check_for_name(sv name, field_id id) {
    if (ends_with(name, ".ip")) return value_check::ip;
    if (ends_with(name, ".port")) return value_check::port;
    if (ends_with(name, ".bytes") || ends_with(name, ".packets") || name == "process.pid")
        return value_check::count;
    if (ends_with(name, ".mac")) return value_check::mac;
    if (name == "network.transport") return value_check::transport;
    if (name == "network.protocol") return value_check::lower;
    if (name == "http.response.status_code") return value_check::status;
    if (name == "event.outcome") return value_check::outcome;
    if (name == "event.category" || name == "event.kind" || name == "event.type")
        return value_check::drop;
    if (default_kind(id) == value_kind::number) return value_check::number;
    return value_check::none;
}
/// The check for a record's own key stored natively: none unless its name has a dot (the
/// common case, FortiGate's "srcip", costs one memchr).
inline value_check native_check_for(sv key, field_id id) {
    if (key.find('.') == sv::npos) return value_check::none;
    return check_for_name(key, id);
}

/// Where a native key goes in ECS (k_no_field = nowhere).
struct ecs_target {
    field_id id = k_no_field;
    value_check check = value_check::none;
};

/// The three key families mappings/kv.yaml describes.
enum class kv_family : std::uint8_t { kv = 0, cef = 1, leef = 2 };

/// The ECS target of key in family, or {k_no_field} when unmapped. Loads mappings/kv.yaml on
/// first use (from opts->mappings_dir when set, else MIMAMORI_SOURCE_DIR "/mappings").
ecs_target kv_target(const options* opts, kv_family family, sv key);

/// Load the mappings now and report a problem (used by configure()).
status kv_mappings_status(const options& opts);

/// Add value under target after its check; false when the check rejected it.
bool add_mapped(event_batch& batch, const ecs_target& t, sv value);

/// intern(name) for names taken from record text (keys, CEF labels). Hostile input could invent
/// endless names and each interned name lives for the process' life, so past a bound new names
/// are refused (k_no_field); the value then stays only in the raw record.
field_id intern_bounded(sv name);

/// One key of a record whose fields name themselves, resolved once per thread.
struct key_info {
    ecs_target target;                       ///< its ECS mapping, if any
    value_check native = value_check::none;  ///< check on the native value (native_check_for)
    std::uint8_t role = 0;                   ///< what the parser does with it (parser-defined)
};
struct resolved_key {
    field_id id = k_no_field;  ///< the native field (k_no_field past intern_bounded's bound)
    ecs_target target;
    value_check native = value_check::none;
    std::uint8_t role = 0;
};
/// `role_of` (optional) classifies a key once, when it is first seen.
inline resolved_key resolve_key(key_cache<key_info>& cache, const options* opts, kv_family fam,
                                sv key, std::uint8_t (*role_of)(field_id) = nullptr) {
    if (const auto* hit = cache.find(key))
        return {hit->id, hit->payload.target, hit->payload.native, hit->payload.role};
    field_id id = intern_bounded(key);
    ecs_target t = kv_target(opts, fam, key);
    value_check nc = id == k_no_field ? value_check::none : native_check_for(key, id);
    std::uint8_t role = role_of && id != k_no_field ? role_of(id) : 0;
    if (id != k_no_field) cache.insert(field_name(id), id, key_info{t, nc, role});
    return {id, t, nc, role};
}
/// Store a record's own key=value under the key's name (checked when the name promises a shape).
inline void add_native(event_batch& batch, const resolved_key& r, sv v) {
    if (r.id == k_no_field) return;
    if (r.native == value_check::none)
        batch.add(r.id, v);
    else
        add_mapped(batch, ecs_target{r.id, r.native}, v);
}

// ---------------------------------------------------------------------------------------------
// CEF-style extensions: "k1=v1 with spaces k2=v2": a value runs to the next " key=". Backslash
// escapes (\= \\ \n \r) do not end anything.

struct ext_pair {
    sv key, value;
    bool escaped = false;
};

/// Key at s[pos] terminated by '=' ([A-Za-z_][A-Za-z0-9_.]*, at most 64): its length, or 0.
inline std::size_t ext_key_at(sv s, std::size_t pos) {
    if (pos >= s.size() || !(is_alpha(s[pos]) || s[pos] == '_')) return 0;
    std::size_t i = pos + 1;
    while (i < s.size() && i - pos <= 64 &&
           (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '.'))
        ++i;
    if (i >= s.size() || s[i] != '=' || i - pos > 64) return 0;
    return i - pos;
}

/// Split an extension into pairs (reusing out's capacity). Text before the first key is
/// skipped. `delim` other than ' ' splits strictly on that character (LEEF).
inline void scan_ext(sv s, std::vector<ext_pair>& out, char delim = ' ') {
    out.clear();
    std::size_t pos = 0;
    if (delim != ' ') {
        while (pos < s.size()) {
            std::size_t end = s.find(delim, pos);
            if (end == sv::npos) end = s.size();
            sv item = s.substr(pos, end - pos);
            std::size_t eq = item.find('=');
            if (eq != sv::npos && eq > 0 && eq <= 64 && out.size() < 1024) {
                sv k = trim(item.substr(0, eq));
                if (!k.empty()) out.push_back({k, item.substr(eq + 1), has_backslash(item)});
            }
            pos = end + 1;
        }
        return;
    }
    // first key
    while (pos < s.size()) {
        if ((pos == 0 || s[pos - 1] == ' ') && ext_key_at(s, pos)) break;
        ++pos;
    }
    while (pos < s.size()) {
        std::size_t kl = ext_key_at(s, pos);
        if (kl == 0) break;
        ext_pair p;
        p.key = s.substr(pos, kl);
        std::size_t v = pos + kl + 1, i = v;
        std::size_t next = s.size();
        while (i < s.size()) {
            char c = s[i];
            if (c == '\\') {
                p.escaped = true;
                i += 2;
                continue;
            }
            if (c == ' ') {
                std::size_t j = i;
                while (j < s.size() && s[j] == ' ') ++j;
                if (j < s.size() && ext_key_at(s, j)) {
                    next = j;
                    break;
                }
                i = j;
                continue;
            }
            ++i;
        }
        std::size_t vend = next < s.size() ? next : s.size();
        p.value = s.substr(v, vend > v ? vend - v : 0);
        while (!p.value.empty() && (p.value.back() == ' ' || p.value.back() == '\r'))
            p.value.remove_suffix(1);
        if (out.size() < 1024) out.push_back(p);
        pos = next;
    }
}

/// Undo CEF escapes (\= \\ \| \n \r) into the batch.
inline sv cef_unescape(event_batch& batch, sv v) {
    char* out = batch.bytes().allocate(v.size());
    std::size_t n = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        char c = v[i];
        if (c == '\\' && i + 1 < v.size()) {
            char d = v[i + 1];
            if (d == '=' || d == '\\' || d == '|') {
                out[n++] = d;
                ++i;
                continue;
            }
            if (d == 'n' || d == 'r') {
                out[n++] = d == 'n' ? '\n' : '\r';
                ++i;
                continue;
            }
        }
        out[n++] = c;
    }
    return {out, n};
}

/// "success"/"failure"/"" from an outcome-ish word ("/Success", "failed", "Failure").
inline sv outcome_word(sv v) {
    if (icontains(v, "fail") || icontains(v, "denied")) return "failure";
    if (icontains(v, "success")) return "success";
    return {};
}

}  // namespace mimamori::parse::scan
