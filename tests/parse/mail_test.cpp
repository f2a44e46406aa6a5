// Postfix (smtpd, postscreen, queue) and Dovecot messages.
#include <gtest/gtest.h>

#include "syslog_fixture.hpp"

namespace mimamori {
namespace {

using testing::syslog_fixture;

TEST(MailPostfix, SaslFailuresAndSuccess) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "May 11 04:02:36 host1 postfix/smtpd[26897]: warning: unknown[192.168.1.1]: SASL LOGIN "
        "authentication failed: authentication failure");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(e.source_type, "mail.postfix");
    EXPECT_EQ(fx.get(e, "event.action"), "sasl_auth_failure");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "event.category"), "authentication");
    EXPECT_EQ(fx.get(e, "source.ip"), "192.168.1.1");
    EXPECT_FALSE(fx.has(e, "source.domain"));
    EXPECT_EQ(fx.get(e, "postfix.sasl_method"), "LOGIN");
    EXPECT_EQ(fx.get(e, "event.reason"), "authentication failure");
    EXPECT_FALSE(fx.has(e, "user.name"));

    const auto& u = fx.parse(
        "May  6 09:25:41 mail postfix/smtps/smtpd[16997]: warning: unknown[203.0.113.10]: SASL LOGIN "
        "authentication failed: (reason unavailable), sasl_username=postmaster@example.org");
    EXPECT_EQ(fx.get(u, "user.name"), "postmaster@example.org");
    EXPECT_EQ(fx.get(u, "event.reason"), "(reason unavailable)");
    EXPECT_EQ(fx.get(u, "source.ip"), "203.0.113.10");

    const auto& v6 = fx.parse(
        "May  6 09:25:41 mail postfix/submission/smtpd[1]: warning: mx.example.com[2001:db8::25]: SASL PLAIN "
        "authentication failed: UGFzc3dvcmQ6");
    EXPECT_EQ(fx.get(v6, "source.ip"), "2001:db8::25");
    EXPECT_EQ(fx.get(v6, "source.domain"), "mx.example.com");

    const auto& ok = fx.parse(
        "May  6 09:25:41 mail postfix/submission/smtpd[1]: 4Xyz12AbCd: client=laptop.example.com[198.51.100.4], "
        "sasl_method=PLAIN, sasl_username=alice@example.org");
    EXPECT_EQ(fx.get(ok, "event.action"), "sasl_auth_success");
    EXPECT_EQ(fx.get(ok, "event.outcome"), "success");
    EXPECT_EQ(fx.get(ok, "user.name"), "alice@example.org");
    EXPECT_EQ(fx.get(ok, "postfix.queue_id"), "4Xyz12AbCd");
    EXPECT_EQ(fx.get(ok, "postfix.sasl_method"), "PLAIN");
}

TEST(MailPostfix, Rejects) {
    syslog_fixture fx;
    const auto& e = fx.parse(
        "2024-08-25T12:31:56.154748+00:00 machine postfix/smtpd[3887453]: NOQUEUE: reject: RCPT from "
        "unknown[192.168.1.1]: 454 4.7.1 <spammer@domain.tld>: Relay access denied; from=<spammer@domain.tld> "
        "to=<victim@domain.tld> proto=ESMTP helo=<WIN-CLJ1B0GQ6JP>");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.ts(e), "2024-08-25T12:31:56.154748Z");
    EXPECT_EQ(fx.get(e, "event.action"), "smtp_reject");
    EXPECT_EQ(fx.get(e, "event.category"), "email");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "source.ip"), "192.168.1.1");
    EXPECT_EQ(fx.get(e, "event.code"), "454");
    EXPECT_EQ(fx.get(e, "event.reason"), "454 4.7.1 <spammer@domain.tld>: Relay access denied");
    EXPECT_EQ(fx.get(e, "email.from.address"), "spammer@domain.tld");
    EXPECT_EQ(fx.get(e, "email.to.address"), "victim@domain.tld");
    EXPECT_EQ(fx.get(e, "postfix.helo"), "WIN-CLJ1B0GQ6JP");
    EXPECT_EQ(fx.get(e, "postfix.command"), "RCPT");

    const auto& d = fx.parse(
        "Jun 04 22:24:28 machine postfix/smtpd[3967801]: NOQUEUE: reject: RCPT from "
        "static.1.1.168.192.client.domain.xyz[192.168.1.1]: 454 4.7.1 <spameri@tiscali.it>: Relay access denied; "
        "from=<spammer@domain.tld> to=<spammer@domain.tld> proto=ESMTP helo=<WIN-CLJ1B0GQ6JP>");
    EXPECT_EQ(fx.get(d, "source.domain"), "static.1.1.168.192.client.domain.xyz");
    const auto& s = fx.parse(
        "May 11 04:02:37 host1 postfix/smtpd[26897]: NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 554 5.7.1 "
        "Service unavailable");
    EXPECT_EQ(fx.get(s, "event.reason"), "554 5.7.1 Service unavailable");
    EXPECT_FALSE(fx.has(s, "email.from.address"));
    const auto& nul = fx.parse(
        "May 11 04:02:37 host1 postfix/smtpd[26897]: NOQUEUE: reject: RCPT from unknown[1.2.3.4]: 550 5.1.1 "
        "<x@y>: Recipient address rejected; from=<> to=<x@y> proto=ESMTP helo=<h>");
    EXPECT_FALSE(fx.has(nul, "email.from.address"));
    EXPECT_EQ(fx.get(nul, "email.to.address"), "x@y");
}

TEST(MailPostfix, ConnectionsAndProbes) {
    syslog_fixture fx;
    const auto& c = fx.parse("May 11 04:02:30 host1 postfix/smtpd[26897]: connect from unknown[1.2.3.4]");
    EXPECT_EQ(fx.get(c, "event.action"), "smtp_connect");
    EXPECT_EQ(fx.get(c, "source.ip"), "1.2.3.4");
    const auto& d = fx.parse(
        "May 11 04:02:38 host1 postfix/smtpd[26897]: disconnect from unknown[1.2.3.4] ehlo=1 auth=0/1 quit=1 commands=2/3");
    EXPECT_EQ(fx.get(d, "event.action"), "smtp_disconnect");
    EXPECT_EQ(fx.get(d, "event.outcome"), "failure");
    const auto& d2 = fx.parse(
        "May 11 04:02:38 host1 postfix/smtpd[26897]: disconnect from mx.example.net[1.2.3.4] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5");
    EXPECT_EQ(fx.get(d2, "event.outcome"), "unknown");
    const auto& l = fx.parse(
        "May 11 04:02:38 host1 postfix/smtpd[26897]: lost connection after AUTH from unknown[1.2.3.4]");
    EXPECT_EQ(fx.get(l, "event.action"), "smtp_lost_connection");
    EXPECT_EQ(fx.get(l, "postfix.command"), "AUTH");
    const auto& t = fx.parse("May 11 04:02:38 host1 postfix/smtpd[26897]: too many errors after AUTH from unknown[1.2.3.4]");
    EXPECT_EQ(fx.get(t, "event.action"), "smtp_too_many_errors");
    const auto& n = fx.parse(
        "2024-10-31T12:38:21.817327+00:00 machine postfix/submission/smtpd[2634372]: warning: non-SMTP command "
        "from unknown[192.168.1.1]: GET / HTTP/1.1");
    EXPECT_EQ(fx.get(n, "event.action"), "smtp_non_smtp_command");
    EXPECT_EQ(fx.get(n, "postfix.command"), "GET / HTTP/1.1");
    EXPECT_EQ(fx.get(n, "source.ip"), "192.168.1.1");
    const auto& h = fx.parse(
        "May 11 04:02:38 host1 postfix/smtpd[26897]: warning: hostname fake.example does not resolve to address "
        "1.2.3.4: Name or service not known");
    EXPECT_EQ(fx.get(h, "event.action"), "smtp_dns_mismatch");
    EXPECT_EQ(fx.get(h, "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.get(h, "source.domain"), "fake.example");
}

TEST(MailPostfix, Postscreen) {
    syslog_fixture fx;
    const auto& p = fx.parse(
        "Oct 25 04:24:59 test postfix/postscreen[22244]: PREGREET 16 after 2.6 from [177.154.236.182]:41323: "
        "EHLO 127.0.0.1\\r\\n");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(p.source_type, "mail.postfix");
    EXPECT_EQ(fx.get(p, "event.action"), "postscreen_pregreet");
    EXPECT_EQ(fx.get(p, "source.ip"), "177.154.236.182");
    EXPECT_EQ(fx.get(p, "source.port"), "41323");
    EXPECT_EQ(fx.get(p, "event.reason"), "EHLO 127.0.0.1\\r\\n");
    const auto& c = fx.parse(
        "Oct 25 04:24:59 test postfix/postscreen[1]: CONNECT from [2001:db8::7]:5000 to [2001:db8::1]:25");
    EXPECT_EQ(fx.get(c, "event.action"), "postscreen_connect");
    EXPECT_EQ(fx.get(c, "source.ip"), "2001:db8::7");
    const auto& d = fx.parse("Oct 25 04:24:59 test postfix/postscreen[1]: DNSBL rank 3 for [1.2.3.4]:5000");
    EXPECT_EQ(fx.get(d, "event.action"), "postscreen_dnsbl");
    EXPECT_EQ(fx.get(d, "postfix.dnsbl_rank"), "3");
    const auto& r = fx.parse(
        "Oct 25 04:24:59 test postfix/postscreen[1]: NOQUEUE: reject: RCPT from [1.2.3.4]:5000: 550 5.7.1 "
        "Service unavailable; client [1.2.3.4] blocked using zen.spamhaus.org; from=<a@b.c>, to=<d@e.f>, "
        "proto=ESMTP, helo=<x>");
    EXPECT_EQ(fx.get(r, "event.action"), "smtp_reject");
    EXPECT_EQ(fx.get(r, "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.get(r, "source.port"), "5000");
    EXPECT_EQ(fx.get(r, "email.from.address"), "a@b.c");
    EXPECT_EQ(fx.get(r, "email.to.address"), "d@e.f");
    const auto& pass = fx.parse("Oct 25 04:24:59 test postfix/postscreen[1]: PASS NEW [1.2.3.4]:5000");
    EXPECT_EQ(fx.get(pass, "event.outcome"), "success");
    const auto& hu = fx.parse(
        "Oct 25 04:24:59 test postfix/postscreen[1]: HANGUP after 0.5 from [1.2.3.4]:5000 in tests after SMTP handshake");
    EXPECT_EQ(fx.get(hu, "event.action"), "postscreen_hangup");
}

TEST(MailPostfix, Queue) {
    syslog_fixture fx;
    const auto& q = fx.parse(
        "May 11 04:02:38 host1 postfix/qmgr[100]: 4F1A2B3C4D: from=<alice@example.org>, size=1234, nrcpt=1 (queue active)");
    EXPECT_EQ(fx.get(q, "event.action"), "mail_queued");
    EXPECT_EQ(fx.get(q, "email.from.address"), "alice@example.org");
    EXPECT_EQ(fx.get(q, "postfix.queue_id"), "4F1A2B3C4D");
    const auto& s = fx.parse(
        "May 11 04:02:39 host1 postfix/smtp[101]: 4F1A2B3C4D: to=<bob@example.net>, relay=mx.example.net[1.2.3.4]:25, "
        "delay=0.5, delays=0.1/0/0.2/0.2, dsn=2.0.0, status=sent (250 2.0.0 OK)");
    EXPECT_EQ(fx.get(s, "event.action"), "mail_delivery");
    EXPECT_EQ(fx.get(s, "event.outcome"), "success");
    EXPECT_EQ(fx.get(s, "email.to.address"), "bob@example.net");
    EXPECT_EQ(fx.get(s, "postfix.relay"), "mx.example.net[1.2.3.4]:25");
    EXPECT_EQ(fx.get(s, "postfix.status"), "sent");
    const auto& b = fx.parse(
        "May 11 04:02:39 host1 postfix/smtp[101]: 4F1A2B3C4D: to=<bob@example.net>, relay=none, delay=1, "
        "dsn=5.4.4, status=bounced (Host or domain name not found)");
    EXPECT_EQ(fx.get(b, "event.outcome"), "failure");
    const auto& m = fx.parse(
        "May 11 04:02:38 host1 postfix/cleanup[102]: 4F1A2B3C4D: message-id=<abc@example.org>");
    EXPECT_EQ(fx.get(m, "email.message_id"), "abc@example.org");
    const auto& other = fx.parse("May 11 04:02:38 host1 postfix/master[1]: daemon started -- version 3.7.11");
    EXPECT_EQ(other.source_type, "mail.postfix");
    EXPECT_FALSE(fx.has(other, "event.action"));
}

TEST(MailDovecot, LoginProcesses) {
    syslog_fixture fx;
    const auto& f = fx.parse(
        "Sep 8 07:16:27 canyon dovecot[7508]: imap-login: Disconnected (auth failed, 1 attempts in 6 secs): "
        "user=<toto@toto.com>, method=PLAIN, rip=1.1.1.1, lip=7.7.7.7, TLS, session=<azdaDADSqqsvf-za>");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(f.source_type, "mail.dovecot");
    EXPECT_EQ(fx.get(f, "event.action"), "mail_login");
    EXPECT_EQ(fx.get(f, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(f, "event.category"), "authentication");
    EXPECT_EQ(fx.get(f, "user.name"), "toto@toto.com");
    EXPECT_EQ(fx.get(f, "source.ip"), "1.1.1.1");
    EXPECT_EQ(fx.get(f, "destination.ip"), "7.7.7.7");
    EXPECT_EQ(fx.get(f, "network.protocol"), "imap");
    EXPECT_EQ(fx.get(f, "dovecot.method"), "PLAIN");
    EXPECT_EQ(fx.get(f, "dovecot.session"), "azdaDADSqqsvf-za");
    EXPECT_EQ(fx.get(f, "dovecot.auth_attempts"), "1");

    const auto& i = fx.parse(
        "Oct 12 15:44:43 canyon dovecot: pop3-login: Info: Disconnected: Connection closed (auth failed, 2 "
        "attempts in 30 secs): user=<hess@lol.fr>, method=PLAIN, rip=172.17.0.1, lip=172.17.0.2, TLS: "
        "Connection closed, session=<oEOptynOHNasEQAB>");
    EXPECT_EQ(fx.get(i, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(i, "network.protocol"), "pop3");
    EXPECT_EQ(fx.get(i, "dovecot.auth_attempts"), "2");
    EXPECT_EQ(fx.get(i, "user.name"), "hess@lol.fr");

    const auto& s = fx.parse(
        "Oct 13 09:22:59 canyon dovecot: pop3-login: Info: Login: user=<test@yourdomain.net>, method=PLAIN, "
        "rip=172.17.0.1, lip=172.17.0.2, mpid=18, TLS, session=<PeYcgjjOGOisEQAB>");
    EXPECT_EQ(fx.get(s, "event.action"), "mail_login");
    EXPECT_EQ(fx.get(s, "event.outcome"), "success");
    EXPECT_EQ(fx.get(s, "user.name"), "test@yourdomain.net");

    const auto& n = fx.parse(
        "Oct 13 09:22:47 canyon dovecot: pop3-login: Info: Disconnected: Disconnected: Too many bad commands (no "
        "auth attempts in 22 secs): user=<>, rip=172.17.0.1, lip=172.17.0.2, TLS, session=<HfdbgTjOEOisEQAB>");
    EXPECT_EQ(fx.get(n, "event.action"), "mail_disconnected");
    EXPECT_EQ(fx.get(n, "event.outcome"), "unknown");
    EXPECT_FALSE(fx.has(n, "user.name"));

    const auto& own = fx.parse(
        "Jan 15 08:00:00 imap-login: Disconnected (auth failed, 1 attempts): user=<admin@example.com>, "
        "method=PLAIN, rip=192.0.2.1, lip=10.0.0.1, TLS, session=<abc001>");
    EXPECT_EQ(fx.get(own, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(own, "source.ip"), "192.0.2.1");

    const auto& v6 = fx.parse(
        "Jan 15 08:00:00 mx dovecot: imap-login: Aborted login (auth failed, 3 attempts in 12 secs): "
        "user=<x@y>, method=LOGIN, rip=2001:db8::99, lip=2001:db8::1, TLS");
    EXPECT_EQ(fx.get(v6, "source.ip"), "2001:db8::99");
    EXPECT_EQ(fx.get(v6, "event.outcome"), "failure");

    // Found by fuzz_syslog: nothing after "(auth failed" but the colon (read past the end before).
    const auto& bare = fx.parse(
        "Sep 8 07:16:27 canyon dovecot[7508]: imap-login: Disconnected (auth failed: user=<toto>, rip=1.1.1.1");
    EXPECT_EQ(fx.get(bare, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(bare, "user.name"), "toto");
    EXPECT_FALSE(fx.has(bare, "dovecot.auth_attempts"));
}

TEST(MailDovecot, AuthWorker) {
    syslog_fixture fx;
    const auto& u = fx.parse("Sep 8 07:46:30 canyon dovecot: auth-worker(24544): pam(toto,1.1.1.1): unknown user");
    ASSERT_TRUE(fx.ok());
    EXPECT_EQ(fx.get(u, "event.action"), "mail_auth_unknown_user");
    EXPECT_EQ(fx.get(u, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(u, "user.name"), "toto");
    EXPECT_EQ(fx.get(u, "source.ip"), "1.1.1.1");
    EXPECT_EQ(fx.get(u, "dovecot.passdb"), "pam");

    const auto& p = fx.parse(
        "Sep 8 07:16:29 canyon dovecot: auth-worker(24058): pam(toto,1.1.1.1,<youpi>): pam_authenticate() "
        "failed: Authentication failure (password mismatch?)");
    EXPECT_EQ(fx.get(p, "event.action"), "mail_auth");
    EXPECT_EQ(fx.get(p, "event.outcome"), "failure");

    const auto& c = fx.parse(
        "Apr 29 15:54:19 mail dovecot: auth-worker(14864): conn unix:auth-worker (pid=14830,uid=109): "
        "auth-worker<6>: pam(caliph@customdomaine.com,5.34.207.151): pam_authenticate() failed: "
        "Authentication failure (Password mismatch?)");
    EXPECT_EQ(fx.get(c, "user.name"), "caliph@customdomaine.com");
    EXPECT_EQ(fx.get(c, "source.ip"), "5.34.207.151");

    const auto& sql = fx.parse(
        "2024-12-31T06:56:17.784598+01:00 mail dovecot: auth-worker(10377): conn unix:auth-worker (pid=919,uid=112): "
        "auth-worker<1>: sql(testing@example.com,192.168.1.1): unknown user (given password: Password123$)");
    EXPECT_EQ(fx.get(sql, "dovecot.passdb"), "sql");
    EXPECT_EQ(fx.get(sql, "event.reason"), "unknown user");  // the password is not kept in a field
    const auto& pf = fx.parse(
        "2025-01-01T17:05:06.533969+01:00 mail2 dovecot: auth: passwd-file(karen@co.uk,192.168.1.1): unknown user "
        "(SHA1 of given password: 21bd12)");
    EXPECT_EQ(fx.get(pf, "dovecot.passdb"), "passwd-file");
    EXPECT_EQ(fx.get(pf, "user.name"), "karen@co.uk");
    EXPECT_EQ(fx.get(pf, "event.reason"), "unknown user");
    const auto& info = fx.parse(
        "Apr 18 08:31:30 mail dovecot: auth-worker(63712): Info: conn unix:auth-worker (pid=58074,uid=109): "
        "auth-worker<4>: sql(contact,220.169.110.101): unknown user");
    EXPECT_EQ(fx.get(info, "source.ip"), "220.169.110.101");
}

}  // namespace
}  // namespace mimamori
