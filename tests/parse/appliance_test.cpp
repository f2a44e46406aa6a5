// Appliance formats: FortiGate and other key=value UTM logs (Sophos UTM/XG, SonicWall, logfmt),
// CEF and LEEF — standalone, behind <PRI>/syslog headers, and inside syslog as sniffed messages —
// the mappings file, and the crowdsec-hub samples.
#include <gtest/gtest.h>

#include <iostream>

#include "netfmt_fixture.hpp"
#include "parse/text_scan.hpp"

namespace mimamori {
namespace {

using parse::parse_status;
using testing::format_fixture;

constexpr const char* k_fgt_deny =
    R"~(date=2019-05-10 time=11:50:48 logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" eventtime=1557514248379911176 srcip=172.16.200.55 srcport=56000 srcintf="port1" srcintfrole="undefined" dstip=10.1.100.11 dstport=443 dstintf="port2" dstintfrole="undefined" sessionid=1234 proto=6 action="deny" policyid=0 policytype="policy" service="HTTPS" dstcountry="Reserved" srccountry="Reserved" trandisp="noop" duration=0 sentbyte=0 rcvdbyte=0 sentpkt=0 appcat="unscanned" crscore=30 craction=131072 crlevel="high" devname="FG100E" devid="FG100E4Q17000000")~";

TEST(FortiGate, TrafficDeny) {
    format_fixture fx("kv");
    const auto& e = fx.parse(k_fgt_deny);
    EXPECT_EQ(fx.format(), "kv");
    EXPECT_EQ(e.source_type, "fortigate");
    EXPECT_EQ(fx.ts(e), "2019-05-10T18:50:48.379911176Z");  // eventtime (ns) wins
    EXPECT_EQ(fx.get(e, "observer.vendor"), "Fortinet");
    EXPECT_EQ(fx.get(e, "observer.product"), "FortiGate");
    EXPECT_EQ(fx.get(e, "observer.name"), "FG100E");
    EXPECT_EQ(fx.get(e, "event.code"), "0000000013");
    EXPECT_EQ(fx.get(e, "event.category"), "network");
    EXPECT_EQ(fx.get(e, "event.action"), "deny");
    EXPECT_EQ(fx.get(e, "event.type"), "denied");
    EXPECT_FALSE(fx.has(e, "event.outcome"));
    EXPECT_EQ(fx.get(e, "source.ip"), "172.16.200.55");
    EXPECT_EQ(fx.get(e, "source.port"), "56000");
    EXPECT_EQ(fx.get(e, "destination.ip"), "10.1.100.11");
    EXPECT_EQ(fx.get(e, "destination.port"), "443");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");
    EXPECT_EQ(fx.get(e, "network.protocol"), "https");
    EXPECT_EQ(fx.get(e, "observer.ingress.interface.name"), "port1");
    EXPECT_EQ(fx.get(e, "observer.egress.interface.name"), "port2");
    EXPECT_EQ(fx.get(e, "rule.id"), "0");
    EXPECT_EQ(fx.get(e, "log.level"), "notice");
    EXPECT_EQ(fx.get(e, "source.bytes"), "0");
    // every key stays under its own name
    EXPECT_EQ(fx.get(e, "srcip"), "172.16.200.55");
    EXPECT_EQ(fx.get(e, "crlevel"), "high");
    EXPECT_EQ(fx.get(e, "devid"), "FG100E4Q17000000");
}

TEST(FortiGate, TimestampVariants) {
    format_fixture fx("kv", "Asia/Tokyo");
    const std::string tail =
        R"~( logid="0000000013" type="traffic" subtype="forward" vd="root" srcip=10.0.0.1 dstip=10.0.0.2 action="accept" devname="FG")~";
    EXPECT_EQ(fx.ts(fx.parse(R"~(date=2019-05-10 time=11:50:48 tz="+0200")~" + tail)),
              "2019-05-10T09:50:48Z");
    EXPECT_EQ(fx.ts(fx.parse("date=2019-05-10 time=11:50:48" + tail)),
              "2019-05-10T02:50:48Z");  // --tz
    EXPECT_EQ(fx.ts(fx.parse("date=2019-05-10 time=11:50:48 eventtime=1557514248" + tail)),
              "2019-05-10T18:50:48Z");
    EXPECT_EQ(fx.ts(fx.parse("date=2019-05-10 time=11:50:48 eventtime=1557514248379911" + tail)),
              "2019-05-10T18:50:48.379911Z");
    const auto& a = fx.parse("date=2019-05-10 time=11:50:48" + tail);
    EXPECT_EQ(fx.get(a, "event.type"), "allowed");
}

TEST(FortiGate, QuotedValuesWithSpacesAndEscapes) {
    format_fixture fx("kv");
    const auto& e = fx.parse(
        R"~(date=2019-05-10 time=11:50:48 logid="0100032001" type="event" subtype="system" vd="root" msg="User \"bob\" changed a=b setting" cfgpath="system admin" devname="FG100E" devid="FGT")~");
    EXPECT_EQ(fx.get(e, "msg"), R"~(User "bob" changed a=b setting)~");
    EXPECT_EQ(fx.get(e, "message"), R"~(User "bob" changed a=b setting)~");
    EXPECT_EQ(fx.get(e, "cfgpath"), "system admin");
    EXPECT_EQ(fx.get(e, "event.category"), "host");
    // a record cut by a 1 KiB syslog limit inside a quoted value
    const auto& cut = fx.parse(
        R"~(date=2019-05-10 time=11:50:48 logid="1" type="traffic" vd="root" srcip=1.2.3.4 msg="cut here)~");
    EXPECT_EQ(fx.get(cut, "msg"), "cut here");
}

TEST(FortiGate, AdminAndVpnLogins) {
    format_fixture fx("kv");
    const auto& f = fx.parse(
        R"~(date=2019-05-13 time=11:20:54 logid="0100032002" type="event" subtype="system" level="alert" vd="root" eventtime=1557771654587081441 logdesc="Admin login failed" sn="0" user="admin" ui="https(172.16.200.254)" method="https" srcip=172.16.200.254 dstip=172.16.200.1 action="login" status="failed" reason="passwd_invalid" msg="Administrator admin login failed from https(172.16.200.254) because of invalid password" devname="FG100E" devid="FG100E4Q17000000")~");
    EXPECT_EQ(f.source_type, "fortigate");
    EXPECT_EQ(fx.get(f, "event.category"), "authentication");
    EXPECT_EQ(fx.get(f, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(f, "user.name"), "admin");
    EXPECT_EQ(fx.get(f, "source.ip"), "172.16.200.254");
    const auto& s = fx.parse(
        R"~(date=2019-05-13 time=11:21:00 logid="0100032001" type="event" subtype="system" level="information" vd="root" logdesc="Admin login successful" user="admin" srcip=172.16.200.254 action="login" status="success" devname="FG100E")~");
    EXPECT_EQ(fx.get(s, "event.outcome"), "success");
    const auto& v = fx.parse(
        R"~(date=2024-10-14 time=13:46:40 eventtime=1728938800841267391 tz="-0700" logid="0101039426" type="event" subtype="vpn" level="alert" vd="root" logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web" tunnelid=0 remip=192.168.0.1 user="N/A" group="N/A" dst_host="N/A" reason="sslvpn_login_unknown_user" msg="SSL user failed to logged in")~");
    EXPECT_EQ(v.source_type, "fortigate");
    EXPECT_EQ(fx.get(v, "event.category"), "authentication");
    EXPECT_EQ(fx.get(v, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(v, "source.ip"), "192.168.0.1");
    EXPECT_FALSE(fx.has(v, "user.name"));  // "N/A" is not a user
    EXPECT_EQ(fx.get(v, "user"), "N/A");
}

TEST(FortiGate, UtmCategories) {
    format_fixture fx("kv");
    const auto& e = fx.parse(
        R"~(date=2019-05-13 time=17:05:59 logid="0419016384" type="utm" subtype="ips" eventtype="signature" level="alert" vd="root" severity="critical" srcip=10.1.100.22 dstip=172.16.200.55 srcintf="port2" dstintf="port1" sessionid=901 action="dropped" proto=6 service="HTTPS" attack="Adobe.Reader.Annot.OnBlur.Use.After.Free" srcport=42 dstport=443 devname="FG" devid="FGT")~");
    EXPECT_EQ(fx.get(e, "event.category"), "intrusion_detection");
    EXPECT_EQ(fx.get(e, "event.type"), "denied");
    EXPECT_EQ(fx.get(e, "attack"), "Adobe.Reader.Annot.OnBlur.Use.After.Free");
    const auto& v = fx.parse(
        R"~(date=2019-05-13 time=17:05:59 logid="0211008192" type="utm" subtype="virus" vd="root" srcip=10.1.100.22 dstip=172.16.200.55 action="blocked" virus="EICAR_TEST_FILE" devname="FG" devid="FGT")~");
    EXPECT_EQ(fx.get(v, "event.category"), "malware");
}

TEST(FortiGate, PriAndSyslogHeaders) {
    format_fixture fx("kv");
    const auto& p = fx.parse(std::string("<189>") + k_fgt_deny);
    EXPECT_EQ(p.source_type, "fortigate");
    EXPECT_EQ(fx.get(p, "source.ip"), "172.16.200.55");
    const auto& h = fx.parse(std::string("May 10 11:50:48 fw01 ") + k_fgt_deny);
    EXPECT_EQ(h.source_type, "fortigate");
    EXPECT_EQ(fx.get(h, "host.name"), "fw01");
    EXPECT_EQ(fx.ts(h), "2019-05-10T18:50:48.379911176Z");
    const auto& t = fx.parse(std::string("<189>May 10 11:50:48 fw01 fortigate: ") + k_fgt_deny);
    EXPECT_EQ(t.source_type, "fortigate");
    // inside syslog: the sniffer
    ASSERT_EQ(fx.message("", k_fgt_deny, true, 1557490248LL * k_ns_per_sec), parse_status::ok);
    EXPECT_EQ(fx.last().source_type, "fortigate");
    EXPECT_EQ(fx.ts(fx.last()), "2019-05-10T18:50:48.379911176Z");
    EXPECT_FALSE(fx.has(fx.last(), "message"));  // the envelope set it
}

TEST(KeyValue, SophosUtm) {
    format_fixture fx("kv", "UTC", "2019-06-01T00:00:00Z");
    const auto& e = fx.parse(
        R"~(2019:05:10-11:50:48 utm-1 ulogd[1234]: id="2001" severity="info" sys="SecureNet" sub="packetfilter" name="Packet dropped" action="drop" fwrule="60001" initf="eth0" srcmac="00:11:22:33:44:55" dstmac="66:77:88:99:aa:bb" srcip="203.0.113.5" dstip="192.0.2.1" proto="6" length="60" tos="0x00" prec="0x00" ttl="50" srcport="4000" dstport="23" tcpflags="SYN")~");
    EXPECT_EQ(e.source_type, "kv");
    EXPECT_EQ(fx.ts(e), "2019-05-10T11:50:48Z");
    EXPECT_EQ(fx.get(e, "host.name"), "utm-1");
    EXPECT_EQ(fx.get(e, "event.type"), "denied");
    EXPECT_EQ(fx.get(e, "event.category"), "network");
    EXPECT_EQ(fx.get(e, "rule.id"), "60001");
    EXPECT_EQ(fx.get(e, "source.mac"), "00-11-22-33-44-55");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");
    EXPECT_EQ(fx.get(e, "observer.ingress.interface.name"), "eth0");
    EXPECT_EQ(fx.get(e, "destination.port"), "23");
    // the same body inside syslog, through the sniffer
    ASSERT_EQ(
        fx.message(
            "ulogd",
            R"~(id="2001" severity="info" sys="SecureNet" sub="packetfilter" name="Packet dropped" action="drop" srcip="203.0.113.5" dstip="192.0.2.1")~",
            true, 1557489048LL * k_ns_per_sec),
        parse_status::ok);
    EXPECT_EQ(fx.last().source_type, "kv");
    EXPECT_EQ(fx.get(fx.last(), "source.ip"), "203.0.113.5");
}

TEST(KeyValue, SophosXg) {
    format_fixture fx("kv");
    const auto& e = fx.parse(
        R"~(device="SFW" date=2017-01-31 time=18:03:56 timezone="IST" device_name="XG230" device_id=C44310050024-P29PUA log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" status="Allow" priority=Information duration=0 fw_rule_id=2 user_name="" in_interface="PortA" out_interface="" src_mac=00:00:00:00:00:00 src_ip=10.198.47.71 src_country_code= dst_ip=10.198.232.200 dst_country_code= protocol="ICMP" icmp_type=8 icmp_code=0 sent_bytes=0 recv_bytes=0 tran_src_ip= message="")~");
    EXPECT_EQ(e.source_type, "kv");
    EXPECT_EQ(fx.ts(e), "2017-01-31T18:03:56Z");
    EXPECT_EQ(fx.get(e, "event.category"), "network");
    EXPECT_EQ(fx.get(e, "event.type"), "allowed");
    EXPECT_EQ(fx.get(e, "network.transport"), "icmp");
    EXPECT_EQ(fx.get(e, "source.ip"), "10.198.47.71");
    EXPECT_EQ(fx.get(e, "rule.id"), "2");
    EXPECT_EQ(fx.get(e, "event.code"), "010101600001");
    EXPECT_FALSE(fx.has(e, "user_name"));  // empty values are omitted
    EXPECT_FALSE(fx.has(e, "src_country_code"));
    const auto& a = fx.parse(
        R"~(device="SFW" date=2017-01-31 time=18:04:00 timezone="IST" device_name="XG230" log_id=062910617701 log_type="Event" log_component="Firewall Authentication" log_subtype="Authentication" status="Failed" priority=Information user_name="jdoe" src_ip=10.198.47.71 message="User jdoe failed to login to Client through Local authentication mechanism")~");
    EXPECT_EQ(fx.get(a, "event.category"), "authentication");
    EXPECT_EQ(fx.get(a, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(a, "user.name"), "jdoe");
}

TEST(KeyValue, SonicWall) {
    format_fixture fx("kv");
    const auto& e = fx.parse(
        R"~(id=firewall sn=0017C5123456 time="2019-05-10 11:50:48 UTC" fw=203.0.113.1 pri=6 c=262144 m=98 msg="Connection Opened" app=49177 n=12345 src=192.168.1.10:51000:X0 dst=93.184.216.34:443:X1 srcMac=00:11:22:33:44:55 dstMac=66:77:88:99:aa:bb proto=tcp/https sent=100 rcvd=200)~");
    EXPECT_EQ(e.source_type, "kv");
    EXPECT_EQ(fx.ts(e), "2019-05-10T11:50:48Z");
    EXPECT_EQ(fx.get(e, "source.ip"), "192.168.1.10");
    EXPECT_EQ(fx.get(e, "source.port"), "51000");
    EXPECT_EQ(fx.get(e, "destination.ip"), "93.184.216.34");
    EXPECT_EQ(fx.get(e, "destination.port"), "443");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");
    EXPECT_EQ(fx.get(e, "source.bytes"), "100");
    EXPECT_EQ(fx.get(e, "src"), "192.168.1.10:51000:X0");
    const auto& a = fx.parse(
        R"~(id=firewall sn=0017C5123456 time="2019-05-10 11:51:00 UTC" fw=203.0.113.1 pri=1 c=32 m=30 msg="Administrator login denied due to bad credentials" n=1 src=203.0.113.5:443:X1 dst=192.0.2.1:443:X1 usr="admin")~");
    EXPECT_EQ(fx.get(a, "event.category"), "authentication");
    EXPECT_EQ(fx.get(a, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(a, "user.name"), "admin");
}

TEST(KeyValue, LogfmtAndUnquotedSpaces) {
    format_fixture fx("kv", "UTC", "2024-06-15T12:00:00Z");
    const auto& e = fx.parse(
        R"~(time="2024-03-01T12:00:05+09:00" level=info msg="started server" component=api)~");
    EXPECT_EQ(e.source_type, "kv");
    EXPECT_EQ(fx.ts(e), "2024-03-01T03:00:05Z");
    EXPECT_EQ(fx.get(e, "component"), "api");
    // an unquoted value with spaces runs to the next key
    const auto& u = fx.parse("ts=1709294405 user=bob note=hello big world result=ok");
    EXPECT_EQ(fx.get(u, "note"), "hello big world");
    EXPECT_EQ(fx.ts(u), "2024-03-01T12:00:05Z");
    // Go services (Authelia, Grafana, Traefik) log like this too
    const auto& au = fx.parse(
        R"~(time="2022-02-14T13:47:54+02:00" level=error msg="Unsuccessful 1FA authentication attempt by user 'fakeuser1': user not found" method=POST path=/api/firstfactor remote_ip=1.1.1.1 stack="trace")~");
    EXPECT_EQ(fx.ts(au), "2022-02-14T11:47:54Z");
    EXPECT_EQ(fx.get(au, "source.ip"), "1.1.1.1");
    EXPECT_EQ(fx.get(au, "log.level"), "error");
    EXPECT_EQ(fx.get(au, "event.category"), "authentication");
    EXPECT_EQ(fx.get(au, "event.outcome"), "failure");
    // no time at all: the file's time
    const auto& n = fx.parse("alpha=1 beta=2 gamma=3");
    EXPECT_EQ(fx.ts(n), "2024-06-15T12:00:00Z");
}

TEST(KeyValue, KeysThatLookLikeEcsNamesAreChecked) {
    format_fixture fx("kv");
    const auto& e = fx.parse(
        "client.ip=notanip p.port=abc event.outcome=ok source.ip=1.2.3.4 peer.port=443 "
        "event.category=x host.mac=00:11:22:33:44:55 sent.bytes=-5");
    EXPECT_EQ(e.source_type, "kv");
    EXPECT_FALSE(fx.has(e, "client.ip"));
    EXPECT_FALSE(fx.has(e, "p.port"));
    EXPECT_FALSE(fx.has(e, "event.outcome"));
    EXPECT_FALSE(fx.has(e, "sent.bytes"));
    EXPECT_NE(fx.get(e, "event.category"), "x");
    EXPECT_EQ(fx.get(e, "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.get(e, "peer.port"), "443");
    EXPECT_EQ(fx.get(e, "host.mac"), "00-11-22-33-44-55");
    // CEF labels are names too
    format_fixture cx("cef");
    const auto& c =
        cx.parse("CEF:0|A|B|1|x|y|3|cs1Label=peer.ip cs1=nope cs2Label=Rule cs2=r1 src=1.2.3.4");
    EXPECT_FALSE(cx.has(c, "peer.ip"));
    EXPECT_EQ(cx.get(c, "Rule"), "r1");
}

TEST(KeyValue, OtherFormatsAreNotMine) {
    format_fixture fx;
    EXPECT_EQ(fx.only("kv", "IN=eth0 OUT= MAC=00 SRC=1.2.3.4 DST=5.6.7.8 LEN=40 PROTO=TCP"),
              parse_status::not_mine);
    EXPECT_EQ(
        fx.only("kv", "Mar  1 12:00:05 gw kernel: IN=eth0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP"),
        parse_status::not_mine);
    EXPECT_EQ(
        fx.only(
            "kv",
            R"~(type=USER_LOGIN msg=audit(1709294405.123:456): pid=1 uid=0 auid=4294967295 msg='op=login acct="root" res=failed')~"),
        parse_status::not_mine);
    EXPECT_EQ(
        fx.only(
            "kv",
            R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET /?a=b&c=d&e=f HTTP/1.1" 200 5 "-" "x=y")~"),
        parse_status::not_mine);
    EXPECT_EQ(fx.only("kv",
                      "Mar  1 12:00:05 h sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
                      "COMMAND=/bin/ls"),
              parse_status::not_mine);
    EXPECT_EQ(fx.only("kv", "a=1 b=2"), parse_status::not_mine);
    EXPECT_EQ(fx.only("kv", "CEF:0|a|b|c|d|e|5|src=1.2.3.4 dst=5.6.7.8 spt=1"),
              parse_status::not_mine);
    EXPECT_EQ(fx.message("", "session opened for user root by (uid=0)"), parse_status::not_mine);
    EXPECT_EQ(fx.message("", "a=1 b=2 c=3"), parse_status::not_mine);  // sniffer wants 4 pairs
}

// --- CEF -------------------------------------------------------------------------------------

TEST(Cef, SpecExamples) {
    format_fixture fx("cef", "UTC", "2024-06-15T12:00:00Z");
    const auto& e = fx.parse(
        "CEF:0|Security|threatmanager|1.0|100|worm successfully stopped|10|src=10.0.0.1 "
        "dst=2.1.2.2 spt=1232");
    EXPECT_EQ(fx.format(), "cef");
    EXPECT_EQ(e.source_type, "cef");
    EXPECT_EQ(fx.ts(e), "2024-06-15T12:00:00Z");  // no time in the record: the file's time
    EXPECT_EQ(fx.get(e, "observer.vendor"), "Security");
    EXPECT_EQ(fx.get(e, "observer.product"), "threatmanager");
    EXPECT_EQ(fx.get(e, "deviceVersion"), "1.0");
    EXPECT_EQ(fx.get(e, "event.code"), "100");
    EXPECT_EQ(fx.get(e, "name"), "worm successfully stopped");
    EXPECT_EQ(fx.get(e, "message"), "worm successfully stopped");
    EXPECT_EQ(fx.get(e, "event.severity"), "10");
    EXPECT_EQ(fx.get(e, "source.ip"), "10.0.0.1");
    EXPECT_EQ(fx.get(e, "destination.ip"), "2.1.2.2");
    EXPECT_EQ(fx.get(e, "source.port"), "1232");
    EXPECT_EQ(fx.get(e, "event.category"), "network");
    // escapes in header and extension
    const auto& x = fx.parse(
        R"~(CEF:0|security|threat\|manager|1.0|100|detected a \\ in packet|10|src=10.0.0.1 act=blocked a \= dst=1.1.1.1 msg=line1\nline2 request=http://x/?a\=1&b\=2)~");
    EXPECT_EQ(fx.get(x, "observer.product"), "threat|manager");
    EXPECT_EQ(fx.get(x, "name"), R"~(detected a \ in packet)~");
    EXPECT_EQ(fx.get(x, "event.action"), "blocked a =");
    EXPECT_EQ(fx.get(x, "destination.ip"), "1.1.1.1");
    EXPECT_EQ(fx.get(x, "message"), "line1\nline2");
    EXPECT_EQ(fx.get(x, "url.original"), "http://x/?a=1&b=2");
}

TEST(Cef, LabelsTimesSeverityWords) {
    format_fixture fx("cef", "+09:00");
    const auto& e = fx.parse(
        "CEF:0|Acme|FW|2.1|deny|Connection denied|High|rt=1709294405123 src=203.0.113.5 spt=99999 "
        "dpt=22 proto=TCP act=deny "
        "cs1Label=Rule Name cs1=Block SSH cn1Label=Hits cn1=5 duser=root dvchost=fw01.example "
        "shost=attacker.example");
    EXPECT_EQ(fx.ts(e), "2024-03-01T12:00:05.123Z");
    EXPECT_EQ(fx.get(e, "event.severity"), "8");
    EXPECT_EQ(fx.get(e, "severity"), "High");
    EXPECT_EQ(fx.get(e, "Rule Name"), "Block SSH");
    EXPECT_EQ(fx.get(e, "cs1"), "Block SSH");
    EXPECT_EQ(fx.get(e, "Hits"), "5");
    EXPECT_FALSE(fx.has(e, "source.port"));  // 99999 is not a port
    EXPECT_EQ(fx.get(e, "spt"), "99999");
    EXPECT_EQ(fx.get(e, "destination.port"), "22");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");
    EXPECT_EQ(fx.get(e, "user.target.name"), "root");
    EXPECT_EQ(fx.get(e, "observer.name"), "fw01.example");
    EXPECT_EQ(fx.get(e, "source.domain"), "attacker.example");
    const auto& t = fx.parse("CEF:0|A|B|1|x|y|Very-High|rt=Mar 01 2024 12:00:05 src=1.2.3.4");
    EXPECT_EQ(fx.ts(t), "2024-03-01T03:00:05Z");  // --tz
    EXPECT_EQ(fx.get(t, "event.severity"), "10");
    const auto& z = fx.parse("CEF:0|A|B|1|x|y|Unknown|rt=Mar 01 2024 12:00:05.250 UTC src=1.2.3.4");
    EXPECT_EQ(fx.ts(z), "2024-03-01T12:00:05.250Z");
    EXPECT_FALSE(fx.has(z, "event.severity"));
    const auto& s = fx.parse("CEF:1|A|B|1|x|y|3|start=2024-03-01T12:00:05Z");
    EXPECT_EQ(fx.ts(s), "2024-03-01T12:00:05Z");
    EXPECT_FALSE(fx.has(s, "event.category"));
}

TEST(Cef, AuthenticationOutcome) {
    format_fixture fx("cef");
    const auto& e = fx.parse(
        "CEF:0|Vendor|VPN|1.0|login|User login failed|5|suser=bob src=198.51.100.4 outcome=failure "
        "rt=1709294405000");
    EXPECT_EQ(fx.get(e, "event.category"), "authentication");
    EXPECT_EQ(fx.get(e, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(e, "user.name"), "bob");
    const auto& s = fx.parse(
        "CEF:0|Vendor|VPN|1.0|login|Logon|5|suser=bob src=198.51.100.4 outcome=/Success "
        "rt=1709294405000");
    EXPECT_EQ(fx.get(s, "event.outcome"), "success");
}

TEST(Cef, SyslogWrapped) {
    format_fixture fx("cef", "UTC", "2024-06-15T12:00:00Z");
    const auto& e = fx.parse("Mar  1 12:00:05 fw01 CEF:0|Acme|FW|1|1|x|5|src=1.2.3.4");
    EXPECT_EQ(e.source_type, "cef");
    EXPECT_EQ(fx.get(e, "host.name"), "fw01");
    EXPECT_EQ(fx.ts(e), "2024-03-01T12:00:05Z");
    const auto& p =
        fx.parse("<134>Mar  1 12:00:05 fw01 CEF: 0|Acme|FW|1|1|x|5|src=1.2.3.4 rt=1709294406000");
    EXPECT_EQ(fx.ts(p), "2024-03-01T12:00:06Z");
    const auto& bare = fx.parse(
        "0|Ubiquiti|UniFi Network|9.3.45|201|Threat Detected and Blocked|7|proto=TCP "
        "src=192.168.0.1 spt=54587");
    EXPECT_EQ(bare.source_type, "cef");
    EXPECT_EQ(fx.get(bare, "observer.vendor"), "Ubiquiti");
    // message parsers: sniffed, and after a "CEF:" taken as the syslog tag
    ASSERT_EQ(fx.message("", "CEF:0|Acme|FW|1|1|x|5|src=1.2.3.4 msg=hi", true,
                         1709294405LL * k_ns_per_sec),
              parse_status::ok);
    EXPECT_EQ(fx.last().source_type, "cef");
    EXPECT_FALSE(fx.has(fx.last(), "message"));
    ASSERT_EQ(
        fx.message("CEF", "0|Acme|FW|1|1|x|5|src=1.2.3.4", false, 1709294405LL * k_ns_per_sec),
        parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "source.ip"), "1.2.3.4");
    EXPECT_EQ(fx.ts(fx.last()), "2024-03-01T12:00:05Z");
}

TEST(Cef, NotMine) {
    format_fixture fx;
    EXPECT_EQ(
        fx.only(
            "cef",
            R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET /CEF:0|a|b|c|d|e|5|x HTTP/1.1" 200 5)~"),
        parse_status::not_mine);
    EXPECT_EQ(fx.only("cef", "CEF:0|a|b|c"), parse_status::not_mine);
    EXPECT_EQ(fx.only("cef", "CEF:x|a|b|c|d|e|f|g"), parse_status::not_mine);
    EXPECT_EQ(fx.only("cef", "5|a|b|c|d|e|f|g=1"), parse_status::not_mine);
    EXPECT_EQ(fx.message("", "0|a|b|c|d|e|urgent|k=v"), parse_status::not_mine);
}

// --- LEEF ------------------------------------------------------------------------------------

TEST(Leef, Versions) {
    format_fixture fx("leef", "UTC", "2024-06-15T12:00:00Z");
    const auto& e = fx.parse(
        "LEEF:1.0|Microsoft|MSExchange|4.0 "
        "SP1|15345|src=192.0.2.1\tdst=172.50.123.1\tsev=5\tcat=anomaly\tsrcPort=81\tdstPort="
        "21\tusrName=joe.black");
    EXPECT_EQ(fx.format(), "leef");
    EXPECT_EQ(e.source_type, "leef");
    EXPECT_EQ(fx.get(e, "observer.vendor"), "Microsoft");
    EXPECT_EQ(fx.get(e, "observer.product"), "MSExchange");
    EXPECT_EQ(fx.get(e, "deviceVersion"), "4.0 SP1");
    EXPECT_EQ(fx.get(e, "event.code"), "15345");
    EXPECT_EQ(fx.get(e, "source.ip"), "192.0.2.1");
    EXPECT_EQ(fx.get(e, "source.port"), "81");
    EXPECT_EQ(fx.get(e, "destination.port"), "21");
    EXPECT_EQ(fx.get(e, "user.name"), "joe.black");
    EXPECT_EQ(fx.get(e, "event.severity"), "5");
    EXPECT_EQ(fx.get(e, "cat"), "anomaly");
    const auto& c = fx.parse(
        "LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=192.0.2.1^dst=172.50.123.1^sev=5^cat=anomaly^"
        "msg=there are spaces in this message");
    EXPECT_EQ(fx.get(c, "message"), "there are spaces in this message");
    EXPECT_EQ(fx.get(c, "destination.ip"), "172.50.123.1");
    const auto& h =
        fx.parse("LEEF:2.0|Vendor|Product|1.0|ID|x09|src=1.2.3.4\tdevTime=1709294405000");
    EXPECT_EQ(fx.ts(h), "2024-03-01T12:00:05Z");
    EXPECT_EQ(fx.get(h, "source.ip"), "1.2.3.4");
    const auto& n = fx.parse("LEEF:2.0|V|P|1|ID|src=1.2.3.4\tdst=5.6.7.8");
    EXPECT_EQ(fx.get(n, "destination.ip"), "5.6.7.8");
    const auto& s = fx.parse(
        "LEEF:1.0|V|P|1|ID|src=1.2.3.4 msg=hello world usrName=bob devTime=Mar 01 2024 "
        "12:00:05.123 UTC devTimeFormat=MMM dd yyyy HH:mm:ss.SSS z");
    EXPECT_EQ(fx.get(s, "message"), "hello world");
    EXPECT_EQ(fx.get(s, "user.name"), "bob");
    EXPECT_EQ(fx.ts(s), "2024-03-01T12:00:05.123Z");
}

TEST(Leef, AuthSyslogAndNotMine) {
    format_fixture fx("leef", "UTC", "2024-06-15T12:00:00Z");
    const auto& a = fx.parse(
        "<13>Mar  1 12:00:05 idp "
        "LEEF:1.0|Acme|IdP|1|LoginFailed|usrName=bob\tsrc=198.51.100.4\tisLoginEvent=true");
    EXPECT_EQ(a.source_type, "leef");
    EXPECT_EQ(fx.get(a, "host.name"), "idp");
    EXPECT_EQ(fx.ts(a), "2024-03-01T12:00:05Z");
    EXPECT_EQ(fx.get(a, "event.category"), "authentication");
    EXPECT_EQ(fx.get(a, "event.outcome"), "failure");
    ASSERT_EQ(fx.message("", "LEEF:1.0|Acme|IdP|1|Login|usrName=bob\tsrc=198.51.100.4", true,
                         1709294405LL * k_ns_per_sec),
              parse_status::ok);
    EXPECT_EQ(fx.last().source_type, "leef");
    EXPECT_EQ(fx.ts(fx.last()), "2024-03-01T12:00:05Z");
    EXPECT_EQ(fx.only("leef", "LEEF:3.0|V|P|1|ID|src=1.2.3.4"), parse_status::not_mine);
    EXPECT_EQ(fx.only("leef", "LEEF:2.0|V|P|1|ID|zz|src=1.2.3.4"), parse_status::not_mine);
    EXPECT_EQ(fx.only("leef", "LEEF:1.0|V|P"), parse_status::not_mine);
    EXPECT_EQ(fx.only("leef", "no leef here"), parse_status::not_mine);
}

// --- PAN-OS ----------------------------------------------------------------------------------

constexpr const char* k_pan_traffic =
    "1,2023/10/04 18:54:26,012501002341,TRAFFIC,end,2561,2023/10/04 "
    "18:54:24,10.130.146.205,124.146.215.44,134.7.244.205,124.146.215.44,"
    "Research-Out,corp\\alice,,ssl,vsys1,trust,untrust,ethernet1/23,ethernet1/24,LOG FP,2023/10/04 "
    "18:54:24,72568134,1,49583,443,50464,443,"
    "0x40441a,tcp,allow,7312,2228,5084,22,2023/10/04 "
    "18:53:52,16,business-and-economy,,7253419119627122716,0x8000000000000000,"
    "10.0.0.0-10.255.255.255,Japan,,12,10,tcp-rst-from-client,34,0,0,0,,fw01,from-policy";

TEST(Panos, TrafficViaSyslogSniffer) {
    format_fixture fx("panos", "+08:00");
    ASSERT_EQ(fx.message("", k_pan_traffic, true, 1696416866LL * k_ns_per_sec), parse_status::ok);
    const auto& e = fx.last();
    EXPECT_EQ(e.source_type, "panos");
    EXPECT_EQ(fx.ts(e), "2023-10-04T10:54:26Z");  // the envelope's time stays
    EXPECT_EQ(fx.get(e, "observer.vendor"), "Palo Alto Networks");
    EXPECT_EQ(fx.get(e, "observer.name"), "fw01");
    EXPECT_EQ(fx.get(e, "event.category"), "network");
    EXPECT_EQ(fx.get(e, "event.action"), "allow");
    EXPECT_EQ(fx.get(e, "event.type"), "allowed");
    EXPECT_EQ(fx.get(e, "source.ip"), "10.130.146.205");
    EXPECT_EQ(fx.get(e, "source.nat.ip"), "134.7.244.205");
    EXPECT_EQ(fx.get(e, "source.port"), "49583");
    EXPECT_EQ(fx.get(e, "destination.port"), "443");
    EXPECT_EQ(fx.get(e, "user.name"), "corp\\alice");
    EXPECT_EQ(fx.get(e, "rule.name"), "Research-Out");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");
    EXPECT_EQ(fx.get(e, "source.bytes"), "2228");
    EXPECT_EQ(fx.get(e, "destination.bytes"), "5084");
    EXPECT_EQ(fx.get(e, "session_end_reason"), "tcp-rst-from-client");
    // standalone line: the generated time in --tz
    const auto& l = fx.parse(k_pan_traffic);
    EXPECT_EQ(fx.format(), "panos");
    EXPECT_EQ(fx.ts(l), "2023-10-04T10:54:24Z");
}

TEST(Panos, ThreatSystemGlobalProtect) {
    format_fixture fx("panos");
    const auto& t = fx.parse(
        "2023-07-05T14:14:33+02:00 paloalto.test.host 1,2023/07/05 "
        "14:14:33,016401002737,THREAT,url,2561,2023/07/05 "
        "14:14:33,1.2.3.6,1.2.3.7,0.0.0.0,0.0.0.0,Web,,,web-browsing,vsys1,in,out,e1,e2,fwd,2023/"
        "07/05 "
        "14:14:33,1475349,3,32362,80,0,0,0x402000,tcp,block-url,\"evil.example/"
        "a,b\",(9999),malware,informational,client-to-server");
    EXPECT_EQ(t.source_type, "panos");
    EXPECT_EQ(fx.ts(t), "2023-07-05T12:14:33Z");
    EXPECT_EQ(fx.get(t, "host.name"), "paloalto.test.host");
    EXPECT_EQ(fx.get(t, "event.category"), "web");
    EXPECT_EQ(fx.get(t, "url.original"), "evil.example/a,b");
    EXPECT_EQ(fx.get(t, "event.type"), "denied");
    EXPECT_FALSE(fx.has(t, "source.nat.ip"));  // 0.0.0.0 is no NAT
    const auto& s = fx.parse(
        "1,2024/03/01 12:00:05,012345678901,SYSTEM,auth,2561,2024/03/01 "
        "12:00:05,,auth-fail,admin,0,0,general,medium,\"failed authentication for user 'admin'.   "
        "Reason: Invalid username/password. From: 203.0.113.9.\",123,0x0,0,0,0,0,,fw01");
    EXPECT_EQ(fx.get(s, "event.category"), "authentication");
    EXPECT_EQ(fx.get(s, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(s, "user.name"), "admin");
    EXPECT_EQ(fx.get(s, "source.ip"), "203.0.113.9");
    EXPECT_EQ(fx.get(s, "observer.name"), "fw01");
    const auto& g = fx.parse(
        "1,2024/03/01 12:00:05,012345678901,GLOBALPROTECT,0,2561,2024/03/01 "
        "12:00:05,vsys1,gateway-auth,login,LDAP,ssl-vpn,bob,JP,laptop1,198.51.100.20,,10.0.0.5,,"
        "hostid,sn,6.1.0,Windows,10,1,,Authentication failed: Invalid username or "
        "password,,failure,Tokyo,0,on-demand,0,portal1");
    EXPECT_EQ(fx.get(g, "event.category"), "authentication");
    EXPECT_EQ(fx.get(g, "event.outcome"), "failure");
    EXPECT_EQ(fx.get(g, "user.name"), "bob");
    EXPECT_EQ(fx.get(g, "source.ip"), "198.51.100.20");
    EXPECT_EQ(fx.get(g, "event.code"), "gateway-auth");
    EXPECT_EQ(
        fx.only("panos", "1,2024/03/01 12:00:05,012345678901,NOTATYPE,x,1,2024/03/01 12:00:05,a,b"),
        parse_status::not_mine);
    EXPECT_EQ(
        fx.only("panos", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z,aa,bb,cc,dd,ee"),
        parse_status::not_mine);
}

// --- fuzz regressions ------------------------------------------------------------------------

TEST(FuzzRegressions, BoundsAndEmptyValues) {
    format_fixture fx;
    // an empty level in an Apache error line adds no empty log.level
    const auto& a = fx.parse("[Thu Oct 13 12:24:49.880562 2022] [auth_basic:] [pid 10] x");
    EXPECT_FALSE(fx.has(a, "log.level"));
    EXPECT_EQ(fx.only("web.error", "[Wed ] [error] [client 1clien4 - - [26/Oct/2021:11:0"),
              parse_status::not_mine);
    // epoch values beyond what int64 nanoseconds hold are not times
    const auto& k = fx.parse(
        R"~(date=2019-05-10 time=11:50:48 eventtime=9999999999999999999 logid="1" type="traffic" vd="root" srcip=1.2.3.4)~");
    EXPECT_EQ(fx.ts(k), "2019-05-10T11:50:48Z");
    const auto& b = fx.parse(
        R"~(1.2.3.4 - - [01/Mar/2024:12:00:05 +0000] "GET / HTTP/1.1" 200 99999999999999999999)~");
    EXPECT_EQ(b.source_type, "web.access");
    EXPECT_FALSE(fx.has(b, "http.response.body.bytes"));  // beyond int64: not a count
    const auto& y =
        fx.parse(R"~(1.2.3.4 - - [01/Mar/9999:12:00:05 +0000] "GET / HTTP/1.1" 200 5)~");
    EXPECT_NE(y.source_type, "web.access");
    // non-numeric ICMP TYPE stays text
    ASSERT_EQ(fx.message("kernel",
                         "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 PROTO=ICMP TYPE=x8 CODE=0",
                         false, 1709294405LL * k_ns_per_sec),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "TYPE"), "x8");
}

// --- mappings and samples --------------------------------------------------------------------

TEST(KvMappings, LoadedFromTheMappingsFile) {
    parse::options opts;
    EXPECT_TRUE(parse::scan::kv_mappings_status(opts).ok());
    auto t = parse::scan::kv_target(&opts, parse::scan::kv_family::kv, "srcip");
    EXPECT_EQ(t.id, f::source_ip);
    EXPECT_EQ(t.check, parse::scan::value_check::ip);
    EXPECT_EQ(parse::scan::kv_target(&opts, parse::scan::kv_family::cef, "dpt").id,
              f::destination_port);
    EXPECT_EQ(parse::scan::kv_target(&opts, parse::scan::kv_family::leef, "usrName").id,
              f::user_name);
    EXPECT_EQ(parse::scan::kv_target(&opts, parse::scan::kv_family::kv, "no_such_key").id,
              k_no_field);
}

TEST(ApplianceDetect, FilesGoToTheirFormat) {
    format_fixture fx;
    ASSERT_TRUE(fx.set());
    std::vector<std::string> fgt(5, k_fgt_deny);
    EXPECT_EQ(fx.set()->name(testing::detect_lines(*fx.set(), fx.ctx(), fgt)), "kv");
    std::vector<std::string> cef(
        5, "Mar  1 12:00:05 fw01 CEF:0|Acme|FW|1|1|x|5|src=1.2.3.4 dst=5.6.7.8");
    EXPECT_EQ(fx.set()->name(testing::detect_lines(*fx.set(), fx.ctx(), cef)), "cef");
    std::vector<std::string> leef(5, "LEEF:1.0|V|P|1|ID|src=1.2.3.4\tdst=5.6.7.8");
    EXPECT_EQ(fx.set()->name(testing::detect_lines(*fx.set(), fx.ctx(), leef)), "leef");
}

TEST(ApplianceSamples, CrowdsecHubApplianceLogs) {
    auto st = testing::run_samples({"fortinet-vpn-bf", "cef-logs", "unifi-cef", "palo-alto-threat"},
                                   {"fortigate", "kv", "cef", "leef", "panos"});
    for (const auto& [folder, r] : st.report) std::cout << "  " << folder << ": " << r << "\n";
    ASSERT_GT(st.lines, 10u);
    EXPECT_GE(st.good * 100, st.lines * 95) << st.good << "/" << st.lines;
}

}  // namespace
}  // namespace mimamori
