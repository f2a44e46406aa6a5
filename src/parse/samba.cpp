// Samba's authentication audit: one line per logon to a Samba file server or Samba AD domain
// controller (SMB, LDAP, Kerberos, NETLOGON), written at log level 2 of the `auth_audit` class:
//
//   Auth: [SMB2,(null)] user [WORKGROUP]\[root] at [Thu, 14 Oct 2021 15:24:12.023984 UTC]
//     with [NTLMv2] status [NT_STATUS_NO_SUCH_USER] workstation [MANTIS]
//     remote host [ipv4:172.17.0.1:44890] mapped to [WORKGROUP]\[root]. local host [ipv4:172.17.0.2:445]
//
// (one line; a successful logon says "became [DOMAIN]\[account] [SID]." instead of "mapped to
// …"). The lines arrive two ways, and both are read here:
//   - through syslog, tagged smbd, smb, samba or samba-dcerpcd: a message parser;
//   - in Samba's own log file (log.smbd, log.samba), where each message follows a header line
//     "[2021/10/14 15:24:12.023984,  2] ../../auth/auth_log.c:635(log_…)": the line format
//     "samba" reads both the header lines and the audit lines.
// Other Samba messages in its own file (indented free text) are not claimed here: they are kept
// and counted by the usual fallback, like any line no format knows.
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using txt::sv;

constexpr sv k_samba = "samba";

const field_id k_f_service = intern("samba.service");
const field_id k_f_auth = intern("samba.auth_description");
const field_id k_f_password_type = intern("samba.password_type");
const field_id k_f_status = intern("samba.status");
const field_id k_f_workstation = intern("samba.workstation");
const field_id k_f_account = intern("samba.account");
const field_id k_f_sid = intern("samba.sid");
const field_id k_f_source_file = intern("samba.source");

// The text inside "[…]" right after `key` (searched from `from`); `from` moves past the "]".
// Samba prints every value in brackets and never escapes a "]" inside one, so the first "]"
// ends the value: a user name holding "]" is cut there, which only shortens it.
sv bracket_after(sv s, sv key, std::size_t& from) {
    std::size_t k = s.find(key, from);
    if (k == sv::npos) return {};
    std::size_t open = k + key.size();
    if (open >= s.size() || s[open] != '[') return {};
    std::size_t close = s.find(']', open + 1);
    if (close == sv::npos) return {};
    from = close + 1;
    return s.substr(open + 1, close - open - 1);
}

// "[DOMAIN]\[name]" after `key`: domain and name.
bool domain_user_after(sv s, sv key, std::size_t& from, sv& domain, sv& name) {
    std::size_t at = from;
    domain = bracket_after(s, key, at);
    if (at == from || at >= s.size() || s[at] != '\\') return false;
    std::size_t after = at + 1;
    name = bracket_after(s, "", after);
    if (after == at + 1) return false;
    from = after;
    return true;
}

// "ipv4:1.2.3.4:445", "ipv6:fe80::1:445" → address and port (the port is after the last ':').
bool endpoint(sv s, sv& ip, sv& port) {
    if (!txt::consume(s, "ipv4:") && !txt::consume(s, "ipv6:")) return false;
    return split_ip_port(s, ip, port);
}

// "SMB2" → smb, "LDAP" → ldap, "Kerberos KDC" → kerberos; others have no ECS protocol name.
sv protocol_of(sv service) {
    if (txt::starts_with(service, "SMB")) return "smb";
    if (txt::starts_with(service, "LDAP")) return "ldap";
    if (txt::starts_with(service, "Kerberos")) return "kerberos";
    return {};
}

// "Thu, 14 Oct 2021 15:24:12.023984 UTC" (Samba's timeval_str: local time and the zone's
// abbreviation). UTC/GMT are exact; another abbreviation cannot be resolved reliably (CST is
// three different zones), so the time is read in the configured zone.
bool audit_time(sv s, const context& ctx, timestamp_ns& out) {
    std::size_t comma = s.find(", ");
    if (comma == sv::npos || comma > 9) return false;
    s.remove_prefix(comma + 2);
    civil_time c;
    std::size_t i = 0;
    unsigned day = 0, year = 0;
    if (s.size() < 20) return false;
    if (scan::is_digit(s[1])) {
        if (!scan::digits_at(s, 0, 2, day)) return false;
        i = 2;
    } else {
        if (!scan::digits_at(s, 0, 1, day)) return false;
        i = 1;
    }
    if (s.size() < i + 14 || s[i] != ' ') return false;
    c.day = day;
    c.month = month_from_abbrev(s.substr(i + 1, 3));
    if (c.month == 0 || s[i + 4] != ' ' || !scan::digits_at(s, i + 5, 4, year) || s[i + 9] != ' ') return false;
    c.year = static_cast<int>(year);
    i += 10;
    if (!scan::parse_hms(s, i, c) || !scan::civil_valid(c)) return false;
    sv zone = i < s.size() ? trim(s.substr(i)) : sv{};
    out = zone == "UTC" || zone == "GMT" ? scan::civil_to_ns(c, 0) : scan::local_to_ns(ctx, c);
    return true;
}

// The audit line from "Auth: [" (or "Successful AuthZ: [") on. Adds the fields and returns
// true when it is one; adds nothing otherwise. `ts` gets the line's own time when it has one.
bool parse_audit(sv m, const context& ctx, event_batch& b, timestamp_ns* ts) {
    bool authz = false;
    if (!txt::consume(m, "Auth: ")) {
        if (!txt::consume(m, "Successful AuthZ: ")) return false;
        authz = true;
    }
    std::size_t at = 0;
    sv head = bracket_after(m, "", at);  // "SMB2,(null)"
    if (at == 0) return false;
    sv service = head.substr(0, head.find(','));
    sv description = head.find(',') == sv::npos ? sv{} : head.substr(head.find(',') + 1);
    sv domain, user;
    if (!domain_user_after(m, " user ", at, domain, user)) return false;

    std::size_t from = at;
    sv when = bracket_after(m, " at ", from);
    if (ts && !when.empty()) {
        timestamp_ns t = 0;
        if (audit_time(when, ctx, t)) *ts = t;
    }
    from = at;
    sv password_type = bracket_after(m, " with ", from);
    from = at;
    sv status = bracket_after(m, " status ", from);
    from = at;
    sv workstation = bracket_after(m, " workstation ", from);
    from = at;
    sv remote = bracket_after(m, " remote host ", from);
    from = at;
    sv local = bracket_after(m, " local host ", from);
    // A successful logon names the account it became and its SID; a failed one what the name
    // was mapped to. AuthZ lines name the account as "… to [DOMAIN]\[account] with …" forms
    // that vary by version; they are successes by definition.
    sv became_domain, became, sid;
    from = at;
    if (domain_user_after(m, " became ", from, became_domain, became)) {
        std::size_t s2 = from;
        sid = bracket_after(m, " ", s2);
    }

    const bool ok = authz || status == "NT_STATUS_OK";
    b.add(f::event_category, "authentication");
    b.add(f::event_action, authz ? "samba_authorization" : "samba_logon");
    b.add(f::event_outcome, ok ? "success" : "failure");
    if (!ok && !status.empty()) b.add(f::event_reason, status);
    if (!service.empty()) b.add(k_f_service, service);
    if (auto p = protocol_of(service); !p.empty()) b.add(f::network_protocol, p);
    if (!description.empty() && description != "(null)") b.add(k_f_auth, description);
    if (!password_type.empty()) b.add(k_f_password_type, password_type);
    if (!status.empty()) b.add(k_f_status, status);
    if (!user.empty()) b.add(f::user_name, user);
    if (!domain.empty()) b.add(f::user_domain, domain);
    if (!workstation.empty()) b.add(k_f_workstation, workstation);
    if (!became.empty()) b.add(k_f_account, became);
    if (!sid.empty() && txt::starts_with(sid, "S-1-")) b.add(k_f_sid, sid);
    sv ip, port;
    if (endpoint(remote, ip, port)) {
        b.add(f::source_ip, unmap_ipv4(ip));
        b.add(f::source_port, port);
    }
    if (endpoint(local, ip, port)) {
        b.add(f::destination_ip, unmap_ipv4(ip));
        b.add(f::destination_port, port);
    }
    return true;
}

// Through syslog: the envelope has set host, program and message already.
parse_status parse_samba_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    sv m = trim(msg);
    // rsyslog writes a CR at the end of Samba's lines as "#015".
    txt::consume_suffix(m, "#015");
    // The line's own time has the year and microseconds an RFC 3164 envelope lacks.
    timestamp_ns ts = k_no_time;
    // Another Samba message (or a PAM line smbd logs): the sniffers may know it.
    if (!parse_audit(trim(m), ctx, b, &ts)) return parse_status::not_mine;
    if (ts != k_no_time) e.ts = ts;
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = k_samba;
    return parse_status::ok;
}

// "[2021/10/14 15:24:12.023984,  2] ../../auth/auth_log.c:635(log_authentication_event_human_readable)"
// (newer versions add ", pid=…, effective(…), real(…)" and a class name inside the brackets).
bool header_line(sv line, const context& ctx, event_batch& b, event& e) {
    if (line.size() < 24 || line[0] != '[' || line[5] != '/' || line[8] != '/' || line[11] != ' ') return false;
    std::size_t close = line.find(']');
    if (close == sv::npos) return false;
    sv inside = line.substr(1, close - 1);
    civil_time c;
    unsigned y = 0;
    if (!scan::digits_at(inside, 0, 4, y) || !scan::digits_at(inside, 5, 2, c.month) || !scan::digits_at(inside, 8, 2, c.day))
        return false;
    c.year = static_cast<int>(y);
    std::size_t i = 11;
    if (!scan::parse_hms(inside, i, c) || !scan::civil_valid(c)) return false;
    if (i >= inside.size() || inside[i] != ',') return false;
    sv rest = inside.substr(i + 1);
    sv level = trim(rest.substr(0, rest.find(',')));
    if (!scan::all_digits(level)) return false;
    e.ts = scan::local_to_ns(ctx, c);
    e.source_type = k_samba;
    b.add(f::log_level, level);
    sv where = trim(line.substr(close + 1));
    if (!where.empty()) b.add(k_f_source_file, where);
    return true;
}

class samba_log_parser final : public line_parser {
public:
    std::string_view name() const override { return "samba"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e,
                       std::string_view& why) override {
        if (header_line(line, ctx, b, e)) return parse_status::ok;
        sv m = trim(line);
        if (!txt::starts_with(m, "Auth: [") && !txt::starts_with(m, "Successful AuthZ: [")) return parse_status::not_mine;
        timestamp_ns ts = k_no_time;
        if (!parse_audit(m, ctx, b, &ts)) {
            why = "Samba audit line without its [service] and user [DOMAIN]\\[name] parts";
            return parse_status::malformed;
        }
        // A time Samba did not write as it does (hand-edited, cut) is not a reason to lose the
        // line: it is filed under the file's time.
        e.ts = ts != k_no_time ? ts : ctx.reference_time;
        e.source_type = k_samba;
        b.add(f::message, m);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(samba_smbd, "smbd", 50, parse_samba_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(samba_smb, "smb", 50, parse_samba_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(samba_samba, "samba", 50, parse_samba_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(samba_dcerpcd, "samba-dcerpcd", 50, parse_samba_message)
MIMAMORI_REGISTER_FORMAT("samba", 13, samba_log_parser)

}  // namespace mimamori::parse
