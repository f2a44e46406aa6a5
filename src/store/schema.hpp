#pragma once
/// The stored event's column layout, shared by the SQLite store (which fills the columns) and
/// the query compiler (which turns `field:value` into a condition on a column when there is
/// one, and on the event's JSON fields otherwise). Columns exist for the fields that filters
/// and `stats … by` use most; every field is also in the JSON.
#include <cstdint>
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

}  // namespace mimamori::store
