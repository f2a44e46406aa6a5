// Suricata/Snort fast.log alerts — the one-line alert log many UTMs and IDS boxes forward:
//   MM/DD/YYYY-hh:mm:ss.ffffff  [Drop] [**] [gid:sid:rev] MSG [**] [Classification: C] [Priority: N] {PROTO} SRC:SPORT -> DST:DPORT
// "[Drop]"/"[wDrop]" (IPS mode) and the classification part are optional; ICMP has no ports.
// IPv6 endpoints are written without brackets, so the port is after the last ':'.
#include <cctype>

#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

// "1.2.3.4:80" → ip, port; "2001:db8::1:80" (fast.log's IPv6 form) likewise; "1.2.3.4" (ICMP).
bool split_endpoint(sv s, sv& ip, sv& port) {
    if (is_ip(s)) {
        ip = s;
        port = {};
        return true;
    }
    auto colon = s.rfind(':');
    if (colon == sv::npos) return false;
    ip = s.substr(0, colon);
    port = s.substr(colon + 1);
    return is_ip(ip) && is_uint_in(port, 0, 65535);
}

class suricata_fast_parser final : public line_parser {
public:
    std::string_view name() const override { return "suricata.fast"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e,
                       std::string_view& why) override {
        // Timestamp: MM/DD/YYYY-hh:mm:ss[.frac]
        if (line.size() < 40 || line[2] != '/' || line[5] != '/' || line[10] != '-')
            return parse_status::not_mine;
        auto open = line.find("[**] [", 19);
        if (open == sv::npos || open > 40) return parse_status::not_mine;
        civil_time c;
        unsigned y = 0;
        std::size_t i = 11;
        if (!digits_at(line, 0, 2, c.month) || !digits_at(line, 3, 2, c.day) ||
            !digits_at(line, 6, 4, y))
            return parse_status::not_mine;
        c.year = static_cast<int>(y);
        if (!parse_hms(line, i, c) || !civil_valid(c)) {
            why = "fast.log timestamp is not a valid date";
            return parse_status::malformed;
        }
        sv head = trim(line.substr(i, open - i));  // "" or "[Drop]" / "[wDrop]"
        // [gid:sid:rev]
        std::size_t p = open + 6;
        auto close = line.find(']', p);
        if (close == sv::npos) {
            why = "fast.log alert without [gid:sid:rev]";
            return parse_status::malformed;
        }
        sv ids = line.substr(p, close - p);
        auto c1 = ids.find(':'), c2 = ids.rfind(':');
        if (c1 == sv::npos || c2 == c1) {
            why = "fast.log [gid:sid:rev] is malformed";
            return parse_status::malformed;
        }
        sv gid = ids.substr(0, c1), sid = ids.substr(c1 + 1, c2 - c1 - 1), rev = ids.substr(c2 + 1);
        if (!all_digits(gid) || !all_digits(sid) || !all_digits(rev)) {
            why = "fast.log [gid:sid:rev] is not numeric";
            return parse_status::malformed;
        }
        auto msg_end = line.find(" [**]", close);
        if (msg_end == sv::npos) {
            why = "fast.log alert message is not closed by [**]";
            return parse_status::malformed;
        }
        sv msg = trim(line.substr(close + 1, msg_end - close - 1));
        sv rest = line.substr(msg_end + 5);
        sv classification, priority;
        if (auto k = rest.find("[Classification: "); k != sv::npos) {
            auto end = rest.find(']', k);
            if (end != sv::npos) classification = rest.substr(k + 17, end - k - 17);
        }
        if (auto k = rest.find("[Priority: "); k != sv::npos) {
            auto end = rest.find(']', k);
            if (end != sv::npos) priority = rest.substr(k + 11, end - k - 11);
        }
        auto brace = rest.find('{');
        auto brace_end = brace == sv::npos ? sv::npos : rest.find('}', brace);
        auto arrow = rest.find(" -> ");
        if (brace_end == sv::npos || arrow == sv::npos || arrow < brace_end) {
            why = "fast.log alert without {PROTO} SRC -> DST";
            return parse_status::malformed;
        }
        sv proto = rest.substr(brace + 1, brace_end - brace - 1);
        sv src = trim(rest.substr(brace_end + 1, arrow - brace_end - 1));
        sv dst = trim(rest.substr(arrow + 4));
        sv sip, sport, dip, dport;
        if (!split_endpoint(src, sip, sport) || !split_endpoint(dst, dip, dport)) {
            why = "fast.log alert endpoints are not IP[:port]";
            return parse_status::malformed;
        }

        e.ts = local_to_ns(ctx, c);
        e.source_type = "suricata.fast";
        static const field_id k_gid = intern("suricata.gid"), k_rev = intern("suricata.rev"),
                              k_class = intern("suricata.classification");
        b.add(f::event_kind, "alert");
        b.add(f::event_category, "intrusion_detection");
        b.add(f::event_action, head.find("Drop") != sv::npos ? "blocked" : "allowed");
        b.add(f::rule_id, sid);
        b.add(f::rule_name, msg);
        b.add(k_gid, gid, value_kind::number);
        b.add(k_rev, rev, value_kind::number);
        if (!classification.empty()) b.add(k_class, classification);
        if (all_digits(priority)) b.add(f::event_severity, priority);
        if (!proto.empty()) {
            // {TCP} → tcp without allocating for the common protocols.
            static constexpr std::pair<sv, sv> k_protos[] = {
                {"TCP", "tcp"}, {"UDP", "udp"}, {"ICMP", "icmp"}, {"IPV6-ICMP", "ipv6-icmp"}};
            sv lower;
            for (auto [up, low] : k_protos)
                if (iequals(proto, low)) lower = low;
            if (lower.empty()) {
                std::string tmp(proto);
                for (auto& ch : tmp) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                lower = b.copy(tmp);
            }
            b.add(f::network_transport, lower);
        }
        b.add(f::source_ip, sip);
        if (!sport.empty()) b.add(f::source_port, sport);
        b.add(f::destination_ip, dip);
        if (!dport.empty()) b.add(f::destination_port, dport);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_FORMAT("suricata.fast", 12, suricata_fast_parser)

}  // namespace mimamori::parse
