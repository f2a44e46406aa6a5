#pragma once
/// Civil time ↔ UTC nanoseconds, RFC 3339 formatting and parsing, and time zones for logs whose
/// lines carry no zone (RFC 3164 syslog, Apache without %z, many appliances).
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"

namespace mimamori {

inline constexpr std::int64_t k_ns_per_sec = 1'000'000'000;

/// Days since 1970-01-01 of a proleptic Gregorian date (any year, month 1-12, day 1-31).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct civil_time {
    int year = 1970;
    unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
    std::uint32_t nanos = 0;
};

/// Seconds since the epoch of a civil time read as UTC.
constexpr std::int64_t civil_to_seconds(const civil_time& c) {
    return days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 +
           c.second;
}
civil_time civil_from_seconds(std::int64_t secs);

/// "Jan".."Dec" (case-insensitive) → 1..12, 0 when not a month.
unsigned month_from_abbrev(std::string_view s);

/// Append ts as RFC 3339 UTC: "2024-03-01T12:00:05Z", with .mmm / .uuuuuu / .nnnnnnnnn when
/// the fraction needs them.
void format_rfc3339(timestamp_ns ts, std::string& out);
std::string format_rfc3339(timestamp_ns ts);

/// Parse "YYYY-MM-DD[T ]hh:mm:ss[.frac][Z|±hh:mm|±hhmm]". Without a zone, `default_offset_s`
/// applies. Returns false on anything else.
bool parse_rfc3339(std::string_view s, timestamp_ns& out, std::int32_t default_offset_s = 0);

/// A time zone: a fixed offset, or the rules of an IANA zone read from the system's TZif files
/// (/usr/share/zoneinfo). Maps local civil time (as written in a log) to UTC.
class time_zone {
public:
    /// UTC.
    time_zone() = default;
    static time_zone fixed(std::int32_t offset_seconds);
    /// "UTC", "+09:00", "-0500", or an IANA name such as "Asia/Tokyo". `zoneinfo_dir` lets tests
    /// point elsewhere. The error names what was tried.
    static result<time_zone> load(std::string_view spec,
                                  std::string_view zoneinfo_dir = "/usr/share/zoneinfo");

    /// Seconds to add to UTC to get local time at the UTC instant `utc_s`.
    std::int32_t offset_at_utc(std::int64_t utc_s) const;
    /// UTC seconds of a local civil time. In a DST gap or overlap the earlier offset wins, which
    /// is what syslog daemons themselves do when they stamp.
    std::int64_t local_to_utc(std::int64_t local_s) const;
    std::string_view name() const { return m_name; }

private:
    std::string m_name = "UTC";
    std::int32_t m_fixed = 0;
    std::vector<std::int64_t> m_transitions;  // UTC seconds, ascending
    std::vector<std::int32_t> m_offsets;      // offset in force from transitions[i]
    std::int32_t m_initial = 0;                // offset before the first transition
};

}  // namespace mimamori
