// The search language: golden compiler cases (query → SQL + parameters, or error with column)
// and queries run on a small real store.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "core/time.hpp"
#include "query/query.hpp"
#include "store/schema.hpp"

namespace fs = std::filesystem;
using namespace mimamori;

namespace {

std::string render_params(const std::vector<store::sql_value>& ps) {
    std::string out;
    for (const auto& p : ps) {
        if (!out.empty()) out += ", ";
        if (std::holds_alternative<std::int64_t>(p)) out += std::to_string(std::get<std::int64_t>(p));
        else if (std::holds_alternative<double>(p)) {
            std::ostringstream o;
            o << std::get<double>(p) << "r";
            out += o.str();
        } else if (std::holds_alternative<std::string>(p)) append_json_string(out, std::get<std::string>(p));
        else out += "NULL";
    }
    return out;
}

struct golden_case {
    std::string query;
    std::string expect;  // the lines after `query:` as written
};

std::string compile_render(const std::string& q) {
    query::query_error err;
    auto c = query::compile(q, {}, {}, &err);
    if (!c) return "error: " + std::to_string(err.column) + ": " + err.message + "\n";
    return "sql: " + c.value().sql + "\nparams: " + render_params(c.value().params) + "\n";
}

}  // namespace

TEST(query_golden, compiles_as_recorded) {
    std::string path = std::string(MIMAMORI_SOURCE_DIR) + "/tests/query/data/golden.txt";
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    bool update = std::getenv("MIMAMORI_UPDATE_GOLDEN") != nullptr;
    std::string rewritten;
    int cases = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const auto& l = lines[i];
        if (l.rfind("query: ", 0) != 0) {
            if (l.rfind("sql: ", 0) == 0 || l.rfind("params: ", 0) == 0 || l.rfind("error: ", 0) == 0) continue;
            rewritten += l + "\n";
            continue;
        }
        std::string q = l.substr(7);
        std::string expect;
        std::size_t j = i + 1;
        while (j < lines.size() && (lines[j].rfind("sql: ", 0) == 0 || lines[j].rfind("params: ", 0) == 0 ||
                                    lines[j].rfind("error: ", 0) == 0))
            expect += lines[j++] + "\n";
        std::string got = compile_render(q);
        ++cases;
        if (!update) {
            EXPECT_EQ(got, expect) << "query: " << q;
        }
        rewritten += l + "\n" + got;
    }
    EXPECT_GT(cases, 30);
    if (update) {
        std::ofstream(path) << rewritten;
        GTEST_SKIP() << "golden file rewritten";
    }
}

TEST(query_parse, error_points_at_column) {
    query::query_error err;
    auto r = query::parse("user.name:alice AND (source.ip:1.2.3.4", &err);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(err.column, 21);
    std::string rendered = err.render("user.name:alice AND (source.ip:1.2.3.4");
    EXPECT_NE(rendered.find("at column 21"), std::string::npos);
    EXPECT_NE(rendered.find("\n                      ^"), std::string::npos) << rendered;
}

TEST(query_parse, time_specs) {
    timestamp_ns now = 1'700'000'000LL * k_ns_per_sec, t = 0;
    ASSERT_TRUE(query::parse_time_spec("-24h", now, t));
    EXPECT_EQ(t, now - 86400LL * k_ns_per_sec);
    ASSERT_TRUE(query::parse_time_spec("2024-03-01", now, t));
    EXPECT_EQ(format_rfc3339(t), "2024-03-01T00:00:00Z");
    ASSERT_TRUE(query::parse_time_spec("2024-03-01T10:00:00+09:00", now, t));
    EXPECT_EQ(format_rfc3339(t), "2024-03-01T01:00:00Z");
    EXPECT_FALSE(query::parse_time_spec("yesterday", now, t));
    EXPECT_FALSE(query::parse_time_spec("-3x", now, t));
}

// Queries run on a real store ------------------------------------------------------------------

namespace {

struct store_fixture : ::testing::Test {
    fs::path dir;
    std::unique_ptr<store::store> db;
    timestamp_ns t0 = 1'709'251'200LL * k_ns_per_sec;  // 2024-03-01T00:00:00Z

    void SetUp() override {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("mimamori_query_" + std::to_string(rd()));
        fs::create_directories(dir);
        auto s = store::open_sqlite({.path = (dir / "q.db").string()});
        ASSERT_TRUE(s.ok()) << s.err().message;
        db = std::move(s.value());
        event_batch b;
        struct row {
            int minute;
            const char* ip;
            const char* user;
            const char* outcome;
            const char* port;
            const char* raw;
            const char* event_id;
        };
        const row rows[] = {
            {0, "10.0.0.1", "alice", "failure", "22", "sshd: Failed password for alice from 10.0.0.1", nullptr},
            {1, "10.0.0.1", "alice", "failure", "22", "sshd: Failed password for alice from 10.0.0.1", nullptr},
            {2, "10.0.0.1", "root", "failure", "22", "sshd: Failed password for root from 10.0.0.1", nullptr},
            {3, "10.0.0.2", "bob", "success", "22", "sshd: Accepted password for bob from 10.0.0.2", nullptr},
            {4, "10.0.0.3", "carol d", "failure", "443", "web: login failed for carol d", nullptr},
            {5, "10.0.0.3", "admin", "success", "8080", "web: admin login ok timeout=0", "4624"},
            {6, "10.0.0.4", "admin", "failure", "3389", "rdp: logon failure", "4625"},
        };
        for (const auto& r : rows) {
            auto& e = b.begin();
            e.ts = t0 + r.minute * 60LL * k_ns_per_sec;
            e.source_type = r.event_id ? "windows.security" : "linux.auth";
            e.raw = b.copy(r.raw);
            b.add(f::source_ip, r.ip);
            b.add(f::user_name, r.user);
            b.add(f::event_outcome, r.outcome);
            b.add(f::destination_port, r.port);
            b.add(f::host_name, "srv1");
            static const field_id k_event_id = intern("EventID");
            if (r.event_id) b.add(k_event_id, r.event_id, value_kind::number);
            b.add(f::tags, "t1");
            b.add(f::tags, r.minute % 2 ? "odd" : "even");
            b.commit();
        }
        ASSERT_TRUE(db->append(b, {}, {}).ok());
    }
    void TearDown() override {
        db.reset();
        fs::remove_all(dir);
    }

    query::search_result run(const std::string& q, query::time_range tr = {}) {
        auto r = query::run(*db, q, tr);
        EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.err().message);
        return r.ok() ? std::move(r.value()) : query::search_result{};
    }
    std::size_t count(const std::string& q) { return run(q).json_rows.size(); }
};

}  // namespace

TEST_F(store_fixture, field_filters) {
    EXPECT_EQ(count("user.name:alice"), 2u);
    EXPECT_EQ(count("user.name:alice AND event.outcome:failure"), 2u);
    EXPECT_EQ(count("event.outcome:failure"), 5u);
    EXPECT_EQ(count("NOT event.outcome:failure"), 2u);
    EXPECT_EQ(count("-event.outcome:failure"), 2u);
    EXPECT_EQ(count("user.name:a*"), 4u);
    EXPECT_EQ(count("user.name:\"carol d\""), 1u);
    EXPECT_EQ(count("user.name:(alice OR bob)"), 3u);
    EXPECT_EQ(count("source.ip:10.0.0.1 OR source.ip:10.0.0.4"), 4u);
    EXPECT_EQ(count("event.dataset:windows.security"), 2u);
    EXPECT_EQ(count("*"), 7u);
}

TEST_F(store_fixture, ranges_and_json_fields) {
    EXPECT_EQ(count("destination.port:[1 TO 1024]"), 5u);
    EXPECT_EQ(count("destination.port:{22 TO 3389}"), 1u);
    EXPECT_EQ(count("destination.port:>=3389"), 2u);
    EXPECT_EQ(count("EventID:4625"), 1u);
    EXPECT_EQ(count("EventID:[4600 TO 4700]"), 2u);
    EXPECT_EQ(count("EventID:*"), 2u);
    EXPECT_EQ(count("tags:odd"), 3u);
    EXPECT_EQ(count("tags:ev*"), 4u);
    EXPECT_EQ(count("@timestamp:[2024-03-01T00:02:00Z TO 2024-03-01T00:04:00Z}"), 2u);
    EXPECT_EQ(count("@timestamp:2024-03-01"), 7u);
    EXPECT_EQ(count("@timestamp:2024-03-02"), 0u);
}

TEST_F(store_fixture, free_text) {
    EXPECT_EQ(count("Failed"), 4u);  // free text ignores case
    EXPECT_EQ(count("\"Failed password\""), 3u);
    EXPECT_EQ(count("password -root"), 3u);
    EXPECT_EQ(count("fail*"), 5u);  // Failed ×3, failed, failure
    EXPECT_EQ(count("Failed user.name:root"), 1u);
    EXPECT_EQ(count("10.0.0.1"), 3u);  // tokenised as a phrase of numbers
    EXPECT_EQ(count("\"'; DROP TABLE events; --\""), 0u);
    EXPECT_EQ(count("*"), 7u);
}

TEST_F(store_fixture, time_range_from_outside) {
    query::time_range tr;
    tr.from = t0 + 2 * 60LL * k_ns_per_sec;
    tr.to = t0 + 5 * 60LL * k_ns_per_sec;
    EXPECT_EQ(run("*", tr).json_rows.size(), 3u);
    EXPECT_EQ(run("event.outcome:failure", tr).json_rows.size(), 2u);
}

TEST_F(store_fixture, stats_sort_head_fields) {
    auto r = run("event.outcome:failure | stats count() by source.ip");
    ASSERT_EQ(r.columns, (std::vector<std::string>{"source.ip", "count"}));
    ASSERT_EQ(r.cells.size(), 3u);
    EXPECT_EQ(r.cells[0], (std::vector<std::string>{"10.0.0.1", "3"}));
    EXPECT_EQ(r.json_rows[0], R"({"source.ip":"10.0.0.1","count":3})");

    r = run("* | stats count() as n, dc(user.name) by source.ip | sort -n, source.ip | head 2");
    ASSERT_EQ(r.cells.size(), 2u);
    EXPECT_EQ(r.cells[0], (std::vector<std::string>{"10.0.0.1", "3", "2"}));
    EXPECT_EQ(r.cells[1], (std::vector<std::string>{"10.0.0.3", "2", "2"}));

    r = run("* | stats count() by EventID | sort EventID");
    ASSERT_EQ(r.cells.size(), 3u);
    EXPECT_EQ(r.cells[0], (std::vector<std::string>{"", "5"}));
    EXPECT_EQ(r.cells[2], (std::vector<std::string>{"4625", "1"}));

    r = run("* | stats max(destination.port), sum(destination.port) by event.dataset | sort event.dataset");
    ASSERT_EQ(r.cells.size(), 2u);
    EXPECT_EQ(r.cells[0], (std::vector<std::string>{"linux.auth", "443", "531"}));

    r = run("user.name:alice | fields @timestamp, source.ip, tags | head 1");
    ASSERT_EQ(r.cells.size(), 1u);
    EXPECT_EQ(r.cells[0], (std::vector<std::string>{"2024-03-01T00:01:00Z", "10.0.0.1", "t1"}));
    EXPECT_EQ(r.json_rows[0], R"({"@timestamp":"2024-03-01T00:01:00Z","source.ip":"10.0.0.1","tags":"t1"})");

    r = run("* | sort destination.port | head 1");
    ASSERT_EQ(r.json_rows.size(), 1u);
    EXPECT_NE(r.json_rows[0].find("\"destination.port\":22"), std::string::npos);
}

TEST_F(store_fixture, events_come_back_newest_first_as_json) {
    auto r = run("user.name:alice");
    ASSERT_EQ(r.json_rows.size(), 2u);
    EXPECT_EQ(r.cells[0][0], "2024-03-01T00:01:00Z");
    EXPECT_EQ(r.json_rows[1],
              R"({"@timestamp":"2024-03-01T00:00:00Z","event.dataset":"linux.auth","source.ip":"10.0.0.1",)"
              R"("user.name":"alice","event.outcome":"failure","destination.port":22,"host.name":"srv1",)"
              R"("tags":["t1","even"],"event.original":"sshd: Failed password for alice from 10.0.0.1"})");
    auto table = query::render_table(r);
    EXPECT_NE(table.find("@timestamp"), std::string::npos);
}

TEST(query_plan, a_time_range_covering_most_of_the_store_filters_a_scan) {
    constexpr timestamp_ns k_day = 86400LL * 1'000'000'000;
    query::compile_options o;
    o.stored_from = 0;
    o.stored_to = 30 * k_day;
    // The last day of thirty: through the time index.
    auto narrow = query::compile("event.dataset:linux.auth | stats count() by user.name", {29 * k_day, query::time_range{}.to}, o);
    ASSERT_TRUE(narrow.ok());
    EXPECT_NE(narrow.value().sql.find(" e.ts >= "), std::string::npos) << narrow.value().sql;
    // All of it: applied while scanning (a look-up per row would be several times slower).
    auto wide = query::compile("event.dataset:linux.auth | stats count() by user.name", {-k_day, 31 * k_day}, o);
    ASSERT_TRUE(wide.ok());
    EXPECT_NE(wide.value().sql.find("+e.ts >= "), std::string::npos) << wide.value().sql;
    EXPECT_NE(wide.value().sql.find("+e.ts < "), std::string::npos) << wide.value().sql;
    // Without knowing the store's span, as before.
    auto unknown = query::compile("event.dataset:linux.auth | stats count() by user.name", {-k_day, 31 * k_day});
    ASSERT_TRUE(unknown.ok());
    EXPECT_EQ(unknown.value().sql.find("+e.ts"), std::string::npos) << unknown.value().sql;
}

// Newest first through a partitioned index (three partitions of store::k_partition_shift): the
// time bound found in the newest partitions (compiled_query::bound_sql) must not change the
// answer, also when events arrive out of time order (a late event in a new partition, a
// future-dated one in an old partition) and when some have no time at all.
TEST(query_partitions, newest_first_through_a_partitioned_index_gives_the_unbounded_answer) {
    std::random_device rd;
    const fs::path dir = fs::temp_directory_path() / ("mimamori_query_parts_" + std::to_string(rd()));
    fs::create_directories(dir);
    {
        auto s = store::open_sqlite({.path = (dir / "q.db").string()});
        ASSERT_TRUE(s.ok()) << s.err().message;
        auto& db = *s.value();
        const timestamp_ns t0 = 1'709'251'200LL * k_ns_per_sec;
        const std::int64_t per_part = std::int64_t{1} << store::k_partition_shift;
        const std::int64_t n = 2 * per_part + per_part / 2;  // ids 1..n: two full partitions and half of a third
        event_batch b;
        for (std::int64_t id = 1; id <= n; ++id) {
            auto& e = b.begin();
            e.ts = t0 + id * k_ns_per_sec;
            if (id % 1000 == 7) e.ts = t0 + (n + id) * k_ns_per_sec;            // future-dated, in every partition
            if (id > 2 * per_part && id % 1000 == 11) e.ts = t0 - id * k_ns_per_sec;  // late, in the newest
            if (id > 2 * per_part && id % 5000 == 13) e.ts = k_no_time;        // no time at all
            e.source_type = "linux.auth";
            e.raw = b.copy("event " + std::to_string(id));
            // mallory: only in the newest partition, so her newest 100 all lie there.
            b.add(f::user_name, id > 2 * per_part && id % 10 == 3 ? "mallory" : id % 3 == 1 ? "eve" : "bob");
            b.add_copy(f::source_ip, "10.0." + std::to_string(id % 7) + ".1");
            b.commit();
            if (b.size() == 8192 || id == n) {
                ASSERT_TRUE(db.append(b, {}, {}).ok());
                b.clear();
            }
        }
        auto expect_same = [&](const std::string& q, const std::string& cond, std::int64_t limit, bool bounded,
                               query::time_range range = {}) {
            SCOPED_TRACE(q);
            auto c = query::compile(q, range);
            ASSERT_TRUE(c.ok());
            EXPECT_EQ(!c.value().bound_sql.empty(), true);
            auto bound = db.select(c.value().bound_sql, c.value().params);
            ASSERT_TRUE(bound.ok()) << bound.err().message;
            EXPECT_EQ(!bound.value().rows.empty(), bounded);
            auto want = db.select("SELECT d.raw FROM events e JOIN event_docs d ON d.id = e.id WHERE " + cond +
                                      " ORDER BY e.ts DESC, e.id DESC LIMIT ?1",
                                  std::vector<store::sql_value>{limit});
            ASSERT_TRUE(want.ok()) << want.err().message;
            auto got = query::run(db, q, range);
            ASSERT_TRUE(got.ok()) << got.err().message;
            ASSERT_EQ(got.value().cells.size(), want.value().rows.size());
            for (std::size_t i = 0; i < want.value().rows.size(); ++i)
                EXPECT_EQ(got.value().cells[i][3], std::get<std::string>(want.value().rows[i].values[0])) << "row " << i;
        };
        expect_same("user.name:eve | head 100", "e.user_name = 'eve'", 100, true);
        expect_same("user.name:mallory | head 100", "e.user_name = 'mallory'", 100, true);
        expect_same("source.ip:10.0.3.1 | head 500", "e.source_ip = '10.0.3.1'", 500, true);
        expect_same("user.name:eve AND source.ip:10.0.3.1 | head 50", "e.user_name = 'eve' AND e.source_ip = '10.0.3.1'", 50, true);
        // More than the newest partitions hold: no bound, the plain query (with the timeless events last).
        expect_same("user.name:eve | head 100000", "e.user_name = 'eve'", 100000, false);
        // The time index is partitioned too: everything, a field without an index, a time range.
        expect_same("* | head 100", "1", 100, true);
        expect_same("event.dataset:linux.auth | head 300", "e.source_type = 'linux.auth'", 300, true);
        const timestamp_ns from = t0 + 1000 * k_ns_per_sec, to = t0 + 100000 * k_ns_per_sec;
        const std::string in_range = "e.ts >= " + std::to_string(from) + " AND e.ts < " + std::to_string(to);
        expect_same("user.name:bob | head 100", "e.user_name = 'bob' AND " + in_range, 100, true, {from, to});
        expect_same("* | head 100", in_range, 100, true, {from, to});
        // A range the newest partitions do not reach: no bound, each partition's range sought.
        const timestamp_ns old_to = t0 + 5000 * k_ns_per_sec;
        expect_same("* | head 100", "e.ts >= " + std::to_string(from) + " AND e.ts < " + std::to_string(old_to), 100, false,
                    {from, old_to});
        {
            auto c = query::compile("* | stats count()", {from, to});
            ASSERT_TRUE(c.ok());
            auto n = db.select(c.value().sql, c.value().params);
            ASSERT_TRUE(n.ok()) << n.err().message;
            auto want = db.select("SELECT count(*) FROM events e WHERE " + in_range, {});
            ASSERT_TRUE(want.ok());
            EXPECT_EQ(std::get<std::int64_t>(n.value().rows.at(0).values.at(0)),
                      std::get<std::int64_t>(want.value().rows.at(0).values.at(0)));
            EXPECT_NE(c.value().sql.find(store::every_partition("e.id")), std::string::npos) << c.value().sql;
        }
        // Not newest-first by time, or counting: no bound at all.
        auto sorted = query::compile("user.name:eve | sort source.ip | head 10", {});
        ASSERT_TRUE(sorted.ok());
        EXPECT_TRUE(sorted.value().bound_sql.empty());
        auto stats = query::compile("user.name:eve | stats count() by source.ip", {});
        ASSERT_TRUE(stats.ok());
        EXPECT_TRUE(stats.value().bound_sql.empty());
    }
    fs::remove_all(dir);
}

// A message that is a slice of the raw record is stored once (null in the fields JSON, its byte
// range beside it: store::fields_json). Searching, showing and counting it must work as for a
// message kept in the JSON — a row of an older store, or a message that is not in raw.
TEST(query_message, a_message_kept_in_raw_is_found_shown_and_counted_like_one_in_the_json) {
    std::random_device rd;
    const fs::path dir = fs::temp_directory_path() / ("mimamori_query_msg_" + std::to_string(rd()));
    fs::create_directories(dir);
    const std::string path = (dir / "q.db").string();
    {
        auto s = store::open_sqlite({.path = path});
        ASSERT_TRUE(s.ok()) << s.err().message;
        event_batch b;
        const timestamp_ns t0 = 1'709'251'200LL * k_ns_per_sec;
        const char* raws[] = {"<38>Mar  1 00:00:00 h sshd[1]: Failed password for root from 10.0.0.1",
                              "<38>Mar  1 00:00:01 h sshd[2]: Accepted publickey for bob",
                              "<14>Mar  1 00:00:02 h app: something else"};
        for (int i = 0; i < 3; ++i) {
            auto& e = b.begin();
            e.ts = t0 + i * k_ns_per_sec;
            e.source_type = "linux.auth";
            e.raw = b.copy(raws[i]);
            if (i < 2) b.add(f::message, e.raw.substr(e.raw.find(": ") + 2));  // a view into raw, as parsers give
            else b.add_copy(f::message, "custom message");                       // not in raw: kept in the JSON
            b.add(f::host_name, "h");
            b.commit();
        }
        ASSERT_TRUE(s.value()->append(b, {}, {}).ok());
    }
    {  // the first row as an older store wrote it: the message text in the JSON
        sqlite3* h = nullptr;
        ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
        char* err = nullptr;
        ASSERT_EQ(sqlite3_exec(h,
                               "UPDATE event_docs SET fields = json_set(fields, '$.\"message\"', "
                               "CAST(substr(CAST(raw AS BLOB), msg_off + 1, msg_len) AS TEXT)) WHERE id = 1",
                               nullptr, nullptr, &err),
                  SQLITE_OK)
            << (err ? err : "");
        sqlite3_close(h);
    }
    auto s = store::open_sqlite({.path = path, .read_only = true});
    ASSERT_TRUE(s.ok()) << s.err().message;
    auto& db = *s.value();
    auto stored = db.select("SELECT fields FROM event_docs ORDER BY id", {});
    ASSERT_TRUE(stored.ok());
    EXPECT_NE(std::get<std::string>(stored.value().rows[0].values[0]).find("\"message\":\"Failed password"), std::string::npos);
    EXPECT_NE(std::get<std::string>(stored.value().rows[1].values[0]).find("\"message\":null"), std::string::npos);
    EXPECT_NE(std::get<std::string>(stored.value().rows[2].values[0]).find("\"message\":\"custom message\""), std::string::npos);

    auto run = [&](const std::string& q) {
        auto r = query::run(db, q, {});
        EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.err().message);
        return r.ok() ? std::move(r.value()) : query::search_result{};
    };
    EXPECT_EQ(run("message:\"Failed password for root from 10.0.0.1\"").json_rows.size(), 1u);
    EXPECT_EQ(run("message:\"Accepted publickey for bob\"").json_rows.size(), 1u);
    EXPECT_EQ(run("message:\"custom message\"").json_rows.size(), 1u);
    EXPECT_EQ(run("message:*publickey*").json_rows.size(), 1u);
    EXPECT_EQ(run("message:*password*").json_rows.size(), 1u);
    EXPECT_EQ(run("message:[A TO B]").json_rows.size(), 1u);  // "Accepted …"
    EXPECT_EQ(run("message:*").json_rows.size(), 3u);
    EXPECT_EQ(run("NOT message:*publickey*").json_rows.size(), 2u);

    auto shown = run("* | fields message | sort message");
    ASSERT_EQ(shown.cells.size(), 3u);
    EXPECT_EQ(shown.cells[0], (std::vector<std::string>{"Accepted publickey for bob"}));
    EXPECT_EQ(shown.cells[1], (std::vector<std::string>{"Failed password for root from 10.0.0.1"}));
    EXPECT_EQ(shown.cells[2], (std::vector<std::string>{"custom message"}));
    EXPECT_EQ(run("* | stats count() by message").cells.size(), 3u);

    auto ev = run("message:*publickey*");
    ASSERT_EQ(ev.json_rows.size(), 1u);
    EXPECT_NE(ev.json_rows[0].find("\"message\":\"Accepted publickey for bob\",\"host.name\":\"h\""), std::string::npos) << ev.json_rows[0];
    EXPECT_EQ(ev.json_rows[0].find("null"), std::string::npos) << ev.json_rows[0];
    s.value().reset();
    fs::remove_all(dir);
}
