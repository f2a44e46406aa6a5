// key=value appliance logs: FortiGate (`date=… time=… devname="FG100E" logid="…" type="traffic"
// …`), Sophos UTM/XG, SonicWall and any other UTM that writes `key=value key="quoted value"`.
// Every key is kept under its own name; keys listed in mappings/kv.yaml are also stored under
// their ECS name. Also the loader of mappings/kv.yaml, whose `cef` and `leef` sections the CEF
// and LEEF parsers use.
//
// Line format "kv" (priority 20: after CEF/LEEF, before web/netfilter/syslog), optionally behind
// `<PRI>` and/or a syslog header, and a sniffer message parser for kv bodies inside syslog.
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <mutex>
#include <string>
#include <unordered_map>

#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {

// --- mappings ---------------------------------------------------------------------------------

namespace scan {
namespace {

struct kv_maps {
    std::unordered_map<std::string, ecs_target> family[3];
    std::string error;  // empty when loaded
    std::string path;
};

kv_maps load_maps(const options* opts) {
    kv_maps m;
    std::string dir = opts && !opts->mappings_dir.empty()
                          ? opts->mappings_dir
                          : std::string(MIMAMORI_SOURCE_DIR "/mappings");
    m.path = dir + "/kv.yaml";
    static const char* k_sections[] = {"kv", "cef", "leef"};
    try {
        YAML::Node root = YAML::LoadFile(m.path);
        for (int s = 0; s < 3; ++s) {
            YAML::Node sec = root[k_sections[s]];
            if (!sec) continue;
            if (!sec.IsMap()) {
                m.error =
                    m.path + ": section '" + k_sections[s] + "' must be a map of key: ecs.name";
                return m;
            }
            for (const auto& kvp : sec) {
                std::string key = kvp.first.as<std::string>();
                std::string target = kvp.second.as<std::string>();
                if (key.empty() || target.empty()) {
                    m.error = m.path + ": empty key or target in section '" + k_sections[s] + "'";
                    return m;
                }
                field_id id = find_field(target);
                if (id == k_no_field) id = intern(target);
                m.family[s][key] = ecs_target{id, check_for_name(target, id)};
            }
        }
    } catch (const YAML::Exception& ex) {
        m.error = m.path + ": " + ex.what() +
                  " (the key=value/CEF/LEEF field mappings; set the mappings directory)";
    }
    return m;
}

const kv_maps& maps(const options* opts) {
    static const kv_maps m = load_maps(opts);
    return m;
}

}  // namespace

ecs_target kv_target(const options* opts, kv_family family, sv key) {
    const auto& m = maps(opts).family[static_cast<int>(family)];
    auto it = m.find(std::string(key));
    return it == m.end() ? ecs_target{} : it->second;
}

namespace {
constexpr std::size_t k_max_record_names = 8192;
std::atomic<std::size_t> g_record_names{0};
}  // namespace

field_id intern_bounded(sv name) {
    field_id id = find_field(name);
    if (id != k_no_field) return id;
    if (g_record_names.fetch_add(1, std::memory_order_relaxed) >= k_max_record_names)
        return k_no_field;
    return intern(name);
}

status kv_mappings_status(const options& opts) {
    const auto& m = maps(&opts);
    if (!m.error.empty()) return error{"config.mappings", m.error};
    return {};
}

bool add_mapped(event_batch& batch, const ecs_target& t, sv v) {
    if (t.id == k_no_field || v.empty() || v == "N/A" || v == "n/a" || v == "-") return false;
    switch (t.check) {
        case value_check::drop:
            return false;
        case value_check::status:
            if (v.size() != 3 || !is_uint_in(v, 100, 999)) return false;
            batch.add(t.id, v);
            return true;
        case value_check::outcome:
            if (v != "success" && v != "failure" && v != "unknown") return false;
            batch.add(t.id, v);
            return true;
        case value_check::none:
            batch.add(t.id, v);
            return true;
        case value_check::ip: {
            if (is_ip(v)) {
                batch.add(t.id, v);
                return true;
            }
            // SonicWall "ip:port:interface[:name]"
            std::size_t c = v.find(':');
            if (c == sv::npos || !is_ipv4(v.substr(0, c))) return false;
            batch.add(t.id, v.substr(0, c));
            sv rest = v.substr(c + 1);
            sv port = rest.substr(0, rest.find(':'));
            if (is_uint_in(port, 0, 65535)) {
                if (t.id == f::source_ip)
                    batch.add(f::source_port, port);
                else if (t.id == f::destination_ip)
                    batch.add(f::destination_port, port);
            }
            return true;
        }
        case value_check::port:
            if (!is_uint_in(v, 0, 65535)) return false;
            batch.add(t.id, v);
            return true;
        case value_check::count:
            if (!is_uint_in(v, 0, ~0ULL >> 1)) return false;
            batch.add(t.id, v);
            return true;
        case value_check::number: {
            bool ok = true;
            for (char c : v) ok &= is_digit(c) || c == '.' || c == '-';
            if (!ok) return false;
            batch.add(t.id, v);
            return true;
        }
        case value_check::transport: {
            sv p = v.substr(0, v.find('/'));  // SonicWall "tcp/https"
            sv name = transport_name(p);
            if (name.empty()) return false;
            batch.add(t.id, name);
            return true;
        }
        case value_check::mac: {
            sv m = ecs_mac(batch, v);
            if (m.empty()) return false;
            batch.add(t.id, m);
            return true;
        }
        case value_check::lower: {
            bool upper = false;
            for (char c : v) upper |= c >= 'A' && c <= 'Z';
            if (!upper) {
                batch.add(t.id, v);
                return true;
            }
            char* out = batch.bytes().allocate(v.size());
            for (std::size_t i = 0; i < v.size(); ++i)
                out[i] = (v[i] >= 'A' && v[i] <= 'Z') ? static_cast<char>(v[i] | 0x20) : v[i];
            batch.add(t.id, sv(out, v.size()));
            return true;
        }
    }
    return false;
}

}  // namespace scan

namespace {

using namespace scan;

struct kv_pair {
    sv key, value;
    bool quoted = false;
    bool escaped = false;  // quoted value containing backslash escapes
};

/// A token "key=" at s[pos]: returns the key length (0 when not a key).
std::size_t key_at(sv s, std::size_t pos) {
    std::size_t i = pos;
    while (i < s.size() && i - pos < 64 && is_key_char(s[i])) ++i;
    if (i == pos || i >= s.size() || s[i] != '=' || (!is_alpha(s[pos]) && s[pos] != '_')) return 0;
    return i - pos;
}

/// Split `k=v k="v v" k=v` into pairs. Unquoted values run to the next space, and go on over
/// following words that are not `key=` (a value with spaces that nobody quoted); `strays`
/// counts such words. False when s does not start with a key.
bool scan_pairs(sv s, std::vector<kv_pair>& out, std::size_t& strays) {
    out.clear();
    strays = 0;
    std::size_t pos = 0;
    while (pos < s.size() && s[pos] == ' ') ++pos;
    if (key_at(s, pos) == 0) return false;
    while (pos < s.size()) {
        while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
        if (pos >= s.size()) break;
        std::size_t kl = key_at(s, pos);
        if (kl == 0) {
            // stray word: glue it to the previous unquoted value, else skip it
            std::size_t end = s.find(' ', pos);
            if (end == sv::npos) end = s.size();
            ++strays;
            if (!out.empty() && !out.back().quoted && !out.back().value.empty()) {
                kv_pair& last = out.back();
                const char* vb = last.value.data();
                last.value = sv(vb, static_cast<std::size_t>(s.data() + end - vb));
            }
            pos = end;
            continue;
        }
        kv_pair p;
        p.key = s.substr(pos, kl);
        pos += kl + 1;
        if (pos < s.size() && s[pos] == '"') {
            std::size_t i = pos + 1;
            bool esc = false;
            while (i < s.size()) {
                if (s[i] == '\\' && i + 1 < s.size()) {
                    esc = true;
                    i += 2;
                    continue;
                }
                if (s[i] == '"' &&
                    (i + 1 == s.size() || s[i + 1] == ' ' || s[i + 1] == '\t' || s[i + 1] == ','))
                    break;
                ++i;
            }
            // An unterminated quote (a record cut by a 1 KiB syslog limit) runs to the end.
            p.value = s.substr(pos + 1, (i < s.size() ? i : s.size()) - pos - 1);
            p.escaped = esc;
            p.quoted = true;
            pos = i < s.size() ? i + 1 : s.size();
            if (pos < s.size() && s[pos] == ',') ++pos;
        } else {
            std::size_t end = pos;
            while (end < s.size() && s[end] != ' ' && s[end] != '\t') ++end;
            p.value = s.substr(pos, end - pos);
            pos = end;
        }
        if (out.size() < 1024) out.push_back(p);
    }
    return true;
}

/// Undo \" and \\ inside a quoted value (copied into the batch).
sv unescape_quoted(event_batch& batch, sv v) {
    char* out = batch.bytes().allocate(v.size());
    std::size_t n = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '\\' && i + 1 < v.size() && (v[i + 1] == '"' || v[i + 1] == '\\')) ++i;
        out[n++] = v[i];
    }
    return {out, n};
}

bool has_word(sv s, sv lower_word) {
    return icontains(s, lower_word);
}

/// success / failure / "" from a status or result word.
sv outcome_of(sv v) {
    if (v.empty()) return {};
    if (has_word(v, "fail") || has_word(v, "denied") || has_word(v, "invalid") ||
        has_word(v, "unsuccessful") || has_word(v, "bad credential") || has_word(v, "reject") ||
        has_word(v, "locked"))
        return "failure";
    if (has_word(v, "success") || has_word(v, "succeeded") || iequals(v, "ok") ||
        has_word(v, "logged in") || iequals(v, "login") || has_word(v, "tunnel-up"))
        return "success";
    return {};
}

bool is_deny(sv a) {
    return iequals(a, "deny") || iequals(a, "denied") || iequals(a, "block") ||
           iequals(a, "blocked") || iequals(a, "drop") || iequals(a, "dropped") ||
           iequals(a, "reject") || iequals(a, "rejected") || iequals(a, "reset");
}
bool is_allow(sv a) {
    return iequals(a, "accept") || iequals(a, "accepted") || iequals(a, "allow") ||
           iequals(a, "allowed") || iequals(a, "pass") || iequals(a, "passed") ||
           iequals(a, "permit") || iequals(a, "permitted");
}

/// Key ids the parser gives meaning to beyond a plain rename.
struct special_keys {
    field_id date = intern("date"), time = intern("time"), tz = intern("tz"),
             eventtime = intern("eventtime"), timestamp = intern("timestamp"), ts = intern("ts"),
             t = intern("t"), logid = intern("logid"), devid = intern("devid"),
             devname = intern("devname"), vd = intern("vd"), type = intern("type"),
             subtype = intern("subtype"), action = intern("action"), status = intern("status"),
             result = intern("result"), logdesc = intern("logdesc"), msg = intern("msg"),
             log_type = intern("log_type"), log_component = intern("log_component"),
             log_subtype = intern("log_subtype"), fw_action = intern("fw_action"),
             sub = intern("sub"), name = intern("name"), at_timestamp = intern("@timestamp"),
             logver = intern("logver"), itime = intern("itime");
};
const special_keys& keys() {
    static const special_keys k;
    return k;
}

/// What emit_pairs does with a key beyond storing it (computed once per distinct key).
enum key_role : std::uint8_t {
    r_none,
    r_date,
    r_time,
    r_tz,
    r_eventtime,
    r_generic_time,
    r_logid,
    r_device,
    r_type,
    r_subtype,
    r_action,
    r_status,
    r_logdesc,
    r_msg,
    r_log_type,
    r_log_component,
    r_log_subtype,
    r_sub,
    r_name
};
std::uint8_t role_of(field_id id) {
    const special_keys& k = keys();
    if (id == k.date) return r_date;
    if (id == k.time) return r_time;
    if (id == k.tz) return r_tz;
    if (id == k.eventtime) return r_eventtime;
    if (id == k.timestamp || id == k.ts || id == k.t || id == k.at_timestamp || id == k.itime)
        return r_generic_time;
    if (id == k.logid) return r_logid;
    if (id == k.devid || id == k.devname || id == k.vd || id == k.logver) return r_device;
    if (id == k.type) return r_type;
    if (id == k.subtype) return r_subtype;
    if (id == k.action || id == k.fw_action) return r_action;
    if (id == k.status || id == k.result) return r_status;
    if (id == k.logdesc) return r_logdesc;
    if (id == k.msg) return r_msg;
    if (id == k.log_type) return r_log_type;
    if (id == k.log_component) return r_log_component;
    if (id == k.log_subtype) return r_log_subtype;
    if (id == k.sub) return r_sub;
    if (id == k.name) return r_name;
    return r_none;
}

struct seen_values {
    sv date, time, tz, eventtime, generic_time, type, subtype, action, status, logdesc, msg,
        log_component, log_subtype, sub, name;
    bool logid = false, device = false, user = false, src = false, dst = false;
};

/// Everything after the pairs are known: time, source type, category, outcome.
void finish(event_batch& batch, event& e, const seen_values& s, const context& ctx,
            bool have_envelope_time) {
    // Time: FortiGate's eventtime (epoch, exact) > date+time(+tz) > any time-ish key.
    timestamp_ns ts = k_no_time;
    bool zoned = false;
    if (!s.eventtime.empty() && parse_epoch(s.eventtime, ts)) {
        zoned = true;
    } else if (!s.date.empty() && !s.time.empty()) {
        civil_time c;
        unsigned y = 0;
        sv d = s.date, tm = s.time;
        std::size_t i = 0;
        if (d.size() == 10 && digits_at(d, 0, 4, y) && digits_at(d, 5, 2, c.month) &&
            digits_at(d, 8, 2, c.day) && parse_hms(tm, i, c)) {
            c.year = static_cast<int>(y);
            std::int32_t off = 0;
            if (civil_valid(c)) {
                if (!s.tz.empty() && parse_offset(s.tz, off)) {
                    ts = civil_to_ns(c, off);
                    zoned = true;
                } else {
                    ts = local_to_ns(ctx, c);
                }
            }
        }
    }
    if (ts == k_no_time && !s.generic_time.empty()) {
        timestamp_ns t = 0;
        if (parse_any_time(s.generic_time, ctx, t)) ts = t;
    }
    if (ts != k_no_time && (zoned || !have_envelope_time)) e.ts = ts;
    if (e.ts == k_no_time) e.ts = ctx.reference_time;

    bool fortigate = s.logid && s.device;
    e.source_type = fortigate ? "fortigate" : "kv";
    batch.add(f::event_kind, "event");
    if (fortigate) {
        batch.add(f::observer_vendor, "Fortinet");
        batch.add(f::observer_product, "FortiGate");
    }
    // Authentication: a login/auth event with a user or a remote address.
    sv what[] = {s.logdesc,     s.action,  s.msg, s.log_component,
                 s.log_subtype, s.subtype, s.sub, s.name};
    bool auth_words = false;
    for (sv w : what)
        auth_words |= has_word(w, "login") || has_word(w, "logon") ||
                      has_word(w, "authentication") || has_word(w, "auth fail") ||
                      has_word(w, "logged in");
    bool traffic = s.type == "traffic";
    // FortiOS logs a successful SSL-VPN or IPsec logon only as "tunnel-up" (logid 0101039424,
    // "SSL VPN tunnel up"; IPsec XAuth "xauth-up"...): no login word, but it is the logon.
    // tunnel-down / tunnel-stats are session records, not logons.
    const bool vpn_logon = fortigate && s.subtype == "vpn" &&
                           (iequals(s.action, "tunnel-up") || iequals(s.action, "ssl-login-fail"));
    if ((auth_words || vpn_logon) && !traffic && (s.user || s.src)) {
        batch.add(f::event_category, "authentication");
        sv oc = outcome_of(s.status);
        if (oc.empty()) oc = outcome_of(s.action);
        if (oc.empty()) oc = outcome_of(s.log_subtype);
        if (oc.empty()) oc = outcome_of(s.logdesc);
        if (oc.empty()) oc = outcome_of(s.msg);
        if (!oc.empty()) batch.add(f::event_outcome, oc);
        batch.add(f::event_type, "start");
        return;
    }
    sv cat;
    if (s.type == "utm") {
        if (s.subtype == "ips" || s.subtype == "anomaly")
            cat = "intrusion_detection";
        else if (s.subtype == "virus")
            cat = "malware";
        else if (s.subtype == "webfilter" || s.subtype == "waf")
            cat = "web";
        else
            cat = "network";
    } else if (traffic || s.src || s.dst) {
        cat = "network";
    } else if (s.type == "event" && (s.subtype == "system" || s.subtype == "user")) {
        cat = "host";
    }
    if (!cat.empty()) batch.add(f::event_category, cat);
    sv act = !s.action.empty() ? s.action : s.status;
    if (is_deny(act))
        batch.add(f::event_type, "denied");
    else if (is_allow(act))
        batch.add(f::event_type, "allowed");
    else if (cat == "network")
        batch.add(f::event_type, "connection");
}

/// Thread-local state: the key cache and a reusable pair buffer (no allocation per line).
struct kv_state {
    key_cache<key_info> cache;
    std::vector<kv_pair> pairs;
};
kv_state& state() {
    thread_local kv_state s;
    return s;
}

/// Is this list of pairs something the kv format should take? Rejects text that is mostly
/// prose with a few k=v in it (exim's "H=host [ip] F=<a> rejected RCPT <b>: …", at most one
/// stray word per `max_stray_ratio` pairs), and netfilter and audit records.
bool plausible(const std::vector<kv_pair>& pairs, std::size_t strays, std::size_t min_pairs,
               std::size_t max_stray_ratio) {
    if (pairs.size() < min_pairs || strays * max_stray_ratio > pairs.size()) return false;
    if (pairs[0].key == "IN") return false;  // netfilter
    if (pairs[0].key == "type" && pairs.size() > 1 && pairs[1].key == "msg")
        return false;  // auditd
    for (const auto& p : pairs)
        if (p.key == "msg" && starts_with(p.value, "audit(")) return false;
    return true;
}

/// Emit the pairs (already validated). `have_time`: the event already has a reliable time.
void emit_pairs(kv_state& st, const context& ctx, event_batch& batch, event& e,
                bool have_envelope_time, bool add_message) {
    seen_values s;
    for (const kv_pair& p : st.pairs) {
        if (p.value.empty()) continue;
        resolved_key r = resolve_key(st.cache, ctx.opts, kv_family::kv, p.key, role_of);
        sv v = p.escaped ? unescape_quoted(batch, p.value) : p.value;
        add_native(batch, r, v);
        // Inside syslog the envelope already set `message` to the whole record.
        bool skip = r.target.id == f::message && !add_message;
        if (r.target.id != k_no_field && !skip && add_mapped(batch, r.target, v)) {
            if (r.target.id == f::user_name)
                s.user = true;
            else if (r.target.id == f::source_ip)
                s.src = true;
            else if (r.target.id == f::destination_ip)
                s.dst = true;
        }
        switch (r.role) {
            case r_none:
                break;
            case r_date:
                s.date = v;
                break;
            case r_time:
                s.time = v;
                if (v.size() > 8) s.generic_time = v;  // SonicWall time="2019-05-10 11:50:48 UTC"
                break;
            case r_tz:
                s.tz = v;
                break;
            case r_eventtime:
                s.eventtime = v;
                break;
            case r_generic_time:
                if (s.generic_time.empty()) s.generic_time = v;
                break;
            case r_logid:
                s.logid = true;
                break;
            case r_device:
                s.device = true;
                break;
            case r_type:
                s.type = v;
                break;
            case r_subtype:
                s.subtype = v;
                break;
            case r_action:
                s.action = v;
                break;
            case r_status:
                s.status = v;
                break;
            case r_logdesc:
                s.logdesc = v;
                break;
            case r_msg:
                s.msg = v;
                break;
            case r_log_type:
                if (iequals(v, "firewall")) s.type = "traffic";  // Sophos XG
                break;
            case r_log_component:
                s.log_component = v;
                break;
            case r_log_subtype:
                s.log_subtype = v;
                break;
            case r_sub:
                s.sub = v;
                break;
            case r_name:
                s.name = v;
                break;
            default:
                break;
        }
    }
    finish(batch, e, s, ctx, have_envelope_time);
}

class kv_parser final : public line_parser {
public:
    sv name() const override { return "kv"; }
    status configure(const options& opts) override { return kv_mappings_status(opts); }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e, sv&) override {
        if (line.size() < 8) return parse_status::not_mine;
        prefix_info pre;
        sv body = skip_syslog_prefix(line, ctx, pre);
        kv_state& st = state();
        std::size_t strays = 0;
        if (!scan_pairs(body, st.pairs, strays) || !plausible(st.pairs, strays, 3, 2))
            return parse_status::not_mine;
        if (!pre.host.empty()) batch.add(f::host_name, pre.host);
        e.ts = pre.ts;
        emit_pairs(st, ctx, batch, e, pre.ts != k_no_time, true);
        return parse_status::ok;
    }
};

/// A kv body inside a syslog envelope. Stricter than the line format (≥ 4 pairs, and no text
/// before the first key) because it sees every message no other parser claimed.
parse_status kv_message(const syslog_envelope&, sv msg, const context& ctx, event_batch& batch,
                        event& e, sv&) {
    if (msg.size() < 12 || !is_alpha(msg[0])) return parse_status::not_mine;
    std::size_t eq = msg.find('=');
    if (eq == sv::npos || eq > 64) return parse_status::not_mine;
    kv_state& st = state();
    std::size_t strays = 0;
    if (!scan_pairs(msg, st.pairs, strays) || !plausible(st.pairs, strays, 4, 4))
        return parse_status::not_mine;
    emit_pairs(st, ctx, batch, e, e.ts != k_no_time, false);
    return parse_status::ok;
}

}  // namespace

MIMAMORI_REGISTER_FORMAT("kv", 20, kv_parser)
MIMAMORI_REGISTER_MESSAGE_PARSER(kv_sniffer, "", 40, kv_message)

}  // namespace mimamori::parse
