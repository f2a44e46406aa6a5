// Message parsers for Linux authentication programs inside a syslog envelope: OpenSSH (sshd,
// sshd-session), PAM (any program), sudo, su, login, shadow-utils account management,
// systemd-logind and cron. Every message of a program registered here becomes source_type
// "linux.auth" ("linux.cron" for cron); the forms we recognise also get ECS fields.
//
// The event.action values are listed in docs/syslog.md.
// Hot path: prefix tests on the first bytes, memchr/find, no allocation.
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"

namespace mimamori::parse {
namespace {

using txt::consume;
using txt::starts_with;
using txt::sv;

constexpr sv k_auth = "linux.auth";
constexpr sv k_cron = "linux.cron";

constexpr sv k_success = "success";
constexpr sv k_failure = "failure";
constexpr sv k_unknown = "unknown";

constexpr sv k_cat_auth = "authentication";
constexpr sv k_cat_session = "session";
constexpr sv k_cat_network = "network";
constexpr sv k_cat_iam = "iam";
constexpr sv k_cat_process = "process";
constexpr sv k_cat_host = "host";

const field_id k_f_ssh_method = intern("sshd.auth_method");
const field_id k_f_ssh_key = intern("sshd.key_fingerprint");
const field_id k_f_ssh_code = intern("sshd.disconnect_code");
const field_id k_f_pam_module = intern("pam.module");
const field_id k_f_pam_service = intern("pam.service");
const field_id k_f_pam_more = intern("pam.more_failures");
const field_id k_f_tty = intern("process.tty.name");
const field_id k_f_session = intern("logind.session_id");

// category, action, outcome: the three fields almost every recognised message gets.
inline void mark(event_batch& b, sv category, sv action, sv outcome) {
    if (!category.empty()) b.add(f::event_category, category);
    b.add(f::event_action, action);
    b.add(f::event_outcome, outcome);
}

// "IP port N<rest>" or "IP<rest>" at the start of s.
bool ip_port(sv s, sv& ip, sv& port, sv& rest) {
    std::size_t sp = s.find_first_of(" :,");
    // IPv6 contains ':' — take the word up to the first space or comma instead.
    if (sp != sv::npos && s[sp] == ':') sp = s.find_first_of(" ,");
    sv cand = s.substr(0, sp);
    if (sp != sv::npos && s[sp] == ' ' && !txt::looks_ip(cand) && cand.size() > 1 &&
        cand.back() == ':') {
        cand.remove_suffix(1);  // "IP: 11: Bye" (old OpenSSH without port)
        sp -= 1;
    }
    if (!txt::looks_ip(cand)) return false;
    ip = cand;
    rest = sp == sv::npos ? sv{} : s.substr(sp);
    port = {};
    sv r = rest;
    if (consume(r, " port ")) {
        sv d = txt::take_digits(r);
        if (!d.empty()) {
            port = d;
            rest = r;
        }
    }
    return true;
}

// "USER IP port N<rest>": the last " IP port N" whose rest is empty (need_end) or starts with
// ':' or ' '. Searching from the right keeps a user name that itself contains "1.2.3.4 port 5"
// (attacker-chosen) from being read as the address.
bool user_ip_port(sv s, sv& user, sv& ip, sv& port, sv& rest, bool need_end) {
    std::size_t pos = s.size();
    while (pos > 0) {
        pos = s.rfind(" port ", pos - 1);
        if (pos == sv::npos) return false;
        sv after = s.substr(pos + 6);
        sv d = txt::take_digits(after);
        if (d.empty() || (need_end && !after.empty()) ||
            (!after.empty() && after[0] != ':' && after[0] != ' '))
            continue;
        sv head = s.substr(0, pos);
        std::size_t sp = head.rfind(' ');
        sv cand = sp == sv::npos ? head : head.substr(sp + 1);
        if (!txt::looks_ip(cand)) continue;
        ip = cand;
        port = d;
        rest = after;
        user = sp == sv::npos ? sv{} : head.substr(0, sp);
        return true;
    }
    return false;
}

// "USER from IP[ port N]<rest>" — the last " from " followed by an address.
bool user_from(sv s, sv& user, sv& ip, sv& port, sv& rest) {
    std::size_t pos = s.size();
    while (pos > 0) {
        pos = s.rfind(" from ", pos - 1);
        if (pos == sv::npos) {
            // "Invalid user  from …" lost its first space to the caller's prefix.
            if (starts_with(s, "from ") && ip_port(s.substr(5), ip, port, rest)) {
                user = {};
                return true;
            }
            return false;
        }
        if (ip_port(s.substr(pos + 6), ip, port, rest)) {
            user = s.substr(0, pos);
            return true;
        }
    }
    return false;
}

void add_user(event_batch& b, sv user) { add_if(b, f::user_name, user); }

void add_addr(event_batch& b, sv ip, sv port) {
    if (txt::looks_ip(ip)) b.add(f::source_ip, unmap_ipv4(ip));
    add_source_port(b, port);
}

// "authenticating user X", "invalid user X", "user X" prefixes before "IP port N".
enum class who { none, authenticating, invalid, user };
who strip_who(sv& s) {
    if (consume(s, "authenticating user ")) return who::authenticating;
    if (consume(s, "invalid user ")) return who::invalid;
    if (consume(s, "user ")) return who::user;
    return who::none;
}

// ---------------------------------------------------------------------------------------------
// PAM: "MODULE(SERVICE:TYPE): TEXT" and "PAM N more authentication failures; …"

// "alice(uid=1000)" or "alice" → "alice"; "(uid=0)" → "".
sv pam_name(sv s) {
    std::size_t p = s.find_first_of("( ");
    return s.substr(0, p);
}

void pam_kv_users(event_batch& b, sv kv) {
    sv user = txt::kv_space(kv, "user=");
    sv ruser = txt::kv_space(kv, "ruser=");
    sv rhost = txt::kv_space(kv, "rhost=");
    if (!ruser.empty() && !user.empty() && ruser != user) {
        b.add(f::user_name, ruser);
        b.add(f::user_effective_name, user);
    } else {
        add_if(b, f::user_name, user.empty() ? ruser : user);
    }
    add_source_host(b, rhost);
}

// Returns true when the PAM text was recognised (fields added).
bool parse_pam(sv m, event_batch& b) {
    if (consume(m, "PAM ")) {
        // "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=X"
        if (consume(m, "service(")) {
            // "PAM service(sshd) ignoring max retries; 6 > 3": the client kept guessing
            sv service = txt::take_until(m, ')');
            if (!consume(m, " ignoring max retries")) return false;
            mark(b, k_cat_auth, "pam_max_retries", k_failure);
            add_if(b, k_f_pam_service, service);
            return true;
        }
        sv n = txt::take_digits(m);
        if (n.empty() || !consume(m, " more authentication failure")) return false;
        mark(b, k_cat_auth, "pam_more_failures", k_failure);
        b.add(k_f_pam_more, n, value_kind::number);
        pam_kv_users(b, m);
        return true;
    }
    std::size_t open = m.find('(');
    if (open == sv::npos || open == 0 || open > 32) return false;
    sv module = m.substr(0, open);
    sv rest = m.substr(open + 1);
    std::size_t close = rest.find("): ");
    if (close == sv::npos) return false;
    sv inside = rest.substr(0, close);
    sv text = rest.substr(close + 3);
    sv service = inside.substr(0, inside.find(':'));

    auto common = [&] {
        b.add(k_f_pam_module, module);
        add_if(b, k_f_pam_service, service);
    };
    if (consume(text, "authentication failure; ")) {
        mark(b, k_cat_auth, "pam_auth_failure", k_failure);
        common();
        pam_kv_users(b, text);
        return true;
    }
    if (consume(text, "session opened for user ")) {
        // "alice(uid=1000) by (uid=0)", "root(uid=0) by alice(uid=1000)", "bob by (uid=0)"
        sv user = pam_name(text);
        sv by;
        std::size_t at = text.find(" by ");
        if (at != sv::npos) by = pam_name(text.substr(at + 4));
        mark(b, k_cat_session, "session_opened", k_success);
        b.add(f::event_type, "start");
        common();
        if (!by.empty() && by != user && by != "LOGIN") {
            b.add(f::user_name, by);
            add_if(b, f::user_effective_name, user);
        } else {
            add_user(b, user);
        }
        return true;
    }
    if (consume(text, "session closed for user ")) {
        mark(b, k_cat_session, "session_closed", k_success);
        b.add(f::event_type, "end");
        common();
        add_user(b, pam_name(text));
        return true;
    }
    if (starts_with(text, "check pass; user unknown")) {
        mark(b, k_cat_auth, "pam_user_unknown", k_failure);
        b.add(f::event_reason, "user unknown");
        common();
        return true;
    }
    if (consume(text, "password changed for ")) {
        mark(b, k_cat_iam, "password_changed", k_success);
        b.add(f::event_type, "change");
        common();
        add_if(b, f::user_target_name, txt::rtrim(text));
        return true;
    }
    if (consume(text, "auth could not identify password for [")) {
        mark(b, k_cat_auth, "pam_auth_failure", k_failure);
        b.add(f::event_reason, "could not identify password");
        common();
        add_user(b, text.substr(0, text.find(']')));
        return true;
    }
    if (consume(text, "user ") && module.find("tally") != sv::npos) {
        // pam_tally2: "user zbadguy (4001) tally 6, deny 5"
        mark(b, k_cat_auth, "pam_tally", k_failure);
        common();
        add_user(b, text.substr(0, text.find(' ')));
        return true;
    }
    if (consume(text, "Consecutive login failures for user ")) {
        // pam_faillock: "… for user bob account temporarily locked"
        mark(b, k_cat_auth, "account_locked", k_failure);
        common();
        add_user(b, text.substr(0, text.find(' ')));
        return true;
    }
    if (consume(text, "received for user ")) {
        // pam_sss: "received for user bob: 7 (Authentication failure)"
        std::size_t colon = text.find(": ");
        if (colon == sv::npos) return false;
        sv code = text.substr(colon + 2);
        bool ok = starts_with(code, "0 ");
        mark(b, k_cat_auth, ok ? "pam_auth" : "pam_auth_failure", ok ? k_success : k_failure);
        common();
        add_user(b, text.substr(0, colon));
        return true;
    }
    return false;
}

// ---------------------------------------------------------------------------------------------
// OpenSSH

void sshd_body(sv m, event_batch& b) {
    m = txt::rtrim(m);
    bool preauth = txt::consume_suffix(m, " [preauth]");
    (void)preauth;
    if (!consume(m, "error: ")) consume(m, "fatal: ");
    if (m.empty()) return;
    sv user, ip, port, rest;
    switch (m[0]) {
        case 'A':
            if (consume(m, "Accepted ")) {
                // "Accepted publickey for bob from IP port N ssh2: RSA SHA256:…"
                sv method = txt::take_until(m, ' ');
                if (!consume(m, "for ") || !user_from(m, user, ip, port, rest)) return;
                mark(b, k_cat_auth, "ssh_login", k_success);
                add_user(b, user);
                add_addr(b, ip, port);
                add_if(b, k_f_ssh_method, method);
                if (consume(rest, " ssh2: ")) add_if(b, k_f_ssh_key, rest);
                return;
            }
            if (consume(m, "Address ")) {
                // "Address IP maps to HOST, but this does not map back to the address - POSSIBLE BREAK-IN ATTEMPT!"
                sv a = txt::take_until(m, ' ');
                if (!txt::looks_ip(a) || !consume(m, "maps to ")) return;
                mark(b, k_cat_network, "ssh_reverse_mapping_failed", k_unknown);
                b.add(f::source_ip, unmap_ipv4(a));
                sv host = m.substr(0, m.find(','));
                add_if(b, f::source_domain, host);
                return;
            }
            return;
        case 'F':
            if (consume(m, "Failed ")) {
                // "Failed password for [invalid user ]X from IP port N ssh2"
                sv method = txt::take_until(m, ' ');
                if (!consume(m, "for ")) return;
                bool invalid = consume(m, "invalid user ");
                if (!user_from(m, user, ip, port, rest)) return;
                mark(b, k_cat_auth, "ssh_login", k_failure);
                if (invalid) b.add(f::event_reason, "invalid user");
                add_user(b, user);
                add_addr(b, ip, port);
                add_if(b, k_f_ssh_method, method);
                return;
            }
            return;
        case 'I':
            if (consume(m, "Invalid user ")) {
                if (!user_from(m, user, ip, port, rest)) return;
                mark(b, k_cat_auth, "ssh_invalid_user", k_failure);
                add_user(b, user);
                add_addr(b, ip, port);
                return;
            }
            return;
        case 'i':
            if (consume(m, "input_userauth_request: invalid user ")) {
                mark(b, k_cat_auth, "ssh_invalid_user", k_failure);
                add_user(b, m);
            }
            return;
        case 'm':
            if (consume(m, "maximum authentication attempts exceeded for ")) {
                bool invalid = consume(m, "invalid user ");
                if (!user_from(m, user, ip, port, rest)) return;
                mark(b, k_cat_auth, "ssh_max_auth_exceeded", k_failure);
                if (invalid) b.add(f::event_reason, "invalid user");
                add_user(b, user);
                add_addr(b, ip, port);
            }
            return;
        case 'C': {
            sv action;
            if (consume(m, "Connection closed by ")) action = "ssh_connection_closed";
            else if (consume(m, "Connection reset by ")) action = "ssh_connection_reset";
            else if (consume(m, "Connection from ")) {
                // "Connection from IP port N on IP port 22 rdomain """
                if (!ip_port(m, ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_connection", k_unknown);
                add_addr(b, ip, port);
                sv dip, dport, r2;
                if (consume(rest, " on ") && ip_port(rest, dip, dport, r2)) {
                    b.add(f::destination_ip, dip);
                    if (txt::is_port(dport)) b.add(f::destination_port, dport);
                }
                return;
            } else if (consume(m, "Close session: user ")) {
                // "Close session: user X from IP port N id 0"
                if (!user_from(m, user, ip, port, rest)) return;
                mark(b, k_cat_session, "ssh_session_closed", k_success);
                b.add(f::event_type, "end");
                add_user(b, user);
                add_addr(b, ip, port);
                return;
            } else {
                return;
            }
            who w = strip_who(m);
            if (w == who::none) {
                if (!ip_port(m, ip, port, rest)) return;
                mark(b, k_cat_network, action, k_unknown);
                add_addr(b, ip, port);
                return;
            }
            if (!user_ip_port(m, user, ip, port, rest, true)) return;
            mark(b, k_cat_auth, action, w == who::user ? k_unknown : k_failure);
            if (w == who::invalid) b.add(f::event_reason, "invalid user");
            add_user(b, user);
            add_addr(b, ip, port);
            return;
        }
        case 'D':
            if (consume(m, "Disconnected from ")) {
                who w = strip_who(m);
                if (w == who::none) {
                    if (!ip_port(m, ip, port, rest)) return;
                    mark(b, k_cat_network, "ssh_disconnected", k_unknown);
                    add_addr(b, ip, port);
                    return;
                }
                if (!user_ip_port(m, user, ip, port, rest, true)) return;
                if (w == who::user) {
                    // the end of an authenticated session
                    mark(b, k_cat_session, "ssh_disconnected", k_success);
                    b.add(f::event_type, "end");
                } else {
                    mark(b, k_cat_auth, "ssh_disconnected", k_failure);
                    if (w == who::invalid) b.add(f::event_reason, "invalid user");
                }
                add_user(b, user);
                add_addr(b, ip, port);
                return;
            }
            if (consume(m, "Disconnecting: ")) {  // old OpenSSH
                mark(b, k_cat_auth, "ssh_disconnecting", k_failure);
                add_if(b, f::event_reason, m);
                return;
            }
            if (consume(m, "Disconnecting ")) {
                // "Disconnecting authenticating user X IP port N: Too many authentication failures"
                who w = strip_who(m);
                if (w == who::none) return;
                if (!user_ip_port(m, user, ip, port, rest, false)) return;
                mark(b, k_cat_auth, "ssh_disconnecting", w == who::user ? k_unknown : k_failure);
                add_user(b, user);
                add_addr(b, ip, port);
                consume(rest, ": ");
                add_if(b, f::event_reason, rest);
                return;
            }
            if (consume(m, "Did not receive identification string from ")) {
                if (!ip_port(m, ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_no_identification", k_failure);
                add_addr(b, ip, port);
                return;
            }
            return;
        case 'R':
            if (consume(m, "Received disconnect from ")) {
                // "Received disconnect from IP port N:11: Bye Bye", old: "from IP: 11: Bye Bye"
                if (!ip_port(m, ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_disconnect_received", k_unknown);
                add_addr(b, ip, port);
                consume(rest, ":");
                rest = txt::ltrim(rest);
                sv code = txt::take_digits(rest);
                if (!code.empty()) b.add(k_f_ssh_code, code, value_kind::number);
                consume(rest, ":");
                add_if(b, f::event_reason, txt::ltrim(rest));
                return;
            }
            if (starts_with(m, "Received signal ")) {
                b.add(f::event_category, k_cat_process);
                b.add(f::event_action, "ssh_server_stopped");
                return;
            }
            return;
        case 'U':
            if (consume(m, "User ")) {
                // "User X from IP not allowed because REASON", "User X not allowed because REASON"
                std::size_t at = m.rfind(" not allowed because ");
                if (at == sv::npos) return;
                sv head = m.substr(0, at);
                sv reason = m.substr(at + 21);
                mark(b, k_cat_auth, "ssh_user_not_allowed", k_failure);
                if (user_from(head, user, ip, port, rest) && rest.empty()) {
                    add_user(b, user);
                    add_addr(b, ip, port);
                } else {
                    add_user(b, head);
                }
                add_if(b, f::event_reason, reason);
                return;
            }
            if (consume(m, "Unable to negotiate with ")) {
                // "Unable to negotiate with IP port N: no matching host key type found. Their offer: …"
                if (!ip_port(m, ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_negotiation_failed", k_failure);
                add_addr(b, ip, port);
                consume(rest, ": ");
                add_if(b, f::event_reason, rest.substr(0, rest.find(". Their offer")));
                return;
            }
            return;
        case 'b':
            if (consume(m, "banner exchange: Connection from ")) {
                if (!ip_port(m, ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_bad_banner", k_failure);
                add_addr(b, ip, port);
                consume(rest, ": ");
                add_if(b, f::event_reason, rest);
            }
            return;
        case 'B':
            if (consume(m, "Bad protocol version identification ")) {
                std::size_t at = m.rfind(" from ");
                if (at == sv::npos || !ip_port(m.substr(at + 6), ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_bad_protocol_version", k_failure);
                add_addr(b, ip, port);
            }
            return;
        case 'k':
            if (consume(m, "kex_exchange_identification: ")) {
                mark(b, k_cat_network, "ssh_kex_error", k_failure);
                add_if(b, f::event_reason, m);
                return;
            }
            if (consume(m, "kex_protocol_error: ")) {
                mark(b, k_cat_network, "ssh_kex_error", k_failure);
                add_if(b, f::event_reason, m);
            }
            return;
        case 'r':
            if (consume(m, "reverse mapping checking getaddrinfo for ")) {
                // "… for HOST [IP] failed - POSSIBLE BREAK-IN ATTEMPT!"
                sv host = txt::take_until(m, ' ');
                if (!consume(m, "[")) return;
                sv a = txt::take_until(m, ']');
                if (!txt::looks_ip(a)) return;
                mark(b, k_cat_network, "ssh_reverse_mapping_failed", k_unknown);
                b.add(f::source_ip, unmap_ipv4(a));
                add_if(b, f::source_domain, host);
                return;
            }
            if (consume(m, "refused connect from ")) {
                // TCP wrappers: "refused connect from HOST (IP)"
                std::size_t open = m.rfind(" (");
                if (open == sv::npos || m.back() != ')') return;
                sv a = m.substr(open + 2, m.size() - open - 3);
                if (!txt::looks_ip(a)) return;
                mark(b, k_cat_network, "ssh_refused_connect", k_failure);
                b.add(f::source_ip, unmap_ipv4(a));
                sv host = m.substr(0, open);
                if (host != a && !host.empty() && host.find(' ') == sv::npos)
                    b.add(f::source_domain, host);
            }
            return;
        case 'T':
            if (consume(m, "Timeout before authentication for ")) {
                if (!ip_port(m, ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_preauth_timeout", k_failure);
                add_addr(b, ip, port);
            }
            return;
        case 's':
            if (consume(m, "ssh_dispatch_run_fatal: Connection from ")) {
                // "… Connection from [authenticating user X ]IP port N: message authentication code incorrect"
                who w = strip_who(m);
                bool ok = w == who::none ? ip_port(m, ip, port, rest)
                                         : user_ip_port(m, user, ip, port, rest, false);
                if (!ok) return;
                mark(b, k_cat_network, "ssh_dispatch_fatal", k_failure);
                add_user(b, user);
                add_addr(b, ip, port);
                consume(rest, ": ");
                add_if(b, f::event_reason, rest);
                return;
            }
            if (consume(m, "srclimit_penalise: ")) {
                // OpenSSH 9.8: "srclimit_penalise: ipv4: new 1.2.3.4/32 deferred penalty of 10 seconds for reason: …"
                std::size_t at = m.find(": new ");
                if (at == sv::npos) at = m.find(": ");
                if (at == sv::npos) return;
                sv r = m.substr(at);
                consume(r, ": new ");
                consume(r, ": ");
                sv a = r.substr(0, r.find_first_of("/ "));
                if (!txt::looks_ip(a)) return;
                mark(b, k_cat_network, "ssh_penalty", k_failure);
                b.add(f::source_ip, unmap_ipv4(a));
                std::size_t why = m.find("reason: ");
                if (why != sv::npos) add_if(b, f::event_reason, m.substr(why + 8));
            }
            return;
        case 'S':
            if (consume(m, "Starting session: ")) {
                // "Starting session: shell on pts/0 for bob from IP port N id 0"
                std::size_t at = m.find(" for ");
                if (at == sv::npos || !user_from(m.substr(at + 5), user, ip, port, rest)) return;
                mark(b, k_cat_session, "ssh_session_started", k_success);
                b.add(f::event_type, "start");
                add_user(b, user);
                add_addr(b, ip, port);
                return;
            }
            if (starts_with(m, "Server listening on ")) {
                b.add(f::event_category, k_cat_process);
                b.add(f::event_action, "ssh_server_listening");
            }
            return;
        case 'M':
            if (consume(m, "Magic value check failed")) {
                std::size_t at = m.rfind(" from ");
                if (at == sv::npos || !ip_port(m.substr(at + 6), ip, port, rest)) return;
                mark(b, k_cat_network, "ssh_obfuscated_handshake_failed", k_failure);
                add_addr(b, ip, port);
            }
            return;
        case 'P':
            if (consume(m, "Postponed ")) {
                sv method = txt::take_until(m, ' ');
                if (!consume(m, "for ")) return;
                bool invalid = consume(m, "invalid user ");
                if (!user_from(m, user, ip, port, rest)) return;
                mark(b, k_cat_auth, "ssh_postponed", k_unknown);
                if (invalid) b.add(f::event_reason, "invalid user");
                add_user(b, user);
                add_addr(b, ip, port);
                add_if(b, k_f_ssh_method, method);
                return;
            }
            if (consume(m, "PAM: Authentication failure for ")) {
                // old OpenSSH: "PAM: Authentication failure for [illegal user ]X from HOST"
                bool invalid = consume(m, "illegal user ");
                std::size_t at = m.rfind(" from ");
                if (at == sv::npos) return;
                mark(b, k_cat_auth, "pam_auth_failure", k_failure);
                if (invalid) b.add(f::event_reason, "invalid user");
                add_user(b, m.substr(0, at));
                add_source_host(b, m.substr(at + 6));
            }
            return;
        case 'd':
            if (consume(m, "drop connection #")) {
                // "drop connection #0 from [IP]:PORT on [IP]:22 past MaxStartups"
                std::size_t at = m.find("from [");
                if (at == sv::npos) return;
                sv r = m.substr(at + 6);
                sv a = txt::take_until(r, ']');
                if (!txt::looks_ip(a)) return;
                mark(b, k_cat_network, "ssh_connection_dropped", k_failure);
                b.add(f::source_ip, unmap_ipv4(a));
                if (consume(r, ":")) add_source_port(b, txt::take_digits(r));
                std::size_t past = m.rfind(" past ");
                if (past != sv::npos) add_if(b, f::event_reason, m.substr(past + 1));
            }
            return;
        default:
            return;
    }
}

parse_status parse_sshd(const syslog_envelope&, sv msg, const context&, event_batch& b, event& e,
                        sv&) {
    e.source_type = k_auth;
    if (msg[0] == 'p' || (msg[0] == 'P' && starts_with(msg, "PAM ")))
        if (parse_pam(msg, b)) return parse_status::ok;
    sshd_body(msg, b);
    return parse_status::ok;
}

// ---------------------------------------------------------------------------------------------
// Dropbear (the SSH server of many routers and appliances): "IP:PORT" addresses, 'quoted' users.

// "IP:PORT" or "<IP:PORT>" at the start of s (IPv6 written bare, so split at the last ':').
bool colon_addr(sv s, sv& ip, sv& port) {
    txt::consume(s, "<");
    std::size_t end = s.find_first_of(" >");
    sv a = s.substr(0, end);
    std::size_t c = a.rfind(':');
    if (c == sv::npos) return false;
    ip = a.substr(0, c);
    port = a.substr(c + 1);
    return txt::looks_ip(ip) && txt::is_port(port);
}

parse_status parse_dropbear(const syslog_envelope&, sv msg, const context&, event_batch& b,
                            event& e, sv&) {
    e.source_type = k_auth;
    sv m = msg;
    sv ip, port, user;
    bool bad = false;
    if (consume(m, "Bad password attempt for ") || consume(m, "Bad PAM password attempt for ")) {
        bad = true;
    } else if (consume(m, "Password auth succeeded for ") || consume(m, "PAM password auth succeeded for ") ||
               consume(m, "Pubkey auth succeeded for ")) {
        // success: bad stays false
    } else if (consume(m, "Login attempt for nonexistent user")) {
        std::size_t at = m.rfind(" from ");
        if (at == sv::npos || !colon_addr(m.substr(at + 6), ip, port)) return parse_status::ok;
        sv u = txt::ltrim(m.substr(0, at));
        if (u.size() >= 2 && u.front() == '\'' && u.back() == '\'') u = u.substr(1, u.size() - 2);
        mark(b, k_cat_auth, "ssh_invalid_user", k_failure);
        add_if(b, f::user_name, u);
        add_addr(b, ip, port);
        return parse_status::ok;
    } else if (consume(m, "Exit before auth")) {
        // "Exit before auth from <IP:PORT>: reason", "Exit before auth (user 'x', 3 fails): …"
        std::size_t at = m.find("from <");
        if (at == sv::npos || !colon_addr(m.substr(at + 5), ip, port)) return parse_status::ok;
        mark(b, k_cat_network, "ssh_disconnected", k_failure);
        add_addr(b, ip, port);
        std::size_t r = m.find(">: ");
        if (r != sv::npos) add_if(b, f::event_reason, m.substr(r + 3));
        return parse_status::ok;
    } else if (consume(m, "Child connection from ")) {
        if (!colon_addr(m, ip, port)) return parse_status::ok;
        mark(b, k_cat_network, "ssh_connection", k_unknown);
        add_addr(b, ip, port);
        return parse_status::ok;
    } else {
        return parse_status::ok;
    }
    // "'root' from IP:PORT", "'root' with key md5 … from IP:PORT"
    if (!consume(m, "'")) return parse_status::ok;
    std::size_t q = m.find('\'');
    if (q == sv::npos) return parse_status::ok;
    user = m.substr(0, q);
    std::size_t at = m.rfind(" from ");
    if (at == sv::npos || at < q || !colon_addr(m.substr(at + 6), ip, port)) return parse_status::ok;
    mark(b, k_cat_auth, "ssh_login", bad ? k_failure : k_success);
    add_if(b, f::user_name, user);
    add_addr(b, ip, port);
    return parse_status::ok;
}

// ---------------------------------------------------------------------------------------------
// sudo / su / login

parse_status parse_sudo(const syslog_envelope&, sv msg, const context&, event_batch& b, event& e,
                        sv&) {
    e.source_type = k_auth;
    sv m = txt::ltrim(msg);
    if (starts_with(m, "pam_")) {
        parse_pam(m, b);
        return parse_status::ok;
    }
    // "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id"
    // "alice : 3 incorrect password attempts ; TTY=pts/0 ; … ; COMMAND=/bin/bash"
    std::size_t at = m.find(" : ");
    if (at == sv::npos || at == 0) return parse_status::ok;
    sv user = m.substr(0, at);
    if (user.find(' ') != sv::npos) return parse_status::ok;
    sv r = m.substr(at + 3);
    sv tty, pwd, runas, group, cmd, reason;
    while (!r.empty()) {
        if (consume(r, "COMMAND=")) {
            cmd = r;  // the command may itself contain " ; "
            break;
        }
        sv seg;
        if (!txt::split_at(r, " ; ", seg)) {
            seg = r;
            r = {};
        }
        if (consume(seg, "TTY=")) tty = seg;
        else if (consume(seg, "PWD=")) pwd = seg;
        else if (consume(seg, "USER=")) runas = seg;
        else if (consume(seg, "GROUP=")) group = seg;
        else if (reason.empty() && seg.find('=') == sv::npos) reason = seg;
    }
    if (cmd.empty() && tty.empty() && runas.empty() && reason.empty()) return parse_status::ok;
    mark(b, k_cat_process, "sudo", reason.empty() ? k_success : k_failure);
    b.add(f::user_name, user);
    add_if(b, f::user_effective_name, runas);
    add_if(b, f::group_name, group);
    add_if(b, f::process_command_line, cmd);
    add_if(b, f::process_working_directory, pwd);
    if (tty != "unknown") add_if(b, k_f_tty, tty);
    add_if(b, f::event_reason, reason);
    return parse_status::ok;
}

parse_status parse_su(const syslog_envelope&, sv msg, const context&, event_batch& b, event& e,
                      sv&) {
    e.source_type = k_auth;
    sv m = msg;
    if (starts_with(m, "pam_")) {
        parse_pam(m, b);
        return parse_status::ok;
    }
    bool failed = consume(m, "FAILED SU ");
    if (consume(m, "(to ")) {
        // "(to root) alice on pts/0"
        sv target = txt::take_until(m, ')');
        m = txt::ltrim(m);
        sv user = m.substr(0, m.find(" on "));
        mark(b, k_cat_auth, "su", failed ? k_failure : k_success);
        add_if(b, f::user_name, user);
        add_if(b, f::user_effective_name, target);
        std::size_t on = m.find(" on ");
        if (on != sv::npos) add_if(b, k_f_tty, m.substr(on + 4));
        return parse_status::ok;
    }
    // util-linux: "FAILED su for root by alice", "Successful su for root by alice"
    bool bad = consume(m, "FAILED su for ");
    if (bad || consume(m, "Successful su for ")) {
        std::size_t by = m.find(" by ");
        if (by == sv::npos) return parse_status::ok;
        mark(b, k_cat_auth, "su", bad ? k_failure : k_success);
        add_if(b, f::user_name, m.substr(by + 4));
        add_if(b, f::user_effective_name, m.substr(0, by));
    }
    return parse_status::ok;
}

parse_status parse_login(const syslog_envelope&, sv msg, const context&, event_batch& b,
                         event& e, sv&) {
    e.source_type = k_auth;
    sv m = msg;
    if (starts_with(m, "pam_")) {
        parse_pam(m, b);
        return parse_status::ok;
    }
    if (consume(m, "FAILED LOGIN ")) {
        // "FAILED LOGIN 1 FROM tty1 FOR root, Authentication failure"
        std::size_t at = m.find(" FOR ");
        if (at == sv::npos) return parse_status::ok;
        sv r = m.substr(at + 5);
        sv user = r.substr(0, r.find(", "));
        mark(b, k_cat_auth, "login", k_failure);
        add_if(b, f::user_name, user);
        std::size_t c = r.find(", ");
        if (c != sv::npos) add_if(b, f::event_reason, r.substr(c + 2));
        return parse_status::ok;
    }
    if (consume(m, "ROOT LOGIN ON ")) {
        mark(b, k_cat_auth, "login", k_success);
        b.add(f::user_name, "root");
        add_if(b, k_f_tty, m.substr(0, m.find(' ')));
    }
    return parse_status::ok;
}

// ---------------------------------------------------------------------------------------------
// shadow-utils: useradd, usermod, userdel, groupadd, groupdel, groupmod, passwd, chpasswd,
// chage, gpasswd. Names are quoted 'x' (newer) or `x' (older).

sv quoted(sv& s) {
    if (s.empty() || (s[0] != '\'' && s[0] != '`' && s[0] != '"')) return {};
    s.remove_prefix(1);
    std::size_t end = s.find_first_of("'\"");
    sv v = s.substr(0, end);
    s = end == sv::npos ? sv{} : s.substr(end + 1);
    return v;
}

// "name=bob, UID=1001, …" → the value of key (keys are "name=", "UID=", …)
sv kv_comma(sv s, sv key) {
    std::size_t pos = 0;
    while ((pos = s.find(key, pos)) != sv::npos) {
        if (pos == 0 || s[pos - 1] == ' ') {
            sv v = s.substr(pos + key.size());
            return v.substr(0, v.find(','));
        }
        pos += key.size();
    }
    return {};
}

void iam(event_batch& b, sv action, sv type, sv outcome = k_success) {
    mark(b, k_cat_iam, action, outcome);
    b.add(f::event_type, type);
}

parse_status parse_shadow(const syslog_envelope&, sv msg, const context&, event_batch& b,
                          event& e, sv&) {
    e.source_type = k_auth;
    sv m = msg;
    if (m.empty()) return parse_status::ok;
    if (starts_with(m, "pam_")) {
        parse_pam(m, b);
        return parse_status::ok;
    }
    sv a, c;
    switch (m[0]) {
        case 'n':
            if (consume(m, "new user: ")) {
                iam(b, "user_created", "creation");
                b.add(f::event_type, "user");
                add_if(b, f::user_target_name, kv_comma(m, "name="));
                add_if(b, f::user_id, kv_comma(m, "UID="));
                return parse_status::ok;
            }
            if (consume(m, "new group: ")) {
                iam(b, "group_created", "creation");
                b.add(f::event_type, "group");
                add_if(b, f::group_name, kv_comma(m, "name="));
                return parse_status::ok;
            }
            return parse_status::ok;
        case 'a':
            if (consume(m, "add ")) {
                // "add 'bob' to group 'sudo'", "add 'bob' to shadow group 'sudo'"
                a = quoted(m);
                if (!consume(m, " to group ") && !consume(m, " to shadow group ")) return parse_status::ok;
                iam(b, "user_added_to_group", "change");
                b.add(f::event_type, "group");
                add_if(b, f::user_target_name, a);
                add_if(b, f::group_name, quoted(m));
            }
            return parse_status::ok;
        case 'd':
            if (consume(m, "delete user ")) {
                iam(b, "user_deleted", "deletion");
                b.add(f::event_type, "user");
                add_if(b, f::user_target_name, quoted(m));
                return parse_status::ok;
            }
            if (consume(m, "delete ")) {
                // "delete 'bob' from group 'sudo'", "delete 'bob' from shadow group 'sudo'"
                a = quoted(m);
                if (!consume(m, " from group ") && !consume(m, " from shadow group ")) return parse_status::ok;
                iam(b, "user_removed_from_group", "change");
                b.add(f::event_type, "group");
                add_if(b, f::user_target_name, a);
                add_if(b, f::group_name, quoted(m));
            }
            return parse_status::ok;
        case 'r':
            if (consume(m, "removed group ") || consume(m, "removed shadow group ")) {
                iam(b, "group_deleted", "deletion");
                b.add(f::event_type, "group");
                add_if(b, f::group_name, quoted(m));
            }
            return parse_status::ok;
        case 'g':
            if (consume(m, "group added to ")) {
                // "group added to /etc/group: name=devs, GID=1002"
                iam(b, "group_created", "creation");
                b.add(f::event_type, "group");
                add_if(b, f::group_name, kv_comma(m, "name="));
                return parse_status::ok;
            }
            if (consume(m, "group ")) {
                if (m.empty()) return parse_status::ok;
                if (m[0] == '\'' || m[0] == '`') {
                    // "group 'devs' removed[ from /etc/group]"
                    a = quoted(m);
                    if (!starts_with(m, " removed")) return parse_status::ok;
                    iam(b, "group_deleted", "deletion");
                    b.add(f::event_type, "group");
                    add_if(b, f::group_name, a);
                    return parse_status::ok;
                }
                if (consume(m, "changed in ")) {
                    // "group changed in /etc/group (group devs/1002, new name: dev2)"
                    std::size_t at = m.find("(group ");
                    iam(b, "group_modified", "change");
                    b.add(f::event_type, "group");
                    if (at != sv::npos) {
                        sv g = m.substr(at + 7);
                        add_if(b, f::group_name, g.substr(0, g.find_first_of("/,)")));
                    }
                }
            }
            return parse_status::ok;
        case 'c':
            if (consume(m, "change user name ")) {
                a = quoted(m);
                iam(b, "user_modified", "change");
                b.add(f::event_type, "user");
                add_if(b, f::user_target_name, a);
                return parse_status::ok;
            }
            if (consume(m, "change user ")) {
                // "change user 'bob' password", "change user 'bob' shell from 'x' to 'y'"
                a = quoted(m);
                bool pw = starts_with(m, " password");
                iam(b, pw ? "password_changed" : "user_modified", "change");
                b.add(f::event_type, "user");
                add_if(b, f::user_target_name, a);
                return parse_status::ok;
            }
            if (consume(m, "changed password expiry for ")) {
                iam(b, "user_modified", "change");
                b.add(f::event_type, "user");
                add_if(b, f::user_target_name, txt::rtrim(m));
            }
            return parse_status::ok;
        case 'l':
        case 'u':
            if (consume(m, "lock user ") || consume(m, "unlock user ")) {
                bool lock = msg[0] == 'l';
                iam(b, lock ? "user_locked" : "user_unlocked", "change");
                b.add(f::event_type, "user");
                add_if(b, f::user_target_name, quoted(m));
                return parse_status::ok;
            }
            if (consume(m, "user ")) {
                // gpasswd: "user bob added by root to group sudo", "user bob removed by root from group sudo"
                sv who_ = txt::take_until(m, ' ');
                bool added = consume(m, "added by ");
                if (!added && !consume(m, "removed by ")) return parse_status::ok;
                sv actor = txt::take_until(m, ' ');
                if (!consume(m, added ? "to group " : "from group ")) return parse_status::ok;
                iam(b, added ? "user_added_to_group" : "user_removed_from_group", "change");
                b.add(f::event_type, "group");
                add_if(b, f::user_name, actor);
                add_if(b, f::user_target_name, who_);
                add_if(b, f::group_name, txt::rtrim(m));
            }
            return parse_status::ok;
        case 'p':
            if (consume(m, "password for ")) {
                // passwd: "password for 'bob' changed by 'root'"
                a = quoted(m);
                if (!consume(m, " changed by ")) return parse_status::ok;
                c = quoted(m);
                iam(b, "password_changed", "change");
                b.add(f::event_type, "user");
                add_if(b, f::user_name, c);
                add_if(b, f::user_target_name, a);
            }
            return parse_status::ok;
        case 'f':
            if (consume(m, "failed adding user ")) {
                iam(b, "user_created", "creation", k_failure);
                b.add(f::event_type, "user");
                add_if(b, f::user_target_name, quoted(m));
            }
            return parse_status::ok;
        default:
            return parse_status::ok;
    }
}

// ---------------------------------------------------------------------------------------------
// systemd-logind

parse_status parse_logind(const syslog_envelope&, sv msg, const context&, event_batch& b,
                          event& e, sv&) {
    e.source_type = k_auth;
    sv m = msg;
    if (consume(m, "New session ")) {
        // "New session 12 of user alice."
        sv id = txt::take_until(m, ' ');
        if (!consume(m, "of user ")) return parse_status::ok;
        txt::consume_suffix(m, ".");
        mark(b, k_cat_session, "session_opened", k_success);
        b.add(f::event_type, "start");
        add_if(b, f::user_name, m);
        add_if(b, k_f_session, id);
        return parse_status::ok;
    }
    if (consume(m, "Session ")) {
        // "Session 12 logged out. Waiting for processes to exit."
        sv id = txt::take_until(m, ' ');
        if (!starts_with(m, "logged out")) return parse_status::ok;
        mark(b, k_cat_session, "session_logged_out", k_success);
        b.add(f::event_type, "end");
        add_if(b, k_f_session, id);
        return parse_status::ok;
    }
    if (consume(m, "Removed session ")) {
        txt::consume_suffix(m, ".");
        mark(b, k_cat_session, "session_removed", k_success);
        b.add(f::event_type, "end");
        add_if(b, k_f_session, m);
        return parse_status::ok;
    }
    if (starts_with(m, "System is rebooting")) {
        mark(b, k_cat_host, "system_reboot", k_success);
    } else if (starts_with(m, "System is powering down")) {
        mark(b, k_cat_host, "system_shutdown", k_success);
    }
    return parse_status::ok;
}

// ---------------------------------------------------------------------------------------------
// cron / crontab

parse_status parse_cron(const syslog_envelope&, sv msg, const context&, event_batch& b, event& e,
                        sv&) {
    e.source_type = k_cron;
    sv m = msg;
    if (starts_with(m, "pam_")) {
        parse_pam(m, b);
        return parse_status::ok;
    }
    // "(root) CMD (command)", "(root) REPLACE (root)", "(*system*) RELOAD (/etc/crontab)"
    if (!consume(m, "(")) return parse_status::ok;
    sv user = txt::take_until(m, ')');
    if (!consume(m, " ")) return parse_status::ok;
    sv verb = m.substr(0, m.find(" ("));
    sv arg;
    std::size_t open = m.find(" (");
    if (open != sv::npos) {
        arg = m.substr(open + 2);
        txt::consume_suffix(arg, ")");
    }
    auto user_ok = [&] { return !user.empty() && user[0] != '*' && user != "CRON"; };
    if (verb == "CMD") {
        mark(b, k_cat_process, "cron_command", k_success);
        b.add(f::event_type, "start");
        if (user_ok()) b.add(f::user_name, user);
        add_if(b, f::process_command_line, arg);
    } else if (verb == "REPLACE" || verb == "BEGIN EDIT" || verb == "END EDIT" || verb == "DELETE" ||
               verb == "LIST") {
        sv action = verb == "REPLACE" ? "crontab_replaced"
                    : verb == "DELETE" ? "crontab_deleted"
                    : verb == "LIST"   ? "crontab_listed"
                                       : "crontab_edit";
        mark(b, "configuration", action, k_success);
        if (user_ok()) b.add(f::user_name, user);
        add_if(b, f::user_target_name, arg);
    } else if (verb == "RELOAD") {
        b.add(f::event_action, "cron_reload");
    }
    return parse_status::ok;
}

// ---------------------------------------------------------------------------------------------
// PAM lines from any other program (systemd, login managers, FTP servers, polkit …).

parse_status sniff_pam(const syslog_envelope&, sv msg, const context&, event_batch& b, event& e,
                       sv&) {
    if (msg.size() < 12 || msg[0] != 'p' || msg[1] != 'a' || msg[2] != 'm' || msg[3] != '_')
        return parse_status::not_mine;
    if (!parse_pam(msg, b)) return parse_status::not_mine;
    e.source_type = k_auth;
    return parse_status::ok;
}

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(sshd, "sshd", 50, parse_sshd)
MIMAMORI_REGISTER_MESSAGE_PARSER(sshd_session, "sshd-session", 50, parse_sshd)
MIMAMORI_REGISTER_MESSAGE_PARSER(sshd_auth, "sshd-auth", 50, parse_sshd)
MIMAMORI_REGISTER_MESSAGE_PARSER(dropbear, "dropbear", 50, parse_dropbear)
MIMAMORI_REGISTER_MESSAGE_PARSER(sudo, "sudo", 50, parse_sudo)
MIMAMORI_REGISTER_MESSAGE_PARSER(su, "su", 50, parse_su)
MIMAMORI_REGISTER_MESSAGE_PARSER(login, "login", 50, parse_login)
MIMAMORI_REGISTER_MESSAGE_PARSER(useradd, "useradd", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(usermod, "usermod", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(userdel, "userdel", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(groupadd, "groupadd", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(groupdel, "groupdel", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(groupmod, "groupmod", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(passwd, "passwd", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(chpasswd, "chpasswd", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(chage, "chage", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(gpasswd, "gpasswd", 50, parse_shadow)
MIMAMORI_REGISTER_MESSAGE_PARSER(logind, "systemd-logind", 50, parse_logind)
MIMAMORI_REGISTER_MESSAGE_PARSER(cron_uc, "CRON", 50, parse_cron)
MIMAMORI_REGISTER_MESSAGE_PARSER(cron_lc, "cron", 50, parse_cron)
MIMAMORI_REGISTER_MESSAGE_PARSER(crond, "crond", 50, parse_cron)
MIMAMORI_REGISTER_MESSAGE_PARSER(crontab, "crontab", 50, parse_cron)
// Before the key=value sniffer (40), which would otherwise take "… ruser= rhost=… user=…".
MIMAMORI_REGISTER_MESSAGE_PARSER(pam_any, "", 20, sniff_pam)

}  // namespace mimamori::parse
