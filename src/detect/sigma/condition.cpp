// Recursive-descent parser for Sigma conditions (grammar in condition.hpp).
#include "detect/sigma/condition.hpp"

#include <cctype>

namespace mimamori::sigma {

namespace {

struct token {
    enum class t : unsigned char { word, lparen, rparen, pipe, end, bad } type;
    std::string text;
    int column;
};

bool name_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) || c == '_' || c == '-' || c == '.' || c == '*' || u >= 0x80;
}

std::vector<token> lex(std::string_view s) {
    std::vector<token> out;
    std::size_t i = 0;
    while (i < s.size()) {
        char c = s[i];
        int col = static_cast<int>(i) + 1;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            ++i;
        } else if (c == '(') {
            out.push_back({token::t::lparen, "(", col});
            ++i;
        } else if (c == ')') {
            out.push_back({token::t::rparen, ")", col});
            ++i;
        } else if (c == '|') {
            out.push_back({token::t::pipe, "|", col});
            ++i;
        } else if (name_char(c)) {
            std::size_t j = i;
            while (j < s.size() && name_char(s[j])) ++j;
            out.push_back({token::t::word, std::string(s.substr(i, j - i)), col});
            i = j;
        } else {
            out.push_back({token::t::bad, std::string(1, c), col});
            ++i;
        }
    }
    out.push_back({token::t::end, "", static_cast<int>(s.size()) + 1});
    return out;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

bool is_keyword(std::string_view w) {
    return iequals(w, "and") || iequals(w, "or") || iequals(w, "not") || iequals(w, "of") ||
           iequals(w, "them");
}

class parser {
public:
    explicit parser(std::string_view s) : m_toks(lex(s)) {}

    bool run(cond_node& out, cond_error& err) {
        if (!or_expr(out, 0)) {
            err = m_err;
            return false;
        }
        if (peek().type != token::t::end) {
            fail(peek(), peek().type == token::t::rparen ? "a ')' without a matching '('"
                                                         : "expected 'and', 'or' or the end of the condition, found '" +
                                                               peek().text + "'");
            err = m_err;
            return false;
        }
        return true;
    }

private:
    static constexpr int k_max_depth = 64;
    std::vector<token> m_toks;
    std::size_t m_pos = 0;
    cond_error m_err;

    const token& peek() const { return m_toks[m_pos]; }
    bool word_is(std::string_view w) const { return peek().type == token::t::word && iequals(peek().text, w); }

    bool fail(const token& t, std::string msg) {
        m_err = {t.column, std::move(msg)};
        return false;
    }

    bool binary(cond_node& out, int depth, cond_node::kind k, std::string_view op,
                bool (parser::*next)(cond_node&, int)) {
        cond_node first;
        if (!(this->*next)(first, depth)) return false;
        if (!word_is(op)) {
            out = std::move(first);
            return true;
        }
        out = cond_node{};
        out.k = k;
        out.column = first.column;
        out.kids.push_back(std::move(first));
        while (word_is(op)) {
            ++m_pos;
            cond_node rhs;
            if (!(this->*next)(rhs, depth)) return false;
            out.kids.push_back(std::move(rhs));
        }
        return true;
    }

    bool or_expr(cond_node& out, int depth) {
        if (depth > k_max_depth) return fail(peek(), "the condition nests deeper than 64 levels");
        return binary(out, depth, cond_node::kind::or_, "or", &parser::and_expr);
    }
    bool and_expr(cond_node& out, int depth) {
        return binary(out, depth, cond_node::kind::and_, "and", &parser::not_expr);
    }
    bool not_expr(cond_node& out, int depth) {
        if (word_is("not")) {
            int col = peek().column;
            ++m_pos;
            if (depth > k_max_depth) return fail(peek(), "the condition nests deeper than 64 levels");
            cond_node inner;
            if (!not_expr(inner, depth + 1)) return false;
            out = cond_node{};
            out.k = cond_node::kind::not_;
            out.column = col;
            out.kids.push_back(std::move(inner));
            return true;
        }
        return primary(out, depth);
    }
    bool primary(cond_node& out, int depth) {
        const token& t = peek();
        switch (t.type) {
            case token::t::lparen: {
                ++m_pos;
                if (!or_expr(out, depth + 1)) return false;
                if (peek().type != token::t::rparen)
                    return fail(peek(), "expected ')' to close the '(' at column " + std::to_string(t.column));
                ++m_pos;
                return true;
            }
            case token::t::rparen: return fail(t, "expected a search identifier, found ')'");
            case token::t::pipe:
                return fail(t, "aggregations after '|' (count(), near) are not part of Sigma any more; "
                               "express them as a correlation rule");
            case token::t::end: return fail(t, "the condition ends where a search identifier was expected");
            case token::t::bad: return fail(t, "unexpected character '" + t.text + "'");
            case token::t::word: break;
        }
        // Quantifier?
        bool all = iequals(t.text, "all"), any = iequals(t.text, "any");
        bool number = !t.text.empty() && t.text.find_first_not_of("0123456789") == std::string::npos;
        if ((all || any || number) && m_toks[m_pos + 1].type == token::t::word &&
            iequals(m_toks[m_pos + 1].text, "of")) {
            out = cond_node{};
            out.k = cond_node::kind::of;
            out.column = t.column;
            out.count = all ? 0 : any ? 1 : std::stoi(t.text.substr(0, 6));
            if (number && out.count == 0) return fail(t, "'0 of' is never true; use 'not 1 of'");
            m_pos += 2;
            const token& target = peek();
            if (target.type != token::t::word || (is_keyword(target.text) && !iequals(target.text, "them")))
                return fail(target, "expected 'them' or a search identifier pattern after 'of'");
            out.name = iequals(target.text, "them") ? "them" : target.text;
            ++m_pos;
            return true;
        }
        if (is_keyword(t.text)) return fail(t, "expected a search identifier, found '" + t.text + "'");
        if (t.text.find('*') != std::string::npos)
            return fail(t, "a pattern like '" + t.text + "' needs '1 of' or 'all of' in front of it");
        out = cond_node{};
        out.k = cond_node::kind::ident;
        out.name = t.text;
        out.column = t.column;
        ++m_pos;
        return true;
    }
};

}  // namespace

bool parse_condition(std::string_view text, cond_node& out, cond_error& err) {
    parser p(text);
    return p.run(out, err);
}

std::string to_string(const cond_node& n) {
    switch (n.k) {
        case cond_node::kind::ident: return n.name;
        case cond_node::kind::of:
            return (n.count == 0 ? std::string("all") : std::to_string(n.count)) + " of " + n.name;
        case cond_node::kind::not_: return "not " + to_string(n.kids[0]);
        case cond_node::kind::and_:
        case cond_node::kind::or_: {
            std::string s = "(";
            for (std::size_t i = 0; i < n.kids.size(); ++i) {
                if (i) s += n.k == cond_node::kind::and_ ? " and " : " or ";
                s += to_string(n.kids[i]);
            }
            return s + ")";
        }
    }
    return "?";
}

}  // namespace mimamori::sigma
