#pragma once
/// Japanese public holidays (国民の祝日) of a year, computed from the rules of the Holiday Act:
/// fixed dates, Happy Monday days, the equinoxes (astronomical approximation valid 1980–2099),
/// substitute holidays (振替休日: a holiday on a Sunday moves to the next day that is not a
/// holiday) and citizens' holidays (国民の休日: a day between two holidays), with the special
/// years 2019 (enthronement) and 2020/2021 (Olympic moves). Valid for 2007–2099; earlier years
/// use today's rules.
#include <cstdint>
#include <string>
#include <vector>

namespace mimamori::demo {

struct date {
    int year = 1970;
    unsigned month = 1, day = 1;
    bool operator==(const date&) const = default;
    auto operator<=>(const date&) const = default;
};

/// Days since 1970-01-01.
std::int64_t day_number(const date& d);
date date_from_day_number(std::int64_t n);
/// 0 = Sunday … 6 = Saturday.
int weekday(const date& d);
/// "YYYY-MM-DD"; parse returns false on anything else (or an impossible date).
std::string format_date(const date& d);
bool parse_date(const std::string& s, date& out);

struct holiday {
    date when;
    std::string name_ja, name_en;
};

/// The holidays of `year`, in date order.
std::vector<holiday> japanese_holidays(int year);

}  // namespace mimamori::demo
