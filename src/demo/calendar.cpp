#include "demo/calendar.hpp"

#include <algorithm>
#include <cstdio>

#include "core/time.hpp"

namespace mimamori::demo {

std::int64_t day_number(const date& d) { return days_from_civil(d.year, d.month, d.day); }

date date_from_day_number(std::int64_t n) {
    civil_time c = civil_from_seconds(n * 86400);
    return date{c.year, c.month, c.day};
}

int weekday(const date& d) {
    // 1970-01-01 was a Thursday (4).
    std::int64_t n = day_number(d);
    return static_cast<int>(((n % 7) + 7 + 4) % 7);
}

std::string format_date(const date& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", d.year, d.month, d.day);
    return buf;
}

bool parse_date(const std::string& s, date& out) {
    if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
    for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (s[i] < '0' || s[i] > '9') return false;
    date d{std::stoi(s.substr(0, 4)), static_cast<unsigned>(std::stoi(s.substr(5, 2))),
           static_cast<unsigned>(std::stoi(s.substr(8, 2)))};
    if (d.month < 1 || d.month > 12 || d.day < 1) return false;
    if (date_from_day_number(day_number(d)) != d) return false;  // Feb 30 and the like
    out = d;
    return true;
}

namespace {

// The n-th Monday (n ≥ 1) of a month.
date nth_monday(int year, unsigned month, int n) {
    date first{year, month, 1};
    int wd = weekday(first);
    unsigned day = 1 + static_cast<unsigned>((8 - wd) % 7) + static_cast<unsigned>(7 * (n - 1));
    return date{year, month, day};
}

// Equinox days by the usual approximation (valid 1980–2099), in integer millionths so that
// every platform agrees: day = floor(base + 0.242194·(y−1980) − floor((y−1980)/4)).
unsigned equinox_day(int year, std::int64_t base_millionths) {
    std::int64_t dy = year - 1980;
    std::int64_t v = base_millionths + 242194 * dy;
    return static_cast<unsigned>(v / 1000000 - dy / 4);
}

}  // namespace

std::vector<holiday> japanese_holidays(int y) {
    std::vector<holiday> h;
    auto add = [&](unsigned m, unsigned d, const char* ja, const char* en) { h.push_back({date{y, m, d}, ja, en}); };
    auto add_d = [&](date d, const char* ja, const char* en) { h.push_back({d, ja, en}); };

    add(1, 1, "元日", "New Year's Day");
    add_d(nth_monday(y, 1, 2), "成人の日", "Coming of Age Day");
    add(2, 11, "建国記念の日", "National Foundation Day");
    if (y >= 2020) add(2, 23, "天皇誕生日", "Emperor's Birthday");
    add(3, equinox_day(y, 20843100), "春分の日", "Vernal Equinox Day");
    add(4, 29, "昭和の日", "Showa Day");
    add(5, 3, "憲法記念日", "Constitution Memorial Day");
    add(5, 4, "みどりの日", "Greenery Day");
    add(5, 5, "こどもの日", "Children's Day");
    if (y == 2019) {
        add(5, 1, "即位の日", "Enthronement Day");
        add(10, 22, "即位礼正殿の儀", "Enthronement Ceremony Day");
    }
    if (y == 2020) {
        add(7, 23, "海の日", "Marine Day");
        add(7, 24, "スポーツの日", "Sports Day");
        add(8, 10, "山の日", "Mountain Day");
    } else if (y == 2021) {
        add(7, 22, "海の日", "Marine Day");
        add(7, 23, "スポーツの日", "Sports Day");
        add(8, 8, "山の日", "Mountain Day");
    } else {
        add_d(nth_monday(y, 7, 3), "海の日", "Marine Day");
        if (y >= 2016) add(8, 11, "山の日", "Mountain Day");
        add_d(nth_monday(y, 10, 2), y >= 2020 ? "スポーツの日" : "体育の日", y >= 2020 ? "Sports Day" : "Health and Sports Day");
    }
    add_d(nth_monday(y, 9, 3), "敬老の日", "Respect for the Aged Day");
    add(9, equinox_day(y, 23248800), "秋分の日", "Autumnal Equinox Day");
    add(11, 3, "文化の日", "Culture Day");
    add(11, 23, "勤労感謝の日", "Labour Thanksgiving Day");
    if (y <= 2018) add(12, 23, "天皇誕生日", "Emperor's Birthday");

    std::sort(h.begin(), h.end(), [](const holiday& a, const holiday& b) { return a.when < b.when; });
    auto is_holiday = [&](const date& d) {
        return std::any_of(h.begin(), h.end(), [&](const holiday& x) { return x.when == d; });
    };

    // 国民の休日: a day that is not a Sunday or a holiday, between two holidays.
    std::vector<holiday> extra;
    for (std::size_t i = 0; i + 1 < h.size(); ++i) {
        std::int64_t a = day_number(h[i].when), b = day_number(h[i + 1].when);
        if (b - a != 2) continue;
        date mid = date_from_day_number(a + 1);
        if (weekday(mid) != 0 && !is_holiday(mid)) extra.push_back({mid, "国民の休日", "Citizens' Holiday"});
    }
    h.insert(h.end(), extra.begin(), extra.end());
    std::sort(h.begin(), h.end(), [](const holiday& a, const holiday& b) { return a.when < b.when; });

    // 振替休日: a holiday on a Sunday makes the next day that is not a holiday a holiday.
    extra.clear();
    for (const auto& x : h) {
        if (weekday(x.when) != 0) continue;
        std::int64_t n = day_number(x.when) + 1;
        while (is_holiday(date_from_day_number(n))) ++n;
        date sub = date_from_day_number(n);
        if (sub.year == y) extra.push_back({sub, "振替休日", "Substitute Holiday"});
    }
    h.insert(h.end(), extra.begin(), extra.end());
    std::sort(h.begin(), h.end(), [](const holiday& a, const holiday& b) { return a.when < b.when; });
    return h;
}

}  // namespace mimamori::demo
