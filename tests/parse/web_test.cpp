// Web server logs: Apache/nginx access logs in their common variants, Nginx Proxy Manager,
// Apache 2.2/2.4 and nginx error logs, syslog-wrapped lines, and the crowdsec-hub samples.
#include <gtest/gtest.h>

#include <iostream>

#include "netfmt_fixture.hpp"

namespace mimamori {
namespace {

using parse::parse_status;
using testing::format_fixture;

TEST(WebAccess, CommonLogFormat) {
    format_fixture fx("web.access");
    const auto& e = fx.parse(
        R"~(127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326)~");
    EXPECT_EQ(fx.format(), "web.access");
    EXPECT_EQ(e.source_type, "web.access");
    EXPECT_EQ(fx.ts(e), "2000-10-10T20:55:36Z");
    EXPECT_EQ(fx.get(e, "source.ip"), "127.0.0.1");
    EXPECT_EQ(fx.get(e, "user.name"), "frank");
    EXPECT_EQ(fx.get(e, "http.request.method"), "GET");
    EXPECT_EQ(fx.get(e, "url.original"), "/apache_pb.gif");
    EXPECT_EQ(fx.get(e, "url.path"), "/apache_pb.gif");
    EXPECT_FALSE(fx.has(e, "url.query"));
    EXPECT_EQ(fx.get(e, "http.version"), "1.0");
    EXPECT_EQ(fx.get(e, "http.response.status_code"), "200");
    EXPECT_EQ(fx.get(e, "http.response.body.bytes"), "2326");
    EXPECT_EQ(fx.get(e, "event.category"), "web");
    EXPECT_EQ(fx.get(e, "event.outcome"), "success");
    EXPECT_FALSE(fx.has(e, "user_agent.original"));
    EXPECT_FALSE(fx.has(e, "http.request.referrer"));
}

TEST(WebAccess, CombinedWithQueryAndReferrer) {
    format_fixture fx("web.access");
    const auto& e = fx.parse(
        R"~(203.0.113.9 - - [01/Mar/2024:12:00:05 +0900] "POST /wp-login.php?redirect_to=%2Fwp-admin&reauth=1 HTTP/1.1" 403 199 "https://example.com/login" "Mozilla/5.0 (X11; Linux x86_64)")~");
    EXPECT_EQ(fx.ts(e), "2024-03-01T03:00:05Z");
    EXPECT_EQ(fx.get(e, "url.path"), "/wp-login.php");
    EXPECT_EQ(fx.get(e, "url.query"), "redirect_to=%2Fwp-admin&reauth=1");
    EXPECT_EQ(fx.get(e, "http.request.referrer"), "https://example.com/login");
    EXPECT_EQ(fx.get(e, "user_agent.original"), "Mozilla/5.0 (X11; Linux x86_64)");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_FALSE(fx.has(e, "user.name"));
}

TEST(WebAccess, OutcomeBoundaryAt400) {
    format_fixture fx("web.access");
    auto line = [](int status) {
        return "1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] \"GET / HTTP/1.1\" " +
               std::to_string(status) + " 5 \"-\" \"x\"";
    };
    EXPECT_EQ(fx.get(fx.parse(line(399)), "event.outcome"), "success");
    EXPECT_EQ(fx.get(fx.parse(line(400)), "event.outcome"), "failure");
    EXPECT_EQ(fx.get(fx.parse(line(503)), "event.outcome"), "failure");
    EXPECT_EQ(fx.get(fx.parse(line(101)), "event.outcome"), "success");
}

TEST(WebAccess, VhostCombinedWithPort) {
    format_fixture fx("web.access");
    const auto& e = fx.parse(
        R"~(www.example.com:443 198.51.100.7 - - [25/Oct/2021:11:05:52 +0200] "GET /web/.well-known HTTP/1.1" 403 6963 "-" "curl/8.0")~");
    EXPECT_EQ(fx.get(e, "source.ip"), "198.51.100.7");
    EXPECT_EQ(fx.get(e, "destination.domain"), "www.example.com");
    EXPECT_EQ(fx.get(e, "destination.port"), "443");
    EXPECT_EQ(fx.get(e, "url.domain"), "www.example.com");
    EXPECT_EQ(fx.get(e, "url.path"), "/web/.well-known");
    // vhost without port, and an IPv6 vhost with port
    const auto& b = fx.parse(
        R"~(shop.example.org 10.0.0.1 - - [25/Oct/2021:11:05:52 +0200] "GET / HTTP/1.1" 200 1 "-" "-")~");
    EXPECT_EQ(fx.get(b, "destination.domain"), "shop.example.org");
    EXPECT_FALSE(fx.has(b, "destination.port"));
    const auto& c = fx.parse(
        R"~([2001:db8::1]:8443 10.0.0.1 - - [25/Oct/2021:11:05:52 +0200] "GET / HTTP/1.1" 200 1 "-" "-")~");
    EXPECT_EQ(fx.get(c, "destination.domain"), "2001:db8::1");
    EXPECT_EQ(fx.get(c, "destination.port"), "8443");
    EXPECT_EQ(fx.get(c, "source.ip"), "10.0.0.1");
}

TEST(WebAccess, WithoutZoneUsesConfiguredZone) {
    format_fixture fx("web.access", "Asia/Tokyo");
    const auto& e =
        fx.parse(R"~(10.1.2.3 - - [01/Mar/2024:12:00:05] "GET / HTTP/1.1" 200 10 "-" "-")~");
    EXPECT_EQ(fx.ts(e), "2024-03-01T03:00:05Z");
    // a fraction after the seconds is accepted
    const auto& f = fx.parse(
        R"~(10.1.2.3 - - [01/Mar/2024:12:00:05.250 +0000] "GET / HTTP/1.1" 200 10 "-" "-")~");
    EXPECT_EQ(fx.ts(f), "2024-03-01T12:00:05.250Z");
}

TEST(WebAccess, Ipv6ClientsAndHostnames) {
    format_fixture fx("web.access");
    const auto& e = fx.parse(
        R"~(2001:db8:85a3::8a2e:370:7334 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/2.0" 200 10 "-" "-")~");
    EXPECT_EQ(fx.get(e, "source.ip"), "2001:db8:85a3::8a2e:370:7334");
    EXPECT_EQ(fx.get(e, "http.version"), "2.0");
    const auto& m = fx.parse(
        R"~(::ffff:192.0.2.1 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 10 "-" "-")~");
    EXPECT_EQ(fx.get(m, "source.ip"), "::ffff:192.0.2.1");
    const auto& h = fx.parse(
        R"~(crawler.example.net - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 10 "-" "-")~");
    EXPECT_FALSE(fx.has(h, "source.ip"));
    EXPECT_EQ(fx.get(h, "source.domain"), "crawler.example.net");
}

TEST(WebAccess, DashFieldsAreOmitted) {
    format_fixture fx("web.access");
    const auto& e = fx.parse(R"~(10.0.0.1 - - [01/Mar/2024:12:00:05 +0000] "-" 408 - "-" "-")~");
    EXPECT_EQ(e.source_type, "web.access");
    EXPECT_FALSE(e.malformed());
    EXPECT_FALSE(fx.has(e, "http.request.method"));
    EXPECT_FALSE(fx.has(e, "url.original"));
    EXPECT_FALSE(fx.has(e, "request"));
    EXPECT_FALSE(fx.has(e, "http.response.body.bytes"));
    EXPECT_FALSE(fx.has(e, "user_agent.original"));
    EXPECT_EQ(fx.get(e, "http.response.status_code"), "408");
    // a line with only one of ident/user
    const auto& b = fx.parse(
        R"~(192.168.1.1 - [08/Jun/2020:08:04:43 +0000] "GET /api/test HTTP/1.1" 200 100 "-" "curl/7.68.0")~");
    EXPECT_EQ(fx.get(b, "source.ip"), "192.168.1.1");
    EXPECT_FALSE(fx.has(b, "user.name"));
}

TEST(WebAccess, EscapedQuotesInRequestAndAgent) {
    format_fixture fx("web.access");
    // Apache escapes " as \" and \ as \\; nginx writes " as \x22.
    const auto& a = fx.parse(
        R"~(10.0.0.1 - - [01/Mar/2024:12:00:05 +0000] "GET /search?q=\"x\" HTTP/1.1" 200 5 "-" "Mozilla \"quoted\" agent\\")~");
    EXPECT_EQ(fx.get(a, "url.original"), "/search?q=\"x\"");
    EXPECT_EQ(fx.get(a, "url.query"), "q=\"x\"");
    EXPECT_EQ(fx.get(a, "user_agent.original"), "Mozilla \"quoted\" agent\\");
    const auto& n = fx.parse(
        R"~(10.0.0.1 - - [01/Mar/2024:12:00:05 +0000] "GET /?a=\x22b\x22 HTTP/1.1" 200 5 "-" "sqlmap \x22/1.0")~");
    EXPECT_EQ(fx.get(n, "url.query"), "a=\"b\"");
    EXPECT_EQ(fx.get(n, "user_agent.original"), "sqlmap \"/1.0");
    // an unescaped quote inside the request (custom formats) does not end it early
    const auto& u = fx.parse(
        R"~(10.0.0.1 - - [01/Mar/2024:12:00:05 +0000] "GET /a"b HTTP/1.1" 404 5 "-" "-")~");
    EXPECT_EQ(fx.get(u, "url.original"), "/a\"b");
}

TEST(WebAccess, MalformedRequestsStayEvents) {
    format_fixture fx("web.access");
    const auto& tls = fx.parse(
        R"~(1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\x16\x03\x01\x01 \x02" 400 226 "-" "-")~");
    EXPECT_EQ(tls.source_type, "web.access");
    EXPECT_FALSE(tls.malformed());
    EXPECT_FALSE(fx.has(tls, "http.request.method"));
    EXPECT_EQ(fx.get(tls, "request"), R"~(\x16\x03\x01\x01 \x02)~");
    EXPECT_EQ(fx.get(tls, "http.response.status_code"), "400");
    const auto& junk =
        fx.parse(R"~(1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "HELP" 400 157 "-" "-")~");
    EXPECT_EQ(fx.get(junk, "request"), "HELP");
    const auto& gh0st = fx.parse(
        R"~(1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "Gh0st\xAD\x00\x00\x00\xE0\x00" 400 157 "-" "-")~");
    EXPECT_FALSE(gh0st.malformed());
    // HTTP/0.9 style: no version
    const auto& v09 =
        fx.parse(R"~(1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "GET /index.html" 200 15 "-" "-")~");
    EXPECT_EQ(fx.get(v09, "url.path"), "/index.html");
    EXPECT_FALSE(fx.has(v09, "http.version"));
}

TEST(WebAccess, ProxyAndConnectRequests) {
    format_fixture fx("web.access");
    const auto& p = fx.parse(
        R"~(127.0.0.2 - - [08/Aug/2022:21:18:26 +0000] "GET http://www.sbjudge4.com:80/ip4.php?x=1 HTTP/1.0" 400 255 "-" "-" "-")~");
    EXPECT_EQ(fx.get(p, "url.original"), "http://www.sbjudge4.com:80/ip4.php?x=1");
    EXPECT_EQ(fx.get(p, "url.domain"), "www.sbjudge4.com");
    EXPECT_EQ(fx.get(p, "url.path"), "/ip4.php");
    EXPECT_EQ(fx.get(p, "url.query"), "x=1");
    const auto& c = fx.parse(
        R"~(127.0.0.1 - - [24/Sep/2021:06:20:32 +0000] "CONNECT foo.com:25 HTTP/1.1" 400 166 "-" "-")~");
    EXPECT_EQ(fx.get(c, "http.request.method"), "CONNECT");
    EXPECT_EQ(fx.get(c, "url.original"), "foo.com:25");
    EXPECT_FALSE(fx.has(c, "url.path"));
}

TEST(WebAccess, OverlongUrl) {
    format_fixture fx("web.access");
    std::string path(200000, 'A');
    std::string line = "10.0.0.1 - - [01/Mar/2024:12:00:05 +0000] \"GET /" + path + "?q=" + path +
                       " HTTP/1.1\" 414 0 \"-\" \"-\"";
    const auto& e = fx.parse(line);
    EXPECT_EQ(e.source_type, "web.access");
    EXPECT_EQ(fx.get(e, "url.path").size(), path.size() + 1);
    EXPECT_EQ(fx.get(e, "url.query").size(), path.size() + 2);
}

TEST(WebAccess, BrokenLinesAreMalformed) {
    format_fixture fx;
    std::string_view why;
    EXPECT_EQ(fx.only("web.access",
                      R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1 200 5)~", &why),
              parse_status::malformed);
    EXPECT_EQ(why, "unterminated request string");
    EXPECT_EQ(fx.only("web.access",
                      R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" abc 5)~", &why),
              parse_status::malformed);
    EXPECT_EQ(why, "bad status code");
    EXPECT_EQ(
        fx.only("web.access",
                R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 5x "-" "-")~",
                &why),
        parse_status::malformed);
    // Not access logs at all.
    EXPECT_EQ(fx.only("web.access", "Mar  1 12:00:05 host sshd[1]: Accepted password for bob"),
              parse_status::not_mine);
    EXPECT_EQ(fx.only("web.access", R"~({"ts":"2024-03-01T12:00:05Z"})~"), parse_status::not_mine);
    EXPECT_EQ(fx.only("web.access", "IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP"),
              parse_status::not_mine);
    EXPECT_EQ(fx.only("web.access",
                      R"~(1.2.3.4 - - [32/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 5)~"),
              parse_status::not_mine);
    EXPECT_EQ(fx.only("web.access", ""), parse_status::not_mine);
}

TEST(WebAccess, NginxProxyManagerFormats) {
    format_fixture fx("web.access");
    const auto& p = fx.parse(
        R"~([24/Jan/2022:16:51:02 +0000] - 404 404 - GET http openresty.local "/sdfdsf?x=1" [Client 1.2.3.4] [Length 192] [Gzip 3.10] [Sent-to openresty] "Mozilla/5.0 (X11)" "-")~");
    EXPECT_EQ(p.source_type, "web.access");
    EXPECT_EQ(fx.ts(p), "2022-01-24T16:51:02Z");
    EXPECT_EQ(fx.get(p, "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.get(p, "http.request.method"), "GET");
    EXPECT_EQ(fx.get(p, "destination.domain"), "openresty.local");
    EXPECT_EQ(fx.get(p, "url.path"), "/sdfdsf");
    EXPECT_EQ(fx.get(p, "url.query"), "x=1");
    EXPECT_EQ(fx.get(p, "http.response.status_code"), "404");
    EXPECT_EQ(fx.get(p, "http.response.body.bytes"), "192");
    EXPECT_EQ(fx.get(p, "user_agent.original"), "Mozilla/5.0 (X11)");
    EXPECT_EQ(fx.get(p, "npm.sent_to"), "openresty");
    const auto& s = fx.parse(
        R"~([24/Jan/2022:13:40:19 +0000] 444 - GET https 4.3.2.1 "/.env" [Client 207.32.219.89] [Length 0] [Gzip -] "curl/8" "https://r.example/")~");
    EXPECT_EQ(fx.get(s, "http.response.status_code"), "444");
    EXPECT_EQ(fx.get(s, "source.ip"), "207.32.219.89");
    EXPECT_EQ(fx.get(s, "http.request.referrer"), "https://r.example/");
    const auto& c = fx.parse(
        R"~([10/Feb/2024:21:23:40 +0100] wings.example.com 192.168.1.101 0.002 "GET / HTTP/1.1" 401 77 935 - Uptime-Kuma/1.23.11)~");
    EXPECT_EQ(fx.ts(c), "2024-02-10T20:23:40Z");
    EXPECT_EQ(fx.get(c, "source.ip"), "192.168.1.101");
    EXPECT_EQ(fx.get(c, "destination.domain"), "wings.example.com");
    EXPECT_EQ(fx.get(c, "http.response.status_code"), "401");
    EXPECT_EQ(fx.get(c, "http.response.body.bytes"), "77");
    EXPECT_EQ(fx.get(c, "user_agent.original"), "Uptime-Kuma/1.23.11");
}

TEST(WebAccess, BunkerWebTraefikAndHaproxy) {
    format_fixture fx("web.access");
    const auto& b = fx.parse(
        R"~(example.com 192.168.1.10 - req001 bob [29/Jul/2023:10:26:06 -0700] "GET /x HTTP/1.1" 404 157 "-" "curl/8")~");
    EXPECT_EQ(fx.get(b, "destination.domain"), "example.com");
    EXPECT_EQ(fx.get(b, "source.ip"), "192.168.1.10");
    EXPECT_EQ(fx.get(b, "user.name"), "bob");
    EXPECT_EQ(fx.get(b, "http.request.id"), "req001");
    // Traefik logs "-" as the status of a cancelled request
    const auto& t = fx.parse(
        R"~(172.17.1.1 - - [28/Sep/2022:13:38:04 +0000] "GET /mobileadmin/home.cs HTTP/1.1" - - "-" "Nikto" 45640 "-" "-" 0ms)~");
    EXPECT_FALSE(t.malformed());
    EXPECT_FALSE(fx.has(t, "http.response.status_code"));
    EXPECT_FALSE(fx.has(t, "event.outcome"));
    EXPECT_EQ(fx.get(t, "url.path"), "/mobileadmin/home.cs");
    const auto& h = fx.parse(
        R"~(117.136.40.129:14853 [14/Jan/2015:12:48:57.127] https-in~ xx_server_https/xxx_node_8002 170/0/0/3/173 200 739 - - --NN 0/0/0/0/0 0/0 "GET /xxx/xxx?q=1 HTTP/1.1")~");
    EXPECT_EQ(h.source_type, "web.access");
    EXPECT_EQ(fx.ts(h), "2015-01-14T12:48:57.127Z");
    EXPECT_EQ(fx.get(h, "source.ip"), "117.136.40.129");
    EXPECT_EQ(fx.get(h, "source.port"), "14853");
    EXPECT_EQ(fx.get(h, "http.response.status_code"), "200");
    EXPECT_EQ(fx.get(h, "http.response.body.bytes"), "739");
    EXPECT_EQ(fx.get(h, "url.query"), "q=1");
    EXPECT_EQ(fx.get(h, "haproxy.frontend_name"), "https-in~");
    EXPECT_EQ(fx.get(h, "haproxy.backend_name"), "xx_server_https/xxx_node_8002");
    const auto& c = fx.parse(
        R"~(10.0.0.1:443 [14/Jan/2015:12:48:57.127] fe be/srv 0/0/0/1/1 503 0 - - SC-- 1/1/0/0/0 0/0 {host.example|curl/8} "POST /login HTTP/1.1)~");
    EXPECT_EQ(fx.get(c, "http.request.method"), "POST");  // a request HAProxy cut short
    EXPECT_EQ(fx.get(c, "event.outcome"), "failure");
}

TEST(WebError, HaproxyAndLitespeed) {
    format_fixture fx("web.error");
    const auto& h = fx.parse(
        "192.168.1.4:50033 [28/Feb/2025:02:43:10.123] frontend/backend: SSL handshake failure "
        "(error:0A0000C1:SSL routines::no shared cipher)");
    EXPECT_EQ(h.source_type, "web.error");
    EXPECT_EQ(fx.get(h, "source.ip"), "192.168.1.4");
    EXPECT_EQ(fx.get(h, "source.port"), "50033");
    EXPECT_EQ(fx.get(h, "message"),
              "SSL handshake failure (error:0A0000C1:SSL routines::no shared cipher)");
    const auto& l = fx.parse(
        "2022-06-08 22:49:20.774649 [NOTICE] [1226033] [42.42.42.42:45164:HTTP2-41#_AdminVHost] "
        "[STDERR] [WebAdmin Console] Failed Login Attempt - username:asdasd ip:42.42.42.42 url:");
    EXPECT_EQ(fx.ts(l), "2022-06-08T22:49:20.774649Z");
    EXPECT_EQ(fx.get(l, "log.level"), "NOTICE");
    EXPECT_EQ(fx.get(l, "source.ip"), "42.42.42.42");
    EXPECT_EQ(fx.get(l, "user.name"), "asdasd");
    EXPECT_EQ(fx.get(l, "event.outcome"), "failure");
    const auto& u = fx.parse(
        "2022-06-09 12:22:07.353044 [INFO] [1226038] [192.168.9.163:61120-5#Example] User 'asdasd' "
        "failed to authenticate.");
    EXPECT_EQ(fx.get(u, "user.name"), "asdasd");
    EXPECT_EQ(fx.get(u, "source.ip"), "192.168.9.163");
}

TEST(WebError, Apache24) {
    format_fixture fx("web.error");
    const auto& e = fx.parse(
        "[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10:tid 140120579262208] [client "
        "31.33.58.75:50229] AH01618: user sss not found: /");
    EXPECT_EQ(e.source_type, "web.error");
    EXPECT_EQ(fx.ts(e), "2022-10-13T12:24:49.880562Z");
    EXPECT_EQ(fx.get(e, "log.level"), "error");
    EXPECT_EQ(fx.get(e, "process.pid"), "10");
    EXPECT_EQ(fx.get(e, "source.ip"), "31.33.58.75");
    EXPECT_EQ(fx.get(e, "source.port"), "50229");
    EXPECT_EQ(fx.get(e, "event.code"), "AH01618");
    EXPECT_EQ(fx.get(e, "message"), "AH01618: user sss not found: /");
    EXPECT_EQ(fx.get(e, "event.category"), "authentication");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "user.name"), "sss");
    const auto& m = fx.parse(
        R"~([Wed Oct 11 14:32:52.123456 2000] [auth_basic:error] [pid 1234:tid 5] [client 1.2.3.4:5678] AH01617: user bob: authentication failure for "/admin": Password Mismatch)~");
    EXPECT_EQ(fx.get(m, "user.name"), "bob");
    EXPECT_EQ(fx.get(m, "event.outcome"), "failure");
    // errno text before the client, IPv6 client
    const auto& s = fx.parse(
        "[Wed Apr 16 16:09:40.056610 2025] [ssl:info] [pid 120974:tid 120974] (70014)End of file "
        "found: [client 2001:db8::5:17036] AH02006: SSL handshake stopped");
    EXPECT_EQ(fx.get(s, "log.level"), "info");
    EXPECT_EQ(fx.get(s, "source.ip"), "2001:db8::5");
    EXPECT_EQ(fx.get(s, "source.port"), "17036");
    EXPECT_EQ(fx.get(s, "event.category"), "web");
    EXPECT_FALSE(fx.has(s, "event.outcome"));
}

TEST(WebError, Apache22InConfiguredZone) {
    format_fixture fx("web.error", "-05:00");
    const auto& e = fx.parse(
        "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] client denied by server "
        "configuration: /export/home/live/ap/htdocs/test");
    EXPECT_EQ(fx.ts(e), "2000-10-11T19:32:52Z");
    EXPECT_EQ(fx.get(e, "log.level"), "error");
    EXPECT_EQ(fx.get(e, "source.ip"), "127.0.0.1");
    EXPECT_FALSE(fx.has(e, "process.pid"));
    EXPECT_EQ(fx.get(e, "message"),
              "client denied by server configuration: /export/home/live/ap/htdocs/test");
    const auto& n = fx.parse(
        "[Sun Mar 07 16:02:00 2004] [notice] Apache/1.3.29 (Unix) configured -- resuming normal "
        "operations");
    EXPECT_EQ(fx.get(n, "log.level"), "notice");
    EXPECT_FALSE(fx.has(n, "source.ip"));
}

TEST(WebError, Nginx) {
    format_fixture fx("web.error", "+09:00");
    const auto& e = fx.parse(
        R"~(2024/03/01 12:00:05 [error] 1234#0: *5 open() "/var/www/x" failed (2: No such file or directory), client: 1.2.3.4, server: x.example, request: "GET /x?y=1 HTTP/1.1", host: "y.example")~");
    EXPECT_EQ(e.source_type, "web.error");
    EXPECT_EQ(fx.ts(e), "2024-03-01T03:00:05Z");
    EXPECT_EQ(fx.get(e, "log.level"), "error");
    EXPECT_EQ(fx.get(e, "process.pid"), "1234");
    EXPECT_EQ(fx.get(e, "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.get(e, "message"),
              R"~(open() "/var/www/x" failed (2: No such file or directory))~");
    EXPECT_EQ(fx.get(e, "http.request.method"), "GET");
    EXPECT_EQ(fx.get(e, "url.path"), "/x");
    EXPECT_EQ(fx.get(e, "url.query"), "y=1");
    EXPECT_EQ(fx.get(e, "destination.domain"), "y.example");
    EXPECT_EQ(fx.get(e, "nginx.server"), "x.example");
    // basic-auth failures
    const auto& a = fx.parse(
        R"~(2021/09/30 09:23:53 [error] 1925800#1925800: *17 user "foo" was not found in "/tmp/a.htpasswd", client: 127.0.0.1, server: _, request: "GET / HTTP/1.1", host: "localhost")~");
    EXPECT_EQ(fx.get(a, "user.name"), "foo");
    EXPECT_EQ(fx.get(a, "event.category"), "authentication");
    EXPECT_EQ(fx.get(a, "event.outcome"), "failure");
    const auto& m = fx.parse(
        R"~(2022/01/24 16:33:06 [error] 334#334: *338 user "toto": password mismatch, client: 1.2.3.4, server: openresty.local, request: "GET / HTTP/1.1", host: "openresty.local")~");
    EXPECT_EQ(fx.get(m, "user.name"), "toto");
    // mail proxy login failure
    const auto& mail = fx.parse(
        R"~(2022/04/02 13:39:51 [info] 8#8: *6631 client login failed: "AUTH not supported" while in http auth state, client: 5.34.207.182, server: 0.0.0.0:25, login: "linkinpark@example.com")~");
    EXPECT_EQ(fx.get(mail, "user.name"), "linkinpark@example.com");
    EXPECT_EQ(fx.get(mail, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(mail, "source.ip"), "5.34.207.182");
    // no context at all; IPv6 client with an empty server
    const auto& bare = fx.parse(
        "2022/04/02 15:45:23 [info] 8#8: *15950 client 172.77.77.254:53044 connected to "
        "0.0.0.0:25");
    EXPECT_EQ(fx.get(bare, "message"), "client 172.77.77.254:53044 connected to 0.0.0.0:25");
    const auto& v6 = fx.parse(
        R"~(2021/12/02 11:53:15 [error] 4065777#4065777: *42952950 limiting requests, excess: 5.428 by zone "default_root_zone", client: ::1, server: , request: "GET / HTTP/1.1", host: "la03.d.sb")~");
    EXPECT_EQ(fx.get(v6, "source.ip"), "::1");
    EXPECT_FALSE(fx.has(v6, "nginx.server"));
}

TEST(WebError, NotMineAndMalformed) {
    format_fixture fx;
    std::string_view why;
    EXPECT_EQ(fx.only("web.error", "2024/03/01 12:00:05 [error] abc: oops"),
              parse_status::malformed);
    EXPECT_EQ(fx.only("web.error", "[Wed Oct 11 14:32:52 2000] [error", &why),
              parse_status::malformed);
    EXPECT_EQ(why, "unterminated level");
    EXPECT_EQ(fx.only("web.error",
                      R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 5)~"),
              parse_status::not_mine);
    EXPECT_EQ(fx.only("web.error", "2024-03-01 12:00:05 something else"), parse_status::not_mine);
    (void)why;
}

TEST(WebSyslog, AccessLinesInsideSyslog) {
    format_fixture fx;
    const auto& e = fx.parse(
        R"~(Jul  8 11:07:07 ip-172-31-43-28 nginx[2869]: 167.71.13.196 - - [08/Jul/2021:11:07:07 +0000] "GET /wp-config.php HTTP/1.1" 200 5 "-" "Go-http-client/1.1")~");
    if (fx.format() != "syslog") GTEST_SKIP() << "no syslog envelope parser";
    EXPECT_EQ(e.source_type, "web.access");
    EXPECT_EQ(fx.get(e, "host.name"), "ip-172-31-43-28");
    EXPECT_EQ(fx.get(e, "source.ip"), "167.71.13.196");
    EXPECT_EQ(fx.get(e, "url.path"), "/wp-config.php");
    EXPECT_EQ(fx.count(e, "message"), 1u);
    // an error line too, with the syslog message kept once
    const auto& err = fx.parse(
        R"~(Mar  1 12:00:05 web nginx: 2024/03/01 12:00:05 [error] 1#1: *1 user "x" was not found in "/p", client: 1.2.3.4, server: a, request: "GET / HTTP/1.1", host: "h")~");
    EXPECT_EQ(err.source_type, "web.error");
    EXPECT_EQ(fx.get(err, "user.name"), "x");
    EXPECT_EQ(fx.count(err, "message"), 1u);
    // any program: the sniffer
    const auto& any = fx.parse(
        R"~(Mar  1 12:00:05 web custom-proxy: 10.0.0.1 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 5 "-" "-")~");
    EXPECT_EQ(any.source_type, "web.access");
}

TEST(WebSyslog, MessageParsersDirectly) {
    format_fixture fx;
    EXPECT_EQ(
        fx.message("nginx",
                   R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 5 "-" "-")~"),
        parse_status::ok);
    EXPECT_EQ(fx.last().source_type, "web.access");
    EXPECT_EQ(fx.ts(fx.last()), "2024-03-01T12:00:05Z");
    EXPECT_EQ(fx.message("apache2", "[Wed Oct 11 14:32:52 2000] [error] [client 127.0.0.1] denied"),
              parse_status::ok);
    EXPECT_EQ(fx.last().source_type, "web.error");
    EXPECT_FALSE(fx.has(fx.last(), "message"));  // the envelope's message stays the only one
    EXPECT_EQ(fx.message("nginx", "worker process 1234 exited", false), parse_status::not_mine);
}

TEST(WebDetect, AccessFilesAreNotTakenByOtherFormats) {
    format_fixture fx;
    std::vector<std::string> lines = {
        R"~(10.0.0.1 - - [01/Mar/2024:12:00:05 +0000] "GET /a?b=c&d=e HTTP/1.1" 200 5 "-" "k=v x=y z=w")~",
        R"~(10.0.0.2 - - [01/Mar/2024:12:00:06 +0000] "GET /?id=1 HTTP/1.1" 200 5 "-" "curl/8")~",
        R"~(www.example.com:80 10.0.0.3 - - [01/Mar/2024:12:00:07 +0000] "GET /x=1 HTTP/1.1" 404 5 "-" "a=b c=d e=f")~",
    };
    ASSERT_TRUE(fx.set());
    int i = testing::detect_lines(*fx.set(), fx.ctx(), lines);
    EXPECT_EQ(fx.set()->name(i), "web.access");
    for (const auto& l : lines) EXPECT_EQ(fx.only("kv", l), parse_status::not_mine) << l;
    for (const auto& l : lines) EXPECT_EQ(fx.only("cef", l), parse_status::not_mine) << l;
    for (const auto& l : lines) EXPECT_EQ(fx.only("netfilter", l), parse_status::not_mine) << l;
}

TEST(WebSamples, CrowdsecHubWebLogs) {
    auto st = testing::run_samples({"nginx_http-logs",
                                    "nginx-bad-user-agent",
                                    "nginx-cve-2021-41773",
                                    "nginx-http-backdoor",
                                    "nginx-http-generic-bf",
                                    "nginx-http-malformed",
                                    "nginx-http-open-proxy",
                                    "nginx-http-path-traversal",
                                    "nginx-http-sensitive-files",
                                    "nginx-http-sqli-probing",
                                    "nginx-http-w00twoot",
                                    "nginx-http-xss-probing",
                                    "nginx-mail-bf",
                                    "nginx-mail-logs",
                                    "nginx-proxy-manager-logs",
                                    "nginx-proxy-manager-malformed",
                                    "nginx_http-catch-npm",
                                    "nginx_req_limit_exceeded",
                                    "apache2-logs",
                                    "apache2-http-sensitive-files",
                                    "apache2-malformed",
                                    "http-admin-interface-probing",
                                    "http-bf-wordpress-bf",
                                    "http-cve-probing",
                                    "http-dos-bypass-cache",
                                    "http-dos-invalid-http-versions",
                                    "http-dos-random-uri",
                                    "http-dos-switching-ua",
                                    "http-generic-test",
                                    "http-technology-probing",
                                    "http-wordpress-scan",
                                    "http-wordpress_user-enum",
                                    "http-wordpress_wpconfig",
                                    "fortinet-cve-2018-13379",
                                    "bunkerweb-http-malformed",
                                    "bunkerweb-http-path-traversal",
                                    "traefik_clf",
                                    "haproxy-logs",
                                    "litespeed-logs",
                                    "litespeed-admin-bf",
                                    "apache-http-probing",
                                    "CVE-2024-38475"},
                                   {"web.access", "web.error"});
    for (const auto& [folder, r] : st.report) std::cout << "  " << folder << ": " << r << "\n";
    ASSERT_GT(st.lines, 300u);
    EXPECT_GE(st.good * 100, st.lines * 95) << st.good << "/" << st.lines;
}

}  // namespace
}  // namespace mimamori
