// MikroTik RouterOS logs sent to a syslog server. RouterOS writes no tag: the message starts
// with its topics ("firewall,info", "system,error,critical"), which a syslog parser takes as
// part of the message, so this is a sniffer message parser:
//   firewall,info drop-in input: in:ether1-WAN out:(unknown 0), connection-state:new
//       src-mac 00:17:10:88:bc:02, proto TCP (SYN), 36.97.161.219:59388->81.82.202.145:23, len 40
//   system,error,critical login failure for user admin from 10.10.0.35 via winbox
//   system,info,account user admin logged in from 10.0.0.1 via ssh
// Firewall records become source_type "mikrotik" with the network fields; logins become
// authentication events; other topics keep the topics and the message.
#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

bool is_severity(sv t) {
    return t == "info" || t == "warning" || t == "error" || t == "critical" || t == "debug";
}
bool is_topic(sv t) {
    static constexpr sv k_topics[] = {
        "account", "bgp",       "caps",      "certificate", "ddns",      "dhcp",   "dns",
        "e-mail",  "event",     "firewall",  "hotspot",     "interface", "ipsec",  "l2tp",
        "lte",     "manager",   "netwatch",  "ospf",        "ovpn",      "packet", "ppp",
        "pppoe",   "pptp",      "radius",    "route",       "script",    "sstp",   "system",
        "ssh",     "telnet",    "web-proxy", "wireless",    "wireguard", "async",  "bfd",
        "calc",    "gsm",       "ntp",       "snmp",        "ups",       "vrrp",   "watchdog",
        "raw",     "read",      "write",     "state",       "store",     "timer",  "backup",
        "health",  "container", "ike2",      "dot1x"};
    if (is_severity(t)) return true;
    for (sv k : k_topics)
        if (t == k) return true;
    return false;
}

/// "topic,topic[,…] " at the start of msg: the topics, and whether one is a severity.
bool topics_of(sv msg, sv& topics, sv& rest, sv& severity) {
    std::size_t sp = msg.find(' ');
    if (sp == sv::npos || sp > 64) return false;
    sv t = msg.substr(0, sp);
    if (t.find(',') == sv::npos) return false;
    std::size_t p = 0;
    while (p <= t.size()) {
        std::size_t c = t.find(',', p);
        sv w = t.substr(p, c == sv::npos ? sv::npos : c - p);
        if (!is_topic(w)) return false;
        if (is_severity(w) && severity.empty()) severity = w;
        if (c == sv::npos) break;
        p = c + 1;
    }
    if (severity.empty()) return false;
    topics = t;
    rest = msg.substr(sp + 1);
    return true;
}

/// "1.2.3.4:5678", "[2001:db8::1]:40384" or a bare address.
void split_endpoint(sv s, sv& ip, sv& port) {
    if (!s.empty() && s[0] == '[') {
        std::size_t rb = s.find(']');
        if (rb == sv::npos) return;
        ip = s.substr(1, rb - 1);
        if (rb + 1 < s.size() && s[rb + 1] == ':') port = s.substr(rb + 2);
        return;
    }
    std::size_t c = s.rfind(':');
    if (c != sv::npos && s.find(':') == c) {
        ip = s.substr(0, c);
        port = s.substr(c + 1);
    } else {
        ip = s;
    }
}

sv action_of(sv prefix) {
    if (icontains(prefix, "drop") || icontains(prefix, "reject") || icontains(prefix, "block") ||
        icontains(prefix, "deny"))
        return "blocked";
    if (icontains(prefix, "accept") || icontains(prefix, "allow") || icontains(prefix, "pass"))
        return "allowed";
    return {};
}

/// "[prefix ]chain: in:X out:Y, …, proto P[ (flags)], a:p->b:q[, NAT …], len N"
bool firewall(sv body, event_batch& batch) {
    std::size_t in = body.find(" in:");
    std::size_t colon = body.find(": in:");
    if (colon == sv::npos && starts_with(body, "in:")) colon = 0;
    if (colon == sv::npos || (in == sv::npos && colon != 0)) return false;
    sv head = body.substr(0, colon);  // "drop-in input" or "input"
    sv prefix, chain = head;
    if (auto sp = head.rfind(' '); sp != sv::npos) {
        prefix = head.substr(0, sp);
        chain = head.substr(sp + 1);
    }
    sv fields = colon == 0 ? body : body.substr(colon + 2);
    sv iface_in, iface_out, state, mac, proto, flags, src, sport, dst, dport, len;
    bool have_addr = false;
    // One ", "-separated part; RouterOS sometimes joins two with a space
    // ("connection-state:new src-mac …", "connection-state:new proto TCP (SYN)").
    auto handle = [&](sv part, auto& self) -> void {
        if (starts_with(part, "in:")) {
            std::size_t sp = part.find(" out:");
            iface_in = part.substr(3, sp == sv::npos ? sv::npos : sp - 3);
            if (sp != sv::npos) iface_out = part.substr(sp + 5);
        } else if (starts_with(part, "connection-state:")) {
            state = part.substr(17);
            if (auto sp = state.find(' '); sp != sv::npos) {
                sv more = state.substr(sp + 1);
                state = state.substr(0, sp);
                self(more, self);
            }
        } else if (starts_with(part, "src-mac ")) {
            mac = part.substr(8, 17);
            if (part.size() > 26 && part[25] == ' ') self(part.substr(26), self);
        } else if (starts_with(part, "proto ")) {
            proto = part.substr(6);
            if (auto sp = proto.find(' '); sp != sv::npos) {
                flags = proto.substr(sp + 1);
                proto = proto.substr(0, sp);
                if (flags.size() >= 2 && flags.front() == '(' && flags.back() == ')')
                    flags = flags.substr(1, flags.size() - 2);
            }
        } else if (starts_with(part, "len ")) {
            len = part.substr(4);
        } else if (!have_addr) {
            std::size_t arrow = part.find("->");
            if (arrow != sv::npos && part.find(' ') == sv::npos) {
                split_endpoint(part.substr(0, arrow), src, sport);
                split_endpoint(part.substr(arrow + 2), dst, dport);
                have_addr = true;
            }
        }
    };
    std::size_t p = 0;
    while (p < fields.size()) {
        std::size_t c = fields.find(", ", p);
        sv part = fields.substr(p, c == sv::npos ? sv::npos : c - p);
        p = c == sv::npos ? fields.size() : c + 2;
        handle(part, handle);
    }
    if (!have_addr && proto.empty()) return false;
    static const field_id k_chain = intern("chain");
    static const field_id k_state = intern("connection_state");
    static const field_id k_flags = intern("tcp_flags");
    batch.add(f::event_category, "network");
    sv act = action_of(prefix);
    if (!act.empty()) {
        batch.add(f::event_action, act);
        batch.add(f::event_type, act == "blocked" ? sv("denied") : sv("allowed"));
    } else {
        batch.add(f::event_type, "connection");
    }
    if (!prefix.empty()) batch.add(f::rule_name, prefix);
    if (!chain.empty()) batch.add(k_chain, chain);
    if (!iface_in.empty() && iface_in != "(unknown 0)")
        batch.add(f::observer_ingress_interface, iface_in);
    if (!iface_out.empty() && iface_out != "(unknown 0)")
        batch.add(f::observer_egress_interface, iface_out);
    if (!state.empty()) batch.add(k_state, state);
    if (sv m = ecs_mac(batch, mac); !m.empty()) batch.add(f::source_mac, m);
    if (sv t = transport_name(proto); !t.empty()) batch.add(f::network_transport, t);
    if (!flags.empty() && proto == "TCP") batch.add(k_flags, flags);
    if (is_ip(src)) batch.add(f::source_ip, src);
    if (is_uint_in(sport, 0, 65535)) batch.add(f::source_port, sport);
    if (is_ip(dst)) batch.add(f::destination_ip, dst);
    if (is_uint_in(dport, 0, 65535)) batch.add(f::destination_port, dport);
    if (is_uint_in(len, 0, 1u << 20)) batch.add(f::network_bytes, len);
    return true;
}

/// "login failure for user U from IP via S", "user U logged in|out from IP via S".
bool login(sv body, event_batch& batch) {
    sv user, rest;
    sv outcome, action;
    if (starts_with(body, "login failure for user ")) {
        rest = body.substr(23);
        outcome = "failure";
        action = "login";
    } else if (starts_with(body, "user ")) {
        rest = body.substr(5);
    } else {
        return false;
    }
    std::size_t sp = rest.find(' ');
    if (sp == sv::npos) return false;
    user = rest.substr(0, sp);
    sv after = rest.substr(sp + 1);
    if (outcome.empty()) {
        if (starts_with(after, "logged in ")) {
            outcome = "success";
            action = "login";
            after = after.substr(10);
        } else if (starts_with(after, "logged out ")) {
            action = "logout";
            after = after.substr(11);
        } else {
            return false;
        }
    }
    if (!starts_with(after, "from ")) return false;
    after = after.substr(5);
    std::size_t e = after.find(' ');
    sv ip = after.substr(0, e);
    sv via;
    if (e != sv::npos && starts_with(after.substr(e), " via ")) via = after.substr(e + 5);
    static const field_id k_service = intern("service");
    batch.add(f::event_category, "authentication");
    batch.add(f::event_action, action);
    if (!outcome.empty()) batch.add(f::event_outcome, outcome);
    if (!user.empty()) batch.add(f::user_name, user);
    if (is_ip(ip)) batch.add(f::source_ip, ip);
    if (!via.empty()) batch.add(k_service, via);
    return true;
}

parse_status mikrotik_message(const syslog_envelope&, sv msg, const context& ctx,
                              event_batch& batch, event& e, sv&) {
    sv topics, body, severity;
    if (!topics_of(msg, topics, body, severity)) return parse_status::not_mine;
    static const field_id k_topics = intern("topics");
    if (e.ts == k_no_time) e.ts = ctx.reference_time;
    e.source_type = "mikrotik";
    batch.add(f::event_kind, "event");
    batch.add(f::observer_vendor, "MikroTik");
    batch.add(f::observer_product, "RouterOS");
    batch.add(k_topics, topics);
    batch.add(f::log_level, severity);
    if (starts_with(topics, "firewall"))
        firewall(body, batch);
    else
        login(body, batch);
    return parse_status::ok;
}

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(mikrotik_sniffer, "", 37, mikrotik_message)

}  // namespace mimamori::parse
