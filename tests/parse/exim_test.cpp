// Exim's main log and its syslog lines.
#include <gtest/gtest.h>

#include "line_fixture.hpp"
#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::one_line;
using testing::syslog_fixture;

TEST(Exim, RefusedAuth) {
    one_line l("2022-06-29 16:04:08 dovecot_login authenticator failed for ppp-1-2-3-4.test.test.co.th ([1.2.3.5]) "
               "[1.2.3.4]:51451: 535 Incorrect authentication data (set_id=info1@test.com)");
    EXPECT_EQ(l.format, "exim");
    EXPECT_EQ(l.e().source_type, "mail.exim");
    EXPECT_EQ(format_rfc3339(l.e().ts), "2022-06-29T16:04:08Z");
    EXPECT_EQ(l.get("event.category"), "authentication");
    EXPECT_EQ(l.get("event.action"), "smtp_auth");
    EXPECT_EQ(l.get("event.outcome"), "failure");
    EXPECT_EQ(l.get("event.reason"), "535 Incorrect authentication data");
    EXPECT_EQ(l.get("user.name"), "info1@test.com");
    EXPECT_EQ(l.get("source.ip"), "1.2.3.4");  // not the HELO name's [1.2.3.5]
    EXPECT_EQ(l.get("process.name"), "exim");

    one_line zone("2023-05-30 06:10:13.345 +0900 login authenticator failed for millis.example.org [192.0.2.12]:5432: 535 "
                  "Incorrect authentication data (set_id=user)");
    EXPECT_EQ(format_rfc3339(zone.e().ts), "2023-05-29T21:10:13.345Z");
    EXPECT_EQ(zone.get("source.ip"), "192.0.2.12");
}

TEST(Exim, RejectsAndMessages) {
    one_line rcpt("2022-06-29 14:34:58 H=imfo.test.biz [1.2.3.4]:35328 X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=no "
                  "F=<jack@test.biz> rejected RCPT <sales@toto.com.au>: No Such User Here");
    EXPECT_EQ(rcpt.get("event.category"), "email");
    EXPECT_EQ(rcpt.get("event.action"), "smtp_reject");
    EXPECT_EQ(rcpt.get("event.reason"), "No Such User Here");
    EXPECT_EQ(rcpt.get("source.ip"), "1.2.3.4");
    EXPECT_EQ(rcpt.get("email.from.address"), "jack@test.biz");
    EXPECT_EQ(rcpt.get("email.to.address"), "sales@toto.com.au");
    EXPECT_EQ(rcpt.get("user.target.name"), "sales@toto.com.au");
    one_line verify("2022-06-29 15:47:21 H=tata.test.biz [1.2.3.4]:41584 sender verify fail for <toto@test.biz>: The mail "
                    "server does not recognize toto@test.biz as a valid sender.");
    EXPECT_EQ(verify.get("source.user.name"), "toto@test.biz");
    EXPECT_EQ(verify.get("event.action"), "smtp_reject");

    one_line in("2024-03-01 10:00:01 1rg0Zz-0004Hk-2B <= alice@example.jp H=pc12 [192.168.1.12] P=esmtpsa A=dovecot_plain:alice S=1234");
    EXPECT_EQ(in.format, "exim");
    EXPECT_EQ(in.get("exim.message_id"), "1rg0Zz-0004Hk-2B");
    EXPECT_EQ(in.get("source.ip"), "192.168.1.12");
    EXPECT_FALSE(in.has("event.outcome"));

    // Another program's timestamped line is not claimed.
    one_line other("2024-03-01 10:00:01 backup: copied 1234 files");
    EXPECT_NE(other.format, "exim");
}

TEST(Exim, ThroughSyslog) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "Jun 29 16:04:05 mx exim[1234]: dovecot_plain authenticator failed for (mail.test.com) [202.137.142.181]:47807: 535 "
        "Incorrect authentication data (set_id=dave)");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "mail.exim");
    EXPECT_EQ(fx.get(e, "user.name"), "dave");
    EXPECT_EQ(fx.get(e, "source.ip"), "202.137.142.181");
}

}  // namespace
}  // namespace mimamori
