// Failed logons to the database servers a small company's applications run on: MySQL,
// MariaDB and PostgreSQL. Reachable from the Internet more often than anyone intends (a cloud
// VM, a port forwarded for a vendor), and guessed at by bots all day.
//
// MySQL / MariaDB (their error log, or syslog tags mysqld / mysql / mariadbd / mariadb):
//   2020-04-16T05:13:40.861934Z 344 [Note] [MY-010926] [Server] Access denied for user 'root'@'27.155.87.54' (using password: YES)
//   2021-11-09  5:13:11 8 [Warning] Access denied for user 'example-user'@'172.17.0.1' (using password: NO)
//   221128 14:49:17 [Warning] Access denied for user 'root'@'192.168.1.192' (using password: YES)
//   2023-07-31T08:34:16.116872Z        14 Connect   Access denied for user 'user'@'192.168.121.1' (using password: YES)
// PostgreSQL (its log; the client's address is there when log_line_prefix has %h or %r):
//   2021-09-28 09:22:18.536 UTC [147] 1.2.3.4 i_dont_exist@postgres FATAL:  password authentication failed for user "i_dont_exist"
//   2021-09-28 09:22:19.536 UTC:1.2.3.4(5432):i_dont_exist@postgres:[127]:FATAL:  no pg_hba.conf entry for host "1.2.3.4", user "x", database "y"
//
// A failed logon is `db_login` (authentication, failure) with user.name and source.ip; other
// lines of these logs are kept with their level and text.
#include <string_view>

#include "parse/message.hpp"
#include "parse/syslog.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using txt::sv;

// "Access denied for user 'root'@'27.155.87.54' (using password: YES)" anywhere in m.
bool mysql_denied(sv m, event_batch& b) {
    std::size_t k = m.find("Access denied for user '");
    if (k == sv::npos) return false;
    sv rest = m.substr(k + 24);
    std::size_t q = rest.find("'@'");
    if (q == sv::npos) return false;
    sv user = rest.substr(0, q);
    rest.remove_prefix(q + 3);
    std::size_t q2 = rest.find('\'');
    if (q2 == sv::npos) return false;
    sv host = rest.substr(0, q2);
    b.add(f::event_category, "authentication");
    b.add(f::event_action, "db_login");
    b.add(f::event_outcome, "failure");
    b.add(f::event_reason, rest.find("using password: NO") != sv::npos ? "access denied (no password)" : "access denied");
    if (!user.empty()) b.add(f::user_name, user);
    if (is_ip(host)) b.add(f::source_ip, unmap_ipv4(host));
    else if (!host.empty() && host != "localhost" && host.find_first_of(" \"") == sv::npos) b.add(f::source_domain, host);
    return true;
}

// PostgreSQL's refused logons: the user, and the address when the text names it.
bool pgsql_failed(sv m, sv prefix, event_batch& b) {
    sv user, host;
    if (std::size_t k = m.find("password authentication failed for user \""); k != sv::npos) {
        sv rest = m.substr(k + 41);
        user = rest.substr(0, rest.find('"'));
    } else if (std::size_t h = m.find("no pg_hba.conf entry for host \""); h != sv::npos) {
        sv rest = m.substr(h + 31);
        host = rest.substr(0, rest.find('"'));
        if (std::size_t u = rest.find("user \""); u != sv::npos) {
            sv r2 = rest.substr(u + 6);
            user = r2.substr(0, r2.find('"'));
        }
    } else if (std::size_t r = m.find("role \""); r != sv::npos && m.find("\" does not exist") != sv::npos) {
        sv rest = m.substr(r + 6);
        user = rest.substr(0, rest.find('"'));
    } else {
        return false;
    }
    // The client's address from the line prefix (%h / %r: "1.2.3.4" or "1.2.3.4(5432)").
    // Split by spaces first (an IPv6 address keeps its colons), then by colons too (a prefix
    // such as "%m:%r:%u@%d:[%p]:").
    for (sv delims : {sv(" []"), sv(" :[]")}) {
        std::size_t pos = 0;
        while (host.empty() && pos < prefix.size()) {
            std::size_t end = prefix.find_first_of(delims, pos);
            if (end == sv::npos) end = prefix.size();
            sv tok = prefix.substr(pos, end - pos);
            if (std::size_t paren = tok.find('('); paren != sv::npos) tok = tok.substr(0, paren);
            if (is_ip(tok)) host = tok;
            pos = end + 1;
        }
    }
    b.add(f::event_category, "authentication");
    b.add(f::event_action, "db_login");
    b.add(f::event_outcome, "failure");
    b.add(f::event_reason, trim(m.substr(0, 120)));
    if (!user.empty()) b.add(f::user_name, user);
    if (is_ip(host)) b.add(f::source_ip, unmap_ipv4(host));
    return true;
}

// ---- MySQL / MariaDB error log ------------------------------------------------------------------

// "2020-04-16T05:13:40.861934Z" (UTC) or MariaDB's "2021-11-09  5:13:11" (local, hour padded
// with a space). Returns the length read, 0 when neither.
std::size_t mysql_time(sv line, const context& ctx, timestamp_ns& ts) {
    // MySQL 5.5 / older MariaDB: "221128 14:49:17" or "221128  4:49:17" (YYMMDD, local time).
    if (line.size() > 16 && line[6] == ' ' && scan::all_digits(line.substr(0, 6))) {
        std::string iso = "20" + std::string(line.substr(0, 2)) + "-" + std::string(line.substr(2, 2)) + "-" +
                          std::string(line.substr(4, 2)) + " " + std::string(line.substr(7, 8));
        if (iso[11] == ' ') iso[11] = '0';
        return scan::parse_iso(iso, ctx, ts) == 19 ? 15 : 0;
    }
    if (line.size() < 20 || line[4] != '-' || line[7] != '-') return 0;
    if (line[10] == 'T') {
        std::size_t n = scan::parse_iso(line, ctx, ts);
        return n > 19 && line[n - 1] == 'Z' ? n : 0;
    }
    if (line[10] != ' ') return 0;
    // "2021-11-09  5:13:11" → "2021-11-09 05:13:11"
    std::string fixed(line.substr(0, 20));
    if (fixed[11] == ' ') fixed[11] = '0';
    std::size_t n = scan::parse_iso(fixed, ctx, ts);
    return n == 19 ? 19 : 0;  // the padded hour keeps the width
}

class mysql_log_parser final : public line_parser {
public:
    std::string_view name() const override { return "mysql"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e, std::string_view&) override {
        timestamp_ns ts = k_no_time;
        std::size_t n = mysql_time(line, ctx, ts);
        if (n == 0 || n >= line.size() || line[n] != ' ') return parse_status::not_mine;
        sv rest = trim(line.substr(n));
        // The thread id (not in the oldest format), then "[Level]" (error log) or the command
        // (general log).
        std::size_t sp = rest.find(' ');
        if (sp == sv::npos) return parse_status::not_mine;
        sv after = scan::all_digits(rest.substr(0, sp)) ? trim(rest.substr(sp)) : rest;
        sv level;
        if (!after.empty() && after.front() == '[') {
            std::size_t close = after.find(']');
            if (close == sv::npos) return parse_status::not_mine;
            level = after.substr(1, close - 1);
            if (level != "Note" && level != "Warning" && level != "ERROR" && level != "System" && level != "Error")
                return parse_status::not_mine;
        } else if (after.find("Access denied for user '") == sv::npos) {
            return parse_status::not_mine;  // a general-log line other than a refused logon
        }
        e.ts = ts;
        e.source_type = "mysql";
        if (!level.empty()) b.add(f::log_level, level);
        b.add(f::message, after);
        mysql_denied(after, b);
        return parse_status::ok;
    }
};

parse_status parse_mysql_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& b, event& e, sv&) {
    if (msg.find("Access denied for user '") == sv::npos) return parse_status::not_mine;
    if (!mysql_denied(msg, b)) return parse_status::not_mine;
    if (e.ts == k_no_time) e.ts = ctx.reference_time;  // an envelope without a time
    e.source_type = "mysql";
    return parse_status::ok;
}

// ---- PostgreSQL log ----------------------------------------------------------------------------

// "<prefix> LEVEL:  text": the level (LOG, FATAL, ERROR, WARNING, …) ends the prefix.
bool pgsql_split(sv line, sv& prefix, sv& level, sv& text) {
    static constexpr sv k_levels[] = {"FATAL:  ", "ERROR:  ", "LOG:  ", "WARNING:  ", "PANIC:  ", "DETAIL:  ",
                                      "HINT:  ", "STATEMENT:  ", "NOTICE:  ", "INFO:  ", "DEBUG:  "};
    std::size_t best = sv::npos;
    sv which;
    for (sv l : k_levels) {
        std::size_t k = line.find(l);
        if (k != sv::npos && k < best) {
            best = k;
            which = l;
        }
    }
    if (best == sv::npos || best > 200) return false;
    prefix = line.substr(0, best);
    level = which.substr(0, which.size() - 3);
    text = line.substr(best + which.size());
    return true;
}

class pgsql_log_parser final : public line_parser {
public:
    std::string_view name() const override { return "postgresql"; }

    parse_status parse(std::string_view line, const context& ctx, event_batch& b, event& e, std::string_view&) override {
        // The time: at the start ("2021-09-28 09:22:18.536 UTC"), or after the client's
        // address when the prefix begins with %h.
        sv l = line;
        std::size_t start = 0;
        if (!l.empty() && !scan::is_digit(l[0])) return parse_status::not_mine;
        if (std::size_t sp = l.find(' '); sp != sv::npos && sp < 46 && is_ip(l.substr(0, sp))) start = sp + 1;
        sv t = l.substr(start);
        if (t.size() < 24 || t[4] != '-' || t[10] != ' ') return parse_status::not_mine;
        timestamp_ns ts = k_no_time;
        std::size_t n = scan::parse_iso(t, ctx, ts);
        if (n < 19) return parse_status::not_mine;
        // A zone name after the time: UTC/GMT exactly; another abbreviation is read in --tz.
        sv after_time = t.substr(n);
        if (after_time.starts_with(" UTC") || after_time.starts_with(" GMT")) {
            std::string iso(t.substr(0, n));
            iso.push_back('Z');
            scan::parse_iso(iso, ctx, ts);
        }
        sv prefix, level, text;
        if (!pgsql_split(line, prefix, level, text)) return parse_status::not_mine;
        e.ts = ts;
        e.source_type = "postgresql";
        b.add(f::log_level, level);
        if (!text.empty()) b.add(f::message, text);
        pgsql_failed(text, prefix, b);
        return parse_status::ok;
    }
};

}  // namespace

MIMAMORI_REGISTER_MESSAGE_PARSER(mysqld, "mysqld", 50, parse_mysql_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(mysql, "mysql", 50, parse_mysql_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(mariadbd, "mariadbd", 50, parse_mysql_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(mariadb, "mariadb", 50, parse_mysql_message)
MIMAMORI_REGISTER_FORMAT("mysql", 18, mysql_log_parser)
MIMAMORI_REGISTER_FORMAT("postgresql", 19, pgsql_log_parser)

}  // namespace mimamori::parse
