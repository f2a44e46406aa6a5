// Microsoft Exchange protocol logs: SMTP Receive, IMAP4 and POP3 (CSV).
#include <gtest/gtest.h>

#include "line_fixture.hpp"

namespace mimamori {
namespace {

using testing::one_line;

TEST(Exchange, SmtpAuthRepliesAreLogons) {
    one_line bad("2022-07-20T21:12:06.270Z,EXCHANGE-1\\Default Frontend EXCHANGE-1,08DA4F7C11473A60,9,192.168.9.241:25,"
                 "192.168.9.212:53722,>,535 5.7.3 Authentication unsuccessful,");
    EXPECT_EQ(bad.format, "exchange");
    EXPECT_EQ(bad.e().source_type, "exchange.smtp");
    EXPECT_EQ(format_rfc3339(bad.e().ts), "2022-07-20T21:12:06.270Z");
    EXPECT_EQ(bad.get("event.category"), "authentication");
    EXPECT_EQ(bad.get("event.action"), "exchange_smtp_auth");
    EXPECT_EQ(bad.get("event.outcome"), "failure");
    EXPECT_EQ(bad.get("event.reason"), "535 5.7.3 Authentication unsuccessful");
    EXPECT_EQ(bad.get("source.ip"), "192.168.9.212");
    EXPECT_EQ(bad.get("source.port"), "53722");
    EXPECT_EQ(bad.get("destination.port"), "25");
    EXPECT_EQ(bad.get("exchange.connector_id"), "EXCHANGE-1\\Default Frontend EXCHANGE-1");

    one_line good("2022-07-20T21:13:00.001Z,EXCHANGE-1\\Client Frontend EXCHANGE-1,08DA4F7C11473A61,7,192.168.9.241:587,"
                  "192.168.9.50:50112,>,235 2.7.0 Authentication successful,");
    EXPECT_EQ(good.get("event.outcome"), "success");
    EXPECT_FALSE(good.has("event.reason"));

    // Other protocol lines: kept with their endpoints, no logon; a comma inside a quoted field.
    one_line ehlo("2022-07-20T21:13:00.000Z,EXCHANGE-1\\Client Frontend EXCHANGE-1,08DA4F7C11473A61,1,192.168.9.241:587,"
                  "192.168.9.50:50112,<,EHLO pc50,\"SessionId=1, state=open\"");
    EXPECT_FALSE(ehlo.has("event.outcome"));
    EXPECT_EQ(ehlo.get("message"), "EHLO pc50");
    EXPECT_EQ(ehlo.get("source.ip"), "192.168.9.50");
}

TEST(Exchange, ImapAndPopLogons) {
    one_line imap("2022-07-20T21:28:50.530Z,000000000000000E,2,192.168.9.241:143,192.168.9.212:35070,testuser,168,31,31,"
                  "authenticate,PLAIN,\"R=\"\"2 NO AUTHENTICATE failed.\"\";Msg=\"\"AuthFailed:LogonDenied,User: testuser\"\";"
                  "ErrMsg=AuthFailed:LogonDenied\",");
    EXPECT_EQ(imap.e().source_type, "exchange.imap");
    EXPECT_EQ(imap.get("event.action"), "exchange_imap_login");
    EXPECT_EQ(imap.get("event.outcome"), "failure");
    EXPECT_EQ(imap.get("event.reason"), "AuthFailed:LogonDenied");
    EXPECT_EQ(imap.get("user.name"), "testuser");
    EXPECT_EQ(imap.get("network.protocol"), "imap");

    one_line pop("2022-07-20T21:23:48.514Z,0000000000000005,1,192.168.9.241:110,192.168.9.212:55576,testuser,193,21,69,"
                 "auth, PLAIN,\"R=\"\"-ERR Authentication failure: unknown user name or bad password.\"\";Msg=\"\"AuthFailed:"
                 "LogonDenied,User: testuser\"\";ErrMsg=AuthFailed:LogonDenied\",");
    EXPECT_EQ(pop.e().source_type, "exchange.pop");
    EXPECT_EQ(pop.get("event.action"), "exchange_pop_login");
    EXPECT_EQ(pop.get("event.outcome"), "failure");

    one_line ok("2022-07-20T21:30:00.000Z,000000000000000F,2,192.168.9.241:993,192.168.9.50:50200,alice,20,40,30,login,"
                "alice *****,\"R=\"\"a1 OK LOGIN completed.\"\"\",");
    EXPECT_EQ(ok.get("event.outcome"), "success");
    EXPECT_EQ(ok.get("user.name"), "alice");

    one_line select("2022-07-20T21:30:01.000Z,000000000000000F,3,192.168.9.241:993,192.168.9.50:50200,alice,2,20,60,select,"
                    "INBOX,\"R=\"\"a2 OK [READ-WRITE] SELECT completed.\"\"\",");
    EXPECT_FALSE(select.has("event.outcome"));
}

TEST(Exchange, HeadersAndOtherLayouts) {
    one_line type("#Log-type: SMTP Receive Protocol Log");
    EXPECT_EQ(type.format, "exchange");
    EXPECT_EQ(type.get("exchange.log_type"), "SMTP Receive Protocol Log");
    one_line version("#Version: 15.01.2507.006");
    EXPECT_EQ(version.format, "exchange");
    one_line date("#Date: 2022-07-20T21:00:00.000Z");
    EXPECT_EQ(date.format, "exchange");
    EXPECT_EQ(format_rfc3339(date.e().ts), "2022-07-20T21:00:00Z");
    one_line fields("#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context");
    EXPECT_EQ(fields.format, "exchange");
    EXPECT_FALSE(fields.e().malformed());
    // Another Exchange log (message tracking has many more fields): said, not guessed.
    one_line other("2022-07-20T21:12:06.270Z,192.168.9.241,EXCHANGE-1,192.168.9.212,EXCHANGE-1,,SMTP,RECEIVE,1,<a@b>,c@d");
    EXPECT_TRUE(other.e().malformed());
    EXPECT_NE(other.e().parse_error.find("Exchange"), std::string_view::npos) << other.e().parse_error;
}

}  // namespace
}  // namespace mimamori
