#pragma once
/// The syslog envelope ("syslog" line format) and small scanning helpers shared by the parsers
/// of messages inside it (parse/linux_auth.cpp, parse/mail.cpp, …).
///
/// Envelopes read (each with an optional `<PRI>` in front):
///   RFC 3164 / BSD   `Nov  2 15:40:14 host tag[pid]: msg` (day space-padded, single-digit or
///                    zero-padded; optional `.fraction`; optional year `Nov  2 2024 15:40:14` or
///                    `Nov  2 15:40:14 2024`; host may be missing: `Nov  2 15:40:14 tag: msg`)
///   rsyslog precise  `2024-03-01T12:00:05.123456+09:00 host tag[pid]: msg`
///   RFC 5424         `<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD-ID k="v"…] MSG`
///   `<PRI>tag: msg`  no timestamp (network senders): the time is `ctx.reference_time`
/// Timestamps without a zone are read in `options::zone`; without a year, the year is inferred
/// from `context::reference_time` (docs/time-inference.md).
///
/// Fields: host.name, process.name, process.pid, log.syslog.facility.code,
/// log.syslog.severity.code, log.syslog.version / appname / msgid (5424), structured data as
/// `syslog.sd.<SD-ID>.<PARAM>`, `syslog.repeated` (rsyslog's "message repeated N times"), message.
/// Then the message goes to the parsers registered for the tag (parse/message.hpp): the exact
/// tag first, then, for tags like `postfix/smtpd`, the part before the first '/', then the
/// sniffers (program ""). A message parser that returns `malformed` makes the line malformed.
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/event.hpp"
#include "core/time.hpp"
#include "parse/parser.hpp"

namespace mimamori::parse {

/// Year of a syslog line that has none: the year of `reference` in `zone`, minus one when
/// `month` (1-12) is later than the reference month (a December line in a file written in
/// January).
int infer_syslog_year(unsigned month, timestamp_ns reference, const time_zone& zone);

namespace txt {

using sv = std::string_view;

inline bool starts_with(sv s, sv p) {
    return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}
inline bool ends_with(sv s, sv p) {
    return s.size() >= p.size() && std::memcmp(s.data() + s.size() - p.size(), p.data(), p.size()) == 0;
}
/// Remove prefix p from s when s starts with it.
inline bool consume(sv& s, sv p) {
    if (!starts_with(s, p)) return false;
    s.remove_prefix(p.size());
    return true;
}
/// Remove suffix p from s when s ends with it.
inline bool consume_suffix(sv& s, sv p) {
    if (!ends_with(s, p)) return false;
    s.remove_suffix(p.size());
    return true;
}
/// The text before the first c; s becomes the text after it. Without c: all of s, s empty.
inline sv take_until(sv& s, char c) {
    const void* hit = s.empty() ? nullptr : std::memchr(s.data(), c, s.size());
    if (!hit) {
        sv all = s;
        s = {};
        return all;
    }
    std::size_t n = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data());
    sv head = s.substr(0, n);
    s.remove_prefix(n + 1);
    return head;
}
/// The text before the first occurrence of sep; s becomes the text after it. Without sep:
/// returns false and leaves s alone.
inline bool split_at(sv& s, sv sep, sv& head) {
    std::size_t at = s.find(sep);
    if (at == sv::npos) return false;
    head = s.substr(0, at);
    s.remove_prefix(at + sep.size());
    return true;
}
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool all_digits(sv s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_digit(c)) return false;
    return true;
}
/// Leading decimal digits of s (possibly empty); s loses them.
inline sv take_digits(sv& s) {
    std::size_t n = 0;
    while (n < s.size() && is_digit(s[n])) ++n;
    sv d = s.substr(0, n);
    s.remove_prefix(n);
    return d;
}
inline bool is_port(sv s) {
    if (s.empty() || s.size() > 5) return false;
    unsigned v = 0;
    for (char c : s) {
        if (!is_digit(c)) return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    return v <= 65535;
}
/// Dotted-quad IPv4 without leading-zero tricks beyond what inet_pton accepts.
inline bool is_ipv4_fast(sv s) {
    if (s.size() < 7 || s.size() > 15) return false;
    int parts = 0;
    std::size_t i = 0;
    while (true) {
        unsigned v = 0;
        std::size_t n = 0;
        while (i < s.size() && is_digit(s[i])) {
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
            ++i;
            if (++n > 3) return false;
        }
        if (n == 0 || v > 255 || (n > 1 && s[i - n] == '0')) return false;
        ++parts;
        if (i == s.size()) break;
        if (s[i] != '.' || parts == 4) return false;
        ++i;
    }
    return parts == 4;
}
/// True for an IPv4 or IPv6 address (the IPv4 check needs no system call).
inline bool looks_ip(sv s) {
    if (s.empty()) return false;
    if (s.find(':') == sv::npos) return is_ipv4_fast(s);
    return is_ipv6(s);
}
/// Trailing spaces, tabs and CRs removed.
inline sv rtrim(sv s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}
inline sv ltrim(sv s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    return s;
}
/// Value of `key` (which ends with '=') in a space-separated `k=v k=v` list; "" when absent
/// or empty.
inline sv kv_space(sv s, sv key) {
    std::size_t pos = 0;
    while ((pos = s.find(key, pos)) != sv::npos) {
        if (pos == 0 || s[pos - 1] == ' ') {
            sv v = s.substr(pos + key.size());
            return v.substr(0, v.find(' '));
        }
        pos += key.size();
    }
    return {};
}

}  // namespace txt

// Field helpers for message parsers: never add an empty value (the schema forbids it).
inline void add_if(event_batch& b, field_id id, std::string_view v) {
    if (!v.empty()) b.add(id, v);
}
/// source.ip when `host` is an address, source.domain otherwise (nothing when empty).
inline void add_source_host(event_batch& b, std::string_view host) {
    if (host.empty() || host == "-" || host == "unknown") return;
    if (txt::looks_ip(host))
        b.add(f::source_ip, host);
    else
        b.add(f::source_domain, host);
}
inline void add_source_port(event_batch& b, std::string_view port) {
    if (txt::is_port(port)) b.add(f::source_port, port);
}

}  // namespace mimamori::parse
