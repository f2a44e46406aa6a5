#pragma once
/// The stored event's column layout, shared by the SQLite store (which fills the columns) and
/// the query compiler (which turns `field:value` into a condition on a column when there is
/// one, and on the event's JSON fields otherwise). Columns exist for the fields that filters
/// and `stats … by` use most; every field is also in the JSON (the message as null when it is
/// a slice of the raw record, its byte range in event_docs: store::fields_json).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/fields.hpp"

namespace mimamori::store {

enum class column_type : std::uint8_t { integer, text };

struct column_info {
    std::string_view field;   ///< the field name users write (ECS)
    std::string_view column;  ///< column of table `events`
    column_type type;
    field_id id;              ///< the event field it is filled from (k_no_field: special)
};

/// Columns of `events` filled from event fields, in table order after id, ts, source_type.
inline constexpr column_info k_field_columns[] = {
    {"host.name", "host", column_type::text, f::host_name},
    {"source.ip", "source_ip", column_type::text, f::source_ip},
    {"source.port", "source_port", column_type::integer, f::source_port},
    {"destination.ip", "destination_ip", column_type::text, f::destination_ip},
    {"destination.port", "destination_port", column_type::integer, f::destination_port},
    {"user.name", "user_name", column_type::text, f::user_name},
    {"event.action", "event_action", column_type::text, f::event_action},
    {"event.outcome", "event_outcome", column_type::text, f::event_outcome},
    {"event.category", "event_category", column_type::text, f::event_category},
    {"process.name", "process_name", column_type::text, f::process_name},
};

/// Pseudo-fields with their own columns: the event header.
inline constexpr column_info k_header_columns[] = {
    {"@timestamp", "ts", column_type::integer, k_no_field},
    {"event.dataset", "source_type", column_type::text, k_no_field},
    {"mimamori.parse_error", "parse_error", column_type::text, k_no_field},
};

/// Header fields kept in table `event_docs` (joined when a query needs them).
inline constexpr column_info k_doc_columns[] = {
    {"log.file.path", "file", column_type::text, k_no_field},
    {"log.file.line", "line", column_type::integer, k_no_field},
    {"log.offset", "offset", column_type::integer, k_no_field},
    {"event.original", "raw", column_type::text, k_no_field},
};

/// The time, address and user indexes lead with the event's partition, `id >> k_partition_shift`
/// (65,536 consecutive events each), and the (type, outcome, address) index holds it after type
/// and outcome: an insert then only reaches the newest partition's part of each index, which
/// stays in the CPU caches however large the store grows and in whatever order the events' times
/// arrive (unpartitioned, the store thread's cost per event grew with the store:
/// docs/decisions/0003-store.md). A query on the time, address or user reaches those indexes
/// only with its partitions named: AND the condition with every_partition() (a tautology over the
/// stored events; SQLite then seeks each partition once).
inline constexpr int k_partition_shift = 16;

/// The partition numbers `first` … `last` (SQL expressions, taken in the query's own snapshot),
/// as a parenthesized query of one column, `k`.
inline std::string partition_numbers(const std::string& first, const std::string& last) {
    return "(WITH RECURSIVE mm_part(k) AS (SELECT " + first + " UNION ALL SELECT k + 1 FROM mm_part WHERE k < " + last +
           ") SELECT k FROM mm_part)";
}

/// "`id`'s partition is one of `first` … `last`". `id` is the events table's id column as the
/// query names it.
inline std::string partitions_between(std::string_view id, const std::string& first, const std::string& last) {
    return "(" + std::string(id) + " >> " + std::to_string(k_partition_shift) + ") IN " + partition_numbers(first, last);
}

/// The partition of the store's first / last event, as an SQL expression (`>>` binds tighter
/// than the comparisons it meets in partitions_between).
inline std::string first_partition() { return "(SELECT min(id) FROM events) >> " + std::to_string(k_partition_shift); }
inline std::string last_partition() { return "(SELECT max(id) FROM events) >> " + std::to_string(k_partition_shift); }

/// "`id` is in one of the stored partitions", true for every stored event: lets SQLite seek the
/// partitioned indexes.
inline std::string every_partition(std::string_view id) { return partitions_between(id, first_partition(), last_partition()); }

/// The stored events' earliest and latest time (one row: min, max; NULLs when none has a time),
/// read through the partitioned time index: two seeks per partition. A store that has not been
/// opened for writing since it had the unpartitioned time index (events_ts) is read through
/// that one instead (a search run before the upgraded daemon first opened its store).
inline std::string stored_time_span_sql() {
    const std::string partitioned = "EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'events_ts_p')";
    auto end = [&](const std::string& fn) {
        return "CASE WHEN " + partitioned + " THEN (SELECT " + fn + "((SELECT " + fn + "(ts) FROM events WHERE (id >> " +
               std::to_string(k_partition_shift) + ") = p.k)) FROM " + partition_numbers(first_partition(), last_partition()) +
               " p) ELSE (SELECT " + fn + "(ts) FROM events) END";
    };
    return "SELECT " + end("min") + ", " + end("max");
}

/// "`id` is in one of the newest two partitions" (which may hold fewer than 65,536 events: the
/// newest one has just begun). Used to find a time bound for newest-first queries.
inline std::string newest_partitions(std::string_view id) {
    return partitions_between(id, "(" + last_partition() + ") - 1", last_partition());
}

}  // namespace mimamori::store
