// IBM QRadar Log Event Extended Format:
//   LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value…
//   LEEF:2.0|Vendor|Product|Version|EventID|DelimiterChar|key=value<DELIM>key=value…
// The 2.0 delimiter is one character or its hex code ("^", "x09", "0x09", "\t"). Senders that
// write LEEF 1.0 with spaces instead of tabs are read like CEF (a value runs to the next
// " key="). A line format ("leef", priority 11) and a sniffer message parser.
#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "parse/text_scan.hpp"

namespace mimamori::parse {
namespace {

using namespace scan;

struct leef_header {
    sv version, vendor, product, product_version, event_id;
    char delim = '\t';
    sv attributes;
};

/// A LEEF 2.0 delimiter field: "^", "x09", "0x09", "\t" → the character; 0 when it is not one.
char delimiter_of(sv d) {
    if (d.size() == 1 && d[0] != '=') return d[0];
    if (d == "\\t") return '\t';
    sv hex = d;
    if (starts_with(hex, "0x") || starts_with(hex, "0X"))
        hex.remove_prefix(2);
    else if (!hex.empty() && (hex[0] == 'x' || hex[0] == 'X'))
        hex.remove_prefix(1);
    else
        return 0;
    if (hex.empty() || hex.size() > 2) return 0;
    int v = 0;
    for (char c : hex) {
        if (!is_hex(c)) return 0;
        v = v * 16 + hex_value(c);
    }
    return v > 0 && v < 128 ? static_cast<char>(v) : 0;
}

/// s starts right after "LEEF:".
bool parse_header(sv s, leef_header& h) {
    sv f[6];
    int n = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i < s.size() && n < 6; ++i) {
        if (s[i] == '|') {
            f[n++] = s.substr(start, i - start);
            start = i + 1;
        }
    }
    if (n < 5) return false;
    h.version = trim(f[0]);
    if (h.version != "1.0" && h.version != "2.0" && h.version != "1" && h.version != "2")
        return false;
    h.vendor = f[1];
    h.product = f[2];
    h.product_version = f[3];
    h.event_id = f[4];
    // the attributes start after the 5th field's '|' (or after the 2.0 delimiter field)
    std::size_t after5 = static_cast<std::size_t>(f[4].data() + f[4].size() - s.data()) + 1;
    sv rest = after5 <= s.size() ? s.substr(after5) : sv{};
    if (h.version[0] == '2' && n == 6 && f[5].find('=') == sv::npos) {
        char d = delimiter_of(f[5]);
        if (d == 0) return false;
        h.delim = d;
        rest = s.substr(after5 + f[5].size() + 1);
    }
    h.attributes = rest;
    return true;
}

struct leef_state {
    key_cache<key_info> cache;
    std::vector<ext_pair> pairs;
};
leef_state& state() {
    thread_local leef_state s;
    return s;
}

void emit(const leef_header& h, const context& ctx, event_batch& batch, event& e,
          bool envelope_time, bool add_message) {
    static const field_id k_vendor = intern("deviceVendor");
    static const field_id k_product = intern("deviceProduct");
    static const field_id k_version = intern("deviceVersion");
    static const field_id k_event_id = intern("eventId");
    static const field_id k_leef_version = intern("leef.version");
    leef_state& st = state();
    char delim = h.delim;
    if (delim == '\t' && h.attributes.find('\t') == sv::npos) delim = ' ';
    scan_ext(h.attributes, st.pairs, delim);

    e.source_type = "leef";
    batch.add(f::event_kind, "event");
    batch.add(k_leef_version, h.version);
    if (!h.vendor.empty()) {
        batch.add(k_vendor, h.vendor);
        batch.add(f::observer_vendor, h.vendor);
    }
    if (!h.product.empty()) {
        batch.add(k_product, h.product);
        batch.add(f::observer_product, h.product);
    }
    if (!h.product_version.empty()) batch.add(k_version, h.product_version);
    if (!h.event_id.empty()) {
        batch.add(k_event_id, h.event_id);
        batch.add(f::event_code, h.event_id);
    }
    sv dev_time, cat, login, outcome;
    bool user = false, src = false, dst = false;
    for (const ext_pair& p : st.pairs) {
        if (p.value.empty()) continue;
        resolved_key r = resolve_key(st.cache, ctx.opts, kv_family::leef, p.key);
        sv v = p.value;
        if (delim == ' ' && p.escaped) v = cef_unescape(batch, v);
        add_native(batch, r, v);
        if (r.target.id == f::message && !add_message) continue;
        if (r.target.id != k_no_field && add_mapped(batch, r.target, v)) {
            user |= r.target.id == f::user_name;
            src |= r.target.id == f::source_ip;
            dst |= r.target.id == f::destination_ip;
        }
        sv k = p.key;
        if (k == "devTime")
            dev_time = v;
        else if (k == "cat")
            cat = v;
        else if (k == "isLoginEvent")
            login = v;
        else if (k == "outcome" || k == "result" || k == "status")
            outcome = v;
    }
    timestamp_ns ts = 0;
    if (!dev_time.empty() && parse_any_time(dev_time, ctx, ts))
        e.ts = ts;
    else if (!envelope_time || e.ts == k_no_time)
        e.ts = ctx.reference_time;

    bool auth = iequals(login, "true") || icontains(cat, "login") || icontains(cat, "logon") ||
                icontains(cat, "authentication") || icontains(h.event_id, "login") ||
                icontains(h.event_id, "logon");
    if (auth && (user || src)) {
        batch.add(f::event_category, "authentication");
        sv oc = outcome_word(outcome);
        if (oc.empty()) oc = outcome_word(cat);
        if (oc.empty()) oc = outcome_word(h.event_id);
        if (!oc.empty()) batch.add(f::event_outcome, oc);
    } else if (src || dst) {
        batch.add(f::event_category, "network");
    }
}

class leef_parser final : public line_parser {
public:
    sv name() const override { return "leef"; }
    status configure(const options& opts) override { return kv_mappings_status(opts); }
    parse_status parse(sv line, const context& ctx, event_batch& batch, event& e, sv&) override {
        std::size_t at = line.substr(0, 300).find("LEEF:");
        if (at == sv::npos) return parse_status::not_mine;
        prefix_info pre;
        if (at > 0) {
            sv prefix = line.substr(0, at);
            if ((prefix.back() != ' ' && prefix.back() != '>') || prefix.find('"') != sv::npos)
                return parse_status::not_mine;
            skip_syslog_prefix(prefix, ctx, pre);
        }
        leef_header h;
        if (!parse_header(line.substr(at + 5), h)) return parse_status::not_mine;
        if (!pre.host.empty()) batch.add(f::host_name, pre.host);
        e.ts = pre.ts;
        emit(h, ctx, batch, e, pre.ts != k_no_time, true);
        return parse_status::ok;
    }
};

parse_status leef_message(const syslog_envelope& env, sv msg, const context& ctx,
                          event_batch& batch, event& e, sv&) {
    leef_header h;
    if (starts_with(msg, "LEEF:")) {
        if (!parse_header(msg.substr(5), h)) return parse_status::not_mine;
    } else if (env.program == "LEEF") {
        if (!parse_header(msg, h)) return parse_status::not_mine;
    } else {
        return parse_status::not_mine;
    }
    emit(h, ctx, batch, e, e.ts != k_no_time, false);
    return parse_status::ok;
}

}  // namespace

MIMAMORI_REGISTER_FORMAT("leef", 11, leef_parser)
MIMAMORI_REGISTER_MESSAGE_PARSER(leef_tag, "LEEF", 11, leef_message)
MIMAMORI_REGISTER_MESSAGE_PARSER(leef_sniffer, "", 11, leef_message)

}  // namespace mimamori::parse
