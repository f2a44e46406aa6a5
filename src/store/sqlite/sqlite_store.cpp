// The embedded store on SQLite: WAL, one transaction per batch, FTS5 over the raw record,
// and a SHA-256 hash chain over the stored batches. See docs/decisions/0003-store.md.
#include <openssl/evp.h>
#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/schema.hpp"
#include "store/store.hpp"

namespace mimamori::store {

namespace {

constexpr int k_schema_version = 1;

timestamp_ns now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The schema. Table `events` is narrow (the columns filters use); the large parts of an event
// (raw record, all fields as JSON) live in `event_docs` under the same id, so scans and index
// look-ups over `events` touch few pages.
static_assert(k_partition_shift == 16, "the schema's partitioned indexes say id >> 16");
const char* k_schema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches(
  id INTEGER PRIMARY KEY,
  created INTEGER NOT NULL,
  first_event INTEGER NOT NULL,
  n_events INTEGER NOT NULL,
  n_alerts INTEGER NOT NULL,
  prev_hash BLOB NOT NULL,
  hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  ts INTEGER,
  source_type TEXT,
  host TEXT,
  source_ip TEXT,
  source_port INTEGER,
  destination_ip TEXT,
  destination_port INTEGER,
  user_name TEXT,
  event_action TEXT,
  event_outcome TEXT,
  event_category TEXT,
  process_name TEXT,
  parse_error TEXT);
CREATE TABLE IF NOT EXISTS event_docs(
  id INTEGER PRIMARY KEY,
  file TEXT,
  line INTEGER,
  offset INTEGER,
  raw TEXT,
  fields TEXT,
  msg_off INTEGER,
  msg_len INTEGER);
-- The text full-text search covers: the message when the parser found one inside the record
-- (a syslog line without its header), else the whole record. Stored as a byte range of raw.
CREATE VIEW IF NOT EXISTS event_text(id, text) AS
  SELECT id, CASE WHEN msg_len IS NULL THEN raw
                  ELSE CAST(substr(CAST(raw AS BLOB), msg_off + 1, msg_len) AS TEXT) END
  FROM event_docs;
-- The full-text index (events_fts) lives in its own file, written by its own thread: see
-- fts_index below. Stores made before that keep theirs in this file (k_fts_in_main).
-- Few indexes on purpose: each costs about a microsecond per stored event (docs/decisions/0003).
-- (partition, ts): events by time, partition by partition (see below). Stores made before it
-- had events_ts on (ts) alone: dropped in open(), this built in its place. Partitioned because
-- times do not always arrive in order (senders with skewed clocks, old files read beside live
-- ones): an unpartitioned time index then takes its inserts all over the index.
CREATE INDEX IF NOT EXISTS events_ts_p ON events(id >> 16, ts);
-- (partition, field, ts): an address's or user's events, partition by partition. The partition
-- (id >> 16, see k_partition_shift in schema.hpp) keeps inserts in the newest part of the
-- index; queries name the partitions (every_partition()). Partial: an event without the field
-- (a firewall line has no user, an application log often no address) adds no entry; any
-- condition on the field implies it is not null, so SQLite still uses them. Older stores had
-- (field, ts) indexes, full ("events_source_ip") or partial ("_nn"): dropped in open(), these
-- built in their place.
CREATE INDEX IF NOT EXISTS events_source_ip_p ON events(id >> 16, source_ip, ts) WHERE source_ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_user_name_p ON events(id >> 16, user_name, ts) WHERE user_name IS NOT NULL;
-- Covering for "this kind of event with this outcome, by address" (failed logons by source):
-- the query reads only the matching index entries. The query compiler keeps other queries
-- off it (a search through it that must look up rows is slower than a scan). The partition
-- after the two low-cardinality columns keeps inserts local, as above; the query still reads
-- one range. Older stores had it without (events_type_outcome_ip): replaced in open().
CREATE INDEX IF NOT EXISTS events_type_outcome_p ON events(source_type, event_outcome, id >> 16, source_ip, ts);
CREATE TABLE IF NOT EXISTS alerts(
  id INTEGER PRIMARY KEY,
  batch INTEGER NOT NULL,
  ts INTEGER,
  rule_id TEXT,
  rule_name TEXT,
  level TEXT,
  event_ids TEXT,
  json TEXT);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
-- An alert that grows is stored again in each batch that grew it; its key is the JSON's id.
CREATE INDEX IF NOT EXISTS alerts_key ON alerts(json_extract(json, '$.id'));
CREATE TABLE IF NOT EXISTS incidents(
  id INTEGER PRIMARY KEY,
  first_ts INTEGER,
  last_ts INTEGER,
  status TEXT,
  score REAL,
  title TEXT,
  json TEXT);
CREATE INDEX IF NOT EXISTS incidents_key ON incidents(json_extract(json, '$.id'));
CREATE TABLE IF NOT EXISTS incident_alerts(
  incident_id INTEGER NOT NULL,
  alert_id INTEGER NOT NULL,
  PRIMARY KEY(incident_id, alert_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints(
  key TEXT PRIMARY KEY,
  path TEXT,
  offset INTEGER NOT NULL,
  head_len INTEGER NOT NULL,
  head_hash BLOB,
  done INTEGER NOT NULL,
  updated INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS correlation_state(
  key TEXT PRIMARY KEY,
  value BLOB,
  updated INTEGER NOT NULL) WITHOUT ROWID;
)sql";

error sql_error(sqlite3* db, std::string_view what) {
    return error{"store.sqlite", std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory")};
}

// A prepared statement that resets itself for reuse.
class stmt {
public:
    stmt() = default;
    stmt(const stmt&) = delete;
    stmt& operator=(const stmt&) = delete;
    stmt(stmt&& o) noexcept : m_s(o.m_s) { o.m_s = nullptr; }
    stmt& operator=(stmt&& o) noexcept {
        std::swap(m_s, o.m_s);
        return *this;
    }
    ~stmt() { sqlite3_finalize(m_s); }
    status prepare(sqlite3* db, std::string_view sql) {
        sqlite3_finalize(m_s);
        m_s = nullptr;
        if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                               &m_s, nullptr) != SQLITE_OK)
            return sql_error(db, "prepare");
        return {};
    }
    sqlite3_stmt* get() const { return m_s; }
    void reset() {
        sqlite3_reset(m_s);
        sqlite3_clear_bindings(m_s);
    }
    /// For a statement whose every parameter is bound again before each step (the per-event
    /// inserts): no clearing.
    void reset_for_rebind() { sqlite3_reset(m_s); }
    void text(int i, std::string_view v) {
        sqlite3_bind_text(m_s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
    void blob(int i, std::string_view v) {
        sqlite3_bind_blob(m_s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
    }
    void integer(int i, std::int64_t v) { sqlite3_bind_int64(m_s, i, v); }
    void null(int i) { sqlite3_bind_null(m_s, i); }

private:
    sqlite3_stmt* m_s = nullptr;
};

// Column text as a view (valid until the next step/reset).
std::string_view col_text(sqlite3_stmt* s, int i) {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string_view{};
}

// Feeds the chain hash. Insert and verify both describe each stored row through these calls in
// the same order, so a row reads back to the same bytes exactly when it was not changed.
class row_hasher {
public:
    row_hasher() : m_ctx(EVP_MD_CTX_new()) {}
    ~row_hasher() { EVP_MD_CTX_free(m_ctx); }
    row_hasher(const row_hasher&) = delete;
    row_hasher& operator=(const row_hasher&) = delete;
    void start(std::string_view prev) {
        EVP_DigestInit_ex(m_ctx, EVP_sha256(), nullptr);
        m_buf.clear();
        put(prev.data(), prev.size());
    }
    void null() { tag(0); }
    void integer(std::int64_t v) {
        tag(1);
        unsigned char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(static_cast<std::uint64_t>(v) >> (8 * i));
        put(b, 8);
    }
    void text(std::string_view v) {
        tag(2);
        auto n = static_cast<std::uint64_t>(v.size());
        unsigned char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(n >> (8 * i));
        put(b, 8);
        put(v.data(), v.size());
    }
    // A column as read back from SQLite.
    void column(sqlite3_stmt* s, int i) {
        switch (sqlite3_column_type(s, i)) {
            case SQLITE_NULL: null(); break;
            case SQLITE_INTEGER: integer(sqlite3_column_int64(s, i)); break;
            default: text(col_text(s, i)); break;
        }
    }
    std::string finish() {
        flush();
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        EVP_DigestFinal_ex(m_ctx, md, &n);
        return std::string(reinterpret_cast<char*>(md), n);
    }

private:
    // The bytes go to SHA-256 in blocks of a few KiB rather than one call per 1-8 byte piece
    // (the digest is the same: SHA-256 sees one stream either way).
    void put(const void* p, std::size_t n) {
        if (m_buf.size() + n > k_block) flush();
        if (n >= k_block) {
            EVP_DigestUpdate(m_ctx, p, n);
            return;
        }
        m_buf.append(static_cast<const char*>(p), n);
    }
    void flush() {
        if (!m_buf.empty()) EVP_DigestUpdate(m_ctx, m_buf.data(), m_buf.size());
        m_buf.clear();
    }
    void tag(unsigned char t) { put(&t, 1); }
    static constexpr std::size_t k_block = 8192;
    EVP_MD_CTX* m_ctx;
    std::string m_buf;
};

status exec_on(sqlite3* db, const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
        error e{"store.sqlite", msg ? msg : sqlite3_errmsg(db)};
        sqlite3_free(msg);
        return e;
    }
    return {};
}

// The full-text index in a file of its own (`<store>.fts`), written on its own connection —
// and in the daemon by its own thread — so that indexing, about a third of the CPU of storing
// an event, runs beside the writer of the events instead of inside its transactions (one
// connection writes one file at a time; ATTACH would put both under one writer).
//
// It is derived data. `fts_state.through` is the highest event id whose text is indexed: every
// event of the main file up to it is in the index. `step` indexes what the main file holds
// beyond it, reading `event_text`, in one transaction of the index file that also moves
// `through`: after a crash it resumes from there, and an index that does not belong to the main
// file (another `uid`) or is ahead of it (the main file lost transactions to a power cut, or
// was replaced) is emptied and rebuilt. Searches call `catch_up` first, so they find every
// event stored when they started. The table is contentless: queries only need rowids, and the
// stored text is in the main file (retention deletes with it, see delete_through).
// Texts of committed events, handed from the writer to the indexer in memory (so the indexer
// need not read them back): ids first, first + 1, ….
struct text_handoff {
    std::int64_t first = 0;
    std::string texts;
    std::vector<std::size_t> ends;
    bool empty() const { return ends.empty(); }
    std::int64_t next() const { return first + static_cast<std::int64_t>(ends.size()); }
    void clear() {
        texts.clear();
        ends.clear();
    }
    void add(std::int64_t id, std::string_view text) {
        if (ends.empty()) first = id;
        texts.append(text);
        ends.push_back(texts.size());
    }
    // Append `o` when it continues these ids; otherwise keep only the newer one.
    void take(text_handoff& o) {
        if (o.empty()) return;
        if (empty() || next() != o.first) {
            std::swap(*this, o);
        } else {
            std::size_t base = texts.size();
            texts.append(o.texts);
            for (auto e : o.ends) ends.push_back(base + e);
        }
        o.clear();
    }
};

class fts_index {
public:
    fts_index() = default;
    ~fts_index() { close(); }
    fts_index(const fts_index&) = delete;
    fts_index& operator=(const fts_index&) = delete;

    static std::string path_for(const std::string& main_path) { return main_path + ".fts"; }

    status open(const std::string& main_path, std::string uid) {
        m_uid = std::move(uid);
        if (sqlite3_open_v2(path_for(main_path).c_str(), &m_fts, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK)
            return error{"store.open", "cannot open the full-text index " + path_for(main_path) + ": " +
                                           (m_fts ? sqlite3_errmsg(m_fts) : "out of memory")};
        sqlite3_busy_timeout(m_fts, 30000);
        if (sqlite3_open_v2(main_path.c_str(), &m_main, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
            return sql_error(m_main, "open store for indexing");
        sqlite3_busy_timeout(m_main, 30000);
        if (auto st = exec_on(m_main, "PRAGMA cache_size=-16384; PRAGMA mmap_size=1073741824;"); !st) return st;
        if (auto st = exec_on(m_fts, "PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; "
                                     "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=8192;");
            !st)
            return st;
        if (auto st = exec_on(m_fts, "BEGIN IMMEDIATE; "
                                     "CREATE TABLE IF NOT EXISTS fts_state(key TEXT PRIMARY KEY, value) WITHOUT ROWID; "
                                     "CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5("
                                     "  text, content='', tokenize='unicode61 remove_diacritics 0', columnsize=0); "
                                     // Merge segments 16 at a time instead of FTS5's 4 (kept in
                                     // the index's config table; set again for older files): a
                                     // third less CPU per indexed text (1.93 against 2.86 s for
                                     // the ingest bench's 1 M texts); a text query reads a few
                                     // more segments (still milliseconds).
                                     "INSERT INTO events_fts(events_fts, rank) VALUES('automerge', 16); "
                                     "COMMIT;");
            !st) {
            (void)exec_on(m_fts, "ROLLBACK");
            return st;
        }
        if (auto st = m_ins.prepare(m_fts, "INSERT INTO events_fts(rowid, text) VALUES(?,?)"); !st) return st;
        if (auto st = m_del.prepare(m_fts, "INSERT INTO events_fts(events_fts, rowid, text) VALUES('delete',?,?)"); !st) return st;
        if (auto st = m_get.prepare(m_fts, "SELECT value FROM fts_state WHERE key=?"); !st) return st;
        if (auto st = m_put.prepare(m_fts, "INSERT INTO fts_state(key, value) VALUES(?,?) "
                                           "ON CONFLICT(key) DO UPDATE SET value=excluded.value");
            !st)
            return st;
        if (auto st = m_read.prepare(m_main, "SELECT id, text FROM event_text WHERE id > ? ORDER BY id LIMIT ?"); !st) return st;
        // The last event id the main file has given out (retention may have deleted it).
        if (auto st = m_end.prepare(m_main, "SELECT max(ifnull((SELECT max(id) FROM events), 0), "
                                            "ifnull((SELECT CAST(value AS INTEGER) - 1 FROM meta WHERE key='pruned_next_event'), 0))");
            !st)
            return st;
        return {};
    }

    void close() {
        m_ins = {};
        m_del = {};
        m_get = {};
        m_put = {};
        m_read = {};
        m_end = {};
        if (m_fts) sqlite3_close_v2(m_fts);
        if (m_main) sqlite3_close_v2(m_main);
        m_fts = m_main = nullptr;
    }

    // True when the index lacks events the main file holds (read without taking a lock).
    // (Or ahead of it, or not its index: then it is to be rebuilt.)
    result<bool> behind() {
        std::string uid = state("uid");
        std::int64_t through = state_int("through");
        std::int64_t end = 0;
        if (auto st = main_end(end); !st) return st.err();
        return uid != m_uid || through != end;
    }

    // The writer, before it stores anything: empty the index when it is not the store's or is
    // ahead of it (the store lost its last transactions to a power cut). Done before the first
    // append, so that the ids the store gives out again never find their old texts.
    status check() {
        if (auto st = exec_on(m_fts, "BEGIN IMMEDIATE"); !st) return st;
        std::int64_t end = 0;
        auto st = main_end(end);
        if (st && (state("uid") != m_uid || state_int("through") > end)) st = start_over();
        if (!st) {
            (void)exec_on(m_fts, "ROLLBACK");
            return st;
        }
        return exec_on(m_fts, "COMMIT");
    }

    // Index up to `rows` events beyond `through` in one transaction. True when more remain.
    // The texts are read first, in a short read transaction of the main file, and indexed
    // after it ended: a reader that stays inside the main file's WAL keeps the writer from
    // starting it over, and the WAL then grows without bound.
    // `given`: texts the writer handed over, used instead of reading them when they continue
    // the index (consumed).
    result<bool> step(std::int64_t rows, text_handoff* given = nullptr) {
        // Read phase.
        std::int64_t from = state_int("through");
        m_ids.clear();
        m_ends.clear();
        m_texts.clear();
        if (given && !given->empty() && given->first <= from + 1 && given->next() > from + 1) {
            std::size_t skip = static_cast<std::size_t>(from + 1 - given->first);
            std::size_t base = skip == 0 ? 0 : given->ends[skip - 1];
            for (std::size_t i = skip; i < given->ends.size(); ++i) {
                m_ids.push_back(given->first + static_cast<std::int64_t>(i));
                m_ends.push_back(given->ends[i] - base);
            }
            if (base == 0) m_texts.swap(given->texts);  // usually: all of it is new
            else m_texts.assign(given->texts, base);
            std::int64_t end = given->next() - 1;
            given->clear();
            return write_phase(from, end, true);
        }
        if (given && !given->empty() && given->next() <= from + 1) given->clear();  // indexed already
        if (auto st = exec_on(m_main, "BEGIN"); !st) return st.err();
        std::int64_t end = 0;
        auto st = main_end(end);
        int rc = SQLITE_DONE;
        if (st && from < end) {
            m_read.reset();
            m_read.integer(1, from);
            m_read.integer(2, rows);
            while ((rc = sqlite3_step(m_read.get())) == SQLITE_ROW) {
                m_ids.push_back(sqlite3_column_int64(m_read.get(), 0));
                m_texts.append(col_text(m_read.get(), 1));
                m_ends.push_back(m_texts.size());
            }
            m_read.reset();
        }
        (void)exec_on(m_main, "COMMIT");
        if (!st) return st.err();
        if (rc != SQLITE_DONE) return sql_error(m_main, "read event texts");
        if (from == end && state("uid") == m_uid) return false;  // nothing new
        return write_phase(from, end, static_cast<std::int64_t>(m_ids.size()) < rows);
    }

    result<bool> write_phase(std::int64_t from, std::int64_t end, bool exhausted) {
        if (auto e = exec_on(m_fts, "BEGIN IMMEDIATE"); !e) return e.err();
        auto r = write_in_tx(from, end, exhausted);
        if (!r) {
            (void)exec_on(m_fts, "ROLLBACK");
            return r;
        }
        if (auto e = exec_on(m_fts, "COMMIT"); !e) {
            (void)exec_on(m_fts, "ROLLBACK");
            return e.err();
        }
        return r;
    }

    // Index everything the main file holds now (a search calls this before it runs).
    status catch_up() {
        auto b = behind();
        if (!b) return b.err();
        while (b.value()) {
            auto r = step(k_rows);
            if (!r) return r.err();
            if (!r.value()) break;
        }
        return {};
    }

    // Retention: start a transaction that removes deleted events' texts; returns `through`
    // (only events up to it are in the index), or -1 when the index is to be rebuilt anyway.
    result<std::int64_t> begin_delete() {
        if (auto st = exec_on(m_fts, "BEGIN IMMEDIATE"); !st) return st.err();
        if (state("uid") != m_uid) return std::int64_t{-1};
        return state_int("through");
    }
    status remove(std::int64_t id, std::string_view text) {
        m_del.reset();
        m_del.integer(1, id);
        m_del.text(2, text.empty() ? std::string_view("", 0) : text);
        if (sqlite3_step(m_del.get()) != SQLITE_DONE) return sql_error(m_fts, "remove from the full-text index");
        return {};
    }
    status commit() { return exec_on(m_fts, "COMMIT"); }
    void rollback() { (void)exec_on(m_fts, "ROLLBACK"); }
    void vacuum() { (void)exec_on(m_fts, "PRAGMA incremental_vacuum"); }

    // Pages in use × page size of the index file.
    std::uint64_t live_bytes() {
        auto one = [&](const char* sql) -> std::int64_t {
            stmt s;
            if (!s.prepare(m_fts, sql).ok() || sqlite3_step(s.get()) != SQLITE_ROW) return 0;
            return sqlite3_column_int64(s.get(), 0);
        };
        std::int64_t n = one("PRAGMA page_count") - one("PRAGMA freelist_count");
        return n > 0 ? static_cast<std::uint64_t>(n * one("PRAGMA page_size")) : 0;
    }

    static constexpr std::int64_t k_rows = 65536;

private:
    status main_end(std::int64_t& end) {
        m_end.reset();
        int rc = sqlite3_step(m_end.get());
        if (rc != SQLITE_ROW) {
            m_end.reset();
            return sql_error(m_main, "read the last event id");
        }
        end = sqlite3_column_int64(m_end.get(), 0);
        m_end.reset();
        return {};
    }
    std::string state(const char* key) {
        m_get.reset();
        m_get.text(1, key);
        std::string v;
        if (sqlite3_step(m_get.get()) == SQLITE_ROW) v = col_text(m_get.get(), 0);
        m_get.reset();
        return v;
    }
    std::int64_t state_int(const char* key) {
        m_get.reset();
        m_get.text(1, key);
        std::int64_t v = 0;
        if (sqlite3_step(m_get.get()) == SQLITE_ROW) v = sqlite3_column_int64(m_get.get(), 0);
        m_get.reset();
        return v;
    }
    status put(const char* key, std::string_view text, std::int64_t v, bool is_int) {
        m_put.reset();
        m_put.text(1, key);
        if (is_int) m_put.integer(2, v);
        else m_put.text(2, text);
        if (sqlite3_step(m_put.get()) != SQLITE_DONE) return sql_error(m_fts, "write index state");
        return {};
    }

    // Inside the index's write transaction: empty the index and make it this store's, indexed
    // through nothing.
    status start_over() {
        if (auto st = exec_on(m_fts, "INSERT INTO events_fts(events_fts) VALUES('delete-all')"); !st) return st;
        if (auto st = put("uid", m_uid, 0, false); !st) return st;
        return put("through", {}, 0, true);
    }

    // Inside the index's write transaction: store what the read phase found (texts of the
    // events after `from` up to `end`, all of them when `exhausted`).
    result<bool> write_in_tx(std::int64_t from, std::int64_t end, bool exhausted) {
        std::int64_t through = state_int("through");
        // The end now (the main file only grows at its end, except after a power cut).
        std::int64_t now_end = 0;
        if (auto st = main_end(now_end); !st) return st.err();
        if (state("uid") != m_uid || through > now_end) {
            // Not this store's index, or ahead of it: start again from nothing.
            if (auto st = start_over(); !st) return st.err();
            return true;
        }
        if (through != from) return through < now_end;  // another connection indexed meanwhile: read again
        for (std::size_t i = 0; i < m_ids.size(); ++i) {
            std::size_t b = i == 0 ? 0 : m_ends[i - 1];
            std::string_view text = std::string_view(m_texts).substr(b, m_ends[i] - b);
            m_ins.reset();
            m_ins.integer(1, m_ids[i]);
            m_ins.text(2, text.empty() ? std::string_view("", 0) : text);
            if (sqlite3_step(m_ins.get()) != SQLITE_DONE) return sql_error(m_fts, "index event text");
            through = m_ids[i];
        }
        // All read: everything up to the end is indexed (ids in between were deleted).
        if (exhausted) through = std::max(through, end);
        if (auto st = put("through", {}, through, true); !st) return st.err();
        return through < now_end;
    }

    std::vector<std::int64_t> m_ids;
    std::vector<std::size_t> m_ends;
    std::string m_texts;
    sqlite3* m_fts = nullptr;
    sqlite3* m_main = nullptr;
    std::string m_uid;
    stmt m_ins, m_del, m_get, m_put, m_read, m_end;
};

bool parse_int(std::string_view s, std::int64_t& out) {
    if (s.empty() || s.size() > 19) return false;
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    std::int64_t v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    out = s[0] == '-' ? -v : v;
    return true;
}

// The values of one event's `events` row, in column order after the id; text views point into
// the batch. Shared by the insert (binds) and the hash (feeds).
struct event_values {
    static constexpr std::size_t k_n = 3 + std::size(k_field_columns);  // ts, source_type, fields…, parse_error
    bool is_null[k_n];
    bool is_int[k_n];
    std::int64_t ints[k_n];
    std::string_view texts[k_n];

    void fill(const event_batch& b, const event& e) {
        std::size_t k = 0;
        set_int(k++, e.ts != k_no_time, e.ts);
        set_text(k++, e.source_type);
        for (const auto& c : k_field_columns) {
            const field* fl = b.find(e, c.id);
            if (!fl) {
                is_null[k] = true;
                is_int[k] = false;
                ++k;
                continue;
            }
            if (c.type == column_type::integer) {
                std::int64_t v = 0;
                bool ok = parse_int(fl->value, v);
                set_int(k++, ok, v);
            } else {
                set_text(k++, fl->value);
            }
        }
        set_text(k++, e.parse_error);
    }
    void set_int(std::size_t k, bool present, std::int64_t v) {
        is_null[k] = !present;
        is_int[k] = true;
        ints[k] = v;
    }
    void set_text(std::size_t k, std::string_view v) {
        is_null[k] = v.empty();
        is_int[k] = false;
        texts[k] = v;
    }
    void bind(stmt& s, int first) const {
        for (std::size_t k = 0; k < k_n; ++k) {
            int i = first + static_cast<int>(k);
            if (is_null[k]) s.null(i);
            else if (is_int[k]) s.integer(i, ints[k]);
            else s.text(i, texts[k]);
        }
    }
    void hash(row_hasher& h) const {
        for (std::size_t k = 0; k < k_n; ++k) {
            if (is_null[k]) h.null();
            else if (is_int[k]) h.integer(ints[k]);
            else h.text(texts[k]);
        }
    }
};

std::string events_columns_sql() {
    std::string s = "id, ts, source_type";
    for (const auto& c : k_field_columns) {
        s += ", ";
        s += c.column;
    }
    s += ", parse_error";
    return s;
}

class sqlite_store final : public store {
public:
    ~sqlite_store() override {
        stop_indexer();
        m_fts_local.reset();
        if (m_reader) sqlite3_close_v2(m_reader);
        m_insert_event = {};
        m_insert_doc = {};
        m_insert_fts = {};
        m_insert_alert = {};
        m_insert_batch = {};
        m_upsert_checkpoint = {};
        if (m_db) sqlite3_close_v2(m_db);
    }

    status open(const sqlite_options& o) {
        m_read_only = o.read_only;
        m_path = o.path;
        int flags = o.read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
        flags |= SQLITE_OPEN_NOMUTEX;
        if (sqlite3_open_v2(o.path.c_str(), &m_db, flags, nullptr) != SQLITE_OK)
            return error{"store.open", "cannot open store " + o.path + ": " +
                                           (m_db ? sqlite3_errmsg(m_db) : "out of memory")};
        sqlite3_busy_timeout(m_db, 10000);
        sqlite3_extended_result_codes(m_db, 1);
        // Readers use a small page cache: their reads go through mmap, and the cache size is
        // also how much the sorter behind `stats … by` keeps in memory before merging runs —
        // with 256 MiB a by-user count over 10 M events took 3.3-4.6 s, with 16 MiB 2.2-2.9 s.
        // temp_store stays the default (a file, rarely touched): with MEMORY that sorter was
        // 2.5x slower still.
        const int cache_mib = o.read_only ? std::min(o.cache_mib, 16) : o.cache_mib;
        std::string pragmas = "PRAGMA cache_size=-" + std::to_string(cache_mib * 1024) +
                              "; PRAGMA mmap_size=1073741824;";
        if (auto st = exec(pragmas); !st) return st;
        if (o.read_only) {
            // A store that does not exist yet has no tables: say so plainly.
            auto r = scalar_int("SELECT count(*) FROM sqlite_master WHERE name='batches'");
            if (!r || r.value() == 0) return error{"store.open", o.path + " is not a Mimamori store"};
            return read_fts_mode();
        }
        // 16 KiB pages (new stores only): fewer pages per batch to write to the WAL and to
        // checkpoint; measured ~10% less CPU per stored event than 4 KiB (docs/decisions/0003).
        if (auto st = exec("PRAGMA page_size=16384; PRAGMA auto_vacuum=INCREMENTAL; PRAGMA journal_mode=WAL; "
                           "PRAGMA synchronous=NORMAL; PRAGMA wal_autocheckpoint=8192;");
            !st)
            return st;
        if (o.notice) {
            // A store from an older version: its events get the newer indexes now, once.
            // The schema's index names (our constants: quoted as they are).
            std::string names;
            std::int64_t wanted = 0;
            const std::string_view schema = k_schema, create = "CREATE INDEX IF NOT EXISTS ";
            for (auto at = schema.find(create); at != std::string_view::npos; at = schema.find(create, at + 1), ++wanted) {
                const auto name = schema.substr(at + create.size(), schema.find(' ', at + create.size()) - at - create.size());
                names += (names.empty() ? "'" : ",'") + std::string(name) + "'";
            }
            auto has_events = scalar_int("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='events'");
            auto have = scalar_int("SELECT count(*) FROM sqlite_master WHERE type='index' AND name IN (" + names + ")");
            if (has_events && has_events.value() > 0 && have && have.value() < wanted) {
                auto n = scalar_int("SELECT ifnull(max(id), 0) - ifnull(min(id), 0) FROM events");
                if (n && n.value() > 0)
                    o.notice("building the indexes this version adds for the ~" + std::to_string(n.value() + 1) +
                             " stored events in " + o.path + " (once; about a minute per 10 million events)");
            }
        }
        if (auto st = exec(std::string("BEGIN IMMEDIATE; DROP INDEX IF EXISTS events_ts; DROP INDEX IF EXISTS events_source_ip; "
                                       "DROP INDEX IF EXISTS events_user_name; DROP INDEX IF EXISTS events_source_ip_nn; "
                                       "DROP INDEX IF EXISTS events_type_outcome_ip; "
                                       "DROP INDEX IF EXISTS events_user_name_nn;") + k_schema +
                           "INSERT OR IGNORE INTO meta VALUES('schema_version','" +
                           std::to_string(k_schema_version) + "'); COMMIT;");
            !st) {
            (void)exec("ROLLBACK");
            return st;
        }
        if (auto st = read_fts_mode(); !st) return st;
        if (m_fts_in_main) {
            // Merge full-text segments 16 at a time instead of 4: about 8% less CPU per stored
            // event; text queries read a few more segments (still milliseconds).
            if (auto st = exec("INSERT INTO events_fts(events_fts, rank) VALUES('automerge', 16)"); !st) return st;
        } else {
            if (m_fts_uid.empty()) {
                std::random_device rd;
                std::string bytes;
                for (int i = 0; i < 16; ++i) bytes.push_back(static_cast<char>(rd() & 0xff));
                std::string uid = to_hex(bytes);
                if (auto st = set_meta("fts_uid", uid); !st) return st;
                m_fts_uid = uid;
            }
            if (auto st = start_indexer(); !st) return st;
        }
        if (auto st = start_checkpointer(); !st) return st;
        return prepare_writes();
    }

    // WAL checkpoints (copying committed pages from the WAL into the main file) run on a thread
    // of their own, not inside the writer's commits: PASSIVE checkpoints on a second
    // connection, woken after each commit, never wait for the writer nor block it.
    status start_checkpointer() {
        sqlite3* c = nullptr;
        if (sqlite3_open_v2(m_path.c_str(), &c, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
            auto e = sql_error(c, "open store for checkpoints");
            sqlite3_close_v2(c);
            return e;
        }
        // A connection that has not read the file yet has not opened its WAL, and its
        // checkpoints would do nothing: read once first.
        sqlite3_busy_timeout(c, 10000);
        if (auto st = exec_on(c, "PRAGMA cache_size=-4096; SELECT count(*) FROM sqlite_master"); !st) {
            sqlite3_close_v2(c);
            return st;
        }
        // A WAL that grew (a long reader kept it from restarting) shrinks back at its next restart.
        if (auto st = exec("PRAGMA journal_size_limit=268435456"); !st) {
            sqlite3_close_v2(c);
            return st;
        }
        // Replaces the automatic checkpoint (which is itself a WAL hook): the writer learns
        // the WAL's length after each commit (restart_wal).
        sqlite3_wal_hook(
            m_db,
            [](void* self, sqlite3*, const char*, int frames) {
                static_cast<sqlite_store*>(self)->m_wal_frames = frames;
                return SQLITE_OK;
            },
            this);
        m_checkpointer = std::thread([this, c] {
            pthread_setname_np(pthread_self(), "mm-wal-ckpt");
            std::uint64_t seen = 0;
            for (;;) {
                {
                    std::unique_lock lk(m_ix_mu);
                    m_ix_cv.wait_for(lk, std::chrono::seconds(1), [&] { return m_ix_stop || m_ix_gen != seen; });
                    if (m_ix_stop) break;
                    seen = m_ix_gen;
                }
                int log = 0, done = 0;
                std::lock_guard ck(m_ckpt_mu);
                (void)sqlite3_wal_checkpoint_v2(c, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &done);
            }
            sqlite3_close_v2(c);
        });
        return {};
    }

    // Stores made before the full-text index had its own file keep it in the main file
    // (`events_fts` there), indexed in the writer's transactions as before.
    status read_fts_mode() {
        auto r = scalar_int("SELECT count(*) FROM sqlite_master WHERE name='events_fts'");
        if (!r) return r.err();
        m_fts_in_main = r.value() > 0;
        m_fts_uid = meta("fts_uid");
        return {};
    }

    status start_indexer() {
        auto ix = std::make_unique<fts_index>();
        if (auto st = ix->open(m_path, m_fts_uid); !st) return st;
        if (auto st = ix->check(); !st) return st;
        m_indexer = std::thread([this, ix = std::move(ix)]() mutable {
            pthread_setname_np(pthread_self(), "mm-fts-index");
            indexer_loop(*ix);
        });
        return {};
    }

    // The indexer thread: woken after each commit that stored events (and every second), it
    // indexes what was committed; at close it finishes, so a clean stop leaves it complete.
    void indexer_loop(fts_index& ix) {
        std::uint64_t seen = 0;
        text_handoff given;
        bool failing = false;
        for (;;) {
            {
                std::unique_lock lk(m_ix_mu);
                // A failed step (the index file busy or full) is retried a second later.
                m_ix_cv.wait_for(lk, std::chrono::seconds(1), [&] { return m_ix_stop || (!failing && m_ix_gen != seen); });
                if (m_ix_stop) break;
                seen = m_ix_gen;
            }
            for (;;) {
                {
                    std::lock_guard lk(m_ix_mu);
                    given.take(m_handoff);
                }
                auto r = ix.step(fts_index::k_rows, &given);
                failing = !r;
                if (!r || !r.value()) break;
                std::lock_guard lk(m_ix_mu);
                if (m_ix_stop) break;
            }
        }
        (void)ix.catch_up();
    }

    // Under sustained writes the WAL is never all copied when the writer starts its next
    // transaction, so SQLite never starts it over and it would grow without bound: past
    // 256 MiB the writer copies what the checkpointer has not yet (little) and restarts it.
    // (One checkpoint at a time: a second one fails at once, so the writer waits for the
    // checkpointer's current one to end first.)
    void restart_wal() {
        if (m_wal_frames < k_wal_restart_frames) return;
        int log = 0, done = 0;
        std::lock_guard ck(m_ckpt_mu);
        if (sqlite3_wal_checkpoint_v2(m_db, "main", SQLITE_CHECKPOINT_RESTART, &log, &done) == SQLITE_OK) m_wal_frames = 0;
    }

    // After a commit that stored events: hand their texts to the indexer (at most 64 MiB
    // waiting; beyond, it reads them back), wake it and the checkpointer.
    void notify_indexer() {
        restart_wal();
        {
            std::lock_guard lk(m_ix_mu);
            ++m_ix_gen;
            if (m_handoff.texts.size() > (std::size_t{64} << 20)) m_handoff.clear();
            m_handoff.take(m_pending);
        }
        m_ix_cv.notify_all();
    }

    void stop_indexer() {
        {
            std::lock_guard lk(m_ix_mu);
            m_ix_stop = true;
        }
        m_ix_cv.notify_all();
        if (m_indexer.joinable()) m_indexer.join();
        if (m_checkpointer.joinable()) m_checkpointer.join();
    }

    // This object's own connection to the index (searches catch it up; retention deletes).
    result<fts_index*> local_fts() {
        if (!m_fts_local) {
            auto ix = std::make_unique<fts_index>();
            if (auto st = ix->open(m_path, m_fts_uid); !st) return st.err();
            m_fts_local = std::move(ix);
        }
        return m_fts_local.get();
    }

    // The connection a search that uses the full-text index runs on, with the index caught up
    // to every event stored now and attached. A read-only store attaches it to its own
    // connection; a writable one reads through a second connection, because a connection with
    // the index attached would lock it in every write transaction (BEGIN IMMEDIATE locks every
    // attached file) and so stop the indexer thread while events are written.
    result<sqlite3*> fts_reader() {
        auto ix = local_fts();
        if (ix) {
            if (auto st = ix.value()->catch_up(); !st) return st.err();
        } else if (!m_read_only) {
            return ix.err();
        }
        // (A read-only store on a read-only file system searches the index as it is.)
        sqlite3* c = m_db;
        if (!m_read_only) {
            if (!m_reader) {
                if (sqlite3_open_v2(m_path.c_str(), &m_reader, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
                    return sql_error(m_reader, "open store for reading");
                sqlite3_busy_timeout(m_reader, 10000);
                if (auto st = exec_on(m_reader, "PRAGMA cache_size=-16384; PRAGMA mmap_size=1073741824;"); !st) return st.err();
            }
            c = m_reader;
        }
        if (!m_attached) {
            stmt a;
            if (auto st = a.prepare(c, "ATTACH DATABASE ? AS fts"); !st) return st.err();
            std::string p = fts_index::path_for(m_path);
            a.text(1, p);
            if (sqlite3_step(a.get()) != SQLITE_DONE) return sql_error(c, "attach the full-text index");
            m_attached = true;
        }
        return c;
    }

    status begin_group() override {
        if (m_read_only) return error{"store.read_only", "store opened read-only"};
        if (m_in_group) return error{"store.group", "a group is already open"};
        if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
        m_in_group = true;
        return {};
    }
    status commit_group() override {
        if (!m_in_group) return {};
        if (auto st = exec("COMMIT"); !st) return st;
        m_in_group = false;
        notify_indexer();
        return {};
    }
    void rollback_group() override {
        if (!m_in_group) return;
        (void)exec("ROLLBACK");
        m_in_group = false;
        m_pending.clear();
        // The cached chain head may be ahead of what is stored now.
        m_loaded_head = false;
    }

    result<append_info> append(const event_batch& batch, std::span<const alert_row> alerts,
                               std::span<const checkpoint> cps) override {
        return append_prepared(batch, alerts, cps, nullptr);
    }
    result<append_info> append(const event_batch& batch, std::span<const alert_row> alerts, std::span<const checkpoint> cps,
                               const prepared_batch& prepared) override {
        return append_prepared(batch, alerts, cps, &prepared);
    }
    result<append_info> append_prepared(const event_batch& batch, std::span<const alert_row> alerts,
                                        std::span<const checkpoint> cps, const prepared_batch* prepared) {
        if (m_read_only) return error{"store.read_only", "store opened read-only"};
        if (m_in_group) return append_in_tx(batch, alerts, cps, prepared);  // the caller rolls back on error
        auto r = in_transaction([&] { return append_in_tx(batch, alerts, cps, prepared); });
        if (r) notify_indexer();
        return r;
    }

    // Run `fn` in one write transaction: committed when it succeeds; rolled back when it or the
    // commit fails, and then the cached chain head (which may be ahead of what is stored) is
    // forgotten. `fn` returns result<T> or status.
    template <typename Fn>
    auto in_transaction(Fn&& fn) -> decltype(fn()) {
        if (auto st = exec("BEGIN IMMEDIATE"); !st) return st.err();
        auto r = fn();
        if (!r) {
            (void)exec("ROLLBACK");
            m_loaded_head = false;
            m_pending.clear();
            return r;
        }
        if (auto st = exec("COMMIT"); !st) {
            (void)exec("ROLLBACK");
            m_loaded_head = false;
            m_pending.clear();
            return st.err();
        }
        return r;
    }

    result<std::vector<std::int64_t>> put_alerts(std::span<const late_alert_row> alerts) override {
        if (m_read_only) return error{"store.read_only", "store opened read-only"};
        return in_transaction([&] { return put_alerts_in_tx(alerts); });
    }

    result<std::vector<std::int64_t>> put_incidents(std::span<const incident_row> incidents) override {
        if (m_read_only) return error{"store.read_only", "store opened read-only"};
        return in_transaction([&]() -> result<std::vector<std::int64_t>> {
            stmt ins, link;
            if (auto st = ins.prepare(m_db, "INSERT INTO incidents(first_ts, last_ts, status, score, title, json) VALUES(?,?,?,?,?,?)");
                !st)
                return st.err();
            if (auto st = link.prepare(m_db, "INSERT OR IGNORE INTO incident_alerts(incident_id, alert_id) VALUES(?,?)"); !st)
                return st.err();
            std::vector<std::int64_t> ids;
            for (const auto& inc : incidents) {
                ins.reset();
                if (inc.first_ts == k_no_time) ins.null(1);
                else ins.integer(1, inc.first_ts);
                if (inc.last_ts == k_no_time) ins.null(2);
                else ins.integer(2, inc.last_ts);
                ins.text(3, inc.status);
                sqlite3_bind_double(ins.get(), 4, inc.score);
                ins.text(5, inc.title);
                ins.text(6, inc.json);
                if (sqlite3_step(ins.get()) != SQLITE_DONE) return sql_error(m_db, "insert incident");
                std::int64_t id = sqlite3_last_insert_rowid(m_db);
                for (auto aid : inc.alert_ids) {
                    link.reset();
                    link.integer(1, id);
                    link.integer(2, aid);
                    if (sqlite3_step(link.get()) != SQLITE_DONE) return sql_error(m_db, "link incident alert");
                }
                ids.push_back(id);
            }
            return ids;
        });
    }

    status upsert_incidents(std::span<const live_incident> incidents, std::span<const std::string> removed) override {
        if (m_read_only) return error{"store.read_only", "store opened read-only"};
        if (incidents.empty() && removed.empty()) return {};
        return in_transaction([&]() -> status {
            stmt find, ins, upd, unlink, link, del;
            if (auto e = find.prepare(m_db, "SELECT id FROM incidents WHERE json_extract(json, '$.id') = ? ORDER BY id LIMIT 1"); !e)
                return e;
            if (auto e = ins.prepare(m_db, "INSERT INTO incidents(first_ts, last_ts, status, score, title, json) VALUES(?,?,?,?,?,?)"); !e)
                return e;
            if (auto e = upd.prepare(m_db, "UPDATE incidents SET first_ts=?, last_ts=?, status=?, score=?, title=?, json=? WHERE id=?"); !e)
                return e;
            if (auto e = unlink.prepare(m_db, "DELETE FROM incident_alerts WHERE incident_id = ?"); !e) return e;
            if (auto e = link.prepare(m_db, "INSERT OR IGNORE INTO incident_alerts(incident_id, alert_id) "
                                            "SELECT ?, max(id) FROM alerts WHERE json_extract(json, '$.id') = ? HAVING max(id) IS NOT NULL");
                !e)
                return e;
            if (auto e = del.prepare(m_db, "DELETE FROM incidents WHERE id = ?"); !e) return e;
            auto find_id = [&](std::string_view key) -> std::int64_t {
                find.reset();
                find.text(1, key);
                return sqlite3_step(find.get()) == SQLITE_ROW ? sqlite3_column_int64(find.get(), 0) : 0;
            };
            for (const auto& key : removed) {
                std::int64_t id = find_id(key);
                find.reset();
                if (!id) continue;
                unlink.reset();
                unlink.integer(1, id);
                if (sqlite3_step(unlink.get()) != SQLITE_DONE) return sql_error(m_db, "unlink incident");
                del.reset();
                del.integer(1, id);
                if (sqlite3_step(del.get()) != SQLITE_DONE) return sql_error(m_db, "delete incident");
            }
            for (const auto& li : incidents) {
                const incident_row& r = li.row;
                std::int64_t id = find_id(li.key);
                find.reset();
                stmt& w = id ? upd : ins;
                w.reset();
                if (r.first_ts == k_no_time) w.null(1);
                else w.integer(1, r.first_ts);
                if (r.last_ts == k_no_time) w.null(2);
                else w.integer(2, r.last_ts);
                w.text(3, r.status);
                sqlite3_bind_double(w.get(), 4, r.score);
                w.text(5, r.title);
                w.text(6, r.json);
                if (id) w.integer(7, id);
                if (sqlite3_step(w.get()) != SQLITE_DONE) return sql_error(m_db, "write incident");
                if (!id) id = sqlite3_last_insert_rowid(m_db);
                unlink.reset();
                unlink.integer(1, id);
                if (sqlite3_step(unlink.get()) != SQLITE_DONE) return sql_error(m_db, "unlink incident");
                for (const auto& ak : li.alert_keys) {
                    link.reset();
                    link.integer(1, id);
                    link.text(2, ak);
                    if (sqlite3_step(link.get()) != SQLITE_DONE) return sql_error(m_db, "link incident alert");
                }
            }
            return {};
        });
    }

    result<std::vector<checkpoint>> checkpoints() override {
        stmt s;
        if (auto st = s.prepare(m_db, "SELECT key, path, offset, head_len, head_hash, done, updated FROM checkpoints ORDER BY key");
            !st)
            return st.err();
        std::vector<checkpoint> out;
        int rc;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
            checkpoint c;
            c.key = col_text(s.get(), 0);
            c.path = col_text(s.get(), 1);
            c.offset = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 2));
            c.head_len = static_cast<std::uint64_t>(sqlite3_column_int64(s.get(), 3));
            auto* p = static_cast<const char*>(sqlite3_column_blob(s.get(), 4));
            if (p) c.head_hash.assign(p, static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 4)));
            c.done = sqlite3_column_int(s.get(), 5) != 0;
            c.updated = sqlite3_column_int64(s.get(), 6);
            out.push_back(std::move(c));
        }
        if (rc != SQLITE_DONE) return sql_error(m_db, "read checkpoints");
        return out;
    }

    status put_checkpoints(std::span<const checkpoint> cps) override {
        if (m_in_group) return write_checkpoints(cps);
        return in_transaction([&] { return write_checkpoints(cps); });
    }

    status put_state(std::string_view key, std::string_view value) override {
        stmt s;
        if (auto st = s.prepare(m_db, "INSERT INTO correlation_state(key, value, updated) VALUES(?,?,?) "
                                      "ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated=excluded.updated");
            !st)
            return st;
        s.text(1, key);
        s.blob(2, value);
        s.integer(3, now_ns());
        if (sqlite3_step(s.get()) != SQLITE_DONE) return sql_error(m_db, "put state");
        return {};
    }

    result<std::string> get_state(std::string_view key) override {
        stmt s;
        if (auto st = s.prepare(m_db, "SELECT value FROM correlation_state WHERE key=?"); !st) return st.err();
        s.text(1, key);
        int rc = sqlite3_step(s.get());
        if (rc == SQLITE_ROW) {
            auto* p = static_cast<const char*>(sqlite3_column_blob(s.get(), 0));
            return std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 0)));
        }
        if (rc == SQLITE_DONE) return std::string();
        return sql_error(m_db, "get state");
    }

    result<query_result> select(std::string_view sql, std::span<const sql_value> params) override {
        sqlite3* db = m_db;
        if (!m_fts_in_main && sql.find("events_fts") != std::string_view::npos) {
            auto c = fts_reader();
            if (!c) return c.err();
            db = c.value();
        }
        sqlite3_stmt* raw = nullptr;
        if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) != SQLITE_OK)
            return sql_error(db, "query");
        std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> s(raw, sqlite3_finalize);
        if (!sqlite3_stmt_readonly(raw)) return error{"store.query", "only read-only queries are allowed"};
        for (std::size_t i = 0; i < params.size(); ++i) {
            int k = static_cast<int>(i) + 1;
            const auto& p = params[i];
            if (std::holds_alternative<std::int64_t>(p)) sqlite3_bind_int64(raw, k, std::get<std::int64_t>(p));
            else if (std::holds_alternative<double>(p)) sqlite3_bind_double(raw, k, std::get<double>(p));
            else if (std::holds_alternative<std::string>(p)) {
                const auto& v = std::get<std::string>(p);
                sqlite3_bind_text(raw, k, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
            } else sqlite3_bind_null(raw, k);
        }
        query_result out;
        int n = sqlite3_column_count(raw);
        for (int i = 0; i < n; ++i) out.columns.emplace_back(sqlite3_column_name(raw, i));
        int rc;
        while ((rc = sqlite3_step(raw)) == SQLITE_ROW) {
            row r;
            r.values.reserve(static_cast<std::size_t>(n));
            for (int i = 0; i < n; ++i) {
                switch (sqlite3_column_type(raw, i)) {
                    case SQLITE_NULL: r.values.emplace_back(std::monostate{}); break;
                    case SQLITE_INTEGER: r.values.emplace_back(std::int64_t{sqlite3_column_int64(raw, i)}); break;
                    case SQLITE_FLOAT: r.values.emplace_back(sqlite3_column_double(raw, i)); break;
                    default: r.values.emplace_back(std::string(col_text(raw, i))); break;
                }
            }
            out.rows.push_back(std::move(r));
        }
        if (rc != SQLITE_DONE) return sql_error(db, "query");
        return out;
    }

    result<verify_report> verify() override {
        verify_report rep;
        // Read consistently: one read transaction over the whole walk.
        if (auto st = exec("BEGIN"); !st) return st.err();
        auto r = verify_in_tx(rep);
        (void)exec("COMMIT");
        if (!r) return r.err();
        return rep;
    }

    result<retention_report> apply_retention(const retention_policy& p) override {
        retention_report rep;
        if (m_read_only) return error{"store.read_only", "store opened read-only"};
        if (p.max_age_s > 0) {
            timestamp_ns cutoff = now_ns() - p.max_age_s * k_ns;
            auto last = scalar_int("SELECT ifnull(max(id),0) FROM batches WHERE created < " + std::to_string(cutoff));
            if (!last) return last.err();
            if (last.value() > 0)
                if (auto st = delete_through(last.value(), rep); !st) return st.err();
        }
        if (p.max_bytes > 0) {
            // Delete oldest batches, a slice at a time, until live data fits under 90% of the bound.
            for (int round = 0; round < 64; ++round) {
                auto used = live_bytes();
                if (!used) return used.err();
                if (used.value() <= p.max_bytes) break;
                auto n_events = scalar_int("SELECT count(*) FROM batches");
                if (!n_events) return n_events.err();
                if (n_events.value() <= 1) break;
                double target = 0.9 * static_cast<double>(p.max_bytes);
                double frac = 1.0 - target / static_cast<double>(used.value());
                auto n_del = std::max<std::int64_t>(1, static_cast<std::int64_t>(frac * static_cast<double>(n_events.value())));
                n_del = std::min<std::int64_t>(n_del, n_events.value() - 1);
                auto last = scalar_int("SELECT id FROM batches ORDER BY id LIMIT 1 OFFSET " + std::to_string(n_del - 1));
                if (!last) return last.err();
                if (auto st = delete_through(last.value(), rep); !st) return st.err();
            }
        }
        if (rep.batches_deleted) {
            (void)exec("PRAGMA incremental_vacuum");
            if (m_fts_local) m_fts_local->vacuum();
        }
        return rep;
    }

    result<store_stats> stats() override {
        store_stats s;
        auto q = select("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM alerts), "
                        "(SELECT count(*) FROM incidents), (SELECT count(*) FROM batches)",
                        {});
        if (!q) return q.err();
        auto span = select(stored_time_span_sql(), {});
        if (!span) return span.err();
        auto v = q.value().rows.at(0).values;
        for (auto& x : span.value().rows.at(0).values) v.push_back(std::move(x));
        auto as_int = [](const sql_value& x) -> std::int64_t {
            return std::holds_alternative<std::int64_t>(x) ? std::get<std::int64_t>(x) : 0;
        };
        s.events = static_cast<std::uint64_t>(as_int(v[0]));
        s.alerts = static_cast<std::uint64_t>(as_int(v[1]));
        s.incidents = static_cast<std::uint64_t>(as_int(v[2]));
        s.batches = static_cast<std::uint64_t>(as_int(v[3]));
        s.first_ts = std::holds_alternative<std::int64_t>(v[4]) ? as_int(v[4]) : k_no_time;
        s.last_ts = std::holds_alternative<std::int64_t>(v[5]) ? as_int(v[5]) : k_no_time;
        auto b = live_bytes();
        if (!b) return b.err();
        s.bytes = b.value();
        return s;
    }

private:
    static constexpr std::int64_t k_ns = 1'000'000'000;

    status exec(const std::string& sql) {
        char* msg = nullptr;
        if (sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
            error e{"store.sqlite", msg ? msg : sqlite3_errmsg(m_db)};
            sqlite3_free(msg);
            return e;
        }
        return {};
    }

    result<std::int64_t> scalar_int(const std::string& sql) {
        stmt s;
        if (auto st = s.prepare(m_db, sql); !st) return st.err();
        int rc = sqlite3_step(s.get());
        if (rc == SQLITE_ROW) return std::int64_t{sqlite3_column_int64(s.get(), 0)};
        if (rc == SQLITE_DONE) return std::int64_t{0};
        return sql_error(m_db, "query");
    }

    result<std::uint64_t> live_bytes() {
        auto pc = scalar_int("PRAGMA page_count");
        auto fc = scalar_int("PRAGMA freelist_count");
        auto ps = scalar_int("PRAGMA page_size");
        if (!pc) return pc.err();
        if (!fc) return fc.err();
        if (!ps) return ps.err();
        std::uint64_t fts = 0;
        if (!m_fts_in_main)
            if (auto ix = local_fts(); ix) fts = ix.value()->live_bytes();
        return static_cast<std::uint64_t>((pc.value() - fc.value()) * ps.value()) + fts;
    }

    status prepare_writes() {
        std::string ev = "INSERT INTO events(" + events_columns_sql() + ") VALUES(?";
        for (std::size_t i = 0; i < event_values::k_n; ++i) ev += ",?";
        ev += ")";
        if (auto st = m_insert_event.prepare(m_db, ev); !st) return st;
        if (auto st = m_insert_doc.prepare(m_db, "INSERT INTO event_docs(id, file, line, offset, raw, fields, msg_off, msg_len) "
                                                 "VALUES(?,?,?,?,?,?,?,?)"); !st)
            return st;
        if (m_fts_in_main)
            if (auto st = m_insert_fts.prepare(m_db, "INSERT INTO events_fts(rowid, text) VALUES(?,?)"); !st) return st;
        if (auto st = m_insert_alert.prepare(m_db, "INSERT INTO alerts(batch, ts, rule_id, rule_name, level, event_ids, json) "
                                                   "VALUES(?,?,?,?,?,?,?)");
            !st)
            return st;
        if (auto st = m_insert_batch.prepare(m_db, "INSERT INTO batches(id, created, first_event, n_events, n_alerts, prev_hash, hash) "
                                                   "VALUES(?,?,?,?,?,?,?)");
            !st)
            return st;
        if (auto st = m_upsert_checkpoint.prepare(
                m_db, "INSERT INTO checkpoints(key, path, offset, head_len, head_hash, done, updated) VALUES(?,?,?,?,?,?,?) "
                      "ON CONFLICT(key) DO UPDATE SET path=excluded.path, offset=excluded.offset, head_len=excluded.head_len, "
                      "head_hash=excluded.head_hash, done=excluded.done, updated=excluded.updated");
            !st)
            return st;
        return {};
    }

    // The chain head and the next ids, read once and then kept in memory (one writer).
    status load_head() {
        if (m_loaded_head) return {};
        stmt s;
        if (auto st = s.prepare(m_db, "SELECT id, hash, first_event + n_events FROM batches ORDER BY id DESC LIMIT 1"); !st)
            return st;
        int rc = sqlite3_step(s.get());
        if (rc == SQLITE_ROW) {
            m_next_batch = sqlite3_column_int64(s.get(), 0) + 1;
            auto* p = static_cast<const char*>(sqlite3_column_blob(s.get(), 1));
            m_head.assign(p, static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 1)));
            m_next_event = sqlite3_column_int64(s.get(), 2);
        } else if (rc == SQLITE_DONE) {
            // Empty chain, or every batch removed by retention: continue from the anchor.
            auto anchor = meta("chain_anchor");
            m_head = anchor.empty() ? std::string(32, '\0') : from_hex(anchor);
            auto pb = meta("pruned_through");
            auto pe = meta("pruned_next_event");
            m_next_batch = (pb.empty() ? 0 : std::stoll(pb)) + 1;
            m_next_event = pe.empty() ? 1 : std::stoll(pe);
        } else {
            return sql_error(m_db, "read chain head");
        }
        auto mx = scalar_int("SELECT ifnull(max(id),0) FROM events");
        if (!mx) return mx.err();
        m_next_event = std::max(m_next_event, mx.value() + 1);
        m_loaded_head = true;
        return {};
    }

    std::string meta(const std::string& key) {
        stmt s;
        if (!s.prepare(m_db, "SELECT value FROM meta WHERE key=?").ok()) return {};
        s.text(1, key);
        if (sqlite3_step(s.get()) == SQLITE_ROW) return std::string(col_text(s.get(), 0));
        return {};
    }
    status set_meta(const std::string& key, const std::string& value) {
        stmt s;
        if (auto st = s.prepare(m_db, "INSERT INTO meta(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value");
            !st)
            return st;
        s.text(1, key);
        s.text(2, value);
        if (sqlite3_step(s.get()) != SQLITE_DONE) return sql_error(m_db, "write meta");
        return {};
    }

    static std::string from_hex(std::string_view h) {
        std::string out;
        auto nib = [](char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; };
        for (std::size_t i = 0; i + 1 < h.size(); i += 2)
            out.push_back(static_cast<char>(nib(h[i]) << 4 | nib(h[i + 1])));
        return out;
    }

    status write_checkpoints(std::span<const checkpoint> cps) {
        for (const auto& c : cps) {
            auto& s = m_upsert_checkpoint;
            s.reset();
            s.text(1, c.key);
            s.text(2, c.path);
            s.integer(3, static_cast<std::int64_t>(c.offset));
            s.integer(4, static_cast<std::int64_t>(c.head_len));
            if (c.head_hash.empty()) s.null(5);
            else s.blob(5, c.head_hash);
            s.integer(6, c.done ? 1 : 0);
            s.integer(7, c.updated ? c.updated : now_ns());
            if (sqlite3_step(s.get()) != SQLITE_DONE) return sql_error(m_db, "write checkpoint");
        }
        return {};
    }

    static void hash_alert(row_hasher& h, std::int64_t batch_id, const alert_row& a, std::string_view ids) {
        h.integer(batch_id);
        if (a.ts == k_no_time) h.null();
        else h.integer(a.ts);
        h.text(a.rule_id);
        h.text(a.rule_name);
        h.text(a.level);
        h.text(ids);
        h.text(a.json);
    }

    result<append_info> append_in_tx(const event_batch& batch, std::span<const alert_row> alerts,
                                     std::span<const checkpoint> cps, const prepared_batch* prepared) {
        if (prepared && prepared->size() != batch.size()) prepared = nullptr;
        if (auto st = load_head(); !st) return st.err();
        append_info info;
        info.batch_id = m_next_batch;
        info.first_event_id = m_next_event;
        m_hasher.start(m_head);
        m_hasher.integer(info.batch_id);
        m_hasher.integer(info.first_event_id);
        m_hasher.integer(static_cast<std::int64_t>(batch.size()));
        m_hasher.integer(static_cast<std::int64_t>(alerts.size()));
        std::int64_t id = info.first_event_id;
        for (const auto& e : batch.events()) {
            m_values.fill(batch, e);
            auto& s = m_insert_event;
            s.reset_for_rebind();
            s.integer(1, id);
            m_values.bind(s, 2);
            if (sqlite3_step(s.get()) != SQLITE_DONE) return sql_error(m_db, "insert event");

            std::string_view fields;
            if (prepared) {
                fields = prepared->fields_of(static_cast<std::size_t>(id - info.first_event_id));
            } else {
                m_fields.clear();
                fields_json(batch, e, m_fields);
                fields = m_fields;
            }
            auto& d = m_insert_doc;
            d.reset_for_rebind();
            d.integer(1, id);
            if (e.file.empty()) d.null(2);
            else d.text(2, e.file);
            if (e.line) d.integer(3, static_cast<std::int64_t>(e.line));
            else d.null(3);
            if (e.line == 0 && !e.file.empty()) d.integer(4, static_cast<std::int64_t>(e.offset));
            else d.null(4);
            d.text(5, e.raw.empty() ? std::string_view("", 0) : e.raw);
            d.text(6, fields.empty() ? std::string_view("", 0) : fields);
            std::string_view text = e.raw;
            m_msg_off = -1;
            if (const field* msg = batch.find(e, f::message);
                msg && !msg->value.empty() && msg->value.data() >= e.raw.data() &&
                msg->value.data() + msg->value.size() <= e.raw.data() + e.raw.size()) {
                m_msg_off = msg->value.data() - e.raw.data();
                m_msg_len = static_cast<std::int64_t>(msg->value.size());
                text = msg->value;
                d.integer(7, m_msg_off);
                d.integer(8, static_cast<std::int64_t>(text.size()));
            } else {
                d.null(7);
                d.null(8);
            }
            if (sqlite3_step(d.get()) != SQLITE_DONE) return sql_error(m_db, "insert event document");
            if (m_indexer.joinable()) m_pending.add(id, text);

            if (m_fts_in_main) {
                auto& f = m_insert_fts;
                f.reset();
                f.integer(1, id);
                f.text(2, text.empty() ? std::string_view("", 0) : text);
                if (sqlite3_step(f.get()) != SQLITE_DONE) return sql_error(m_db, "index event text");
            }

            m_hasher.integer(id);
            m_values.hash(m_hasher);
            hash_doc(m_hasher, e, fields);
            ++id;
        }
        std::string ids;
        for (const auto& a : alerts) {
            ids.clear();
            for (auto ix : a.event_indexes) {
                if (!ids.empty()) ids.push_back(',');
                ids += std::to_string(info.first_event_id + ix);
            }
            auto& s = m_insert_alert;
            s.reset();
            s.integer(1, info.batch_id);
            if (a.ts == k_no_time) s.null(2);
            else s.integer(2, a.ts);
            s.text(3, a.rule_id.empty() ? std::string_view("", 0) : std::string_view(a.rule_id));
            s.text(4, a.rule_name.empty() ? std::string_view("", 0) : std::string_view(a.rule_name));
            s.text(5, a.level.empty() ? std::string_view("", 0) : std::string_view(a.level));
            s.text(6, ids.empty() ? std::string_view("", 0) : std::string_view(ids));
            s.text(7, a.json.empty() ? std::string_view("", 0) : std::string_view(a.json));
            if (sqlite3_step(s.get()) != SQLITE_DONE) return sql_error(m_db, "insert alert");
            hash_alert(m_hasher, info.batch_id, a, ids);
        }
        std::string hash = m_hasher.finish();
        auto& b = m_insert_batch;
        b.reset();
        b.integer(1, info.batch_id);
        b.integer(2, now_ns());
        b.integer(3, info.first_event_id);
        b.integer(4, static_cast<std::int64_t>(batch.size()));
        b.integer(5, static_cast<std::int64_t>(alerts.size()));
        b.blob(6, m_head);
        b.blob(7, hash);
        if (sqlite3_step(b.get()) != SQLITE_DONE) return sql_error(m_db, "insert batch");
        if (auto st = write_checkpoints(cps); !st) return st.err();
        m_head = hash;
        m_next_batch = info.batch_id + 1;
        m_next_event = id;
        info.hash = to_hex(hash);
        return info;
    }

    // A batch without events holding alerts on events stored earlier: the same chain link as
    // append_in_tx writes, with event ids given directly.
    result<std::vector<std::int64_t>> put_alerts_in_tx(std::span<const late_alert_row> alerts) {
        if (auto st = load_head(); !st) return st.err();
        std::int64_t batch_id = m_next_batch;
        m_hasher.start(m_head);
        m_hasher.integer(batch_id);
        m_hasher.integer(m_next_event);
        m_hasher.integer(0);
        m_hasher.integer(static_cast<std::int64_t>(alerts.size()));
        std::vector<std::int64_t> out;
        out.reserve(alerts.size());
        std::string ids;
        for (const auto& la : alerts) {
            const alert_row& a = la.row;
            ids.clear();
            for (auto id : la.event_ids) {
                if (!ids.empty()) ids.push_back(',');
                ids += std::to_string(id);
            }
            auto& s = m_insert_alert;
            s.reset();
            s.integer(1, batch_id);
            if (a.ts == k_no_time) s.null(2);
            else s.integer(2, a.ts);
            s.text(3, a.rule_id.empty() ? std::string_view("", 0) : std::string_view(a.rule_id));
            s.text(4, a.rule_name.empty() ? std::string_view("", 0) : std::string_view(a.rule_name));
            s.text(5, a.level.empty() ? std::string_view("", 0) : std::string_view(a.level));
            s.text(6, ids.empty() ? std::string_view("", 0) : std::string_view(ids));
            s.text(7, a.json.empty() ? std::string_view("", 0) : std::string_view(a.json));
            if (sqlite3_step(s.get()) != SQLITE_DONE) return sql_error(m_db, "insert alert");
            out.push_back(sqlite3_last_insert_rowid(m_db));
            hash_alert(m_hasher, batch_id, a, ids);
        }
        std::string hash = m_hasher.finish();
        auto& b = m_insert_batch;
        b.reset();
        b.integer(1, batch_id);
        b.integer(2, now_ns());
        b.integer(3, m_next_event);
        b.integer(4, 0);
        b.integer(5, static_cast<std::int64_t>(alerts.size()));
        b.blob(6, m_head);
        b.blob(7, hash);
        if (sqlite3_step(b.get()) != SQLITE_DONE) return sql_error(m_db, "insert batch");
        m_head = hash;
        m_next_batch = batch_id + 1;
        return out;
    }

    // The event_docs part of a row, as stored (see append_in_tx for the NULL rules).
    void hash_doc(row_hasher& h, const event& e, std::string_view fields) {
        if (e.file.empty()) h.null();
        else h.text(e.file);
        if (e.line) h.integer(static_cast<std::int64_t>(e.line));
        else h.null();
        if (e.line == 0 && !e.file.empty()) h.integer(static_cast<std::int64_t>(e.offset));
        else h.null();
        h.text(e.raw);
        h.text(fields);
        if (m_msg_off < 0) {
            h.null();
            h.null();
        } else {
            h.integer(m_msg_off);
            h.integer(m_msg_len);
        }
    }

    status verify_in_tx(verify_report& rep) {
        auto pb = meta("pruned_through");
        rep.pruned_through = pb.empty() ? 0 : std::stoll(pb);
        auto anchor = meta("chain_anchor");
        std::string prev = anchor.empty() ? std::string(32, '\0') : from_hex(anchor);
        std::int64_t expect_batch = rep.pruned_through + 1;
        auto pne = meta("pruned_next_event");
        std::int64_t expect_event = pne.empty() ? 1 : std::stoll(pne);

        stmt batches, events, alerts;
        if (auto st = batches.prepare(m_db, "SELECT id, first_event, n_events, n_alerts, prev_hash, hash FROM batches ORDER BY id");
            !st)
            return st;
        if (auto st = events.prepare(m_db, "SELECT e." + replace_all(events_columns_sql(), ", ", ", e.") +
                                               ", d.id, d.file, d.line, d.offset, d.raw, d.fields, d.msg_off, d.msg_len FROM events e "
                                               "LEFT JOIN event_docs d ON d.id = e.id WHERE e.id >= ? AND e.id < ? ORDER BY e.id");
            !st)
            return st;
        if (auto st = alerts.prepare(m_db, "SELECT batch, ts, rule_id, rule_name, level, event_ids, json FROM alerts "
                                           "WHERE batch = ? ORDER BY id");
            !st)
            return st;
        const int n_event_cols = static_cast<int>(event_values::k_n) + 1;
        auto fail = [&](std::int64_t b, std::string why) {
            rep.ok = false;
            rep.broken_batch = b;
            rep.reason = std::move(why);
        };
        int rc;
        while ((rc = sqlite3_step(batches.get())) == SQLITE_ROW) {
            std::int64_t bid = sqlite3_column_int64(batches.get(), 0);
            std::int64_t first = sqlite3_column_int64(batches.get(), 1);
            std::int64_t n = sqlite3_column_int64(batches.get(), 2);
            std::int64_t na = sqlite3_column_int64(batches.get(), 3);
            auto* pp = static_cast<const char*>(sqlite3_column_blob(batches.get(), 4));
            std::string stored_prev(pp ? pp : "", static_cast<std::size_t>(sqlite3_column_bytes(batches.get(), 4)));
            auto* hp = static_cast<const char*>(sqlite3_column_blob(batches.get(), 5));
            std::string stored_hash(hp ? hp : "", static_cast<std::size_t>(sqlite3_column_bytes(batches.get(), 5)));
            if (bid != expect_batch) {
                fail(expect_batch, "batch " + std::to_string(expect_batch) + " is missing (next stored batch is " +
                                       std::to_string(bid) + ")");
                return {};
            }
            if (first != expect_event) {
                fail(bid, "its first event id " + std::to_string(first) + " does not follow the previous batch (" +
                              std::to_string(expect_event) + ")");
                return {};
            }
            if (stored_prev != prev) {
                fail(bid, "its link to the previous batch does not match that batch's hash");
                return {};
            }
            m_hasher.start(prev);
            m_hasher.integer(bid);
            m_hasher.integer(first);
            m_hasher.integer(n);
            m_hasher.integer(na);
            events.reset();
            events.integer(1, first);
            events.integer(2, first + n);
            std::int64_t expect_id = first, seen = 0;
            while ((rc = sqlite3_step(events.get())) == SQLITE_ROW) {
                std::int64_t id = sqlite3_column_int64(events.get(), 0);
                if (id != expect_id) {
                    fail(bid, "event " + std::to_string(expect_id) + " is missing");
                    return {};
                }
                if (sqlite3_column_type(events.get(), n_event_cols) == SQLITE_NULL) {
                    fail(bid, "the document of event " + std::to_string(id) + " is missing");
                    return {};
                }
                m_hasher.integer(id);
                for (int c = 1; c < n_event_cols; ++c) m_hasher.column(events.get(), c);
                for (int c = n_event_cols + 1; c < n_event_cols + 8; ++c) m_hasher.column(events.get(), c);
                ++expect_id;
                ++seen;
            }
            if (rc != SQLITE_DONE) return sql_error(m_db, "read events");
            if (seen != n) {
                fail(bid, "holds " + std::to_string(seen) + " event(s) where " + std::to_string(n) + " were stored");
                return {};
            }
            alerts.reset();
            alerts.integer(1, bid);
            std::int64_t alerts_seen = 0;
            while ((rc = sqlite3_step(alerts.get())) == SQLITE_ROW) {
                for (int c = 0; c < 7; ++c) m_hasher.column(alerts.get(), c);
                ++alerts_seen;
            }
            if (rc != SQLITE_DONE) return sql_error(m_db, "read alerts");
            if (alerts_seen != na) {
                fail(bid, "holds " + std::to_string(alerts_seen) + " alert(s) where " + std::to_string(na) + " were stored");
                return {};
            }
            if (m_hasher.finish() != stored_hash) {
                fail(bid, "its events or alerts were changed after they were stored");
                return {};
            }
            prev = stored_hash;
            rep.batches++;
            rep.events += static_cast<std::uint64_t>(n);
            rep.alerts += static_cast<std::uint64_t>(na);
            expect_batch = bid + 1;
            expect_event = first + n;
        }
        if (rc != SQLITE_DONE) return sql_error(m_db, "read batches");
        // Rows outside every batch were added behind the chain's back.
        auto pe = meta("pruned_next_event");
        std::int64_t lo = pe.empty() ? 1 : std::stoll(pe);
        auto stray = scalar_int("SELECT count(*) FROM events WHERE id < " + std::to_string(lo) + " OR id >= " +
                                std::to_string(expect_event));
        if (!stray) return stray.err();
        if (stray.value() > 0) {
            fail(expect_batch, std::to_string(stray.value()) + " event(s) are stored outside every batch");
            return {};
        }
        rep.head = to_hex(prev);
        return {};
    }

    static std::string replace_all(std::string s, std::string_view from, std::string_view to) {
        for (std::size_t p = 0; (p = s.find(from, p)) != std::string::npos; p += to.size()) s.replace(p, from.size(), to);
        return s;
    }

    // Remove every batch up to `last` with its events (alerts stay: they are small and are what
    // a person looks back at), and move the chain's anchor there.
    status delete_through(std::int64_t last, retention_report& rep) {
        // The indexer thread may hold texts of stored events it has not written yet, some of them
        // about to be deleted: index everything stored first, so that remove_indexed finds them
        // all (the indexer, seeing `through` moved past what it held, drops it).
        if (!m_fts_in_main) {
            auto ix = local_fts();
            if (!ix) return ix.err();
            if (auto st = ix.value()->catch_up(); !st) return st;
        }
        // Slices of at most ~50k events so the writer never holds the lock for long.
        for (;;) {
            if (auto st = exec("BEGIN IMMEDIATE"); !st) return st;
            auto fn = [&]() -> result<bool> {
                stmt s;
                if (auto st = s.prepare(m_db, "SELECT id, hash, first_event, first_event + n_events FROM batches "
                                              "WHERE id <= ? ORDER BY id");
                    !st)
                    return st.err();
                s.integer(1, last);
                std::int64_t upto_batch = 0, start_event = -1, end_event = 0, n = 0;
                std::string hash;
                int rc;
                while ((rc = sqlite3_step(s.get())) == SQLITE_ROW) {
                    upto_batch = sqlite3_column_int64(s.get(), 0);
                    auto* hp = static_cast<const char*>(sqlite3_column_blob(s.get(), 1));
                    hash.assign(hp, static_cast<std::size_t>(sqlite3_column_bytes(s.get(), 1)));
                    if (start_event < 0) start_event = sqlite3_column_int64(s.get(), 2);
                    end_event = sqlite3_column_int64(s.get(), 3);
                    ++n;
                    if (end_event - start_event >= 50'000) break;
                }
                if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_error(m_db, "read batches");
                if (upto_batch == 0) return false;
                s = stmt{};
                auto before = scalar_int("SELECT count(*) FROM events WHERE id < " + std::to_string(end_event));
                if (!before) return before.err();
                std::string e = std::to_string(end_event);
                if (m_fts_in_main) {
                    if (auto st = exec("INSERT INTO events_fts(events_fts, rowid, text) SELECT 'delete', id, text FROM event_text WHERE id < " + e);
                        !st)
                        return st.err();
                } else if (auto st = remove_indexed(end_event); !st) {
                    return st.err();
                }
                if (auto st = exec("DELETE FROM event_docs WHERE id < " + e + "; DELETE FROM events WHERE id < " + e +
                                   "; DELETE FROM batches WHERE id <= " + std::to_string(upto_batch));
                    !st)
                    return st.err();
                if (auto st = set_meta("chain_anchor", to_hex(hash)); !st) return st.err();
                if (auto st = set_meta("pruned_through", std::to_string(upto_batch)); !st) return st.err();
                if (auto st = set_meta("pruned_next_event", e); !st) return st.err();
                rep.batches_deleted += static_cast<std::uint64_t>(n);
                rep.events_deleted += static_cast<std::uint64_t>(before.value());
                return upto_batch < last;
            };
            auto more = fn();
            if (!more) {
                (void)exec("ROLLBACK");
                if (m_fts_deleting) m_fts_local->rollback();
                m_fts_deleting = false;
                return more.err();
            }
            if (auto st = exec("COMMIT"); !st) {
                (void)exec("ROLLBACK");
                if (m_fts_deleting) m_fts_local->rollback();
                m_fts_deleting = false;
                return st;
            }
            // The index after the events: a crash in between leaves texts of deleted events in
            // it (never found: searches join on stored events, and ids are not reused), never
            // stored events missing from it.
            if (m_fts_deleting) {
                m_fts_deleting = false;
                if (auto st = m_fts_local->commit(); !st) {
                    m_fts_local->rollback();
                    return st;
                }
            }
            if (!more.value()) return {};
        }
    }

    // Inside delete_through's transaction: remove from the separate full-text index the texts
    // of the events below `end` it holds (those up to its `through`), read before they are
    // deleted. The index's transaction is committed after the main one.
    status remove_indexed(std::int64_t end) {
        auto ix = local_fts();
        if (!ix) return ix.err();
        auto through = ix.value()->begin_delete();
        if (!through) return through.err();
        m_fts_deleting = true;
        if (through.value() <= 0) return {};
        stmt s;
        if (auto st = s.prepare(m_db, "SELECT id, text FROM event_text WHERE id < ? AND id <= ? ORDER BY id"); !st) return st;
        s.integer(1, end);
        s.integer(2, through.value());
        int rc;
        while ((rc = sqlite3_step(s.get())) == SQLITE_ROW)
            if (auto st = ix.value()->remove(sqlite3_column_int64(s.get(), 0), col_text(s.get(), 1)); !st) return st;
        if (rc != SQLITE_DONE) return sql_error(m_db, "read event texts");
        return {};
    }

    sqlite3* m_db = nullptr;
    sqlite3* m_reader = nullptr;  // searches of a writable store (fts_reader)
    bool m_attached = false;
    bool m_fts_in_main = false;   // a store from before the index had its own file
    bool m_fts_deleting = false;
    std::string m_path, m_fts_uid;
    std::unique_ptr<fts_index> m_fts_local;
    std::thread m_indexer, m_checkpointer;
    text_handoff m_pending;  // texts of the writer's open transaction
    text_handoff m_handoff;  // committed, for the indexer (m_ix_mu)
    std::mutex m_ckpt_mu;  // one checkpoint at a time (the checkpointer's or restart_wal's)
    int m_wal_frames = 0;
    static constexpr int k_wal_restart_frames = 16384;  // 256 MiB of 16 KiB pages
    std::mutex m_ix_mu;
    std::condition_variable m_ix_cv;
    bool m_ix_stop = false;
    std::uint64_t m_ix_gen = 0;
    bool m_read_only = false;
    bool m_loaded_head = false;
    bool m_in_group = false;
    std::string m_head;
    std::int64_t m_next_batch = 1, m_next_event = 1;
    stmt m_insert_event, m_insert_doc, m_insert_fts, m_insert_alert, m_insert_batch, m_upsert_checkpoint;
    row_hasher m_hasher;
    event_values m_values;
    std::string m_fields;
    std::int64_t m_msg_off = -1, m_msg_len = 0;
};

}  // namespace

result<std::unique_ptr<store>> open_sqlite(const sqlite_options& opts) {
    // Memory statistics take a global mutex on every allocation; nothing here reads them.
    static const bool k_configured = [] {
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
        return true;
    }();
    (void)k_configured;
    auto s = std::make_unique<sqlite_store>();
    if (auto st = s->open(opts); !st) return st.err();
    return std::unique_ptr<store>(std::move(s));
}

}  // namespace mimamori::store
