// vsftpd, ProFTPD and Pure-FTPd: their own log files (line formats "vsftpd", "proftpd") and
// their syslog messages.
#include <gtest/gtest.h>

#include "line_fixture.hpp"
#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::one_line;
using testing::syslog_fixture;

TEST(Vsftpd, OwnLogFile) {
    one_line fail("Mon Jun 8 12:08:53 2020 [pid 27244] [user] FAIL LOGIN: Client \"::ffff:93.24.101.89\"");
    EXPECT_EQ(fail.format, "vsftpd");
    EXPECT_EQ(fail.e().source_type, "ftp.vsftpd");
    EXPECT_EQ(format_rfc3339(fail.e().ts), "2020-06-08T12:08:53Z");
    EXPECT_EQ(fail.get("event.category"), "authentication");
    EXPECT_EQ(fail.get("event.action"), "ftp_login");
    EXPECT_EQ(fail.get("event.outcome"), "failure");
    EXPECT_EQ(fail.get("user.name"), "user");
    EXPECT_EQ(fail.get("source.ip"), "93.24.101.89");
    EXPECT_EQ(fail.get("network.protocol"), "ftp");
    EXPECT_EQ(fail.get("process.name"), "vsftpd");

    one_line ok("Mon Jun  8 12:12:43 2020 [pid 27307] [ubuntu] OK LOGIN: Client \"203.0.113.5\"");
    EXPECT_EQ(ok.get("event.outcome"), "success");
    EXPECT_EQ(ok.get("user.name"), "ubuntu");

    one_line connect("Mon Jun  8 12:08:44 2020 [pid 27245] CONNECT: Client \"::ffff:93.24.101.89\"");
    EXPECT_EQ(connect.get("event.action"), "ftp_connect");
    EXPECT_FALSE(connect.has("event.outcome"));
    EXPECT_FALSE(connect.has("user.name"));

    one_line up("Tue Jun  9 09:01:02 2020 [pid 3101] [acme] OK UPLOAD: Client \"198.51.100.20\", \"/srv/ftp/acme/invoice 0601.pdf\", "
                "48213 bytes, 510.21Kbyte/sec");
    EXPECT_EQ(up.get("event.category"), "file");
    EXPECT_EQ(up.get("event.action"), "ftp_upload");
    EXPECT_EQ(up.get("event.outcome"), "success");
    EXPECT_EQ(up.get("file.path"), "/srv/ftp/acme/invoice 0601.pdf");
    EXPECT_EQ(up.get("file.size"), "48213");
    EXPECT_EQ(up.get("user.name"), "acme");

    one_line del("Tue Jun  9 09:01:03 2020 [pid 3101] [acme] FAIL DELETE: Client \"198.51.100.20\", \"/srv/ftp/acme/old.zip\"");
    EXPECT_EQ(del.get("event.action"), "ftp_delete");
    EXPECT_EQ(del.get("event.outcome"), "failure");
    EXPECT_EQ(del.get("file.path"), "/srv/ftp/acme/old.zip");
}

TEST(Vsftpd, ProtocolLogAndRefusedUsers) {
    // A user on the deny list is refused before any password: a failed logon.
    one_line denied("Mon Apr 12 15:19:22 2021 [pid 15685] [www-data] FTP response: Client \"1.2.3.4\", \"530 Permission denied.\"");
    EXPECT_EQ(denied.get("event.action"), "ftp_login");
    EXPECT_EQ(denied.get("event.outcome"), "failure");
    EXPECT_EQ(denied.get("event.code"), "530");
    EXPECT_EQ(denied.get("user.name"), "www-data");
    // "530 Login incorrect." follows a FAIL LOGIN line that is already counted.
    one_line incorrect("Mon Apr 12 15:19:23 2021 [pid 15686] [bob] FTP response: Client \"1.2.3.4\", \"530 Login incorrect.\"");
    EXPECT_EQ(incorrect.get("event.action"), "ftp_response");
    EXPECT_FALSE(incorrect.has("event.outcome"));
    EXPECT_EQ(incorrect.get("event.code"), "530");
    one_line cmd("Mon Apr 12 15:19:21 2021 [pid 15685] FTP command: Client \"1.2.3.4\", \"USER www-data\"");
    EXPECT_EQ(cmd.get("event.action"), "ftp_command");
    EXPECT_FALSE(cmd.has("file.path"));
}

TEST(Vsftpd, ThroughSyslogAndNotOtherCtimeLines) {
    syslog_fixture fx;
    const auto& e = fx.parse("Jun  8 12:08:53 ftp vsftpd[27244]: [user] FAIL LOGIN: Client \"198.51.100.9\"");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "ftp.vsftpd");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "source.ip"), "198.51.100.9");
    const auto& other = fx.parse("Jun  8 12:08:54 ftp vsftpd[27244]: pam_unix(vsftpd:auth): check pass; user unknown");
    ASSERT_TRUE(fx.ok());
    EXPECT_NE(other.source_type, "ftp.vsftpd");

    // A ctime-stamped line that is not vsftpd's is left to other formats.
    one_line not_ours("Mon Jun  8 12:08:44 2020 backup finished in 41 s");
    EXPECT_NE(not_ours.format, "vsftpd");
    EXPECT_NE(not_ours.e().source_type, "ftp.vsftpd");
}

TEST(Proftpd, ThroughSyslog) {
    syslog_fixture fx;
    const auto& unknown = fx.parse(
        "Jan  7 18:26:02 ftp1 proftpd[80283]: 172.31.39.97 (1.1.1.1[1.1.1.1]) - USER sdf: no such user found from "
        "1.1.1.1 [1.1.1.1] to 172.31.39.97:21");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(unknown.source_type, "ftp.proftpd");
    EXPECT_EQ(fx.get(unknown, "event.action"), "ftp_login");
    EXPECT_EQ(fx.get(unknown, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(unknown, "event.reason"), "no such user");
    EXPECT_EQ(fx.get(unknown, "user.name"), "sdf");
    EXPECT_EQ(fx.get(unknown, "source.ip"), "1.1.1.1");

    const auto& wrong = fx.parse(
        "Jan  7 18:26:52 ftp1 proftpd[80686]: 172.31.39.97 (scanner.example.net[203.0.113.77]) - USER alice (Login failed): "
        "Incorrect password");
    EXPECT_EQ(fx.get(wrong, "event.reason"), "Incorrect password");
    EXPECT_EQ(fx.get(wrong, "source.ip"), "203.0.113.77");
    EXPECT_EQ(fx.get(wrong, "source.domain"), "scanner.example.net");

    const auto& ok = fx.parse("Jan  7 18:27:00 ftp1 proftpd[80690]: 172.31.39.97 (10.0.0.8[10.0.0.8]) - USER alice: Login successful.");
    EXPECT_EQ(fx.get(ok, "event.outcome"), "success");
    EXPECT_EQ(fx.get(ok, "user.name"), "alice");

    const auto& anon = fx.parse(
        "Jan  7 18:27:01 ftp1 proftpd[80691]: 172.31.39.97 (10.0.0.9[10.0.0.9]) - ANONYMOUS FTP login as 'ftp' from 10.0.0.9 [10.0.0.9] to 172.31.39.97:21");
    EXPECT_EQ(fx.get(anon, "event.outcome"), "success");
    EXPECT_EQ(fx.get(anon, "user.name"), "ftp");

    const auto& opened = fx.parse("Jan  7 18:27:02 ftp1 proftpd[80692]: 172.31.39.97 (10.0.0.9[10.0.0.9]) - FTP session opened.");
    EXPECT_EQ(fx.get(opened, "event.action"), "ftp_connect");
    EXPECT_FALSE(fx.has(opened, "event.outcome"));

    const auto& pam = fx.parse(
        "Jan  7 18:27:02 ftp1 proftpd[80693]: pam_unix(proftpd:auth): authentication failure; logname= uid=0 euid=0 "
        "tty=/dev/ftpd80693 ruser= rhost=203.0.113.77  user=alice");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(pam.source_type, "linux.auth");  // the PAM parser's, not ours
    EXPECT_EQ(fx.get(pam, "user.name"), "alice");
    const auto& other = fx.parse("Jan  7 18:27:03 ftp1 proftpd[1]: ProFTPD 1.3.8 (stable) (built Mon Jan 1 2024) standalone mode STARTUP");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(other.source_type, "syslog");
}

TEST(Proftpd, OwnSystemLog) {
    one_line v6("2023-09-05 19:07:03,851 server03 proftpd[127258] localhost (2a02:8070:e186:16e1:1111:222:3333:b173"
                "[2a02:8070:e186:16e1:1111:222:3333:b173]): USER ccvv_ftp1 (Login failed): No such user found");
    EXPECT_EQ(v6.format, "proftpd");
    EXPECT_EQ(v6.e().source_type, "ftp.proftpd");
    EXPECT_EQ(format_rfc3339(v6.e().ts), "2023-09-05T19:07:03.851Z");
    EXPECT_EQ(v6.get("host.name"), "server03");
    EXPECT_EQ(v6.get("process.pid"), "127258");
    EXPECT_EQ(v6.get("event.outcome"), "failure");
    EXPECT_EQ(v6.get("user.name"), "ccvv_ftp1");
    EXPECT_EQ(v6.get("source.ip"), "2a02:8070:e186:16e1:1111:222:3333:b173");
}

TEST(PureFtpd, ThroughSyslog) {
    syslog_fixture fx;
    const auto& fail = fx.parse("Jan  7 14:19:31 ftpcdr pure-ftpd: (?@172.21.10.2) [WARNING] Authentication failed for user [root]");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fail.source_type, "ftp.pureftpd");
    EXPECT_EQ(fx.get(fail, "event.action"), "ftp_login");
    EXPECT_EQ(fx.get(fail, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(fail, "user.name"), "root");
    EXPECT_EQ(fx.get(fail, "source.ip"), "172.21.10.2");

    const auto& in = fx.parse("Jan  7 14:20:06 ftpcdr pure-ftpd: (?@172.21.10.2) [INFO] user@test.com is now logged in");
    EXPECT_EQ(fx.get(in, "event.outcome"), "success");
    EXPECT_EQ(fx.get(in, "user.name"), "user@test.com");

    const auto& conn = fx.parse("Jan  7 14:20:05 ftpcdr pure-ftpd: (?@client7.example.jp) [INFO] New connection from client7.example.jp");
    EXPECT_EQ(fx.get(conn, "event.action"), "ftp_connect");
    EXPECT_FALSE(fx.has(conn, "source.ip"));
    EXPECT_EQ(fx.get(conn, "source.domain"), "client7.example.jp");

    const auto& up = fx.parse(
        "Jan  7 14:21:00 ftpcdr pure-ftpd: (acme@198.51.100.20) [NOTICE] /srv/ftp/acme/report.xlsx uploaded  (48213 bytes, 510.20KB/sec)");
    EXPECT_EQ(fx.get(up, "event.action"), "ftp_upload");
    EXPECT_EQ(fx.get(up, "file.path"), "/srv/ftp/acme/report.xlsx");
    EXPECT_EQ(fx.get(up, "file.size"), "48213");
    EXPECT_EQ(fx.get(up, "user.name"), "acme");
}

}  // namespace
}  // namespace mimamori
