#include "store/store.hpp"

#include "core/time.hpp"

namespace mimamori::store {


namespace {

constexpr std::string_view k_message_null = "\"message\":null";

// Where the member `"message":null` starts in a fields object body (without braces), or npos.
// The text can only be that member there: inside a JSON string every quote is escaped, so a
// comma (or the start) followed by an unescaped quote begins a member name.
std::size_t message_null_at(std::string_view body) {
    for (std::size_t at = body.find(k_message_null); at != std::string_view::npos; at = body.find(k_message_null, at + 1)) {
        const bool starts = at == 0 || body[at - 1] == ',';
        const std::size_t end = at + k_message_null.size();
        const bool ends = end == body.size() || body[end] == ',';
        if (starts && ends) return at;
    }
    return std::string_view::npos;
}

}  // namespace

void fields_json(const event_batch& batch, const event& e, std::string& out) {
    out.push_back('{');
    append_fields_json(batch, e, out, false, f::message);
    out.push_back('}');
}

void stored_event_json(std::int64_t ts, std::string_view source_type, std::string_view file,
                       std::int64_t line, std::int64_t offset, std::string_view fields,
                       std::string_view raw, std::string_view parse_error, std::string& out,
                       std::int64_t msg_off, std::int64_t msg_len) {
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
    // The stored fields object without its braces; a message kept as its byte range in raw is
    // stored as null (fields_json) and put back here, in its place.
    if (fields.size() > 2) {
        out.push_back(',');
        std::string_view body = fields.substr(1, fields.size() - 2);
        std::size_t at = std::string_view::npos;
        if (msg_off >= 0 && msg_len > 0 && static_cast<std::uint64_t>(msg_off + msg_len) <= raw.size())
            at = message_null_at(body);
        if (at == std::string_view::npos) {
            out.append(body);
        } else {
            out.append(body.substr(0, at));
            out += "\"message\":";
            append_json_string(out, raw.substr(static_cast<std::size_t>(msg_off), static_cast<std::size_t>(msg_len)));
            out.append(body.substr(at + k_message_null.size()));
        }
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
