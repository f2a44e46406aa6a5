// pf packet logs. pfSense/OPNsense `filterlog` CSV (a message parser for program "filterlog"),
// and OpenBSD/FreeBSD pflog as printed by `tcpdump -n -e -ttt -r /var/log/pflog` (a line format):
//   Mar 01 12:00:05.123456 rule 0/(match) block in on em0: 1.2.3.4.5678 > 5.6.7.8.22: S …
// Both become source_type "pf".
#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

sv action_word(sv a) {
    if (a == "block" || a == "reject" || a == "drop") return "blocked";
    if (a == "pass") return "allowed";
    return {};
}

void add_common(event_batch& batch, event& e, sv action, sv dir, sv iface) {
    static const field_id k_action = intern("action");
    e.source_type = "pf";
    batch.add(f::event_kind, "event");
    batch.add(f::event_category, "network");
    sv act = action_word(action);
    if (!act.empty()) {
        batch.add(f::event_action, act);
        batch.add(f::event_type, act == "blocked" ? sv("denied") : sv("allowed"));
    } else {
        batch.add(f::event_type, "connection");
    }
    if (!action.empty()) batch.add(k_action, action);
    if (!iface.empty()) {
        if (dir == "out")
            batch.add(f::observer_egress_interface, iface);
        else
            batch.add(f::observer_ingress_interface, iface);
    }
    if (dir == "in")
        batch.add(f::network_direction, "ingress");
    else if (dir == "out")
        batch.add(f::network_direction, "egress");
}

// --- filterlog CSV --------------------------------------------------------------------------

constexpr std::size_t k_max_cols = 48;

/// pfSense's filterlog format (docs: "Filter Log Format"): rule, subrule, anchor, tracker,
/// interface, reason, action, direction, ip version, then the IPv4 or IPv6 header fields, then
/// protocol-specific fields.
parse_status filterlog_message(const syslog_envelope&, sv msg, const context& ctx,
                               event_batch& batch, event& e, sv& why) {
    sv col[k_max_cols];
    std::size_t n = 0;
    std::size_t start = 0;
    msg = trim(msg);
    while (n < k_max_cols) {
        std::size_t comma = msg.find(',', start);
        col[n++] = msg.substr(start, comma == sv::npos ? sv::npos : comma - start);
        if (comma == sv::npos) break;
        start = comma + 1;
    }
    if (n < 9 || !all_digits(col[0])) return parse_status::not_mine;
    sv iface = col[4], reason = col[5], action = col[6], dir = col[7], ipver = col[8];
    if (iface.empty() || (dir != "in" && dir != "out") || (ipver != "4" && ipver != "6")) {
        why = "filterlog: bad header fields";
        return parse_status::malformed;
    }
    std::size_t p;  // index of the first protocol-specific field
    sv protoname, protonum, length, src, dst;
    if (ipver == "4") {
        if (n < 20) {
            why = "filterlog: truncated IPv4 record";
            return parse_status::malformed;
        }
        protonum = col[15];
        protoname = col[16];
        length = col[17];
        src = col[18];
        dst = col[19];
        p = 20;
    } else {
        if (n < 17) {
            why = "filterlog: truncated IPv6 record";
            return parse_status::malformed;
        }
        protoname = col[12];
        protonum = col[13];
        length = col[14];
        src = col[15];
        dst = col[16];
        p = 17;
    }
    if (!is_ip(src) || !is_ip(dst)) {
        why = "filterlog: bad addresses";
        return parse_status::malformed;
    }
    static const field_id k_rule = intern("rule");
    static const field_id k_reason = intern("reason");
    static const field_id k_tracker = intern("tracker");
    static const field_id k_flags = intern("tcp_flags");
    static const field_id k_icmp = intern("icmp.type");
    if (e.ts == k_no_time) e.ts = ctx.reference_time;
    add_common(batch, e, action, dir, iface);
    batch.add(k_rule, col[0]);
    if (!col[3].empty()) {
        batch.add(k_tracker, col[3]);
        batch.add(f::rule_id, col[3]);
    } else {
        batch.add(f::rule_id, col[0]);
    }
    if (!reason.empty()) batch.add(k_reason, reason);
    batch.add(f::source_ip, src);
    batch.add(f::destination_ip, dst);
    sv transport = transport_name(protoname);
    if (transport.empty()) transport = transport_name(protonum);
    if (!transport.empty()) batch.add(f::network_transport, transport);
    if (is_uint_in(protonum, 0, 255)) batch.add(f::network_iana_number, protonum);
    if (is_uint_in(length, 0, 1u << 20)) batch.add(f::network_bytes, length);
    if (transport == "tcp" || transport == "udp") {
        if (p + 1 < n) {
            if (is_uint_in(col[p], 0, 65535)) batch.add(f::source_port, col[p]);
            if (is_uint_in(col[p + 1], 0, 65535)) batch.add(f::destination_port, col[p + 1]);
        }
        if (transport == "tcp" && p + 3 < n && !col[p + 3].empty()) batch.add(k_flags, col[p + 3]);
    } else if ((transport == "icmp" || transport == "ipv6-icmp") && p < n && !col[p].empty()) {
        batch.add(k_icmp, col[p]);
    }
    return parse_status::ok;
}

// --- pflog via tcpdump ----------------------------------------------------------------------

/// "a.b.c.d.port", "v6addr.port" or a bare address.
void split_addr_port(sv s, sv& ip, sv& port) {
    if (is_ip(s)) {
        ip = s;
        return;
    }
    std::size_t dot = s.rfind('.');
    if (dot != sv::npos && is_ip(s.substr(0, dot)) && all_digits(s.substr(dot + 1))) {
        ip = s.substr(0, dot);
        port = s.substr(dot + 1);
    }
}

class pflog_parser final : public line_parser {
public:
    sv name() const override { return "pf"; }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e,
                       sv& why) override {
        std::size_t r = line.find("rule ");
        if (r == sv::npos || r > 40) return parse_status::not_mine;
        timestamp_ns ts = ctx.reference_time;  // -ttt deltas and no stamp: file time
        sv stamp = trim(line.substr(0, r));
        if (!stamp.empty()) {
            timestamp_ns t = 0;
            if (is_alpha(stamp[0])) {
                if (parse_bsd(stamp, ctx, t) != stamp.size()) return parse_status::not_mine;
                ts = t;
            } else if (parse_iso(stamp, ctx, t) == stamp.size()) {
                ts = t;
            } else if (parse_epoch(stamp, t)) {
                ts = t;
            } else if (!(stamp.size() >= 8 && stamp[2] == ':' && stamp[5] == ':')) {
                return parse_status::not_mine;  // an "hh:mm:ss.frac" delta is fine, junk is not
            }
        }
        std::size_t pos = r + 5;
        sv ruletok = next_token(line, pos);  // "0/(match)", "5/0(match):", "1.anchor.2/(match)"
        std::size_t slash = ruletok.find('/');
        std::size_t lp = ruletok.find('(');
        std::size_t rp = ruletok.find(')');
        if (slash == sv::npos || lp == sv::npos || rp == sv::npos || rp < lp || lp < slash)
            return parse_status::not_mine;
        sv rulenum = ruletok.substr(0, slash);
        sv reason = ruletok.substr(lp + 1, rp - lp - 1);
        sv action = next_token(line, pos);
        sv dir = next_token(line, pos);
        sv on = next_token(line, pos);
        sv iface = next_token(line, pos);
        if (on != "on" || (dir != "in" && dir != "out") || action.empty() || iface.empty())
            return parse_status::not_mine;
        if (iface.back() == ':') iface.remove_suffix(1);
        sv rest = line.substr(pos);
        sv proto_hint;
        if (!rest.empty() && rest[0] == '(') {  // -v: "(tos 0x0, …, proto TCP (6), length 60) "
            int depth = 0;
            std::size_t i = 0;
            for (; i < rest.size(); ++i) {
                if (rest[i] == '(')
                    ++depth;
                else if (rest[i] == ')' && --depth == 0)
                    break;
            }
            if (i >= rest.size()) {
                why = "pflog: unbalanced header details";
                return parse_status::malformed;
            }
            sv details = rest.substr(0, i + 1);
            if (auto pp = details.find("proto "); pp != sv::npos) {
                std::size_t q = pp + 6;
                proto_hint = next_token(details, q);
            }
            rest = trim(rest.substr(i + 1));
        }
        std::size_t gt = rest.find(" > ");
        if (gt == sv::npos) {
            why = "pflog: missing 'src > dst'";
            return parse_status::malformed;
        }
        sv srcs = rest.substr(0, gt);
        sv after = rest.substr(gt + 3);
        std::size_t colon = after.find(": ");
        sv dsts = colon == sv::npos ? after : after.substr(0, colon);
        if (!dsts.empty() && dsts.back() == ':') dsts.remove_suffix(1);
        sv detail = colon == sv::npos ? sv{} : after.substr(colon + 2);
        sv sip, sport, dip, dport;
        split_addr_port(srcs, sip, sport);
        split_addr_port(dsts, dip, dport);
        if (sip.empty() || dip.empty()) {
            why = "pflog: bad addresses";
            return parse_status::malformed;
        }
        sv transport;
        if (!proto_hint.empty()) transport = transport_name(proto_hint);
        if (transport.empty()) {
            if (starts_with(detail, "icmp6") || starts_with(detail, "ICMP6"))
                transport = "ipv6-icmp";
            else if (starts_with(detail, "icmp") || starts_with(detail, "ICMP"))
                transport = "icmp";
            else if (starts_with(detail, "udp") || starts_with(detail, "UDP") ||
                     starts_with(detail, "[udp"))
                transport = "udp";
            else if (starts_with(detail, "Flags [") || starts_with(detail, "tcp") ||
                     (detail.size() >= 2 && detail[1] == ' ' &&
                      sv("SFRP.").find(detail[0]) != sv::npos) ||
                     (detail.size() >= 3 && detail[2] == ' ' && detail[1] != ' ' &&
                      sv("SFRPWEU").find(detail[0]) != sv::npos &&
                      sv("SFRPWEU.").find(detail[1]) != sv::npos))
                transport = "tcp";
        }
        static const field_id k_rule = intern("rule");
        static const field_id k_reason = intern("reason");
        e.ts = ts;
        add_common(batch, e, action, dir, iface);
        if (!rulenum.empty()) {
            batch.add(k_rule, rulenum);
            batch.add(f::rule_id, rulenum);
        }
        if (!reason.empty()) batch.add(k_reason, reason);
        batch.add(f::source_ip, sip);
        batch.add(f::destination_ip, dip);
        if (is_uint_in(sport, 0, 65535)) batch.add(f::source_port, sport);
        if (is_uint_in(dport, 0, 65535)) batch.add(f::destination_port, dport);
        if (!transport.empty()) batch.add(f::network_transport, transport);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_FORMAT("pf", 36, pflog_parser)
MIMAMORI_REGISTER_MESSAGE_PARSER(pf_filterlog, "filterlog", 36, filterlog_message)

}  // namespace mimamori::parse
