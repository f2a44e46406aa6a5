#include "parse/parser.hpp"

#include <algorithm>
#include <exception>
#include <arpa/inet.h>

namespace mimamori::parse {

namespace {
std::vector<format_info>& registry() {
    static std::vector<format_info> r;
    return r;
}
}  // namespace

bool register_format(format_info info) {
    auto& r = registry();
    r.push_back(std::move(info));
    std::stable_sort(r.begin(), r.end(),
                     [](const format_info& a, const format_info& b) { return a.priority < b.priority; });
    return true;
}

const std::vector<format_info>& formats() { return registry(); }

result<parser_set> parser_set::create(const options& opts, std::string_view only) {
    parser_set s;
    for (const auto& f : formats()) {
        if (!only.empty() && f.name != only) continue;
        auto p = f.make();
        if (auto st = p->configure(opts); !st) return st.err();
        s.m_parsers.push_back(std::move(p));
    }
    if (s.m_parsers.empty()) {
        std::string known;
        for (const auto& f : formats()) known += (known.empty() ? "" : ", ") + std::string(f.name);
        return error{"usage.format",
                     "unknown format '" + std::string(only) + "' (known: " + known + ")"};
    }
    return s;
}

int parser_set::index_of(std::string_view name) const {
    for (std::size_t i = 0; i < m_parsers.size(); ++i)
        if (m_parsers[i]->name() == name) return static_cast<int>(i);
    return -1;
}

int parser_set::detect(const std::vector<std::string_view>& sample, const context& ctx) {
    int best = -1;
    std::size_t best_ok = 0;
    event_batch scratch;
    for (std::size_t i = 0; i < m_parsers.size(); ++i) {
        std::size_t ok = 0;
        for (auto line : sample) {
            auto& e = scratch.begin();
            std::string_view why;
            auto view = scratch.copy(line);
            if (m_parsers[i]->parse(view, ctx, scratch, e, why) == parse_status::ok) ++ok;
            scratch.rollback();
        }
        scratch.clear();
        if (ok > best_ok) {
            best_ok = ok;
            best = static_cast<int>(i);
        }
    }
    return best;
}

int parser_set::parse(std::string_view line, int preferred, const context& ctx,
                      event_batch& batch, event& e) {
    std::string_view why, first_why;
    int first_malformed = -1;
    auto attempt = [&](int i) -> bool {
        why = {};
        parse_status st;
        try {
            st = m_parsers[i]->parse(line, ctx, batch, e, why);
        } catch (const std::exception&) {
            st = parse_status::malformed;
            why = k_parser_bug;
            ++m_bugs;
        }
        if (st == parse_status::ok) return true;
        batch.reset_fields();
        if (st == parse_status::malformed && first_malformed < 0) {
            first_malformed = i;
            first_why = why.empty() ? std::string_view("malformed") : why;
        }
        e.ts = k_no_time;
        e.source_type = {};
        return false;
    };
    if (preferred >= 0 && attempt(preferred)) {
        batch.commit();
        return preferred;
    }
    for (int i = 0; i < static_cast<int>(m_parsers.size()); ++i) {
        if (i == preferred) continue;
        if (attempt(i)) {
            batch.commit();
            return i;
        }
    }
    // Nobody took it: keep it, counted, with the most specific reason we have.
    if (first_malformed >= 0) {
        e.source_type = m_parsers[first_malformed]->name();
        e.parse_error = first_why;
    } else {
        e.source_type = "unknown";
        e.parse_error = "no known log format matches this line";
    }
    batch.commit();
    return -1;
}

bool is_ipv4(std::string_view s) {
    if (s.size() < 7 || s.size() > 15) return false;
    char buf[16];
    s.copy(buf, s.size());
    buf[s.size()] = 0;
    unsigned char out[4];
    return inet_pton(AF_INET, buf, out) == 1;
}

bool is_ipv6(std::string_view s) {
    if (s.size() < 2 || s.size() > 45 || s.find(':') == std::string_view::npos) return false;
    char buf[46];
    s.copy(buf, s.size());
    buf[s.size()] = 0;
    unsigned char out[16];
    return inet_pton(AF_INET6, buf, out) == 1;
}

bool is_ip(std::string_view s) { return is_ipv4(s) || is_ipv6(s); }

std::string_view unmap_ipv4(std::string_view s) {
    constexpr std::string_view k_prefix = "::ffff:";
    if (s.size() > k_prefix.size() && (s.compare(0, 7, k_prefix) == 0 || s.compare(0, 7, "::FFFF:") == 0) &&
        is_ipv4(s.substr(k_prefix.size())))
        return s.substr(k_prefix.size());
    return s;
}

bool is_uint_in(std::string_view s, std::uint64_t lo, std::uint64_t hi) {
    if (s.empty() || s.size() > 19) return false;
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return v >= lo && v <= hi;
}

bool split_ip_port(std::string_view s, std::string_view& ip, std::string_view& port) {
    std::size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) return false;
    std::string_view a = s.substr(0, colon), p = s.substr(colon + 1);
    if (a.size() > 2 && a.front() == '[' && a.back() == ']') a = a.substr(1, a.size() - 2);
    if (!is_ip(a) || !is_uint_in(p, 0, 65535)) return false;
    ip = a;
    port = p;
    return true;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

}  // namespace mimamori::parse
