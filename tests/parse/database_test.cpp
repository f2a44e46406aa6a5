// Refused logons in MySQL / MariaDB and PostgreSQL logs, and through syslog.
#include <gtest/gtest.h>

#include "line_fixture.hpp"
#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::one_line;
using testing::syslog_fixture;

TEST(Mysql, ErrorLogForms) {
    one_line v8("2021-10-28T08:06:45.411498Z 25 [Note] [MY-010926] [Server] Access denied for user 'seb'@'42.42.42.42' (using password: NO)");
    EXPECT_EQ(v8.format, "mysql");
    EXPECT_EQ(v8.e().source_type, "mysql");
    EXPECT_EQ(format_rfc3339(v8.e().ts), "2021-10-28T08:06:45.411498Z");
    EXPECT_EQ(v8.get("event.action"), "db_login");
    EXPECT_EQ(v8.get("event.outcome"), "failure");
    EXPECT_EQ(v8.get("event.reason"), "access denied (no password)");
    EXPECT_EQ(v8.get("user.name"), "seb");
    EXPECT_EQ(v8.get("source.ip"), "42.42.42.42");
    EXPECT_EQ(v8.get("log.level"), "Note");

    one_line maria("2021-11-09  5:13:11 8 [Warning] Access denied for user 'example-user'@'172.17.0.1' (using password: YES)");
    EXPECT_EQ(maria.format, "mysql");
    EXPECT_EQ(format_rfc3339(maria.e().ts), "2021-11-09T05:13:11Z");  // local time; the fixture's zone is UTC
    EXPECT_EQ(maria.get("event.reason"), "access denied");

    one_line old("221128  4:49:17 [Warning] Access denied for user 'root'@'192.168.1.192' (using password: YES)");
    EXPECT_EQ(old.format, "mysql");
    EXPECT_EQ(format_rfc3339(old.e().ts), "2022-11-28T04:49:17Z");
    EXPECT_EQ(old.get("user.name"), "root");

    one_line general("2023-07-31T08:34:16.116872Z        14 Connect   Access denied for user 'user'@'192.168.121.1' (using password: YES)");
    EXPECT_EQ(general.get("event.outcome"), "failure");

    one_line host("2023-11-21 19:42:20 134334 [Warning] Access denied for user 'root'@'db-client.example.jp' (using password: NO)");
    EXPECT_FALSE(host.has("source.ip"));
    EXPECT_EQ(host.get("source.domain"), "db-client.example.jp");

    // Another error-log line: kept with its level, no logon.
    one_line note("2021-10-28T08:00:00.000000Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections.");
    EXPECT_EQ(note.format, "mysql");
    EXPECT_EQ(note.get("log.level"), "System");
    EXPECT_FALSE(note.has("event.outcome"));
}

TEST(Mysql, ThroughSyslog) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "Apr 16 05:13:40 db1 mysqld[2769]: 2020-04-16T05:13:40.861934Z 344 [Note] Access denied for user 'root'@'27.155.87.54' "
        "(using password: YES)");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "mysql");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "source.ip"), "27.155.87.54");
    const auto& other = fx.parse("Apr 16 05:13:41 db1 mysqld[2769]: InnoDB: Buffer pool(s) load completed");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(other.source_type, "syslog");
}

TEST(Postgresql, RefusedLogons) {
    one_line pw("2021-09-28 09:22:18.536 UTC [147] 1.2.3.4 i_dont_exist@postgres FATAL:  password authentication failed for user "
                "\"i_dont_exist\"");
    EXPECT_EQ(pw.format, "postgresql");
    EXPECT_EQ(pw.e().source_type, "postgresql");
    EXPECT_EQ(format_rfc3339(pw.e().ts), "2021-09-28T09:22:18.536Z");
    EXPECT_EQ(pw.get("log.level"), "FATAL");
    EXPECT_EQ(pw.get("event.action"), "db_login");
    EXPECT_EQ(pw.get("event.outcome"), "failure");
    EXPECT_EQ(pw.get("user.name"), "i_dont_exist");
    EXPECT_EQ(pw.get("source.ip"), "1.2.3.4");

    one_line hba("2021-09-28 09:22:19.536 UTC:2001:db8::7(5432):x@y:[127]:FATAL:  no pg_hba.conf entry for host \"2001:db8::7\", "
                 "user \"x\", database \"y\", no encryption");
    EXPECT_EQ(hba.get("user.name"), "x");
    EXPECT_EQ(hba.get("source.ip"), "2001:db8::7");

    one_line first("65.2.129.7 2023-03-12 11:17:28.109 UTC [53863] zymogenic@postgres FATAL:  password authentication failed for "
                   "user \"zymogenic\"");
    EXPECT_EQ(first.format, "postgresql");
    EXPECT_EQ(first.get("source.ip"), "65.2.129.7");

    // The default prefix has no client address: the logon is still a failure, without one.
    one_line noaddr("2024-01-05 10:00:00.123 JST [812] app@sales FATAL:  password authentication failed for user \"app\"");
    EXPECT_EQ(noaddr.get("event.outcome"), "failure");
    EXPECT_FALSE(noaddr.has("source.ip"));

    one_line log("2024-01-05 10:00:01.000 UTC [812] LOG:  checkpoint starting: time");
    EXPECT_EQ(log.format, "postgresql");
    EXPECT_FALSE(log.has("event.outcome"));
    EXPECT_EQ(log.get("message"), "checkpoint starting: time");
}

}  // namespace
}  // namespace mimamori
