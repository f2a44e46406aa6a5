#pragma once
/// The event model. One event is one normalized record; events travel in batches. A batch owns
/// an arena with every byte its events point at (raw lines, values, file names), and one flat
/// vector with the fields of all its events: an event is a range in it. Building an event is
/// begin → add… → commit, or begin → add… → rollback when a parser changes its mind.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/arena.hpp"
#include "core/fields.hpp"

namespace mimamori {

/// Nanoseconds since 1970-01-01T00:00:00Z.
using timestamp_ns = std::int64_t;
inline constexpr timestamp_ns k_no_time = std::numeric_limits<timestamp_ns>::min();

struct field {
    field_id id;
    value_kind kind;
    std::string_view value;  ///< points into the batch arena (or static storage)
};

struct event {
    timestamp_ns ts = k_no_time;    ///< when it happened (UTC)
    std::string_view source_type;   ///< e.g. "linux.auth", "web.access", "netfilter"
    std::string_view raw;           ///< the record as read (one line, or a rendering of a binary record)
    std::string_view file;          ///< provenance: log.file.path (empty for network input)
    std::uint64_t line = 0;         ///< provenance: 1-based line number (0 = not line-based)
    std::uint64_t offset = 0;       ///< provenance: byte offset of the record in its input
    std::string_view parse_error;   ///< non-empty when the record could not be parsed: the reason
    std::uint32_t first_field = 0;
    std::uint32_t field_count = 0;

    bool malformed() const { return !parse_error.empty(); }
};

class event_batch {
public:
    event_batch() = default;
    event_batch(const event_batch&) = delete;
    event_batch& operator=(const event_batch&) = delete;
    event_batch(event_batch&&) noexcept = default;
    event_batch& operator=(event_batch&&) noexcept = default;

    /// Start a new event; fill its header through the returned reference.
    event& begin() {
        m_events.push_back(event{});
        m_events.back().first_field = static_cast<std::uint32_t>(m_fields.size());
        return m_events.back();
    }
    /// Add a field to the event being built. The value must live as long as the batch
    /// (a view of the raw line copied into the arena, a literal, or `copy()`'s result).
    void add(field_id id, std::string_view value) {
        m_fields.push_back(field{id, default_kind(id), value});
    }
    void add(field_id id, std::string_view value, value_kind kind) {
        m_fields.push_back(field{id, kind, value});
    }
    /// Add a field whose value is copied into the arena first.
    void add_copy(field_id id, std::string_view value) { add(id, m_arena.copy(value)); }
    /// Finish the event being built.
    void commit() {
        auto& e = m_events.back();
        e.field_count = static_cast<std::uint32_t>(m_fields.size()) - e.first_field;
    }
    /// Forget the fields added since begin() but keep the event (to re-parse it another way).
    void reset_fields() { m_fields.resize(m_events.back().first_field); }
    /// Forget the event being built entirely.
    void rollback() {
        m_fields.resize(m_events.back().first_field);
        m_events.pop_back();
    }

    /// Copy bytes into the batch's arena.
    std::string_view copy(std::string_view s) { return m_arena.copy(s); }
    arena& bytes() { return m_arena; }

    std::size_t size() const { return m_events.size(); }
    bool empty() const { return m_events.empty(); }
    event& operator[](std::size_t i) { return m_events[i]; }
    const event& operator[](std::size_t i) const { return m_events[i]; }
    std::vector<event>& events() { return m_events; }
    const std::vector<event>& events() const { return m_events; }

    std::span<const field> fields(const event& e) const {
        return {m_fields.data() + e.first_field, e.field_count};
    }
    /// First field with this id, or nullptr.
    const field* find(const event& e, field_id id) const {
        for (const auto& fl : fields(e))
            if (fl.id == id) return &fl;
        return nullptr;
    }
    /// First value of this field, or "" when absent.
    std::string_view get(const event& e, field_id id) const {
        const field* fl = find(e, id);
        return fl ? fl->value : std::string_view{};
    }
    bool has(const event& e, field_id id) const { return find(e, id) != nullptr; }

    /// Drop all events and bytes; keeps capacity for the next batch.
    void clear() {
        m_events.clear();
        m_fields.clear();
        m_arena.clear();
    }

private:
    arena m_arena;
    std::vector<event> m_events;
    std::vector<field> m_fields;
};

/// Append one event as a single-line JSON object with dotted ECS keys (see docs/events.md):
/// "@timestamp", "event.dataset" (the source type), "log.file.path", "log.file.line" or
/// "log.offset", every field (repeated ids become arrays), "event.original" and, for a
/// malformed record, "mimamori.parse_error".
void write_event_json(const event_batch& batch, const event& e, std::string& out);

/// True when the field's value is a non-empty string that lies inside the event's raw record.
bool is_raw_slice(const event& e, const field& fl);

/// Append the event's fields as JSON object members (`"name":value`, repeated ids as one array
/// at the first occurrence's place), each preceded by a comma except the very first when
/// `leading_comma` is false. Returns whether anything was written.
/// `slice_as_null`: the value of that field, when it occurs once, is a string and lies inside
/// the event's raw record, is written as `null` (the store keeps its byte range instead).
bool append_fields_json(const event_batch& batch, const event& e, std::string& out,
                        bool leading_comma, field_id slice_as_null = k_no_field);

/// Append one field's value as JSON: numbers and booleans bare when their text is valid JSON,
/// everything else as a string.
void append_json_value(std::string& out, const field& fl);

/// Append s to out as a JSON string (quotes included), escaping as RFC 8259 requires.
/// Invalid UTF-8 bytes are written as \u00XX of their Latin-1 reading so output stays valid JSON.
void append_json_string(std::string& out, std::string_view s);

}  // namespace mimamori
