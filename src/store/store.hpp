#pragma once
/// The store: where the daemon keeps events, alerts, incidents, read checkpoints and
/// correlation state. This header is the backend-neutral contract; `sqlite/` is the embedded
/// default (docs/decisions/0003-store.md).
///
/// Writes come in batches. One `append` is one transaction holding a batch of events, the
/// alerts raised on them and the read checkpoints that say how far each input has been
/// consumed: after a crash either all of it is there or none of it is, which is what lets a
/// restarted daemon resume without losing or repeating a line. Every appended batch is linked
/// into a hash chain (SHA-256 over the previous link and the stored rows), so editing,
/// removing or reordering stored rows is detectable by `verify`.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"

namespace mimamori::store {

/// How far one input has been read. `key` identifies the input across renames (for files:
/// "file:<dev>:<inode>"); `head_hash` (SHA-256 of the first `head_len` bytes) tells a file that
/// was truncated or replaced from one that only grew.
struct checkpoint {
    std::string key;
    std::string path;                 ///< where the input was last seen
    std::uint64_t offset = 0;         ///< bytes consumed (decompressed bytes for .gz)
    std::uint64_t head_len = 0;
    std::string head_hash;            ///< raw 32 bytes, empty when head_len == 0
    bool done = false;                ///< read to the end and never to grow (archives)
    timestamp_ns updated = 0;
};

/// An alert to store with the batch it was raised on.
struct alert_row {
    timestamp_ns ts = k_no_time;      ///< time of the (first) matching event
    std::string rule_id;
    std::string rule_name;
    std::string level;                ///< informational | low | medium | high | critical
    std::string json;                 ///< the whole alert as one JSON object
    std::vector<std::uint32_t> event_indexes;  ///< evidence: indexes into the appended batch
};

/// An alert raised after its events were stored: a batch scan detects over all its input and
/// writes the alerts at the end, so evidence is given as stored event ids, not batch indexes.
struct late_alert_row {
    alert_row row;                    ///< `row.event_indexes` is not used
    std::vector<std::int64_t> event_ids;
};

/// An incident: a group of stored alerts (table `incidents`, links in `incident_alerts`).
struct incident_row {
    timestamp_ns first_ts = k_no_time, last_ts = k_no_time;
    std::string status = "open";
    double score = 0;                 ///< risk 0-100
    std::string title;
    std::string json;                 ///< the whole incident as one JSON object
    std::vector<std::int64_t> alert_ids;  ///< ids `put_alerts` returned
};

/// An incident the daemon keeps up to date while its alerts grow (`upsert_incidents`). It is
/// known by its key (the incident's id, "I-…", also the `id` member of `row.json`); its alerts
/// by theirs ("A-…", the `id` member of a stored alert's JSON). `row.alert_ids` is not used.
struct live_incident {
    std::string key;
    incident_row row;
    std::vector<std::string> alert_keys;
};

/// The fields of an event as one JSON object (repeated ids become arrays), as stored. A
/// message that is a slice of the raw record is stored once: here as `null`, its byte range in
/// `event_docs.msg_off` / `msg_len` (the full-text index reads it there too); readers put it
/// back (stored_event_json, the search compiler). ~100 bytes less per syslog line to write.
void fields_json(const event_batch& batch, const event& e, std::string& out);

/// What `append` can be given already done, computed on another thread (the daemon's parse
/// thread) so that the store's writer does less: each event's fields as JSON (`fields_json`).
struct prepared_batch {
    std::string fields;               ///< every event's fields JSON, one after the other
    std::vector<std::uint32_t> ends;  ///< where event i's JSON ends in `fields`

    void prepare(const event_batch& batch) {
        clear();
        ends.reserve(batch.size());
        for (const auto& e : batch.events()) {
            fields_json(batch, e, fields);
            ends.push_back(static_cast<std::uint32_t>(fields.size()));
        }
    }
    std::size_t size() const { return ends.size(); }
    std::string_view fields_of(std::size_t i) const {
        std::size_t from = i == 0 ? 0 : ends[i - 1];
        return std::string_view(fields).substr(from, ends[i] - from);
    }
    void clear() {
        fields.clear();
        ends.clear();
    }
};

/// What `append` assigned.
struct append_info {
    std::int64_t batch_id = 0;
    std::int64_t first_event_id = 0;  ///< ids are consecutive: first_event_id + index
    std::string hash;                 ///< the new chain head (hex)
};

/// The result of walking the hash chain.
struct verify_report {
    std::uint64_t batches = 0;        ///< links checked
    std::uint64_t events = 0;
    std::uint64_t alerts = 0;
    bool ok = true;
    std::int64_t broken_batch = 0;    ///< first link that does not verify (0 when ok)
    std::string reason;               ///< why it does not verify
    std::string head;                 ///< hex hash of the last link (record it elsewhere)
    std::int64_t pruned_through = 0;  ///< batches up to this id were removed by retention
};

struct retention_policy {
    std::int64_t max_age_s = 0;       ///< delete batches stored longer ago than this (0 = keep)
    std::uint64_t max_bytes = 0;      ///< keep the store's live data under this (0 = no limit)
};

struct retention_report {
    std::uint64_t batches_deleted = 0;
    std::uint64_t events_deleted = 0;
};

struct store_stats {
    std::uint64_t events = 0, alerts = 0, incidents = 0, batches = 0;
    std::uint64_t bytes = 0;          ///< live data (pages in use × page size)
    timestamp_ns first_ts = k_no_time, last_ts = k_no_time;
};

/// A value bound to a query parameter.
using sql_value = std::variant<std::monostate, std::int64_t, double, std::string>;

/// One row of a query result.
struct row {
    std::vector<sql_value> values;
};

struct query_result {
    std::vector<std::string> columns;
    std::vector<row> rows;
};

class store {
public:
    virtual ~store() = default;

    /// Store a batch of events, the alerts raised on it and the checkpoints it advances, in one
    /// transaction linked into the hash chain. Malformed events are stored like the others.
    virtual result<append_info> append(const event_batch& batch, std::span<const alert_row> alerts,
                                       std::span<const checkpoint> checkpoints) = 0;
    /// The same, with part of the work done beforehand (`prepared` describes `batch`).
    virtual result<append_info> append(const event_batch& batch, std::span<const alert_row> alerts,
                                       std::span<const checkpoint> checkpoints, const prepared_batch& prepared) {
        (void)prepared;
        return append(batch, alerts, checkpoints);
    }

    /// Store alerts whose evidence events are already stored, in one transaction linked into
    /// the hash chain as a batch without events (so `verify` covers them). Returns the alert
    /// ids, in order.
    virtual result<std::vector<std::int64_t>> put_alerts(std::span<const late_alert_row> alerts) {
        (void)alerts;
        return error{"store.unsupported", "this store cannot add alerts after their events"};
    }
    /// Store incidents and their alert links in one transaction. Returns the incident ids.
    virtual result<std::vector<std::int64_t>> put_incidents(std::span<const incident_row> incidents) {
        (void)incidents;
        return error{"store.unsupported", "this store cannot store incidents"};
    }

    /// Insert or update incidents by key, in one transaction, linking each to the newest stored
    /// row of each of its alerts; delete the incidents named in `removed` (an incident that
    /// merged into another one and is now known under its key). Not part of the hash chain:
    /// incidents are derived from the chained alerts.
    virtual status upsert_incidents(std::span<const live_incident> incidents, std::span<const std::string> removed) {
        (void)incidents;
        (void)removed;
        return error{"store.unsupported", "this store cannot update incidents"};
    }

    /// Make the following `append` and `put_checkpoints` calls one transaction, until
    /// `commit_group` (or `rollback_group`, which also undoes what they did). Each append
    /// is still its own chain link. A store without transactions may ignore this.
    virtual status begin_group() { return {}; }
    virtual status commit_group() { return {}; }
    virtual void rollback_group() {}

    virtual result<std::vector<checkpoint>> checkpoints() = 0;
    /// Update checkpoints without events (an input that produced nothing, a finished archive).
    virtual status put_checkpoints(std::span<const checkpoint> checkpoints) = 0;

    /// Correlation state: opaque blobs by key, written by the detection stage.
    virtual status put_state(std::string_view key, std::string_view value) = 0;
    virtual result<std::string> get_state(std::string_view key) = 0;

    /// Run a read-only SELECT with bound parameters (the query compiler's output).
    virtual result<query_result> select(std::string_view sql, std::span<const sql_value> params) = 0;

    virtual result<verify_report> verify() = 0;
    virtual result<retention_report> apply_retention(const retention_policy& policy) = 0;
    virtual result<store_stats> stats() = 0;
};

struct sqlite_options {
    std::string path;
    bool read_only = false;
    /// Page cache in MiB (per connection).
    int cache_mib = 256;
    /// Told, before it starts, about one-time work that makes this open slow: building the
    /// indexes a newer version added, on a store that already holds events. Optional.
    std::function<void(const std::string&)> notice = {};
};

/// Open (and create or migrate) the embedded SQLite store.
result<std::unique_ptr<store>> open_sqlite(const sqlite_options& opts);

/// JSON of a stored event, in the same shape `write_event_json` gives (docs/events.md).
/// Arguments are the stored columns; `msg_off` / `msg_len` (event_docs, -1 when NULL) put
/// back a message that the fields JSON keeps as null (see fields_json).
void stored_event_json(std::int64_t ts, std::string_view source_type, std::string_view file,
                       std::int64_t line, std::int64_t offset, std::string_view fields_json,
                       std::string_view raw, std::string_view parse_error, std::string& out,
                       std::int64_t msg_off = -1, std::int64_t msg_len = -1);

/// Lower-case hex of raw bytes.
std::string to_hex(std::string_view bytes);

}  // namespace mimamori::store
