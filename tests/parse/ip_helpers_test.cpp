#include <gtest/gtest.h>

#include "parse/parser.hpp"
#include "schema.hpp"

using namespace mimamori;

TEST(ip_helpers, unmap_ipv4_mapped_addresses) {
    EXPECT_EQ(parse::unmap_ipv4("::ffff:192.168.1.1"), "192.168.1.1");
    EXPECT_EQ(parse::unmap_ipv4("::FFFF:10.0.0.1"), "10.0.0.1");
    EXPECT_EQ(parse::unmap_ipv4("::ffff:zz"), "::ffff:zz");
    EXPECT_EQ(parse::unmap_ipv4("2001:db8::1"), "2001:db8::1");
    EXPECT_EQ(parse::unmap_ipv4("203.0.113.5"), "203.0.113.5");
}

TEST(ip_helpers, sshd_tcp_wrappers_refusal_reports_the_ipv4_address) {
    parse::options opts;
    auto made = parse::parser_set::create(opts);
    ASSERT_TRUE(made.ok());
    event_batch b;
    auto& e = b.begin();
    e.raw = b.copy("Dec 12 14:10:24 myhost sshd[16379]: refused connect from "
                   "host.example::ffff:192.168.1.1 (::ffff:192.168.1.1)");
    parse::context ctx{&opts, 1700000000LL * k_ns_per_sec};
    made.value().parse(e.raw, -1, ctx, b, e);
    ASSERT_FALSE(e.malformed()) << e.parse_error;
    EXPECT_EQ(b.get(e, f::source_ip), "192.168.1.1");
    EXPECT_SCHEMA(b, e);
}
