#include "core/time.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

namespace mimamori {

civil_time civil_from_seconds(std::int64_t secs) {
    std::int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    std::int64_t rem = secs - days * 86400;
    // civil_from_days (inverse of days_from_civil)
    std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    civil_time c;
    c.day = doy - (153 * mp + 2) / 5 + 1;
    c.month = mp < 10 ? mp + 3 : mp - 9;
    c.year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (c.month <= 2));
    c.hour = static_cast<unsigned>(rem / 3600);
    c.minute = static_cast<unsigned>(rem % 3600 / 60);
    c.second = static_cast<unsigned>(rem % 60);
    return c;
}

unsigned month_from_abbrev(std::string_view s) {
    static constexpr const char* k_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                              "jul", "aug", "sep", "oct", "nov", "dec"};
    if (s.size() < 3) return 0;
    char a[3] = {static_cast<char>(s[0] | 0x20), static_cast<char>(s[1] | 0x20),
                 static_cast<char>(s[2] | 0x20)};
    for (unsigned i = 0; i < 12; ++i)
        if (std::memcmp(a, k_names[i], 3) == 0) return i + 1;
    return 0;
}

namespace {
void put2(std::string& out, unsigned v) {
    out.push_back(static_cast<char>('0' + v / 10 % 10));
    out.push_back(static_cast<char>('0' + v % 10));
}
}  // namespace

void format_rfc3339(timestamp_ns ts, std::string& out) {
    std::int64_t secs = ts / k_ns_per_sec;
    std::int64_t ns = ts % k_ns_per_sec;
    if (ns < 0) {
        ns += k_ns_per_sec;
        --secs;
    }
    civil_time c = civil_from_seconds(secs);
    int y = c.year;
    if (y < 0 || y > 9999) y = std::clamp(y, 0, 9999);
    put2(out, static_cast<unsigned>(y / 100));
    put2(out, static_cast<unsigned>(y % 100));
    out.push_back('-');
    put2(out, c.month);
    out.push_back('-');
    put2(out, c.day);
    out.push_back('T');
    put2(out, c.hour);
    out.push_back(':');
    put2(out, c.minute);
    out.push_back(':');
    put2(out, c.second);
    if (ns != 0) {
        char buf[10];
        int digits = ns % 1'000'000 == 0 ? 3 : ns % 1000 == 0 ? 6 : 9;
        std::int64_t v = digits == 3 ? ns / 1'000'000 : digits == 6 ? ns / 1000 : ns;
        for (int i = digits - 1; i >= 0; --i) {
            buf[i] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
        out.push_back('.');
        out.append(buf, static_cast<std::size_t>(digits));
    }
    out.push_back('Z');
}

std::string format_rfc3339(timestamp_ns ts) {
    std::string s;
    format_rfc3339(ts, s);
    return s;
}

namespace {
bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned& v) {
    if (pos + n > s.size()) return false;
    v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}
}  // namespace

bool parse_rfc3339(std::string_view s, timestamp_ns& out, std::int32_t default_offset_s) {
    civil_time c;
    unsigned y = 0;
    if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || s[7] != '-' ||
        (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':' || s[16] != ':')
        return false;
    c.year = static_cast<int>(y);
    // int64 nanoseconds span 1677-09-21 .. 2262-04-11; refuse what cannot be represented.
    if (c.year < 1678 || c.year > 2261) return false;
    if (!digits(s, 5, 2, c.month) || !digits(s, 8, 2, c.day) || !digits(s, 11, 2, c.hour) ||
        !digits(s, 14, 2, c.minute) || !digits(s, 17, 2, c.second))
        return false;
    if (c.month < 1 || c.month > 12 || c.day < 1 || c.day > 31 || c.hour > 23 || c.minute > 59 ||
        c.second > 60)
        return false;
    std::size_t i = 19;
    std::int64_t frac = 0;
    if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
        ++i;
        int n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            if (n < 9) {
                frac = frac * 10 + (s[i] - '0');
                ++n;
            }
            ++i;
        }
        if (n == 0) return false;
        for (; n < 9; ++n) frac *= 10;
    }
    std::int32_t off = default_offset_s;
    if (i < s.size()) {
        if (s[i] == 'Z' || s[i] == 'z') {
            off = 0;
            ++i;
        } else if (s[i] == '+' || s[i] == '-') {
            unsigned hh = 0, mm = 0;
            int sign = s[i] == '-' ? -1 : 1;
            if (!digits(s, i + 1, 2, hh)) return false;
            std::size_t j = i + 3;
            if (j < s.size() && s[j] == ':') ++j;
            if (!digits(s, j, 2, mm)) return false;
            off = sign * static_cast<std::int32_t>(hh * 3600 + mm * 60);
            i = j + 2;
        }
    }
    if (i != s.size()) return false;
    out = (civil_to_seconds(c) - off) * k_ns_per_sec + frac;
    return true;
}

// ---------------------------------------------------------------------------------------------
// time_zone

time_zone time_zone::fixed(std::int32_t offset_seconds) {
    time_zone z;
    z.m_fixed = offset_seconds;
    z.m_initial = offset_seconds;
    char buf[16];
    int a = offset_seconds < 0 ? -offset_seconds : offset_seconds;
    std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_seconds < 0 ? '-' : '+', a / 3600,
                  a % 3600 / 60);
    z.m_name = offset_seconds == 0 ? "UTC" : buf;
    return z;
}

namespace {
std::int64_t be(const unsigned char* p, int n) {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = v << 8 | p[i];
    if (n == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    return static_cast<std::int64_t>(v);
}
}  // namespace

result<time_zone> time_zone::load(std::string_view spec, std::string_view zoneinfo_dir) {
    if (spec.empty() || spec == "UTC" || spec == "Z" || spec == "utc" || spec == "Etc/UTC")
        return time_zone{};
    if (spec[0] == '+' || spec[0] == '-') {
        timestamp_ns t = 0;
        std::string probe = "1970-01-01T00:00:00" + std::string(spec);
        if (!parse_rfc3339(probe, t))
            return error{"config.timezone", "time zone '" + std::string(spec) +
                                                "' is not an offset like +09:00 or -0500"};
        return fixed(static_cast<std::int32_t>(-t / k_ns_per_sec));
    }
    if (spec.find("..") != std::string_view::npos)
        return error{"config.timezone", "time zone name '" + std::string(spec) + "' is invalid"};
    std::string path = std::string(zoneinfo_dir) + "/" + std::string(spec);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return error{"config.timezone",
                     "unknown time zone '" + std::string(spec) + "' (no file " + path +
                         "; use an IANA name such as Asia/Tokyo, or an offset like +09:00)"};
    std::vector<unsigned char> d((std::istreambuf_iterator<char>(in)), {});
    auto bad = [&] {
        return error{"config.timezone", path + " is not a TZif time zone file"};
    };
    if (d.size() < 44 || std::memcmp(d.data(), "TZif", 4) != 0) return bad();
    // Header: counts at offset 20: isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt.
    auto counts = [&](std::size_t at, std::int64_t c[6]) {
        for (int i = 0; i < 6; ++i) c[i] = be(d.data() + at + 20 + 4 * i, 4);
    };
    std::int64_t c[6];
    counts(0, c);
    std::size_t at = 0;
    int tsize = 4;
    if (d[4] >= '2') {  // skip the v1 block; the v2 block has 64-bit times
        std::size_t v1 = 44 + c[3] * 4 + c[3] + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0];
        if (d.size() < v1 + 44 || std::memcmp(d.data() + v1, "TZif", 4) != 0) return bad();
        at = v1;
        counts(at, c);
        tsize = 8;
    }
    std::size_t p = at + 44;
    std::size_t need = p + c[3] * tsize + c[3] + c[4] * 6;
    if (c[4] < 1 || d.size() < need) return bad();
    time_zone z;
    z.m_name = std::string(spec);
    std::vector<std::int32_t> type_off(static_cast<std::size_t>(c[4]));
    std::size_t types_at = p + c[3] * tsize + c[3];
    for (std::int64_t t = 0; t < c[4]; ++t)
        type_off[t] = static_cast<std::int32_t>(be(d.data() + types_at + 6 * t, 4));
    for (std::int64_t t = 0; t < c[3]; ++t) {
        z.m_transitions.push_back(be(d.data() + p + t * tsize, tsize));
        unsigned idx = d[p + c[3] * tsize + t];
        if (idx >= type_off.size()) return bad();
        z.m_offsets.push_back(type_off[idx]);
    }
    z.m_initial = type_off[0];
    z.m_fixed = z.m_transitions.empty() ? type_off[0] : z.m_offsets.back();
    // Zones whose future is given by the TZif footer's POSIX rule (DST after the last listed
    // transition) keep the last offset; Debian's files list transitions until 2037.
    return z;
}

std::int32_t time_zone::offset_at_utc(std::int64_t utc_s) const {
    if (m_transitions.empty()) return m_fixed;
    auto it = std::upper_bound(m_transitions.begin(), m_transitions.end(), utc_s);
    if (it == m_transitions.begin()) return m_initial;
    return m_offsets[static_cast<std::size_t>(it - m_transitions.begin() - 1)];
}

std::int64_t time_zone::local_to_utc(std::int64_t local_s) const {
    if (m_transitions.empty()) return local_s - m_fixed;
    // Try the offset in force a day earlier first (earlier offset wins), then re-check.
    std::int32_t off = offset_at_utc(local_s - 86400);
    std::int64_t utc = local_s - off;
    std::int32_t off2 = offset_at_utc(utc);
    if (off2 != off) {
        std::int64_t utc2 = local_s - off2;
        if (offset_at_utc(utc2) == off2) return utc2;
    }
    return utc;
}

}  // namespace mimamori
