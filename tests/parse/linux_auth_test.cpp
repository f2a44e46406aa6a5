// sshd, PAM, sudo, su, login, account management, systemd-logind and cron messages.
#include <gtest/gtest.h>

#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::syslog_fixture;

struct auth_case {
    std::string_view line;
    std::string_view action;
    std::string_view outcome;
    std::string_view user;  // user.name ("" = must be absent)
    std::string_view ip;    // source.ip ("" = must be absent)
    std::string_view port;  // source.port ("" = must be absent)
    std::string_view category;
};

void check(syslog_fixture& fx, const auth_case& c) {
    SCOPED_TRACE(std::string(c.line));
    const auto& e = fx.parse(c.line);
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "linux.auth");
    EXPECT_EQ(fx.get(e, "event.action"), c.action);
    EXPECT_EQ(fx.get(e, "event.outcome"), c.outcome);
    EXPECT_EQ(fx.get(e, "user.name"), c.user);
    EXPECT_EQ(fx.get(e, "source.ip"), c.ip);
    EXPECT_EQ(fx.get(e, "source.port"), c.port);
    EXPECT_EQ(fx.get(e, "event.category"), c.category);
}

constexpr std::string_view H = "Jun 10 10:00:00 srv sshd[100]: ";

std::string L(std::string_view msg) {
    std::string s(H);
    s.append(msg);
    return s;
}

TEST(LinuxAuthSshd, AcceptedForms) {
    syslog_fixture fx;
    for (std::string_view method : {"password", "publickey", "keyboard-interactive/pam", "gssapi-with-mic"}) {
        std::string line = L("Accepted ");
        line.append(method).append(" for vagrant from 192.168.121.1 port 56296 ssh2");
        check(fx, {line, "ssh_login", "success", "vagrant", "192.168.121.1", "56296", "authentication"});
        EXPECT_EQ(fx.get(fx.batch().events().back(), "sshd.auth_method"), method);
    }
    const auto& e = fx.parse(
        "Sep  6 09:57:21 bullseye sshd[581]: Accepted publickey for vagrant from 192.168.121.1 port 56296 "
        "ssh2: RSA SHA256:1M4RzhMyWuFS/86uPY/ce2prh/dVTHW7iD2RhpquOZA");
    EXPECT_EQ(fx.get(e, "sshd.key_fingerprint"), "RSA SHA256:1M4RzhMyWuFS/86uPY/ce2prh/dVTHW7iD2RhpquOZA");
    EXPECT_EQ(fx.ts(e), "2023-09-06T09:57:21Z");
    check(fx, {L("Accepted password for bob from 2001:db8::42 port 2222 ssh2"), "ssh_login", "success",
               "bob", "2001:db8::42", "2222", "authentication"});
    // IPv4-mapped IPv6 addresses are reported as plain IPv4 (one address, one spelling).
    check(fx, {L("Accepted publickey for deploy from ::ffff:10.0.0.5 port 40000 ssh2: ED25519 SHA256:abc"),
               "ssh_login", "success", "deploy", "10.0.0.5", "40000", "authentication"});
}

TEST(LinuxAuthSshd, FailedForms) {
    syslog_fixture fx;
    check(fx, {L("Failed password for root from 203.0.113.5 port 52311 ssh2"), "ssh_login", "failure",
               "root", "203.0.113.5", "52311", "authentication"});
    check(fx, {L("Failed password for invalid user admin from 203.0.113.5 port 52311 ssh2"), "ssh_login",
               "failure", "admin", "203.0.113.5", "52311", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "invalid user");
    check(fx, {L("Failed none for invalid user guest from 2a0c:1234:5678::9 port 1022 ssh2"), "ssh_login",
               "failure", "guest", "2a0c:1234:5678::9", "1022", "authentication"});
    check(fx, {L("Failed publickey for git from 198.51.100.7 port 4444 ssh2: RSA SHA256:xyz"), "ssh_login",
               "failure", "git", "198.51.100.7", "4444", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "sshd.auth_method"), "publickey");
    check(fx, {L("Failed keyboard-interactive/pam for invalid user x from 198.51.100.7 port 1 ssh2"),
               "ssh_login", "failure", "x", "198.51.100.7", "1", "authentication"});
    // a user name with spaces, and one that tries to smuggle an address
    check(fx, {L("Failed password for invalid user a b from 198.51.100.7 port 1 ssh2"), "ssh_login",
               "failure", "a b", "198.51.100.7", "1", "authentication"});
    check(fx, {L("Failed password for invalid user x from 6.6.6.6 port 9 from 198.51.100.7 port 1 ssh2"),
               "ssh_login", "failure", "x from 6.6.6.6 port 9", "198.51.100.7", "1", "authentication"});
    // old OpenSSH without port
    check(fx, {L("Failed password for root from 198.51.100.7"), "ssh_login", "failure", "root",
               "198.51.100.7", "", "authentication"});
}

TEST(LinuxAuthSshd, InvalidAndNotAllowedUsers) {
    syslog_fixture fx;
    check(fx, {"Feb 12 14:10:21 sd-126005 sshd[16378]: Invalid user pascal from 35.188.49.176 port 53502",
               "ssh_invalid_user", "failure", "pascal", "35.188.49.176", "53502", "authentication"});
    check(fx, {"Feb 12 14:10:24 sd-126005 sshd-session[16379]: Invalid user pascal5 from 192.168.1.3 port 53502",
               "ssh_invalid_user", "failure", "pascal5", "192.168.1.3", "53502", "authentication"});
    check(fx, {L("Invalid user  from 1.2.3.4 port 22"), "ssh_invalid_user", "failure", "", "1.2.3.4", "22",
               "authentication"});
    check(fx, {L("Invalid user oracle from 1.2.3.4"), "ssh_invalid_user", "failure", "oracle", "1.2.3.4", "",
               "authentication"});
    check(fx, {L("input_userauth_request: invalid user oracle [preauth]"), "ssh_invalid_user", "failure",
               "oracle", "", "", "authentication"});
    check(fx, {"2023-11-14T00:20:42.738197+01:00 myserver sshd[1112652]: User root from 192.168.1.1 not "
               "allowed because not listed in AllowUsers",
               "ssh_user_not_allowed", "failure", "root", "192.168.1.1", "", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "not listed in AllowUsers");
    EXPECT_EQ(fx.ts(fx.batch().events().back()), "2023-11-13T23:20:42.738197Z");
    check(fx, {L("User bob not allowed because shell /bin/false does not exist"), "ssh_user_not_allowed",
               "failure", "bob", "", "", "authentication"});
}

TEST(LinuxAuthSshd, ClosedResetDisconnected) {
    syslog_fixture fx;
    check(fx, {"Dec 22 14:53:37 ip-172-31-20-90 sshd[4177]: Connection closed by authenticating user root "
               "206.81.24.125 port 45362 [preauth]",
               "ssh_connection_closed", "failure", "root", "206.81.24.125", "45362", "authentication"});
    check(fx, {L("Connection closed by invalid user root 206.81.24.125 port 45362 [preauth]"),
               "ssh_connection_closed", "failure", "root", "206.81.24.125", "45362", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "invalid user");
    check(fx, {L("Connection closed by 118.27.24.104 port 33594 [preauth]"), "ssh_connection_closed", "unknown",
               "", "118.27.24.104", "33594", "network"});
    check(fx, {L("Connection closed by 118.27.24.104 port 33594"), "ssh_connection_closed", "unknown", "",
               "118.27.24.104", "33594", "network"});
    check(fx, {L("Connection reset by authenticating user root 80.94.92.63 port 49115 [preauth]"),
               "ssh_connection_reset", "failure", "root", "80.94.92.63", "49115", "authentication"});
    check(fx, {L("Connection reset by 80.94.92.63 port 49115"), "ssh_connection_reset", "unknown", "",
               "80.94.92.63", "49115", "network"});
    check(fx, {L("Disconnected from invalid user ftp 92.255.85.135 port 26138 [preauth]"), "ssh_disconnected",
               "failure", "ftp", "92.255.85.135", "26138", "authentication"});
    check(fx, {L("Disconnected from authenticating user ftp 92.255.85.135 port 26138 [preauth]"),
               "ssh_disconnected", "failure", "ftp", "92.255.85.135", "26138", "authentication"});
    check(fx, {L("Disconnected from user alice 10.1.2.3 port 50000"), "ssh_disconnected", "success", "alice",
               "10.1.2.3", "50000", "session"});
    check(fx, {L("Disconnected from 10.1.2.3 port 50000 [preauth]"), "ssh_disconnected", "unknown", "",
               "10.1.2.3", "50000", "network"});
    check(fx, {L("Received disconnect from 10.1.2.3 port 50000:11: Bye Bye [preauth]"),
               "ssh_disconnect_received", "unknown", "", "10.1.2.3", "50000", "network"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "Bye Bye");
    EXPECT_EQ(fx.get(fx.batch().events().back(), "sshd.disconnect_code"), "11");
    check(fx, {L("Received disconnect from 10.1.2.3: 11: disconnected by user"), "ssh_disconnect_received",
               "unknown", "", "10.1.2.3", "", "network"});
    check(fx, {L("error: Received disconnect from 10.1.2.3 port 5:3: com.jcraft.jsch.JSchException: Auth fail [preauth]"),
               "ssh_disconnect_received", "unknown", "", "10.1.2.3", "5", "network"});
    check(fx, {L("Received disconnect from 2a0c::5 port 50000:11: disconnected by user"),
               "ssh_disconnect_received", "unknown", "", "2a0c::5", "50000", "network"});
    check(fx, {L("Disconnecting authenticating user root 1.2.3.4 port 22: Too many authentication failures [preauth]"),
               "ssh_disconnecting", "failure", "root", "1.2.3.4", "22", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "Too many authentication failures");
    check(fx, {L("Disconnecting invalid user admin 1.2.3.4 port 22: Too many authentication failures [preauth]"),
               "ssh_disconnecting", "failure", "admin", "1.2.3.4", "22", "authentication"});
    check(fx, {L("Disconnecting: Too many authentication failures [preauth]"), "ssh_disconnecting", "failure",
               "", "", "", "authentication"});
}

TEST(LinuxAuthSshd, MaxAttemptsAndPam) {
    syslog_fixture fx;
    check(fx, {L("error: maximum authentication attempts exceeded for invalid user admin from 1.2.3.4 port 5 ssh2 [preauth]"),
               "ssh_max_auth_exceeded", "failure", "admin", "1.2.3.4", "5", "authentication"});
    check(fx, {L("error: maximum authentication attempts exceeded for root from 1.2.3.4 port 5 ssh2 [preauth]"),
               "ssh_max_auth_exceeded", "failure", "root", "1.2.3.4", "5", "authentication"});
    check(fx, {L("PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root"),
               "pam_more_failures", "failure", "root", "1.2.3.4", "", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "pam.more_failures"), "5");
    check(fx, {L("PAM service(sshd) ignoring max retries; 6 > 3"), "pam_max_retries", "failure", "", "", "",
               "authentication"});
    check(fx, {L("PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4 "),
               "pam_more_failures", "failure", "", "1.2.3.4", "", "authentication"});
    check(fx, {"Nov  2 15:40:14 workshop sshd[28179]: pam_unix(sshd:auth): authentication failure; logname= "
               "uid=0 euid=0 tty=ssh ruser= rhost=5.33.63.160 user=workshop",
               "pam_auth_failure", "failure", "workshop", "5.33.63.160", "", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "pam.service"), "sshd");
    EXPECT_EQ(fx.get(fx.batch().events().back(), "pam.module"), "pam_unix");
    check(fx, {L("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=host.example.com"),
               "pam_auth_failure", "failure", "", "", "", "authentication"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "source.domain"), "host.example.com");
    check(fx, {L("pam_unix(sshd:auth): check pass; user unknown"), "pam_user_unknown", "failure", "", "", "",
               "authentication"});
    check(fx, {L("pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)"),
               "session_opened", "success", "alice", "", "", "session"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.type"), "start");
    check(fx, {L("pam_unix(sshd:session): session opened for user alice by (uid=0)"), "session_opened",
               "success", "alice", "", "", "session"});
    check(fx, {L("pam_unix(sshd:session): session closed for user alice"), "session_closed", "success",
               "alice", "", "", "session"});
    check(fx, {L("PAM: Authentication failure for illegal user bob from 1.2.3.4"), "pam_auth_failure",
               "failure", "bob", "1.2.3.4", "", "authentication"});
}

TEST(LinuxAuthSshd, PreauthNetworkNoise) {
    syslog_fixture fx;
    check(fx, {L("Did not receive identification string from 1.2.3.4 port 5555"), "ssh_no_identification",
               "failure", "", "1.2.3.4", "5555", "network"});
    check(fx, {L("Did not receive identification string from 1.2.3.4"), "ssh_no_identification", "failure", "",
               "1.2.3.4", "", "network"});
    check(fx, {L("error: kex_exchange_identification: Connection closed by remote host"), "ssh_kex_error",
               "failure", "", "", "", "network"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "Connection closed by remote host");
    check(fx, {L("error: kex_exchange_identification: banner line contains invalid characters"),
               "ssh_kex_error", "failure", "", "", "", "network"});
    check(fx, {"Dec  1 18:59:33 hostname sshd[1189573]: banner exchange: Connection from 59.91.122.57 port "
               "34388: invalid format",
               "ssh_bad_banner", "failure", "", "59.91.122.57", "34388", "network"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "invalid format");
    check(fx, {"Jun  8 10:44:36 server sshd[3204729]: Unable to negotiate with 123.57.135.134 port 45626: no "
               "matching key exchange method found. Their offer: diffie-hellman-group14-sha1 [preauth] ",
               "ssh_negotiation_failed", "failure", "", "123.57.135.134", "45626", "network"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "event.reason"), "no matching key exchange method found");
    check(fx, {L("Bad protocol version identification 'GET / HTTP/1.1' from 1.2.3.4 port 80"),
               "ssh_bad_protocol_version", "failure", "", "1.2.3.4", "80", "network"});
    check(fx, {L("reverse mapping checking getaddrinfo for bad.example.net [1.2.3.4] failed - POSSIBLE BREAK-IN ATTEMPT!"),
               "ssh_reverse_mapping_failed", "unknown", "", "1.2.3.4", "", "network"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "source.domain"), "bad.example.net");
    check(fx, {L("Address 1.2.3.4 maps to bad.example.net, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!"),
               "ssh_reverse_mapping_failed", "unknown", "", "1.2.3.4", "", "network"});
    check(fx, {"Jul  1 09:30:56 usbkey sshd[8807]: fatal: Timeout before authentication for 192.168.9.212 port 47056",
               "ssh_preauth_timeout", "failure", "", "192.168.9.212", "47056", "network"});
    check(fx, {L("Timeout before authentication for 192.168.9.212 port 47056"), "ssh_preauth_timeout", "failure",
               "", "192.168.9.212", "47056", "network"});
    check(fx, {"Jul  2 11:32:16 instance-20240401-2335 sshd[309785]: ssh_dispatch_run_fatal: Connection from "
               "192.168.9.213 port 48680: message authentication code incorrect [preauth]",
               "ssh_dispatch_fatal", "failure", "", "192.168.9.213", "48680", "network"});
    check(fx, {L("ssh_dispatch_run_fatal: Connection from authenticating user root 1.2.3.4 port 1: Broken pipe [preauth]"),
               "ssh_dispatch_fatal", "failure", "root", "1.2.3.4", "1", "network"});
    check(fx, {"Dec 16 14:10:24 myhost sshd[16379]: refused connect from example.com (192.168.1.1)",
               "ssh_refused_connect", "failure", "", "192.168.1.1", "", "network"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "source.domain"), "example.com");
    check(fx, {"Dec 12 14:10:24 myhost sshd[16379]: refused connect from "
               "_U2FsdGVkX19P3BCJmFBHhjLza8BcMH06WCUVwttMHpE=_@::ffff:192.168.1.1 (::ffff:192.168.1.1)",
               "ssh_refused_connect", "failure", "", "192.168.1.1", "", "network"});
    check(fx, {"Oct 10 01:48:14 username sshd[386400]: Magic value check failed (4289475479) on obfuscated "
               "handshake from 94.232.46.213 port 62730",
               "ssh_obfuscated_handshake_failed", "failure", "", "94.232.46.213", "62730", "network"});
    check(fx, {L("drop connection #3 from [1.2.3.4]:5678 on [10.0.0.1]:22 past MaxStartups"),
               "ssh_connection_dropped", "failure", "", "1.2.3.4", "5678", "network"});
    check(fx, {L("srclimit_penalise: ipv4: new 1.2.3.4/32 deferred penalty of 10 seconds for reason: penalty: failed authentication"),
               "ssh_penalty", "failure", "", "1.2.3.4", "", "network"});
    check(fx, {L("Connection from 1.2.3.4 port 5 on 10.0.0.1 port 22 rdomain \"\""), "ssh_connection", "unknown",
               "", "1.2.3.4", "5", "network"});
    EXPECT_EQ(fx.get(fx.batch().events().back(), "destination.ip"), "10.0.0.1");
}

TEST(LinuxAuthSshd, SessionsAndDaemonLines) {
    syslog_fixture fx;
    check(fx, {"Jun 29 16:53:37 my-vps sshd[3685002]: Close session: user ansible from 192.168.1.1 port 34928 id 0",
               "ssh_session_closed", "success", "ansible", "192.168.1.1", "34928", "session"});
    check(fx, {L("Starting session: shell on pts/0 for bob from 10.0.0.9 port 4242 id 0"), "ssh_session_started",
               "success", "bob", "10.0.0.9", "4242", "session"});
    check(fx, {L("Postponed publickey for bob from 10.0.0.9 port 4242 ssh2 [preauth]"), "ssh_postponed",
               "unknown", "bob", "10.0.0.9", "4242", "authentication"});
    // unrecognised sshd lines are still linux.auth, without action
    const auto& e = fx.parse(L("Server listening on 0.0.0.0 port 22."));
    EXPECT_EQ(e.source_type, "linux.auth");
    const auto& o = fx.parse(L("some future message we do not know"));
    EXPECT_EQ(o.source_type, "linux.auth");
    EXPECT_FALSE(fx.has(o, "event.action"));
}

TEST(LinuxAuthDropbear, Logins) {
    syslog_fixture fx;
    constexpr std::string_view D = "Mar  3 10:00:00 router dropbear[812]: ";
    auto d = [&](std::string_view m) {
        std::string s(D);
        s.append(m);
        return s;
    };
    check(fx, {d("Bad PAM password attempt for 'foobar' from 192.168.9.163:49242"), "ssh_login", "failure",
               "foobar", "192.168.9.163", "49242", "authentication"});
    check(fx, {d("Bad password attempt for 'root' from 2001:db8::5:2222"), "ssh_login", "failure", "root",
               "2001:db8::5", "2222", "authentication"});
    check(fx, {d("Password auth succeeded for 'root' from 10.0.0.2:50000"), "ssh_login", "success", "root",
               "10.0.0.2", "50000", "authentication"});
    check(fx, {d("Pubkey auth succeeded for 'admin' with key md5 0a:1b from 10.0.0.2:50000"), "ssh_login",
               "success", "admin", "10.0.0.2", "50000", "authentication"});
    check(fx, {d("Login attempt for nonexistent user from 192.168.9.163:49906"), "ssh_invalid_user", "failure",
               "", "192.168.9.163", "49906", "authentication"});
    check(fx, {d("Login attempt for nonexistent user 'guest' from 192.168.9.163:49906"), "ssh_invalid_user",
               "failure", "guest", "192.168.9.163", "49906", "authentication"});
    check(fx, {d("Exit before auth from <192.168.1.1:35928>: Bad buf_getptr"), "ssh_disconnected", "failure", "",
               "192.168.1.1", "35928", "network"});
    check(fx, {d("Child connection from 192.168.1.1:35928"), "ssh_connection", "unknown", "", "192.168.1.1",
               "35928", "network"});
}

TEST(LinuxAuthSudo, CommandsAndFailures) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "Mar  3 10:00:00 web01 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/usr/bin/systemctl restart nginx ; echo hi");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "linux.auth");
    EXPECT_EQ(fx.get(e, "event.action"), "sudo");
    EXPECT_EQ(fx.get(e, "event.outcome"), "success");
    EXPECT_EQ(fx.get(e, "event.category"), "process");
    EXPECT_EQ(fx.get(e, "user.name"), "alice");
    EXPECT_EQ(fx.get(e, "user.effective.name"), "root");
    EXPECT_EQ(fx.get(e, "process.command_line"), "/usr/bin/systemctl restart nginx ; echo hi");
    EXPECT_EQ(fx.get(e, "process.working_directory"), "/home/alice");
    EXPECT_EQ(fx.get(e, "process.tty.name"), "pts/1");

    const auto& bad = fx.parse(
        "Mar  3 10:00:00 web01 sudo: mallory : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/tmp ; "
        "USER=root ; COMMAND=/bin/bash");
    EXPECT_EQ(fx.get(bad, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(bad, "event.reason"), "3 incorrect password attempts");
    EXPECT_EQ(fx.get(bad, "process.command_line"), "/bin/bash");
    const auto& ns = fx.parse(
        "Mar  3 10:00:00 web01 sudo: eve : user NOT in sudoers ; TTY=pts/0 ; PWD=/tmp ; USER=root ; COMMAND=/bin/id");
    EXPECT_EQ(fx.get(ns, "event.reason"), "user NOT in sudoers");
    EXPECT_EQ(fx.get(ns, "user.name"), "eve");
    const auto& grp = fx.parse(
        "Mar  3 10:00:00 web01 sudo: bob : TTY=unknown ; PWD=/ ; USER=www-data ; GROUP=adm ; COMMAND=/bin/ls");
    EXPECT_EQ(fx.get(grp, "group.name"), "adm");
    EXPECT_FALSE(fx.has(grp, "process.tty.name"));

    const auto& pam = fx.parse(
        "Dec  7 14:52:59 vskub1master01p sudo: pam_unix(sudo:auth): authentication failure; logname=zbadguy "
        "uid=4001 euid=0 tty=/dev/pts/12 ruser=zbadguy rhost=  user=zbadguy");
    EXPECT_EQ(fx.get(pam, "event.action"), "pam_auth_failure");
    EXPECT_EQ(fx.get(pam, "user.name"), "zbadguy");
    EXPECT_FALSE(fx.has(pam, "source.ip"));
    const auto& tally = fx.parse(
        "Dec  7 14:53:04 vskub1master01p sudo: pam_tally2(sudo:auth): user zbadguy (4001) tally 6, deny 5");
    EXPECT_EQ(fx.get(tally, "event.action"), "pam_tally");
    EXPECT_EQ(fx.get(tally, "user.name"), "zbadguy");
    const auto& sess = fx.parse(
        "Mar  3 10:00:00 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)");
    EXPECT_EQ(fx.get(sess, "event.action"), "session_opened");
    EXPECT_EQ(fx.get(sess, "user.name"), "alice");
    EXPECT_EQ(fx.get(sess, "user.effective.name"), "root");
}

TEST(LinuxAuthSu, SwitchUser) {
    syslog_fixture fx;
    const auto& ok = fx.parse("Mar  3 10:00:00 web01 su[200]: (to root) alice on pts/0");
    EXPECT_EQ(ok.source_type, "linux.auth");
    EXPECT_EQ(fx.get(ok, "event.action"), "su");
    EXPECT_EQ(fx.get(ok, "event.outcome"), "success");
    EXPECT_EQ(fx.get(ok, "user.name"), "alice");
    EXPECT_EQ(fx.get(ok, "user.effective.name"), "root");
    const auto& bad = fx.parse("Mar  3 10:00:00 web01 su[200]: FAILED SU (to root) mallory on pts/2");
    EXPECT_EQ(fx.get(bad, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(bad, "user.name"), "mallory");
    const auto& ul = fx.parse("Mar  3 10:00:00 web01 su[200]: FAILED su for root by mallory");
    EXPECT_EQ(fx.get(ul, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(ul, "user.name"), "mallory");
    EXPECT_EQ(fx.get(ul, "user.effective.name"), "root");
    const auto& pam = fx.parse(
        "Mar  3 10:00:00 web01 su[200]: pam_unix(su:auth): authentication failure; logname=mallory uid=1001 "
        "euid=0 tty=/dev/pts/2 ruser=mallory rhost=  user=root");
    EXPECT_EQ(fx.get(pam, "event.action"), "pam_auth_failure");
    EXPECT_EQ(fx.get(pam, "user.name"), "mallory");
    EXPECT_EQ(fx.get(pam, "user.effective.name"), "root");
    const auto& sl = fx.parse(
        "Mar  3 10:00:00 web01 su[200]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)");
    EXPECT_EQ(fx.get(sl, "pam.service"), "su-l");
    EXPECT_EQ(fx.get(sl, "user.name"), "alice");
}

TEST(LinuxAuthLogin, ConsoleLogins) {
    syslog_fixture fx;
    const auto& bad = fx.parse("Mar  3 10:00:00 web01 login[300]: FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure");
    EXPECT_EQ(fx.get(bad, "event.action"), "login");
    EXPECT_EQ(fx.get(bad, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(bad, "user.name"), "root");
    const auto& ok = fx.parse("Mar  3 10:00:00 web01 login[300]: ROOT LOGIN ON tty1");
    EXPECT_EQ(fx.get(ok, "event.outcome"), "success");
    const auto& pam = fx.parse(
        "Mar  3 10:00:00 web01 login[300]: pam_unix(login:session): session opened for user root(uid=0) by LOGIN(uid=0)");
    EXPECT_EQ(fx.get(pam, "user.name"), "root");
    // PAM lines of programs without their own parser: the PAM sniffer
    const auto& sys = fx.parse(
        "Mar  3 10:00:00 web01 systemd[1]: pam_unix(systemd-user:session): session opened for user deploy(uid=1011) by (uid=0)");
    EXPECT_EQ(sys.source_type, "linux.auth");
    EXPECT_EQ(fx.get(sys, "event.action"), "session_opened");
    EXPECT_EQ(fx.get(sys, "user.name"), "deploy");
    const auto& ftp = fx.parse(
        "Mar  3 10:00:00 web01 vsftpd[77]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 "
        "euid=0 tty=ftp ruser=bob rhost=198.51.100.9  user=bob");
    EXPECT_EQ(ftp.source_type, "linux.auth");
    EXPECT_EQ(fx.get(ftp, "event.action"), "pam_auth_failure");
    EXPECT_EQ(fx.get(ftp, "user.name"), "bob");
    EXPECT_EQ(fx.get(ftp, "source.ip"), "198.51.100.9");
    EXPECT_EQ(fx.get(ftp, "pam.service"), "vsftpd");
    const auto& other = fx.parse("Mar  3 10:00:00 web01 systemd[1]: Started Session 5 of User deploy.");
    EXPECT_EQ(other.source_type, "syslog");
    const auto& fl = fx.parse(
        "Mar  3 10:00:00 web01 sshd[5]: pam_faillock(sshd:auth): Consecutive login failures for user bob account temporarily locked");
    EXPECT_EQ(fx.get(fl, "event.action"), "account_locked");
    EXPECT_EQ(fx.get(fl, "user.name"), "bob");
}

TEST(LinuxAuthAccounts, ShadowUtils) {
    syslog_fixture fx;
    struct c {
        std::string_view line, action, target, group, type;
    };
    const c cases[] = {
        {"useradd[900]: new user: name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0",
         "user_created", "bob", "", "creation"},
        {"useradd[900]: new group: name=bob, GID=1001", "group_created", "", "bob", "creation"},
        {"useradd[900]: add 'bob' to group 'sudo'", "user_added_to_group", "bob", "sudo", "change"},
        {"usermod[901]: add 'bob' to shadow group 'sudo'", "user_added_to_group", "bob", "sudo", "change"},
        {"usermod[901]: change user 'bob' password", "password_changed", "bob", "", "change"},
        {"usermod[901]: change user 'bob' shell from '/bin/sh' to '/bin/bash'", "user_modified", "bob", "", "change"},
        {"usermod[901]: lock user 'bob' password", "user_locked", "bob", "", "change"},
        {"usermod[901]: unlock user 'bob' password", "user_unlocked", "bob", "", "change"},
        {"usermod[901]: delete 'bob' from group 'sudo'", "user_removed_from_group", "bob", "sudo", "change"},
        {"userdel[902]: delete user 'bob'", "user_deleted", "bob", "", "deletion"},
        {"userdel[902]: delete user `bob'", "user_deleted", "bob", "", "deletion"},
        {"userdel[902]: removed group 'bob' owned by 'bob'", "group_deleted", "", "bob", "deletion"},
        {"userdel[902]: removed shadow group 'bob' owned by 'bob'", "group_deleted", "", "bob", "deletion"},
        {"groupadd[903]: group added to /etc/group: name=devs, GID=1002", "group_created", "", "devs", "creation"},
        {"groupadd[903]: new group: name=devs, GID=1002", "group_created", "", "devs", "creation"},
        {"groupdel[904]: group 'devs' removed", "group_deleted", "", "devs", "deletion"},
        {"groupdel[904]: group 'devs' removed from /etc/group", "group_deleted", "", "devs", "deletion"},
        {"groupmod[905]: group changed in /etc/group (group devs/1002, new name: dev2)", "group_modified", "",
         "devs", "change"},
        {"passwd[906]: pam_unix(passwd:chauthtok): password changed for bob", "password_changed", "bob", "", "change"},
        {"passwd[906]: password for 'bob' changed by 'root'", "password_changed", "bob", "", "change"},
        {"chpasswd[907]: pam_unix(chpasswd:chauthtok): password changed for carol", "password_changed", "carol",
         "", "change"},
        {"chage[908]: changed password expiry for bob", "user_modified", "bob", "", "change"},
        {"gpasswd[909]: user bob added by root to group sudo", "user_added_to_group", "bob", "sudo", "change"},
        {"gpasswd[909]: user bob removed by root from group sudo", "user_removed_from_group", "bob", "sudo", "change"},
        {"useradd[900]: failed adding user 'bob', data deleted", "user_created", "bob", "", "creation"},
    };
    for (const auto& x : cases) {
        std::string line = "Mar  3 10:00:00 web01 ";
        line.append(x.line);
        SCOPED_TRACE(line);
        const auto& e = fx.parse(line);
        ASSERT_TRUE(fx.ok());
        EXPECT_EQ(e.source_type, "linux.auth");
        EXPECT_EQ(fx.get(e, "event.action"), x.action);
        EXPECT_EQ(fx.get(e, "event.category"), "iam");
        EXPECT_EQ(fx.get(e, "user.target.name"), x.target);
        EXPECT_EQ(fx.get(e, "group.name"), x.group);
        EXPECT_EQ(fx.get(e, "event.type"), x.type);
        EXPECT_EQ(fx.get(e, "event.outcome"),
                  x.line.find("failed adding") != std::string_view::npos ? "failure" : "success");
    }
    const auto& u = fx.parse("Mar  3 10:00:00 web01 useradd[900]: new user: name=bob, UID=1001, GID=1001");
    EXPECT_EQ(fx.get(u, "user.id"), "1001");
    EXPECT_EQ(fx.all(u, "event.type"), "creation,user");
}

TEST(LinuxAuthLogind, Sessions) {
    syslog_fixture fx;
    const auto& n = fx.parse("Mar  3 10:00:00 web01 systemd-logind[612]: New session 101 of user alice.");
    EXPECT_EQ(n.source_type, "linux.auth");
    EXPECT_EQ(fx.get(n, "event.action"), "session_opened");
    EXPECT_EQ(fx.get(n, "user.name"), "alice");
    EXPECT_EQ(fx.get(n, "logind.session_id"), "101");
    EXPECT_EQ(fx.get(n, "event.category"), "session");
    const auto& o = fx.parse("Mar  3 10:00:00 web01 systemd-logind[612]: Session 101 logged out. Waiting for processes to exit.");
    EXPECT_EQ(fx.get(o, "event.action"), "session_logged_out");
    EXPECT_EQ(fx.get(o, "logind.session_id"), "101");
    const auto& r = fx.parse("Mar  3 10:00:00 web01 systemd-logind[612]: Removed session 101.");
    EXPECT_EQ(fx.get(r, "event.action"), "session_removed");
    EXPECT_EQ(fx.get(r, "logind.session_id"), "101");
    const auto& rb = fx.parse("Mar  3 10:00:00 web01 systemd-logind[612]: System is rebooting.");
    EXPECT_EQ(fx.get(rb, "event.action"), "system_reboot");
    const auto& w = fx.parse("Mar  3 10:00:00 web01 systemd-logind[612]: Watching system buttons on /dev/input/event0");
    EXPECT_EQ(w.source_type, "linux.auth");
    EXPECT_FALSE(fx.has(w, "event.action"));
}

TEST(LinuxCron, CommandsAndCrontab) {
    syslog_fixture fx;
    const auto& c = fx.parse("Mar  3 10:17:01 web01 CRON[4242]: (root) CMD (   cd / && run-parts --report /etc/cron.hourly)");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(c.source_type, "linux.cron");
    EXPECT_EQ(fx.get(c, "event.action"), "cron_command");
    EXPECT_EQ(fx.get(c, "user.name"), "root");
    EXPECT_EQ(fx.get(c, "process.command_line"), "   cd / && run-parts --report /etc/cron.hourly");
    EXPECT_EQ(fx.get(c, "event.category"), "process");
    const auto& rh = fx.parse("Mar  3 10:17:01 web01 crond[4242]: (www-data) CMD (php /var/www/cron.php)");
    EXPECT_EQ(fx.get(rh, "user.name"), "www-data");
    const auto& p = fx.parse(
        "Mar  3 10:17:01 web01 CRON[4242]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
    EXPECT_EQ(p.source_type, "linux.cron");
    EXPECT_EQ(fx.get(p, "event.action"), "session_opened");
    EXPECT_EQ(fx.get(p, "user.name"), "root");
    const auto& r = fx.parse("Mar  3 10:17:01 web01 crontab[77]: (mallory) REPLACE (mallory)");
    EXPECT_EQ(fx.get(r, "event.action"), "crontab_replaced");
    EXPECT_EQ(fx.get(r, "user.name"), "mallory");
    const auto& rl = fx.parse("Mar  3 10:17:01 web01 cron[1]: (*system*) RELOAD (/etc/crontab)");
    EXPECT_EQ(fx.get(rl, "event.action"), "cron_reload");
    EXPECT_FALSE(fx.has(rl, "user.name"));
    const auto& i = fx.parse("Mar  3 10:17:01 web01 CRON[1]: (CRON) info (No MTA installed, discarding output)");
    EXPECT_EQ(i.source_type, "linux.cron");
    EXPECT_FALSE(fx.has(i, "event.action"));
}

TEST(LinuxAuthSshd, GeneratorShapes) {
    // every line shape of bench/peers/gen_authlog.py
    syslog_fixture fx("UTC", "2025-03-10T00:00:00Z");
    const char* lines[] = {
        "Mar  3 00:00:00 web01 sshd[701]: Server listening on 0.0.0.0 port 22.",
        "Mar  3 00:00:01 web01 sshd[1201]: Invalid user admin from 203.0.113.5 port 52311",
        "Mar  3 00:00:01 web01 sshd[1201]: pam_unix(sshd:auth): check pass; user unknown",
        "Mar  3 00:00:01 web01 sshd[1201]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5 ",
        "Mar  3 00:00:03 web01 sshd[1201]: Failed password for invalid user admin from 203.0.113.5 port 52311 ssh2",
        "Mar  3 00:00:04 web01 sshd[1201]: error: maximum authentication attempts exceeded for invalid user admin from 203.0.113.5 port 52311 ssh2 [preauth]",
        "Mar  3 00:00:04 web01 sshd[1201]: Disconnecting invalid user admin 203.0.113.5 port 52311: Too many authentication failures [preauth]",
        "Mar  3 00:00:04 web01 sshd[1201]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5 ",
        "Mar  3 00:00:04 web01 sshd[1201]: PAM service(sshd) ignoring max retries; 6 > 3",
        "Mar  3 00:00:05 web01 sshd[1202]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=2a0c:1:2::5  user=root",
        "Mar  3 00:00:07 web01 sshd[1202]: Failed password for root from 2a0c:1:2::5 port 4000 ssh2",
        "Mar  3 00:00:08 web01 sshd[1202]: Received disconnect from 2a0c:1:2::5 port 4000:11: Bye Bye [preauth]",
        "Mar  3 00:00:08 web01 sshd[1202]: Disconnected from authenticating user root 2a0c:1:2::5 port 4000 [preauth]",
        "Mar  3 00:00:08 web01 sshd[1202]: Connection closed by authenticating user root 2a0c:1:2::5 port 4000 [preauth]",
        "Mar  3 00:00:09 web01 sshd[1203]: Accepted password for alice from 10.0.0.5 port 5000 ssh2",
        "Mar  3 00:00:09 web01 sshd[1203]: Accepted publickey for alice from 10.0.0.5 port 5000 ssh2: ED25519 SHA256:AAAA",
        "Mar  3 00:00:09 web01 sshd[1203]: pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
        "Mar  3 00:00:09 web01 systemd-logind[612]: New session 101 of user alice.",
        "Mar  3 00:00:10 web01 sudo:    alice : TTY=pts/1 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update",
        "Mar  3 00:00:10 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)",
        "Mar  3 00:00:11 web01 sudo: pam_unix(sudo:session): session closed for user root",
        "Mar  3 00:00:12 web01 sshd[1203]: Received disconnect from 10.0.0.5 port 5000:11: disconnected by user",
        "Mar  3 00:00:12 web01 sshd[1203]: Disconnected from user alice 10.0.0.5 port 5000",
        "Mar  3 00:00:12 web01 sshd[1203]: pam_unix(sshd:session): session closed for user alice",
        "Mar  3 00:00:12 web01 systemd-logind[612]: Session 101 logged out. Waiting for processes to exit.",
        "Mar  3 00:00:12 web01 systemd-logind[612]: Removed session 101.",
        "Mar  3 00:00:13 web01 sshd[1204]: Connection closed by 198.51.100.1 port 6000 [preauth]",
        "Mar  3 00:00:13 web01 sshd[1205]: error: kex_exchange_identification: Connection closed by remote host",
        "Mar  3 00:00:13 web01 sshd[1205]: Connection closed by 198.51.100.2 port 6001",
        "Mar  3 00:00:13 web01 sshd[1206]: error: kex_exchange_identification: read: Connection reset by peer",
        "Mar  3 00:00:13 web01 sshd[1206]: Connection reset by 198.51.100.3 port 6002",
        "Mar  3 00:00:13 web01 sshd[1207]: banner exchange: Connection from 198.51.100.4 port 6003: invalid format",
        "Mar  3 00:00:13 web01 sshd[1208]: Unable to negotiate with 198.51.100.5 port 6004: no matching cipher found. Their offer: aes128-cbc,3des-cbc [preauth]",
        "Mar  3 00:00:13 web01 sshd[1209]: Disconnected from 198.51.100.6 port 6005 [preauth]",
        "Mar  3 00:00:14 web01 CRON[1300]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
        "Mar  3 00:00:14 web01 CRON[1300]: pam_unix(cron:session): session closed for user root",
        "Mar  3 00:00:15 web01 su[1301]: (to root) alice on pts/0",
        "Mar  3 00:00:15 web01 su[1301]: pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)",
        "Mar  3 00:00:15 web01 systemd[1302]: pam_unix(systemd-user:session): session opened for user deploy(uid=1011) by (uid=0)",
    };
    for (const char* l : lines) {
        SCOPED_TRACE(l);
        const auto& e = fx.parse(l);
        ASSERT_TRUE(fx.ok());
        EXPECT_NE(e.source_type, "syslog");
        EXPECT_EQ(fx.ts(e).substr(0, 10), "2025-03-03");
        std::string_view lv(l);
        EXPECT_TRUE(fx.has(e, "event.action"));
        // every remote address in the line is in source.ip
        for (std::string_view ip : {"203.0.113.5", "2a0c:1:2::5", "10.0.0.5", "198.51.100."})
            if (lv.find(ip) != lv.npos) {
                EXPECT_EQ(fx.get(e, "source.ip").substr(0, ip.size()), ip);
            }
    }
}

}  // namespace
}  // namespace mimamori
