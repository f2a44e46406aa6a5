// Microsoft Exchange protocol logs (CSV), the mail server of many small companies that run
// their own: SMTP Receive (Frontend / Hub transport), IMAP4 and POP3.
//
//   SMTP:  date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context
//     2022-07-20T21:12:06.270Z,EXCHANGE-1\Default Frontend EXCHANGE-1,08DA4F7C11473A60,9,192.168.9.241:25,192.168.9.212:53722,>,535 5.7.3 Authentication unsuccessful,
//   IMAP4 / POP3:  dateTime,sessionId,seqNumber,sIp,cIp,user,duration,rqsize,rspsize,command,parameters,context
//     2022-07-20T21:28:50.530Z,000000000000000E,2,192.168.9.241:143,192.168.9.212:35070,testuser,168,31,31,authenticate,PLAIN,"R=""2 NO AUTHENTICATE failed."";Msg=""AuthFailed:LogonDenied,User: testuser"";ErrMsg=AuthFailed:LogonDenied",
//
// Logons become exchange_smtp_auth (the 535 / 235 replies to AUTH), exchange_imap_login and
// exchange_pop_login (authentication, success / failure; source.ip = the client). Every other
// protocol line is kept with its endpoints. The files' header lines (#Software, #Fields, …) are
// kept as events of their own.
#include <algorithm>
#include <array>
#include <string_view>

#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

const field_id k_f_session = intern("exchange.session_id");
const field_id k_f_connector = intern("exchange.connector_id");
const field_id k_f_command = intern("exchange.command");
const field_id k_f_log_type = intern("exchange.log_type");

// One CSV line into up to N fields; quoted fields may hold commas and "" for a quote (kept
// escaped in the view: the context field is only searched). False when it does not split.
template <std::size_t N>
bool split_csv(sv line, std::array<sv, N>& out, std::size_t& n) {
    n = 0;
    std::size_t pos = 0;
    while (pos <= line.size()) {
        if (n == N) return false;
        if (pos < line.size() && line[pos] == '"') {
            std::size_t i = pos + 1;
            for (;;) {
                std::size_t q = line.find('"', i);
                if (q == sv::npos) return false;
                if (q + 1 < line.size() && line[q + 1] == '"') {
                    i = q + 2;
                    continue;
                }
                out[n++] = line.substr(pos + 1, q - pos - 1);
                pos = q + 1;
                break;
            }
            if (pos < line.size() && line[pos] != ',') return false;
            ++pos;
            if (pos > line.size()) break;
            continue;
        }
        std::size_t c = line.find(',', pos);
        if (c == sv::npos) {
            out[n++] = line.substr(pos);
            break;
        }
        out[n++] = line.substr(pos, c - pos);
        pos = c + 1;
    }
    return true;
}

// "2022-07-20T21:12:06.270Z" (always UTC in these logs).
bool exchange_time(sv s, const context& ctx, timestamp_ns& ts) {
    if (s.size() < 20 || s[10] != 'T' || s.back() != 'Z') return false;
    return parse_iso(s, ctx, ts) == s.size();
}

void endpoints(event_batch& b, sv local, sv remote) {
    sv ip, port;
    if (split_ip_port(remote, ip, port)) {
        b.add(f::source_ip, unmap_ipv4(ip));
        b.add(f::source_port, port);
    }
    if (split_ip_port(local, ip, port)) {
        b.add(f::destination_ip, unmap_ipv4(ip));
        b.add(f::destination_port, port);
    }
}

void logon(event_batch& b, sv action, bool ok) {
    b.add(f::event_category, "authentication");
    b.add(f::event_action, action);
    b.add(f::event_outcome, ok ? "success" : "failure");
}

class exchange_parser final : public line_parser {
public:
    sv name() const override { return "exchange"; }

    parse_status parse(sv line, const context& ctx, event_batch& b, event& e, sv& why) override {
        if (!line.empty() && line[0] == '#') return header(line, ctx, b, e);
        if (line.size() < 40 || !is_digit(line[0]) || line[4] != '-' || line[10] != 'T') return parse_status::not_mine;
        std::array<sv, 13> t{};
        std::size_t n = 0;
        const bool split = split_csv(line, t, n);
        timestamp_ns ts = k_no_time;
        if (n == 0 || !exchange_time(t[0], ctx, ts)) return parse_status::not_mine;
        sv ip, port;
        if (split && n == 9 && split_ip_port(t[4], ip, port)) return smtp(t, ts, b, e);
        // IMAP4 / POP3: 12 fields, 13 where a later version adds one after the context.
        if (split && (n == 12 || n == 13) && split_ip_port(t[3], ip, port)) return imap_pop(t, ts, b, e);
        // An Exchange time and CSV, but not a layout we know (or a broken quote).
        if (n >= 5 && line.find(',') == 24) {
            why = "Exchange protocol log line whose fields are not the SMTP Receive, IMAP4 or POP3 layout";
            return parse_status::malformed;
        }
        return parse_status::not_mine;
    }

private:
    static parse_status header(sv line, const context& ctx, event_batch& b, event& e) {
        sv body = line.substr(1);
        std::size_t colon = body.find(": ");
        if (colon == sv::npos) return parse_status::not_mine;
        sv key = body.substr(0, colon), value = trim(body.substr(colon + 2));
        // "#Version" and "#Date" are IIS's header lines too: only Exchange's forms are claimed
        // (a four-part version such as 15.01.2507.006, a UTC time with 'T' and 'Z').
        timestamp_ns ts = k_no_time;
        const bool ours = (key == "Software" && value.starts_with("Microsoft Exchange")) || key == "Log-type" ||
                          (key == "Fields" && (value.starts_with("date-time,connector-id") || value.starts_with("dateTime,sessionId"))) ||
                          (key == "Version" && std::count(value.begin(), value.end(), '.') == 3) ||
                          (key == "Date" && exchange_time(value, ctx, ts));
        if (!ours) return parse_status::not_mine;
        e.ts = ts != k_no_time ? ts : ctx.reference_time;
        e.source_type = "exchange";
        if (key == "Log-type" && !value.empty()) b.add(k_f_log_type, value);
        b.add(f::message, line);
        return parse_status::ok;
    }

    static parse_status smtp(const std::array<sv, 13>& t, timestamp_ns ts, event_batch& b, event& e) {
        sv connector = t[1], session = t[2], local = t[4], remote = t[5], ev = t[6], data = t[7];
        e.ts = ts;
        e.source_type = "exchange.smtp";
        b.add(f::network_protocol, "smtp");
        if (!connector.empty()) b.add(k_f_connector, connector);
        if (!session.empty()) b.add(k_f_session, session);
        endpoints(b, local, remote);
        // ">" is the server's reply: 535 refuses an AUTH, 235 accepts it.
        if (ev == ">" && data.starts_with("535 ")) logon(b, "exchange_smtp_auth", false);
        else if (ev == ">" && data.starts_with("235 ")) logon(b, "exchange_smtp_auth", true);
        if (data.starts_with("535 ")) b.add(f::event_reason, data);
        if (!data.empty()) b.add(f::message, data);
        return parse_status::ok;
    }

    static parse_status imap_pop(const std::array<sv, 13>& t, timestamp_ns ts, event_batch& b, event& e) {
        sv session = t[1], local = t[3], remote = t[4], user = t[5], command = t[9], ctx_field = t[11];
        // The reply ("R=…") tells the protocols apart: POP3's start with +OK / -ERR.
        const bool pop = ctx_field.find("R=\"\"+OK") != sv::npos || ctx_field.find("R=\"\"-ERR") != sv::npos;
        e.ts = ts;
        e.source_type = pop ? "exchange.pop" : "exchange.imap";
        b.add(f::network_protocol, pop ? "pop3" : "imap");
        if (!session.empty()) b.add(k_f_session, session);
        endpoints(b, local, remote);
        if (!user.empty()) b.add(f::user_name, user);
        if (!command.empty()) b.add(k_f_command, command);
        const bool user_command = iequals(command, "user");
        const bool auth_command = user_command || iequals(command, "login") || iequals(command, "authenticate") ||
                                  iequals(command, "auth") || iequals(command, "pass") || iequals(command, "apop");
        const bool failed = ctx_field.find("AuthFailed") != sv::npos;
        const bool passed = !failed && auth_command &&
                            (ctx_field.find("R=\"\"+OK") != sv::npos || ctx_field.find(" OK ") != sv::npos);
        if (failed || (passed && !user_command)) logon(b, pop ? "exchange_pop_login" : "exchange_imap_login", passed);
        if (failed) {
            // "ErrMsg=AuthFailed:LogonDenied"
            std::size_t k = ctx_field.find("ErrMsg=");
            if (k != sv::npos) {
                sv reason = ctx_field.substr(k + 7);
                reason = reason.substr(0, reason.find(';'));
                if (!reason.empty()) b.add(f::event_reason, reason);
            }
        }
        if (!ctx_field.empty()) b.add(f::message, ctx_field);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_FORMAT("exchange", 17, exchange_parser)

}  // namespace mimamori::parse
