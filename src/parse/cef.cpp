// ArcSight Common Event Format:
//   [syslog header ]CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class
//   ID|Name|Severity|Extension
// Header fields escape '|' and '\' with a backslash; the extension is "key=value" pairs whose
// values may hold spaces (a value runs to the next " key=") and escape '=', '\', newlines.
// A line format ("cef", priority 10: the most specific), and a sniffer message parser for CEF
// records inside syslog (also registered for the tag "CEF", which is what a syslog parser sees
// in "host CEF: 0|…").
#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

struct cef_header {
    sv field[7];  // version, vendor, product, dev version, class id, name, severity
    bool escaped[7] = {};
    sv extension;
};

/// Parse "Version|…|Severity|ext" (s starts at the version). False when it is not CEF.
bool parse_header(sv s, cef_header& h) {
    while (!s.empty() && s[0] == ' ') s.remove_prefix(1);
    std::size_t start = 0;
    int n = 0;
    for (std::size_t i = 0; i < s.size() && n < 7; ++i) {
        if (s[i] == '\\') {
            h.escaped[n] = true;
            ++i;
            continue;
        }
        if (s[i] == '|') {
            h.field[n++] = s.substr(start, i - start);
            start = i + 1;
        }
    }
    if (n < 7) return false;
    h.extension = s.substr(start);
    sv ver = h.field[0];
    if (ver.empty() || ver.size() > 3 || !all_digits(ver.substr(0, 1))) return false;
    for (char c : ver)
        if (!is_digit(c) && c != '.') return false;
    return true;
}

sv header_value(event_batch& batch, const cef_header& h, int i) {
    return h.escaped[i] ? cef_unescape(batch, h.field[i]) : h.field[i];
}

/// CEF severity: 0-10, or Unknown/Low/Medium/High/Very-High.
sv severity_number(sv s) {
    if (is_uint_in(s, 0, 10)) return s;
    if (iequals(s, "low")) return "3";
    if (iequals(s, "medium")) return "6";
    if (iequals(s, "high")) return "8";
    if (iequals(s, "very-high") || iequals(s, "very high")) return "10";
    return {};
}

struct cef_state {
    key_cache<key_info> cache;
    std::vector<ext_pair> pairs;
};
cef_state& state() {
    thread_local cef_state s;
    return s;
}

bool is_label_key(sv k) {
    return k.size() > 5 && ends_with(k, "Label");
}

/// Emit a parsed record. `envelope_time`: e.ts already holds the syslog header's time.
void emit(const cef_header& h, const context& ctx, event_batch& batch, event& e, bool envelope_time,
          bool add_message) {
    static const field_id k_vendor = intern("deviceVendor");
    static const field_id k_product = intern("deviceProduct");
    static const field_id k_version = intern("deviceVersion");
    static const field_id k_class = intern("deviceEventClassId");
    static const field_id k_name = intern("name");
    static const field_id k_severity = intern("severity");
    static const field_id k_cef_version = intern("cef.version");
    cef_state& st = state();
    scan_ext(h.extension, st.pairs);

    e.source_type = "cef";
    sv vendor = header_value(batch, h, 1), product = header_value(batch, h, 2);
    sv version = header_value(batch, h, 3), klass = header_value(batch, h, 4);
    sv name = header_value(batch, h, 5), sev = h.field[6];
    batch.add(f::event_kind, "event");
    batch.add(k_cef_version, h.field[0]);
    if (!vendor.empty()) {
        batch.add(k_vendor, vendor);
        batch.add(f::observer_vendor, vendor);
    }
    if (!product.empty()) {
        batch.add(k_product, product);
        batch.add(f::observer_product, product);
    }
    if (!version.empty()) batch.add(k_version, version);
    if (!klass.empty()) {
        batch.add(k_class, klass);
        batch.add(f::event_code, klass);
    }
    if (!name.empty()) batch.add(k_name, name);
    if (!sev.empty()) {
        batch.add(k_severity, sev);
        if (sv n = severity_number(sev); !n.empty()) batch.add(f::event_severity, n);
    }

    sv rt, start, end, any_time, outcome, msg, cat;
    bool user = false, src = false, dst = false;
    for (const ext_pair& p : st.pairs) {
        if (p.value.empty()) continue;
        resolved_key r = resolve_key(st.cache, ctx.opts, kv_family::cef, p.key);
        sv v = p.escaped ? cef_unescape(batch, p.value) : p.value;
        add_native(batch, r, v);
        if (r.target.id == f::message) {
            msg = v;
            if (!add_message) continue;
        }
        if (r.target.id != k_no_field && add_mapped(batch, r.target, v)) {
            user |= r.target.id == f::user_name;
            src |= r.target.id == f::source_ip;
            dst |= r.target.id == f::destination_ip;
        }
        sv k = p.key;
        if (k == "rt")
            rt = v;
        else if (k == "start")
            start = v;
        else if (k == "end")
            end = v;
        else if (k == "outcome" || k == "eventOutcome")
            outcome = v;
        else if (k == "cat")
            cat = v;
        else if (any_time.empty() && k.size() > 4 &&
                 (ends_with(k, "Time") || ends_with(k, "time")) && k != "rt")
            any_time = v;
    }
    // Custom fields: csN / cnN / … with a csNLabel name them. The label becomes a field name.
    for (const ext_pair& lp : st.pairs) {
        if (!is_label_key(lp.key) || lp.value.empty() || lp.value.size() > 64) continue;
        sv base = lp.key.substr(0, lp.key.size() - 5);
        for (const ext_pair& p : st.pairs) {
            if (p.key != base || p.value.empty()) continue;
            sv label = lp.escaped ? cef_unescape(batch, lp.value) : lp.value;
            field_id id = intern_bounded(label);
            if (id != k_no_field && id >= f::k_first_dynamic) {
                sv v = p.escaped ? cef_unescape(batch, p.value) : p.value;
                add_mapped(batch, ecs_target{id, native_check_for(label, id)}, v);
            }
            break;
        }
    }
    if (add_message && msg.empty() && !name.empty()) batch.add(f::message, name);

    timestamp_ns ts = k_no_time;
    for (sv t : {rt, start, end, any_time}) {
        timestamp_ns v = 0;
        if (!t.empty() && parse_any_time(t, ctx, v)) {
            ts = v;
            break;
        }
    }
    if (ts != k_no_time)
        e.ts = ts;
    else if (!envelope_time || e.ts == k_no_time)
        e.ts = ctx.reference_time;

    bool auth = icontains(name, "login") || icontains(name, "logon") ||
                icontains(name, "authentication") || icontains(cat, "authentication");
    if (auth && (user || src)) {
        batch.add(f::event_category, "authentication");
        sv oc = outcome_word(outcome);
        if (oc.empty()) oc = outcome_word(name);
        if (!oc.empty()) batch.add(f::event_outcome, oc);
    } else {
        if (src || dst) batch.add(f::event_category, "network");
        if (sv oc = outcome_word(outcome); !oc.empty()) batch.add(f::event_outcome, oc);
    }
}

/// "CEF:" at the start of s, or a header without it ("0|Vendor|…", which some relays leave
/// after cutting "CEF:" as if it were a syslog tag).
bool find_cef(sv s, cef_header& h) {
    if (starts_with(s, "CEF:")) return parse_header(s.substr(4), h);
    if (s.size() > 2 && (s[0] == '0' || s[0] == '1') && s[1] == '|') {
        if (!parse_header(s, h)) return false;
        // stricter without the marker: a severity and key=value extension
        sv sev = trim(h.field[6]);
        return !severity_number(sev).empty() || iequals(sev, "unknown");
    }
    return false;
}

class cef_parser final : public line_parser {
public:
    sv name() const override { return "cef"; }
    status configure(const options& opts) override { return kv_mappings_status(opts); }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e, sv&) override {
        if (line.size() < 10) return parse_status::not_mine;
        cef_header h;
        prefix_info pre;
        std::size_t at = line.substr(0, 300).find("CEF:");
        if (at != sv::npos) {
            if (at > 0) {
                // Only a syslog-style header may come first, not arbitrary text that happens
                // to quote a CEF record (a URL in a web log, say).
                sv prefix = line.substr(0, at);
                if ((prefix.back() != ' ' && prefix.back() != '>') || prefix.find('"') != sv::npos)
                    return parse_status::not_mine;
                skip_syslog_prefix(prefix, ctx, pre);
            }
            if (!parse_header(line.substr(at + 4), h)) return parse_status::not_mine;
        } else if (!find_cef(line, h)) {
            return parse_status::not_mine;
        }
        if (!pre.host.empty()) batch.add(f::host_name, pre.host);
        e.ts = pre.ts;
        emit(h, ctx, batch, e, pre.ts != k_no_time, true);
        return parse_status::ok;
    }
};

parse_status cef_message(const syslog_envelope& env, sv msg, const context& ctx, event_batch& batch,
                         event& e, sv&) {
    cef_header h;
    if (env.program == "CEF") {
        if (!parse_header(msg, h)) return parse_status::not_mine;
    } else if (!find_cef(msg, h)) {
        return parse_status::not_mine;
    }
    emit(h, ctx, batch, e, e.ts != k_no_time, false);
    return parse_status::ok;
}

}  // namespace

MIMAMORI_REGISTER_FORMAT("cef", 10, cef_parser)
MIMAMORI_REGISTER_MESSAGE_PARSER(cef_tag, "CEF", 10, cef_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(cef_sniffer, "", 10, cef_message)

}  // namespace mimamori::parse
