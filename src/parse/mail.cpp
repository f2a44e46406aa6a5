// Message parsers for mail servers inside a syslog envelope: Postfix (smtpd, postscreen and the
// queue programs; tags "postfix/…", "postfix/smtps/smtpd" …) and Dovecot (login processes and
// the auth service). Enough for SMTP/IMAP/POP3 password guessing, relay probing and spam
// detection: who connected from where, which logins failed, which mail was rejected.
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"

namespace mimamori::parse {
namespace {

using txt::consume;
using txt::starts_with;
using txt::sv;

constexpr sv k_postfix = "mail.postfix";
constexpr sv k_dovecot = "mail.dovecot";

constexpr sv k_success = "success";
constexpr sv k_failure = "failure";
constexpr sv k_unknown = "unknown";

const field_id k_f_queue_id = intern("postfix.queue_id");
const field_id k_f_helo = intern("postfix.helo");
const field_id k_f_status = intern("postfix.status");
const field_id k_f_relay = intern("postfix.relay");
const field_id k_f_sasl_method = intern("postfix.sasl_method");
const field_id k_f_dnsbl_rank = intern("postfix.dnsbl_rank");
const field_id k_f_command = intern("postfix.command");
const field_id k_f_dc_method = intern("dovecot.method");
const field_id k_f_dc_session = intern("dovecot.session");
const field_id k_f_dc_attempts = intern("dovecot.auth_attempts");
const field_id k_f_dc_driver = intern("dovecot.passdb");

inline void mark(event_batch& b, sv category, sv action, sv outcome) {
    if (!category.empty()) b.add(f::event_category, category);
    b.add(f::event_action, action);
    b.add(f::event_outcome, outcome);
}

// "host[IP]" at the start of s (IPv6 possibly as "[IPv6:…]"); s moves past ']'.
bool host_ip(sv& s, sv& host, sv& ip) {
    std::size_t open = s.find('[');
    if (open == sv::npos || open > 255) return false;
    std::size_t close = s.find(']', open);
    if (close == sv::npos) return false;
    host = s.substr(0, open);
    ip = s.substr(open + 1, close - open - 1);
    consume(ip, "IPv6:");
    if (!txt::looks_ip(ip)) return false;
    s.remove_prefix(close + 1);
    return true;
}

void add_client(event_batch& b, sv host, sv ip) {
    b.add(f::source_ip, ip);
    if (!host.empty() && host != "unknown" && host != ip) b.add(f::source_domain, host);
}

// "[IP]:PORT" at the start of s (postscreen); s moves past the port.
bool bracket_ip_port(sv& s, event_batch& b) {
    if (!consume(s, "[")) return false;
    std::size_t close = s.find(']');
    if (close == sv::npos) return false;
    sv ip = s.substr(0, close);
    if (!txt::looks_ip(ip)) return false;
    s.remove_prefix(close + 1);
    b.add(f::source_ip, ip);
    if (consume(s, ":")) add_source_port(b, txt::take_digits(s));
    return true;
}

// An address between angle brackets: "<a@b>" → "a@b" ("" for the null sender "<>").
sv angle(sv v) {
    if (v.size() >= 2 && v.front() == '<' && v.back() == '>') return v.substr(1, v.size() - 2);
    return v;
}

// The value of key ("from=") in "… from=<a> to=<b> proto=ESMTP helo=<h>" or the comma form
// "from=<a>, to=<b>". Values in <> may contain spaces and commas.
sv kv_mail(sv s, sv key) {
    std::size_t pos = 0;
    while ((pos = s.find(key, pos)) != sv::npos) {
        if (pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == ';') {
            sv v = s.substr(pos + key.size());
            if (!v.empty() && v[0] == '<') {
                std::size_t end = v.find('>');
                return end == sv::npos ? v : v.substr(0, end + 1);
            }
            if (!v.empty() && v[0] == '(') {
                std::size_t end = v.rfind(')');
                return end == sv::npos ? v : v.substr(0, end + 1);
            }
            return v.substr(0, v.find_first_of(", "));
        }
        pos += key.size();
    }
    return {};
}

void add_envelope(event_batch& b, sv kv) {
    add_if(b, f::email_from, angle(kv_mail(kv, "from=")));
    add_if(b, f::email_to, angle(kv_mail(kv, "to=")));
    add_if(b, k_f_helo, angle(kv_mail(kv, "helo=")));
}

// "NOQUEUE: reject: RCPT from host[IP]: 554 5.7.1 <x>: Relay access denied; from=<a> to=<b> …"
bool parse_reject(sv m, event_batch& b) {
    if (!consume(m, "reject: ")) return false;
    sv command = txt::take_until(m, ' ');
    if (!consume(m, "from ")) return false;
    sv host, ip;
    if (starts_with(m, "[")) {
        sv r = m;
        if (!bracket_ip_port(r, b)) return false;
        m = r;
    } else {
        if (!host_ip(m, host, ip)) return false;
        add_client(b, host, ip);
    }
    mark(b, "email", "smtp_reject", k_failure);
    b.add(f::network_protocol, "smtp");
    add_if(b, k_f_command, command);
    consume(m, ": ");
    sv reason = m.substr(0, m.find("; "));
    add_if(b, f::event_reason, reason);
    // "554 5.7.1 …": reply code and enhanced status code
    sv code = reason.substr(0, reason.find(' '));
    if (txt::all_digits(code) && code.size() == 3) b.add(f::event_code, code);
    std::size_t semi = m.find("; ");
    if (semi != sv::npos) add_envelope(b, m.substr(semi + 2));
    return true;
}

// "… after CMD from host[IP]" (lost connection, timeout, too many errors …)
bool after_from(sv m, sv prefix, sv action, sv outcome, event_batch& b) {
    if (!consume(m, prefix)) return false;
    std::size_t at = m.find(" from ");
    if (at == sv::npos) return false;
    sv r = m.substr(at + 6);
    sv host, ip;
    if (!host_ip(r, host, ip)) return false;
    mark(b, "network", action, outcome);
    b.add(f::network_protocol, "smtp");
    add_client(b, host, ip);
    sv what = m.substr(0, at);
    if (consume(what, "after ")) add_if(b, k_f_command, what);
    return true;
}

void parse_smtpd(sv m, event_batch& b) {
    sv host, ip;
    if (consume(m, "connect from ")) {
        if (!host_ip(m, host, ip)) return;
        mark(b, "network", "smtp_connect", k_unknown);
        b.add(f::network_protocol, "smtp");
        add_client(b, host, ip);
        return;
    }
    if (consume(m, "disconnect from ")) {
        if (!host_ip(m, host, ip)) return;
        // "… ehlo=1 auth=0/1 quit=1 commands=2/3": a failed AUTH shows as auth=ok/tried
        sv auth = txt::kv_space(txt::ltrim(m), "auth=");
        sv outcome = k_unknown;
        if (!auth.empty()) {
            sv okn = auth.substr(0, auth.find('/'));
            sv tried = auth.find('/') == sv::npos ? okn : auth.substr(auth.find('/') + 1);
            outcome = okn == tried ? k_success : k_failure;
        }
        mark(b, "network", "smtp_disconnect", outcome);
        b.add(f::network_protocol, "smtp");
        add_client(b, host, ip);
        return;
    }
    if (after_from(m, "lost connection ", "smtp_lost_connection", k_unknown, b)) return;
    if (after_from(m, "timeout ", "smtp_timeout", k_failure, b)) return;
    if (after_from(m, "too many errors ", "smtp_too_many_errors", k_failure, b)) return;
    if (after_from(m, "improper command pipelining ", "smtp_pipelining", k_failure, b)) return;
    if (consume(m, "warning: ")) {
        if (consume(m, "non-SMTP command from ")) {
            if (!host_ip(m, host, ip)) return;
            mark(b, "network", "smtp_non_smtp_command", k_failure);
            b.add(f::network_protocol, "smtp");
            add_client(b, host, ip);
            consume(m, ": ");
            add_if(b, k_f_command, m);
            return;
        }
        if (consume(m, "hostname ")) {
            // "hostname X does not resolve to address IP[: reason]"
            sv name = txt::take_until(m, ' ');
            if (!consume(m, "does not resolve to address ")) return;
            sv a = m.substr(0, m.find_first_of(": "));
            if (!txt::looks_ip(a)) return;
            mark(b, "network", "smtp_dns_mismatch", k_unknown);
            b.add(f::source_ip, a);
            add_if(b, f::source_domain, name);
            return;
        }
        if (consume(m, "Connection rate limit exceeded: ")) {
            std::size_t at = m.find(" from ");
            if (at == sv::npos) return;
            sv r = m.substr(at + 6);
            if (!host_ip(r, host, ip)) return;
            mark(b, "network", "smtp_rate_limit", k_failure);
            add_client(b, host, ip);
            return;
        }
        // "unknown[IP]: SASL LOGIN authentication failed: reason[, sasl_username=x]"
        if (!host_ip(m, host, ip) || !consume(m, ": SASL ")) return;
        sv method = txt::take_until(m, ' ');
        if (!consume(m, "authentication failed")) return;
        mark(b, "authentication", "sasl_auth_failure", k_failure);
        b.add(f::network_protocol, "smtp");
        add_client(b, host, ip);
        add_if(b, k_f_sasl_method, method);
        consume(m, ": ");
        sv user = kv_mail(m, "sasl_username=");
        std::size_t at = m.find(", sasl_username=");
        add_if(b, f::event_reason, m.substr(0, at));
        add_if(b, f::user_name, user);
        return;
    }
    if (consume(m, "SSL_accept error from ")) {
        if (!host_ip(m, host, ip)) return;
        mark(b, "network", "smtp_tls_error", k_failure);
        add_client(b, host, ip);
        return;
    }
    if (consume(m, "NOQUEUE: ")) {
        parse_reject(m, b);
        return;
    }
    // "4F1A2B3C: client=host[IP], sasl_method=PLAIN, sasl_username=bob"
    std::size_t colon = m.find(": ");
    if (colon == sv::npos || colon < 5 || colon > 20) return;
    sv qid = m.substr(0, colon);
    sv r = m.substr(colon + 2);
    if (consume(r, "client=")) {
        if (!host_ip(r, host, ip)) return;
        sv user = kv_mail(r, "sasl_username=");
        if (!user.empty()) {
            mark(b, "authentication", "sasl_auth_success", k_success);
            b.add(f::user_name, user);
            add_if(b, k_f_sasl_method, kv_mail(r, "sasl_method="));
        } else {
            mark(b, "email", "smtp_client", k_unknown);
        }
        b.add(f::network_protocol, "smtp");
        add_client(b, host, ip);
        b.add(k_f_queue_id, qid);
        return;
    }
    if (parse_reject(r, b)) b.add(k_f_queue_id, qid);
}

struct screen_verb {
    sv prefix;
    sv action;
    sv outcome;
};
constexpr screen_verb k_screen[] = {
    {"CONNECT from ", "postscreen_connect", k_unknown},
    {"PREGREET ", "postscreen_pregreet", k_failure},
    {"DNSBL rank ", "postscreen_dnsbl", k_failure},
    {"HANGUP ", "postscreen_hangup", k_failure},
    {"COMMAND PIPELINING ", "postscreen_pipelining", k_failure},
    {"NON-SMTP COMMAND ", "postscreen_non_smtp", k_failure},
    {"BARE NEWLINE ", "postscreen_bare_newline", k_failure},
    {"COMMAND TIME LIMIT ", "postscreen_time_limit", k_failure},
    {"COMMAND COUNT LIMIT ", "postscreen_count_limit", k_failure},
    {"COMMAND LENGTH LIMIT ", "postscreen_length_limit", k_failure},
    {"PASS NEW ", "postscreen_pass", k_success},
    {"PASS OLD ", "postscreen_pass", k_success},
    {"WHITELISTED ", "postscreen_allowlisted", k_success},
    {"ALLOWLISTED ", "postscreen_allowlisted", k_success},
    {"BLACKLISTED ", "postscreen_denylisted", k_failure},
    {"DENYLISTED ", "postscreen_denylisted", k_failure},
    {"WHITELIST VETO ", "postscreen_allowlist_veto", k_failure},
    {"ALLOWLIST VETO ", "postscreen_allowlist_veto", k_failure},
    {"DISCONNECT ", "postscreen_disconnect", k_unknown},
};

void parse_postscreen(sv m, event_batch& b) {
    if (consume(m, "NOQUEUE: ")) {
        parse_reject(m, b);
        return;
    }
    for (const auto& v : k_screen) {
        if (!starts_with(m, v.prefix)) continue;
        sv r = m.substr(v.prefix.size());
        // the client is the first "[IP]:PORT"
        std::size_t at = r.find('[');
        if (at == sv::npos) return;
        sv head = r.substr(0, at);
        r.remove_prefix(at);
        if (!bracket_ip_port(r, b)) return;
        mark(b, "network", v.action, v.outcome);
        b.add(f::network_protocol, "smtp");
        if (v.action == "postscreen_dnsbl") {
            sv rank = txt::take_digits(head);
            if (!rank.empty()) b.add(k_f_dnsbl_rank, rank, value_kind::number);
        }
        if (consume(r, ": ") || consume(r, " after ")) add_if(b, f::event_reason, r);
        return;
    }
}

// qmgr / cleanup / smtp / local …: "QUEUEID: from=<a>, size=1, nrcpt=1 (queue active)",
// "QUEUEID: to=<b>, relay=x[1.2.3.4]:25, delay=1, dsn=2.0.0, status=sent (250 OK)".
void parse_queue(sv m, event_batch& b) {
    std::size_t colon = m.find(": ");
    if (colon == sv::npos || colon < 5 || colon > 20) return;
    sv qid = m.substr(0, colon);
    for (char c : qid)
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return;
    sv r = m.substr(colon + 2);
    if (starts_with(r, "to=")) {
        sv status = kv_mail(r, "status=");
        sv outcome = status == "sent"       ? k_success
                     : status == "bounced"  ? k_failure
                     : status == "expired"  ? k_failure
                                            : k_unknown;
        mark(b, "email", "mail_delivery", outcome);
        add_if(b, f::email_to, angle(kv_mail(r, "to=")));
        add_if(b, k_f_relay, kv_mail(r, "relay="));
        add_if(b, k_f_status, status);
        b.add(k_f_queue_id, qid);
        return;
    }
    if (starts_with(r, "from=")) {
        mark(b, "email", "mail_queued", k_success);
        add_if(b, f::email_from, angle(kv_mail(r, "from=")));
        b.add(k_f_queue_id, qid);
        return;
    }
    if (consume(r, "message-id=")) {
        add_if(b, f::email_message_id, angle(txt::rtrim(r)));
        b.add(f::event_action, "mail_message_id");
        b.add(k_f_queue_id, qid);
        return;
    }
    if (parse_reject(r, b)) b.add(k_f_queue_id, qid);
}

parse_status parse_postfix(const syslog_envelope& env, sv msg, const context&, event_batch& b,
                           event& e, sv&) {
    e.source_type = k_postfix;
    sv prog = env.program;
    sv comp = prog.substr(prog.rfind('/') + 1);
    if (comp == "smtpd") parse_smtpd(msg, b);
    else if (comp == "postscreen") parse_postscreen(msg, b);
    else parse_queue(msg, b);
    return parse_status::ok;
}

// ---------------------------------------------------------------------------------------------
// Dovecot

sv protocol_of(sv service) {
    if (starts_with(service, "imap")) return "imap";
    if (starts_with(service, "pop3")) return "pop3";
    if (starts_with(service, "submission")) return "smtp";
    if (starts_with(service, "managesieve")) return "managesieve";
    if (starts_with(service, "lmtp")) return "lmtp";
    return {};
}

// "Login: user=<u>, method=PLAIN, rip=IP, lip=IP, mpid=1, TLS, session=<x>" and
// "Disconnected (auth failed, 1 attempts in 6 secs): user=<u>, …" from *-login processes.
void parse_login_proc(sv service, sv m, event_batch& b) {
    std::size_t kv_at = m.find("user=<");
    if (kv_at == sv::npos) kv_at = m.find("rip=");
    if (kv_at == sv::npos) return;
    sv head = m.substr(0, kv_at);
    sv kv = m.substr(kv_at);
    txt::consume_suffix(head, " ");
    txt::consume_suffix(head, ":");
    sv action = "mail_login", outcome;
    std::size_t failed = head.find("(auth failed");
    if (starts_with(head, "Login")) {
        outcome = k_success;
    } else if (failed != sv::npos) {
        outcome = k_failure;
        sv r = head.substr(failed + 12);  // after "(auth failed"; may be all there is
        consume(r, ",");
        consume(r, " ");
        sv n = txt::take_digits(r);
        if (!n.empty()) b.add(k_f_dc_attempts, n, value_kind::number);
    } else if (head.find("disallowed plaintext") != sv::npos ||
               head.find("disabled plaintext") != sv::npos ||
               starts_with(head, "Maximum number of connections")) {
        outcome = k_failure;
    } else {
        action = "mail_disconnected";
        outcome = k_unknown;
    }
    mark(b, outcome == k_unknown ? "network" : "authentication", action, outcome);
    add_if(b, f::network_protocol, protocol_of(service));
    if (outcome != k_success) add_if(b, f::event_reason, head);
    add_if(b, f::user_name, angle(kv_mail(kv, "user=")));
    sv rip = kv_mail(kv, "rip=");
    if (txt::looks_ip(rip)) b.add(f::source_ip, rip);
    sv lip = kv_mail(kv, "lip=");
    if (txt::looks_ip(lip)) b.add(f::destination_ip, lip);
    add_if(b, k_f_dc_method, kv_mail(kv, "method="));
    add_if(b, k_f_dc_session, angle(kv_mail(kv, "session=")));
}

// auth / auth-worker: "… pam(toto,1.1.1.1,<sess>): unknown user", "sql(x,IP): Password mismatch"
bool parse_auth_worker(sv m, event_batch& b) {
    std::size_t pos = 0;
    while ((pos = m.find("): ", pos)) != sv::npos) {
        std::size_t open = m.rfind('(', pos);
        if (open == sv::npos || open == 0) {
            pos += 3;
            continue;
        }
        sv inside = m.substr(open + 1, pos - open - 1);
        std::size_t c1 = inside.find(',');
        if (c1 != sv::npos) {
            sv user = inside.substr(0, c1);
            sv rest = inside.substr(c1 + 1);
            sv ip = rest.substr(0, rest.find(','));
            if (txt::looks_ip(ip)) {
                std::size_t d0 = m.find_last_of(" :", open - 1);
                sv driver = m.substr(d0 == sv::npos ? 0 : d0 + 1, open - (d0 == sv::npos ? 0 : d0 + 1));
                sv reason = m.substr(pos + 3);
                bool unknown_user = starts_with(reason, "unknown user");
                bool failed = unknown_user || reason.find("failed") != sv::npos ||
                              reason.find("mismatch") != sv::npos ||
                              reason.find("Mismatch") != sv::npos;
                mark(b, "authentication", unknown_user ? "mail_auth_unknown_user" : "mail_auth",
                     failed ? k_failure : k_unknown);
                add_if(b, f::user_name, user);
                b.add(f::source_ip, ip);
                add_if(b, k_f_dc_driver, driver);
                // never keep what follows "given password" — it can be the password itself
                std::size_t pw = reason.find(" (given password");
                if (pw == sv::npos) pw = reason.find(" (SHA1 of given password");
                add_if(b, f::event_reason, reason.substr(0, pw));
                return true;
            }
        }
        pos += 3;
    }
    return false;
}

parse_status parse_dovecot(const syslog_envelope& env, sv msg, const context&, event_batch& b,
                           event& e, sv&) {
    e.source_type = k_dovecot;
    sv m = msg;
    sv service;
    if (txt::ends_with(env.program, "-login")) {
        service = env.program;
    } else {
        // "imap-login: …", "auth-worker(123): …", "auth: …", "imap(user)<pid><sess>: …"
        std::size_t colon = m.find(": ");
        if (colon == sv::npos || colon > 64) return parse_status::ok;
        service = m.substr(0, colon);
        m.remove_prefix(colon + 2);
    }
    if (!consume(m, "Info: ") && !consume(m, "Warning: ")) consume(m, "Error: ");
    if (txt::ends_with(service, "-login")) {
        parse_login_proc(service, m, b);
        return parse_status::ok;
    }
    if (starts_with(service, "auth")) parse_auth_worker(m, b);
    return parse_status::ok;
}

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(postfix, "postfix", 50, parse_postfix)
MIMAMORI_REGISTER_MESSAGE_PARSER(dovecot, "dovecot", 50, parse_dovecot)
MIMAMORI_REGISTER_MESSAGE_PARSER(imap_login, "imap-login", 50, parse_dovecot)
MIMAMORI_REGISTER_MESSAGE_PARSER(pop3_login, "pop3-login", 50, parse_dovecot)
MIMAMORI_REGISTER_MESSAGE_PARSER(submission_login, "submission-login", 50, parse_dovecot)
MIMAMORI_REGISTER_MESSAGE_PARSER(managesieve_login, "managesieve-login", 50, parse_dovecot)

}  // namespace mimamori::parse
