// FTP servers: vsftpd, ProFTPD and Pure-FTPd, the three a small company's Linux box or NAS runs
// for file exchange with customers (and the three every password-guessing bot tries).
//
// vsftpd (its own vsftpd.log, or syslog tag vsftpd with syslog_enable=YES):
//   Mon Jun  8 12:08:53 2020 [pid 27244] [user] FAIL LOGIN: Client "::ffff:93.24.101.89"
//   Mon Jun  8 12:12:43 2020 [pid 27307] [ubuntu] OK UPLOAD: Client "1.2.3.4", "/srv/a.pdf", 48213 bytes, 510.2Kbyte/sec
// ProFTPD (syslog tag proftpd, or its own SystemLog file with the time and host in front):
//   proftpd[80283]: 172.31.39.97 (1.1.1.1[1.1.1.1]) - USER sdf: no such user found from 1.1.1.1 [1.1.1.1] to 172.31.39.97:21
//   2021-05-28 18:08:34,399 mantis proftpd[498819] mantis (192.168.1.142[192.168.1.142]): USER seb (Login failed): Incorrect password
// Pure-FTPd (syslog tag pure-ftpd):
//   pure-ftpd: (?@172.21.10.2) [WARNING] Authentication failed for user [root]
//
// Logons become `ftp_login` (authentication, success / failure) with user.name and source.ip;
// transfers and file operations `ftp_upload`, `ftp_download`, `ftp_delete` … with file.path;
// connections `ftp_connect`. Every event has network.protocol ftp.
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using txt::sv;

constexpr sv k_vsftpd = "ftp.vsftpd";
constexpr sv k_proftpd = "ftp.proftpd";
constexpr sv k_pureftpd = "ftp.pureftpd";

const field_id k_f_file_size = intern("file.size");  // bytes transferred (ECS file.size)

void login(event_batch& b, bool ok, sv user, sv reason) {
    b.add(f::event_category, "authentication");
    b.add(f::event_action, "ftp_login");
    b.add(f::event_outcome, ok ? "success" : "failure");
    if (!user.empty()) b.add(f::user_name, user);
    if (!ok && !reason.empty()) b.add(f::event_reason, reason);
}

// An address as these servers print a client: IPv4, IPv6, "::ffff:1.2.3.4". A host name
// (reverse DNS on) is the client's domain instead.
void client(event_batch& b, sv host) {
    if (host.empty()) return;
    if (is_ip(host)) b.add(f::source_ip, unmap_ipv4(host));
    else if (host != "?" && host.find_first_of(" \t\"") == sv::npos) b.add(f::source_domain, host);
}

// ---- vsftpd ------------------------------------------------------------------------------------

// `[pid N] [user] VERB: Client "ip"[, "path"[, N bytes, rate]]` (vsftpd.log after the time, or
// a syslog message). False when the text is not vsftpd's.
bool vsftpd_message(sv m, event_batch& b) {
    if (txt::consume(m, "[pid ")) {
        std::size_t close = m.find("] ");
        if (close == sv::npos || !scan::all_digits(m.substr(0, close))) return false;
        m.remove_prefix(close + 2);
    }
    sv user;
    if (!m.empty() && m.front() == '[') {
        std::size_t close = m.find("] ");
        if (close == sv::npos) return false;
        user = m.substr(1, close - 1);
        m.remove_prefix(close + 2);
    }
    std::size_t colon = m.find(": Client \"");
    if (colon == sv::npos || colon > 32) return false;
    sv verb = m.substr(0, colon);
    sv rest = m.substr(colon + 10);
    std::size_t q = rest.find('"');
    if (q == sv::npos) return false;
    sv ip = rest.substr(0, q);
    rest.remove_prefix(q + 1);
    // The quoted path and, for transfers, "N bytes" after it.
    sv path, bytes;
    if (txt::consume(rest, ", \"")) {
        std::size_t end = rest.find('"');
        if (end != sv::npos) {
            path = rest.substr(0, end);
            rest.remove_prefix(end + 1);
            if (txt::consume(rest, ", ")) {
                std::size_t sp = rest.find(" bytes");
                if (sp != sv::npos && scan::all_digits(rest.substr(0, sp))) bytes = rest.substr(0, sp);
            }
        }
    }
    const bool ok = txt::consume(verb, "OK ");
    const bool fail = !ok && txt::consume(verb, "FAIL ");
    if (verb == "LOGIN" && (ok || fail)) {
        login(b, ok, user, {});
    } else if (verb == "CONNECT") {
        b.add(f::event_category, "network");
        b.add(f::event_action, "ftp_connect");
    } else if (verb == "FTP response" && txt::starts_with(path, "530 Permission denied")) {
        // With log_ftp_protocol=YES: a user on the deny list is refused at USER, before any
        // password, and no FAIL LOGIN line follows. ("530 Login incorrect." answers a FAIL
        // LOGIN that is already counted, so it stays a plain response.)
        login(b, false, user, path);
        b.add(f::event_code, "530");
    } else if (verb == "FTP command" || verb == "FTP response") {
        b.add(f::event_action, verb == "FTP command" ? "ftp_command" : "ftp_response");
        // "331 Please specify the password.": the reply code.
        if (verb == "FTP response" && path.size() >= 3 && scan::all_digits(path.substr(0, 3))) b.add(f::event_code, path.substr(0, 3));
        if (!user.empty()) b.add(f::user_name, user);
    } else if (ok || fail) {
        // UPLOAD, DOWNLOAD, MKDIR, RMDIR, DELETE, RENAME, CHMOD: ftp_upload, …
        std::string action = "ftp_";
        for (char c : verb) action.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c == ' ' ? '_' : c);
        b.add(f::event_category, "file");
        b.add(f::event_action, b.copy(action));
        b.add(f::event_outcome, ok ? "success" : "failure");
        if (!user.empty()) b.add(f::user_name, user);
    } else {
        return false;
    }
    if (!path.empty() && verb != "FTP command" && verb != "FTP response") b.add(f::file_path, path);
    if (!bytes.empty()) b.add(k_f_file_size, bytes, value_kind::number);
    client(b, ip);
    b.add(f::network_protocol, "ftp");
    return true;
}

parse_status parse_vsftpd_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    // Not vsftpd's own message (its PAM lines, "pam_unix(vsftpd:auth): …"): the sniffers may
    // know it.
    if (!vsftpd_message(trim(msg), b)) return parse_status::not_mine;
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = k_vsftpd;
    return parse_status::ok;
}

// vsftpd.log: "Mon Jun  8 12:08:53 2020 " (ctime; the day may be unpadded) then the message.
class vsftpd_log_parser final : public line_parser {
public:
    std::string_view name() const override { return "vsftpd"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e,
                       std::string_view&) override {
        if (line.size() < 30 || line[3] != ' ' || !scan::is_alpha(line[0])) return parse_status::not_mine;
        timestamp_ns ts = k_no_time;
        std::size_t n = scan::parse_bsd(line.substr(4), ctx, ts);
        // The year must follow the time (parse_bsd also reads lines without one).
        if (n == 0 || 4 + n >= line.size() || line[4 + n] != ' ' || line[4 + n - 5] != ' ') return parse_status::not_mine;
        sv m = trim(line.substr(4 + n + 1));
        if (!txt::starts_with(m, "[pid ")) return parse_status::not_mine;
        if (!vsftpd_message(m, b)) {
            // vsftpd's own line whose message we do not know: kept with its text.
            std::size_t close = m.find("] ");
            if (close == sv::npos) return parse_status::not_mine;
        }
        e.ts = ts;
        e.source_type = k_vsftpd;
        b.add(f::process_name, "vsftpd");
        b.add(f::message, m);
        return parse_status::ok;
    }
};

// ---- ProFTPD -----------------------------------------------------------------------------------

// "server (host[ip]) - message" (syslog) or "server (host[ip]): message" (SystemLog): the
// client and the message. False when it is not that shape.
bool proftpd_head(sv& m, sv& host, sv& ip) {
    std::size_t open = m.find(" (");
    if (open == sv::npos || open > 255) return false;
    std::size_t close = m.find(")", open);
    if (close == sv::npos) return false;
    sv inside = m.substr(open + 2, close - open - 2);  // "1.1.1.1[1.1.1.1]"
    std::size_t br = inside.rfind('[');
    if (br == sv::npos || inside.back() != ']') return false;
    host = inside.substr(0, br);
    ip = inside.substr(br + 1, inside.size() - br - 2);
    sv rest = m.substr(close + 1);
    if (!txt::consume(rest, " - ") && !txt::consume(rest, ": ")) return false;
    m = rest;
    return true;
}

// False (and nothing added) when m is not a session message "server (host[ip]) - …".
bool proftpd_message(sv m, event_batch& b) {
    sv host, ip;
    if (!proftpd_head(m, host, ip)) return false;
    if (txt::consume(m, "USER ")) {
        // "sdf: no such user found from …", "seb (Login failed): Incorrect password",
        // "alice: Login successful."
        std::size_t end = m.find_first_of(" :");
        sv user = m.substr(0, end);
        sv rest = end == sv::npos ? sv{} : m.substr(end);
        if (rest.find("Login successful") != sv::npos) {
            login(b, true, user, {});
        } else if (rest.find("no such user") != sv::npos) {
            login(b, false, user, "no such user");
        } else if (txt::consume(rest, " (Login failed): ")) {
            login(b, false, user, trim(rest));
        } else if (rest.find("Login failed") != sv::npos || rest.find("denied") != sv::npos) {
            login(b, false, user, trim(rest));
        }
    } else if (txt::starts_with(m, "ANONYMOUS FTP login as ")) {
        sv user = m.substr(23);
        if (!user.empty() && user.front() == '\'') {
            user.remove_prefix(1);
            user = user.substr(0, user.find('\''));
        }
        login(b, true, user, {});
    } else if (txt::starts_with(m, "Maximum login attempts") || txt::starts_with(m, "SECURITY VIOLATION")) {
        login(b, false, {}, m);
    } else if (txt::starts_with(m, "FTP session opened") || txt::starts_with(m, "FTP session closed")) {
        b.add(f::event_category, "network");
        b.add(f::event_action, m[12] == 'o' ? "ftp_connect" : "ftp_disconnect");
    }
    client(b, ip);
    if (!host.empty() && host != ip && !is_ip(host)) b.add(f::source_domain, host);
    b.add(f::network_protocol, "ftp");
    return true;
}

parse_status parse_proftpd_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    if (!proftpd_message(trim(msg), b)) return parse_status::not_mine;  // start-up, PAM, …
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = k_proftpd;
    return parse_status::ok;
}

// SystemLog: "2021-05-28 18:08:34,399 host proftpd[498819] server (client[ip]): message".
class proftpd_log_parser final : public line_parser {
public:
    std::string_view name() const override { return "proftpd"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e,
                       std::string_view&) override {
        if (line.size() < 40 || line[10] != ' ' || line[19] != ',') return parse_status::not_mine;
        timestamp_ns ts = k_no_time;
        std::string iso(line.substr(0, 23));
        iso[19] = '.';  // ",399" milliseconds
        if (scan::parse_iso(iso, ctx, ts) != 23) return parse_status::not_mine;
        sv rest = line.substr(24);
        std::size_t sp = rest.find(' ');
        if (sp == sv::npos || sp == 0) return parse_status::not_mine;
        sv host = rest.substr(0, sp);
        rest.remove_prefix(sp + 1);
        if (!txt::consume(rest, "proftpd[")) return parse_status::not_mine;
        std::size_t close = rest.find("] ");
        if (close == sv::npos || !scan::all_digits(rest.substr(0, close))) return parse_status::not_mine;
        sv pid = rest.substr(0, close);
        sv m = trim(rest.substr(close + 2));
        e.ts = ts;
        e.source_type = k_proftpd;
        b.add(f::host_name, host);
        b.add(f::process_name, "proftpd");
        if (is_uint_in(pid, 0, 4294967295ULL)) b.add(f::process_pid, pid);
        if (!m.empty()) b.add(f::message, m);
        proftpd_message(m, b);  // a line without a session is kept with its text
        return parse_status::ok;
    }
};

// ---- Pure-FTPd ---------------------------------------------------------------------------------

// "(user@host) [LEVEL] text"; user "?" before a logon.
parse_status parse_pureftpd_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    // Anything not shaped "(user@host) [LEVEL] text" is left to the sniffers.
    sv m = trim(msg);
    if (m.empty() || m.front() != '(') return parse_status::not_mine;
    std::size_t close = m.find(") [");
    if (close == sv::npos) return parse_status::not_mine;
    sv who = m.substr(1, close - 1);
    std::size_t at = who.rfind('@');
    if (at == sv::npos) return parse_status::not_mine;
    sv session_user = who.substr(0, at), host = who.substr(at + 1);
    m.remove_prefix(close + 2);
    std::size_t lvl_end = m.find("] ");
    if (lvl_end == sv::npos) return parse_status::not_mine;
    sv text = m.substr(lvl_end + 2);
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = k_pureftpd;
    if (txt::starts_with(text, "Authentication failed for user [")) {
        sv user = text.substr(32);
        login(b, false, user.substr(0, user.find(']')), "authentication failed");
    } else if (std::size_t k = text.find(" is now logged in"); k != sv::npos) {
        login(b, true, text.substr(0, k), {});
    } else if (txt::starts_with(text, "New connection from ")) {
        b.add(f::event_category, "network");
        b.add(f::event_action, "ftp_connect");
    } else if (txt::ends_with(text, ")") && (text.find(" uploaded ") != sv::npos || text.find(" downloaded ") != sv::npos)) {
        // "/srv/ftp/a.pdf uploaded  (48213 bytes, 510.20KB/sec)"
        const bool up = text.find(" uploaded ") != sv::npos;
        std::size_t k2 = text.find(up ? " uploaded " : " downloaded ");
        b.add(f::event_category, "file");
        b.add(f::event_action, up ? "ftp_upload" : "ftp_download");
        b.add(f::event_outcome, "success");
        if (k2 > 0) b.add(f::file_path, text.substr(0, k2));
        sv tail = text.substr(k2);
        std::size_t paren = tail.find('(');
        if (paren != sv::npos) {
            sv n = tail.substr(paren + 1, tail.find(' ', paren) - paren - 1);
            if (scan::all_digits(n) && !n.empty()) b.add(k_f_file_size, n, value_kind::number);
        }
        if (session_user != "?" && !session_user.empty()) b.add(f::user_name, session_user);
    }
    client(b, host);
    b.add(f::network_protocol, "ftp");
    return parse_status::ok;
}

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(vsftpd, "vsftpd", 50, parse_vsftpd_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(proftpd, "proftpd", 50, parse_proftpd_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(pureftpd, "pure-ftpd", 50, parse_pureftpd_message)
MIMAMORI_REGISTER_FORMAT("vsftpd", 15, vsftpd_log_parser)
MIMAMORI_REGISTER_FORMAT("proftpd", 16, proftpd_log_parser)

}  // namespace mimamori::parse
