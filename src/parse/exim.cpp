// Exim, Debian's default mail server (and cPanel's): its main log, or syslog tags exim / exim4.
//
//   2022-06-29 16:04:05 dovecot_login authenticator failed for ([1.2.3.5]) [1.2.3.4]:55379: 535 Incorrect authentication data (set_id=info@test.com)
//   2022-06-29 14:34:58 H=imfo.test.biz [1.2.3.4]:35328 X=TLS1.2:… F=<jack@test.biz> rejected RCPT <sales@toto.com.au>: No Such User Here
//   2024-03-01 10:00:01 1rg0Zz-0004Hk-2B <= alice@example.jp H=pc12 [192.168.1.12] P=esmtpsa A=dovecot_plain:alice S=1234
//
// A refused SMTP AUTH is `smtp_auth` (authentication, failure; user.name from set_id, source.ip
// the client); refused recipients, senders and connections are `smtp_reject` (email, failure);
// other lines are kept with the client's address when they name one.
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using txt::sv;

const field_id k_f_message_id = intern("exim.message_id");

// Exim's message ids: "1rg0Zz-0004Hk-2B" (6-6-2) and, since 4.97, 6-11-4.
bool is_message_id(sv t) {
    auto alnum = [](sv s) {
        for (char c : s)
            if (!scan::is_digit(c) && !scan::is_alpha(c)) return false;
        return !s.empty();
    };
    if (t.size() == 16 && t[6] == '-' && t[13] == '-') return alnum(t.substr(0, 6)) && alnum(t.substr(7, 6)) && alnum(t.substr(14));
    if (t.size() == 23 && t[6] == '-' && t[18] == '-') return alnum(t.substr(0, 6)) && alnum(t.substr(7, 11)) && alnum(t.substr(19));
    return false;
}

// The client: the last "[address]" directly followed by ':' (a port or the reply) or by the end
// of the H= part; "([1.2.3.5])" is the name the client gave (HELO), not its address.
sv client_address(sv m) {
    sv found;
    std::size_t pos = 0;
    while ((pos = m.find('[', pos)) != sv::npos) {
        std::size_t close = m.find(']', pos);
        if (close == sv::npos) break;
        sv inside = m.substr(pos + 1, close - pos - 1);
        const bool helo = pos > 0 && m[pos - 1] == '(';
        if (!helo && is_ip(inside)) {
            found = inside;
            if (close + 1 < m.size() && m[close + 1] == ':') break;  // "[ip]:port" — the one
        }
        pos = close + 1;
    }
    return found;
}

// Known shapes of Exim's lines after the time. False when it is none of them.
bool exim_message(sv m, event_batch& b) {
    sv first = m.substr(0, m.find(' '));
    const bool with_id = is_message_id(first);
    const bool known = with_id || m.find(" authenticator failed for ") != sv::npos || txt::starts_with(m, "H=") ||
                       txt::starts_with(m, "SMTP connection from ") || txt::starts_with(m, "SMTP protocol") ||
                       txt::starts_with(m, "no host name found") || txt::starts_with(m, "Start queue run") ||
                       txt::starts_with(m, "End queue run") || txt::starts_with(m, "TLS error on connection") ||
                       txt::starts_with(m, "rejected ") || (txt::starts_with(m, "exim ") && m.find(" daemon started") != sv::npos);
    if (!known) return false;
    if (with_id) b.add(k_f_message_id, first);
    sv ip = client_address(m);
    if (std::size_t k = m.find(" authenticator failed for "); k != sv::npos) {
        b.add(f::event_category, "authentication");
        b.add(f::event_action, "smtp_auth");
        b.add(f::event_outcome, "failure");
        if (std::size_t s = m.find("(set_id="); s != sv::npos) {
            sv user = m.substr(s + 8);
            user = user.substr(0, user.find(')'));
            if (!user.empty()) b.add(f::user_name, user);
        }
        if (std::size_t r = m.find(": 535 "); r != sv::npos) {
            sv reason = m.substr(r + 2);
            reason = reason.substr(0, reason.find(" (set_id="));
            b.add(f::event_reason, reason);
        }
    } else if (m.find(" rejected RCPT ") != sv::npos || m.find("rejected connection") != sv::npos ||
               m.find("sender verify fail") != sv::npos || m.find(" rejected MAIL ") != sv::npos ||
               m.find(" rejected EHLO") != sv::npos || m.find(" rejected HELO") != sv::npos) {
        b.add(f::event_category, "email");
        b.add(f::event_action, "smtp_reject");
        b.add(f::event_outcome, "failure");
        // The envelope addresses: "F=<sender>", "rejected RCPT <recipient>", "sender verify
        // fail for <sender>". The recipient is the account the attempt aimed at.
        auto angle_after = [&](sv key) -> sv {
            std::size_t k = m.find(key);
            if (k == sv::npos) return {};
            sv rest = m.substr(k + key.size());
            std::size_t close = rest.find('>');
            return close == sv::npos ? sv{} : rest.substr(0, close);
        };
        sv from = angle_after("F=<"), rcpt = angle_after("rejected RCPT <"), verify = angle_after("sender verify fail for <");
        if (!from.empty()) b.add(f::email_from, from);
        if (!rcpt.empty()) {
            b.add(f::email_to, rcpt);
            b.add(f::user_target_name, rcpt);
        }
        if (!verify.empty()) {
            if (verify != from) b.add(f::email_from, verify);
            b.add(f::source_user_name, verify);
        }
        std::size_t colon = m.rfind(">: ");
        if (colon == sv::npos) colon = m.find(": ");
        else ++colon;
        if (colon != sv::npos) {
            sv reason = trim(m.substr(colon + 1));
            if (!reason.empty()) b.add(f::event_reason, reason);
        }
    }
    if (!ip.empty()) b.add(f::source_ip, unmap_ipv4(ip));
    b.add(f::network_protocol, "smtp");
    return true;
}

parse_status parse_exim_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    if (!exim_message(trim(msg), b)) return parse_status::not_mine;
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = "mail.exim";
    return parse_status::ok;
}

// Exim's mainlog: "2022-06-29 16:04:05 " (local time; ".345" with millisecond logging; " +0900"
// with log_timezone) then the message.
class exim_log_parser final : public line_parser {
public:
    std::string_view name() const override { return "exim"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e, std::string_view&) override {
        if (line.size() < 24 || line[4] != '-' || line[10] != ' ' || line[13] != ':') return parse_status::not_mine;
        timestamp_ns ts = k_no_time;
        std::size_t n = scan::parse_iso(line, ctx, ts);
        if (n < 19 || n >= line.size() || line[n] != ' ') return parse_status::not_mine;
        sv m = line.substr(n + 1);
        // " +0900" / " -0500" (log_timezone = true)
        if (m.size() > 6 && (m[0] == '+' || m[0] == '-') && scan::all_digits(m.substr(1, 4)) && m[5] == ' ') {
            std::string iso(line.substr(0, n));
            iso.append(m.substr(0, 5));
            scan::parse_iso(iso, ctx, ts);
            m.remove_prefix(6);
        }
        m = trim(m);
        if (!exim_message(m, b)) return parse_status::not_mine;
        e.ts = ts;
        e.source_type = "mail.exim";
        b.add(f::process_name, "exim");
        b.add(f::message, m);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(exim, "exim", 50, parse_exim_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(exim4, "exim4", 50, parse_exim_message)
MIMAMORI_REGISTER_FORMAT("exim", 20, exim_log_parser)

}  // namespace mimamori::parse
