// Linux netfilter packet logs (iptables/nftables LOG target, UFW, firewalld, Proxmox VE
// firewall, UniFi gateways): "[prefix ]IN=eth0 OUT= MAC=… SRC=… DST=… LEN=… PROTO=TCP SPT=…
// DPT=… SYN …". As a message parser for the kernel (and as a sniffer, for gateways whose
// syslog tag is unusual), and as a line format for bare kernel lines: dmesg ("[12345.678901]
// …", "[Wed Oct 11 14:32:52 2023] …", or no stamp at all) and pve-firewall.log.
#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

struct nf_record {
    sv prefix, descr;
    sv in, out, physin, physout, mac, src, dst, len, proto, spt, dpt;
    sv icmp_type, icmp_code, uid, gid, mark, flags;
    bool have_in = false, have_out = false;
};

bool is_tcp_flag(sv w) {
    return w == "SYN" || w == "ACK" || w == "FIN" || w == "RST" || w == "PSH" || w == "URG" ||
           w == "CWR" || w == "ECE";
}

/// Position of `key` at the start of s or after a space, or npos.
std::size_t find_key(sv s, sv key) {
    std::size_t p = 0;
    while ((p = s.find(key, p)) != sv::npos) {
        if (p == 0 || s[p - 1] == ' ') return p;
        p += key.size();
    }
    return sv::npos;
}

/// Read the body (prefix + packet fields). False when it is not a netfilter record.
bool scan_body(sv body, nf_record& r) {
    // The packet fields start at IN= (OUT= for Proxmox's host output chain, which omits IN=).
    std::size_t at = find_key(body, "IN=");
    if (at == sv::npos) at = find_key(body, "OUT=");
    if (at == sv::npos || (body.find("OUT=", at) == sv::npos && body.find("SRC=", at) == sv::npos))
        return false;
    r.prefix = trim(body.substr(0, at));
    std::size_t pos = at;
    const char* flags_begin = nullptr;
    const char* flags_end = nullptr;
    bool seen_len = false;
    while (pos < body.size()) {
        char c = body[pos];
        if (c == ' ') {
            ++pos;
            continue;
        }
        if (c == '[') {  // ICMP error's quoted packet, "INCOMPLETE [n bytes]": not this packet
            std::size_t rb = body.find(']', pos);
            pos = rb == sv::npos ? body.size() : rb + 1;
            continue;
        }
        std::size_t end = body.find(' ', pos);
        if (end == sv::npos) end = body.size();
        sv tok = body.substr(pos, end - pos);
        pos = end;
        std::size_t eq = tok.find('=');
        if (eq == sv::npos) {
            if (is_tcp_flag(tok)) {
                if (!flags_begin) flags_begin = tok.data();
                flags_end = tok.data() + tok.size();
            }
            continue;
        }
        sv k = tok.substr(0, eq), v = tok.substr(eq + 1);
        switch (k.size()) {
            case 2:
                if (k == "IN")
                    r.in = v, r.have_in = true;
                else if (k == "ID") {
                }
                break;
            case 3:
                if (k == "OUT")
                    r.out = v, r.have_out = true;
                else if (k == "MAC")
                    r.mac = v;
                else if (k == "SRC")
                    r.src = v;
                else if (k == "DST")
                    r.dst = v;
                else if (k == "LEN") {
                    if (!seen_len) r.len = v;  // the second LEN is the UDP/TCP length
                    seen_len = true;
                } else if (k == "SPT")
                    r.spt = v;
                else if (k == "DPT")
                    r.dpt = v;
                else if (k == "UID")
                    r.uid = v;
                else if (k == "GID")
                    r.gid = v;
                break;
            case 4:
                if (k == "TYPE")
                    r.icmp_type = v;
                else if (k == "CODE")
                    r.icmp_code = v;
                else if (k == "MARK")
                    r.mark = v;
                break;
            case 5:
                if (k == "PROTO") r.proto = v;
                break;
            case 6:
                if (k == "PHYSIN") r.physin = v;
                break;
            case 7:
                if (k == "PHYSOUT") r.physout = v;
                break;
            default:
                break;
        }
    }
    if (flags_begin) r.flags = sv(flags_begin, static_cast<std::size_t>(flags_end - flags_begin));
    // IN= and OUT= are always logged, except by Proxmox's host chains, which leave one out.
    if (!(r.have_in && r.have_out) && r.src.empty()) return false;
    if (!r.have_in && r.out.empty()) return false;  // an output-chain record names its interface
    // UniFi: "[WAN_LOCAL-D-2147483647] DESCR="[WAN_LOCAL]Block All Traffic""
    if (auto d = r.prefix.find("DESCR=\""); d != sv::npos) {
        sv descr = r.prefix.substr(d + 7);
        if (!descr.empty() && descr.back() == '"') descr.remove_suffix(1);
        r.descr = descr;
        r.prefix = trim(r.prefix.substr(0, d));
    }
    return true;
}

/// What the log prefix (or rule name taken from it) says happened: "blocked", "allowed" or
/// nothing.
sv action_of(sv prefix) {
    // UniFi rule tags: RULESET-{A,D,R}-index
    {
        sv p = prefix;
        if (p.size() > 2 && p.front() == '[' && p.back() == ']') p = p.substr(1, p.size() - 2);
        std::size_t last = p.rfind('-');
        if (last != sv::npos && last >= 2 && p[last - 2] == '-' && all_digits(p.substr(last + 1))) {
            char a = p[last - 1];
            if (a == 'A') return "allowed";
            if (a == 'D' || a == 'R') return "blocked";
        }
    }
    if (icontains(prefix, "block") || icontains(prefix, "drop") || icontains(prefix, "reject") ||
        icontains(prefix, "deny") || icontains(prefix, "denied"))
        return "blocked";
    if (icontains(prefix, "allow") || icontains(prefix, "accept") || icontains(prefix, "pass") ||
        icontains(prefix, "permit"))
        return "allowed";
    return {};
}

/// The prefix as a rule name: "[UFW BLOCK]" → "UFW BLOCK", "FINAL_REJECT:" → "FINAL_REJECT",
/// "host [WAN_LOCAL-D-2147483647]" → "WAN_LOCAL-D-2147483647" (the last bracketed group).
sv rule_name_of(sv prefix) {
    sv p = trim(prefix);
    while (!p.empty() && (p.back() == ':' || p.back() == ' ')) p.remove_suffix(1);
    if (p.size() >= 2 && p.back() == ']') {
        std::size_t lb = p.rfind('[');
        if (lb != sv::npos) p = p.substr(lb + 1, p.size() - lb - 2);
    }
    return trim(p);
}

/// Bytes 7–12 of a MAC= value (destination MAC, source MAC, ethertype).
void add_macs(event_batch& batch, sv mac) {
    if (mac.size() >= 35 && mac[17] == ':') {
        sv d = ecs_mac(batch, mac.substr(0, 17));
        sv s = ecs_mac(batch, mac.substr(18, 17));
        if (!s.empty()) batch.add(f::source_mac, s);
        if (!d.empty()) batch.add(f::destination_mac, d);
    }
}

void emit(const nf_record& r, event_batch& batch, event& e, sv rule_override = {},
          sv action_override = {}) {
    static const field_id k_type = intern("TYPE");
    static const field_id k_code = intern("CODE");
    static const field_id k_physin = intern("PHYSIN");
    static const field_id k_physout = intern("PHYSOUT");
    static const field_id k_mark = intern("MARK");
    static const field_id k_uid = intern("UID");
    static const field_id k_gid = intern("GID");
    static const field_id k_flags = intern("tcp_flags");
    static const field_id k_descr = intern("DESCR");
    e.source_type = "netfilter";
    batch.add(f::event_kind, "event");
    batch.add(f::event_category, "network");
    sv rule = rule_override.empty() ? rule_name_of(r.prefix) : rule_override;
    sv action = action_of(action_override.empty() ? rule : action_override);
    if (!action.empty()) {
        batch.add(f::event_action, action);
        batch.add(f::event_type, action == "blocked" ? sv("denied") : sv("allowed"));
    } else {
        batch.add(f::event_type, "connection");
    }
    if (!rule.empty()) batch.add(f::rule_name, rule);
    if (!r.descr.empty()) batch.add(k_descr, r.descr);
    if (!r.in.empty()) batch.add(f::observer_ingress_interface, r.in);
    if (!r.out.empty()) batch.add(f::observer_egress_interface, r.out);
    if (!r.in.empty() && r.out.empty())
        batch.add(f::network_direction, "ingress");
    else if (r.in.empty() && !r.out.empty())
        batch.add(f::network_direction, "egress");
    if (!r.physin.empty()) batch.add(k_physin, r.physin);
    if (!r.physout.empty()) batch.add(k_physout, r.physout);
    if (!r.mac.empty()) add_macs(batch, r.mac);
    if (is_ip(r.src)) batch.add(f::source_ip, r.src);
    if (is_ip(r.dst)) batch.add(f::destination_ip, r.dst);
    if (is_uint_in(r.len, 0, 1u << 20)) batch.add(f::network_bytes, r.len);
    if (!r.proto.empty()) {
        sv t = transport_name(r.proto);
        if (!t.empty())
            batch.add(f::network_transport, t);
        else if (iequals(r.proto, "udplite"))
            batch.add(f::network_iana_number, "136");
    }
    if (is_uint_in(r.spt, 0, 65535)) batch.add(f::source_port, r.spt);
    if (is_uint_in(r.dpt, 0, 65535)) batch.add(f::destination_port, r.dpt);
    if (!r.icmp_type.empty())
        batch.add(k_type, r.icmp_type,
                  all_digits(r.icmp_type) ? value_kind::number : value_kind::string);
    if (!r.icmp_code.empty())
        batch.add(k_code, r.icmp_code,
                  all_digits(r.icmp_code) ? value_kind::number : value_kind::string);
    if (!r.flags.empty()) batch.add(k_flags, r.flags);
    if (!r.mark.empty()) batch.add(k_mark, r.mark);
    if (!r.uid.empty()) batch.add(k_uid, r.uid);
    if (!r.gid.empty()) batch.add(k_gid, r.gid);
}

/// Kernel message (after the syslog envelope): "[uptime] prefix IN=…" or "prefix IN=…".
sv strip_uptime(sv msg) {
    if (!msg.empty() && msg[0] == '[') {
        std::size_t rb = msg.find(']');
        if (rb != sv::npos && rb < 24) {
            sv up = trim(msg.substr(1, rb - 1));
            std::size_t dot = up.find('.');
            if (dot != sv::npos && all_digits(up.substr(0, dot)) && all_digits(up.substr(dot + 1)))
                return msg.substr(rb + 1);
        }
    }
    return msg;
}

parse_status netfilter_message(const syslog_envelope&, sv msg, const context& ctx,
                               event_batch& batch, event& e, sv&) {
    nf_record r;
    if (!scan_body(strip_uptime(msg), r)) return parse_status::not_mine;
    if (e.ts == k_no_time) e.ts = ctx.reference_time;
    emit(r, batch, e);
    return parse_status::ok;
}

/// pve-firewall.log: "VMID LEVEL CHAIN dd/Mon/yyyy:hh:mm:ss ±zzzz ACTION: IN=…"
bool parse_proxmox(sv line, const context& ctx, event_batch& batch, event& e) {
    std::size_t pos = 0;
    sv vmid = next_token(line, pos);
    sv level = next_token(line, pos);
    sv chain = next_token(line, pos);
    sv date = next_token(line, pos);
    sv zone = next_token(line, pos);
    if (!all_digits(vmid) || !all_digits(level) || chain.empty() || date.size() != 20 ||
        date[2] != '/' || date[6] != '/')
        return false;
    civil_time c;
    unsigned y = 0;
    if (!digits_at(date, 0, 2, c.day) || !digits_at(date, 7, 4, y) || date[11] != ':') return false;
    c.month = month_from_abbrev(date.substr(3, 3));
    c.year = static_cast<int>(y);
    std::size_t i = 12;
    std::int32_t off = 0;
    if (!parse_hms(date, i, c) || !civil_valid(c) || !parse_offset(zone, off)) return false;
    nf_record r;
    sv body = line.substr(pos);
    if (!scan_body(body, r)) return false;
    static const field_id k_vmid = intern("pve.vmid");
    sv action = r.prefix;  // "policy DROP:", "ACCEPT:"
    e.ts = civil_to_ns(c, off);
    emit(r, batch, e, chain, action.empty() ? sv("?") : action);
    batch.add(k_vmid, vmid);
    return true;
}

class netfilter_parser final : public line_parser {
public:
    sv name() const override { return "netfilter"; }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e, sv&) override {
        if (line.size() < 12) return parse_status::not_mine;
        if (is_digit(line[0])) {
            return parse_proxmox(line, ctx, batch, e) ? parse_status::ok : parse_status::not_mine;
        }
        sv body = line;
        timestamp_ns ts = ctx.reference_time;               // no wall clock in plain dmesg output
        if (line[0] == '<') return parse_status::not_mine;  // syslog framing: the syslog parser's
        if (line[0] != '[') {
            timestamp_ns t = 0;
            if (parse_bsd(line, ctx, t) != 0 || parse_iso(line, ctx, t) != 0)
                return parse_status::not_mine;
        } else {
            std::size_t rb = line.find(']');
            if (rb == sv::npos) return parse_status::not_mine;
            sv inner = line.substr(1, rb - 1);
            timestamp_ns t = 0;
            // dmesg -T: "Wed Oct 11 14:32:52 2023"
            if (inner.size() > 4 && is_alpha(inner[0]) && inner[3] == ' ' &&
                parse_bsd(inner.substr(4), ctx, t) == inner.size() - 4) {
                ts = t;
                body = line.substr(rb + 1);
            } else {
                body = strip_uptime(line);
            }
        }
        // journalctl -k -o short-monotonic: "[  203.842973] host kernel: …"
        sv host;
        {
            sv b = trim(body);
            std::size_t sp = b.find(' ');
            if (line[0] == '[' && sp != sv::npos && sp < 64 &&
                starts_with(b.substr(sp), " kernel: ")) {
                host = b.substr(0, sp);
                body = b.substr(sp + 9);
            }
        }
        nf_record r;
        if (!scan_body(body, r)) return parse_status::not_mine;
        // A syslog-framed kernel line belongs to the syslog parser (it knows host and time).
        if (r.prefix.find(" kernel:") != sv::npos) return parse_status::not_mine;
        e.ts = ts;
        emit(r, batch, e);
        if (!host.empty()) batch.add(f::host_name, host);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_FORMAT("netfilter", 35, netfilter_parser)
MIMAMORI_REGISTER_MESSAGE_PARSER(netfilter_kernel, "kernel", 35, netfilter_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(netfilter_sniffer, "", 35, netfilter_message)

}  // namespace mimamori::parse
