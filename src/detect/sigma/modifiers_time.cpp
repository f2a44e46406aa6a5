// Time modifiers: minute, hour, day, week, month, year of a date value. No zone conversion.
#include "core/time.hpp"
#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// ISO 8601 week number (1-53) of a date.
int iso_week(int y, int m, int d) {
    std::int64_t days = days_from_civil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
    int wd = static_cast<int>(((days % 7) + 7 + 3) % 7) + 1;  // 1 = Monday (1970-01-01 was a Thursday)
    int ordinal = static_cast<int>(days - days_from_civil(y, 1, 1)) + 1;
    int week = (ordinal - wd + 10) / 7;
    auto weeks_in = [](int year) {
        std::int64_t jan1 = days_from_civil(year, 1, 1);
        int wd1 = static_cast<int>(((jan1 % 7) + 7 + 3) % 7) + 1;
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return (wd1 == 4 || (leap && wd1 == 3)) ? 53 : 52;
    };
    if (week < 1) return weeks_in(y - 1);
    if (week > weeks_in(y)) return 1;
    return week;
}

}  // namespace

bool time_part(std::string_view v, time_unit unit, int& out) {
    int y, mo, d, h = 0, mi = 0;
    if (!digits(v, 0, 4, y) || v.size() < 10 || v[4] != '-' || !digits(v, 5, 2, mo) || v[7] != '-' ||
        !digits(v, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > 31)
        return false;
    bool has_time = v.size() >= 16 && (v[10] == 'T' || v[10] == ' ') && digits(v, 11, 2, h) && v[13] == ':' &&
                    digits(v, 14, 2, mi);
    if ((unit == time_unit::minute || unit == time_unit::hour) && !has_time) return false;
    switch (unit) {
        case time_unit::minute: out = mi; break;
        case time_unit::hour: out = h; break;
        case time_unit::day: out = d; break;
        case time_unit::week: out = iso_week(y, mo, d); break;
        case time_unit::month: out = mo; break;
        case time_unit::year: out = y; break;
    }
    return true;
}

const char* unit_name(time_unit u) {
    switch (u) {
        case time_unit::minute: return "minute";
        case time_unit::hour: return "hour";
        case time_unit::day: return "day";
        case time_unit::week: return "week";
        case time_unit::month: return "month";
        case time_unit::year: return "year";
    }
    return "?";
}

}  // namespace mimamori::sigma
