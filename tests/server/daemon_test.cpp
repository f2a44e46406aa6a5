// The real daemon on loopback: syslog over UDP and TCP (both framings), NDJSON over HTTP,
// files with rotation and archives, the search API, metrics, SIGTERM and SIGHUP.
#include <gtest/gtest.h>
#include <zlib.h>

#include <set>

#include "harness.hpp"
#include "store/store.hpp"

using namespace harness;

namespace {

std::string base_config(const temp_dir& d, const std::string& extra = {},
                        const std::string& batch = "batch: {max_delay_ms: 50}") {
    return "store: {path: " + (d / "m.db") + ", " + batch + "}\n"
           "http: {listen: 127.0.0.1:0, token: " + k_token + "}\n"
           "poll_ms: 50\n" + extra;
}

std::size_t stored_events(const temp_dir& d) {
    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    if (!s) return 0;
    auto st = s.value()->stats();
    return st ? st.value().events : 0;
}

// Distinct "seq=N" markers among stored raw records with this tag, and the row count.
std::pair<std::size_t, std::size_t> distinct_seqs(const temp_dir& d, const std::string& tag) {
    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    if (!s) return {0, 0};
    auto r = s.value()->select("SELECT raw FROM event_docs WHERE raw LIKE ?",
                               std::vector<mimamori::store::sql_value>{std::string("%" + tag + " seq=%")});
    if (!r) return {0, 0};
    std::set<std::string> seen;
    for (const auto& row : r.value().rows) {
        const auto& raw = std::get<std::string>(row.values[0]);
        seen.insert(raw.substr(raw.find(" seq=")));
    }
    return {seen.size(), r.value().rows.size()};
}

}  // namespace

TEST(daemon, syslog_over_udp_and_tcp_and_ndjson_are_stored_and_searchable) {
    temp_dir d;
    daemon_process p(d, base_config(d,
                                    "syslog:\n"
                                    "  - {protocol: udp, listen: 127.0.0.1:0}\n"
                                    "  - {name: tcp-nl, protocol: tcp, listen: 127.0.0.1:0, framing: newline}\n"
                                    "  - {name: tcp-auto, protocol: tcp, listen: 127.0.0.1:0}\n"));
    for (int i = 0; i < 100; ++i) send_udp(p.port("udp"), syslog_line("udptag", i));
    std::string nl;
    for (int i = 0; i < 300; ++i) nl += syslog_line("tcptag", i) + "\n";
    ASSERT_TRUE(send_tcp(p.port("tcp", "tcp-nl"), nl));
    std::string oc;
    for (int i = 0; i < 200; ++i) {
        std::string m = syslog_line("octettag", i) + (i % 10 == 0 ? "\nwith a newline inside" : "");
        oc += std::to_string(m.size()) + " " + m;
    }
    ASSERT_TRUE(send_tcp(p.port("tcp", "tcp-auto"), oc));
    std::string ndjson;
    for (int i = 0; i < 20; ++i)
        ndjson += R"({"@timestamp":"2024-03-01T10:00:00Z","message":"agent ndjsontag seq=)" + std::to_string(i) +
                  R"(","user":{"name":"agent-user"},"source":{"ip":"198.51.100.7"}})" + "\n";
    auto res = p.post("/api/ingest", ndjson);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "{\"accepted\":20}");
    // The HTTP answer comes after the commit: the events are searchable right away.
    EXPECT_EQ(p.count("user.name:agent-user"), 20);

    ASSERT_TRUE(wait_until([&] { return p.count("tcptag") == 300 && p.count("octettag") == 200; })) << p.log();
    // UDP on loopback with an idle daemon loses nothing, and a loss would be counted anyway.
    ASSERT_TRUE(wait_until([&] { return p.count("udptag") == 100; }));
    EXPECT_EQ(p.count("\"with a newline inside\""), 20);
    EXPECT_EQ(p.metric("mimamori_events_in_total", "source=\"tcp-nl\""), 300);
    EXPECT_EQ(p.metric("mimamori_events_in_total", "source=\"tcp-auto\""), 200);
    EXPECT_EQ(p.metric("mimamori_dropped_total"), 0);

    // Parsed fields, the sender's address, stats through the API.
    auto body = p.search("octettag seq=7 | fields host.name, log.source.address");
    EXPECT_NE(body.find(R"("host.name":"h1","log.source.address":"127.0.0.1")"), std::string::npos) << body;
    body = p.search("ndjsontag | stats count() by user.name");
    EXPECT_NE(body.find(R"({"user.name":"agent-user","count":20})"), std::string::npos) << body;
    body = p.search("tcptag | stats count() by host.name, log.source.address");
    EXPECT_NE(body.find(R"({"host.name":"h1","log.source.address":"127.0.0.1","count":300})"), std::string::npos) << body;
    EXPECT_EQ(p.terminate(), 0);
}

TEST(daemon, source_types_per_port_and_per_sender) {
    temp_dir d;
    daemon_process p(d, base_config(d,
                                    "syslog:\n"
                                    "  - name: utm\n"
                                    "    protocol: udp\n"
                                    "    listen: 127.0.0.1:0\n"
                                    "    source_type: port-type\n"
                                    "    senders:\n"
                                    "      - {address: 127.0.0.0/8, source_type: sender-type, format: syslog}\n"
                                    "  - {name: plain, protocol: tcp, listen: 127.0.0.1:0, source_type: tcp-type}\n"
                                    "  - {name: other, protocol: udp, listen: 127.0.0.1:0, senders: [{address: 10.0.0.0/8, source_type: never}]}\n"));
    send_udp(p.port("udp", "utm"), syslog_line("utmtag", 1));
    ASSERT_TRUE(send_tcp(p.port("tcp", "plain"), syslog_line("plaintag", 1) + "\n"));
    send_udp(p.port("udp", "other"), syslog_line("othertag", 1));
    ASSERT_TRUE(wait_until([&] { return p.count("*") == 3; })) << p.log();
    EXPECT_EQ(p.count("event.dataset:sender-type utmtag"), 1);
    EXPECT_EQ(p.count("event.dataset:tcp-type plaintag"), 1);
    EXPECT_EQ(p.count("event.dataset:never"), 0);
    EXPECT_EQ(p.count("othertag"), 1);
}

TEST(daemon, api_needs_the_token_and_points_at_syntax_errors) {
    temp_dir d;
    daemon_process p(d, base_config(d));
    auto r = p.get("/api/search?q=*", false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    r = p.post("/api/ingest", "{}\n", false);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401);
    r = p.get("/api/search?q=" + httplib::detail::encode_query_param("user.name:alice AND (x"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    EXPECT_NE(r->body.find("\"column\":21"), std::string::npos) << r->body;
    r = p.get("/api/search?q=*&from=yesterday");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400);
    r = p.get("/metrics", false);  // metrics are open unless configured otherwise
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("mimamori_queue_depth"), std::string::npos);
    EXPECT_GE(p.metric("mimamori_http_unauthorized_total"), 2);
    r = p.get("/api/status");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("\"events_stored\":"), std::string::npos);
}

TEST(daemon, sigterm_flushes_everything_read_and_exits_zero) {
    temp_dir d;
    daemon_process p(d, base_config(d, "syslog:\n  - {protocol: tcp, listen: 127.0.0.1:0}\n"));
    std::string data;
    for (int i = 0; i < 20000; ++i) data += syslog_line("flushtag", i) + "\n";
    ASSERT_TRUE(send_tcp(p.port("tcp"), data));
    // Stop at once: what the daemon has read (or can still read) must be committed.
    ASSERT_TRUE(wait_until([&] { return p.metric("mimamori_messages_received_total") > 0; }));
    EXPECT_EQ(p.terminate(), 0) << p.log();
    auto [distinct, rows] = distinct_seqs(d, "flushtag");
    EXPECT_EQ(distinct, rows);  // no duplicates
    EXPECT_EQ(rows, 20000u) << "the sender closed before SIGTERM: everything was in the kernel buffer";
    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    ASSERT_TRUE(s.ok());
    auto v = s.value()->verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.value().ok) << v.value().reason;
}

TEST(daemon, sighup_reloads) {
    temp_dir d;
    daemon_process p(d, base_config(d));
    p.signal(SIGHUP);
    EXPECT_TRUE(wait_until([&] { return p.metric("mimamori_reloads_total") >= 1; }));
    EXPECT_EQ(p.terminate(), 0);
}

TEST(daemon, tcp_senders_wait_instead_of_losing_when_the_queue_is_full) {
    temp_dir d;
    daemon_process p(d, base_config(d,
                                    "queue: {max_messages: 64}\n"
                                    "syslog:\n  - {protocol: tcp, listen: 127.0.0.1:0}\n"));
    const int k_senders = 3, k_each = 30000;
    std::vector<std::thread> ts;
    for (int s = 0; s < k_senders; ++s)
        ts.emplace_back([&, s] {
            std::string data;
            for (int i = 0; i < k_each; ++i) data += syslog_line("bp" + std::to_string(s) + "tag", i) + "\n";
            EXPECT_TRUE(send_tcp(p.port("tcp"), data));
        });
    for (auto& t : ts) t.join();
    ASSERT_TRUE(wait_until([&] { return stored_events(d) == std::size_t(k_senders * k_each); }, 60s))
        << stored_events(d) << "\n" << p.log();
    for (int s = 0; s < k_senders; ++s) {
        auto [distinct, rows] = distinct_seqs(d, "bp" + std::to_string(s) + "tag");
        EXPECT_EQ(distinct, std::size_t(k_each));
        EXPECT_EQ(rows, std::size_t(k_each));
    }
    EXPECT_EQ(p.metric("mimamori_dropped_total"), 0);
}

TEST(daemon, udp_overload_is_counted_never_silent) {
    temp_dir d;
    daemon_process p(d, base_config(d,
                                    "queue: {max_messages: 16}\n"
                                    "syslog:\n  - {protocol: udp, listen: 127.0.0.1:0}\n",
                                    "batch: {max_events: 16, max_delay_ms: 50}"));
    const int k_sent = 30000;
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(p.port("udp")));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < k_sent; ++i) {
        auto m = syslog_line("udpflood", i);
        ::sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    ::close(fd);
    // Everything sent is either stored, dropped by us (queue full) or dropped by the kernel
    // (socket buffer full) — and each of those is visible.
    auto accounted = [&] {
        double stored = static_cast<double>(stored_events(d));
        return stored + p.metric("mimamori_dropped_total") + p.metric("mimamori_udp_kernel_drops_total");
    };
    EXPECT_TRUE(wait_until([&] { return accounted() == k_sent; }, 60s))
        << "stored " << stored_events(d) << " dropped " << p.metric("mimamori_dropped_total") << " kernel "
        << p.metric("mimamori_udp_kernel_drops_total");
}

namespace {
void write_gz(const std::string& path, const std::string& text) {
    gzFile g = gzopen(path.c_str(), "wb");
    gzwrite(g, text.data(), static_cast<unsigned>(text.size()));
    gzclose(g);
}
std::string lines(const std::string& tag, int from, int to) {
    std::string s;
    for (int i = from; i < to; ++i) s += "Mar  1 10:00:00 host1 app[1]: " + tag + " seq=" + std::to_string(i) + "\n";
    return s;
}
}  // namespace

TEST(daemon, files_rotation_copytruncate_archives_and_restart) {
    temp_dir d;
    std::filesystem::create_directories(d.path / "logs");
    std::string log = d / "logs/app.log";
    write_file(log, lines("ftag", 0, 10));
    write_gz(d / "logs/app.log.3.gz", lines("ftag", 1000, 1005));  // history, read once at start
    daemon_process p(d, base_config(d, "files:\n  - path: " + (d / "logs/app.log*") + "\n"));
    auto seqs = [&] { return distinct_seqs(d, "ftag"); };
    auto settled = [&](std::size_t n) {
        return wait_until([&] {
            auto [distinct, rows] = seqs();
            return distinct == n && rows == n;
        });
    };
    ASSERT_TRUE(settled(15)) << seqs().second << "\n" << p.log();

    append_file(log, lines("ftag", 10, 20));
    ASSERT_TRUE(settled(25)) << p.log();

    // Rotation by rename; the writer still writes a little to the old file, then to the new one.
    std::filesystem::rename(log, d / "logs/app.log.1");
    append_file(d / "logs/app.log.1", lines("ftag", 20, 23));
    write_file(log, lines("ftag", 23, 28));
    ASSERT_TRUE(settled(33)) << p.log();

    // A partial line is not read until it is complete.
    append_file(log, "Mar  1 10:00:00 host1 app[1]: ftag seq=28");
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(seqs().second, 33u);
    append_file(log, " done\n");
    ASSERT_TRUE(settled(34)) << p.log();

    // copytruncate: the copy matches the pattern but holds nothing new.
    std::filesystem::copy_file(log, d / "logs/app.log.2");
    std::filesystem::resize_file(log, 0);
    append_file(log, lines("ftag", 29, 40) );
    ASSERT_TRUE(settled(45)) << p.log();

    // Restart: nothing is read twice; lines written while the daemon was down are read.
    EXPECT_EQ(p.terminate(), 0);
    append_file(log, lines("ftag", 40, 50));
    p.start();
    ASSERT_TRUE(settled(55)) << p.log();
    std::this_thread::sleep_for(300ms);
    EXPECT_EQ(seqs().second, 55u);
    EXPECT_EQ(p.count("log.file.path:" + (d / "logs/app.log.3.gz")), 5);
    EXPECT_EQ(p.terminate(), 0);
}

TEST(daemon, status_command_reads_the_api) {
    temp_dir d;
    daemon_process p(d, base_config(d));
    std::string cmd = std::string(MIMAMORI_BINARY) + " status --json -c " + (d / "mimamori.yaml");
    FILE* f = ::popen(cmd.c_str(), "r");
    ASSERT_NE(f, nullptr);
    std::string out;
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    EXPECT_EQ(::pclose(f), 0);
    EXPECT_NE(out.find("\"events_stored\":"), std::string::npos) << out;
    EXPECT_EQ(p.terminate(), 0);
    f = ::popen(cmd.c_str(), "r");
    out.clear();
    while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    EXPECT_EQ(WEXITSTATUS(::pclose(f)), 3);  // not running
}

TEST(daemon, sigma_alerts_are_stored_with_their_events) {
    temp_dir d;
    daemon_process p(d, base_config(d, "syslog:\n  - {protocol: tcp, listen: 127.0.0.1:0}\n"));
    std::string data;
    for (int i = 0; i < 10; ++i)
        data += "<38>Mar  1 10:00:0" + std::to_string(i) +
                " web01 sshd[1]: Failed password for root from 203.0.113.45 port 5555 ssh2\n";
    ASSERT_TRUE(send_tcp(p.port("tcp"), data));
    ASSERT_TRUE(wait_until([&] { return p.count("event.outcome:failure") == 10; })) << p.log();
    EXPECT_GT(p.metric("mimamori_alerts_total"), 0);
    EXPECT_EQ(p.terminate(), 0);
    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    ASSERT_TRUE(s.ok());
    // Every alert points at a stored event that is one of the failures.
    auto q = s.value()->select("SELECT a.rule_name, e.event_outcome FROM alerts a JOIN events e ON e.id = CAST(a.event_ids AS INTEGER)", {});
    ASSERT_TRUE(q.ok()) << q.err().message;
    ASSERT_FALSE(q.value().rows.empty());
    for (const auto& r : q.value().rows) EXPECT_EQ(std::get<std::string>(r.values[1]), "failure");
    auto v = s.value()->verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.value().ok);
    EXPECT_GT(v.value().alerts, 0u);
}
