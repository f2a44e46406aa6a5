// Encoding modifiers: utf16le/wide, utf16be, utf16 (with byte order mark), base64 and
// base64offset. They turn the rule's text into the bytes that appear in the log.
#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

namespace {

// Code points of a UTF-8 text; bytes that are not valid UTF-8 count as their Latin-1 reading.
std::vector<char32_t> code_points(std::string_view s) {
    std::vector<char32_t> out;
    for (std::size_t i = 0; i < s.size();) {
        auto b = static_cast<unsigned char>(s[i]);
        std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        bool ok = n > 0 && i + n <= s.size();
        for (std::size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        if (!ok) {
            out.push_back(b);
            ++i;
            continue;
        }
        char32_t cp = n == 1 ? b : n == 2 ? (b & 0x1F) : n == 3 ? (b & 0x0F) : (b & 0x07);
        for (std::size_t k = 1; k < n; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
        out.push_back(cp);
        i += n;
    }
    return out;
}

std::string utf16(std::string_view utf8, bool little) {
    std::string out;
    auto put = [&](unsigned u) {
        char lo = static_cast<char>(u & 0xFF), hi = static_cast<char>(u >> 8);
        if (little) {
            out.push_back(lo);
            out.push_back(hi);
        } else {
            out.push_back(hi);
            out.push_back(lo);
        }
    };
    for (char32_t cp : code_points(utf8)) {
        if (cp >= 0x10000) {
            cp -= 0x10000;
            put(0xD800 + static_cast<unsigned>(cp >> 10));
            put(0xDC00 + static_cast<unsigned>(cp & 0x3FF));
        } else {
            put(static_cast<unsigned>(cp));
        }
    }
    return out;
}

constexpr char k_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string encode_utf16le(std::string_view s) { return utf16(s, true); }
std::string encode_utf16be(std::string_view s) { return utf16(s, false); }
std::string encode_utf16_bom(std::string_view s) { return "\xFF\xFE" + utf16(s, true); }

std::string encode_base64(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 3 <= in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += k_b64[v >> 18];
        out += k_b64[(v >> 12) & 63];
        out += k_b64[(v >> 6) & 63];
        out += k_b64[v & 63];
    }
    if (std::size_t rest = in.size() - i) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (rest == 2) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += k_b64[v >> 18];
        out += k_b64[(v >> 12) & 63];
        out += rest == 2 ? k_b64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::vector<std::string> encode_base64_offsets(std::string_view bytes) {
    // Shifting the value by 0, 1 or 2 bytes inside a longer text: the first 0/2/3 characters
    // depend on the bytes before it, and, depending on where the value ends within a 3-byte
    // group, the last 0/3/2 characters (including padding) depend on the bytes after it.
    static constexpr std::size_t k_start[] = {0, 2, 3};
    static constexpr std::size_t k_cut_end[] = {0, 3, 2};
    std::vector<std::string> out;
    for (std::size_t shift = 0; shift < 3; ++shift) {
        std::string padded(shift, ' ');
        padded.append(bytes);
        std::string enc = encode_base64(padded);
        std::size_t cut = k_cut_end[(bytes.size() + shift) % 3];
        if (enc.size() < k_start[shift] + cut) continue;
        std::string part = enc.substr(k_start[shift], enc.size() - k_start[shift] - cut);
        if (!part.empty()) out.push_back(std::move(part));
    }
    return out;
}

}  // namespace mimamori::sigma
