// The "syslog" line format: RFC 3164 / BSD, rsyslog high-precision and RFC 5424 envelopes,
// then dispatch of the message to the parsers registered for its program (parse/message.hpp).
// Hot path: hand-written scanning, no allocation per line, values are views of the line.
#include "parse/syslog.hpp"

#include <atomic>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "parse/message.hpp"

namespace mimamori::parse {

using txt::is_digit;
using txt::sv;

int infer_syslog_year(unsigned month, timestamp_ns reference, const time_zone& zone) {
    std::int64_t s = reference / k_ns_per_sec;
    if (reference % k_ns_per_sec < 0) --s;
    civil_time c = civil_from_seconds(s + zone.offset_at_utc(s));
    return c.year - (month > c.month ? 1 : 0);
}

namespace {

constexpr sv k_codes[] = {"0",  "1",  "2",  "3",  "4",  "5",  "6",  "7",
                          "8",  "9",  "10", "11", "12", "13", "14", "15",
                          "16", "17", "18", "19", "20", "21", "22", "23"};

const time_zone& utc_zone() {
    static const time_zone z;
    return z;
}

// "Jan".."Dec", any case → 1..12; 0 otherwise. p must have 3 readable bytes.
unsigned month3(const char* p) {
    const char a = static_cast<char>(p[0] | 0x20), b = static_cast<char>(p[1] | 0x20),
               c = static_cast<char>(p[2] | 0x20);
    switch (a) {
        case 'j':
            if (b == 'a' && c == 'n') return 1;
            if (b == 'u') return c == 'n' ? 6 : c == 'l' ? 7 : 0;
            return 0;
        case 'f': return b == 'e' && c == 'b' ? 2 : 0;
        case 'm':
            if (b != 'a') return 0;
            return c == 'r' ? 3 : c == 'y' ? 5 : 0;
        case 'a':
            if (b == 'p' && c == 'r') return 4;
            return b == 'u' && c == 'g' ? 8 : 0;
        case 's': return b == 'e' && c == 'p' ? 9 : 0;
        case 'o': return b == 'c' && c == 't' ? 10 : 0;
        case 'n': return b == 'o' && c == 'v' ? 11 : 0;
        case 'd': return b == 'e' && c == 'c' ? 12 : 0;
        default: return 0;
    }
}

constexpr unsigned k_mdays[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

inline bool two_digits(sv s, std::size_t at, unsigned& v) {
    if (at + 2 > s.size() || !is_digit(s[at]) || !is_digit(s[at + 1])) return false;
    v = static_cast<unsigned>(s[at] - '0') * 10 + static_cast<unsigned>(s[at + 1] - '0');
    return true;
}
inline bool four_digits(sv s, std::size_t at, unsigned& v) {
    unsigned hi = 0, lo = 0;
    if (!two_digits(s, at, hi) || !two_digits(s, at + 2, lo)) return false;
    v = hi * 100 + lo;
    return true;
}

// Years we accept in a timestamp. Nanoseconds since 1970 in an int64 reach 1677..2262; a log
// claiming a year outside this window is broken, not history.
constexpr unsigned k_min_year = 1970, k_max_year = 2200;

// True when s starts with a 4-digit year inside the window (checked before parse_rfc3339,
// whose nanosecond result would overflow for far years).
inline bool sane_iso_year(sv s) {
    unsigned y = 0;
    return four_digits(s, 0, y) && y >= k_min_year && y <= k_max_year;
}

// A tag at the start of s: `name[pid]:`, `name[pid]`, `name:` (followed by a space or the end).
// On success `rest` is the message (one space after the colon skipped).
bool parse_tag(sv s, sv& name, sv& pid, sv& rest) {
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[i];
        if (c == ':') {
            if (i == 0 || (i + 1 < n && s[i + 1] != ' ')) return false;
            name = s.substr(0, i);
            pid = {};
            rest = i + 1 < n ? s.substr(i + 2) : sv{};
            return true;
        }
        if (c == '[') {
            if (i == 0) return false;
            std::size_t j = i + 1;
            while (j < n && j - i <= 24 && s[j] != ']' && s[j] != ' ') ++j;
            if (j >= n || s[j] != ']') return false;
            name = s.substr(0, i);
            pid = s.substr(i + 1, j - i - 1);
            ++j;
            if (j < n && s[j] == ':') ++j;
            else if (j < n && s[j] != ' ') return false;
            if (j < n && s[j] == ' ') ++j;
            rest = s.substr(j);
            return true;
        }
        if (c == ' ' || c == '\t') return false;
    }
    return false;
}

// Host names, IPv4/IPv6 addresses (with a %zone), FQDNs.
inline bool host_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_' || c == ':' || c == '%';
}

// Host and tag after the timestamp. The host is optional when the first word is clearly a tag.
// False when the first word cannot be a host (then nothing is set but msg = h).
bool parse_host_tag(sv h, sv& host, sv& prog, sv& pid, sv& msg) {
    h = txt::ltrim(h);
    if (parse_tag(h, prog, pid, msg)) return true;
    std::size_t sp = h.find(' ');
    sv word = h.substr(0, sp);
    for (char c : word) {
        if (!host_char(c)) {
            msg = h;
            return false;
        }
    }
    host = word;
    sv rest = sp == sv::npos ? sv{} : txt::ltrim(h.substr(sp + 1));
    if (!parse_tag(rest, prog, pid, msg)) msg = rest;
    return true;
}

// Field ids of the envelope's own native fields.
const field_id k_f_repeated = intern("syslog.repeated");
const field_id k_f_sd_raw = intern("syslog.sd");
const field_id k_f_procid = intern("log.syslog.procid");

// Field names created from structured data are interned for the process' life; a flood of
// distinct SD names (hostile input) stops creating new ones past this bound.
constexpr std::size_t k_max_sd_names = 4096;
std::atomic<std::size_t> g_sd_names_created{0};

class syslog_parser final : public line_parser {
public:
    syslog_parser() { build_dispatch(); }
    sv name() const override { return "syslog"; }
    parse_status parse(sv line, const context& ctx, event_batch& b, event& e,
                       sv& why) override;

private:
    struct slot {
        sv name;
        std::uint32_t first = 0, count = 0;
    };

    static std::size_t hash(sv s) {
        std::uint32_t h = 2166136261u;
        for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
        return h;
    }
    void build_dispatch();
    const slot* lookup(sv program) const;
    parse_status dispatch(const syslog_envelope& env, sv msg, const context& ctx, event_batch& b,
                          event& e, sv& why) const;
    std::int64_t to_utc(std::int64_t local_s, const time_zone& z);
    int year_for(unsigned month, const context& ctx, const time_zone& z);
    parse_status parse_5424(sv r, int pri, const context& ctx, const time_zone& zone,
                            event_batch& b, event& e, sv& why);
    bool parse_sd(sv& r, event_batch& b);
    field_id sd_field(sv id, sv param);
    void add_message(sv msg, event_batch& b, sv& out);

    std::vector<slot> m_slots;
    std::size_t m_mask = 0;
    std::vector<message_parse_fn> m_fns;
    std::vector<message_parse_fn> m_sniffers;

    // local → UTC offset of the last minute converted (lines come in time order).
    std::string m_off_zone;
    std::int64_t m_off_minute = std::numeric_limits<std::int64_t>::min();
    std::int64_t m_off_delta = 0;
    // reference year and month for RFC 3164 lines.
    std::string m_ref_zone;
    timestamp_ns m_ref = k_no_time;
    int m_ref_year = 1970;
    unsigned m_ref_month = 1;

    std::vector<std::pair<std::string, field_id>> m_sd_names;
    std::string m_key;
};

void syslog_parser::build_dispatch() {
    const auto& all = message_parsers();
    std::vector<sv> names;
    for (const auto& p : all) {
        if (p.program.empty()) {
            m_sniffers.push_back(p.parse);
            continue;
        }
        bool seen = false;
        for (sv n : names) seen |= n == p.program;
        if (!seen) names.push_back(p.program);
    }
    std::size_t cap = 16;
    while (cap < names.size() * 3) cap *= 2;
    m_slots.assign(cap, slot{});
    m_mask = cap - 1;
    for (sv n : names) {
        std::size_t i = hash(n) & m_mask;
        while (!m_slots[i].name.empty()) i = (i + 1) & m_mask;
        m_slots[i].name = n;
        m_slots[i].first = static_cast<std::uint32_t>(m_fns.size());
        for (const auto& p : all)  // registry order = priority order
            if (p.program == n) m_fns.push_back(p.parse);
        m_slots[i].count = static_cast<std::uint32_t>(m_fns.size()) - m_slots[i].first;
    }
}

const syslog_parser::slot* syslog_parser::lookup(sv program) const {
    if (program.empty() || m_fns.empty()) return nullptr;
    for (std::size_t i = hash(program) & m_mask;; i = (i + 1) & m_mask) {
        const slot& s = m_slots[i];
        if (s.name.empty()) return nullptr;
        if (s.name == program) return &s;
    }
}

parse_status syslog_parser::dispatch(const syslog_envelope& env, sv msg, const context& ctx,
                                     event_batch& b, event& e, sv& why) const {
    if (msg.empty()) return parse_status::ok;
    const slot* s = lookup(env.program);
    if (!s) {
        // "postfix/smtpd", "postfix/smtps/smtpd": parsers register the part before the '/'.
        std::size_t slash = env.program.find('/');
        if (slash != sv::npos && slash > 0) s = lookup(env.program.substr(0, slash));
    }
    if (s) {
        for (std::uint32_t i = s->first; i < s->first + s->count; ++i) {
            auto st = m_fns[i](env, msg, ctx, b, e, why);
            if (st != parse_status::not_mine) return st;
        }
    }
    for (auto fn : m_sniffers) {
        auto st = fn(env, msg, ctx, b, e, why);
        if (st != parse_status::not_mine) return st;
    }
    return parse_status::ok;
}

std::int64_t syslog_parser::to_utc(std::int64_t local_s, const time_zone& z) {
    std::int64_t minute = local_s >= 0 ? local_s / 60 : (local_s - 59) / 60;
    if (minute == m_off_minute && z.name() == m_off_zone) return local_s + m_off_delta;
    std::int64_t utc = z.local_to_utc(local_s);
    m_off_minute = minute;
    m_off_zone.assign(z.name());
    m_off_delta = utc - local_s;
    return utc;
}

int syslog_parser::year_for(unsigned month, const context& ctx, const time_zone& z) {
    if (ctx.reference_time != m_ref || z.name() != m_ref_zone) {
        m_ref = ctx.reference_time;
        m_ref_zone.assign(z.name());
        std::int64_t s = m_ref / k_ns_per_sec;
        if (m_ref % k_ns_per_sec < 0) --s;
        civil_time c = civil_from_seconds(s + z.offset_at_utc(s));
        m_ref_year = c.year;
        m_ref_month = c.month;
    }
    return m_ref_year - (month > m_ref_month ? 1 : 0);
}

field_id syslog_parser::sd_field(sv id, sv param) {
    m_key.assign("syslog.sd.");
    m_key.append(id);
    m_key.push_back('.');
    m_key.append(param);
    for (const auto& [k, fid] : m_sd_names)
        if (k == m_key) return fid;
    field_id fid = find_field(m_key);
    if (fid == k_no_field) {
        if (g_sd_names_created.fetch_add(1, std::memory_order_relaxed) >= k_max_sd_names)
            return k_no_field;
        fid = intern(m_key);
    }
    if (m_sd_names.size() < 256) m_sd_names.emplace_back(m_key, fid);
    return fid;
}

// SD-NAME: printable US-ASCII except '=', ' ', ']', '"'.
inline bool sd_name_char(char c) {
    return c > 32 && c < 127 && c != '=' && c != ']' && c != '"';
}

bool syslog_parser::parse_sd(sv& r, event_batch& b) {
    const sv all = r;
    std::size_t p = 0;
    const std::size_t n = r.size();
    bool dropped = false;
    while (p < n && r[p] == '[') {
        std::size_t id0 = ++p;
        while (p < n && sd_name_char(r[p])) ++p;
        if (p == id0 || p >= n) return false;
        sv id = r.substr(id0, p - id0);
        while (p < n && r[p] == ' ') {
            std::size_t k0 = ++p;
            while (p < n && sd_name_char(r[p])) ++p;
            if (p == k0 || p + 1 >= n || r[p] != '=' || r[p + 1] != '"') return false;
            sv key = r.substr(k0, p - k0);
            p += 2;
            std::size_t v0 = p;
            bool escaped = false;
            while (p < n && r[p] != '"') {
                if (r[p] == '\\' && p + 1 < n) {
                    escaped = true;
                    ++p;
                }
                ++p;
            }
            if (p >= n) return false;
            sv val = r.substr(v0, p - v0);
            ++p;  // closing quote
            if (val.empty()) continue;
            field_id fid = sd_field(id, key);
            if (fid == k_no_field) {
                dropped = true;
                continue;
            }
            if (escaped) {
                // RFC 5424 §6.3.3: only \" \\ \] are escapes; other backslashes stay.
                char* out = b.bytes().allocate(val.size());
                std::size_t o = 0;
                for (std::size_t i = 0; i < val.size(); ++i) {
                    if (val[i] == '\\' && i + 1 < val.size() &&
                        (val[i + 1] == '"' || val[i + 1] == '\\' || val[i + 1] == ']'))
                        ++i;
                    out[o++] = val[i];
                }
                val = sv(out, o);
            }
            b.add(fid, val);
        }
        if (p >= n || r[p] != ']') return false;
        ++p;
    }
    if (dropped) b.add(k_f_sd_raw, all.substr(0, p));
    r = r.substr(p);
    return true;
}

// rsyslog's "message repeated N times: [ msg]" keeps the count and hands on the inner message.
void syslog_parser::add_message(sv msg, event_batch& b, sv& out) {
    sv m = msg;
    if (txt::consume(m, "message repeated ")) {
        sv n = txt::take_digits(m);
        if (!n.empty() && txt::consume(m, " times: [")) {
            txt::consume_suffix(m, "]");
            if (!m.empty() && m[0] == ' ') m.remove_prefix(1);
            b.add(k_f_repeated, n, value_kind::number);
            msg = m;
        }
    }
    msg = txt::rtrim(msg);
    add_if(b, f::message, msg);
    out = msg;
}

parse_status syslog_parser::parse_5424(sv r, int pri, const context& ctx, const time_zone& zone,
                                       event_batch& b, event& e, sv& why) {
    // r: "1 TIMESTAMP HOST APP PROCID MSGID SD [MSG]"
    sv version = txt::take_digits(r);
    if (!txt::consume(r, " ")) {
        why = "bad RFC 5424 version";
        return parse_status::malformed;
    }
    sv tok[5];
    for (int i = 0; i < 5; ++i) {
        std::size_t sp = r.find(' ');
        if (sp == 0 || (sp == sv::npos && i < 4)) {
            why = "truncated RFC 5424 header";
            return parse_status::malformed;
        }
        tok[i] = r.substr(0, sp);
        r = sp == sv::npos ? sv{} : r.substr(sp + 1);
    }
    sv ts = tok[0], host = tok[1], app = tok[2], procid = tok[3], msgid = tok[4];
    if (ts == "-") {
        e.ts = ctx.reference_time;
    } else {
        timestamp_ns t = 0;
        if (!sane_iso_year(ts) || !parse_rfc3339(ts, t)) {
            why = "bad RFC 5424 timestamp";
            return parse_status::malformed;
        }
        // A zone-less stamp (not allowed by the RFC, sent anyway) is local time.
        char last = ts.back();
        bool zoned = last == 'Z' || last == 'z' || (ts.size() > 19 && ts.find_first_of("+-", 19) != sv::npos);
        if (!zoned) {
            std::int64_t s = t / k_ns_per_sec, ns = t % k_ns_per_sec;
            t = to_utc(s, zone) * k_ns_per_sec + ns;
        }
        e.ts = t;
    }
    e.source_type = "syslog";
    if (pri >= 0) {
        b.add(f::log_syslog_facility_code, k_codes[pri >> 3]);
        b.add(f::log_syslog_severity_code, k_codes[pri & 7]);
    }
    add_if(b, f::log_syslog_version, version);
    syslog_envelope env;
    if (host != "-") {
        env.host = host;
        b.add(f::host_name, host);
    }
    if (app != "-") {
        env.program = app;
        b.add(f::process_name, app);
        b.add(f::log_syslog_appname, app);
    }
    if (procid != "-") {
        if (is_uint_in(procid, 0, 4294967295ULL)) {
            env.pid = procid;
            b.add(f::process_pid, procid);
        } else {
            b.add(k_f_procid, procid);
        }
    }
    if (msgid != "-") b.add(f::log_syslog_msgid, msgid);
    if (txt::starts_with(r, "-")) {
        r.remove_prefix(1);
    } else if (!r.empty() && r[0] == '[') {
        if (!parse_sd(r, b)) {
            why = "bad RFC 5424 structured data";
            return parse_status::malformed;
        }
    } else if (!r.empty()) {
        why = "bad RFC 5424 structured data";
        return parse_status::malformed;
    }
    if (!r.empty() && r[0] == ' ') r.remove_prefix(1);
    txt::consume(r, "\xEF\xBB\xBF");
    sv msg;
    add_message(r, b, msg);
    return dispatch(env, msg, ctx, b, e, why);
}

parse_status syslog_parser::parse(sv line, const context& ctx, event_batch& b, event& e,
                                  sv& why) {
    sv s = txt::rtrim(line);
    if (s.empty()) return parse_status::not_mine;
    const time_zone& zone = ctx.opts ? ctx.opts->zone : utc_zone();
    int pri = -1;
    if (s[0] == '<') {
        std::size_t j = 1;
        unsigned v = 0;
        while (j < s.size() && is_digit(s[j]) && j <= 4) v = v * 10 + static_cast<unsigned>(s[j++] - '0');
        if (j == 1) return parse_status::not_mine;
        if (j >= s.size() || s[j] != '>') {
            why = "bad syslog PRI";
            return parse_status::malformed;
        }
        if (v > 191) {
            why = "syslog PRI out of range (0-191)";
            return parse_status::malformed;
        }
        pri = static_cast<int>(v);
        s.remove_prefix(j + 1);
        if (s.empty()) {
            why = "nothing after the syslog PRI";
            return parse_status::malformed;
        }
    }

    const char c0 = s[0];
    // RFC 5424: "<PRI>1 ..."
    if (pri >= 0 && c0 >= '1' && c0 <= '9' && s.size() > 2 &&
        (s[1] == ' ' || (is_digit(s[1]) && s[2] == ' ')))
        return parse_5424(s, pri, ctx, zone, b, e, why);

    timestamp_ns ts = k_no_time;
    sv rest;
    bool need_host = false;  // an ISO stamp alone is not enough to call a line syslog
    if (is_digit(c0)) {
        // rsyslog high precision: 2024-03-01T12:00:05.123456+09:00
        if (s.size() < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't')) {
            if (pri < 0) return parse_status::not_mine;
            ts = ctx.reference_time;
            rest = s;
        } else {
            std::size_t sp = s.find(' ');
            sv tok = s.substr(0, sp);
            timestamp_ns t = 0;
            if (!sane_iso_year(tok) || !parse_rfc3339(tok, t)) {
                why = "bad syslog timestamp";
                return parse_status::malformed;
            }
            std::size_t z = 19;
            if (z < tok.size() && (tok[z] == '.' || tok[z] == ',')) {
                ++z;
                while (z < tok.size() && is_digit(tok[z])) ++z;
            }
            if (z == tok.size()) {  // no zone: local time
                std::int64_t secs = t / k_ns_per_sec, ns = t % k_ns_per_sec;
                t = to_utc(secs, zone) * k_ns_per_sec + ns;
            }
            ts = t;
            rest = sp == sv::npos ? sv{} : s.substr(sp + 1);
            need_host = pri < 0;
        }
    } else if (s.size() >= 4 && s[3] == ' ' && month3(s.data()) != 0) {
        // RFC 3164: "Nov  2 15:40:14", "Nov 02 2024 15:40:14", "Nov 2 15:40:14.123 2024"
        const unsigned month = month3(s.data());
        std::size_t p = 4;
        while (p < s.size() && s[p] == ' ') ++p;
        if (p >= s.size() || !is_digit(s[p])) {
            if (pri < 0) return parse_status::not_mine;
            why = "bad syslog timestamp";
            return parse_status::malformed;
        }
        unsigned day = static_cast<unsigned>(s[p++] - '0');
        if (p < s.size() && is_digit(s[p])) day = day * 10 + static_cast<unsigned>(s[p++] - '0');
        if (p >= s.size() || s[p] != ' ') {
            if (pri < 0 && (p >= s.size() || s[p] == ',')) return parse_status::not_mine;
            why = "bad syslog timestamp";
            return parse_status::malformed;
        }
        ++p;
        unsigned year = 0;
        if (four_digits(s, p, year) && p + 4 < s.size() && s[p + 4] == ' ') {
            if (year < k_min_year || year > k_max_year) {
                why = "syslog timestamp year out of range";
                return parse_status::malformed;
            }
            p += 5;
        } else {
            year = 0;
        }
        unsigned hh = 0, mm = 0, ss = 0;
        if (!two_digits(s, p, hh) || p + 2 >= s.size() || s[p + 2] != ':' ||
            !two_digits(s, p + 3, mm) || p + 5 >= s.size() || s[p + 5] != ':' ||
            !two_digits(s, p + 6, ss)) {
            why = "bad syslog timestamp";
            return parse_status::malformed;
        }
        p += 8;
        std::int64_t frac = 0;
        if (p < s.size() && s[p] == '.') {
            ++p;
            int nd = 0;
            while (p < s.size() && is_digit(s[p])) {
                if (nd < 9) {
                    frac = frac * 10 + (s[p] - '0');
                    ++nd;
                }
                ++p;
            }
            if (nd == 0) {
                why = "bad syslog timestamp";
                return parse_status::malformed;
            }
            for (; nd < 9; ++nd) frac *= 10;
        }
        unsigned y2 = 0;
        if (year == 0 && p + 5 < s.size() && s[p] == ' ' && four_digits(s, p + 1, y2) &&
            s[p + 5] == ' ' && y2 >= k_min_year && y2 <= k_max_year) {
            year = y2;
            p += 5;
        }
        if (p < s.size() && s[p] != ' ') {
            why = "bad syslog timestamp";
            return parse_status::malformed;
        }
        if (day < 1 || day > k_mdays[month] || hh > 23 || mm > 59 || ss > 60) {
            why = "impossible date in syslog timestamp";
            return parse_status::malformed;
        }
        int y = year ? static_cast<int>(year) : year_for(month, ctx, zone);
        std::int64_t local = days_from_civil(y, month, day) * 86400 +
                             static_cast<std::int64_t>(hh * 3600 + mm * 60 + ss);
        ts = to_utc(local, zone) * k_ns_per_sec + frac;
        rest = p < s.size() ? s.substr(p + 1) : sv{};
    } else if (pri >= 0) {
        // "<PRI>tag: msg" straight from a network sender: stamped on receipt.
        ts = ctx.reference_time;
        rest = s;
    } else {
        return parse_status::not_mine;
    }

    syslog_envelope env;
    sv msg;
    // "2024-01-01T00:00:00Z | 401 | …" is some application's own log, not syslog.
    if (!parse_host_tag(rest, env.host, env.program, env.pid, msg) && need_host)
        return parse_status::not_mine;
    if (need_host && env.host.empty() && env.program.empty()) return parse_status::not_mine;
    e.ts = ts;
    e.source_type = "syslog";
    if (pri >= 0) {
        b.add(f::log_syslog_facility_code, k_codes[pri >> 3]);
        b.add(f::log_syslog_severity_code, k_codes[pri & 7]);
    }
    add_if(b, f::host_name, env.host);
    add_if(b, f::process_name, env.program);
    if (is_uint_in(env.pid, 0, 4294967295ULL))
        b.add(f::process_pid, env.pid);
    else
        env.pid = {};
    add_message(msg, b, msg);
    return dispatch(env, msg, ctx, b, e, why);
}

}  // namespace

MIMAMORI_REGISTER_FORMAT("syslog", 50, syslog_parser)

}  // namespace mimamori::parse
