// Samba's authentication audit and OpenVPN's log: through syslog (message parsers) and in the
// programs' own log files (line formats "samba" and "openvpn").
#include <gtest/gtest.h>

#include "line_fixture.hpp"
#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::one_line;
using testing::syslog_fixture;

// ---- Samba -----------------------------------------------------------------------------------

TEST(Samba, FailedLogonThroughSyslog) {
    syslog_fixture fx;
    // CrowdSec hub's smb-bf sample, with the "#015" rsyslog writes for Samba's trailing CR.
    const auto& e = fx.parse(
        "Sep 24 10:04:52 host2 smb[2725]: Auth: [SMB2,(null)] user []\\[toto] at [Fri, 24 Sep 2021 "
        "10:04:52.030937 UTC] with [NTLMv2] status [NT_STATUS_NO_SUCH_USER] workstation [] remote host "
        "[ipv4:1.2.3.4:62419] mapped to []\\[toto]. local host [ipv4:10.1.1.1:445] #015");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "samba");
    EXPECT_EQ(fx.get(e, "event.category"), "authentication");
    EXPECT_EQ(fx.get(e, "event.action"), "samba_logon");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "event.reason"), "NT_STATUS_NO_SUCH_USER");
    EXPECT_EQ(fx.get(e, "network.protocol"), "smb");
    EXPECT_EQ(fx.get(e, "samba.service"), "SMB2");
    EXPECT_EQ(fx.get(e, "samba.password_type"), "NTLMv2");
    EXPECT_EQ(fx.get(e, "user.name"), "toto");
    EXPECT_FALSE(fx.has(e, "user.domain"));  // "[]": no domain given
    EXPECT_FALSE(fx.has(e, "samba.workstation"));
    EXPECT_EQ(fx.get(e, "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.get(e, "source.port"), "62419");
    EXPECT_EQ(fx.get(e, "destination.ip"), "10.1.1.1");
    EXPECT_EQ(fx.get(e, "destination.port"), "445");
    EXPECT_EQ(fx.get(e, "process.name"), "smb");
    // The audit line's own time has the year (2021) the envelope lacks (the fixture's
    // reference time would make it 2024).
    EXPECT_EQ(fx.ts(e), "2021-09-24T10:04:52.030937Z");
}

TEST(Samba, SuccessfulLogonNamesTheAccountAndSid) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "Mar  5 09:12:01 files smbd[9811]: Auth: [SMB2,(null)] user [EXAMPLE]\\[alice] at [Tue, 05 Mar 2024 "
        "09:12:01.123456 UTC] with [NTLMv2] status [NT_STATUS_OK] workstation [PC01] remote host "
        "[ipv6:::ffff:192.168.10.23:50112] became [EXAMPLE]\\[alice] [S-1-5-21-1004336348-1177238915-682003330-1104]. "
        "local host [ipv6:fe80::5:445]");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "samba");
    EXPECT_EQ(fx.get(e, "event.outcome"), "success");
    EXPECT_FALSE(fx.has(e, "event.reason"));
    EXPECT_EQ(fx.get(e, "user.name"), "alice");
    EXPECT_EQ(fx.get(e, "user.domain"), "EXAMPLE");
    EXPECT_EQ(fx.get(e, "samba.account"), "alice");
    EXPECT_EQ(fx.get(e, "samba.sid"), "S-1-5-21-1004336348-1177238915-682003330-1104");
    EXPECT_EQ(fx.get(e, "samba.workstation"), "PC01");
    EXPECT_EQ(fx.get(e, "source.ip"), "192.168.10.23");  // IPv4 mapped into IPv6
    EXPECT_EQ(fx.get(e, "source.port"), "50112");
    EXPECT_EQ(fx.get(e, "destination.ip"), "fe80::5");
    EXPECT_EQ(fx.get(e, "destination.port"), "445");
}

TEST(Samba, OtherServicesAndOtherMessages) {
    syslog_fixture fx;
    const auto& ldap = fx.parse(
        "Mar  5 09:12:01 dc1 samba[700]: Auth: [LDAP,simple bind/TLS] user [(null)]\\[CN=svc-scan,CN=Users,DC=example,DC=com] "
        "at [Tue, 05 Mar 2024 09:12:01.000001 UTC] with [Plaintext] status [NT_STATUS_WRONG_PASSWORD] workstation [(null)] "
        "remote host [ipv4:10.0.0.9:51000] mapped to [(null)]\\[CN=svc-scan,CN=Users,DC=example,DC=com]. local host [ipv4:10.0.0.2:636]");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.get(ldap, "network.protocol"), "ldap");
    EXPECT_EQ(fx.get(ldap, "samba.auth_description"), "simple bind/TLS");
    EXPECT_EQ(fx.get(ldap, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(ldap, "user.name"), "CN=svc-scan,CN=Users,DC=example,DC=com");
    // Samba's other messages stay plain syslog events, with their text.
    const auto& other = fx.parse("Mar  5 09:12:02 files smbd[9811]: Failed to fetch share mode for /srv/a.txt");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(other.source_type, "syslog");
    EXPECT_FALSE(fx.has(other, "event.outcome"));
    EXPECT_EQ(fx.get(other, "message"), "Failed to fetch share mode for /srv/a.txt");
}

TEST(Samba, OwnLogFileHeaderAndAuditLines) {
    one_line head("[2021/10/14 15:24:12.023984,  2] ../../auth/auth_log.c:635(log_authentication_event_human_readable)");
    EXPECT_EQ(head.format, "samba");
    EXPECT_EQ(head.e().source_type, "samba");
    EXPECT_EQ(head.get("log.level"), "2");
    EXPECT_EQ(head.get("samba.source"), "../../auth/auth_log.c:635(log_authentication_event_human_readable)");
    EXPECT_EQ(format_rfc3339(head.e().ts), "2021-10-14T15:24:12.023984Z");

    // Newer versions add the pid and the debug class inside the header's brackets.
    one_line newer("[2024/03/05 09:12:01.123456,  2, pid=9811, effective(0, 0), real(0, 0), class=auth_audit] "
                   "../../auth/auth_log.c:876(log_authentication_event_human_readable)");
    EXPECT_EQ(newer.format, "samba");
    EXPECT_EQ(newer.get("log.level"), "2");

    // CrowdSec hub's smb-logs sample (the message line of log.smbd, indented there).
    one_line audit("  Auth: [SMB2,(null)] user [WORKGROUP]\\[administrator] at [Thu, 14 Oct 2021 15:24:16.248504 UTC] "
                   "with [NTLMv2] status [NT_STATUS_WRONG_PASSWORD] workstation [MANTIS] remote host "
                   "[ipv4:172.17.0.1:44896] mapped to [WORKGROUP]\\[administrator]. local host [ipv4:172.17.0.2:445] ");
    EXPECT_EQ(audit.format, "samba");
    EXPECT_EQ(format_rfc3339(audit.e().ts), "2021-10-14T15:24:16.248504Z");
    EXPECT_EQ(audit.get("event.outcome"), "failure");
    EXPECT_EQ(audit.get("user.name"), "administrator");
    EXPECT_EQ(audit.get("user.domain"), "WORKGROUP");
    EXPECT_EQ(audit.get("source.ip"), "172.17.0.1");
    EXPECT_EQ(audit.get("message").substr(0, 19), "Auth: [SMB2,(null)]");
}

TEST(Samba, ZoneAbbreviationsOtherThanUtcAreReadInTheConfiguredZone) {
    one_line jst("Auth: [SMB2,(null)] user [OFFICE]\\[sato] at [Tue, 05 Mar 2024 18:12:01.500000 JST] with [NTLMv2] "
                 "status [NT_STATUS_WRONG_PASSWORD] workstation [PC7] remote host [ipv4:192.168.1.77:50000] "
                 "mapped to [OFFICE]\\[sato]. local host [ipv4:192.168.1.5:445]",
                 "Asia/Tokyo");
    EXPECT_EQ(jst.format, "samba");
    EXPECT_EQ(format_rfc3339(jst.e().ts), "2024-03-05T09:12:01.500Z");
}

TEST(Samba, BrokenAuditLineIsKeptWithAReason) {
    one_line bad("Auth: [SMB2,(null)] this is not what Samba writes");
    EXPECT_TRUE(bad.e().malformed());
    EXPECT_NE(bad.e().parse_error.find("Samba"), std::string_view::npos) << bad.e().parse_error;
    EXPECT_EQ(bad.e().raw, "Auth: [SMB2,(null)] this is not what Samba writes");
}

// ---- OpenVPN ---------------------------------------------------------------------------------

TEST(OpenVpn, OwnLogFileFailuresAndSuccesses) {
    one_line tls("2024-12-15 14:12:12 192.168.1.31:45321 TLS Error: incoming packet authentication failed from "
                 "[AF_INET]192.168.1.31:45321");
    EXPECT_EQ(tls.format, "openvpn");
    EXPECT_EQ(tls.e().source_type, "openvpn");
    EXPECT_EQ(format_rfc3339(tls.e().ts), "2024-12-15T14:12:12Z");
    EXPECT_EQ(tls.get("process.name"), "openvpn");
    EXPECT_EQ(tls.get("event.category"), "authentication");
    EXPECT_EQ(tls.get("event.action"), "openvpn_logon");
    EXPECT_EQ(tls.get("event.outcome"), "failure");
    EXPECT_EQ(tls.get("source.ip"), "192.168.1.31");
    EXPECT_EQ(tls.get("source.port"), "45321");
    EXPECT_FALSE(tls.has("user.name"));

    one_line cn("2024-12-15 14:14:21 client1/192.168.1.13:54321 AUTH: Received control message: AUTH_FAILED");
    EXPECT_EQ(cn.get("event.outcome"), "failure");
    EXPECT_EQ(cn.get("user.name"), "client1");
    EXPECT_EQ(cn.get("source.ip"), "192.168.1.13");

    // OpenVPN 2.4 wrote ctime-style times.
    one_line ok("Thu Oct 13 10:13:44 2022 203.0.113.9:51234 TLS: Username/Password authentication succeeded for "
                "username 'bob'");
    EXPECT_EQ(ok.format, "openvpn");
    EXPECT_EQ(format_rfc3339(ok.e().ts), "2022-10-13T10:13:44Z");
    EXPECT_EQ(ok.get("event.outcome"), "success");
    EXPECT_EQ(ok.get("user.name"), "bob");
    EXPECT_EQ(ok.get("source.ip"), "203.0.113.9");

    one_line pw("2024-12-15 14:20:01 198.51.100.4:40001 TLS Auth Error: Auth Username/Password verification failed "
                "for peer");
    EXPECT_EQ(pw.get("event.outcome"), "failure");
    EXPECT_NE(pw.get("event.reason").find("verification failed"), std::string::npos);
}

TEST(OpenVpn, PlainMessagesAndPeersWithoutOutcome) {
    one_line start("2024-12-15 14:10:00 OpenVPN 2.6.3 x86_64-linux-gnu started");
    EXPECT_EQ(start.format, "openvpn");
    EXPECT_FALSE(start.has("event.outcome"));
    EXPECT_FALSE(start.has("source.ip"));
    EXPECT_EQ(start.get("message"), "OpenVPN 2.6.3 x86_64-linux-gnu started");

    one_line peer("2024-12-15 14:15:51 192.168.1.34:56312 [client3] Peer Connection Initiated with [AF_INET]192.168.1.34:56312");
    EXPECT_FALSE(peer.has("event.outcome"));
    EXPECT_EQ(peer.get("user.name"), "client3");
    EXPECT_EQ(peer.get("source.ip"), "192.168.1.34");

    one_line undef("2024-12-15 14:11:26 192.168.1.30:52234 [UNDEF] Peer Connection Initiated with [AF_INET]192.168.1.30:52234");
    EXPECT_FALSE(undef.has("user.name"));

    one_line v6("2024-12-15 14:16:00 2001:db8::5:1194 TLS Error: TLS handshake failed");
    EXPECT_EQ(v6.get("source.ip"), "2001:db8::5");
    EXPECT_EQ(v6.get("source.port"), "1194");
    EXPECT_EQ(v6.get("event.outcome"), "failure");
}

TEST(OpenVpn, AnotherProgramsTimestampedLinesAreNotClaimed) {
    one_line other("2024-12-15 14:10:00 INFO scheduler started 4 workers");
    EXPECT_NE(other.format, "openvpn");
    EXPECT_NE(other.e().source_type, "openvpn");
}

TEST(OpenVpn, ThroughSyslog) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "Dec 15 14:12:12 vpn ovpn-server[812]: 198.51.100.7:1194 TLS Error: TLS key negotiation failed to occur "
        "within 60 seconds (check your network connectivity)");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "openvpn");
    EXPECT_EQ(fx.get(e, "process.name"), "ovpn-server");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "source.ip"), "198.51.100.7");
    // No peer in front: the address comes from the "[AF_INET]" the message names.
    const auto& hmac = fx.parse(
        "Dec 15 14:12:13 vpn openvpn[812]: TLS Error: cannot locate HMAC in incoming packet from [AF_INET]198.51.100.8:40000");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.get(hmac, "source.ip"), "198.51.100.8");
    EXPECT_EQ(fx.get(hmac, "source.port"), "40000");
    EXPECT_EQ(fx.get(hmac, "event.outcome"), "failure");
    // Not an address after all (found by fuzz_services): no address rather than a wrong one.
    const auto& odd = fx.parse(
        "Dec 15 14:12:13 vpn openvpn[812]: TLS Error: cannot locate HMAC in incoming packet from [AF_INET2]2001:db8::8:40000");
    ASSERT_TRUE(fx.ok());
    EXPECT_FALSE(fx.has(odd, "source.ip"));
    EXPECT_EQ(fx.get(odd, "event.outcome"), "failure");
    // The PAM plugin's lines are not OpenVPN's own: the PAM parser reads them.
    const auto& pam = fx.parse(
        "Dec 15 14:12:13 vpn openvpn[812]: pam_unix(openvpn:auth): authentication failure; logname= uid=0 euid=0 tty= "
        "ruser= rhost=198.51.100.9  user=bob");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(pam.source_type, "linux.auth");
    EXPECT_EQ(fx.get(pam, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(pam, "user.name"), "bob");
    const auto& plain = fx.parse("Dec 15 14:12:14 vpn openvpn[812]: Initialization Sequence Completed");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(plain.source_type, "openvpn");
    EXPECT_FALSE(fx.has(plain, "event.outcome"));
}

}  // namespace
}  // namespace mimamori
