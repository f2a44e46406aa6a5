#include <gtest/gtest.h>

#include "parse/parser.hpp"
#include "schema.hpp"

using namespace mimamori;

namespace {
struct parsed {
    event_batch batch;
    int used = -1;
};
std::unique_ptr<parsed> parse_line(std::string_view line) {
    static parse::options opts;
    static auto made = parse::parser_set::create(opts);
    auto p = std::make_unique<parsed>();
    auto& e = p->batch.begin();
    e.raw = p->batch.copy(line);
    parse::context ctx{&opts, 1700000000LL * k_ns_per_sec};
    p->used = made.value().parse(e.raw, -1, ctx, p->batch, e);
    return p;
}
}  // namespace

TEST(suricata_fast, tcp_alert) {
    auto p = parse_line(
        "07/11/2022-06:09:52.602489  [**] [1:2034125:4] ET EXPLOIT Apache HTTP Server 2.4.49 - Path "
        "Traversal Attempt (CVE-2021-41773) M2 [**] [Classification: Attempted Administrator Privilege "
        "Gain] [Priority: 1] {TCP} 185.7.214.104:36288 -> 172.31.18.55:80");
    const auto& b = p->batch;
    const auto& e = b[0];
    ASSERT_FALSE(e.malformed()) << e.parse_error;
    EXPECT_EQ(e.source_type, "suricata.fast");
    EXPECT_EQ(format_rfc3339(e.ts), "2022-07-11T06:09:52.602489Z");
    EXPECT_EQ(b.get(e, f::source_ip), "185.7.214.104");
    EXPECT_EQ(b.get(e, f::source_port), "36288");
    EXPECT_EQ(b.get(e, f::destination_port), "80");
    EXPECT_EQ(b.get(e, f::rule_id), "2034125");
    EXPECT_EQ(b.get(e, f::rule_name),
              "ET EXPLOIT Apache HTTP Server 2.4.49 - Path Traversal Attempt (CVE-2021-41773) M2");
    EXPECT_EQ(b.get(e, f::event_severity), "1");
    EXPECT_EQ(b.get(e, f::network_transport), "tcp");
    EXPECT_EQ(b.get(e, f::event_action), "allowed");
    EXPECT_SCHEMA(b, e);
}

TEST(suricata_fast, ips_drop_icmp_and_ipv6) {
    auto p = parse_line(
        "01/02/2024-00:00:01.000001  [Drop] [**] [1:2100366:8] GPL ICMP_INFO PING *NIX [**] "
        "[Priority: 3] {ICMP} 203.0.113.9 -> 192.0.2.1");
    ASSERT_FALSE(p->batch[0].malformed()) << p->batch[0].parse_error;
    EXPECT_EQ(p->batch.get(p->batch[0], f::event_action), "blocked");
    EXPECT_EQ(p->batch.get(p->batch[0], f::source_port), "");
    EXPECT_SCHEMA(p->batch, p->batch[0]);
    auto q = parse_line(
        "01/02/2024-00:00:01.000001  [**] [1:1:1] test [**] [Priority: 2] {UDP} "
        "2001:0db8:0000:0000:0000:0000:0000:0001:5353 -> 2001:0db8:0000:0000:0000:0000:0000:0002:53");
    ASSERT_FALSE(q->batch[0].malformed()) << q->batch[0].parse_error;
    EXPECT_EQ(q->batch.get(q->batch[0], f::source_port), "5353");
    EXPECT_EQ(q->batch.get(q->batch[0], f::destination_ip), "2001:0db8:0000:0000:0000:0000:0000:0002");
    EXPECT_SCHEMA(q->batch, q->batch[0]);
}

TEST(suricata_fast, broken_alert_is_malformed_not_lost) {
    auto p = parse_line("07/11/2022-06:09:52.602489  [**] [1:2034125:4] no end marker {TCP} 1.2.3.4:1 -> 5.6.7.8:2");
    EXPECT_TRUE(p->batch[0].malformed());
    EXPECT_EQ(p->batch[0].source_type, "suricata.fast");
}
