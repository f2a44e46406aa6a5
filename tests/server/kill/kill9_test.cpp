// Crash safety: the daemon is killed with SIGKILL again and again while a file grows (and is
// rotated away by rename) and TCP senders send. Afterwards:
//  - every line the file held is stored exactly once (checkpoints commit with their events);
//  - for TCP, nothing is stored twice, and what is stored of each connection is a gap-free
//    prefix of what was sent on it (commits are in order; what was lost is the tail that sat in
//    socket buffers or in memory at the kill — docs/decisions/0003-store.md);
//  - a connection closed by its sender before a clean stop is stored completely;
//  - the hash chain verifies.
// Rounds: MIMAMORI_KILL_ROUNDS (default 5).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>

#include "../harness.hpp"
#include "store/store.hpp"

using namespace harness;

namespace {

int rounds() {
    const char* r = std::getenv("MIMAMORI_KILL_ROUNDS");
    return r ? std::max(1, std::atoi(r)) : 5;
}

// The file writer: appends numbered lines, and every so often renames the file away (to a
// name the pattern does not match) and starts a new one, as logrotate does.
struct file_writer {
    std::string dir;
    std::atomic<bool> stop{false};
    // At most one rotation per daemon life: a file rotated away unseen while the daemon is
    // down is recovered by inode, but a second one in the same downtime could not be (the
    // documented limit for patterns that do not match rotated names).
    std::atomic<int> epoch{0};
    std::atomic<long long> written{0};
    std::thread t;
    void start() {
        t = std::thread([this] {
            std::mt19937 rng(42);
            int rotation = 0, rotated_in = -1;
            long long seq = 0;
            while (!stop) {
                std::string chunk;
                int n = 1 + static_cast<int>(rng() % 60);
                for (int i = 0; i < n; ++i)
                    chunk += "<13>1 2024-03-01T10:00:00Z h1 app - - - kfile seq=" + std::to_string(seq++) + "\n";
                append_file(dir + "/app.log", chunk);
                written = seq;
                if (seq / 3000 > rotation && rotated_in != epoch) {
                    ++rotation;
                    rotated_in = epoch;
                    std::filesystem::rename(dir + "/app.log", dir + "/rotated." + std::to_string(rotation));
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 4));
            }
        });
    }
    void finish() {
        stop = true;
        if (t.joinable()) t.join();
    }
};

// A TCP sender: one connection per "session"; when the daemon dies the write fails and the
// sender reconnects (a new session) once the daemon is back. `sent[session]` counts messages
// whose write() returned.
struct tcp_sender {
    int id = 0;
    std::function<int()> port;
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::map<int, long long> sent;
    int sessions = 0;
    std::thread t;
    void start() {
        t = std::thread([this] {
            std::mt19937 rng(static_cast<unsigned>(id) + 7);
            while (!stop) {
                int fd = connect_tcp(port());
                if (fd < 0) {
                    std::this_thread::sleep_for(20ms);
                    continue;
                }
                int session;
                {
                    std::lock_guard lk(mu);
                    session = sessions++;
                    sent[session] = 0;
                }
                long long seq = 0;
                while (!stop) {
                    std::string batch;
                    int n = 1 + static_cast<int>(rng() % 50);
                    for (int i = 0; i < n; ++i)
                        batch += "<13>1 2024-03-01T10:00:00Z h2 app - - - ktcp" + std::to_string(id) + "s" +
                                 std::to_string(session) + " seq=" + std::to_string(seq + i) + "\n";
                    if (!write_all(fd, batch)) break;
                    seq += n;
                    {
                        std::lock_guard lk(mu);
                        sent[session] = seq;
                    }
                    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 2000));
                }
                ::close(fd);
            }
        });
    }
    void finish() {
        stop = true;
        if (t.joinable()) t.join();
    }
};

}  // namespace

TEST(kill9, no_loss_no_duplicates_across_repeated_crashes) {
    temp_dir d;
    std::filesystem::create_directories(d.path / "logs");
    std::string cfg = "store: {path: " + (d / "m.db") + ", batch: {max_events: 2048, max_delay_ms: 50}}\n"
                      "http: {listen: 127.0.0.1:0, token: " + k_token + "}\n"
                      "poll_ms: 20\n"
                      "syslog:\n  - {protocol: tcp, listen: 127.0.0.1:0}\n"
                      "files:\n  - path: " + (d / "logs/app.log") + "\n";
    daemon_process p(d, cfg);
    std::atomic<int> tcp_port{p.port("tcp")};

    file_writer fw;
    fw.dir = d / "logs";
    fw.start();
    std::vector<std::unique_ptr<tcp_sender>> senders;
    for (int i = 0; i < 2; ++i) {
        auto s = std::make_unique<tcp_sender>();
        s->id = i;
        s->port = [&] { return tcp_port.load(); };
        s->start();
        senders.push_back(std::move(s));
    }

    std::mt19937 rng(1234);
    const int n = rounds();
    for (int r = 0; r < n; ++r) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 600));
        p.kill9();
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 100));
        // Same ports are not guaranteed after a restart with port 0: senders follow the new one.
        ASSERT_NO_THROW(p.start()) << "round " << r;
        tcp_port = p.port("tcp");
        fw.epoch++;
    }
    std::this_thread::sleep_for(300ms);
    fw.finish();
    for (auto& s : senders) s->finish();
    // A last, complete session: sent, closed by the sender, then a clean stop.
    const long long k_final = 5000;
    {
        std::string data;
        for (long long i = 0; i < k_final; ++i)
            data += "<13>1 2024-03-01T10:00:00Z h3 app - - - kfinal seq=" + std::to_string(i) + "\n";
        ASSERT_TRUE(send_tcp(p.port("tcp"), data));
    }
    // Let the follower reach the end of the file before stopping.
    auto file_stored = [&] {
        auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
        auto q = s.value()->select("SELECT count(*) FROM event_docs WHERE raw LIKE '%kfile seq=%'", {});
        return q ? std::get<std::int64_t>(q.value().rows[0].values[0]) : -1;
    };
    ASSERT_TRUE(wait_until([&] { return file_stored() >= fw.written; }, 30s)) << file_stored() << " of " << fw.written;
    EXPECT_EQ(p.terminate(), 0) << p.log();

    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    ASSERT_TRUE(s.ok());
    auto rows = s.value()->select("SELECT raw FROM event_docs", {});
    ASSERT_TRUE(rows.ok());
    std::map<std::string, std::vector<long long>> by_stream;  // "kfile", "ktcp0s3", "kfinal" → seqs
    for (const auto& row : rows.value().rows) {
        const auto& raw = std::get<std::string>(row.values[0]);
        auto p1 = raw.find(" k");
        auto p2 = raw.find(" seq=");
        ASSERT_NE(p1, std::string::npos) << raw;
        ASSERT_NE(p2, std::string::npos) << raw;
        by_stream[raw.substr(p1 + 1, p2 - p1 - 1)].push_back(std::stoll(raw.substr(p2 + 5)));
    }
    auto check_exact = [&](const std::string& stream, long long expect) {
        auto v = by_stream[stream];
        std::sort(v.begin(), v.end());
        std::set<long long> uniq(v.begin(), v.end());
        EXPECT_EQ(static_cast<long long>(uniq.size()), static_cast<long long>(v.size())) << stream << ": duplicates";
        EXPECT_EQ(static_cast<long long>(v.size()), expect) << stream;
        if (!v.empty()) {
            EXPECT_EQ(v.front(), 0) << stream;
            EXPECT_EQ(v.back(), expect - 1) << stream;
        }
    };
    check_exact("kfile", fw.written);
    check_exact("kfinal", k_final);
    long long tcp_sent = 0, tcp_stored = 0;
    for (auto& sp : senders) {
        for (auto& [session, count] : sp->sent) {
            std::string stream = "ktcp" + std::to_string(sp->id) + "s" + std::to_string(session);
            auto v = by_stream[stream];
            std::sort(v.begin(), v.end());
            std::set<long long> uniq(v.begin(), v.end());
            EXPECT_EQ(uniq.size(), v.size()) << stream << ": duplicates";
            // A gap-free prefix of what was sent on this connection.
            EXPECT_LE(static_cast<long long>(v.size()), count) << stream;
            if (!v.empty()) {
                EXPECT_EQ(v.back(), static_cast<long long>(v.size()) - 1) << stream << ": a gap";
            }
            tcp_sent += count;
            tcp_stored += static_cast<long long>(v.size());
        }
    }
    // The full-text index (its own file, written behind the events and caught up by the
    // search) finds every stored event, each under its own text, and nothing else.
    auto fts_count = [&](const std::string& term) -> long long {
        auto q = s.value()->select("SELECT count(*) FROM events_fts WHERE events_fts MATCH ?", std::vector<mimamori::store::sql_value>{term});
        EXPECT_TRUE(q.ok()) << (q.ok() ? "" : q.err().message);
        return q.ok() ? std::get<std::int64_t>(q.value().rows[0].values[0]) : -1;
    };
    EXPECT_EQ(fts_count("seq"), static_cast<long long>(rows.value().rows.size()));
    EXPECT_EQ(fts_count("kfile"), static_cast<long long>(by_stream["kfile"].size()));
    EXPECT_EQ(fts_count("kfinal"), static_cast<long long>(by_stream["kfinal"].size()));
    auto v = s.value()->verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.value().ok) << v.value().reason;
    std::printf("kill9: %d rounds; file lines %lld stored exactly once; tcp %lld of %lld written stored "
                "(the rest was in flight at a kill); final session %lld/%lld; chain %s\n",
                n, fw.written.load(), tcp_stored, tcp_sent, static_cast<long long>(by_stream["kfinal"].size()), k_final,
                v.value().ok ? "ok" : "BROKEN");
    EXPECT_GT(tcp_stored, 0);
}
