#include "core/event.hpp"

#include "core/time.hpp"

namespace mimamori {

namespace {
constexpr char k_hex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], or 0 when the bytes there are not valid UTF-8.
std::size_t utf8_len(std::string_view s, std::size_t i) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
    auto b1 = static_cast<unsigned char>(s[i + 1]);
    if ((b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) || (b == 0xF0 && b1 < 0x90) ||
        (b == 0xF4 && b1 > 0x8F))
        return 0;
    return n;
}
}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    std::size_t run = 0;  // start of the pending run of bytes that need no escaping
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (std::size_t n = utf8_len(s, i)) {
                i += n;
                continue;
            }
        }
        out.append(s.data() + run, i - run);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                out += "\\u00";
                out.push_back(k_hex[c >> 4]);
                out.push_back(k_hex[c & 15]);
        }
        run = ++i;
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

namespace {
bool is_json_number(std::string_view v) {
    if (v.empty()) return false;
    std::size_t i = v[0] == '-' ? 1 : 0;
    if (i >= v.size()) return false;
    if (v[i] == '0' && i + 1 < v.size() && v[i + 1] != '.') return false;
    bool digit = false, dot = false;
    for (; i < v.size(); ++i) {
        if (v[i] >= '0' && v[i] <= '9') {
            digit = true;
        } else if (v[i] == '.' && !dot && digit) {
            dot = true;
            digit = false;
        } else {
            return false;
        }
    }
    return digit;
}

}  // namespace

void append_json_value(std::string& out, const field& fl) {
    if ((fl.kind == value_kind::number && is_json_number(fl.value)) ||
        (fl.kind == value_kind::boolean && (fl.value == "true" || fl.value == "false")))
        out.append(fl.value);
    else
        append_json_string(out, fl.value);
}

bool is_raw_slice(const event& e, const field& fl) {
    return fl.kind == value_kind::string && !fl.value.empty() && fl.value.data() >= e.raw.data() &&
           fl.value.data() + fl.value.size() <= e.raw.data() + e.raw.size();
}

bool append_fields_json(const event_batch& batch, const event& e, std::string& out,
                        bool leading_comma, field_id slice_as_null) {
    auto fs = batch.fields(e);
    bool wrote = false;
    for (std::size_t i = 0; i < fs.size(); ++i) {
        // Repeated ids become one array, at the position of the first occurrence.
        bool seen = false;
        for (std::size_t j = 0; j < i && !seen; ++j) seen = fs[j].id == fs[i].id;
        if (seen) continue;
        if (wrote || leading_comma) out.push_back(',');
        wrote = true;
        append_json_string(out, field_name(fs[i].id));
        out.push_back(':');
        std::size_t n = 0;
        for (std::size_t j = i; j < fs.size(); ++j) n += fs[j].id == fs[i].id;
        if (n == 1) {
            if (fs[i].id == slice_as_null && is_raw_slice(e, fs[i])) out += "null";
            else append_json_value(out, fs[i]);
            continue;
        }
        out.push_back('[');
        bool first = true;
        for (std::size_t j = i; j < fs.size(); ++j) {
            if (fs[j].id != fs[i].id) continue;
            if (!first) out.push_back(',');
            first = false;
            append_json_value(out, fs[j]);
        }
        out.push_back(']');
    }
    return wrote;
}

void write_event_json(const event_batch& batch, const event& e, std::string& out) {
    out += "{\"@timestamp\":";
    if (e.ts == k_no_time) {
        out += "null";
    } else {
        out.push_back('"');
        format_rfc3339(e.ts, out);
        out.push_back('"');
    }
    out += ",\"event.dataset\":";
    append_json_string(out, e.source_type);
    if (!e.file.empty()) {
        out += ",\"log.file.path\":";
        append_json_string(out, e.file);
    }
    if (e.line) {
        out += ",\"log.file.line\":";
        out += std::to_string(e.line);
    } else if (!e.file.empty()) {
        out += ",\"log.offset\":";
        out += std::to_string(e.offset);
    }
    append_fields_json(batch, e, out, true);
    if (!e.raw.empty()) {
        out += ",\"event.original\":";
        append_json_string(out, e.raw);
    }
    if (e.malformed()) {
        out += ",\"mimamori.parse_error\":";
        append_json_string(out, e.parse_error);
    }
    out.push_back('}');
}

}  // namespace mimamori
