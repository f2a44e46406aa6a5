// Host firewalls: netfilter kernel lines (UFW, firewalld, user prefixes, ICMP, IPv6, dmesg,
// Proxmox, UniFi), pfSense/OPNsense filterlog and OpenBSD/FreeBSD pflog via tcpdump, and the
// crowdsec-hub samples.
#include <gtest/gtest.h>

#include <iostream>

#include "netfmt_fixture.hpp"

namespace mimamori {
namespace {

using parse::parse_status;
using testing::format_fixture;

constexpr timestamp_ns k_env = 1709294405LL * k_ns_per_sec;  // the syslog envelope's time
constexpr const char* k_mac = "MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00";

std::string nf(std::string_view prefix, std::string_view rest) {
    return std::string(prefix) + "IN=eth0 OUT= " + k_mac + " " + std::string(rest);
}

TEST(Netfilter, UfwBlockViaKernelMessageParser) {
    format_fixture fx;
    std::string msg = "[12345.678901] " +
                      nf("[UFW BLOCK] ",
                         "SRC=203.0.113.5 DST=192.0.2.10 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=54321 "
                         "DF PROTO=TCP SPT=51234 DPT=22 WINDOW=64240 RES=0x00 SYN URGP=0");
    ASSERT_EQ(fx.message("kernel", msg, false, k_env), parse_status::ok);
    const auto& e = fx.last();
    EXPECT_EQ(e.source_type, "netfilter");
    EXPECT_EQ(fx.ts(e), "2024-03-01T12:00:05Z");  // the envelope's time stays
    EXPECT_EQ(fx.get(e, "rule.name"), "UFW BLOCK");
    EXPECT_EQ(fx.get(e, "event.action"), "blocked");
    EXPECT_EQ(fx.get(e, "event.type"), "denied");
    EXPECT_EQ(fx.get(e, "event.category"), "network");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");
    EXPECT_EQ(fx.get(e, "source.ip"), "203.0.113.5");
    EXPECT_EQ(fx.get(e, "source.port"), "51234");
    EXPECT_EQ(fx.get(e, "destination.ip"), "192.0.2.10");
    EXPECT_EQ(fx.get(e, "destination.port"), "22");
    EXPECT_EQ(fx.get(e, "observer.ingress.interface.name"), "eth0");
    EXPECT_FALSE(fx.has(e, "observer.egress.interface.name"));
    EXPECT_EQ(fx.get(e, "network.direction"), "ingress");
    EXPECT_EQ(fx.get(e, "source.mac"), "52-54-00-65-43-21");
    EXPECT_EQ(fx.get(e, "destination.mac"), "52-54-00-12-34-56");
    EXPECT_EQ(fx.get(e, "network.bytes"), "60");
    EXPECT_EQ(fx.get(e, "tcp_flags"), "SYN");
}

TEST(Netfilter, PrefixesDecideTheAction) {
    format_fixture fx;
    struct tc {
        const char* prefix;
        const char* rule;
        const char* action;  // "" = none
    } cases[] = {
        {"[UFW ALLOW] ", "UFW ALLOW", "allowed"},
        {"[UFW AUDIT] ", "UFW AUDIT", ""},
        {"[UFW LIMIT BLOCK] ", "UFW LIMIT BLOCK", "blocked"},
        {"FINAL_REJECT: ", "FINAL_REJECT", "blocked"},
        {"filter_IN_public_REJECT: ", "filter_IN_public_REJECT", "blocked"},
        {"STATE_INVALID_DROP: ", "STATE_INVALID_DROP", "blocked"},
        {"filter_IN_public_ALLOW: ", "filter_IN_public_ALLOW", "allowed"},
        {"iptables-dropped: ", "iptables-dropped", "blocked"},
        {"[IPTABLES] ", "IPTABLES", ""},
        {"nft accept ssh ", "nft accept ssh", "allowed"},
        {"", "", ""},
    };
    for (const auto& c : cases) {
        std::string msg =
            nf(c.prefix, "SRC=10.0.0.1 DST=10.0.0.2 LEN=40 PROTO=UDP SPT=5353 DPT=53 LEN=20");
        ASSERT_EQ(fx.message("kernel", msg, false, k_env), parse_status::ok) << msg;
        const auto& e = fx.last();
        EXPECT_EQ(fx.get(e, "rule.name"), c.rule) << c.prefix;
        EXPECT_EQ(fx.get(e, "event.action"), c.action) << c.prefix;
        EXPECT_EQ(fx.get(e, "event.type"), std::string(c.action).empty()        ? "connection"
                                           : std::string(c.action) == "blocked" ? "denied"
                                                                                : "allowed");
        EXPECT_EQ(fx.get(e, "network.transport"), "udp");
        EXPECT_EQ(fx.get(e, "network.bytes"), "40");  // the IP length, not the UDP one
    }
}

TEST(Netfilter, IcmpErrorKeepsOuterPacket) {
    format_fixture fx;
    std::string msg = nf("[UFW BLOCK] ",
                         "SRC=198.51.100.1 DST=192.0.2.10 LEN=56 TOS=0x00 PREC=0x00 TTL=64 ID=1 "
                         "PROTO=ICMP TYPE=3 CODE=3 "
                         "[SRC=192.0.2.10 DST=198.51.100.1 LEN=28 TOS=0x00 PREC=0x00 TTL=64 ID=2 "
                         "PROTO=UDP SPT=53 DPT=33434 LEN=8 ] MARK=0x1");
    ASSERT_EQ(fx.message("kernel", msg, false, k_env), parse_status::ok);
    const auto& e = fx.last();
    EXPECT_EQ(fx.get(e, "source.ip"), "198.51.100.1");
    EXPECT_EQ(fx.get(e, "destination.ip"), "192.0.2.10");
    EXPECT_EQ(fx.get(e, "network.transport"), "icmp");
    EXPECT_EQ(fx.get(e, "TYPE"), "3");
    EXPECT_EQ(fx.get(e, "CODE"), "3");
    EXPECT_EQ(fx.get(e, "MARK"), "0x1");
    EXPECT_FALSE(fx.has(e, "source.port"));
    EXPECT_FALSE(fx.has(e, "destination.port"));
}

TEST(Netfilter, Ipv6ForwardAndOutput) {
    format_fixture fx;
    ASSERT_EQ(fx.message("kernel",
                         "[UFW BLOCK] IN=eth0 OUT= MAC=33:33:00:00:00:01:52:54:00:12:34:56:86:dd "
                         "SRC=fe80:0000:0000:0000:5054:00ff:fe12:3456 "
                         "DST=ff02:0000:0000:0000:0000:0000:0000:0001 "
                         "LEN=72 TC=0 HOPLIMIT=1 FLOWLBL=0 PROTO=ICMPv6 TYPE=134 CODE=0",
                         false, k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "source.ip"), "fe80:0000:0000:0000:5054:00ff:fe12:3456");
    EXPECT_EQ(fx.get(fx.last(), "network.transport"), "ipv6-icmp");
    EXPECT_EQ(fx.get(fx.last(), "TYPE"), "134");
    // forwarded: both interfaces, no direction; PHYSIN/PHYSOUT from bridges
    ASSERT_EQ(fx.message("kernel",
                         "FWD: IN=eth1 OUT=eth0 PHYSIN=veth1 PHYSOUT=eth0p SRC=10.0.0.5 "
                         "DST=8.8.8.8 LEN=84 PROTO=TCP SPT=4000 DPT=443 ACK PSH URGP=0",
                         false, k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "observer.ingress.interface.name"), "eth1");
    EXPECT_EQ(fx.get(fx.last(), "observer.egress.interface.name"), "eth0");
    EXPECT_FALSE(fx.has(fx.last(), "network.direction"));
    EXPECT_FALSE(fx.has(fx.last(), "source.mac"));
    EXPECT_EQ(fx.get(fx.last(), "PHYSIN"), "veth1");
    EXPECT_EQ(fx.get(fx.last(), "tcp_flags"), "ACK PSH");
    // locally generated: OUT only, with the owner
    ASSERT_EQ(fx.message("kernel",
                         "OUT-DROP: IN= OUT=eth0 SRC=10.0.0.5 DST=203.0.113.1 LEN=60 PROTO=TCP "
                         "SPT=4000 DPT=25 SYN UID=1000 GID=1000",
                         false, k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "network.direction"), "egress");
    EXPECT_EQ(fx.get(fx.last(), "UID"), "1000");
    EXPECT_FALSE(fx.has(fx.last(), "observer.ingress.interface.name"));
    // unknown protocols: numbers are kept, names the schema does not know are not
    ASSERT_EQ(fx.message("kernel", "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 PROTO=47", false,
                         k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "network.transport"), "gre");
    ASSERT_EQ(fx.message("kernel",
                         "IN=eth0 OUT= SRC=10.0.0.1 DST=10.0.0.2 LEN=40 PROTO=UDPLITE SPT=1 DPT=2",
                         false, k_env),
              parse_status::ok);
    EXPECT_FALSE(fx.has(fx.last(), "network.transport"));
    EXPECT_EQ(fx.get(fx.last(), "network.iana_number"), "136");
}

TEST(Netfilter, OtherKernelMessagesAreNotMine) {
    format_fixture fx;
    EXPECT_EQ(fx.message("kernel", "[ 1.234] usb 1-1: new high-speed USB device number 2", false),
              parse_status::not_mine);
    EXPECT_EQ(
        fx.message("kernel",
                   "audit: type=1400 audit(1.2:3): apparmor=\"DENIED\" operation=\"open\"", false),
        parse_status::not_mine);
    EXPECT_EQ(
        fx.message("kernel", "[50028442.088484] XX=enp1s0 OUT= SRC=1.2.3.4 DST=5.6.7.8 PROTO=TCP",
                   false),
        parse_status::not_mine);
    EXPECT_EQ(fx.message("kernel", "LOGIN=bob OUT=x", false), parse_status::not_mine);
}

TEST(Netfilter, SyslogFramedKernelLines) {
    format_fixture fx;
    // journalctl -k and rsyslog both look like this
    const auto& e =
        fx.parse("Mar 01 12:00:05 gw kernel: [UFW BLOCK] " +
                 nf("", "SRC=203.0.113.5 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=1 DPT=2 SYN"));
    if (fx.format() != "syslog") GTEST_SKIP() << "no syslog envelope parser";
    EXPECT_EQ(e.source_type, "netfilter");
    EXPECT_EQ(fx.ts(e), "2024-03-01T12:00:05Z");
    EXPECT_EQ(fx.get(e, "host.name"), "gw");
    EXPECT_EQ(fx.get(e, "rule.name"), "UFW BLOCK");
    // UniFi gateways: no tag, rule tag and description first
    const auto& u = fx.parse(
        R"~(Jun 13 23:29:15 UDMP-DTC [WAN_LOCAL-D-2147483647] DESCR="[WAN_LOCAL]Block All Traffic" IN=eth8 OUT= MAC=74:ac:b9:1c:62:e5:00:17:10:2b:31:a9:08:00 SRC=192.168.1.1 DST=192.168.1.25 LEN=122 TOS=00 PREC=0x00 TTL=49 ID=45366 DF PROTO=UDP SPT=38451 DPT=54329 LEN=102 MARK=1a0000)~");
    EXPECT_EQ(u.source_type, "netfilter");
    EXPECT_EQ(fx.get(u, "rule.name"), "WAN_LOCAL-D-2147483647");
    EXPECT_EQ(fx.get(u, "DESCR"), "[WAN_LOCAL]Block All Traffic");
    EXPECT_EQ(fx.get(u, "event.action"), "blocked");
}

TEST(Netfilter, BareDmesgLines) {
    format_fixture fx("netfilter", "+09:00", "2024-06-15T12:00:00Z");
    const auto& up = fx.parse(
        "[12345.678901] " +
        nf("[UFW BLOCK] ", "SRC=203.0.113.5 DST=192.0.2.10 LEN=60 PROTO=TCP SPT=1 DPT=2 SYN"));
    EXPECT_EQ(fx.format(), "netfilter");
    EXPECT_EQ(up.source_type, "netfilter");
    EXPECT_EQ(fx.ts(up), "2024-06-15T12:00:00Z");  // uptime only: the file's time
    EXPECT_EQ(fx.get(up, "rule.name"), "UFW BLOCK");
    const auto& t =
        fx.parse("[Fri Mar  1 12:00:05 2024] " +
                 nf("[UFW ALLOW] ", "SRC=203.0.113.5 DST=192.0.2.10 LEN=60 PROTO=UDP SPT=1 DPT=2"));
    EXPECT_EQ(fx.ts(t), "2024-03-01T03:00:05Z");  // dmesg -T: local time
    EXPECT_EQ(fx.get(t, "event.action"), "allowed");
    const auto& mono = fx.parse(
        "[  203.842973] gw kernel: " +
        nf("IPTABLES-DROP: ", "SRC=203.0.113.5 DST=192.0.2.10 LEN=60 PROTO=UDP SPT=1 DPT=2"));
    EXPECT_EQ(mono.source_type, "netfilter");  // journalctl -k -o short-monotonic
    EXPECT_EQ(fx.get(mono, "host.name"), "gw");
    EXPECT_EQ(fx.get(mono, "rule.name"), "IPTABLES-DROP");
    const auto& plain =
        fx.parse(nf("", "SRC=203.0.113.5 DST=192.0.2.10 LEN=60 PROTO=UDP SPT=1 DPT=2"));
    EXPECT_EQ(plain.source_type, "netfilter");
    EXPECT_FALSE(fx.has(plain, "rule.name"));
}

TEST(Netfilter, ProxmoxFirewallLog) {
    format_fixture fx("netfilter");
    const auto& e = fx.parse(
        "0 3 PVEFW-HOST-IN 20/Jun/2022:13:09:14 +0200 policy DROP: IN=vmbr0.94 "
        "MAC=24:8a:07:9a:2a:f2:24:8a:07:50:2c:9e:08:00 SRC=10.3.94.11 DST=10.3.94.12 LEN=52 "
        "TOS=0x00 PREC=0xC0 TTL=255 ID=64317 DF PROTO=UDP SPT=49152 DPT=3784 LEN=32");
    EXPECT_EQ(e.source_type, "netfilter");
    EXPECT_EQ(fx.ts(e), "2022-06-20T11:09:14Z");
    EXPECT_EQ(fx.get(e, "rule.name"), "PVEFW-HOST-IN");
    EXPECT_EQ(fx.get(e, "event.action"), "blocked");
    EXPECT_EQ(fx.get(e, "pve.vmid"), "0");
    EXPECT_EQ(fx.get(e, "destination.port"), "3784");
    const auto& a = fx.parse(
        "101 1 tap101i0-IN 20/Jun/2022:13:13:14 +0200 ACCEPT: IN=fwbr101i0 OUT=fwbr101i0 "
        "PHYSIN=fwln101i0 PHYSOUT=tap101i0 MAC=a2:1b:bb:df:61:a5:6e:68:28:cc:2a:0c:08:00 "
        "SRC=10.3.95.34 DST=10.3.95.200 LEN=60 TOS=0x10 PREC=0x00 TTL=63 ID=28091 DF PROTO=TCP "
        "SPT=43506 DPT=3306 SEQ=2987056794 ACK=0 WINDOW=64240 SYN ");
    EXPECT_EQ(fx.get(a, "event.action"), "allowed");
    EXPECT_EQ(fx.get(a, "pve.vmid"), "101");
    EXPECT_EQ(fx.get(a, "tcp_flags"), "SYN");
}

TEST(Netfilter, DetectionPrefersNetfilterOverKv) {
    format_fixture fx;
    std::vector<std::string> lines;
    for (int i = 0; i < 5; ++i)
        lines.push_back("IN=eth0 OUT= " + std::string(k_mac) + " SRC=10.0.0." +
                        std::to_string(i + 1) +
                        " DST=10.0.0.99 LEN=40 PROTO=TCP SPT=1000 DPT=22 SYN");
    ASSERT_TRUE(fx.set());
    EXPECT_EQ(fx.set()->name(testing::detect_lines(*fx.set(), fx.ctx(), lines)), "netfilter");
    EXPECT_EQ(fx.only("kv", lines[0]), parse_status::not_mine);
    EXPECT_EQ(fx.only("web.access", lines[0]), parse_status::not_mine);
    EXPECT_EQ(fx.only("netfilter", "Mar  1 12:00:05 gw kernel: " + lines[0]),
              parse_status::not_mine);
}

// --- pf -----------------------------------------------------------------------------------------

TEST(Filterlog, Ipv4TcpUdpIcmp) {
    format_fixture fx;
    ASSERT_EQ(fx.message("filterlog",
                         "53,,,1000000301,em0,match,block,in,4,0x0,,64,420,0,none,6,tcp,460,10.0.2."
                         "2,10.0.2.15,53742,22,420,PA,29633380:29633800,3617062173,65535,,",
                         false, k_env),
              parse_status::ok);
    const auto& e = fx.last();
    EXPECT_EQ(e.source_type, "pf");
    EXPECT_EQ(fx.get(e, "event.action"), "blocked");
    EXPECT_EQ(fx.get(e, "event.type"), "denied");
    EXPECT_EQ(fx.get(e, "rule.id"), "1000000301");
    EXPECT_EQ(fx.get(e, "rule"), "53");
    EXPECT_EQ(fx.get(e, "reason"), "match");
    EXPECT_EQ(fx.get(e, "observer.ingress.interface.name"), "em0");
    EXPECT_EQ(fx.get(e, "network.direction"), "ingress");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");
    EXPECT_EQ(fx.get(e, "network.iana_number"), "6");
    EXPECT_EQ(fx.get(e, "network.bytes"), "460");
    EXPECT_EQ(fx.get(e, "source.ip"), "10.0.2.2");
    EXPECT_EQ(fx.get(e, "source.port"), "53742");
    EXPECT_EQ(fx.get(e, "destination.ip"), "10.0.2.15");
    EXPECT_EQ(fx.get(e, "destination.port"), "22");
    EXPECT_EQ(fx.get(e, "tcp_flags"), "PA");

    ASSERT_EQ(fx.message("filterlog",
                         "5,,,1000000103,igb0,match,pass,out,4,0x0,,64,0,0,DF,17,udp,76,192.0.2.1,"
                         "198.51.100.2,123,124,56",
                         false, k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "event.action"), "allowed");
    EXPECT_EQ(fx.get(fx.last(), "observer.egress.interface.name"), "igb0");
    EXPECT_EQ(fx.get(fx.last(), "network.direction"), "egress");
    EXPECT_EQ(fx.get(fx.last(), "destination.port"), "124");

    ASSERT_EQ(fx.message("filterlog",
                         "5,,,1000000103,igb0,match,block,in,4,0x0,,64,12345,0,none,1,icmp,84,192."
                         "0.2.1,198.51.100.2,request,4321,1",
                         false, k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "network.transport"), "icmp");
    EXPECT_EQ(fx.get(fx.last(), "icmp.type"), "request");
    EXPECT_FALSE(fx.has(fx.last(), "source.port"));
}

TEST(Filterlog, Ipv6AndNoTracker) {
    format_fixture fx;
    ASSERT_EQ(fx.message(
                  "filterlog",
                  "621,,,1644355515,vtnet0.10,match,block,in,6,0x00,0x07c63,64,TCP,6,44,fdfd:ace:"
                  "ace:10:d8:cdbf:f6f8:6d69,fdfd:ace:ace:5::6,65382,443,0,S,1927530165,,0,,mss;nop",
                  false, k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "source.ip"), "fdfd:ace:ace:10:d8:cdbf:f6f8:6d69");
    EXPECT_EQ(fx.get(fx.last(), "destination.port"), "443");
    EXPECT_EQ(fx.get(fx.last(), "network.transport"), "tcp");
    ASSERT_EQ(
        fx.message("filterlog",
                   "7,,,,igb0,match,block,in,6,0x00,0x00000,255,ipv6-icmp,58,32,fe80::1,ff02::1,",
                   false, k_env),
        parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "rule.id"), "7");
    EXPECT_EQ(fx.get(fx.last(), "network.transport"), "ipv6-icmp");
}

TEST(Filterlog, BrokenRecordsAreMalformedOthersNotMine) {
    format_fixture fx;
    EXPECT_EQ(
        fx.message(
            "filterlog",
            "5,,,1,igb0,match,block,sideways,4,0x0,,64,0,0,DF,17,udp,76,1.2.3.4,5.6.7.8,1,2,3",
            false),
        parse_status::malformed);
    EXPECT_EQ(fx.message("filterlog", "5,,,1,igb0,match,block,in,4,0x0,,64", false),
              parse_status::malformed);
    EXPECT_EQ(fx.message("filterlog",
                         "5,,,1,igb0,match,block,in,4,0x0,,64,0,0,DF,17,udp,76,nope,5.6.7.8,1,2,3",
                         false),
              parse_status::malformed);
    EXPECT_EQ(fx.message("filterlog", "filterlog starting", false), parse_status::not_mine);
}

TEST(Filterlog, SyslogFramed) {
    format_fixture fx;
    const auto& e = fx.parse(
        "<134>1 2025-11-06T11:32:42.868451+00:00 firewall.lan filterlog 92653 - - "
        "7,,,1000000102,vtnet0.5,match,block,in,4,0x0,,64,19008,0,DF,6,tcp,60,192.168.5.6,192.168."
        "1.100,42970,80,0,S,523876198,,64240,,mss;sackOK;TS;nop;wscale");
    if (fx.format() != "syslog") GTEST_SKIP() << "no syslog envelope parser";
    EXPECT_EQ(e.source_type, "pf");
    EXPECT_EQ(fx.ts(e), "2025-11-06T11:32:42.868451Z");
    EXPECT_EQ(fx.get(e, "host.name"), "firewall.lan");
    EXPECT_EQ(fx.get(e, "destination.port"), "80");
}

TEST(Pflog, OpenBsdTcpdump) {
    format_fixture fx("pf", "UTC", "2024-06-15T12:00:00Z");
    const auto& e = fx.parse(
        "Mar 01 12:00:05.123456 rule 0/(match) block in on em0: 203.0.113.5.51234 > 192.0.2.10.22: "
        "S 3423413:3423413(0) win 16384 <mss 1460> (DF)");
    EXPECT_EQ(fx.format(), "pf");
    EXPECT_EQ(e.source_type, "pf");
    EXPECT_EQ(fx.ts(e), "2024-03-01T12:00:05.123456Z");
    EXPECT_EQ(fx.get(e, "rule.id"), "0");
    EXPECT_EQ(fx.get(e, "reason"), "match");
    EXPECT_EQ(fx.get(e, "event.action"), "blocked");
    EXPECT_EQ(fx.get(e, "observer.ingress.interface.name"), "em0");
    EXPECT_EQ(fx.get(e, "source.ip"), "203.0.113.5");
    EXPECT_EQ(fx.get(e, "source.port"), "51234");
    EXPECT_EQ(fx.get(e, "destination.ip"), "192.0.2.10");
    EXPECT_EQ(fx.get(e, "destination.port"), "22");
    EXPECT_EQ(fx.get(e, "network.transport"), "tcp");

    const auto& dns = fx.parse(
        "Mar 01 12:00:06.000001 rule 2/(match) pass out on em0: 192.0.2.10.53000 > "
        "198.51.100.53.53: 12345+ A? example.com. (29)");
    EXPECT_EQ(fx.get(dns, "event.action"), "allowed");
    EXPECT_EQ(fx.get(dns, "observer.egress.interface.name"), "em0");
    EXPECT_FALSE(fx.has(dns, "network.transport"));  // tcpdump does not say
    const auto& icmp = fx.parse(
        "Mar 01 12:00:07.5 rule 3/(match) block in on em1: 198.51.100.1 > 192.0.2.10: icmp: echo "
        "request");
    EXPECT_EQ(fx.get(icmp, "network.transport"), "icmp");
    EXPECT_EQ(fx.get(icmp, "source.ip"), "198.51.100.1");
    EXPECT_FALSE(fx.has(icmp, "source.port"));
    const auto& v6 = fx.parse(
        "Mar 01 12:00:08.1 rule 4/(match) block in on em0: 2001:db8::1.443 > 2001:db8::2.51000: . "
        "ack 1 win 4096");
    EXPECT_EQ(fx.get(v6, "source.ip"), "2001:db8::1");
    EXPECT_EQ(fx.get(v6, "source.port"), "443");
    EXPECT_EQ(fx.get(v6, "network.transport"), "tcp");
}

TEST(Pflog, FreeBsdVerboseAndOtherStamps) {
    format_fixture fx("pf", "UTC", "2024-06-15T12:00:00Z");
    const auto& e = fx.parse(
        "00:00:00.000000 rule 5/0(match): block in on em0: (tos 0x0, ttl 64, id 1, offset 0, flags "
        "[none], proto UDP (17), length 60) 198.51.100.7.5353 > 192.0.2.1.5353: UDP, length 32");
    EXPECT_EQ(e.source_type, "pf");
    EXPECT_EQ(fx.ts(e), "2024-06-15T12:00:00Z");  // a delta: the file's time
    EXPECT_EQ(fx.get(e, "network.transport"), "udp");
    EXPECT_EQ(fx.get(e, "rule.id"), "5");
    EXPECT_EQ(fx.get(e, "source.port"), "5353");
    const auto& t4 = fx.parse(
        "2024-03-01 12:00:05.123456 rule 1/(match) block in on vio0: 1.2.3.4.1 > 5.6.7.8.2: udp "
        "10");
    EXPECT_EQ(fx.ts(t4), "2024-03-01T12:00:05.123456Z");
    EXPECT_EQ(fx.get(t4, "network.transport"), "udp");
    const auto& ep = fx.parse(
        "1709294405.500000 rule 1.anchor.2/(match) pass in on vio0: 1.2.3.4.1 > 5.6.7.8.2: udp 10");
    EXPECT_EQ(fx.ts(ep), "2024-03-01T12:00:05.500Z");
    EXPECT_EQ(fx.get(ep, "rule.id"), "1.anchor.2");
}

TEST(Pflog, MalformedAndNotMine) {
    format_fixture fx;
    std::string_view why;
    EXPECT_EQ(fx.only("pf", "Mar 01 12:00:05.1 rule 0/(match) block in on em0: garbage", &why),
              parse_status::malformed);
    EXPECT_EQ(why, "pflog: missing 'src > dst'");
    EXPECT_EQ(fx.only("pf", "Mar 01 12:00:05.1 rule 0/(match) block in on em0: x > y: z", &why),
              parse_status::malformed);
    EXPECT_EQ(fx.only("pf", "Mar  1 12:00:05 host sshd[1]: rule 5 changed"),
              parse_status::not_mine);
    EXPECT_EQ(fx.only("pf", "the rule of law"), parse_status::not_mine);
    EXPECT_EQ(
        fx.only("pf",
                "Mar 01 12:00:05.1 rule 0/(match) block sideways on em0: 1.2.3.4 > 5.6.7.8: x"),
        parse_status::not_mine);
}

// --- MikroTik ---------------------------------------------------------------------------------

TEST(Mikrotik, FirewallAndLogins) {
    format_fixture fx;
    ASSERT_EQ(
        fx.message(
            "",
            "firewall,info drop-in input: in:ether1-WAN out:(unknown 0), connection-state:new "
            "src-mac 00:17:10:88:bc:02, proto UDP, 186.26.78.68:44355->81.82.202.145:53, len 65",
            true, k_env),
        parse_status::ok);
    const auto& e = fx.last();
    EXPECT_EQ(e.source_type, "mikrotik");
    EXPECT_EQ(fx.get(e, "rule.name"), "drop-in");
    EXPECT_EQ(fx.get(e, "chain"), "input");
    EXPECT_EQ(fx.get(e, "event.action"), "blocked");
    EXPECT_EQ(fx.get(e, "observer.ingress.interface.name"), "ether1-WAN");
    EXPECT_FALSE(fx.has(e, "observer.egress.interface.name"));
    EXPECT_EQ(fx.get(e, "source.mac"), "00-17-10-88-BC-02");
    EXPECT_EQ(fx.get(e, "network.transport"), "udp");
    EXPECT_EQ(fx.get(e, "source.ip"), "186.26.78.68");
    EXPECT_EQ(fx.get(e, "destination.port"), "53");
    EXPECT_EQ(fx.get(e, "network.bytes"), "65");
    ASSERT_EQ(fx.message("",
                         "firewall,info forward: in:WAN out:LAN, connection-state:new proto TCP "
                         "(SYN), [2001:db8::1]:40384->[2001:db8::2]:443, len 24",
                         true, k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "source.ip"), "2001:db8::1");
    EXPECT_EQ(fx.get(fx.last(), "destination.port"), "443");
    EXPECT_EQ(fx.get(fx.last(), "tcp_flags"), "SYN");
    EXPECT_EQ(fx.get(fx.last(), "observer.egress.interface.name"), "LAN");
    ASSERT_EQ(
        fx.message("",
                   "system,error,critical login failure for user admin from 10.10.0.35 via winbox",
                   true, k_env),
        parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "event.category"), "authentication");
    EXPECT_EQ(fx.get(fx.last(), "event.outcome"), "failure");
    EXPECT_EQ(fx.get(fx.last(), "user.name"), "admin");
    EXPECT_EQ(fx.get(fx.last(), "source.ip"), "10.10.0.35");
    EXPECT_EQ(fx.get(fx.last(), "service"), "winbox");
    ASSERT_EQ(fx.message("", "system,info,account user admin logged in from 10.0.0.1 via ssh", true,
                         k_env),
              parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "event.outcome"), "success");
    ASSERT_EQ(
        fx.message("", "dhcp,info dhcp1 assigned 192.168.88.10 to AA:BB:CC:DD:EE:FF", true, k_env),
        parse_status::ok);
    EXPECT_EQ(fx.get(fx.last(), "topics"), "dhcp,info");
    EXPECT_FALSE(fx.has(fx.last(), "event.category"));
    EXPECT_EQ(fx.message("", "hello,world this is not routeros", true, k_env),
              parse_status::not_mine);
    EXPECT_EQ(fx.message("", "system,foo login failure", true, k_env), parse_status::not_mine);
}

TEST(FirewallSamples, CrowdsecHubFirewallLogs) {
    auto st = testing::run_samples(
        {"iptables-logs", "iptables-scan-multi-port", "proxmox-iptables-logs", "unifi-logs",
         "pf-logs", "pf-scan-multi-port", "pfsense-rfc5424-filterlog", "mikrotik-logs",
         "mikrotik-bf", "mikrotik-scan-multi_ports"},
        {"netfilter", "pf", "mikrotik"});
    for (const auto& [folder, r] : st.report) std::cout << "  " << folder << ": " << r << "\n";
    ASSERT_GT(st.lines, 80u);
    EXPECT_GE(st.good * 100, st.lines * 95) << st.good << "/" << st.lines;
}

}  // namespace
}  // namespace mimamori
