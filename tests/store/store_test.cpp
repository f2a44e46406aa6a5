// The SQLite store: batched appends, checkpoints in the same transaction, the hash chain and
// `verify`, retention, correlation state.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <random>
#include <string>

#include "core/fields.hpp"
#include "store/schema.hpp"
#include "store/store.hpp"

namespace fs = std::filesystem;
using namespace mimamori;

namespace {

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("mimamori_store_" + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~temp_dir() { fs::remove_all(path); }
    std::string db() const { return (path / "m.db").string(); }
};

void add_event(event_batch& b, timestamp_ns ts, std::string_view raw, std::string_view ip, std::string_view user,
               std::string_view port = "22") {
    auto& e = b.begin();
    e.ts = ts;
    e.raw = b.copy(raw);
    e.source_type = "linux.auth";
    e.file = "/var/log/auth.log";
    e.line = b.size();
    b.add_copy(f::source_ip, ip);
    b.add_copy(f::user_name, user);
    b.add_copy(f::destination_port, port);
    b.add(f::event_outcome, "failure");
    if (raw.size() > 4) b.add(f::message, e.raw.substr(2));  // as a parser would: a view into raw
    b.add(f::tags, "a");
    b.add(f::tags, "b");
    b.commit();
}

std::unique_ptr<store::store> open_rw(const std::string& path) {
    auto s = store::open_sqlite({.path = path});
    EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
    return std::move(s.value());
}

void exec(const std::string& db, const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char* msg = nullptr;
    EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "");
    sqlite3_free(msg);
    sqlite3_close(h);
}

constexpr timestamp_ns k_t0 = 1'700'000'000LL * 1'000'000'000;

}  // namespace

TEST(store, append_assigns_consecutive_ids_and_roundtrips_json) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    add_event(b, k_t0, "Failed password for root from 10.0.0.1 port 22", "10.0.0.1", "root");
    add_event(b, k_t0 + 1, "Failed password for bob from 10.0.0.2 port 22", "10.0.0.2", "bob");
    auto r = s->append(b, {}, {});
    ASSERT_TRUE(r.ok()) << r.err().message;
    EXPECT_EQ(r.value().batch_id, 1);
    EXPECT_EQ(r.value().first_event_id, 1);
    auto r2 = s->append(b, {}, {});
    ASSERT_TRUE(r2.ok());
    EXPECT_EQ(r2.value().batch_id, 2);
    EXPECT_EQ(r2.value().first_event_id, 3);

    auto q = s->select("SELECT e.ts, e.source_type, d.file, d.line, d.offset, d.fields, d.raw, e.parse_error, "
                       "e.source_ip, e.destination_port, d.msg_off, d.msg_len FROM events e JOIN event_docs d ON d.id=e.id WHERE e.id=?",
                       std::vector<store::sql_value>{std::int64_t{2}});
    ASSERT_TRUE(q.ok()) << q.err().message;
    ASSERT_EQ(q.value().rows.size(), 1u);
    const auto& v = q.value().rows[0].values;
    EXPECT_EQ(std::get<std::string>(v[8]), "10.0.0.2");
    EXPECT_EQ(std::get<std::int64_t>(v[9]), 22);
    std::string got;
    store::stored_event_json(std::get<std::int64_t>(v[0]), std::get<std::string>(v[1]), std::get<std::string>(v[2]),
                             std::get<std::int64_t>(v[3]), 0, std::get<std::string>(v[5]), std::get<std::string>(v[6]),
                             "", got, std::get<std::int64_t>(v[10]), std::get<std::int64_t>(v[11]));
    std::string want;
    write_event_json(b, b[1], want);
    EXPECT_EQ(got, want);
    // The message, a slice of the raw record, is stored once: null in the fields JSON, put back
    // in its place when read.
    EXPECT_NE(std::get<std::string>(v[5]).find("\"message\":null"), std::string::npos) << std::get<std::string>(v[5]);
    EXPECT_NE(want.find("\"message\":\"iled password for bob"), std::string::npos) << want;
}

TEST(store, full_text_search_finds_terms) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    add_event(b, k_t0, "Accepted publickey for alice from 10.0.0.1", "10.0.0.1", "alice");
    add_event(b, k_t0, "Failed password for mallory from 10.9.9.9", "10.9.9.9", "mallory");
    ASSERT_TRUE(s->append(b, {}, {}).ok());
    auto q = s->select("SELECT rowid FROM events_fts WHERE events_fts MATCH ?",
                       std::vector<store::sql_value>{std::string("mallory")});
    ASSERT_TRUE(q.ok()) << q.err().message;
    ASSERT_EQ(q.value().rows.size(), 1u);
    EXPECT_EQ(std::get<std::int64_t>(q.value().rows[0].values[0]), 2);
    // Only the message is indexed when there is one: the first two bytes of raw are not in it.
    q = s->select("SELECT count(*) FROM events_fts WHERE events_fts MATCH 'Failed'", {});
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(std::get<std::int64_t>(q.value().rows[0].values[0]), 0);
    q = s->select("SELECT text FROM event_text WHERE id = 2", {});
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(std::get<std::string>(q.value().rows[0].values[0]), "iled password for mallory from 10.9.9.9");
}

TEST(store, checkpoints_commit_with_their_batch) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    add_event(b, k_t0, "x", "10.0.0.1", "a");
    store::checkpoint c{.key = "file:1:2", .path = "/var/log/x", .offset = 123, .head_len = 3, .head_hash = std::string(32, 'h')};
    ASSERT_TRUE(s->append(b, {}, std::vector<store::checkpoint>{c}).ok());
    c.offset = 456;
    ASSERT_TRUE(s->append(b, {}, std::vector<store::checkpoint>{c}).ok());
    s.reset();
    auto s2 = open_rw(d.db());
    auto cps = s2->checkpoints();
    ASSERT_TRUE(cps.ok());
    ASSERT_EQ(cps.value().size(), 1u);
    EXPECT_EQ(cps.value()[0].offset, 456u);
    EXPECT_EQ(cps.value()[0].head_hash, std::string(32, 'h'));
    // Ids continue after a reopen.
    auto r = s2->append(b, {}, {});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().first_event_id, 3);
    EXPECT_EQ(r.value().batch_id, 3);
}

TEST(store, verify_passes_on_untouched_store) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    for (int i = 0; i < 50; ++i) add_event(b, k_t0 + i, "line " + std::to_string(i), "10.0.0.1", "u");
    store::alert_row a{.ts = k_t0, .rule_id = "r1", .rule_name = "brute force", .level = "high", .json = "{}",
                       .event_indexes = {0, 3}};
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(s->append(b, std::vector<store::alert_row>{a}, {}).ok());
    auto rep = s->verify();
    ASSERT_TRUE(rep.ok()) << rep.err().message;
    EXPECT_TRUE(rep.value().ok) << rep.value().reason;
    EXPECT_EQ(rep.value().batches, 5u);
    EXPECT_EQ(rep.value().events, 250u);
    EXPECT_EQ(rep.value().alerts, 5u);
    EXPECT_EQ(rep.value().head.size(), 64u);
    auto q = s->select("SELECT event_ids FROM alerts WHERE batch=2", {});
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(std::get<std::string>(q.value().rows.at(0).values[0]), "51,54");
}

TEST(store, verify_reports_first_tampered_batch) {
    struct tamper_case {
        const char* name;
        const char* sql;
        std::int64_t broken;
    };
    const tamper_case cases[] = {
        {"raw edited", "UPDATE event_docs SET raw='edited' WHERE id=25", 3},
        {"column edited", "UPDATE events SET user_name='nobody' WHERE id=31", 4},
        {"event deleted", "DELETE FROM events WHERE id=12", 2},
        {"alert edited", "UPDATE alerts SET level='low' WHERE batch=4", 4},
        {"alert deleted", "DELETE FROM alerts WHERE batch=5", 5},
        {"batch deleted", "DELETE FROM batches WHERE id=2", 2},
        {"event inserted", "INSERT INTO events(id, ts) VALUES(1000, 1)", 6},
    };
    for (const auto& c : cases) {
        temp_dir d;
        {
            auto s = open_rw(d.db());
            for (int k = 0; k < 5; ++k) {
                event_batch b;
                for (int i = 0; i < 10; ++i) add_event(b, k_t0 + i, "line " + std::to_string(i), "10.0.0.1", "u");
                store::alert_row a{.ts = k_t0, .rule_id = "r", .rule_name = "n", .level = "high", .json = "{}", .event_indexes = {1}};
                ASSERT_TRUE(s->append(b, std::vector<store::alert_row>{a}, {}).ok());
            }
        }
        exec(d.db(), c.sql);
        auto s = store::open_sqlite({.path = d.db(), .read_only = true});
        ASSERT_TRUE(s.ok()) << s.err().message;
        auto rep = s.value()->verify();
        ASSERT_TRUE(rep.ok()) << rep.err().message;
        EXPECT_FALSE(rep.value().ok) << c.name;
        EXPECT_EQ(rep.value().broken_batch, c.broken) << c.name << ": " << rep.value().reason;
    }
}

TEST(store, retention_by_age_keeps_chain_verifiable) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    for (int i = 0; i < 20; ++i) add_event(b, k_t0 + i, "old line " + std::to_string(i), "10.0.0.1", "u");
    for (int k = 0; k < 3; ++k) ASSERT_TRUE(s->append(b, {}, {}).ok());
    // Make the first two batches look old.
    exec(d.db(), "UPDATE batches SET created = 1 WHERE id <= 2");
    auto rep = s->apply_retention({.max_age_s = 3600});
    ASSERT_TRUE(rep.ok()) << rep.err().message;
    EXPECT_EQ(rep.value().batches_deleted, 2u);
    EXPECT_EQ(rep.value().events_deleted, 40u);
    ASSERT_TRUE(s->append(b, {}, {}).ok());
    auto v = s->verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.value().ok) << v.value().reason;
    EXPECT_EQ(v.value().batches, 2u);
    EXPECT_EQ(v.value().pruned_through, 2);
    auto q = s->select("SELECT count(*) FROM events_fts WHERE events_fts MATCH 'line'", {});
    ASSERT_TRUE(q.ok());
    EXPECT_EQ(std::get<std::int64_t>(q.value().rows[0].values[0]), 40);
    // The full-text index (its own file) lost exactly what was deleted: FTS5 checks itself.
    exec(d.db() + ".fts", "INSERT INTO events_fts(events_fts) VALUES('integrity-check')");
    auto st = s->stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st.value().events, 40u);
}

TEST(store, retention_by_size_shrinks_live_data) {
    temp_dir d;
    auto s = open_rw(d.db());
    std::string pad(400, 'x');
    for (int k = 0; k < 20; ++k) {
        event_batch b;
        for (int i = 0; i < 200; ++i) add_event(b, k_t0 + i, pad + std::to_string(k * 1000 + i), "10.0.0.1", "u");
        ASSERT_TRUE(s->append(b, {}, {}).ok());
    }
    auto before = s->stats();
    ASSERT_TRUE(before.ok());
    std::uint64_t limit = before.value().bytes / 2;
    auto rep = s->apply_retention({.max_bytes = limit});
    ASSERT_TRUE(rep.ok()) << rep.err().message;
    EXPECT_GT(rep.value().batches_deleted, 0u);
    auto after = s->stats();
    ASSERT_TRUE(after.ok());
    EXPECT_LE(after.value().bytes, limit);
    EXPECT_GT(after.value().events, 0u);
    auto v = s->verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.value().ok) << v.value().reason;
}

TEST(store, correlation_state_roundtrips) {
    temp_dir d;
    auto s = open_rw(d.db());
    ASSERT_TRUE(s->put_state("brute:10.0.0.1", std::string("\0\1\2", 3)).ok());
    ASSERT_TRUE(s->put_state("brute:10.0.0.1", std::string("\3\4", 2)).ok());
    auto v = s->get_state("brute:10.0.0.1");
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v.value(), std::string("\3\4", 2));
    auto none = s->get_state("nope");
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none.value().empty());
}

TEST(store, select_refuses_writes) {
    temp_dir d;
    auto s = open_rw(d.db());
    auto r = s->select("DELETE FROM events", {});
    EXPECT_FALSE(r.ok());
}

TEST(store, grouped_appends_commit_or_roll_back_together) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    for (int i = 0; i < 10; ++i) add_event(b, k_t0 + i, "line " + std::to_string(i), "10.0.0.1", "u");
    store::checkpoint c;
    c.key = "file:1:2";
    c.path = "/var/log/x";
    c.offset = 10;
    ASSERT_TRUE(s->append(b, {}, std::vector<store::checkpoint>{c}).ok());
    // A group that fails half-way leaves nothing behind: neither its events nor its checkpoints.
    ASSERT_TRUE(s->begin_group().ok());
    c.offset = 20;
    ASSERT_TRUE(s->append(b, {}, std::vector<store::checkpoint>{c}).ok());
    c.offset = 30;
    ASSERT_TRUE(s->put_checkpoints(std::vector<store::checkpoint>{c}).ok());
    s->rollback_group();
    auto st = s->stats();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st.value().events, 10u);
    EXPECT_EQ(s->checkpoints().value().at(0).offset, 10u);
    // A committed group: each append is its own chain link, ids continue where the store is.
    ASSERT_TRUE(s->begin_group().ok());
    auto r1 = s->append(b, {}, {});
    c.offset = 40;
    auto r2 = s->append(b, {}, std::vector<store::checkpoint>{c});
    ASSERT_TRUE(r1.ok() && r2.ok());
    EXPECT_EQ(r1.value().batch_id, 2);
    EXPECT_EQ(r1.value().first_event_id, 11);
    EXPECT_EQ(r2.value().batch_id, 3);
    ASSERT_TRUE(s->commit_group().ok());
    s.reset();
    auto s2 = open_rw(d.db());
    EXPECT_EQ(s2->stats().value().events, 30u);
    EXPECT_EQ(s2->checkpoints().value().at(0).offset, 40u);
    auto rep = s2->verify();
    ASSERT_TRUE(rep.ok());
    EXPECT_TRUE(rep.value().ok) << rep.value().reason;
    EXPECT_EQ(rep.value().batches, 3u);
}

// The full-text index lives in its own file (<store>.fts) and is derived data: a search first
// brings it up to date; one that is missing, belongs to another store or is ahead of the store
// (which lost transactions) is rebuilt, so a reused id never finds the text it had before.
TEST(store, full_text_index_catches_up_and_is_rebuilt_when_it_does_not_match) {
    temp_dir d;
    auto count = [&](store::store& s, const std::string& term) -> std::int64_t {
        auto q = s.select("SELECT count(*) FROM events e WHERE e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)",
                          std::vector<store::sql_value>{term});
        EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.err().message);
        return q.ok() ? std::get<std::int64_t>(q.value().rows[0].values[0]) : -1;
    };
    auto batch_of = [](const std::string& word) {
        event_batch b;
        for (int i = 0; i < 50; ++i) add_event(b, k_t0 + i, "xx" + word + " line " + std::to_string(i), "10.0.0.1", "u");
        return b;
    };
    const fs::path db = d.db(), fts = d.db() + ".fts";
    {
        auto s = open_rw(d.db());
        ASSERT_TRUE(s->append(batch_of("alpha"), {}, {}).ok());
    }
    // A copy of the store as it was after the first batch (as if it lost the second to a power cut).
    fs::copy_file(db, d.path / "old.db");
    {
        auto s = open_rw(d.db());
        ASSERT_TRUE(s->append(batch_of("bravo"), {}, {}).ok());
        EXPECT_EQ(count(*s, "bravo"), 50);
    }
    // The index is ahead of the store: rebuilt, the lost batch's text is not found, and the
    // ids it had now find what is stored under them.
    fs::copy_file(d.path / "old.db", db, fs::copy_options::overwrite_existing);
    {
        auto s = open_rw(d.db());
        EXPECT_EQ(count(*s, "alpha"), 50);
        EXPECT_EQ(count(*s, "bravo"), 0);
        ASSERT_TRUE(s->append(batch_of("charlie"), {}, {}).ok());
        EXPECT_EQ(count(*s, "charlie"), 50);
        EXPECT_EQ(count(*s, "bravo"), 0);
        EXPECT_EQ(count(*s, "line"), 100);
    }
    // Missing: rebuilt from the store, also by a read-only search.
    for (const char* ext : {"", "-wal", "-shm"}) fs::remove(fts.string() + ext);
    {
        auto s = store::open_sqlite({.path = d.db(), .read_only = true});
        ASSERT_TRUE(s.ok());
        EXPECT_EQ(count(*s.value(), "line"), 100);
        EXPECT_EQ(count(*s.value(), "charlie"), 50);
    }
    // Another store's index: rebuilt.
    temp_dir other;
    {
        auto s = open_rw(other.db());
        ASSERT_TRUE(s->append(batch_of("delta"), {}, {}).ok());
    }
    for (const char* ext : {"-wal", "-shm"}) fs::remove(fts.string() + ext);
    fs::copy_file(other.db() + ".fts", fts, fs::copy_options::overwrite_existing);
    {
        auto s = open_rw(d.db());
        EXPECT_EQ(count(*s, "delta"), 0);
        EXPECT_EQ(count(*s, "alpha"), 50);
    }
    exec(fts.string(), "INSERT INTO events_fts(events_fts) VALUES('integrity-check')");
}

// The index file merges its segments 16 at a time, not FTS5's default 4: a third less CPU per
// indexed text (bench/serve/README.md). Set on every open, so older index files get it too.
TEST(store, full_text_index_merges_sixteen_segments_at_a_time) {
    temp_dir d;
    auto automerge = [&]() -> std::int64_t {
        sqlite3* h = nullptr;
        EXPECT_EQ(sqlite3_open_v2((d.db() + ".fts").c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt* q = nullptr;
        std::int64_t v = -1;
        if (sqlite3_prepare_v2(h, "SELECT v FROM events_fts_config WHERE k='automerge'", -1, &q, nullptr) == SQLITE_OK &&
            sqlite3_step(q) == SQLITE_ROW)
            v = sqlite3_column_int64(q, 0);
        sqlite3_finalize(q);
        sqlite3_close(h);
        return v;
    };
    {
        auto s = open_rw(d.db());
        event_batch b;
        add_event(b, k_t0, "xxalpha", "10.0.0.1", "u");
        ASSERT_TRUE(s->append(b, {}, {}).ok());
    }
    EXPECT_EQ(automerge(), 16);
    exec(d.db() + ".fts", "INSERT INTO events_fts(events_fts, rank) VALUES('automerge', 4)");
    ASSERT_EQ(automerge(), 4);
    { auto s = open_rw(d.db()); }
    EXPECT_EQ(automerge(), 16);
}

// The address and user indexes are partial: an event without the field adds no entry (most
// events lack one of the two), and a condition on the field still uses them. A store made
// before them, with full indexes under the old names, gets the partial ones when opened.
TEST(store, indexes_are_partitioned_partial_and_replace_the_old_ones) {
    temp_dir d;
    open_rw(d.db()).reset();
    // A store as two older builds left it: full (field, ts) indexes, or partial ones ("_nn").
    exec(d.db(), "DROP INDEX events_user_name_p; DROP INDEX events_source_ip_p; DROP INDEX events_type_outcome_p; "
                 "DROP INDEX events_ts_p; CREATE INDEX events_ts ON events(ts); "
                 "CREATE INDEX events_type_outcome_ip ON events(source_type, event_outcome, source_ip, ts); "
                 "CREATE INDEX events_user_name ON events(user_name, ts); "
                 "CREATE INDEX events_source_ip_nn ON events(source_ip, ts) WHERE source_ip IS NOT NULL;");
    auto s = open_rw(d.db());
    event_batch b;
    add_event(b, k_t0, "Failed password for root from 10.0.0.1 port 22", "10.0.0.1", "root");
    auto& fw = b.begin();  // a firewall line: an address, no user
    fw.ts = k_t0 + 1;
    fw.raw = b.copy("IN=eth0 SRC=10.0.0.9 DST=10.0.0.5 DPT=445");
    fw.source_type = "netfilter";
    b.add_copy(f::source_ip, "10.0.0.9");
    b.commit();
    auto& app = b.begin();  // neither
    app.ts = k_t0 + 2;
    app.raw = b.copy("backup finished");
    app.source_type = "syslog";
    b.commit();
    ASSERT_TRUE(s->append(b, {}, {}).ok());

    auto q = s->select("SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name='events' ORDER BY name", {});
    ASSERT_TRUE(q.ok()) << q.err().message;
    std::map<std::string, std::string> idx;
    for (const auto& r : q.value().rows) idx[std::get<std::string>(r.values[0])] = std::get<std::string>(r.values[1]);
    EXPECT_EQ(idx.count("events_ts"), 0u);
    ASSERT_EQ(idx.count("events_ts_p"), 1u);
    EXPECT_NE(idx["events_ts_p"].find("(id >> " + std::to_string(store::k_partition_shift) + ", ts)"), std::string::npos);
    EXPECT_EQ(idx.count("events_user_name"), 0u);
    EXPECT_EQ(idx.count("events_source_ip_nn"), 0u);
    EXPECT_EQ(idx.count("events_type_outcome_ip"), 0u);
    ASSERT_EQ(idx.count("events_type_outcome_p"), 1u);
    EXPECT_NE(idx["events_type_outcome_p"].find("(source_type, event_outcome, id >> " + std::to_string(store::k_partition_shift) + ", source_ip, ts)"),
              std::string::npos);
    ASSERT_EQ(idx.count("events_user_name_p"), 1u);
    ASSERT_EQ(idx.count("events_source_ip_p"), 1u);
    const std::string lead = "(id >> " + std::to_string(store::k_partition_shift) + ", ";
    EXPECT_NE(idx["events_user_name_p"].find(lead + "user_name, ts) WHERE user_name IS NOT NULL"), std::string::npos);
    EXPECT_NE(idx["events_source_ip_p"].find(lead + "source_ip, ts) WHERE source_ip IS NOT NULL"), std::string::npos);

    // Entries only for events that have the field.
    auto n = [&](const std::string& sql) {
        auto r = s->select(sql, {});
        EXPECT_TRUE(r.ok()) << sql << ": " << (r.ok() ? "" : r.err().message);
        return r.ok() && !r.value().rows.empty() ? std::get<std::int64_t>(r.value().rows[0].values[0]) : -1;
    };
    EXPECT_EQ(n("SELECT count(*) FROM events INDEXED BY events_user_name_p WHERE user_name IS NOT NULL"), 1);
    EXPECT_EQ(n("SELECT count(*) FROM events INDEXED BY events_source_ip_p WHERE source_ip IS NOT NULL"), 2);
    // The partition condition holds for every stored event.
    EXPECT_EQ(n("SELECT count(*) FROM events e WHERE " + store::every_partition("e.id")), 3);

    // A query on the field as the search compiler writes it (a bound value, the partitions
    // named: tests/query's golden file) seeks the index, partition by partition.
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open_v2(d.db().c_str(), &h, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    const std::string parts = store::every_partition("e.id");
    for (const std::string& sql : {"EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE (e.user_name = ?1 AND " + parts + ") ORDER BY e.ts DESC LIMIT 100",
                                   "EXPLAIN QUERY PLAN SELECT e.id, e.ts FROM events e WHERE e.ts >= ?1 AND e.ts < ?2 AND " + parts,
                                   "EXPLAIN QUERY PLAN SELECT e.id FROM events e WHERE (e.source_ip GLOB ?1 AND " + parts + ")"}) {
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
        sqlite3_bind_text(st, 1, "10.0.0.*", -1, SQLITE_STATIC);  // a GLOB's range comes from the bound value
        std::string plan;
        while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("\n");
        sqlite3_finalize(st);
        EXPECT_NE(plan.find("SEARCH e USING COVERING INDEX events_"), std::string::npos) << sql << "\n" << plan;
        EXPECT_NE(plan.find("_p (<expr>=? AND "), std::string::npos) << sql << "\n" << plan;
    }
    {  // the stored time span: two seeks of the time index per partition, the same as min / max
        auto span = s->select(store::stored_time_span_sql(), {});
        ASSERT_TRUE(span.ok()) << span.err().message;
        EXPECT_EQ(std::get<std::int64_t>(span.value().rows.at(0).values.at(0)), k_t0);
        EXPECT_EQ(std::get<std::int64_t>(span.value().rows.at(0).values.at(1)), k_t0 + 2);
        const std::string sql = "EXPLAIN QUERY PLAN " + store::stored_time_span_sql();
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
        std::string plan;
        while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("\n");
        sqlite3_finalize(st);
        EXPECT_NE(plan.find("COVERING INDEX events_ts_p (<expr>=?)"), std::string::npos) << plan;
        EXPECT_EQ(plan.find("SCAN e"), std::string::npos) << plan;
    }
    {  // failed logons by address, as the compiler writes it when the index covers the query
        const char* sql = "EXPLAIN QUERY PLAN SELECT e.source_ip, count(*) FROM events e WHERE e.source_type = ?1 AND e.event_outcome = ?2 GROUP BY 1";
        sqlite3_stmt* st = nullptr;
        ASSERT_EQ(sqlite3_prepare_v2(h, sql, -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(h);
        std::string plan;
        while (sqlite3_step(st) == SQLITE_ROW) plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("\n");
        sqlite3_finalize(st);
        EXPECT_NE(plan.find("COVERING INDEX events_type_outcome_p (source_type=? AND event_outcome=?)"), std::string::npos) << plan;
    }
    sqlite3_close(h);
}

// The stored time span (searches decide their plan with it; `status` and reports show it):
// through the partitioned time index, and through the old unpartitioned one in a store that
// the upgraded daemon has not opened yet (read-only: searched before the daemon restarted).
TEST(store, the_stored_time_span_is_read_from_either_time_index) {
    temp_dir d;
    {
        auto s = open_rw(d.db());
        event_batch b;
        add_event(b, k_t0 + 50, "xx second", "10.0.0.1", "u");
        add_event(b, k_t0 - 7, "xx late", "10.0.0.2", "u");  // out of order
        add_event(b, k_t0 + 9, "xx third", "10.0.0.3", "u");
        ASSERT_TRUE(s->append(b, {}, {}).ok());
    }
    auto span_of = [&](bool read_only) {
        auto s = store::open_sqlite({.path = d.db(), .read_only = read_only});
        EXPECT_TRUE(s.ok());
        auto st = s.value()->stats();
        EXPECT_TRUE(st.ok());
        auto q = s.value()->select(store::stored_time_span_sql(), {});
        EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.err().message);
        EXPECT_EQ(std::get<std::int64_t>(q.value().rows.at(0).values.at(0)), st.value().first_ts);
        EXPECT_EQ(std::get<std::int64_t>(q.value().rows.at(0).values.at(1)), st.value().last_ts);
        return std::make_pair(st.value().first_ts, st.value().last_ts);
    };
    EXPECT_EQ(span_of(true), std::make_pair(k_t0 - 7, k_t0 + 50));
    exec(d.db(), "DROP INDEX events_ts_p; CREATE INDEX events_ts ON events(ts);");
    EXPECT_EQ(span_of(true), std::make_pair(k_t0 - 7, k_t0 + 50));
    EXPECT_EQ(span_of(false), std::make_pair(k_t0 - 7, k_t0 + 50));  // and the upgrade puts events_ts_p back
    auto s = store::open_sqlite({.path = d.db(), .read_only = true});
    ASSERT_TRUE(s.ok());
    auto n = s.value()->select("SELECT count(*) FROM sqlite_master WHERE name = 'events_ts_p'", {});
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::get<std::int64_t>(n.value().rows.at(0).values.at(0)), 1);
    // An empty store has no span.
    temp_dir e;
    open_rw(e.db()).reset();
    auto empty = store::open_sqlite({.path = e.db(), .read_only = true});
    ASSERT_TRUE(empty.ok());
    auto q = empty.value()->select(store::stored_time_span_sql(), {});
    ASSERT_TRUE(q.ok());
    EXPECT_TRUE(std::holds_alternative<std::monostate>(q.value().rows.at(0).values.at(0)));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(q.value().rows.at(0).values.at(1)));
}

// Opening a store of an older version builds the indexes this one adds, which takes a while on a
// large store: the opener is told first (the daemon logs it), once, and only when there are
// events to index.
TEST(store, an_upgrade_that_builds_indexes_says_so_first) {
    temp_dir d;
    std::vector<std::string> said;
    auto open_noting = [&] {
        auto s = store::open_sqlite({.path = d.db(), .notice = [&](const std::string& m) { said.push_back(m); }});
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
    };
    open_noting();  // new and empty: nothing to build
    {
        auto s = open_rw(d.db());
        event_batch b;
        add_event(b, k_t0, "xx one", "10.0.0.1", "u");
        add_event(b, k_t0 + 1, "xx two", "10.0.0.2", "u");
        ASSERT_TRUE(s->append(b, {}, {}).ok());
    }
    open_noting();  // current indexes: nothing to build
    EXPECT_TRUE(said.empty());
    exec(d.db(), "DROP INDEX events_ts_p; CREATE INDEX events_ts ON events(ts);");  // session 5's format
    open_noting();
    ASSERT_EQ(said.size(), 1u);
    EXPECT_NE(said[0].find("building the indexes this version adds for the ~2 stored events"), std::string::npos) << said[0];
    EXPECT_NE(said[0].find(d.db()), std::string::npos) << said[0];
    open_noting();
    EXPECT_EQ(said.size(), 1u);
}

// Every event of a batch keeps its own id, columns and document, in batch order. (Rows went 32
// to an INSERT statement once: measured slower, see docs/decisions/0003-store.md.)
TEST(store, a_batch_keeps_every_rows_id_columns_and_document_in_order) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    auto raw_of = [](int i) {
        std::string n = std::to_string(i), r = "Failed password for u";
        r.append(n).append(" from 10.0.0.").append(n).append(" port 22");
        return r;
    };
    for (int i = 0; i < 70; ++i) {
        std::string n = std::to_string(i), ip = "10.0.0.", user = "u";
        add_event(b, k_t0 + i, raw_of(i), ip.append(n), user.append(n), std::to_string(1000 + i));
    }
    auto r = s->append(b, {}, {});
    ASSERT_TRUE(r.ok()) << r.err().message;
    auto q = s->select("SELECT e.id, e.ts, e.source_ip, e.user_name, e.destination_port, d.raw, d.line, d.msg_off "
                       "FROM events e JOIN event_docs d ON d.id = e.id ORDER BY e.id",
                       {});
    ASSERT_TRUE(q.ok()) << q.err().message;
    ASSERT_EQ(q.value().rows.size(), 70u);
    for (int i = 0; i < 70; ++i) {
        const auto& v = q.value().rows[static_cast<std::size_t>(i)].values;
        SCOPED_TRACE(i);
        EXPECT_EQ(std::get<std::int64_t>(v[0]), i + 1);
        EXPECT_EQ(std::get<std::int64_t>(v[1]), k_t0 + i);
        std::string n = std::to_string(i), ip = "10.0.0.", user = "u";
        EXPECT_EQ(std::get<std::string>(v[2]), ip.append(n));
        EXPECT_EQ(std::get<std::string>(v[3]), user.append(n));
        EXPECT_EQ(std::get<std::int64_t>(v[4]), 1000 + i);
        EXPECT_EQ(std::get<std::string>(v[5]), raw_of(i));
        EXPECT_EQ(std::get<std::int64_t>(v[6]), i + 1);
        EXPECT_EQ(std::get<std::int64_t>(v[7]), 2);
    }
    auto rep = s->verify();
    ASSERT_TRUE(rep.ok());
    EXPECT_TRUE(rep.value().ok) << rep.value().reason;
}

// A group's `events` rows are inserted at commit, in address order (pending_rows): each id must
// still get its own event's values, also when the caller refills one batch object between the
// appends (the values are copied), and events without an address keep theirs empty.
TEST(store, a_group_stores_each_event_under_its_own_id_when_the_batch_is_reused) {
    temp_dir d;
    auto s = open_rw(d.db());
    event_batch b;
    auto ip_of = [](int i) { return i % 5 == 0 ? std::string() : "10.0." + std::to_string(99 - i) + ".1"; };
    ASSERT_TRUE(s->begin_group().ok());
    for (int part = 0; part < 2; ++part) {
        b.clear();
        for (int j = 0; j < 40; ++j) {
            int i = part * 40 + j;
            add_event(b, k_t0 + i, "line " + std::to_string(i), ip_of(i), "u" + std::to_string(i));
        }
        auto r = s->append(b, {}, {});
        ASSERT_TRUE(r.ok()) << r.err().message;
    }
    b.clear();
    add_event(b, k_t0, "overwritten", "1.1.1.1", "x");  // the batch's memory now holds other values
    ASSERT_TRUE(s->commit_group().ok());
    auto q = s->select("SELECT e.id, e.source_ip, e.user_name, d.raw FROM events e JOIN event_docs d ON d.id = e.id ORDER BY e.id", {});
    ASSERT_TRUE(q.ok()) << q.err().message;
    ASSERT_EQ(q.value().rows.size(), 80u);
    for (int i = 0; i < 80; ++i) {
        SCOPED_TRACE(i);
        const auto& v = q.value().rows[static_cast<std::size_t>(i)].values;
        EXPECT_EQ(std::get<std::int64_t>(v[0]), i + 1);
        if (ip_of(i).empty()) EXPECT_TRUE(std::holds_alternative<std::monostate>(v[1]));
        else EXPECT_EQ(std::get<std::string>(v[1]), ip_of(i));
        EXPECT_EQ(std::get<std::string>(v[2]), "u" + std::to_string(i));
        EXPECT_EQ(std::get<std::string>(v[3]), "line " + std::to_string(i));
    }
    auto rep = s->verify();
    ASSERT_TRUE(rep.ok());
    EXPECT_TRUE(rep.value().ok) << rep.value().reason;
    EXPECT_EQ(rep.value().batches, 2u);
}
