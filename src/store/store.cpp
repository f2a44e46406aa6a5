#include "store/store.hpp"

#include "core/time.hpp"

namespace mimamori::store {


void fields_json(const event_batch& batch, const event& e, std::string& out) {
    out.push_back('{');
    append_fields_json(batch, e, out, false);
    out.push_back('}');
}

void stored_event_json(std::int64_t ts, std::string_view source_type, std::string_view file,
                       std::int64_t line, std::int64_t offset, std::string_view fields,
                       std::string_view raw, std::string_view parse_error, std::string& out) {
    out += "{\"@timestamp\":";
    if (ts == k_no_time) {
        out += "null";
    } else {
        out.push_back('"');
        format_rfc3339(ts, out);
        out.push_back('"');
    }
    out += ",\"event.dataset\":";
    append_json_string(out, source_type);
    if (!file.empty()) {
        out += ",\"log.file.path\":";
        append_json_string(out, file);
    }
    if (line > 0) {
        out += ",\"log.file.line\":";
        out += std::to_string(line);
    } else if (!file.empty()) {
        out += ",\"log.offset\":";
        out += std::to_string(offset);
    }
    // The stored fields object without its braces.
    if (fields.size() > 2) {
        out.push_back(',');
        out.append(fields.substr(1, fields.size() - 2));
    }
    if (!raw.empty()) {
        out += ",\"event.original\":";
        append_json_string(out, raw);
    }
    if (!parse_error.empty()) {
        out += ",\"mimamori.parse_error\":";
        append_json_string(out, parse_error);
    }
    out.push_back('}');
}

std::string to_hex(std::string_view bytes) {
    static constexpr char k_hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(k_hex[c >> 4]);
        out.push_back(k_hex[c & 15]);
    }
    return out;
}

}  // namespace mimamori::store
