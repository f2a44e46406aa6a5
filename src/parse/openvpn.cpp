// OpenVPN server logs, the VPN many small companies run on a Linux box or a router:
//
//   2024-12-15 14:12:12 192.168.1.31:45321 TLS Error: incoming packet authentication failed from [AF_INET]192.168.1.31:45321
//   2024-12-15 14:14:21 client1/192.168.1.13:54321 AUTH: Received control message: AUTH_FAILED
//   Thu Oct 13 10:13:44 2022 203.0.113.9:51234 TLS: Username/Password authentication succeeded for username 'bob'
//
// A line names the peer first (address:port, or common-name/address:port once the certificate
// is known), then the message. Read two ways:
//   - OpenVPN's own log file (--log, --log-append): the line format "openvpn", with the time
//     as OpenVPN 2.5+ writes it ("YYYY-MM-DD hh:mm:ss") or as 2.4 did (ctime, "Www Mmm dd
//     hh:mm:ss yyyy");
//   - through syslog (tags openvpn, openvpn-server, ovpn-server, ovpn-client): a message parser.
// Failed TLS handshakes and authentication (wrong tls-auth key, bad certificate, wrong
// password) are authentication failures from the peer's address; a password or plugin check
// that passes is a success. Everything else is kept as a plain message with the peer's address.
#include <array>
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using txt::sv;

constexpr sv k_openvpn = "openvpn";

// Texts that make a line a failed handshake or logon (the peer did not get in).
constexpr std::array<sv, 9> k_failure_marks = {
    "TLS Error:",       "TLS Auth Error:",         "VERIFY ERROR",     "AUTH_FAILED",
    "authentication failed", "Authentication failed", "verification failed", "verify failed",
    "PLUGIN_AUTH_USER_PASS_VERIFY status=1"};
constexpr std::array<sv, 3> k_success_marks = {"authentication succeeded", "Authentication succeeded",
                                               "PLUGIN_AUTH_USER_PASS_VERIFY status=0"};

// How OpenVPN's own messages begin when no peer is named (start-up, shutdown, server state):
// a line of the log file that starts with neither a peer nor one of these is not OpenVPN's.
constexpr std::array<sv, 40> k_own_messages = {
    "OpenVPN ", "Incoming Control Channel", "Outgoing Control Channel", "Incoming Data Channel",
    "Outgoing Data Channel", "Control Channel", "Data Channel", "TLS", "MULTI", "UDPv4", "UDPv6",
    "TCPv4", "TCPv6", "TCP/UDP", "TUN/TAP", "net_", "Initialization Sequence Completed",
    "Diffie-Hellman", "Socket Buffers", "Listening for incoming", "IFCONFIG POOL", "library versions",
    "DCO", "NOTE:", "Note:", "WARNING:", "ERROR:", "Options error", "SIGTERM", "SIGUSR1", "SIGHUP",
    "SIGINT", "Restart pause", "Closing TUN/TAP", "Exiting due to", "PLUGIN_", "MANAGEMENT:",
    "Peer Connection Initiated", "VERIFY", "Inactivity timeout"};

// "1.2.3.4:1194", "[AF_INET]1.2.3.4:1194", "2001:db8::5:1194" → address and port (set only
// when both are valid).
bool endpoint(sv s, sv& ip, sv& port) {
    if (!txt::consume(s, "[AF_INET]")) txt::consume(s, "[AF_INET6]");
    return split_ip_port(s, ip, port);
}

// The peer at the start of m ("addr:port", "cn/addr:port", "addr:port/cn"): moves m past it
// and its space.
bool peer_prefix(sv& m, sv& ip, sv& port, sv& cn) {
    std::size_t sp = m.find(' ');
    sv tok = m.substr(0, sp);
    if (tok.empty()) return false;
    std::size_t slash = tok.find('/');
    cn = {};
    if (slash == sv::npos) {
        if (!endpoint(tok, ip, port)) return false;
    } else if (endpoint(tok.substr(slash + 1), ip, port)) {
        cn = tok.substr(0, slash);
    } else if (endpoint(tok.substr(0, slash), ip, port)) {
        cn = tok.substr(slash + 1);
    } else {
        return false;
    }
    m = sp == sv::npos ? sv{} : m.substr(sp + 1);
    return true;
}

bool contains_any(sv text, const auto& marks) {
    for (sv k : marks)
        if (text.find(k) != sv::npos) return true;
    return false;
}

// Fields of one OpenVPN message (no time prefix). False when it names no peer and does not
// begin like one of OpenVPN's own messages (only the line format asks).
bool parse_message(sv m, event_batch& b) {
    sv ip, port, cn;
    const bool has_peer = peer_prefix(m, ip, port, cn);
    if (!has_peer) {
        bool own = false;
        for (sv k : k_own_messages) own = own || txt::starts_with(m, k);
        if (!own) return false;
        // "TLS Error: cannot locate HMAC in incoming packet from [AF_INET]1.2.3.4:1194"
        std::size_t af = m.rfind("[AF_INET");
        if (af != sv::npos) {
            sv tail = m.substr(af);
            endpoint(tail.substr(0, tail.find(' ')), ip, port);
        }
    }
    // "[client3] Peer Connection Initiated with …": the certificate's name, before the message.
    if (cn.empty() && m.size() > 2 && m.front() == '[') {
        std::size_t close = m.find(']');
        if (close != sv::npos && m.substr(close).starts_with("] ")) cn = m.substr(1, close - 1);
    }
    if (cn == "UNDEF") cn = {};
    sv user = cn;
    // "… authentication succeeded for username 'bob'", "… failed for username 'bob'"
    if (std::size_t u = m.find("username '"); u != sv::npos) {
        sv rest = m.substr(u + 10);
        std::size_t q = rest.find('\'');
        if (q != sv::npos && q > 0) user = rest.substr(0, q);
    }
    const bool failed = contains_any(m, k_failure_marks);
    const bool passed = !failed && contains_any(m, k_success_marks);
    if (failed || passed) {
        b.add(f::event_category, "authentication");
        b.add(f::event_action, "openvpn_logon");
        b.add(f::event_outcome, failed ? "failure" : "success");
        if (failed) b.add(f::event_reason, m);
    }
    if (!ip.empty()) {
        b.add(f::source_ip, unmap_ipv4(ip));
        b.add(f::source_port, port);
    }
    if (!user.empty()) b.add(f::user_name, user);
    return true;
}

parse_status parse_openvpn_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    // Not one of OpenVPN's own messages (a PAM line from its auth plugin …): the sniffers may
    // know it.
    if (!parse_message(trim(msg), b)) return parse_status::not_mine;
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = k_openvpn;
    return parse_status::ok;
}

// "2024-12-15 14:12:12 " or "Thu Oct 13 10:13:44 2022 " at the start of the line.
std::size_t log_time(sv line, const context& ctx, timestamp_ns& ts) {
    if (line.size() > 19 && line[10] == ' ') {
        if (std::size_t n = scan::parse_iso(line, ctx, ts); n == 19) return n;
    }
    if (line.size() > 28 && line[3] == ' ' && scan::is_alpha(line[0])) {
        sv rest = line.substr(4);
        // parse_bsd reads "Mmm dd hh:mm:ss yyyy" (the year after the time) as well.
        if (std::size_t n = scan::parse_bsd(rest, ctx, ts); n == 20) return 4 + n;
    }
    return 0;
}

class openvpn_log_parser final : public line_parser {
public:
    std::string_view name() const override { return "openvpn"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e,
                       std::string_view&) override {
        timestamp_ns ts = k_no_time;
        std::size_t n = log_time(line, ctx, ts);
        if (n == 0 || n >= line.size() || line[n] != ' ') return parse_status::not_mine;
        sv m = trim(line.substr(n + 1));
        // parse_message adds nothing to a line that is not OpenVPN's.
        if (!parse_message(m, b)) return parse_status::not_mine;
        e.ts = ts;
        e.source_type = k_openvpn;
        b.add(f::process_name, k_openvpn);
        b.add(f::message, m);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(openvpn, "openvpn", 50, parse_openvpn_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(openvpn_server, "openvpn-server", 50, parse_openvpn_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(ovpn_server, "ovpn-server", 50, parse_openvpn_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(ovpn_client, "ovpn-client", 50, parse_openvpn_message)
MIMAMORI_REGISTER_FORMAT("openvpn", 14, openvpn_log_parser)

}  // namespace mimamori::parse
