// String modifiers: Sigma wildcards and escaping, contains/startswith/endswith, windash, and
// the whole-value wildcard matcher the reference interpreter uses.
#include <cstdio>

#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

namespace {

using tk = glob_token::kind;

inline unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

bool is_word(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// The five characters windash lets a flag start with, UTF-8.
constexpr std::string_view k_dashes[] = {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};

void push_literal(glob& g, char c) {
    if (g.empty() || g.back().k != tk::literal) g.push_back({tk::literal, {}});
    g.back().text.push_back(c);
}

bool bytes_equal(std::string_view a, std::string_view b, bool cased) {
    if (a.size() != b.size()) return false;
    if (cased) return a == b;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (fold(static_cast<unsigned char>(a[i])) != fold(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

// Memoised top-down match of tokens[ti..] against value[si..]; memo holds 0 unknown, 1 no, 2 yes.
struct matcher {
    const glob& g;
    std::string_view v;
    bool cased;
    std::vector<std::uint8_t> memo;

    bool run(std::size_t ti, std::size_t si) {
        if (ti == g.size()) return si == v.size();
        std::size_t slot = ti * (v.size() + 1) + si;
        if (memo[slot]) return memo[slot] == 2;
        bool r = false;
        const auto& t = g[ti];
        switch (t.k) {
            case tk::literal:
                r = si + t.text.size() <= v.size() &&
                    bytes_equal(t.text, v.substr(si, t.text.size()), cased) &&
                    run(ti + 1, si + t.text.size());
                break;
            case tk::any_char: r = si < v.size() && run(ti + 1, si + 1); break;
            case tk::any_string:
                for (std::size_t k = si; k <= v.size() && !r; ++k) r = run(ti + 1, k);
                break;
            case tk::dash:
                for (auto d : k_dashes)
                    if (!r && v.substr(si, d.size()) == d) r = run(ti + 1, si + d.size());
                break;
        }
        memo[slot] = r ? 2 : 1;
        return r;
    }
};

}  // namespace

glob parse_wildcards(std::string_view v) {
    glob g;
    for (std::size_t i = 0; i < v.size(); ++i) {
        char c = v[i];
        if (c == '\\') {
            if (i + 1 < v.size() && (v[i + 1] == '*' || v[i + 1] == '?' || v[i + 1] == '\\')) {
                push_literal(g, v[++i]);
            } else {
                push_literal(g, '\\');
            }
        } else if (c == '*') {
            g.push_back({tk::any_string, {}});
        } else if (c == '?') {
            g.push_back({tk::any_char, {}});
        } else {
            push_literal(g, c);
        }
    }
    normalize(g);
    return g;
}

glob literal_glob(std::string_view text) {
    glob g;
    if (!text.empty()) g.push_back({tk::literal, std::string(text)});
    return g;
}

void normalize(glob& g) {
    glob out;
    for (auto& t : g) {
        if (t.k == tk::literal) {
            if (t.text.empty()) continue;
            if (!out.empty() && out.back().k == tk::literal) {
                out.back().text += t.text;
                continue;
            }
        } else if (t.k == tk::any_string && !out.empty() && out.back().k == tk::any_string) {
            continue;
        }
        out.push_back(std::move(t));
    }
    g = std::move(out);
}

std::optional<std::string> plain_text(const glob& g) {
    std::string s;
    for (const auto& t : g) {
        if (t.k != tk::literal) return std::nullopt;
        s += t.text;
    }
    return s;
}

void add_wildcards(glob& g, bool before, bool after) {
    if (before) g.insert(g.begin(), glob_token{tk::any_string, {}});
    if (after) g.push_back({tk::any_string, {}});
    normalize(g);
}

void apply_windash(glob& g) {
    glob out;
    for (std::size_t ti = 0; ti < g.size(); ++ti) {
        if (g[ti].k != tk::literal) {
            out.push_back(g[ti]);
            continue;
        }
        const std::string& s = g[ti].text;
        for (std::size_t i = 0; i < s.size(); ++i) {
            char c = s[i];
            if (c == '-' || c == '/') {
                // Start of a flag: no word character before it, a word character after it.
                bool word_before = i > 0 ? is_word(static_cast<unsigned char>(s[i - 1]))
                                         : false;
                bool word_after = false;
                if (i + 1 < s.size())
                    word_after = is_word(static_cast<unsigned char>(s[i + 1]));
                else if (ti + 1 < g.size() && g[ti + 1].k == tk::literal && !g[ti + 1].text.empty())
                    word_after = is_word(static_cast<unsigned char>(g[ti + 1].text[0]));
                if (!word_before && word_after) {
                    out.push_back({tk::dash, {}});
                    continue;
                }
            }
            push_literal(out, c);
        }
    }
    g = std::move(out);
    normalize(g);
}

namespace {

// The bytes tokens [t0, t1) (literals and `?`, no `*`, no dash) cover.
std::size_t seg_len(const glob& g, std::size_t t0, std::size_t t1) {
    std::size_t n = 0;
    for (std::size_t t = t0; t < t1; ++t) n += g[t].k == tk::literal ? g[t].text.size() : 1;
    return n;
}

// Tokens [t0, t1) match value at pos (the caller checked that they fit).
bool seg_at(const glob& g, std::size_t t0, std::size_t t1, std::string_view v, std::size_t pos, bool cased) {
    for (std::size_t t = t0; t < t1; ++t) {
        if (g[t].k == tk::any_char) {
            ++pos;
            continue;
        }
        const auto& text = g[t].text;
        if (!bytes_equal(text, v.substr(pos, text.size()), cased)) return false;
        pos += text.size();
    }
    return true;
}

// Leftmost position in [from, last] where tokens [t0, t1) match, or npos.
std::size_t seg_find(const glob& g, std::size_t t0, std::size_t t1, std::string_view v, std::size_t from,
                     std::size_t last, bool cased) {
    if (g[t0].k == tk::literal) {  // skip quickly to where the first byte fits
        const unsigned char c0 = static_cast<unsigned char>(g[t0].text[0]);
        const unsigned char f0 = cased ? c0 : fold(c0);
        for (std::size_t p = from; p <= last; ++p) {
            const unsigned char c = static_cast<unsigned char>(v[p]);
            if ((cased ? c : fold(c)) == f0 && seg_at(g, t0, t1, v, p, cased)) return p;
        }
        return std::string_view::npos;
    }
    for (std::size_t p = from; p <= last; ++p)
        if (seg_at(g, t0, t1, v, p, cased)) return p;
    return std::string_view::npos;
}

// Globs without windash: the segments between `*`s, the first anchored at the start, the last at
// the end, each middle one at its leftmost place after the previous (leftmost is never worse),
// so no backtracking and no memory.
bool star_match(const glob& g, std::string_view v, bool cased) {
    const std::size_t n = g.size();
    std::size_t first_star = 0;
    while (first_star < n && g[first_star].k != tk::any_string) ++first_star;
    const std::size_t head = seg_len(g, 0, first_star);
    if (first_star == n) return head == v.size() && seg_at(g, 0, n, v, 0, cased);
    std::size_t last_star = n - 1;
    while (g[last_star].k != tk::any_string) --last_star;
    const std::size_t tail = seg_len(g, last_star + 1, n);
    if (head + tail > v.size() || !seg_at(g, 0, first_star, v, 0, cased) ||
        !seg_at(g, last_star + 1, n, v, v.size() - tail, cased))
        return false;
    std::size_t pos = head;
    const std::size_t end = v.size() - tail;
    for (std::size_t t = first_star + 1; t < last_star;) {
        std::size_t te = t;
        while (te < last_star && g[te].k != tk::any_string) ++te;
        if (te > t) {
            const std::size_t len = seg_len(g, t, te);
            if (pos + len > end) return false;
            std::size_t at = seg_find(g, t, te, v, pos, end - len, cased);
            if (at == std::string_view::npos) return false;
            pos = at + len;
        }
        t = te + 1;
    }
    return true;
}

}  // namespace

bool glob_match(const glob& g, std::string_view value, bool cased) {
    // Fast paths for the shapes nearly every rule uses.
    if (g.size() == 1 && g[0].k == tk::literal) return bytes_equal(g[0].text, value, cased);
    bool dash = false;
    for (const auto& t : g) dash = dash || t.k == tk::dash;
    if (!dash) return star_match(g, value, cased);
    thread_local std::vector<std::uint8_t> memo;  // windash: a dash is 1 or 3 bytes, so memoised search
    matcher m{g, value, cased, std::move(memo)};
    m.memo.assign((g.size() + 1) * (value.size() + 1), 0);
    bool r = m.run(0, 0);
    memo = std::move(m.memo);
    return r;
}

bool glob_matches_empty(const glob& g) {
    for (const auto& t : g)
        if (t.k != tk::any_string) return false;
    return true;
}

std::string glob_to_text(const glob& g) {
    std::string s;
    for (const auto& t : g) {
        switch (t.k) {
            case tk::literal:
                for (char c : t.text) {
                    if (c == '*' || c == '?') s.push_back('\\');
                    s.push_back(c);
                }
                break;
            case tk::any_char: s += '?'; break;
            case tk::any_string: s += '*'; break;
            case tk::dash: s += "[-/]"; break;
        }
    }
    return s;
}

std::string glob_to_regex(const glob& g) {
    std::string r;
    if (g.empty() || g.front().k != tk::any_string) r += "\\A";
    char buf[8];
    for (std::size_t i = 0; i < g.size(); ++i) {
        const auto& t = g[i];
        switch (t.k) {
            case tk::literal:
                for (char ch : t.text) {
                    auto c = static_cast<unsigned char>(ch);
                    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
                        r.push_back(static_cast<char>(c));
                    } else {
                        std::snprintf(buf, sizeof buf, "\\x%02x", c);
                        r += buf;
                    }
                }
                break;
            case tk::any_char: r += "."; break;
            case tk::any_string:
                // Leading/trailing stars are expressed by the missing anchor.
                if (i != 0 && i + 1 != g.size()) r += ".*";
                break;
            case tk::dash: r += "(?:-|/|\\xe2\\x80\\x93|\\xe2\\x80\\x94|\\xe2\\x80\\x95)"; break;
        }
    }
    if (g.empty() || g.back().k != tk::any_string) r += "\\z";
    return r;
}

}  // namespace mimamori::sigma
