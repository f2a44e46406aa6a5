// Web server logs: Apache/nginx access logs (common, combined, vhost_combined, with or without
// %z, Nginx Proxy Manager's two formats) as "web.access", and Apache 2.2/2.4 and nginx error
// logs as "web.error". Also message parsers for access/error lines that arrive inside a syslog
// envelope (nginx and Apache can log to syslog).
//
// Parsing is two-phase: a line is first read into a struct of views, then emitted. Nothing is
// added to the batch before the line is known to be ours, which message parsers require.
#include <array>
#include <cstring>
#include <string>

#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

// --- pieces -----------------------------------------------------------------------------------

/// "dd/Mon/yyyy:hh:mm:ss[.frac][ ±hhmm]" (the inside of Apache's %t brackets).
bool parse_clf_time(sv t, const context& ctx, timestamp_ns& out) {
    if (t.size() < 20 || t[2] != '/' || t[6] != '/' || t[11] != ':') return false;
    civil_time c;
    unsigned y = 0;
    if (!digits_at(t, 0, 2, c.day) || !digits_at(t, 7, 4, y)) return false;
    c.month = month_from_abbrev(t.substr(3, 3));
    c.year = static_cast<int>(y);
    std::size_t i = 12;
    if (!parse_hms(t, i, c) || !civil_valid(c)) return false;
    if (i == t.size()) {
        out = local_to_ns(ctx, c);
        return true;
    }
    std::int32_t off = 0;
    if (t[i] != ' ' || !parse_offset(t.substr(i + 1), off)) return false;
    out = civil_to_ns(c, off);
    return true;
}

/// The quoted field starting at s[pos] == '"': backslash escapes are skipped, and the closing
/// quote must end the line or be followed by a space (so an unescaped quote inside a request,
/// which some log formats allow, does not end it early). pos moves past the closing quote.
bool quoted(sv s, std::size_t& pos, sv& out) {
    if (pos >= s.size() || s[pos] != '"') return false;
    std::size_t i = pos + 1;
    while (i < s.size()) {
        char c = s[i];
        if (c == '\\') {
            i += 2;
            continue;
        }
        if (c == '"' && (i + 1 == s.size() || s[i + 1] == ' ')) {
            out = s.substr(pos + 1, i - pos - 1);
            pos = i + 1;
            return true;
        }
        ++i;
    }
    return false;
}

/// Undo the escaping web servers apply to logged strings: \" and \\ (Apache), \xHH (both) when
/// HH is printable ASCII (nginx writes '"' as \x22). Other \xHH stay literal so the value stays
/// printable. Copies into the batch only when there is something to undo.
sv unescape_web(event_batch& batch, sv s) {
    if (!has_backslash(s)) return s;
    char* out = batch.bytes().allocate(s.size());
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '\\' && i + 1 < s.size()) {
            char d = s[i + 1];
            if (d == '"' || d == '\\') {
                out[n++] = d;
                ++i;
                continue;
            }
            if (d == 'x' && i + 3 < s.size() && is_hex(s[i + 2]) && is_hex(s[i + 3])) {
                int v = hex_value(s[i + 2]) * 16 + hex_value(s[i + 3]);
                if (v >= 0x20 && v < 0x7f) {
                    out[n++] = static_cast<char>(v);
                    i += 3;
                    continue;
                }
            }
        }
        out[n++] = c;
    }
    return {out, n};
}

bool is_method(sv m) {
    if (m.empty() || m.size() > 24) return false;
    for (char c : m)
        if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) return false;
    return true;
}

struct request_parts {
    sv method, target, version;
};

/// "METHOD target HTTP/x.y" (or HTTP/0.9's "METHOD target"). False for anything else.
bool split_request(sv r, request_parts& p) {
    std::size_t sp1 = r.find(' ');
    if (sp1 == sv::npos || !is_method(r.substr(0, sp1))) return false;
    p.method = r.substr(0, sp1);
    sv rest = r.substr(sp1 + 1);
    std::size_t sp2 = rest.rfind(' ');
    if (sp2 != sv::npos && starts_with(rest.substr(sp2 + 1), "HTTP/")) {
        p.target = rest.substr(0, sp2);
        p.version = rest.substr(sp2 + 6);
    } else {
        if (rest.find(' ') != sv::npos) return false;
        p.target = rest;
    }
    return !p.target.empty();
}

/// Hostname-ish: letters, digits, '.', '-', '_' and at least one letter.
bool is_hostname(sv s) {
    if (s.empty() || s.size() > 253) return false;
    bool letter = false;
    for (char c : s) {
        if (is_alpha(c))
            letter = true;
        else if (!is_digit(c) && c != '.' && c != '-' && c != '_')
            return false;
    }
    return letter;
}

/// Add the url.* and http.* fields of a request line; the raw request as "request" when it is
/// not a request line at all (TLS handshakes sent to a plain port, scanners' junk). Returns true
/// when it added url.domain (absolute-form request targets).
bool add_request(event_batch& batch, sv request, bool have_domain) {
    static const field_id k_request = intern("request");
    if (request.empty() || request == "-") return false;
    request_parts p;
    if (!split_request(request, p)) {
        batch.add(k_request, request);
        return false;
    }
    bool added_domain = false;
    batch.add(f::http_request_method, p.method);
    sv target = unescape_web(batch, p.target);
    batch.add(f::url_original, target);
    if (!p.version.empty()) batch.add(f::http_version, p.version);
    sv path = target;
    if (!path.empty() && path[0] != '/') {
        // absolute-form (proxy requests): scheme://authority/path
        std::size_t sch = path.find("://");
        if (sch == sv::npos) return false;  // CONNECT host:port, "*", junk
        sv after = path.substr(sch + 3);
        std::size_t slash = after.find_first_of("/?#");
        sv authority = after.substr(0, slash == sv::npos ? after.size() : slash);
        if (auto at = authority.rfind('@'); at != sv::npos) authority.remove_prefix(at + 1);
        sv host = authority;
        if (!host.empty() && host[0] == '[') {
            std::size_t rb = host.find(']');
            host = rb == sv::npos ? sv{} : host.substr(1, rb - 1);
        } else if (auto colon = host.rfind(':'); colon != sv::npos) {
            host = host.substr(0, colon);
        }
        if (!host.empty() && !have_domain) {
            batch.add(f::url_domain, host);
            added_domain = true;
        }
        if (slash == sv::npos) return added_domain;
        path = after.substr(slash);
    }
    std::size_t q = path.find('?');
    sv query;
    if (q != sv::npos) {
        query = path.substr(q + 1);
        path = path.substr(0, q);
    }
    if (auto h = query.find('#'); h != sv::npos) query = query.substr(0, h);
    if (auto h = path.find('#'); h != sv::npos) path = path.substr(0, h);
    if (!path.empty()) batch.add(f::url_path, path);
    if (!query.empty()) batch.add(f::url_query, query);
    return added_domain;
}

void add_client(event_batch& batch, sv client) {
    if (client.empty() || client == "-") return;
    if (is_ip(client))
        batch.add(f::source_ip, client);
    else if (is_hostname(client))
        batch.add(f::source_domain, client);
}

void add_status(event_batch& batch, sv status) {
    batch.add(f::http_response_status_code, status);
    batch.add(f::event_outcome, status[0] < '4' ? sv("success") : sv("failure"));
}

bool valid_status(sv s) {
    return s.size() == 3 && is_uint_in(s, 100, 999);
}
bool valid_bytes(sv s) {
    return s == "-" || all_digits(s);
}

// --- access logs ----------------------------------------------------------------------------

struct access_line {
    timestamp_ns ts = k_no_time;
    sv vhost, vport, client, user, request, status, bytes, referrer, agent, request_id;
    sv npm_upstream;  // NPM: where the request was sent
};

enum class scan_result { no, yes, broken };

/// Apache/nginx common/combined/vhost_combined: [vhost[:port] ]client ident user [time] "req"
/// status bytes ["referer" "agent" [extra…]]
scan_result scan_clf(sv line, const context& ctx, access_line& a, sv& why) {
    sv pre[5];
    int n = 0;
    std::size_t pos = 0;
    bool have_time = false;
    while (pos < line.size() && n <= 5) {
        if (line[pos] == '[') {
            std::size_t rb = line.find(']', pos);
            if (rb != sv::npos && rb - pos <= 40 &&
                parse_clf_time(line.substr(pos + 1, rb - pos - 1), ctx, a.ts)) {
                pos = rb + 1;
                have_time = true;
                break;
            }
        }
        if (n == 5) break;
        std::size_t sp = line.find(' ', pos);
        if (sp == sv::npos || sp == pos) return scan_result::no;
        pre[n++] = line.substr(pos, sp - pos);
        pos = sp + 1;
    }
    if (!have_time || n == 0 || pos + 1 >= line.size() || line[pos] != ' ' || line[pos + 1] != '"')
        return scan_result::no;
    // Identity part.
    sv client = pre[0];
    if (n == 5) {  // BunkerWeb: host client - request_id user
        if (pre[2] != "-") return scan_result::no;
        a.vhost = pre[0];
        client = pre[1];
        a.request_id = pre[3];
        a.user = pre[4];
    } else if (n == 4) {
        if (pre[2] == "-") {  // vhost client ident user
            a.vhost = pre[0];
            client = pre[1];
            a.user = pre[3];
        } else if (pre[1] == "-") {  // client ident "user with space"
            a.user = sv(pre[2].data(),
                        static_cast<std::size_t>(pre[3].data() + pre[3].size() - pre[2].data()));
        } else {
            return scan_result::no;
        }
    } else if (n == 3) {
        a.user = pre[2];
    } else if (n == 2) {
        a.user = pre[1];
    }
    if (client.find('"') != sv::npos) return scan_result::no;
    a.client = client;
    if (!a.vhost.empty()) {
        sv h = a.vhost;
        if (h[0] == '[') {  // [v6]:port
            std::size_t rb = h.find(']');
            if (rb != sv::npos) {
                if (rb + 1 < h.size() && h[rb + 1] == ':') a.vport = h.substr(rb + 2);
                h = h.substr(1, rb - 1);
            }
        } else if (auto colon = h.rfind(':'); colon != sv::npos && h.find(':') == colon) {
            a.vport = h.substr(colon + 1);
            h = h.substr(0, colon);
        }
        a.vhost = h;
    }
    pos += 1;
    if (!quoted(line, pos, a.request)) {
        why = "unterminated request string";
        return scan_result::broken;
    }
    if (pos >= line.size() || line[pos] != ' ') {
        why = "missing status code";
        return scan_result::broken;
    }
    ++pos;
    a.status = next_token(line, pos);
    if (!valid_status(a.status) && a.status != "-") {  // "-": request cancelled (Traefik)
        why = "bad status code";
        return scan_result::broken;
    }
    a.bytes = next_token(line, pos);
    if (!a.bytes.empty() && !valid_bytes(a.bytes)) {
        why = "bad byte count";
        return scan_result::broken;
    }
    if (pos < line.size() && line[pos] == '"') {
        if (!quoted(line, pos, a.referrer)) {
            why = "unterminated referrer";
            return scan_result::broken;
        }
        if (pos + 1 < line.size() && line[pos] == ' ' && line[pos + 1] == '"') {
            ++pos;
            if (!quoted(line, pos, a.agent)) {
                why = "unterminated user agent";
                return scan_result::broken;
            }
        }
    }
    return scan_result::yes;
}

/// Nginx Proxy Manager: "[time] [cache upstream_status] status - METHOD scheme host "uri"
/// [Client ip] [Length n] [Gzip r] [Sent-to s] "agent" "referer"", and its catch-all vhost
/// format "[time] host ip request_time "request" status body_bytes bytes_sent referer agent…".
scan_result scan_npm(sv line, const context& ctx, access_line& a, sv& why, sv& method_out,
                     sv& scheme_out, sv& uri_out) {
    if (line.empty() || line[0] != '[') return scan_result::no;
    std::size_t rb = line.find(']');
    if (rb == sv::npos || rb > 40 || !parse_clf_time(line.substr(1, rb - 1), ctx, a.ts))
        return scan_result::no;
    std::size_t pos = rb + 1;
    if (pos >= line.size() || line[pos] != ' ') return scan_result::no;
    ++pos;
    // Catch-all: host ip time "request"
    {
        std::size_t p = pos;
        sv host = next_token(line, p);
        sv ip = next_token(line, p);
        sv rt = next_token(line, p);
        if (!host.empty() && !ip.empty() && !rt.empty() && p < line.size() && line[p] == '"' &&
            is_ip(ip)) {
            a.vhost = host == "_" ? sv{} : host;
            a.client = ip;
            if (!quoted(line, p, a.request)) {
                why = "unterminated request string";
                return scan_result::broken;
            }
            if (p < line.size() && line[p] == ' ') ++p;
            a.status = next_token(line, p);
            if (!valid_status(a.status)) {
                why = "bad status code";
                return scan_result::broken;
            }
            a.bytes = next_token(line, p);
            if (!a.bytes.empty() && !valid_bytes(a.bytes)) a.bytes = {};
            next_token(line, p);  // bytes_sent
            a.referrer = next_token(line, p);
            a.agent = line.substr(p);
            return scan_result::yes;
        }
    }
    // Proxy host format: tokens up to "- METHOD".
    sv toks[4];
    int n = 0;
    std::size_t p = pos;
    while (n < 4) {
        sv t = next_token(line, p);
        if (t.empty()) return scan_result::no;
        if (t == "-" && n >= 1 && p < line.size() && line[p] >= 'A' && line[p] <= 'Z') break;
        toks[n++] = t;
    }
    if (n == 0 || n == 4) return scan_result::no;
    sv status = toks[n - 1];
    if (!valid_status(status)) return scan_result::no;
    a.status = status;
    sv method = next_token(line, p);
    sv scheme = next_token(line, p);
    sv host = next_token(line, p);
    if (!is_method(method) || scheme.empty() || host.empty()) return scan_result::no;
    sv uri;
    if (!quoted(line, p, uri)) {
        why = "unterminated request URI";
        return scan_result::broken;
    }
    method_out = method;
    scheme_out = scheme;
    uri_out = uri;
    a.vhost = host;
    // [Name value] groups
    while (p + 1 < line.size() && line[p] == ' ' && line[p + 1] == '[') {
        std::size_t end = line.find(']', p + 2);
        if (end == sv::npos) break;
        sv g = line.substr(p + 2, end - p - 2);
        std::size_t sp = g.find(' ');
        if (sp != sv::npos) {
            sv name = g.substr(0, sp), val = g.substr(sp + 1);
            if (name == "Client")
                a.client = val;
            else if (name == "Length")
                a.bytes = val;
            else if (name == "Sent-to")
                a.npm_upstream = val;
        }
        p = end + 1;
    }
    if (p + 1 < line.size() && line[p] == ' ' && line[p + 1] == '"') {
        ++p;
        if (quoted(line, p, a.agent) && p + 1 < line.size() && line[p] == ' ' &&
            line[p + 1] == '"') {
            ++p;
            if (!quoted(line, p, a.referrer)) a.referrer = {};
        }
    }
    if (a.client.empty()) return scan_result::no;
    if (!a.bytes.empty() && !valid_bytes(a.bytes)) a.bytes = {};
    return scan_result::yes;
}

void emit_access(const access_line& a, event_batch& batch, event& e, sv npm_method = {},
                 sv npm_uri = {}) {
    static const field_id k_upstream = intern("npm.sent_to");
    static const field_id k_request_id = intern("http.request.id");
    e.ts = a.ts;
    e.source_type = "web.access";
    batch.add(f::event_kind, "event");
    batch.add(f::event_category, "web");
    batch.add(f::event_type, "access");
    add_client(batch, a.client);
    if (!a.user.empty() && a.user != "-") batch.add(f::user_name, unescape_web(batch, a.user));
    bool have_domain = false;  // url.domain from an absolute-form request wins over the vhost
    if (!a.vhost.empty() && a.vhost != "-") {
        batch.add(f::destination_domain, a.vhost);
        if (is_uint_in(a.vport, 0, 65535)) batch.add(f::destination_port, a.vport);
    }
    if (!npm_method.empty()) {
        batch.add(f::http_request_method, npm_method);
        sv target = unescape_web(batch, npm_uri);
        if (!target.empty()) batch.add(f::url_original, target);
        sv path = target, query;
        if (auto q = path.find('?'); q != sv::npos) {
            query = path.substr(q + 1);
            path = path.substr(0, q);
        }
        if (!path.empty()) batch.add(f::url_path, path);
        if (!query.empty()) batch.add(f::url_query, query);
    } else {
        have_domain = add_request(batch, a.request, false);
    }
    if (!a.vhost.empty() && a.vhost != "-" && !have_domain) batch.add(f::url_domain, a.vhost);
    if (a.status != "-") add_status(batch, a.status);
    if (is_uint_in(a.bytes, 0, ~0ULL >> 1)) batch.add(f::http_response_body_bytes, a.bytes);
    if (!a.request_id.empty() && a.request_id != "-") batch.add(k_request_id, a.request_id);
    if (!a.referrer.empty() && a.referrer != "-")
        batch.add(f::http_request_referrer, unescape_web(batch, a.referrer));
    if (!a.agent.empty() && a.agent != "-")
        batch.add(f::user_agent_original, unescape_web(batch, a.agent));
    if (!a.npm_upstream.empty()) batch.add(k_upstream, a.npm_upstream);
}

// --- HAProxy ------------------------------------------------------------------------------

/// "ip:port [dd/Mon/yyyy:hh:mm:ss.mmm] " at the start of a line: HAProxy's log prefix. Returns
/// the position after it (0 when absent); client, port and time are filled.
std::size_t haproxy_prefix(sv line, const context& ctx, sv& client, sv& port, timestamp_ns& ts) {
    std::size_t sp = line.find(' ');
    if (sp == sv::npos || sp < 3 || sp > 60 || sp + 2 >= line.size() || line[sp + 1] != '[')
        return 0;
    sv tok = line.substr(0, sp);
    std::size_t colon = tok.rfind(':');
    if (colon == sv::npos || !all_digits(tok.substr(colon + 1))) return 0;
    sv ip = tok.substr(0, colon);
    if (ip.size() > 2 && ip.front() == '[' && ip.back() == ']') ip = ip.substr(1, ip.size() - 2);
    if (!is_ip(ip)) return 0;
    std::size_t rb = line.find(']', sp + 2);
    if (rb == sv::npos || rb - sp > 40 ||
        !parse_clf_time(line.substr(sp + 2, rb - sp - 2), ctx, ts))
        return 0;
    if (rb + 1 < line.size() && line[rb + 1] != ' ') return 0;
    client = ip;
    port = tok.substr(colon + 1);
    return rb + 2;
}

/// HAProxy HTTP log: "ip:port [date] frontend backend/server Tq/Tw/Tc/Tr/Ta status bytes
/// req_cookie res_cookie term conns queues [{req hdrs}] [{res hdrs}] "request"".
scan_result scan_haproxy(sv line, const context& ctx, access_line& a, sv& port, sv& frontend,
                         sv& backend, sv& why) {
    std::size_t pos = haproxy_prefix(line, ctx, a.client, port, a.ts);
    if (pos == 0) return scan_result::no;
    frontend = next_token(line, pos);
    backend = next_token(line, pos);
    sv timers = next_token(line, pos);
    if (frontend.empty() || backend.find('/') == sv::npos || timers.find('/') == sv::npos)
        return scan_result::no;  // not the HTTP format (an error line, or TCP mode)
    a.status = next_token(line, pos);
    a.bytes = next_token(line, pos);
    if (!valid_status(a.status) && a.status != "-1") {
        why = "haproxy: bad status code";
        return scan_result::broken;
    }
    if (a.status == "-1") a.status = "-";
    if (!valid_bytes(a.bytes)) a.bytes = {};
    std::size_t q = line.find('"', pos);
    if (q == sv::npos) {
        a.request = {};
        return scan_result::yes;  // "option httplog" without the request captured
    }
    if (!quoted(line, q, a.request)) {
        // HAProxy cuts long requests without closing the quote
        a.request = line.substr(q + 1);
    }
    return scan_result::yes;
}

parse_status parse_access(sv line, const context& ctx, event_batch& batch, event& e, sv& why) {
    access_line a;
    if (line.empty()) return parse_status::not_mine;
    scan_result r;
    sv method, scheme, uri;
    bool npm = false;
    if (is_digit(line[0]) || line[0] == '[' || line[0] == ':') {
        sv port, frontend, backend;
        r = scan_haproxy(line, ctx, a, port, frontend, backend, why);
        if (r == scan_result::broken) return parse_status::malformed;
        if (r == scan_result::yes) {
            static const field_id k_frontend = intern("haproxy.frontend_name");
            static const field_id k_backend = intern("haproxy.backend_name");
            emit_access(a, batch, e);
            if (is_uint_in(port, 0, 65535)) batch.add(f::source_port, port);
            batch.add(k_frontend, frontend);
            batch.add(k_backend, backend);
            return parse_status::ok;
        }
        a = access_line{};
    }
    if (line[0] == '[') {
        r = scan_npm(line, ctx, a, why, method, scheme, uri);
        npm = r == scan_result::yes && !method.empty();
        if (r == scan_result::no) {
            a = access_line{};
            r = scan_clf(line, ctx, a, why);  // "[v6]:port client …" vhost form
        }
    } else {
        r = scan_clf(line, ctx, a, why);
    }
    if (r == scan_result::no) return parse_status::not_mine;
    if (r == scan_result::broken) return parse_status::malformed;
    if (npm)
        emit_access(a, batch, e, method, uri);
    else
        emit_access(a, batch, e);
    return parse_status::ok;
}

// --- error logs -----------------------------------------------------------------------------

/// "user NAME: authentication failure" / "user NAME not found" (Apache) and
/// 'user "NAME" was not found in' / 'user "NAME": password mismatch' (nginx).
sv auth_failure_user(sv msg) {
    if (!starts_with(msg, "user ")) return {};
    sv rest = msg.substr(5);
    if (!rest.empty() && rest[0] == '"') {
        std::size_t q = rest.find('"', 1);
        if (q == sv::npos) return {};
        sv name = rest.substr(1, q - 1);
        sv after = rest.substr(q + 1);
        if (starts_with(after, " was not found") || starts_with(after, ": password mismatch"))
            return name;
        return {};
    }
    std::size_t end = rest.find_first_of(": ");
    if (end == sv::npos || end == 0) return {};
    sv name = rest.substr(0, end);
    sv after = rest.substr(end);
    if (starts_with(after, ": authentication failure") || starts_with(after, " not found") ||
        starts_with(after, ": password mismatch"))
        return name;
    return {};
}

void add_auth_failure(event_batch& batch, sv user) {
    batch.add(f::event_category, "authentication");
    batch.add(f::event_outcome, "failure");
    batch.add(f::user_name, user);
}

struct apache_error {
    timestamp_ns ts = k_no_time;
    sv level, module, pid, client, client_port, message, code;
};

/// "[Www Mmm dd hh:mm:ss[.us] yyyy] [module:level|level] [pid N[:tid M]] [client ip[:port]] msg"
scan_result scan_apache_error(sv line, const context& ctx, apache_error& a, sv& why) {
    if (line.size() < 30 || line[0] != '[' || !is_alpha(line[1]) || line[4] != ' ')
        return scan_result::no;
    std::size_t rb = line.find(']');
    if (rb == sv::npos || rb > 40) return scan_result::no;
    sv t = line.substr(5, rb - 5);  // "Mmm dd hh:mm:ss[.us] yyyy"
    if (t.empty() || parse_bsd(t, ctx, a.ts) != t.size()) return scan_result::no;
    std::size_t pos = rb + 1;
    if (pos + 2 >= line.size() || line[pos] != ' ' || line[pos + 1] != '[') return scan_result::no;
    std::size_t lb = line.find(']', pos + 2);
    if (lb == sv::npos) {
        why = "unterminated level";
        return scan_result::broken;
    }
    sv tag = line.substr(pos + 2, lb - pos - 2);
    if (tag.empty() || tag.size() > 40 || tag.find(' ') != sv::npos) return scan_result::no;
    if (auto colon = tag.find(':'); colon != sv::npos) {
        a.module = tag.substr(0, colon);
        a.level = tag.substr(colon + 1);
    } else {
        a.level = tag;
    }
    pos = lb + 1;
    sv rest = line.substr(pos);
    if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    if (starts_with(rest, "[pid ")) {
        std::size_t e = rest.find(']');
        if (e == sv::npos) {
            why = "unterminated pid";
            return scan_result::broken;
        }
        sv p = rest.substr(5, e - 5);
        if (auto c = p.find(':'); c != sv::npos) p = p.substr(0, c);
        a.pid = p;
        rest.remove_prefix(e + 1);
        if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
    }
    std::size_t cl = rest.find("[client ");
    if (cl != sv::npos) {
        std::size_t e = rest.find(']', cl);
        if (e != sv::npos) {
            sv c = rest.substr(cl + 8, e - cl - 8);
            if (!is_ip(c)) {  // "ip:port", "[v6]:port", v6:port
                std::size_t colon = c.rfind(':');
                if (colon != sv::npos && is_ip(c.substr(0, colon))) {
                    a.client_port = c.substr(colon + 1);
                    c = c.substr(0, colon);
                }
            }
            a.client = c;
            if (cl == 0) {
                rest.remove_prefix(e + 1);
                if (!rest.empty() && rest[0] == ' ') rest.remove_prefix(1);
            }
        }
    }
    a.message = rest;
    if (rest.size() > 8 && rest[0] == 'A' && rest[1] == 'H' && all_digits(rest.substr(2, 5)) &&
        rest[7] == ':') {
        a.code = rest.substr(0, 7);
    }
    return scan_result::yes;
}

void emit_apache_error(const apache_error& a, event_batch& batch, event& e, bool with_message) {
    e.ts = a.ts;
    e.source_type = "web.error";
    batch.add(f::event_kind, "event");
    if (!a.level.empty()) batch.add(f::log_level, a.level);
    if (is_uint_in(a.pid, 0, 4294967295ULL)) batch.add(f::process_pid, a.pid);
    if (is_ip(a.client)) batch.add(f::source_ip, a.client);
    if (is_uint_in(a.client_port, 0, 65535)) batch.add(f::source_port, a.client_port);
    if (!a.code.empty()) batch.add(f::event_code, a.code);
    sv msg = a.message;
    if (!a.code.empty()) msg = trim(msg.substr(8));
    if (sv u = auth_failure_user(msg); !u.empty())
        add_auth_failure(batch, u);
    else
        batch.add(f::event_category, "web");
    if (with_message && !a.message.empty()) batch.add(f::message, a.message);
}

struct nginx_error {
    timestamp_ns ts = k_no_time;
    sv level, pid, message, client, server, request, host, login, upstream;
};

/// "yyyy/mm/dd hh:mm:ss [level] pid#tid: [*cid ]message[, client: ip, server: s, request: "r",
/// upstream: "u", host: "h", login: "l"]"
scan_result scan_nginx_error(sv line, const context& ctx, nginx_error& a, sv& why) {
    if (line.size() < 26 || line[4] != '/' || line[7] != '/' || line[10] != ' ' ||
        line[19] != ' ' || line[20] != '[')
        return scan_result::no;
    if (parse_iso(line.substr(0, 19), ctx, a.ts) != 19) return scan_result::no;
    std::size_t rb = line.find(']', 21);
    if (rb == sv::npos || rb - 21 > 8) return scan_result::no;
    a.level = line.substr(21, rb - 21);
    std::size_t pos = rb + 1;
    if (pos >= line.size() || line[pos] != ' ') return scan_result::no;
    ++pos;
    std::size_t hash = line.find('#', pos);
    if (hash == sv::npos || hash - pos > 10 || !all_digits(line.substr(pos, hash - pos))) {
        why = "missing pid#tid";
        return scan_result::broken;
    }
    a.pid = line.substr(pos, hash - pos);
    std::size_t colon = line.find(": ", hash);
    if (colon == sv::npos) {
        why = "missing pid#tid";
        return scan_result::broken;
    }
    sv rest = line.substr(colon + 2);
    if (!rest.empty() && rest[0] == '*') {
        std::size_t sp = rest.find(' ');
        if (sp != sv::npos && all_digits(rest.substr(1, sp - 1))) rest.remove_prefix(sp + 1);
    }
    std::size_t ctxpos = rest.find(", client: ");
    if (ctxpos == sv::npos) {
        a.message = rest;
        return scan_result::yes;
    }
    a.message = rest.substr(0, ctxpos);
    sv tail = rest.substr(ctxpos + 2);
    // ", name: value" pairs; values are quoted or run to the next ", "
    while (!tail.empty()) {
        std::size_t c = tail.find(": ");
        if (c == sv::npos) break;
        sv name = tail.substr(0, c);
        tail.remove_prefix(c + 2);
        sv value;
        if (!tail.empty() && tail[0] == '"') {
            // nginx does not escape here; the value ends at '"' followed by ", " or the end.
            std::size_t i = 1;
            for (; i < tail.size(); ++i)
                if (tail[i] == '"' &&
                    (i + 1 == tail.size() ||
                     (tail[i + 1] == ',' && i + 2 < tail.size() && tail[i + 2] == ' ')))
                    break;
            if (i >= tail.size()) break;
            value = tail.substr(1, i - 1);
            tail.remove_prefix(i + 1);
        } else {
            std::size_t comma = tail.find(", ");
            value = tail.substr(0, comma);
            tail.remove_prefix(comma == sv::npos ? tail.size() : comma);
        }
        if (name == "client")
            a.client = value;
        else if (name == "server")
            a.server = value;
        else if (name == "request")
            a.request = value;
        else if (name == "host")
            a.host = value;
        else if (name == "login")
            a.login = value;
        else if (name == "upstream")
            a.upstream = value;
        if (starts_with(tail, ", "))
            tail.remove_prefix(2);
        else
            break;
    }
    return scan_result::yes;
}

void emit_nginx_error(const nginx_error& a, event_batch& batch, event& e, bool with_message) {
    static const field_id k_server = intern("nginx.server");
    static const field_id k_upstream = intern("nginx.upstream");
    e.ts = a.ts;
    e.source_type = "web.error";
    batch.add(f::event_kind, "event");
    if (!a.level.empty()) batch.add(f::log_level, a.level);
    if (is_uint_in(a.pid, 0, 4294967295ULL)) batch.add(f::process_pid, a.pid);
    if (is_ip(a.client)) batch.add(f::source_ip, a.client);
    if (!a.server.empty()) batch.add(k_server, a.server);
    if (!a.upstream.empty()) batch.add(k_upstream, a.upstream);
    add_request(batch, a.request, !a.host.empty());
    if (!a.host.empty()) {
        batch.add(f::destination_domain, a.host);
        batch.add(f::url_domain, a.host);
    }
    sv user = auth_failure_user(a.message);
    if (!user.empty()) {
        add_auth_failure(batch, user);
    } else if (!a.login.empty() && starts_with(a.message, "client login failed")) {
        add_auth_failure(batch, a.login);  // nginx mail proxy
    } else {
        batch.add(f::event_category, "web");
        if (!a.login.empty()) batch.add(f::user_name, a.login);
    }
    if (with_message && !a.message.empty()) batch.add(f::message, a.message);
}

/// LiteSpeed / OpenLiteSpeed error log: "yyyy-mm-dd hh:mm:ss.us [LEVEL] [pid] [ip:port…] msg".
bool parse_litespeed_error(sv line, const context& ctx, event_batch& batch, event& e,
                           bool with_message) {
    if (line.size() < 30 || line[4] != '-' || line[10] != ' ') return false;
    timestamp_ns ts = 0;
    std::size_t n = parse_iso(line, ctx, ts);
    if (n == 0 || n + 2 >= line.size() || line[n] != ' ' || line[n + 1] != '[') return false;
    std::size_t rb = line.find(']', n + 2);
    if (rb == sv::npos || rb - n > 12) return false;
    sv level = line.substr(n + 2, rb - n - 2);
    for (char c : level)
        if (!(c >= 'A' && c <= 'Z')) return false;
    sv rest = line.substr(rb + 1);
    sv pid, client;
    if (starts_with(rest, " [")) {
        std::size_t e2 = rest.find(']');
        if (e2 != sv::npos && all_digits(rest.substr(2, e2 - 2))) {
            pid = rest.substr(2, e2 - 2);
            rest.remove_prefix(e2 + 1);
        }
    }
    if (starts_with(rest, " [")) {
        std::size_t e2 = rest.find(']');
        if (e2 != sv::npos) {
            sv c = rest.substr(2, e2 - 2);
            sv ip = c.substr(0, c.find(':'));
            if (is_ipv4(ip)) {
                client = ip;
                rest.remove_prefix(e2 + 1);
            }
        }
    }
    sv msg = trim(rest);
    e.ts = ts;
    e.source_type = "web.error";
    batch.add(f::event_kind, "event");
    if (!level.empty()) batch.add(f::log_level, level);
    if (is_uint_in(pid, 0, 4294967295ULL)) batch.add(f::process_pid, pid);
    if (!client.empty()) batch.add(f::source_ip, client);
    // "… Failed Login Attempt - username:NAME ip:IP url:…", "User 'NAME' failed to authenticate."
    sv user;
    if (auto u = msg.find("Failed Login Attempt - username:"); u != sv::npos) {
        sv t = msg.substr(u + 32);
        user = t.substr(0, t.find(' '));
    } else if (starts_with(msg, "User '")) {
        std::size_t q = msg.find('\'', 6);
        if (q != sv::npos && starts_with(msg.substr(q), "' failed to authenticate"))
            user = msg.substr(6, q - 6);
    }
    if (!user.empty())
        add_auth_failure(batch, user);
    else
        batch.add(f::event_category, "web");
    if (with_message && !msg.empty()) batch.add(f::message, msg);
    return true;
}

/// HAProxy's non-HTTP lines with the usual prefix: "ip:port [date] frontend/backend: message".
bool parse_haproxy_error(sv line, const context& ctx, event_batch& batch, event& e,
                         bool with_message) {
    sv client, port;
    timestamp_ns ts = 0;
    std::size_t pos = haproxy_prefix(line, ctx, client, port, ts);
    if (pos == 0) return false;
    sv rest = line.substr(pos);
    std::size_t colon = rest.find(": ");
    sv proxy = colon == sv::npos ? sv{} : rest.substr(0, colon);
    if (proxy.empty() || proxy.find(' ') != sv::npos) return false;
    static const field_id k_proxy = intern("haproxy.frontend_name");
    e.ts = ts;
    e.source_type = "web.error";
    batch.add(f::event_kind, "event");
    batch.add(f::event_category, "web");
    batch.add(f::source_ip, client);
    if (is_uint_in(port, 0, 65535)) batch.add(f::source_port, port);
    if (sv fe = proxy.substr(0, proxy.find('/')); !fe.empty()) batch.add(k_proxy, fe);
    sv msg = rest.substr(colon + 2);
    if (with_message && !msg.empty()) batch.add(f::message, msg);
    return true;
}

/// with_message: false inside a syslog envelope, whose parser already set `message`.
parse_status parse_error_line(sv line, const context& ctx, event_batch& batch, event& e, sv& why,
                              bool with_message) {
    if (line.size() < 20) return parse_status::not_mine;
    if (line[0] == '[') {
        apache_error a;
        auto r = scan_apache_error(line, ctx, a, why);
        if (r == scan_result::no) return parse_status::not_mine;
        if (r == scan_result::broken) return parse_status::malformed;
        emit_apache_error(a, batch, e, with_message);
        return parse_status::ok;
    }
    if (is_digit(line[0])) {
        nginx_error a;
        auto r = scan_nginx_error(line, ctx, a, why);
        if (r == scan_result::broken) return parse_status::malformed;
        if (r == scan_result::yes) {
            emit_nginx_error(a, batch, e, with_message);
            return parse_status::ok;
        }
        if (parse_litespeed_error(line, ctx, batch, e, with_message)) return parse_status::ok;
        if (parse_haproxy_error(line, ctx, batch, e, with_message)) return parse_status::ok;
    }
    return parse_status::not_mine;
}

// --- IIS (W3C extended log, IIS's default field set) --------------------------------------
//
//   #Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken
//   2025-04-14 04:05:25 10.0.0.5 POST /owa/auth.owa - 443 - 203.0.113.9 Mozilla/5.0+(Windows+NT+10.0) - 302 0 0 31
//
// IIS 8.5 and later write these 15 fields by default, IIS 7 the same without cs(Referer); times
// are UTC; a value's spaces are written as '+', an empty value as '-'. A line is read by its
// field count, so a site whose administrator chose other fields cannot be read: its "#Fields:"
// line says so (malformed, with the reason), and its lines are kept as malformed too.

constexpr std::string_view k_iis_fields15 =
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) "
    "sc-status sc-substatus sc-win32-status time-taken";
constexpr std::string_view k_iis_fields14 =
    "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status "
    "sc-substatus sc-win32-status time-taken";

// '+' → ' ' (IIS writes spaces in the user agent and referrer as '+').
sv iis_unplus(event_batch& batch, sv s) {
    if (s.find('+') == sv::npos) return s;
    std::string t(s);
    for (auto& c : t)
        if (c == '+') c = ' ';
    return batch.copy(t);
}

parse_status parse_iis(sv line, const context& ctx, event_batch& batch, event& e, sv& why) {
    static const field_id k_substatus = intern("iis.substatus"), k_win32 = intern("iis.win32_status"),
                          k_taken = intern("iis.time_taken_ms"), k_software = intern("iis.software");
    if (line.size() > 1 && line[0] == '#') {
        // Header lines: kept as events of their own; "#Fields:" must be a layout we read.
        sv body = line.substr(1);
        std::size_t colon = body.find(": ");
        if (colon == sv::npos) return parse_status::not_mine;
        sv key = body.substr(0, colon), value = trim(body.substr(colon + 2));
        if (key != "Software" && key != "Version" && key != "Date" && key != "Fields" && key != "Remark")
            return parse_status::not_mine;
        if (key == "Fields" && value != k_iis_fields15 && value != k_iis_fields14) {
            why = "IIS log with other fields than IIS's default set: its lines cannot be read (set the site's "
                  "W3C logging fields back to the defaults)";
            return parse_status::malformed;
        }
        timestamp_ns ts = k_no_time;
        if (key == "Date") parse_iso(value, ctx, ts);
        e.ts = ts != k_no_time ? ts : ctx.reference_time;
        e.source_type = "iis";
        if (key == "Software" && !value.empty()) batch.add(k_software, value);
        batch.add(f::message, line);
        return parse_status::ok;
    }
    // "YYYY-MM-DD hh:mm:ss " then the fields, one space apart.
    if (line.size() < 40 || line[4] != '-' || line[7] != '-' || line[10] != ' ' || line[13] != ':') return parse_status::not_mine;
    std::array<sv, 16> t{};
    std::size_t n = 0, pos = 0;
    while (pos <= line.size() && n < t.size()) {
        std::size_t sp = line.find(' ', pos);
        if (sp == sv::npos) sp = line.size();
        t[n++] = line.substr(pos, sp - pos);
        pos = sp + 1;
    }
    if (pos <= line.size()) n = t.size() + 1;  // more fields than any layout
    // The time is UTC (W3C logs are always written in UTC).
    civil_time c;
    unsigned y = 0;
    std::size_t i = 0;
    if (!digits_at(t[0], 0, 4, y) || t[0].size() != 10 || !digits_at(t[0], 5, 2, c.month) || !digits_at(t[0], 8, 2, c.day))
        return parse_status::not_mine;
    c.year = static_cast<int>(y);
    if (!parse_hms(t[1], i, c) || i != t[1].size() || !civil_valid(c)) return parse_status::not_mine;
    // Enough to be sure this is a W3C line: an address, then a method.
    if (n < 10 || !is_ip(t[2]) || t[3].empty() || !is_alpha(t[3][0])) return parse_status::not_mine;
    if (n != 14 && n != 15) {
        why = "IIS W3C line with other fields than IIS's default set (14 or 15 fields): not read";
        return parse_status::malformed;
    }
    for (std::size_t k = 0; k < n; ++k)
        if (t[k].empty()) {  // IIS writes "-" for an empty value, never nothing
            why = "IIS W3C line with an empty field (two spaces in a row)";
            return parse_status::malformed;
        }
    const bool referrer = n == 15;
    sv method = t[3], stem = t[4], query = t[5], sport = t[6], user = t[7], client = t[8], agent = t[9];
    sv ref = referrer ? t[10] : sv("-");
    sv status = t[referrer ? 11 : 10], sub = t[referrer ? 12 : 11], win32 = t[referrer ? 13 : 12],
       taken = t[referrer ? 14 : 13];
    if (!valid_status(status) || !is_uint_in(sport, 0, 65535)) {
        why = "IIS W3C line whose status or port is not a number";
        return parse_status::malformed;
    }
    e.ts = civil_to_ns(c, 0);
    e.source_type = "web.access";
    batch.add(f::event_kind, "event");
    batch.add(f::event_category, "web");
    batch.add(f::event_type, "access");
    add_client(batch, client);
    batch.add(f::destination_ip, t[2]);
    batch.add(f::destination_port, sport);
    if (user != "-" && !user.empty()) batch.add(f::user_name, user);
    batch.add(f::http_request_method, method);
    const bool has_query = query != "-" && !query.empty();
    if (has_query) {
        std::string full(stem);
        full.push_back('?');
        full.append(query);
        batch.add(f::url_original, batch.copy(full));
    } else {
        batch.add(f::url_original, stem);
    }
    batch.add(f::url_path, stem);
    if (has_query) batch.add(f::url_query, query);
    add_status(batch, status);
    if (all_digits(sub)) batch.add(k_substatus, sub, value_kind::number);
    if (all_digits(win32)) batch.add(k_win32, win32, value_kind::number);
    if (all_digits(taken)) batch.add(k_taken, taken, value_kind::number);
    if (ref != "-" && !ref.empty()) batch.add(f::http_request_referrer, iis_unplus(batch, ref));
    if (agent != "-" && !agent.empty()) batch.add(f::user_agent_original, iis_unplus(batch, agent));
    return parse_status::ok;
}

class iis_parser final : public line_parser {
public:
    sv name() const override { return "iis"; }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e, sv& why) override {
        return parse_iis(line, ctx, batch, e, why);
    }
};

class web_access_parser final : public line_parser {
public:
    sv name() const override { return "web.access"; }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e,
                       sv& why) override {
        return parse_access(line, ctx, batch, e, why);
    }
};

class web_error_parser final : public line_parser {
public:
    sv name() const override { return "web.error"; }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e,
                       sv& why) override {
        return parse_error_line(line, ctx, batch, e, why, true);
    }
};

/// Access or error line inside a syslog envelope (nginx's `access_log syslog:`, Apache piped to
/// logger). The record's own time replaces the envelope's.
parse_status web_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& batch,
                         event& e, sv& why) {
    if (msg.empty()) return parse_status::not_mine;
    sv w;
    if (is_digit(msg[0]) || msg[0] == '[' || is_alpha(msg[0]) || msg[0] == ':') {
        auto st = parse_access(msg, ctx, batch, e, w);
        if (st != parse_status::not_mine) {
            why = w;
            return st;
        }
        st = parse_error_line(msg, ctx, batch, e, w, false);
        if (st != parse_status::not_mine) why = w;
        return st;
    }
    return parse_status::not_mine;
}

/// The sniffer variant only takes access lines: an error-log line is not recognisable enough
/// without the program name.
parse_status web_sniff(const syslog_envelope& env, sv msg, const context& ctx, event_batch& batch,
                       event& e, sv& why) {
    if (msg.size() < 40 || msg.find(" [") == sv::npos || msg.find("] \"") == sv::npos)
        return parse_status::not_mine;
    return parse_access(msg, ctx, batch, e, why);
}

}  // namespace

MIMAMORI_REGISTER_FORMAT("iis", 29, iis_parser)
MIMAMORI_REGISTER_FORMAT("web.access", 30, web_access_parser)
MIMAMORI_REGISTER_FORMAT("web.error", 31, web_error_parser)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_nginx, "nginx", 30, web_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_openresty, "openresty", 30, web_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_apache2, "apache2", 30, web_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_httpd, "httpd", 30, web_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_apache, "apache", 30, web_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_haproxy, "haproxy", 30, web_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_litespeed, "litespeed", 30, web_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(web_sniffer, "", 30, web_sniff)

}  // namespace mimamori::parse
