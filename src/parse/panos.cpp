// Palo Alto Networks PAN-OS syslog in its default CSV form:
//   1,2023/07/06 08:11:40,016401002737,THREAT,vulnerability,2561,2023/07/06 08:11:40,1.2.3.2,…
// (FUTURE_USE, Receive Time, Serial Number, Type, Subtype, FUTURE_USE, Generated Time, then the
// type's own columns, per "Syslog Field Descriptions" in the PAN-OS admin guide). TRAFFIC,
// THREAT, SYSTEM and GLOBALPROTECT records are mapped to ECS; other types keep the header.
// A sniffer message parser (the CSV arrives after a syslog header with no tag) and a line format
// ("panos", priority 22) for exported or relayed files. source_type "panos".
#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

constexpr std::size_t k_max_cols = 128;

struct csv_row {
    sv col[k_max_cols];
    bool quoted[k_max_cols] = {};
    std::size_t n = 0;
};

/// Split CSV with "…" quoting ("" inside quotes is a literal quote; such values keep the
/// doubled quotes, which is rare enough to leave as is).
void split_csv(sv s, csv_row& r) {
    r.n = 0;
    std::size_t i = 0;
    while (r.n < k_max_cols) {
        if (i < s.size() && s[i] == '"') {
            std::size_t j = i + 1;
            while (j < s.size()) {
                if (s[j] == '"') {
                    if (j + 1 < s.size() && s[j + 1] == '"') {
                        j += 2;
                        continue;
                    }
                    break;
                }
                ++j;
            }
            r.col[r.n] = s.substr(i + 1, (j < s.size() ? j : s.size()) - i - 1);
            r.quoted[r.n] = true;
            ++r.n;
            i = j + 1;
            if (i >= s.size()) break;
            if (s[i] != ',') {  // junk after a closing quote: skip to the next comma
                std::size_t c = s.find(',', i);
                if (c == sv::npos) break;
                i = c;
            }
            ++i;
            continue;
        }
        std::size_t c = s.find(',', i);
        r.col[r.n] = s.substr(i, c == sv::npos ? sv::npos : c - i);
        r.quoted[r.n] = false;
        ++r.n;
        if (c == sv::npos) break;
        i = c + 1;
    }
}

/// "YYYY/MM/DD hh:mm:ss" in the context zone.
bool panos_time(sv s, const context& ctx, timestamp_ns& out) {
    return s.size() == 19 && parse_iso(s, ctx, out) == 19;
}

bool is_type(sv t) {
    return t == "TRAFFIC" || t == "THREAT" || t == "SYSTEM" || t == "CONFIG" ||
           t == "GLOBALPROTECT" || t == "USERID" || t == "AUTH" || t == "HIPMATCH" ||
           t == "DECRYPTION" || t == "CORRELATION" || t == "TUNNEL" || t == "SCTP" ||
           t == "IPTAG" || t == "GTP";
}

/// Does the text look like a PAN-OS CSV record? (cheap check before splitting)
bool looks_panos(sv s) {
    // "1,YYYY/MM/DD hh:mm:ss,serial,TYPE,"
    if (s.size() < 40 || s[1] != ',' || !is_digit(s[0]) || s[6] != '/' || s[9] != '/' ||
        s[12] != ' ' || s[21] != ',')
        return false;
    std::size_t c1 = s.find(',', 22);
    if (c1 == sv::npos || c1 - 22 > 20) return false;
    std::size_t c2 = s.find(',', c1 + 1);
    return c2 != sv::npos && is_type(s.substr(c1 + 1, c2 - c1 - 1));
}

sv col(const csv_row& r, std::size_t i) {
    return i < r.n ? r.col[i] : sv{};
}

/// Add a column under a native name (skipping empty ones); the name is interned once.
#define MIMAMORI_NATIVE(NAME, VALUE)               \
    do {                                           \
        static const field_id k_id = intern(NAME); \
        sv v_ = (VALUE);                           \
        if (!v_.empty()) batch.add(k_id, v_);      \
    } while (0)

sv panos_action(sv a) {
    if (a == "allow") return "allowed";
    if (a == "deny" || a == "drop" || a == "drop-icmp" || a == "drop-all-packets" ||
        starts_with(a, "reset-") || a == "block-url" || a == "block" || a == "sinkhole")
        return "denied";
    return {};
}

void add_ip(event_batch& batch, field_id id, sv v) {
    if (!v.empty() && v != "0.0.0.0" && is_ip(v)) batch.add(id, v);
}
void add_port(event_batch& batch, field_id id, sv v) {
    if (!v.empty() && v != "0" && is_uint_in(v, 1, 65535)) batch.add(id, v);
}

/// The columns TRAFFIC and THREAT share (7..30).
void emit_session(const csv_row& r, event_batch& batch) {
    add_ip(batch, f::source_ip, col(r, 7));
    add_ip(batch, f::destination_ip, col(r, 8));
    add_ip(batch, f::source_nat_ip, col(r, 9));
    add_ip(batch, f::destination_nat_ip, col(r, 10));
    if (!col(r, 11).empty()) batch.add(f::rule_name, col(r, 11));
    if (!col(r, 12).empty()) batch.add(f::user_name, col(r, 12));
    if (!col(r, 13).empty()) batch.add(f::user_target_name, col(r, 13));
    MIMAMORI_NATIVE("app", col(r, 14));
    MIMAMORI_NATIVE("vsys", col(r, 15));
    MIMAMORI_NATIVE("from", col(r, 16));
    MIMAMORI_NATIVE("to", col(r, 17));
    if (!col(r, 18).empty()) batch.add(f::observer_ingress_interface, col(r, 18));
    if (!col(r, 19).empty()) batch.add(f::observer_egress_interface, col(r, 19));
    MIMAMORI_NATIVE("sessionid", col(r, 22));
    add_port(batch, f::source_port, col(r, 24));
    add_port(batch, f::destination_port, col(r, 25));
    add_port(batch, f::source_nat_port, col(r, 26));
    add_port(batch, f::destination_nat_port, col(r, 27));
    if (sv t = transport_name(col(r, 29)); !t.empty()) batch.add(f::network_transport, t);
    sv action = col(r, 30);
    if (!action.empty()) {
        batch.add(f::event_action, action);
        MIMAMORI_NATIVE("action", action);
        if (sv t = panos_action(action); !t.empty()) batch.add(f::event_type, t);
    }
}

void emit_traffic(const csv_row& r, event_batch& batch) {
    batch.add(f::event_category, "network");
    emit_session(r, batch);
    if (is_uint_in(col(r, 31), 0, ~0ULL >> 1)) batch.add(f::network_bytes, col(r, 31));
    if (is_uint_in(col(r, 32), 0, ~0ULL >> 1)) batch.add(f::source_bytes, col(r, 32));
    if (is_uint_in(col(r, 33), 0, ~0ULL >> 1)) batch.add(f::destination_bytes, col(r, 33));
    if (is_uint_in(col(r, 34), 0, ~0ULL >> 1)) batch.add(f::network_packets, col(r, 34));
    MIMAMORI_NATIVE("category", col(r, 37));
    if (is_uint_in(col(r, 44), 0, ~0ULL >> 1)) batch.add(f::source_packets, col(r, 44));
    if (is_uint_in(col(r, 45), 0, ~0ULL >> 1)) batch.add(f::destination_packets, col(r, 45));
    MIMAMORI_NATIVE("session_end_reason", col(r, 46));
    if (!col(r, 52).empty()) batch.add(f::observer_name, col(r, 52));
}

void emit_threat(const csv_row& r, event_batch& batch, sv subtype) {
    sv cat = "intrusion_detection";
    if (subtype == "virus" || subtype == "wildfire-virus" || subtype == "wildfire")
        cat = "malware";
    else if (subtype == "url")
        cat = "web";
    else if (subtype == "file" || subtype == "data")
        cat = "file";
    batch.add(f::event_category, cat);
    emit_session(r, batch);
    sv misc = col(r, 31), threat = col(r, 32);
    if (!misc.empty()) {
        MIMAMORI_NATIVE("misc", misc);
        if (subtype == "url")
            batch.add(f::url_original, misc);
        else if (subtype == "file" || subtype == "virus" || subtype == "wildfire")
            batch.add(f::file_name, misc);
    }
    if (!threat.empty()) {
        MIMAMORI_NATIVE("threatid", threat);
        batch.add(f::message, threat);
    }
    MIMAMORI_NATIVE("category", col(r, 33));
    if (!col(r, 34).empty()) {
        MIMAMORI_NATIVE("severity", col(r, 34));
        batch.add(f::log_level, col(r, 34));
    }
    MIMAMORI_NATIVE("direction", col(r, 35));
    if (!col(r, 46).empty()) batch.add(f::user_agent_original, col(r, 46));
    if (!col(r, 49).empty()) batch.add(f::http_request_referrer, col(r, 49));
    if (!col(r, 59).empty()) batch.add(f::observer_name, col(r, 59));
}

/// "… for user 'NAME' …" → NAME.
sv quoted_user(sv d) {
    std::size_t u = d.find("user '");
    if (u == sv::npos) return {};
    std::size_t e = d.find('\'', u + 6);
    return e == sv::npos ? sv{} : d.substr(u + 6, e - u - 6);
}
/// "From: 1.2.3.4." → the address.
sv from_ip(sv d) {
    std::size_t f = d.find("From: ");
    if (f == sv::npos) f = d.find("from: ");
    if (f == sv::npos) return {};
    sv t = d.substr(f + 6);
    std::size_t e = 0;
    while (e < t.size() && (is_hex(t[e]) || t[e] == '.' || t[e] == ':')) ++e;
    t = t.substr(0, e);
    while (!t.empty() && t.back() == '.') t.remove_suffix(1);
    return t;
}

void emit_system(const csv_row& r, event_batch& batch, bool with_message) {
    sv eventid = col(r, 8), module = col(r, 12), severity = col(r, 13), desc = col(r, 14);
    MIMAMORI_NATIVE("eventid", eventid);
    MIMAMORI_NATIVE("object", col(r, 9));
    MIMAMORI_NATIVE("module", module);
    if (!eventid.empty()) batch.add(f::event_code, eventid);
    if (!severity.empty()) batch.add(f::log_level, severity);
    if (!desc.empty()) {
        MIMAMORI_NATIVE("opaque", desc);
        if (with_message) batch.add(f::message, desc);
    }
    bool fail = eventid == "auth-fail" || icontains(desc, "failed authentication") ||
                icontains(desc, "authentication failed");
    bool ok = eventid == "auth-success" || starts_with(desc, "authenticated for user");
    if (fail || ok) {
        batch.add(f::event_category, "authentication");
        batch.add(f::event_outcome, fail ? sv("failure") : sv("success"));
        if (sv u = quoted_user(desc); !u.empty()) batch.add(f::user_name, u);
        if (sv ip = from_ip(desc); is_ip(ip)) batch.add(f::source_ip, ip);
    } else {
        batch.add(f::event_category, "host");
    }
    if (!col(r, 22).empty()) batch.add(f::observer_name, col(r, 22));  // Device Name
}

void emit_globalprotect(const csv_row& r, event_batch& batch, bool with_message) {
    sv eventid = col(r, 8), user = col(r, 12), status = col(r, 28);
    MIMAMORI_NATIVE("eventid", eventid);
    MIMAMORI_NATIVE("stage", col(r, 9));
    MIMAMORI_NATIVE("auth_method", col(r, 10));
    MIMAMORI_NATIVE("tunnel_type", col(r, 11));
    MIMAMORI_NATIVE("machinename", col(r, 14));
    MIMAMORI_NATIVE("private_ip", col(r, 17));
    MIMAMORI_NATIVE("client_os", col(r, 22));
    MIMAMORI_NATIVE("error", col(r, 26));
    MIMAMORI_NATIVE("status", status);
    if (!eventid.empty()) {
        batch.add(f::event_code, eventid);
        batch.add(f::event_action, eventid);
    }
    if (!user.empty()) batch.add(f::user_name, user);
    add_ip(batch, f::source_ip, col(r, 15));
    if (col(r, 15).empty() || col(r, 15) == "0.0.0.0") add_ip(batch, f::source_ip, col(r, 16));
    bool auth =
        icontains(eventid, "auth") || icontains(eventid, "login") || icontains(eventid, "logout");
    batch.add(f::event_category, auth ? sv("authentication") : sv("network"));
    if (status == "success" || status == "failure") batch.add(f::event_outcome, status);
    if (with_message && !col(r, 27).empty()) batch.add(f::message, col(r, 27));
    if (!col(r, 25).empty()) batch.add(f::event_reason, col(r, 25));
}

/// The record's own high-resolution time ("2023-07-06T08:11:40.288+02:00"), searched from the
/// end (its column moves between PAN-OS versions).
bool high_res_time(const csv_row& r, const context& ctx, timestamp_ns& out) {
    for (std::size_t i = r.n; i-- > 40;) {
        sv c = r.col[i];
        if (c.size() >= 25 && c[4] == '-' && c[10] == 'T' &&
            (c.back() == 'Z' || c[c.size() - 3] == ':') && parse_iso(c, ctx, out) == c.size())
            return true;
    }
    return false;
}

/// s: the CSV record. Nothing is added unless it is one.
parse_status emit(sv s, const context& ctx, event_batch& batch, event& e, bool with_message,
                  bool envelope_time) {
    if (!looks_panos(s)) return parse_status::not_mine;
    thread_local csv_row r;
    split_csv(s, r);
    sv type = col(r, 3), subtype = col(r, 4);
    timestamp_ns generated = 0, hr = 0;
    bool have_generated = panos_time(col(r, 6), ctx, generated);
    if (high_res_time(r, ctx, hr))
        e.ts = hr;
    else if (!envelope_time || e.ts == k_no_time)
        e.ts = have_generated                          ? generated
               : panos_time(col(r, 1), ctx, generated) ? generated
                                                       : ctx.reference_time;
    e.source_type = "panos";
    batch.add(f::event_kind, "event");
    batch.add(f::observer_vendor, "Palo Alto Networks");
    batch.add(f::observer_product, "PAN-OS");
    MIMAMORI_NATIVE("serial", col(r, 2));
    MIMAMORI_NATIVE("type", type);
    MIMAMORI_NATIVE("subtype", subtype);
    if (type == "TRAFFIC")
        emit_traffic(r, batch);
    else if (type == "THREAT")
        emit_threat(r, batch, subtype);
    else if (type == "SYSTEM")
        emit_system(r, batch, with_message);
    else if (type == "GLOBALPROTECT")
        emit_globalprotect(r, batch, with_message);
    return parse_status::ok;
}

#undef MIMAMORI_NATIVE

parse_status panos_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& batch,
                           event& e, sv&) {
    return emit(msg, ctx, batch, e, false, e.ts != k_no_time);
}

class panos_parser final : public line_parser {
public:
    sv name() const override { return "panos"; }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e, sv&) override {
        if (line.size() < 40) return parse_status::not_mine;
        prefix_info pre;
        sv body = looks_panos(line) ? line : skip_syslog_prefix(line, ctx, pre);
        if (!looks_panos(body)) return parse_status::not_mine;
        e.ts = pre.ts;
        auto st = emit(body, ctx, batch, e, true, pre.ts != k_no_time);
        if (st == parse_status::ok && !pre.host.empty()) batch.add(f::host_name, pre.host);
        return st;
    }
};

}  // namespace

MIMAMORI_REGISTER_FORMAT("panos", 22, panos_parser)
MIMAMORI_REGISTER_MESSAGE_PARSER(panos_sniffer, "", 22, panos_message)

}  // namespace mimamori::parse
