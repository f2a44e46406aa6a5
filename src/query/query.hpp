#pragma once
/// The search language and its compiler to parameterized SQL (docs/search.md).
///
/// Grammar (EBNF; keywords AND OR NOT TO are upper case, everything else is case-sensitive):
///
///   query    = [ or_expr ] { "|" pipe } ;
///   or_expr  = and_expr { "OR" and_expr } ;
///   and_expr = not_expr { [ "AND" ] not_expr } ;          (* juxtaposition is AND *)
///   not_expr = ( "NOT" | "-" ) not_expr | primary ;
///   primary  = "(" or_expr ")" | field_term | text_term ;
///   field_term = FIELD ":" ( value | range | compare | "(" value { "OR" value } ")" ) ;
///   value    = WORD | PHRASE ;                             (* * and ? in a WORD are wildcards; a lone * = exists *)
///   range    = ( "[" | "{" ) bound "TO" bound ( "]" | "}" ) ;   (* [ ] inclusive, { } exclusive, * open *)
///   compare  = ( ">" | ">=" | "<" | "<=" ) bound ;
///   text_term = WORD | PHRASE ;                            (* full text over the raw record *)
///   pipe     = "stats" agg { "," agg } [ "by" FIELD { "," FIELD } ]
///            | "sort" [ "-" | "+" ] NAME { "," [ "-" | "+" ] NAME }
///            | "head" INTEGER
///            | "fields" FIELD { "," FIELD } ;
///   agg      = ( "count" "(" ")" | ( "dc" | "sum" | "avg" | "min" | "max" ) "(" FIELD ")" ) [ "as" NAME ] ;
///
/// Values never reach the SQL text: every value, pattern and JSON path is a bound parameter;
/// the SQL text is built only from the compiler's own fragments and column names from
/// store/schema.hpp.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace mimamori::query {

/// A syntax or semantic error, with the 1-based column it points at.
struct query_error {
    int column = 0;
    std::string message;
    /// "message at column N" plus the query and a caret line under the column.
    std::string render(const std::string& query) const;
};

enum class node_kind : std::uint8_t { and_, or_, not_, match, range, exists, text };

struct node {
    node_kind kind = node_kind::match;
    int column = 0;                 ///< where it starts in the query (1-based)
    int value_column = 0;           ///< where its value starts (field terms)
    std::string field;              ///< match / range / exists
    std::string value;              ///< match value, or text term
    bool wildcard = false;          ///< value contains unescaped * or ? (as GLOB pattern text)
    bool phrase = false;            ///< came from a quoted string
    std::string lo, hi;             ///< range bounds; empty = open
    bool lo_inclusive = true, hi_inclusive = true;
    std::vector<std::unique_ptr<node>> kids;
};

struct aggregate {
    std::string fn;      ///< count | dc | sum | avg | min | max
    std::string field;   ///< empty for count()
    std::string name;    ///< output column name ("count", "dc(user.name)", or the `as` name)
    int column = 0;
};

struct sort_key {
    std::string name;
    bool descending = false;
    int column = 0;
};

struct parsed_query {
    std::unique_ptr<node> filter;   ///< null = everything
    bool has_stats = false;
    std::vector<aggregate> aggregates;
    std::vector<std::string> by;
    std::vector<int> by_columns;
    std::vector<sort_key> sort;
    std::optional<std::int64_t> head;
    std::vector<std::string> fields;
    std::vector<int> field_columns;
};

/// Parse a query; errors carry the column they point at.
result<parsed_query> parse(const std::string& text, query_error* err = nullptr);

/// Bounds on @timestamp from outside the query (--from/--to, API parameters).
struct time_range {
    timestamp_ns from = k_no_time;  ///< inclusive
    timestamp_ns to = k_no_time;    ///< exclusive
};

struct compile_options {
    std::int64_t default_limit = 100;       ///< event rows when no `head` is given
    std::int64_t default_stats_limit = 1000;  ///< stats rows when no `head` is given
    std::int64_t max_limit = 100'000;
    /// The stored events' oldest and newest times, when known (`run` asks the store). A time
    /// range that covers most of them is applied while scanning instead of through the time
    /// index: looking up most rows one by one is several times slower than reading them all.
    timestamp_ns stored_from = k_no_time, stored_to = k_no_time;
};

/// What the compiled SQL returns.
enum class result_shape : std::uint8_t {
    events,  ///< one row per event: id, ts, source_type, file, line, offset, fields, raw, parse_error
    fields,  ///< one row per event: id, then one column per `fields` entry
    table,   ///< stats: by columns, then aggregate columns
};

struct compiled_query {
    std::string sql;
    std::vector<store::sql_value> params;
    /// Newest first (no stats, no sort): the time, address and user indexes are partitioned
    /// (store::every_partition), so `sql` would read every match in every partition and keep
    /// the newest N. When set, `bound_sql` (same params) gives the N-th newest match's time
    /// within the newest two partitions; if it returns a time T, `bounded_sql` with the params
    /// and T appended returns exactly `sql`'s rows while each partition's seek starts at T. Run
    /// by query::run; `sql` alone is always correct.
    std::string bound_sql, bounded_sql;
    result_shape shape = result_shape::events;
    std::vector<std::string> columns;  ///< output names (fields / table shapes)
};

result<compiled_query> compile(const parsed_query& q, const time_range& range, const compile_options& opts = {},
                               query_error* err = nullptr);

/// Parse and compile in one step.
result<compiled_query> compile(const std::string& text, const time_range& range, const compile_options& opts = {},
                               query_error* err = nullptr);

/// A time for --from/--to: "now", "-24h" / "-7d" / "-30m" / "-45s" (relative to `now`),
/// "2024-03-01", or RFC 3339. False when it is none of these.
bool parse_time_spec(const std::string& s, timestamp_ns now, timestamp_ns& out);

/// A search's output, rendered.
struct search_result {
    result_shape shape = result_shape::events;
    std::vector<std::string> columns;
    /// Table cells as text (events: @timestamp, event.dataset, host.name, event.original).
    std::vector<std::vector<std::string>> cells;
    /// One JSON object per row (events: the full event as in docs/events.md).
    std::vector<std::string> json_rows;
    double seconds = 0;
};

/// Compile, run on `db` and render. `err` gets syntax errors (with column).
result<search_result> run(store::store& db, const std::string& text, const time_range& range,
                          const compile_options& opts = {}, query_error* err = nullptr);

/// Render a search result as an aligned text table (at most `width` columns per cell).
std::string render_table(const search_result& r, std::size_t max_cell = 120);

}  // namespace mimamori::query
