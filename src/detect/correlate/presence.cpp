#include "detect/correlate/presence.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

namespace mimamori::correlate {

namespace {

constexpr std::int64_t k_ns = 1'000'000'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

std::string lower(std::string_view s) {
    std::string o(s);
    for (char& c : o)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return o;
}

// One CSV record: commas, double quotes ("" inside quotes), CR stripped.
std::vector<std::string> split_csv(std::string_view line) {
    std::vector<std::string> out(1);
    bool q = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (q) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back().push_back('"');
                ++i;
            } else if (c == '"') {
                q = false;
            } else {
                out.back().push_back(c);
            }
        } else if (c == '"') {
            q = true;
        } else if (c == ',') {
            out.emplace_back();
        } else if (c != '\r') {
            out.back().push_back(c);
        }
    }
    for (auto& f : out) {
        while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.pop_back();
        std::size_t b = 0;
        while (b < f.size() && (f[b] == ' ' || f[b] == '\t')) ++b;
        f.erase(0, b);
    }
    return out;
}

struct csv_table {
    std::map<std::string, std::size_t> col;
    std::vector<std::vector<std::string>> rows;
    std::string_view get(const std::vector<std::string>& row, const std::string& name) const {
        auto it = col.find(name);
        if (it == col.end() || it->second >= row.size()) return {};
        return row[it->second];
    }
};

bool read_csv(const std::string& path, csv_table& t) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::string line;
    bool header = true;
    while (std::getline(in, line)) {
        if (header) {
            if (line.size() >= 3 && line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);  // BOM (Excel)
            auto h = split_csv(line);
            for (std::size_t i = 0; i < h.size(); ++i) t.col[lower(h[i])] = i;
            header = false;
            continue;
        }
        if (line.empty() || line == "\r") continue;
        t.rows.push_back(split_csv(line));
    }
    return !header;
}

bool parse_date(std::string_view s, std::int64_t& day) {
    if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
    auto num = [&](std::size_t at, std::size_t n, unsigned& v) {
        v = 0;
        for (std::size_t i = at; i < at + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            v = v * 10 + static_cast<unsigned>(s[i] - '0');
        }
        return true;
    };
    unsigned y, m, d;
    if (!num(0, 4, y) || !num(5, 2, m) || !num(8, 2, d) || m < 1 || m > 12 || d < 1 || d > 31) return false;
    day = days_from_civil(static_cast<std::int64_t>(y), m, d);
    return true;
}

bool is_remote_kind(std::string_view kind) {
    const std::string k = lower(kind);
    return k.find("remote") != std::string::npos || k == "wfh" || k.find("telework") != std::string::npos ||
           k.find("home") != std::string::npos || k.find("business_trip") != std::string::npos;
}

}  // namespace

std::string normalize_account(std::string_view a) {
    if (auto bs = a.rfind('\\'); bs != std::string_view::npos) a = a.substr(bs + 1);
    if (auto at = a.find('@'); at != std::string_view::npos) a = a.substr(0, at);
    return lower(a);
}

std::string_view presence_context::describe(verdict v) {
    switch (v) {
        case verdict::on_leave: return "on leave that day";
        case verdict::no_badge_in: return "no badge-in that day";
        case verdict::present: return "owner present";
        case verdict::unknown: break;
    }
    return "unknown";
}

std::int64_t presence_context::local_day(timestamp_ns ts) const {
    const std::int64_t secs = floor_div(ts, k_ns);
    return floor_div(secs + m_tz.offset_at_utc(secs), 86400);
}

result<std::unique_ptr<presence_context>> presence_context::load(const std::string& dir, const time_zone& tz) {
    auto ctx = std::make_unique<presence_context>();
    ctx->m_tz = tz;
    csv_table roster;
    if (!read_csv(dir + "/roster.csv", roster))
        return error{"presence.roster", "cannot read " + dir + "/roster.csv (staff context)"};
    if (!roster.col.count("account"))
        return error{"presence.roster", dir + "/roster.csv has no `account` column"};
    for (const auto& row : roster.rows) {
        const std::string acc = normalize_account(roster.get(row, "account"));
        if (acc.empty()) continue;
        ctx->m_badge_of[acc] = std::string(roster.get(row, "badge_id"));
    }
    csv_table abs;
    if (read_csv(dir + "/absences.csv", abs)) {
        for (const auto& row : abs.rows) {
            std::int64_t day;
            if (!parse_date(abs.get(row, "date"), day)) continue;
            const std::string acc = normalize_account(abs.get(row, "account"));
            if (acc.empty()) continue;
            const bool leave = !is_remote_kind(abs.get(row, "kind"));
            auto [it, fresh] = ctx->m_absent.emplace(std::make_pair(acc, day), leave);
            if (!fresh && leave) it->second = true;  // leave wins over a remote entry the same day
        }
    }
    csv_table badge;
    if (read_csv(dir + "/badge.csv", badge)) {
        for (const auto& row : badge.rows) {
            timestamp_ns t = 0;
            if (!parse_rfc3339(badge.get(row, "time"), t)) continue;
            const std::int64_t day = ctx->local_day(t);
            ctx->m_badge_days.insert(day);
            if (lower(badge.get(row, "direction")) != "in") continue;
            const std::string id(badge.get(row, "badge_id"));
            if (id.empty()) continue;
            auto [it, fresh] = ctx->m_first_in.emplace(std::make_pair(id, day), t);
            if (!fresh && t < it->second) it->second = t;
        }
    }
    return ctx;
}

presence_context::verdict presence_context::check(std::string_view account, timestamp_ns ts, timestamp_ns grace_ns) const {
    const std::string acc = normalize_account(account);
    auto who = m_badge_of.find(acc);
    if (who == m_badge_of.end()) return verdict::unknown;
    const std::int64_t day = local_day(ts);
    if (auto a = m_absent.find({acc, day}); a != m_absent.end()) return a->second ? verdict::on_leave : verdict::present;
    if (who->second.empty() || !m_badge_days.count(day)) return verdict::unknown;
    auto in = m_first_in.find({who->second, day});
    if (in != m_first_in.end() && in->second <= ts + grace_ns) return verdict::present;
    return verdict::no_badge_in;
}

}  // namespace mimamori::correlate
