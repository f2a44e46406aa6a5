// The syslog envelope: RFC 3164 variants, rsyslog high precision, RFC 5424, year and zone
// inference, malformed envelopes, and the crowdsec-hub sample logs end to end.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "parse/message.hpp"
#include "parse/syslog.hpp"
#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::syslog_fixture;

// Run the registered "syslog" format directly, to see not_mine vs malformed.
parse::parse_status raw_status(std::string_view line, std::string_view* why_out = nullptr) {
    std::unique_ptr<parse::line_parser> p;
    for (const auto& f : parse::formats())
        if (f.name == "syslog") p = f.make();
    EXPECT_TRUE(p);
    parse::options opts;
    parse::context ctx{&opts, 1718452800LL * k_ns_per_sec};
    event_batch b;
    auto& e = b.begin();
    e.raw = b.copy(line);
    std::string_view why;
    auto st = p->parse(e.raw, ctx, b, e, why);
    if (st == parse::parse_status::malformed) {
        EXPECT_FALSE(why.empty()) << line;
    }
    if (why_out) *why_out = why;
    return st;
}

TEST(SyslogEnvelope, Rfc3164SpacePaddedDay) {
    syslog_fixture fx;  // reference 2024-06-15, UTC
    const auto& e = fx.parse("Feb  3 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(e), "2024-02-03T14:10:21Z");
    EXPECT_EQ(fx.get(e, "host.name"), "sd-126005");
    EXPECT_EQ(fx.get(e, "process.name"), "sshd");
    EXPECT_EQ(fx.get(e, "process.pid"), "16378");
    EXPECT_EQ(fx.get(e, "message"), "Invalid user pascal from 35.188.49.176 port 53502");
    EXPECT_FALSE(fx.has(e, "log.syslog.facility.code"));
}

TEST(SyslogEnvelope, Rfc3164SingleAndZeroPaddedDay) {
    syslog_fixture fx;
    const auto& a = fx.parse("Nov 2 15:40:14 workshop sshd[28179]: hello");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(a), "2023-11-02T15:40:14Z");  // November is after June: last year
    const auto& b = fx.parse("Jun 04 22:24:28 machine postfix/smtpd[3967801]: hello");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(b), "2024-06-04T22:24:28Z");
    EXPECT_EQ(fx.get(b, "process.name"), "postfix/smtpd");
}

TEST(SyslogEnvelope, YearRolloverDecemberLinesReadInJanuary) {
    syslog_fixture fx("UTC", "2025-01-05T08:00:00Z");
    const auto& dec = fx.parse("Dec 31 23:59:59 h cron[1]: a");
    EXPECT_EQ(fx.ts(dec), "2024-12-31T23:59:59Z");
    const auto& jan = fx.parse("Jan  1 00:00:01 h cron[1]: b");
    EXPECT_EQ(fx.ts(jan), "2025-01-01T00:00:01Z");
    const auto& same = fx.parse("Jan  5 07:00:00 h cron[1]: c");
    EXPECT_EQ(fx.ts(same), "2025-01-05T07:00:00Z");
}

TEST(SyslogEnvelope, ReferenceYearIsTakenInTheLogZone) {
    // 2024-12-31T20:00Z is already 2025-01-01 05:00 in Tokyo.
    syslog_fixture fx("Asia/Tokyo", "2024-12-31T20:00:00Z");
    const auto& jan = fx.parse("Jan  1 04:00:00 h p: x");
    EXPECT_EQ(fx.ts(jan), "2024-12-31T19:00:00Z");  // 2025-01-01 04:00 +09:00
    const auto& dec = fx.parse("Dec 31 23:00:00 h p: x");
    EXPECT_EQ(fx.ts(dec), "2024-12-31T14:00:00Z");
    EXPECT_EQ(parse::infer_syslog_year(1, 1735675200LL * k_ns_per_sec, time_zone{}), 2024);
    EXPECT_EQ(parse::infer_syslog_year(12, 1735675200LL * k_ns_per_sec, time_zone{}), 2024);
}

TEST(SyslogEnvelope, ZonesFixedAndDst) {
    syslog_fixture tokyo("Asia/Tokyo");
    EXPECT_EQ(tokyo.ts(tokyo.parse("Mar  1 12:00:05 host prog: m")), "2024-03-01T03:00:05Z");
    syslog_fixture berlin("Europe/Berlin");
    EXPECT_EQ(berlin.ts(berlin.parse("Jan  1 12:00:00 host prog: m")), "2024-01-01T11:00:00Z");
    EXPECT_EQ(berlin.ts(berlin.parse("Jun  1 12:00:00 host prog: m")), "2024-06-01T10:00:00Z");
    EXPECT_EQ(berlin.ts(berlin.parse("Jun  1 12:00:30 host prog: m")), "2024-06-01T10:00:30Z");
    // clocks go forward 2024-03-31 02:00 → 03:00: a skipped time takes the offset before
    EXPECT_EQ(berlin.ts(berlin.parse("Mar 31 01:59:59 host prog: m")), "2024-03-31T00:59:59Z");
    EXPECT_EQ(berlin.ts(berlin.parse("Mar 31 02:30:00 host prog: m")), "2024-03-31T01:30:00Z");
    EXPECT_EQ(berlin.ts(berlin.parse("Mar 31 03:00:00 host prog: m")), "2024-03-31T01:00:00Z");
    // clocks go back 2023-10-29 03:00 → 02:00: the repeated hour is read the first time
    EXPECT_EQ(berlin.ts(berlin.parse("Oct 29 02:30:00 host prog: m")), "2023-10-29T00:30:00Z");
    EXPECT_EQ(berlin.ts(berlin.parse("Oct 29 03:30:00 host prog: m")), "2023-10-29T02:30:00Z");
    syslog_fixture fixed("-05:00");
    EXPECT_EQ(fixed.ts(fixed.parse("Jun  1 12:00:00 host prog: m")), "2024-06-01T17:00:00Z");
}

TEST(SyslogEnvelope, FractionAndYearVariants) {
    syslog_fixture fx;
    EXPECT_EQ(fx.ts(fx.parse("Mar  1 12:00:05.123456 host p: m")), "2024-03-01T12:00:05.123456Z");
    ASSERT_TRUE(fx.ok());
    const auto& y1 = fx.parse("Mar  1 2022 12:00:05 host p[7]: m");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(y1), "2022-03-01T12:00:05Z");
    EXPECT_EQ(fx.get(y1, "host.name"), "host");
    const auto& y2 = fx.parse("Dec 24 12:00:05 2022 host p[7]: m");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(y2), "2022-12-24T12:00:05Z");
    EXPECT_EQ(fx.get(y2, "host.name"), "host");
    EXPECT_EQ(fx.ts(fx.parse("Feb 29 12:00:00 h p: leap")), "2024-02-29T12:00:00Z");
}

TEST(SyslogEnvelope, PriorityGivesFacilityAndSeverity) {
    syslog_fixture fx;
    const auto& e = fx.parse("<38>Feb 12 14:10:21 host sshd[1]: Server listening on :: port 22.");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.get(e, "log.syslog.facility.code"), "4");
    EXPECT_EQ(fx.get(e, "log.syslog.severity.code"), "6");
    const auto& z = fx.parse("<0>Feb 12 14:10:21 host kernel: panic");
    EXPECT_EQ(fx.get(z, "log.syslog.facility.code"), "0");
    EXPECT_EQ(fx.get(z, "log.syslog.severity.code"), "0");
    const auto& top = fx.parse("<191>Feb 12 14:10:21 host x: y");
    EXPECT_EQ(fx.get(top, "log.syslog.facility.code"), "23");
    EXPECT_EQ(fx.get(top, "log.syslog.severity.code"), "7");
}

TEST(SyslogEnvelope, MissingHostAndMissingTag) {
    syslog_fixture fx;
    const auto& nohost = fx.parse("Feb 12 14:10:21 sshd[123]: Invalid user a from 1.2.3.4 port 5");
    ASSERT_TRUE(fx.ok());
    EXPECT_FALSE(fx.has(nohost, "host.name"));
    EXPECT_EQ(fx.get(nohost, "process.name"), "sshd");
    EXPECT_EQ(fx.get(nohost, "process.pid"), "123");
    EXPECT_EQ(fx.get(nohost, "source.ip"), "1.2.3.4");
    const auto& kern = fx.parse("Feb 12 14:10:21 kernel: [ 1.0] usb 1-1: new device");
    EXPECT_FALSE(fx.has(kern, "host.name"));
    EXPECT_EQ(fx.get(kern, "process.name"), "kernel");
    EXPECT_EQ(fx.get(kern, "message"), "[ 1.0] usb 1-1: new device");
    const auto& mark = fx.parse("Feb 12 14:10:21 gw -- MARK --");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.get(mark, "host.name"), "gw");
    EXPECT_FALSE(fx.has(mark, "process.name"));
    EXPECT_EQ(fx.get(mark, "message"), "-- MARK --");
    const auto& v6 = fx.parse("Feb 12 14:10:21 2001:db8::1 dhclient[9]: bound");
    EXPECT_EQ(fx.get(v6, "host.name"), "2001:db8::1");
    EXPECT_EQ(fx.get(v6, "process.name"), "dhclient");
    const auto& nocolon = fx.parse("Feb 12 14:10:21 host app[77] no colon here");
    EXPECT_EQ(fx.get(nocolon, "process.name"), "app");
    EXPECT_EQ(fx.get(nocolon, "message"), "no colon here");
    const auto& bigpid = fx.parse("Feb 12 14:10:21 host app[99999999999]: x");
    EXPECT_EQ(fx.get(bigpid, "process.name"), "app");
    EXPECT_FALSE(fx.has(bigpid, "process.pid"));
    const auto& tight = fx.parse("Feb 12 14:10:21 host app[77]:tight");
    EXPECT_EQ(fx.get(tight, "message"), "tight");
}

TEST(SyslogEnvelope, RsyslogHighPrecision) {
    syslog_fixture fx("Asia/Tokyo");
    const auto& e = fx.parse("2024-03-01T12:00:05.123456+09:00 host prog[42]: msg here");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(e), "2024-03-01T03:00:05.123456Z");
    EXPECT_EQ(fx.get(e, "host.name"), "host");
    EXPECT_EQ(fx.get(e, "process.pid"), "42");
    EXPECT_EQ(fx.get(e, "message"), "msg here");
    // no zone: the configured zone applies
    EXPECT_EQ(fx.ts(fx.parse("2024-03-01T12:00:05 host prog: m")), "2024-03-01T03:00:05Z");
    EXPECT_EQ(fx.ts(fx.parse("2024-03-01T12:00:05Z host prog: m")), "2024-03-01T12:00:05Z");
    EXPECT_EQ(fx.ts(fx.parse("2024-03-01T12:00:05.5-0130 host prog: m")), "2024-03-01T13:30:05.500Z");
}

TEST(SyslogEnvelope, Rfc5424WithStructuredDataAndBom) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 "
        "[exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"]"
        "[examplePriority@32473 class=\"high\"] \xEF\xBB\xBF" "An application event log entry");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(e), "2003-10-11T22:14:15.003Z");
    EXPECT_EQ(fx.get(e, "log.syslog.facility.code"), "20");
    EXPECT_EQ(fx.get(e, "log.syslog.severity.code"), "5");
    EXPECT_EQ(fx.get(e, "log.syslog.version"), "1");
    EXPECT_EQ(fx.get(e, "host.name"), "mymachine.example.com");
    EXPECT_EQ(fx.get(e, "log.syslog.appname"), "evntslog");
    EXPECT_EQ(fx.get(e, "process.name"), "evntslog");
    EXPECT_FALSE(fx.has(e, "process.pid"));
    EXPECT_EQ(fx.get(e, "log.syslog.msgid"), "ID47");
    EXPECT_EQ(fx.get(e, "syslog.sd.exampleSDID@32473.iut"), "3");
    EXPECT_EQ(fx.get(e, "syslog.sd.exampleSDID@32473.eventSource"), "Application");
    EXPECT_EQ(fx.get(e, "syslog.sd.exampleSDID@32473.eventID"), "1011");
    EXPECT_EQ(fx.get(e, "syslog.sd.examplePriority@32473.class"), "high");
    EXPECT_EQ(fx.get(e, "message"), "An application event log entry");
    EXPECT_EQ(fx.batch().events().back().source_type, "syslog");
}

TEST(SyslogEnvelope, Rfc5424EscapesNilValuesAndProcid) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "<13>1 2024-01-01T00:00:00+02:00 host app 123 - "
        "[x@1 a=\"q\\\"uote\" b=\"back\\\\slash\" c=\"br\\]acket\" d=\"keep\\n\" e=\"\"] hello");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(e), "2023-12-31T22:00:00Z");
    EXPECT_EQ(fx.get(e, "syslog.sd.x@1.a"), "q\"uote");
    EXPECT_EQ(fx.get(e, "syslog.sd.x@1.b"), "back\\slash");
    EXPECT_EQ(fx.get(e, "syslog.sd.x@1.c"), "br]acket");
    EXPECT_EQ(fx.get(e, "syslog.sd.x@1.d"), "keep\\n");
    EXPECT_FALSE(fx.has(e, "syslog.sd.x@1.e"));
    EXPECT_EQ(fx.get(e, "process.pid"), "123");
    EXPECT_FALSE(fx.has(e, "log.syslog.msgid"));
    EXPECT_EQ(fx.get(e, "message"), "hello");

    const auto& nil = fx.parse("<34>1 - - - - - -");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(nil), "2024-06-15T12:00:00Z");  // no time: the reference time
    EXPECT_FALSE(fx.has(nil, "host.name"));
    EXPECT_FALSE(fx.has(nil, "message"));

    const auto& word = fx.parse("<13>1 2024-01-01T00:00:00Z host app worker-7 - - hi");
    EXPECT_EQ(fx.get(word, "log.syslog.procid"), "worker-7");
    EXPECT_FALSE(fx.has(word, "process.pid"));
}

TEST(SyslogEnvelope, Rfc5424OpnsenseSshdGoesToTheSshdParser) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "<38>1 2022-01-19T14:23:55+00:00 OPNsense.localdomain sshd 44255 - [meta sequenceId=\"1\"] "
        "Invalid user tutu from 1.2.3.4 port 33166");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.batch().events().back().source_type, "linux.auth");
    EXPECT_EQ(fx.get(e, "syslog.sd.meta.sequenceId"), "1");
    EXPECT_EQ(fx.get(e, "process.pid"), "44255");
    EXPECT_EQ(fx.get(e, "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.get(e, "user.name"), "tutu");
    EXPECT_EQ(fx.get(e, "event.action"), "ssh_invalid_user");
}

TEST(SyslogEnvelope, RepeatedMessageIsUnwrapped) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "Feb 12 14:10:21 host sshd[1]: message repeated 3 times: [ Failed password for root from "
        "1.2.3.4 port 22 ssh2]");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.get(e, "syslog.repeated"), "3");
    EXPECT_EQ(fx.get(e, "message"), "Failed password for root from 1.2.3.4 port 22 ssh2");
    EXPECT_EQ(fx.get(e, "event.action"), "ssh_login");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
}

TEST(SyslogEnvelope, PriWithoutTimestampUsesReferenceTime) {
    syslog_fixture fx;
    const auto& e = fx.parse("<30>dnsmasq[123]: query[A] example.com from 10.0.0.2");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(e), "2024-06-15T12:00:00Z");
    EXPECT_EQ(fx.get(e, "process.name"), "dnsmasq");
    EXPECT_EQ(fx.get(e, "log.syslog.facility.code"), "3");
}

TEST(SyslogEnvelope, SlashTagsFallBackToTheirFirstPart) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "May  6 09:25:41 mail postfix/smtps/smtpd[16997]: warning: unknown[203.0.113.10]: SASL "
        "LOGIN authentication failed: (reason unavailable), sasl_username=postmaster@example.org");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.batch().events().back().source_type, "mail.postfix");
    EXPECT_EQ(fx.get(e, "source.ip"), "203.0.113.10");
}

TEST(SyslogEnvelope, TrailingWhitespaceAndCr) {
    syslog_fixture fx;
    const auto& e = fx.parse("Feb 12 14:10:21 host app: hello  \r");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.get(e, "message"), "hello");
}

TEST(SyslogEnvelope, MalformedEnvelopes) {
    std::string_view why;
    EXPECT_EQ(raw_status("<999>Feb 12 14:10:21 host x: y", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "syslog PRI out of range (0-191)");
    EXPECT_EQ(raw_status("<12x>Feb 12 14:10:21 host x: y", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "bad syslog PRI");
    EXPECT_EQ(raw_status("<13>", &why), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("Feb 30 12:00:00 host x: y", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "impossible date in syslog timestamp");
    EXPECT_EQ(raw_status("Feb 12 25:00:00 host x: y", &why), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("Feb 12 14:61:00 host x: y", &why), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("Feb 12 14:1", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "bad syslog timestamp");
    EXPECT_EQ(raw_status("Feb 12 14:10:21.x host a: b"), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("<13>Feb xx 14:10:21 host a: b"), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("2024-13-01T00:00:00Z host a: b", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "bad syslog timestamp");
    EXPECT_EQ(raw_status("Mar  1 5534 12:00:05 h p: m", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "syslog timestamp year out of range");
    EXPECT_EQ(raw_status("9999-01-01T00:00:00Z host a: b"), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("<13>1 9999-01-01T00:00:00Z host app - - - msg"), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("<13>1 0001-01-01T00:00:00Z host app - - - msg"), parse::parse_status::malformed);
    EXPECT_EQ(raw_status("<13>1 notadate host app - - - msg", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "bad RFC 5424 timestamp");
    EXPECT_EQ(raw_status("<13>1 2024-01-01T00:00:00Z host", &why), parse::parse_status::malformed);
    EXPECT_EQ(why, "truncated RFC 5424 header");
    EXPECT_EQ(raw_status("<13>1 2024-01-01T00:00:00Z host app - - [bad", &why),
              parse::parse_status::malformed);
    EXPECT_EQ(why, "bad RFC 5424 structured data");
    EXPECT_EQ(raw_status("<13>1 2024-01-01T00:00:00Z host app - - x msg", &why),
              parse::parse_status::malformed);
    EXPECT_EQ(raw_status("<13>1 2024-01-01T00:00:00Z host app - - [a b=\"c] msg"),
              parse::parse_status::malformed);

    // A malformed line is kept by the parser set, with the reason and the syslog format name.
    syslog_fixture fx;
    const auto& e = fx.parse("Feb 30 12:00:00 host x: y");
    EXPECT_TRUE(e.malformed());
    EXPECT_EQ(e.source_type, "syslog");
    EXPECT_EQ(e.parse_error, "impossible date in syslog timestamp");
}

TEST(SyslogEnvelope, OtherFormatsAreNotMine) {
    EXPECT_EQ(raw_status("hello world"), parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("{\"a\":1}"), parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("192.168.1.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 2326"),
              parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("2024-03-01 12:00:00,123 INFO main started"), parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("May the force be with you"), parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("2023-12-27T22:38:09Z | 401 |     279.715µs |    10.1.2.3 | POST"),
              parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("2023-04-06T09:05:54,991Z [http-nio-8080-exec-9] WARN  o.a.g.r.auth - x"),
              parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("2023-04-06T09:05:54Z"), parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("<Event xmlns='x'>"), parse::parse_status::not_mine);
    EXPECT_EQ(raw_status(""), parse::parse_status::not_mine);
    EXPECT_EQ(raw_status("Mar 1, 2024 10:00:00 AM org.apache.Foo bar"), parse::parse_status::not_mine);
}

TEST(SyslogEnvelope, HostileInputsStayInBounds) {
    syslog_fixture fx;
    for (std::string_view s : {"<", "<1", "<1>", "<1>1", "<1>1 ", "<1>1 -", "<1>1 - - - - -",
                               "<1>1 - - - - - [", "<1>1 - - - - - [a", "<1>1 - - - - - [a b",
                               "<1>1 - - - - - [a b=", "<1>1 - - - - - [a b=\"", "<1>1 - - - - - [a b=\"\\",
                               "Jan", "Jan ", "Jan 1", "Jan 1 ", "Jan 1 00:00:00", "Jan 1 00:00:00 ",
                               "Jan 1 00:00:00 h", "Jan 1 00:00:00 h ", "Jan 1 00:00:00 h p[",
                               "Jan 1 00:00:00 h p[1", "Jan 1 00:00:00 h p[1]", "Jan 1 00:00:00 h p:",
                               "2024-01-01T00:00:00Z", "Jan 1 00:00:00 h sshd: ",
                               "Jan 1 00:00:00 h sshd: Accepted", "Jan 1 00:00:00 h sshd: Failed password for",
                               "Jan 1 00:00:00 h sshd: Connection closed by authenticating user  port ",
                               "Jan 1 00:00:00 h sudo:  : ", "Jan 1 00:00:00 h sudo: a : COMMAND=",
                               "Jan 1 00:00:00 h dovecot: auth: (,): x", "Jan 1 00:00:00 h postfix/smtpd[1]: warning: [",
                               "Jan 1 00:00:00 h postfix/postscreen[1]: PREGREET [",
                               "Jan 1 00:00:00 h CRON[1]: (", "Jan 1 00:00:00 h useradd[1]: add '"})
        fx.parse(s);  // EXPECT_SCHEMA runs inside
}

// ---------------------------------------------------------------------------------------------
// The crowdsec-hub samples: per-file detection as `scan` does, then every line.

timestamp_ns mtime_ns(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 1718452800LL * k_ns_per_sec;
    return static_cast<timestamp_ns>(st.st_mtim.tv_sec) * k_ns_per_sec + st.st_mtim.tv_nsec;
}

TEST(SyslogEnvelope, CrowdsecSamplesParseAsSyslog) {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(MIMAMORI_SHARED_DIR) / "datasets/crowdsec-hub/tests";
    if (!fs::exists(root)) GTEST_SKIP() << "no " << root;
    const std::vector<std::string> exact = {
        "sshd-logs", "ssh-bf", "ssh-slow-bf", "sshd-invalid-bf", "sshd-success-logs",
        "sshd-refused-conn", "sshd_banner_exchange", "sshd-bad-keyexchange-bf", "ssh-timeout",
        "pam-logs", "syslog-logs", "postscreen-logs", "opnsense-sshd", "ssh-generic-test",
        "ssh-time-based-bf", "sshd-logs-fp", "sshd-impossible-travel", "sshd-impossible-travel-user"};
    std::vector<fs::path> files;
    for (const auto& dir : fs::directory_iterator(root)) {
        std::string name = dir.path().filename().string();
        bool want = std::find(exact.begin(), exact.end(), name) != exact.end() ||
                    name.rfind("postfix-", 0) == 0 || name.rfind("dovecot-", 0) == 0;
        if (!want || !dir.is_directory()) continue;
        for (const auto& f : fs::directory_iterator(dir.path()))
            if (f.path().extension() == ".log") files.push_back(f.path());
    }
    ASSERT_GE(files.size(), 25u);

    parse::options opts;
    auto set = parse::parser_set::create(opts);
    ASSERT_TRUE(set.ok()) << set.err().message;
    const int syslog_index = set->index_of("syslog");
    ASSERT_GE(syslog_index, 0);
    std::size_t total = 0, good = 0;
    std::map<std::string, std::size_t> by_type;
    std::string misses;
    std::size_t missed = 0;
    for (const auto& path : files) {
        std::ifstream in(path);
        std::vector<std::string> lines;
        for (std::string l; std::getline(in, l);)
            if (!parse::trim(l).empty()) lines.push_back(l);
        parse::context ctx{&opts, mtime_ns(path.string())};
        std::vector<std::string_view> sample(lines.begin(),
                                             lines.begin() + std::min<std::size_t>(64, lines.size()));
        int preferred = set->detect(sample, ctx);
        event_batch b;
        for (const auto& l : lines) {
            auto& e = b.begin();
            e.raw = b.copy(l);
            int used = set->parse(e.raw, preferred, ctx, b, e);
            const event& ev = b.events().back();
            EXPECT_SCHEMA(b, ev);
            ++total;
            bool ok = used == syslog_index && !ev.malformed() && !b.get(ev, f::message).empty();
            if (ok) {
                ++good;
                ++by_type[std::string(ev.source_type)];
            } else if (++missed <= 20) {
                misses += path.filename().string() + ": " + l + "\n";
            }
        }
    }
    EXPECT_GE(good * 100, total * 95) << good << " of " << total << "; e.g.\n" << misses;
    std::cout << good << " of " << total << " lines from " << files.size() << " files parsed as syslog\n";
    if (!misses.empty()) std::cout << "lines not parsed as syslog:\n" << misses;
    // The program parsers took them, not just the envelope.
    EXPECT_GT(by_type["linux.auth"], 50u);
    EXPECT_GT(by_type["mail.postfix"], 10u);
    EXPECT_GT(by_type["mail.dovecot"], 10u);
}

}  // namespace
}  // namespace mimamori
