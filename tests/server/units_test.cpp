// Unit tests of the daemon's parts: RFC 6587 framing, the bounded queue, sender rules, config.
#include <gtest/gtest.h>

#include <thread>

#include "server/config.hpp"
#include "server/framing.hpp"
#include "server/listeners.hpp"
#include "server/queue.hpp"

using namespace mimamori::server;

namespace {
std::vector<std::string> frame_all(framing_mode mode, const std::vector<std::string>& reads, std::size_t max = 1024,
                                   bool finish = true, stream_framer* keep = nullptr) {
    stream_framer local(mode, max);
    stream_framer& f = keep ? *keep : local;
    std::vector<std::string> out;
    for (const auto& r : reads) f.feed(r, [&](std::string_view m) { out.emplace_back(m); });
    if (finish) f.finish([&](std::string_view m) { out.emplace_back(m); });
    return out;
}
}  // namespace

TEST(framing, newline_with_crlf_and_blank_lines) {
    auto m = frame_all(framing_mode::newline, {"<13>a\r\n\n<13>b\n<13>c"});
    EXPECT_EQ(m, (std::vector<std::string>{"<13>a", "<13>b", "<13>c"}));
}

TEST(framing, octet_counting_split_across_reads) {
    std::string a = "<13>1 2024 host app - - - hello world";
    std::string b = "<14>second\nwith newline inside";
    std::string all = std::to_string(a.size()) + " " + a + std::to_string(b.size()) + " " + b;
    // Every split point must give the same two messages.
    for (std::size_t cut = 0; cut <= all.size(); ++cut) {
        auto m = frame_all(framing_mode::octet, {all.substr(0, cut), all.substr(cut)});
        ASSERT_EQ(m, (std::vector<std::string>{a, b})) << "cut at " << cut;
    }
}

TEST(framing, automatic_mixes_both_per_frame) {
    auto m = frame_all(framing_mode::automatic, {"5 <13>a<13>b line\n3 xyzhello 42\n12abc\n"});
    EXPECT_EQ(m, (std::vector<std::string>{"<13>a", "<13>b line", "xyz", "hello 42", "12abc"}));
}

TEST(framing, over_long_messages_are_cut_and_counted) {
    stream_framer f(framing_mode::newline, 8);
    auto m = frame_all(framing_mode::newline, {"0123456789abc\nok\n"}, 8, true, &f);
    EXPECT_EQ(m, (std::vector<std::string>{"01234567", "ok"}));
    EXPECT_EQ(f.truncated(), 1u);
    stream_framer g(framing_mode::octet, 4);
    m = frame_all(framing_mode::octet, {"6 abcdef2 gh"}, 4, true, &g);
    EXPECT_EQ(m, (std::vector<std::string>{"abcd", "gh"}));
    EXPECT_EQ(g.truncated(), 1u);
}

TEST(framing, short_octet_frame_at_eof_is_kept_and_counted) {
    stream_framer f(framing_mode::octet, 1024);
    auto m = frame_all(framing_mode::octet, {"10 abc"}, 1024, true, &f);
    EXPECT_EQ(m, (std::vector<std::string>{"abc"}));
    EXPECT_EQ(f.errors(), 1u);
}

TEST(queue, weights_bound_and_close_releases_waiters) {
    bounded_queue<int> q(10);
    EXPECT_TRUE(q.try_push(1, 6));
    EXPECT_FALSE(q.try_push(2, 6));  // 12 > 10
    EXPECT_TRUE(q.try_push(3, 4));
    std::thread producer([&] { EXPECT_TRUE(q.push(4, 5)); });  // waits for room
    int v = 0;
    ASSERT_TRUE(q.pop(v, std::chrono::seconds(5)));
    EXPECT_EQ(v, 1);
    producer.join();
    EXPECT_EQ(q.weight(), 9u);
    std::thread blocked([&] { EXPECT_FALSE(q.push(5, 5)); });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    q.close();
    blocked.join();
    ASSERT_TRUE(q.pop(v, std::chrono::seconds(1)));
    ASSERT_TRUE(q.pop(v, std::chrono::seconds(1)));
    EXPECT_FALSE(q.pop(v, std::chrono::milliseconds(10)));
    EXPECT_TRUE(q.drained());
    bounded_queue<int> big(4);
    EXPECT_TRUE(big.try_push(1, 100));  // heavier than the bound, but the queue is empty
}

TEST(sender_rules, cidr_matching) {
    sender_match m;
    ASSERT_TRUE(sender_match::parse("192.0.2.0/24", m));
    unsigned char in[4] = {192, 0, 2, 77}, out[4] = {192, 0, 3, 1};
    EXPECT_TRUE(m.contains(in, 4));
    EXPECT_FALSE(m.contains(out, 4));
    ASSERT_TRUE(sender_match::parse("10.0.0.5", m));
    unsigned char exact[4] = {10, 0, 0, 5};
    EXPECT_TRUE(m.contains(exact, 4));
    EXPECT_FALSE(m.contains(in, 4));
    ASSERT_TRUE(sender_match::parse("2001:db8::/32", m));
    unsigned char v6[16] = {0x20, 0x01, 0x0d, 0xb8, 1};
    EXPECT_TRUE(m.contains(v6, 6));
    EXPECT_FALSE(m.contains(in, 4));
    EXPECT_FALSE(sender_match::parse("not-an-ip", m));
    EXPECT_FALSE(sender_match::parse("10.0.0.0/33", m));
}

TEST(config, example_config_loads) {
    ::setenv("MIMAMORI_TOKEN", "an-example-token-for-the-test", 1);
    auto c = load_config(std::string(MIMAMORI_SOURCE_DIR) + "/examples/mimamori.yaml");
    ASSERT_TRUE(c.ok()) << c.err().message;
    EXPECT_FALSE(c.value().syslog.empty());
    EXPECT_FALSE(c.value().files.empty());
    EXPECT_TRUE(c.value().http.enabled);
    EXPECT_EQ(c.value().store.retention_age_s, 90 * 86400);
}

TEST(config, errors_name_the_key) {
    auto c = parse_config("syslog:\n  - {protocol: sctp, port: 514}\n", "/");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.err().message.find("syslog.protocol"), std::string::npos) << c.err().message;
    c = parse_config("store:\n  retention: {max_age: forever}\n", "/");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.err().message.find("max_age"), std::string::npos);
    c = parse_config("stroe: {}\n", "/");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.err().message.find("unknown key 'stroe'"), std::string::npos);
    c = parse_config("http: {listen: 127.0.0.1:8514, token: short}\n", "/");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.err().message.find("token"), std::string::npos);
    c = parse_config("syslog:\n  - {protocol: tls, listen: 0.0.0.0:6514}\n", "/");
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.err().message.find("tls.cert"), std::string::npos);
    c = parse_config("store: {path: data/m.db}\nfiles:\n  - path: logs/*.log\n", "/srv/mimamori");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c.value().store.path, "/srv/mimamori/data/m.db");
    EXPECT_EQ(c.value().files[0].paths[0], "/srv/mimamori/logs/*.log");
}

TEST(config, sizes_and_durations) {
    EXPECT_EQ(parse_duration_s("90d"), 90 * 86400);
    EXPECT_EQ(parse_duration_s("12h"), 12 * 3600);
    EXPECT_EQ(parse_duration_s("x"), -1);
    EXPECT_EQ(parse_size("20GiB"), 20ULL << 30);
    EXPECT_EQ(parse_size("500MB"), 500'000'000ULL);
    EXPECT_EQ(parse_size("lots"), 0u);
}
