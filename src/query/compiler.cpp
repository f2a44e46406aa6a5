// The search language → SQL for the SQLite store (store/schema.hpp). Every value becomes a
// numbered parameter (?N); the SQL text holds only our own fragments and schema column names.
#include <algorithm>
#include <charconv>
#include <chrono>

#include "core/time.hpp"
#include "query/query.hpp"
#include "store/schema.hpp"

namespace mimamori::query {

bool parse_time_spec(const std::string& s, timestamp_ns now, timestamp_ns& out) {
    if (s.empty()) return false;
    if (s == "now") {
        out = now;
        return true;
    }
    if (s[0] == '-' || s[0] == '+') {
        std::int64_t v = 0;
        std::size_t i = 1;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
        if (i == 1 || i + 1 != s.size()) return false;
        std::int64_t unit = 0;
        switch (s[i]) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            case 'w': unit = 7 * 86400; break;
            default: return false;
        }
        out = now + (s[0] == '-' ? -1 : 1) * v * unit * k_ns_per_sec;
        return true;
    }
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') return parse_rfc3339(s + "T00:00:00Z", out);
    return parse_rfc3339(s, out);
}

namespace {

struct compile_failure {
    int column;
    std::string message;
};

timestamp_ns now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

enum class where_kind : std::uint8_t { events, docs, json };

struct resolved {
    where_kind where;
    std::string expr;  // SQL expression (json: filled by the builder with the path parameter)
    store::column_type type = store::column_type::text;
    bool is_time = false;
};

bool parse_integer(std::string_view s, std::int64_t& v) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

bool parse_real(const std::string& s, double& v) {
    if (s.empty()) return false;
    char* end = nullptr;
    v = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size();
}

class builder {
public:
    builder(const compile_options& o) : m_opts(o) {}

    std::string param(store::sql_value v) {
        m_params.push_back(std::move(v));
        std::string s(1, '?');
        s += std::to_string(m_params.size());
        return s;
    }

    resolved resolve(const std::string& field) {
        for (const auto& c : store::k_header_columns)
            if (c.field == field) return {where_kind::events, "e." + std::string(c.column), c.type, c.column == "ts"};
        for (const auto& c : store::k_field_columns)
            if (c.field == field) return {where_kind::events, "e." + std::string(c.column), c.type, false};
        for (const auto& c : store::k_doc_columns)
            if (c.field == field) {
                m_need_docs = true;
                return {where_kind::docs, "d." + std::string(c.column), c.type, false};
            }
        m_need_docs = true;
        return {where_kind::json, {}, store::column_type::text, false};
    }

    static std::string json_path(const std::string& field) { return "$.\"" + field + "\""; }

    // A field's value as a scalar SQL expression (for stats, sort, fields): the first value.
    // `plain`: a bare column (an index on it may serve GROUP BY / ORDER BY); otherwise "+col",
    // which keeps SQLite from walking that index just to avoid a sort — with a WHERE clause
    // that walk turns into a row look-up per index entry, many times slower than a scan.
    std::string value_expr(const std::string& field, bool plain = true) {
        auto r = resolve(field);
        if (r.where != where_kind::json) return plain ? r.expr : "+" + r.expr;
        // Arrays (repeated fields): their first element.
        std::string p = param(json_path(field));
        std::string v = "(CASE json_type(d.fields, " + p + ") WHEN 'array' THEN json_extract(d.fields, " + p +
                        " || '[0]') ELSE json_extract(d.fields, " + p + ") END)";
        if (field != k_message) return v;
        return "(CASE WHEN " + message_in_raw(p) + " THEN " + message_slice() + " ELSE " + v + " END)";
    }

    // The message: stored as null in the fields JSON when it is a slice of the raw record, its
    // byte range in d.msg_off / d.msg_len (store::fields_json). Older rows hold it in the JSON.
    // `path`: the parameter holding the message's JSON path.
    static constexpr std::string_view k_message = "message";
    static std::string message_in_raw(const std::string& path) {
        return "(d.msg_len IS NOT NULL AND json_type(d.fields, " + path + ") = 'null')";
    }
    static std::string message_slice() { return "CAST(substr(CAST(d.raw AS BLOB), d.msg_off + 1, d.msg_len) AS TEXT)"; }

    store::sql_value typed(const resolved& r, const std::string& v, int col) {
        if (r.is_time) {
            timestamp_ns t = 0;
            if (!parse_time_spec(v, now_ns(), t))
                throw compile_failure{col, "'" + v + "' is not a time (use RFC 3339, 2024-03-01, now or -24h)"};
            return std::int64_t{t};
        }
        if (r.type == store::column_type::integer) {
            std::int64_t i = 0;
            if (!parse_integer(v, i)) throw compile_failure{col, "'" + v + "' is not a whole number"};
            return i;
        }
        return v;
    }

    // A condition's column. Conditions on the low-cardinality columns (source type, outcome)
    // keep SQLite off the index that starts with them unless that index covers the whole
    // query: an index search that must look up each row of a third of the table is many times
    // slower than scanning it (docs/decisions/0003-store.md, "Search").
    resolved resolve_cond(const std::string& field) {
        auto r = resolve(field);
        if (!m_covered && r.where == where_kind::events && (r.expr == "e.source_type" || r.expr == "e.event_outcome"))
            r.expr = "+" + r.expr;
        return r;
    }

    // True when every field the query touches is in the covering index
    // events(source_type, event_outcome, partition, source_ip, ts).
    static bool in_covering_index(const std::string& field) {
        return field == "event.dataset" || field == "event.outcome" || field == "source.ip" || field == "@timestamp";
    }
    static bool covered_filter(const node& n) {
        switch (n.kind) {
            case node_kind::and_:
            case node_kind::or_:
            case node_kind::not_:
                for (const auto& k : n.kids)
                    if (!covered_filter(*k)) return false;
                return true;
            case node_kind::exists: return n.field.empty() || in_covering_index(n.field);
            case node_kind::match:
            case node_kind::range: return in_covering_index(n.field) && !n.wildcard;
            case node_kind::text: return false;
        }
        return false;
    }

    // True when the time range covers more than a quarter of the stored events' time span.
    bool wide_range(const time_range& tr) const {
        if (tr.from == k_no_time && tr.to == k_no_time) return false;
        if (m_opts.stored_from == k_no_time || m_opts.stored_to == k_no_time || m_opts.stored_to <= m_opts.stored_from) return false;
        const timestamp_ns lo = tr.from == k_no_time ? m_opts.stored_from : std::max(tr.from, m_opts.stored_from);
        const timestamp_ns hi = tr.to == k_no_time ? m_opts.stored_to : std::min(tr.to, m_opts.stored_to);
        if (hi <= lo) return false;
        return static_cast<double>(hi - lo) > 0.25 * static_cast<double>(m_opts.stored_to - m_opts.stored_from);
    }

    // A condition on the time, address or user reaches its index only with the partitions named
    // (store::every_partition, schema.hpp).
    static std::string partitioned(const resolved& r, std::string cond) {
        if (r.where != where_kind::events || (r.expr != "e.source_ip" && r.expr != "e.user_name" && r.expr != "e.ts"))
            return cond;
        return "(" + cond + " AND " + store::every_partition("e.id") + ")";
    }

    std::string match(const node& n) { return partitioned(resolve_cond(n.field), match_cond(n)); }
    std::string range(const node& n) { return partitioned(resolve_cond(n.field), range_cond(n)); }

    std::string match_cond(const node& n) {
        auto r = resolve_cond(n.field);
        if (r.where == where_kind::json) {
            std::string p = param(json_path(n.field));
            std::string op = n.wildcard ? " GLOB " : " = ";
            std::string v = param(n.value);
            std::string in_json = "EXISTS (SELECT 1 FROM json_each(d.fields, " + p + ") j WHERE CAST(j.value AS TEXT)" + op + v + ")";
            if (n.field != k_message) return in_json;
            return "((" + message_in_raw(p) + " AND " + message_slice() + op + v + ") OR " + in_json + ")";
        }
        if (n.wildcard) {
            if (r.type == store::column_type::integer || r.is_time)
                throw compile_failure{n.value_column, "wildcards need a text field; " + n.field + " is a number (use a range)"};
            return r.expr + " GLOB " + param(n.value);
        }
        if (r.is_time) {
            // A bare time matches that exact instant; a date matches the whole day.
            if (n.value.size() == 10) {
                auto lo = typed(r, n.value, n.value_column);
                std::int64_t hi = std::get<std::int64_t>(lo) + 86400 * k_ns_per_sec;
                std::string p_lo = param(lo);
                std::string p_hi = param(hi);
                return "(" + r.expr + " >= " + p_lo + " AND " + r.expr + " < " + p_hi + ")";
            }
        }
        return r.expr + " = " + param(typed(r, n.value, n.value_column));
    }

    std::string range_cond(const node& n) {
        auto r = resolve_cond(n.field);
        if (r.where == where_kind::json) {
            // Numeric when both bounds are numbers, text order otherwise.
            double a = 0, b = 0;
            bool num = (n.lo.empty() || parse_real(n.lo, a)) && (n.hi.empty() || parse_real(n.hi, b));
            std::string p = param(json_path(n.field));
            std::string cond = num ? "j.type IN ('integer','real')" : "j.type = 'text'";
            if (!n.lo.empty())
                cond += " AND j.value " + std::string(n.lo_inclusive ? ">=" : ">") + " " + param(num ? store::sql_value(a) : store::sql_value(n.lo));
            if (!n.hi.empty())
                cond += " AND j.value " + std::string(n.hi_inclusive ? "<=" : "<") + " " + param(num ? store::sql_value(b) : store::sql_value(n.hi));
            std::string in_json = "EXISTS (SELECT 1 FROM json_each(d.fields, " + p + ") j WHERE " + cond + ")";
            if (n.field != k_message || num) return in_json;
            // A text range over a message kept in raw: the same bounds on the slice.
            std::string slice_cond = message_in_raw(p);
            if (!n.lo.empty()) slice_cond += " AND " + message_slice() + (n.lo_inclusive ? " >= " : " > ") + param(n.lo);
            if (!n.hi.empty()) slice_cond += " AND " + message_slice() + (n.hi_inclusive ? " <= " : " < ") + param(n.hi);
            return "((" + slice_cond + ") OR " + in_json + ")";
        }
        std::string out;
        if (!n.lo.empty()) out = r.expr + (n.lo_inclusive ? " >= " : " > ") + param(typed(r, n.lo, n.value_column));
        if (!n.hi.empty()) {
            if (!out.empty()) out += " AND ";
            out += r.expr + (n.hi_inclusive ? " <= " : " < ") + param(typed(r, n.hi, n.value_column));
        }
        if (out.empty()) return r.expr + " IS NOT NULL";
        return n.lo.empty() || n.hi.empty() ? out : "(" + out + ")";
    }

    std::string exists(const node& n) {
        if (n.field.empty()) return "1";
        auto r = resolve_cond(n.field);
        if (r.where == where_kind::json) return "json_type(d.fields, " + param(json_path(n.field)) + ") IS NOT NULL";
        return r.expr + " IS NOT NULL";
    }

    // FTS5 query text for one term: a quoted string (so FTS5 operators in it mean nothing),
    // prefix-marked when it ended in *.
    static std::string fts_term(const node& n) {
        std::string s = "\"";
        for (char c : n.value) {
            if (c == '"') s += "\"\"";
            else s.push_back(c);
        }
        s += "\"";
        if (n.wildcard) s += " *";
        return s;
    }

    std::string text_in(const std::string& fts_query, bool negated) {
        return std::string(negated ? "e.id NOT IN" : "e.id IN") +
               " (SELECT rowid FROM events_fts WHERE events_fts MATCH " + param(fts_query) + ")";
    }

    std::string expr(const node& n) {
        switch (n.kind) {
            case node_kind::match: return match(n);
            case node_kind::range: return range(n);
            case node_kind::exists: return exists(n);
            case node_kind::text:
                if (n.value.empty()) throw compile_failure{n.column, "empty search term"};
                return text_in(fts_term(n), false);
            case node_kind::not_: {
                const node& k = *n.kids[0];
                if (k.kind == node_kind::text) return text_in(fts_term(k), true);
                return "NOT (" + expr(k) + ")";
            }
            case node_kind::and_: {
                // All positive free-text terms of one AND go to FTS5 as one query: one index walk.
                std::string out, fts;
                for (const auto& k : n.kids) {
                    if (k->kind == node_kind::text) {
                        if (k->value.empty()) throw compile_failure{k->column, "empty search term"};
                        if (!fts.empty()) fts += " AND ";
                        fts += fts_term(*k);
                    }
                }
                if (!fts.empty()) out = text_in(fts, false);
                for (const auto& k : n.kids) {
                    if (k->kind == node_kind::text) continue;
                    if (!out.empty()) out += " AND ";
                    std::string sub = expr(*k);
                    out += k->kind == node_kind::or_ ? "(" + sub + ")" : sub;
                }
                return out;
            }
            case node_kind::or_: {
                std::string out;
                for (const auto& k : n.kids) {
                    if (!out.empty()) out += " OR ";
                    std::string sub = expr(*k);
                    out += k->kind == node_kind::and_ ? "(" + sub + ")" : sub;
                }
                return out;
            }
        }
        return "1";
    }

    compiled_query build(const parsed_query& q, const time_range& tr) {
        compiled_query out;
        std::string where;
        std::vector<std::string> conds;
        // Select list first: its parameters are numbered first, which is only cosmetic (?N).
        std::string select, group, order;
        std::int64_t limit = q.head ? *q.head : q.has_stats ? m_opts.default_stats_limit : m_opts.default_limit;
        limit = std::min(limit, m_opts.max_limit);
        if (q.has_stats) {
            m_covered = !q.filter || covered_filter(*q.filter);
            for (const auto& f : q.by) m_covered = m_covered && in_covering_index(f);
            for (const auto& a : q.aggregates) m_covered = m_covered && (a.field.empty() || in_covering_index(a.field));
        }
        if (q.has_stats) {
            out.shape = result_shape::table;
            std::vector<std::string> names;
            bool match_all = q.filter && q.filter->kind == node_kind::exists && q.filter->field.empty();
            bool filtered = (q.filter && !match_all) || tr.from != k_no_time || tr.to != k_no_time;
            for (std::size_t i = 0; i < q.by.size(); ++i) {
                if (!select.empty()) select += ", ";
                select += value_expr(q.by[i], !filtered);
                names.push_back(q.by[i]);
            }
            for (const auto& a : q.aggregates) {
                if (!select.empty()) select += ", ";
                if (a.fn == "count") {
                    select += a.field.empty() ? "count(*)" : "count(" + value_expr(a.field) + ")";
                } else if (a.fn == "dc") {
                    select += "count(DISTINCT " + value_expr(a.field) + ")";
                } else {
                    select += a.fn + "(" + value_expr(a.field) + ")";  // fn is one of our fixed names
                }
                names.push_back(a.name);
            }
            for (std::size_t i = 0; i < q.by.size(); ++i) group += (i ? ", " : "") + std::to_string(i + 1);
            for (const auto& k : q.sort) {
                auto it = std::find(names.begin(), names.end(), k.name);
                if (it == names.end())
                    throw compile_failure{k.column, "'" + k.name + "' is not a column of the stats output"};
                if (!order.empty()) order += ", ";
                order += std::to_string(it - names.begin() + 1) + (k.descending ? " DESC" : " ASC");
            }
            if (order.empty() && !q.aggregates.empty())
                order = std::to_string(q.by.size() + 1) + " DESC";  // biggest first
            out.columns = std::move(names);
        } else if (!q.fields.empty()) {
            out.shape = result_shape::fields;
            select = "e.id";
            for (const auto& f : q.fields) {
                select += ", " + value_expr(f);
                out.columns.push_back(f);
            }
        } else {
            out.shape = result_shape::events;
            m_need_docs = true;
            select = "e.id, e.ts, e.source_type, d.file, d.line, d.offset, d.fields, d.raw, e.parse_error, d.msg_off, d.msg_len";
        }
        if (!q.has_stats) {
            for (const auto& k : q.sort) {
                if (!order.empty()) order += ", ";
                order += value_expr(k.name) + (k.descending ? " DESC" : " ASC");
            }
            order += order.empty() ? "e.ts DESC, e.id DESC" : ", e.id DESC";
        }

        if (q.filter) conds.push_back(expr(*q.filter));
        // A time range goes through the partitioned time index (partitions named), unless it
        // covers so much of the stored time that scanning is cheaper.
        const bool wide = wide_range(tr);
        const std::string ts = wide ? "+e.ts" : "e.ts";
        if (tr.from != k_no_time) conds.push_back(ts + " >= " + param(std::int64_t{tr.from}));
        if (tr.to != k_no_time) conds.push_back(ts + " < " + param(std::int64_t{tr.to}));
        if (!wide && (tr.from != k_no_time || tr.to != k_no_time)) conds.push_back(store::every_partition("e.id"));
        for (std::size_t i = 0; i < conds.size(); ++i) {
            const auto& c = conds[i];
            bool wrap = conds.size() > 1 && q.filter && i == 0 && q.filter->kind == node_kind::or_;
            where += (i ? " AND " : "") + (wrap ? "(" + c + ")" : c);
        }

        std::string from = " FROM events e";
        if (m_need_docs) from += " JOIN event_docs d ON d.id = e.id";
        std::string tail;
        if (!group.empty()) tail += " GROUP BY " + group;
        if (!order.empty()) tail += " ORDER BY " + order;
        const std::string lim = param(std::int64_t{limit});
        tail += " LIMIT " + lim;
        out.sql = "SELECT " + select + from + (where.empty() ? "" : " WHERE " + where) + tail;
        // Newest first: the indexes that give time order are partitioned, so no index walks
        // all events newest first. The N-th newest match of the newest two partitions bounds
        // the answer from below (at least N matches are that new), so each partition's seek of
        // the time (or address, user) index can start there (compiled_query::bound_sql).
        if (!q.has_stats && q.sort.empty()) {
            const std::string and_where = where.empty() ? "" : where + " AND ";
            out.bound_sql = "SELECT e.ts" + from + " WHERE " + and_where + store::newest_partitions("e.id") +
                            " AND e.ts IS NOT NULL ORDER BY e.ts DESC, e.id DESC LIMIT 1 OFFSET " + lim + " - 1";
            out.bounded_sql = "SELECT " + select + from + " WHERE " + and_where + "e.ts >= ?" +
                              std::to_string(m_params.size() + 1) + " AND " + store::every_partition("e.id") + tail;
        }
        out.params = std::move(m_params);
        return out;
    }

private:
    const compile_options& m_opts;
    std::vector<store::sql_value> m_params;
    bool m_need_docs = false;
    bool m_covered = false;  // the covering index serves the whole query
};

}  // namespace

result<compiled_query> compile(const parsed_query& q, const time_range& range, const compile_options& opts,
                               query_error* err) {
    try {
        builder b(opts);
        return b.build(q, range);
    } catch (const compile_failure& f) {
        query_error e{f.column, f.message};
        if (err) *err = e;
        return error{"query.compile", e.message + " at column " + std::to_string(e.column)};
    }
}

result<compiled_query> compile(const std::string& text, const time_range& range, const compile_options& opts,
                               query_error* err) {
    query_error local;
    query_error* e = err ? err : &local;
    auto p = parse(text, e);
    if (!p) return p.err();
    auto c = compile(p.value(), range, opts, e);
    if (!c) return error{c.err().code, e->render(text)};
    return c;
}

}  // namespace mimamori::query
