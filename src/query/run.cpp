// Running a compiled query on the store and rendering its rows as table cells and JSON.
#include <chrono>
#include <cstdio>

#include "core/time.hpp"
#include "query/query.hpp"
#include "store/schema.hpp"

namespace mimamori::query {

namespace {

std::string cell_text(const store::sql_value& v) {
    if (std::holds_alternative<std::int64_t>(v)) return std::to_string(std::get<std::int64_t>(v));
    if (std::holds_alternative<double>(v)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.6g", std::get<double>(v));
        return buf;
    }
    if (std::holds_alternative<std::string>(v)) return std::get<std::string>(v);
    return {};
}

void json_value(const store::sql_value& v, std::string& out) {
    if (std::holds_alternative<std::int64_t>(v)) out += std::to_string(std::get<std::int64_t>(v));
    else if (std::holds_alternative<double>(v)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(v));
        out += buf;
    } else if (std::holds_alternative<std::string>(v)) append_json_string(out, std::get<std::string>(v));
    else out += "null";
}

std::int64_t as_int(const store::sql_value& v, std::int64_t def = 0) {
    return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : def;
}
std::string as_str(const store::sql_value& v) {
    return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::string();
}

// The first value of a field in a stored fields object, for the table view. A light scan, not
// a JSON parser: our own writer produced the text, so keys are escaped strings at depth 1.
std::string field_from_json(const std::string& json, std::string_view name) {
    std::string key;
    append_json_string(key, name);
    key += ":";
    auto p = json.find(key);
    if (p == std::string::npos) return {};
    p += key.size();
    if (p < json.size() && json[p] == '[') ++p;
    if (p >= json.size()) return {};
    if (json[p] == '"') {
        std::string out;
        for (std::size_t i = p + 1; i < json.size(); ++i) {
            char c = json[i];
            if (c == '"') break;
            if (c == '\\' && i + 1 < json.size()) {
                char d = json[++i];
                switch (d) {
                    case 'n': out += ' '; break;
                    case 't': out += ' '; break;
                    case 'u': out += '?'; i += 4; break;
                    default: out.push_back(d);
                }
                continue;
            }
            out.push_back(c);
        }
        return out;
    }
    auto e = json.find_first_of(",]}", p);
    return json.substr(p, e == std::string::npos ? std::string::npos : e - p);
}

}  // namespace

result<search_result> run(store::store& db, const std::string& text, const time_range& range,
                          const compile_options& opts, query_error* err) {
    auto t0 = std::chrono::steady_clock::now();
    compile_options o = opts;
    if ((range.from != k_no_time || range.to != k_no_time) && o.stored_from == k_no_time) {
        // Two index seeks per partition: how much of the stored time the range covers decides
        // the plan.
        if (auto span = db.select(store::stored_time_span_sql(), {});
            span && !span.value().rows.empty()) {
            const auto& v = span.value().rows[0].values;
            if (std::holds_alternative<std::int64_t>(v.at(0)) && std::holds_alternative<std::int64_t>(v.at(1))) {
                o.stored_from = std::get<std::int64_t>(v[0]);
                o.stored_to = std::get<std::int64_t>(v[1]) + 1;
            }
        }
    }
    auto c = compile(text, range, o, err);
    if (!c) return c.err();
    const auto& q = c.value();
    // Newest first through a partitioned index: find the time bound first (compiled_query).
    std::vector<store::sql_value> bounded;  // q.params and the bound, when there is one
    if (!q.bound_sql.empty()) {
        auto bound = db.select(q.bound_sql, q.params);
        if (!bound) return bound.err();
        if (!bound.value().rows.empty() && std::holds_alternative<std::int64_t>(bound.value().rows[0].values.at(0))) {
            bounded = q.params;
            bounded.push_back(bound.value().rows[0].values[0]);
        }
    }
    auto rows = bounded.empty() ? db.select(q.sql, q.params) : db.select(q.bounded_sql, bounded);
    if (!rows) return rows.err();
    search_result out;
    out.shape = q.shape;
    if (q.shape == result_shape::events) {
        out.columns = {"@timestamp", "event.dataset", "host.name", "event.original"};
        for (const auto& r : rows.value().rows) {
            const auto& v = r.values;
            std::int64_t ts = std::holds_alternative<std::int64_t>(v[1]) ? std::get<std::int64_t>(v[1]) : k_no_time;
            std::string fields = as_str(v[6]);
            std::string json;
            store::stored_event_json(ts, as_str(v[2]), as_str(v[3]), as_int(v[4]), as_int(v[5]), fields, as_str(v[7]),
                                     as_str(v[8]), json, as_int(v[9], -1), as_int(v[10], -1));
            out.json_rows.push_back(std::move(json));
            std::string tcell = ts == k_no_time ? "-" : format_rfc3339(ts);
            std::string raw = as_str(v[7]);
            for (auto& ch : raw)
                if (ch == '\t' || ch == '\n' || ch == '\r') ch = ' ';
            out.cells.push_back({tcell, as_str(v[2]), field_from_json(fields, "host.name"), raw});
        }
    } else {
        out.columns = q.columns;
        std::size_t first = q.shape == result_shape::fields ? 1 : 0;
        for (const auto& r : rows.value().rows) {
            std::vector<std::string> cells;
            std::string json = "{";
            for (std::size_t i = first; i < r.values.size(); ++i) {
                const auto& name = out.columns[i - first];
                const auto& v = r.values[i];
                std::string cell = cell_text(v);
                // @timestamp comes back as nanoseconds: show it as a time.
                if (name == "@timestamp" && std::holds_alternative<std::int64_t>(v)) cell = format_rfc3339(std::get<std::int64_t>(v));
                cells.push_back(cell);
                if (json.size() > 1) json.push_back(',');
                append_json_string(json, name);
                json.push_back(':');
                if (name == "@timestamp" && std::holds_alternative<std::int64_t>(v)) append_json_string(json, cell);
                else json_value(v, json);
            }
            json.push_back('}');
            out.cells.push_back(std::move(cells));
            out.json_rows.push_back(std::move(json));
        }
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return out;
}

std::string render_table(const search_result& r, std::size_t max_cell) {
    auto clip = [&](const std::string& s) {
        if (s.size() <= max_cell) return s;
        std::size_t n = max_cell - 1;
        while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // keep UTF-8 whole
        return s.substr(0, n) + "…";
    };
    std::vector<std::size_t> w(r.columns.size(), 0);
    auto width = [](const std::string& s) {
        std::size_t n = 0;
        for (unsigned char c : s) n += (c & 0xC0) != 0x80;
        return n;
    };
    for (std::size_t i = 0; i < r.columns.size(); ++i) w[i] = width(r.columns[i]);
    std::vector<std::vector<std::string>> cells;
    for (const auto& row : r.cells) {
        std::vector<std::string> c;
        for (std::size_t i = 0; i < row.size() && i < w.size(); ++i) {
            c.push_back(clip(row[i]));
            w[i] = std::max(w[i], width(c.back()));
        }
        cells.push_back(std::move(c));
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& c) {
        for (std::size_t i = 0; i < c.size(); ++i) {
            out += c[i];
            if (i + 1 < c.size()) out.append(w[i] - width(c[i]) + 2, ' ');
        }
        out += "\n";
    };
    line(r.columns);
    std::vector<std::string> rule;
    for (auto x : w) rule.push_back(std::string(x, '-'));
    line(rule);
    for (const auto& c : cells) line(c);
    return out;
}

}  // namespace mimamori::query
