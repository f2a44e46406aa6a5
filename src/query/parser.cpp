// The search language's parser: a hand-written recursive-descent parser over a small lexer.
// The grammar is at the top of query.hpp. Every node records the column it starts at so that
// errors, including those found later by the compiler, point at the place in the query.
#include <cctype>

#include "query/query.hpp"

namespace mimamori::query {

std::string query_error::render(const std::string& query) const {
    std::string out = message + " at column " + std::to_string(column) + "\n  " + query + "\n  ";
    for (int i = 1; i < column; ++i) out.push_back(' ');
    out += "^";
    return out;
}

namespace {

constexpr int k_max_depth = 64;

enum class tok : std::uint8_t { end, word, phrase, lparen, rparen, lbracket, rbracket, lbrace, rbrace, pipe, comma };

struct token {
    tok kind = tok::end;
    std::string text;  // unescaped text (word / phrase)
    std::string pattern;  // words: text with wildcards kept as GLOB syntax, literal specials escaped
    bool wildcard = false;        // an unescaped * or ? anywhere
    bool value_wildcard = false;  // an unescaped * or ? after the first unescaped ':'
    bool had_escape = false;
    std::size_t colon = std::string::npos;          // first unescaped ':' in text
    std::size_t pattern_colon = std::string::npos;  // the same ':' in pattern
    int column = 0;  // 1-based
};

struct parse_failure {
    int column;
    std::string message;
};

bool is_delim(char c, bool in_pipe) {
    switch (c) {
        case '(': case ')': case '[': case ']': case '{': case '}': case '"': case '|': return true;
        case ',': return in_pipe;
        default: return std::isspace(static_cast<unsigned char>(c)) != 0;
    }
}

class lexer {
public:
    explicit lexer(const std::string& s) : m_s(s) {}
    void set_pipe_mode(bool v) { m_pipe = v; }

    token next() {
        while (m_i < m_s.size() && std::isspace(static_cast<unsigned char>(m_s[m_i]))) ++m_i;
        token t;
        t.column = static_cast<int>(m_i) + 1;
        if (m_i >= m_s.size()) return t;
        char c = m_s[m_i];
        switch (c) {
            case '(': ++m_i; t.kind = tok::lparen; return t;
            case ')': ++m_i; t.kind = tok::rparen; return t;
            case '[': ++m_i; t.kind = tok::lbracket; return t;
            case ']': ++m_i; t.kind = tok::rbracket; return t;
            case '{': ++m_i; t.kind = tok::lbrace; return t;
            case '}': ++m_i; t.kind = tok::rbrace; return t;
            case '|': ++m_i; t.kind = tok::pipe; return t;
            default: break;
        }
        if (c == ',' && m_pipe) {
            ++m_i;
            t.kind = tok::comma;
            return t;
        }
        if (c == '"') {
            ++m_i;
            t.kind = tok::phrase;
            while (true) {
                if (m_i >= m_s.size()) throw parse_failure{t.column, "unterminated quoted string"};
                char d = m_s[m_i++];
                if (d == '"') break;
                if (d == '\\' && m_i < m_s.size()) d = m_s[m_i++];
                t.text.push_back(d);
            }
            return t;
        }
        t.kind = tok::word;
        while (m_i < m_s.size() && !is_delim(m_s[m_i], m_pipe)) {
            char d = m_s[m_i++];
            if (d == '\\' && m_i < m_s.size()) {
                d = m_s[m_i++];
                t.had_escape = true;
                t.text.push_back(d);
                if (d == '*' || d == '?' || d == '[') {
                    t.pattern += '[';
                    t.pattern += d;
                    t.pattern += ']';
                } else {
                    t.pattern.push_back(d);
                }
                continue;
            }
            if (d == ':' && t.colon == std::string::npos) {
                t.colon = t.text.size();
                t.pattern_colon = t.pattern.size();
            }
            t.text.push_back(d);
            if (d == '*' || d == '?') {
                t.wildcard = true;
                if (t.colon != std::string::npos) t.value_wildcard = true;
                t.pattern.push_back(d);
            } else if (d == '[') {
                t.pattern += "[[]";
            } else {
                t.pattern.push_back(d);
            }
        }
        return t;
    }

    std::size_t pos() const { return m_i; }
    void seek(std::size_t i) { m_i = i; }

private:
    const std::string& m_s;
    std::size_t m_i = 0;
    bool m_pipe = false;
};

bool is_keyword(const token& t, std::string_view kw) {
    return t.kind == tok::word && !t.had_escape && t.text == kw;
}

bool valid_field(std::string_view f) {
    if (f.empty()) return false;
    for (char c : f)
        if (c == '"' || c == '\\' || c == '*' || c == '?' || c == ':' || std::isspace(static_cast<unsigned char>(c)))
            return false;
    return true;
}

class parser {
public:
    explicit parser(const std::string& s) : m_lex(s), m_src(s) { advance(); }

    parsed_query parse_all() {
        parsed_query q;
        if (m_tok.kind != tok::end && m_tok.kind != tok::pipe) {
            q.filter = parse_or(0);
            if (m_tok.kind != tok::end && m_tok.kind != tok::pipe) {
                if (m_tok.kind == tok::rparen) fail(m_tok.column, "unbalanced ')'");
                fail(m_tok.column, "unexpected " + describe(m_tok));
            }
        }
        m_lex.set_pipe_mode(true);
        while (m_tok.kind == tok::pipe) {
            advance();
            parse_pipe(q);
        }
        if (m_tok.kind != tok::end) fail(m_tok.column, "unexpected " + describe(m_tok));
        return q;
    }

private:
    [[noreturn]] void fail(int column, std::string msg) { throw parse_failure{column, std::move(msg)}; }

    static std::string describe(const token& t) {
        switch (t.kind) {
            case tok::end: return "end of query";
            case tok::word: return "'" + t.text + "'";
            case tok::phrase: return "quoted string";
            case tok::lparen: return "'('";
            case tok::rparen: return "')'";
            case tok::lbracket: return "'['";
            case tok::rbracket: return "']'";
            case tok::lbrace: return "'{'";
            case tok::rbrace: return "'}'";
            case tok::pipe: return "'|'";
            case tok::comma: return "','";
        }
        return "token";
    }

    void advance() { m_tok = m_lex.next(); }

    static std::unique_ptr<node> make(node_kind k, int col) {
        auto n = std::make_unique<node>();
        n->kind = k;
        n->column = col;
        return n;
    }

    bool starts_term() const {
        switch (m_tok.kind) {
            case tok::word: return !is_keyword(m_tok, "AND") && !is_keyword(m_tok, "OR");
            case tok::phrase: case tok::lparen: return true;
            default: return false;
        }
    }

    std::unique_ptr<node> parse_or(int depth) {
        auto left = parse_and(depth);
        if (!is_keyword(m_tok, "OR")) return left;
        auto n = make(node_kind::or_, left->column);
        n->kids.push_back(std::move(left));
        while (is_keyword(m_tok, "OR")) {
            int col = m_tok.column;
            advance();
            if (!starts_term()) fail(m_tok.column == 0 ? col : m_tok.column, "expected a term after OR");
            n->kids.push_back(parse_and(depth));
        }
        return n;
    }

    std::unique_ptr<node> parse_and(int depth) {
        auto left = parse_not(depth);
        std::unique_ptr<node> n;
        while (true) {
            if (is_keyword(m_tok, "AND")) {
                int col = m_tok.column;
                advance();
                if (!starts_term()) fail(m_tok.kind == tok::end ? col : m_tok.column, "expected a term after AND");
            } else if (!starts_term()) {
                break;
            }
            if (!n) {
                n = make(node_kind::and_, left->column);
                n->kids.push_back(std::move(left));
            }
            n->kids.push_back(parse_not(depth));
        }
        return n ? std::move(n) : std::move(left);
    }

    std::unique_ptr<node> parse_not(int depth) {
        if (depth > k_max_depth) fail(m_tok.column, "query nests too deeply");
        if (is_keyword(m_tok, "NOT")) {
            int col = m_tok.column;
            advance();
            if (!starts_term()) fail(m_tok.kind == tok::end ? col : m_tok.column, "expected a term after NOT");
            auto n = make(node_kind::not_, col);
            n->kids.push_back(parse_not(depth + 1));
            return n;
        }
        if (m_tok.kind == tok::word && m_tok.text.size() > 1 && m_tok.text[0] == '-' && !m_tok.had_escape) {
            // "-term": negation. Re-lex the word without its dash.
            int col = m_tok.column;
            m_lex.seek(static_cast<std::size_t>(col));  // one past the dash (col is 1-based)
            advance();
            auto n = make(node_kind::not_, col);
            n->kids.push_back(parse_primary(depth + 1));
            return n;
        }
        return parse_primary(depth);
    }

    std::unique_ptr<node> parse_primary(int depth) {
        if (m_tok.kind == tok::lparen) {
            int col = m_tok.column;
            advance();
            if (m_tok.kind == tok::rparen) fail(m_tok.column, "empty parentheses");
            auto n = parse_or(depth + 1);
            if (m_tok.kind != tok::rparen) fail(m_tok.kind == tok::end ? col : m_tok.column, "missing ')' for this '('");
            advance();
            return n;
        }
        if (m_tok.kind == tok::phrase) {
            auto n = make(node_kind::text, m_tok.column);
            n->value = m_tok.text;
            n->phrase = true;
            advance();
            return n;
        }
        if (m_tok.kind != tok::word) fail(m_tok.column, "expected a term, found " + describe(m_tok));
        token t = m_tok;
        auto colon = t.colon;
        if (t.text == "*" && !t.had_escape) {
            // A lone * matches every event.
            auto n = make(node_kind::exists, t.column);
            advance();
            return n;
        }
        if (colon == std::string::npos || colon == 0) {
            if (colon == 0) fail(t.column, "missing field name before ':'");
            auto n = make(node_kind::text, t.column);
            n->value = t.text;
            n->wildcard = t.wildcard;
            if (t.wildcard) {
                auto star = t.text.find_first_of("*?");
                if (star + 1 != t.text.size() || t.text.back() != '*' || t.text.size() == 1)
                    fail(t.column + static_cast<int>(star),
                         "in free text only a trailing * is allowed (use field:pattern for other wildcards)");
                n->value.pop_back();
            }
            advance();
            return n;
        }
        std::string field = t.text.substr(0, colon);
        if (!valid_field(field)) fail(t.column, "'" + field + "' is not a field name");
        std::string rest_text = t.text.substr(colon + 1);
        std::string rest_pattern = t.pattern.substr(t.pattern_colon + 1);
        int value_col = t.column + static_cast<int>(colon) + 1;
        if (!rest_text.empty()) {
            advance();
            return field_value(field, t.column, value_col, rest_text, rest_pattern, t.value_wildcard, false);
        }
        advance();
        // field: followed by a phrase, a range or a parenthesised list of values.
        if (m_tok.kind == tok::phrase) {
            auto n = field_value(field, t.column, m_tok.column, m_tok.text, {}, false, true);
            advance();
            return n;
        }
        if (m_tok.kind == tok::lbracket || m_tok.kind == tok::lbrace) return parse_range(field, t.column);
        if (m_tok.kind == tok::lparen) return parse_value_list(field, t.column, depth);
        fail(m_tok.kind == tok::end ? value_col : m_tok.column, "expected a value after '" + field + ":'");
    }

    std::unique_ptr<node> field_value(const std::string& field, int col, int value_col, const std::string& text,
                                      const std::string& pattern, bool wildcard, bool phrase) {
        if (!phrase && (text.rfind(">=", 0) == 0 || text.rfind("<=", 0) == 0 || text[0] == '>' || text[0] == '<')) {
            auto n = make(node_kind::range, col);
            n->field = field;
            n->value_column = value_col + ((text.size() > 1 && text[1] == '=') ? 2 : 1);
            bool two = text.size() > 1 && text[1] == '=';
            std::string v = text.substr(two ? 2 : 1);
            if (v.empty()) fail(value_col + (two ? 2 : 1), "expected a value after the comparison");
            if (text[0] == '>') {
                n->lo = v;
                n->lo_inclusive = two;
            } else {
                n->hi = v;
                n->hi_inclusive = two;
            }
            return n;
        }
        if (!phrase && text == "*") {
            auto n = make(node_kind::exists, col);
            n->field = field;
            return n;
        }
        auto n = make(node_kind::match, col);
        n->field = field;
        n->value_column = value_col;
        n->phrase = phrase;
        n->wildcard = wildcard;
        n->value = wildcard ? pattern : text;
        return n;
    }

    std::string bound(const char* which) {
        if (m_tok.kind == tok::phrase) {
            std::string v = m_tok.text;
            advance();
            return v;
        }
        if (m_tok.kind != tok::word || is_keyword(m_tok, "TO"))
            fail(m_tok.column, std::string("expected the range's ") + which + " bound (a value or *)");
        std::string v = m_tok.text;
        advance();
        return v == "*" ? std::string() : v;
    }

    std::unique_ptr<node> parse_range(const std::string& field, int col) {
        auto n = make(node_kind::range, col);
        n->field = field;
        n->lo_inclusive = m_tok.kind == tok::lbracket;
        int open_col = m_tok.column;
        n->value_column = open_col + 1;
        advance();
        n->lo = bound("lower");
        if (!is_keyword(m_tok, "TO")) fail(m_tok.kind == tok::end ? open_col : m_tok.column, "expected TO in the range");
        advance();
        n->hi = bound("upper");
        if (m_tok.kind != tok::rbracket && m_tok.kind != tok::rbrace)
            fail(m_tok.kind == tok::end ? open_col : m_tok.column, "expected ']' or '}' to close the range");
        n->hi_inclusive = m_tok.kind == tok::rbracket;
        advance();
        return n;
    }

    std::unique_ptr<node> parse_value_list(const std::string& field, int col, int depth) {
        int open_col = m_tok.column;
        advance();
        auto n = make(node_kind::or_, col);
        while (true) {
            if (m_tok.kind == tok::phrase) {
                n->kids.push_back(field_value(field, col, m_tok.column, m_tok.text, {}, false, true));
            } else if (m_tok.kind == tok::word && !is_keyword(m_tok, "OR")) {
                n->kids.push_back(field_value(field, col, m_tok.column, m_tok.text, m_tok.pattern, m_tok.wildcard, false));
            } else {
                fail(m_tok.kind == tok::end ? open_col : m_tok.column, "expected a value in the list");
            }
            advance();
            if (is_keyword(m_tok, "OR")) {
                advance();
                continue;
            }
            if (m_tok.kind == tok::rparen) break;
            if (m_tok.kind == tok::word || m_tok.kind == tok::phrase) continue;  // implicit OR inside field:(a b)
            fail(m_tok.kind == tok::end ? open_col : m_tok.column, "missing ')' for this '('");
        }
        advance();
        return n->kids.size() == 1 ? std::move(n->kids[0]) : std::move(n);
    }

    // Pipes ---------------------------------------------------------------------------------

    std::string expect_name(const char* what) {
        if (m_tok.kind != tok::word) fail(m_tok.column, std::string("expected ") + what);
        std::string v = m_tok.text;
        if (!valid_field(v)) fail(m_tok.column, "'" + v + "' is not a field name");
        advance();
        return v;
    }

    void parse_pipe(parsed_query& q) {
        if (m_tok.kind != tok::word) fail(m_tok.column, "expected a command after '|' (stats, sort, head or fields)");
        token cmd = m_tok;
        advance();
        if (cmd.text == "stats") {
            if (q.has_stats) fail(cmd.column, "only one stats per query");
            if (!q.sort.empty() || q.head || !q.fields.empty())
                fail(cmd.column, "stats must come before sort, head and fields");
            q.has_stats = true;
            do {
                if (!q.aggregates.empty()) advance();  // the comma
                parse_aggregate(q);
            } while (m_tok.kind == tok::comma);
            if (is_keyword(m_tok, "by")) {
                advance();
                while (true) {
                    q.by_columns.push_back(m_tok.column);
                    q.by.push_back(expect_name("a field after 'by'"));
                    if (m_tok.kind != tok::comma) break;
                    advance();
                }
            }
        } else if (cmd.text == "sort") {
            if (!q.sort.empty()) fail(cmd.column, "only one sort per query");
            while (true) {
                if (m_tok.kind != tok::word) fail(m_tok.column, "expected a field or column name to sort by");
                sort_key k;
                k.column = m_tok.column;
                std::string v = m_tok.text;
                if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
                    k.descending = v[0] == '-';
                    v.erase(0, 1);
                }
                // A name like "count()" or "dc(user.name)" reaches here split by the lexer.
                advance();
                if (m_tok.kind == tok::lparen) {
                    v += "(";
                    advance();
                    if (m_tok.kind == tok::word) {
                        v += m_tok.text;
                        advance();
                    }
                    if (m_tok.kind != tok::rparen) fail(m_tok.column, "expected ')'");
                    v += ")";
                    advance();
                }
                if (v.empty()) fail(k.column, "expected a name to sort by");
                k.name = v;
                q.sort.push_back(std::move(k));
                if (m_tok.kind != tok::comma) break;
                advance();
            }
        } else if (cmd.text == "head") {
            if (q.head) fail(cmd.column, "only one head per query");
            std::int64_t n = 10;
            if (m_tok.kind == tok::word) {
                n = 0;
                for (char c : m_tok.text) {
                    if (c < '0' || c > '9' || n > 100'000'000) fail(m_tok.column, "head needs a whole number");
                    n = n * 10 + (c - '0');
                }
                advance();
            }
            q.head = n;
        } else if (cmd.text == "fields") {
            if (q.has_stats) fail(cmd.column, "fields cannot follow stats (stats already chooses the columns)");
            while (true) {
                q.field_columns.push_back(m_tok.column);
                q.fields.push_back(expect_name("a field name"));
                if (m_tok.kind != tok::comma) break;
                advance();
            }
        } else {
            fail(cmd.column, "unknown command '" + cmd.text + "' (use stats, sort, head or fields)");
        }
        if (m_tok.kind != tok::pipe && m_tok.kind != tok::end) fail(m_tok.column, "unexpected " + describe(m_tok));
    }

    void parse_aggregate(parsed_query& q) {
        if (m_tok.kind != tok::word) fail(m_tok.column, "expected an aggregate: count(), dc(f), sum(f), avg(f), min(f), max(f)");
        aggregate a;
        a.column = m_tok.column;
        a.fn = m_tok.text;
        if (a.fn != "count" && a.fn != "dc" && a.fn != "sum" && a.fn != "avg" && a.fn != "min" && a.fn != "max")
            fail(m_tok.column, "unknown aggregate '" + a.fn + "' (use count, dc, sum, avg, min or max)");
        advance();
        if (m_tok.kind != tok::lparen) fail(m_tok.column, "expected '(' after " + a.fn);
        advance();
        if (a.fn == "count") {
            if (m_tok.kind == tok::word) {
                a.field = m_tok.text;
                advance();
            }
        } else {
            a.field = expect_name("a field name");
        }
        if (m_tok.kind != tok::rparen) fail(m_tok.column, "expected ')'");
        advance();
        a.name = a.fn == "count" && a.field.empty() ? "count" : a.fn + "(" + a.field + ")";
        if (is_keyword(m_tok, "as")) {
            advance();
            a.name = expect_name("a name after 'as'");
        }
        q.aggregates.push_back(std::move(a));
    }

    lexer m_lex;
    const std::string& m_src;
    token m_tok;
};

}  // namespace

result<parsed_query> parse(const std::string& text, query_error* err) {
    try {
        parser p(text);
        return p.parse_all();
    } catch (const parse_failure& f) {
        query_error e{f.column, f.message};
        if (err) *err = e;
        return error{"query.syntax", e.render(text)};
    }
}

}  // namespace mimamori::query
