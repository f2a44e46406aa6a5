// EVTX reader: file header → 64 KiB chunks → records → Binary XML → windows::flattener.
// Format facts (offsets, tokens, value types) follow the public descriptions of the format
// (MS-EVEN6 BinXml, and the libevtx format notes); the code is ours.
#include "ingest/evtx.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <charconv>
#include <cstring>
#include <deque>
#include <unordered_map>

#include "core/time.hpp"

namespace mimamori::ingest::evtx {

namespace {

constexpr std::size_t k_file_header = 4096;
constexpr std::size_t k_chunk_size = 65536;
constexpr std::uint32_t k_chunk_header = 512;
constexpr int k_max_depth = 40;
// Ops (tokens decoded + ops run) allowed per record: real records need a few hundred; the cap
// stops crafted templates that reference a nested value thousands of times per level.
constexpr std::uint64_t k_work_budget = 1u << 21;
constexpr std::int64_t k_filetime_unix = 116444736000000000LL;  // 1970-01-01 in FILETIME

inline std::uint16_t rd16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
inline std::uint32_t rd32(const std::uint8_t* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;  // little-endian host (x86-64, aarch64)
}
inline std::uint64_t rd64(const std::uint8_t* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

bool all_zero(const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i]) return false;
    return true;
}

timestamp_ns from_filetime(std::uint64_t ft) {
    if (ft < static_cast<std::uint64_t>(k_filetime_unix)) return k_no_time;
    std::uint64_t t = ft - static_cast<std::uint64_t>(k_filetime_unix);
    if (t > static_cast<std::uint64_t>(INT64_MAX / 100)) return k_no_time;
    return static_cast<timestamp_ns>(t) * 100;
}

enum class opk : std::uint8_t { open, attr, close_start, close_empty, end, text, subst, instance };

struct op {
    opk k;
    std::uint8_t vtype = 0;
    bool optional = false;
    std::uint16_t index = 0;  // subst: value index; instance: number of values
    std::uint32_t a = 0;      // open/attr: name index; text: pool offset; instance: template index
    std::uint32_t b = 0;      // text: length; instance: chunk offset of the value descriptors
    mutable field_id fid = k_no_field;  // text: field id of the text when it names a <Data>
};

struct cached_name {
    std::string text;
    windows::name_kind kind;
    field_id id;  // the name as a field name
};

struct tmpl {
    std::vector<op> ops;
    enum : std::uint8_t { compiling, ok, bad } state = compiling;
};

struct value_ref {
    std::uint32_t off;
    std::uint16_t size;
    std::uint8_t type;
};

void append_hex_upper(std::string& out, const std::uint8_t* p, std::size_t n) {
    static const char* k = "0123456789ABCDEF";
    std::size_t old = out.size();
    out.resize(old + 2 * n);
    char* w = out.data() + old;
    for (std::size_t i = 0; i < n; ++i) {
        *w++ = k[p[i] >> 4];
        *w++ = k[p[i] & 15];
    }
}

template <typename T>
void append_num(std::string& out, T v) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_hex_int(std::string& out, std::uint64_t v) {
    char buf[24];
    buf[0] = '0';
    buf[1] = 'x';
    auto r = std::to_chars(buf + 2, buf + sizeof buf, v, 16);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_utf8_codepoint(std::string& out, std::uint32_t c) {
    if (c < 0x80) {
        out.push_back(static_cast<char>(c));
    } else if (c < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (c >> 6)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
        if (c >= 0xD800 && c <= 0xDFFF) c = 0xFFFD;
        out.push_back(static_cast<char>(0xE0 | (c >> 12)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (c >> 18)));
        out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
}

void append_guid(std::string& out, const std::uint8_t* p) {
    static const char* k = "0123456789ABCDEF";
    char b[38];
    int w = 0;
    auto hex = [&](std::uint64_t v, int digits) {
        for (int i = digits - 1; i >= 0; --i) b[w + i] = k[(v >> (4 * (digits - 1 - i))) & 15];
        w += digits;
    };
    b[w++] = '{';
    hex(rd32(p), 8);
    b[w++] = '-';
    hex(rd16(p + 4), 4);
    b[w++] = '-';
    hex(rd16(p + 6), 4);
    b[w++] = '-';
    hex(p[8], 2);
    hex(p[9], 2);
    b[w++] = '-';
    for (int i = 10; i < 16; ++i) hex(p[i], 2);
    b[w++] = '}';
    out.append(b, 38);
}

// Size of one item of a fixed-size value type, 0 for variable-size types.
std::size_t item_size(std::uint8_t base) {
    switch (base) {
        case 0x03: case 0x04: return 1;
        case 0x05: case 0x06: return 2;
        case 0x07: case 0x08: case 0x0b: case 0x0d: case 0x14: return 4;
        case 0x09: case 0x0a: case 0x0c: case 0x10: case 0x11: case 0x15: return 8;
        case 0x0f: case 0x12: return 16;
        default: return 0;
    }
}

// Render one value of a non-array type; returns true when it is a decimal integer.
bool render_one(std::uint8_t t, const std::uint8_t* p, std::size_t n, std::string& out) {
    switch (t) {
        case 0x01: {  // UTF-16LE string
            std::size_t units = n / 2;
            while (units > 0 && p[2 * units - 2] == 0 && p[2 * units - 1] == 0) --units;
            windows::append_utf16(out, p, units);
            return false;
        }
        case 0x02: {  // code-page string: read as Windows-1252's Latin-1 subset
            while (n > 0 && p[n - 1] == 0) --n;
            for (std::size_t i = 0; i < n; ++i) append_utf8_codepoint(out, p[i]);
            return false;
        }
        case 0x03: if (n >= 1) { append_num(out, static_cast<int>(static_cast<std::int8_t>(p[0]))); return true; } break;
        case 0x04: if (n >= 1) { append_num(out, static_cast<unsigned>(p[0])); return true; } break;
        case 0x05: if (n >= 2) { append_num(out, static_cast<std::int16_t>(rd16(p))); return true; } break;
        case 0x06: if (n >= 2) { append_num(out, rd16(p)); return true; } break;
        case 0x07: if (n >= 4) { append_num(out, static_cast<std::int32_t>(rd32(p))); return true; } break;
        case 0x08: if (n >= 4) { append_num(out, rd32(p)); return true; } break;
        case 0x09: if (n >= 8) { append_num(out, static_cast<std::int64_t>(rd64(p))); return true; } break;
        case 0x0a: if (n >= 8) { append_num(out, rd64(p)); return true; } break;
        case 0x0b:
            if (n >= 4) {
                float f;
                std::memcpy(&f, p, 4);
                append_num(out, f);
                return false;
            }
            break;
        case 0x0c:
            if (n >= 8) {
                double d;
                std::memcpy(&d, p, 8);
                append_num(out, d);
                return false;
            }
            break;
        case 0x0d:
            if (n >= 1) {
                out.append(all_zero(p, n) ? "false" : "true");
                return false;
            }
            break;
        case 0x0e: append_hex_upper(out, p, n); return false;
        case 0x0f: if (n >= 16) { append_guid(out, p); return false; } break;
        case 0x10:
            if (n == 4) { append_hex_int(out, rd32(p)); return false; }
            if (n == 8) { append_hex_int(out, rd64(p)); return false; }
            break;
        case 0x11:
            if (n >= 8) {
                timestamp_ns ts = from_filetime(rd64(p));
                if (ts != k_no_time) {
                    windows::format_windows_time(ts, out);
                    return false;
                }
            }
            break;
        case 0x12:
            if (n >= 16) {
                civil_time c;
                c.year = rd16(p);
                c.month = rd16(p + 2);
                c.day = rd16(p + 6);
                c.hour = rd16(p + 8);
                c.minute = rd16(p + 10);
                c.second = rd16(p + 12);
                unsigned ms = rd16(p + 14);
                if (c.year >= 1601 && c.year <= 2261 && c.month >= 1 && c.month <= 12 && c.day >= 1 && c.day <= 31 && c.hour < 24 && c.minute < 60 &&
                    c.second < 61 && ms < 1000) {
                    windows::format_windows_time(civil_to_seconds(c) * k_ns_per_sec + ms * 1'000'000LL, out);
                    return false;
                }
            }
            break;
        case 0x13:
            if (n >= 8) {
                unsigned count = p[1];
                if (8 + 4 * static_cast<std::size_t>(count) <= n) {
                    std::uint64_t auth = 0;
                    for (int i = 2; i < 8; ++i) auth = (auth << 8) | p[i];
                    out.append("S-");
                    append_num(out, static_cast<unsigned>(p[0]));
                    out.push_back('-');
                    append_num(out, auth);
                    for (unsigned i = 0; i < count; ++i) {
                        out.push_back('-');
                        append_num(out, rd32(p + 8 + 4 * i));
                    }
                    return false;
                }
            }
            break;
        case 0x14: if (n >= 4) { append_hex_int(out, rd32(p)); return false; } break;
        case 0x15: if (n >= 8) { append_hex_int(out, rd64(p)); return false; } break;
        default: break;
    }
    // Unknown type or too short for its type: keep the bytes, visibly.
    append_hex_upper(out, p, n);
    return false;
}

// Decodes the Binary XML of one chunk. Names and templates are cached by chunk offset.
class chunk_decoder {
public:
    chunk_decoder() : m_ops(k_max_depth + 2), m_vals(k_max_depth + 2) {}

    void reset(const std::uint8_t* chunk, std::uint32_t size) {
        m_c = chunk;
        m_size = size;
        m_name_at.clear();
        m_names.clear();
        m_tpl_at.clear();
        m_tpls.clear();
        m_pool.clear();
    }
    void begin_record() {
        m_work = 0;
        m_err = nullptr;
    }
    const char* error() const { return m_err ? m_err : "undecodable Binary XML"; }

    /// Decode [pos, end) into ops. Stops after an end-of-fragment token or at `end`.
    bool decode(std::uint32_t pos, std::uint32_t end, bool in_subst, std::vector<op>& out, int depth);
    /// Run ops with substitution values into the flattener.
    bool run(const std::vector<op>& ops, const value_ref* vals, std::size_t nvals, windows::flattener& fl, int depth);

private:
    bool fail(const char* why) {
        if (!m_err) m_err = why;
        return false;
    }
    // Name at `off`; when `off` equals `*inline_pos` the name is stored right there and
    // *inline_pos is moved past it. Returns the name index or -1.
    std::int64_t name_at(std::uint32_t off, std::uint32_t* inline_pos, std::uint32_t end);
    std::int64_t template_at(std::uint32_t off, int depth);
    void add_text_utf16(std::vector<op>& out, const std::uint8_t* p, std::size_t units) {
        auto start = static_cast<std::uint32_t>(m_pool.size());
        windows::append_utf16(m_pool, p, units);
        out.push_back(op{opk::text, 0, false, 0, start, static_cast<std::uint32_t>(m_pool.size() - start)});
    }
    void add_text(std::vector<op>& out, std::string_view s) {
        auto start = static_cast<std::uint32_t>(m_pool.size());
        m_pool.append(s);
        out.push_back(op{opk::text, 0, false, 0, start, static_cast<std::uint32_t>(s.size())});
    }
    bool render(const value_ref& v, windows::flattener& fl, bool in_attr);

    const std::uint8_t* m_c = nullptr;
    std::uint32_t m_size = 0;
    std::unordered_map<std::uint32_t, std::uint32_t> m_name_at;
    std::deque<cached_name> m_names;  // deque: views handed to the flattener stay valid
    std::unordered_map<std::uint32_t, std::uint32_t> m_tpl_at;
    std::deque<tmpl> m_tpls;
    std::string m_pool;
    std::vector<std::vector<op>> m_ops;         // scratch per depth: nested Binary XML values
    std::vector<std::vector<value_ref>> m_vals;  // scratch per depth: template instance values
    std::uint64_t m_work = 0;
    const char* m_err = nullptr;
};

std::int64_t chunk_decoder::name_at(std::uint32_t off, std::uint32_t* inline_pos, std::uint32_t end) {
    const bool here = inline_pos && off == *inline_pos;
    const std::uint32_t limit = here ? end : m_size;
    if (off < k_chunk_header || static_cast<std::uint64_t>(off) + 8 > limit) return -1;
    const std::uint32_t chars = rd16(m_c + off + 6);
    const std::uint64_t total = 8 + 2ULL * chars + 2;
    if (off + total > limit) return -1;
    if (here) *inline_pos = static_cast<std::uint32_t>(off + total);
    if (auto it = m_name_at.find(off); it != m_name_at.end()) return it->second;
    cached_name n;
    windows::append_utf16(n.text, m_c + off + 8, chars);
    // Element names may carry a namespace prefix; the flattener wants the local name.
    if (auto colon = n.text.find(':'); colon != std::string::npos && n.text.compare(0, 6, "xmlns:") != 0)
        n.text.erase(0, colon + 1);
    n.kind = windows::classify(n.text);
    n.id = intern(n.text);
    auto idx = static_cast<std::uint32_t>(m_names.size());
    m_names.push_back(std::move(n));
    m_name_at.emplace(off, idx);
    return idx;
}

std::int64_t chunk_decoder::template_at(std::uint32_t off, int depth) {
    if (auto it = m_tpl_at.find(off); it != m_tpl_at.end()) {
        const tmpl& t = m_tpls[it->second];
        return t.state == tmpl::ok ? static_cast<std::int64_t>(it->second) : -1;  // compiling = self-reference
    }
    if (off < k_chunk_header || static_cast<std::uint64_t>(off) + 24 > m_size) return -1;
    const std::uint32_t size = rd32(m_c + off + 20);
    if (static_cast<std::uint64_t>(off) + 24 + size > m_size) return -1;
    auto idx = static_cast<std::uint32_t>(m_tpls.size());
    m_tpls.emplace_back();
    m_tpl_at.emplace(off, idx);
    tmpl& t = m_tpls.back();
    bool ok = decode(off + 24, off + 24 + size, false, t.ops, depth + 1);
    t.state = ok ? tmpl::ok : tmpl::bad;
    return ok ? static_cast<std::int64_t>(idx) : -1;
}

bool chunk_decoder::decode(std::uint32_t pos, std::uint32_t end, bool in_subst, std::vector<op>& out, int depth) {
    if (depth > k_max_depth) return fail("Binary XML nested too deeply");
    if (end > m_size) return fail("Binary XML runs past its chunk");
    const std::uint8_t* c = m_c;
    while (pos < end) {
        if (++m_work > k_work_budget) return fail("record too complex (work budget exceeded)");
        const std::uint8_t tok = c[pos];
        const std::uint8_t base = tok & 0xBF;  // 0x40 = "more data follows"/"has attributes"
        switch (base) {
            case 0x00:  // end of fragment
                return true;
            case 0x01: {  // open start element: [dependency id u16] data size u32, name offset u32
                std::int64_t ni = -1;
                std::uint32_t p = 0;
                // The dependency id is absent inside Binary XML substitution values; try the
                // expected layout first and the other one when the name offset is impossible.
                for (int attempt = 0; attempt < 2 && ni < 0; ++attempt) {
                    bool dep = (attempt == 0) != in_subst;
                    p = pos + 1 + (dep ? 2 : 0);
                    if (static_cast<std::uint64_t>(p) + 8 > end) continue;
                    std::uint32_t noff = rd32(c + p + 4);
                    p += 8;
                    ni = name_at(noff, &p, end);
                }
                if (ni < 0) return fail("element with an invalid name");
                if (tok & 0x40) {
                    if (static_cast<std::uint64_t>(p) + 4 > end) return fail("element cut");
                    p += 4;  // attribute list size: attributes follow as tokens
                }
                out.push_back(op{opk::open, 0, false, 0, static_cast<std::uint32_t>(ni), 0});
                pos = p;
                break;
            }
            case 0x02: out.push_back(op{opk::close_start}); ++pos; break;
            case 0x03: out.push_back(op{opk::close_empty}); ++pos; break;
            case 0x04: out.push_back(op{opk::end}); ++pos; break;
            case 0x05: {  // value text: type u8 (string), chars u16, UTF-16
                if (static_cast<std::uint64_t>(pos) + 4 > end) return fail("value cut");
                const std::uint8_t vt = c[pos + 1];
                const std::uint32_t chars = rd16(c + pos + 2);
                if (static_cast<std::uint64_t>(pos) + 4 + 2ULL * chars > end) return fail("value cut");
                if (vt == 0x01) {
                    add_text_utf16(out, c + pos + 4, chars);
                } else if (vt != 0x00) {
                    return fail("value token of a non-string type");
                }
                pos += 4 + 2 * chars;
                break;
            }
            case 0x06: {  // attribute: name offset u32, then value tokens
                if (static_cast<std::uint64_t>(pos) + 5 > end) return fail("attribute cut");
                std::uint32_t p = pos + 5;
                std::int64_t ni = name_at(rd32(c + pos + 1), &p, end);
                if (ni < 0) return fail("attribute with an invalid name");
                out.push_back(op{opk::attr, 0, false, 0, static_cast<std::uint32_t>(ni), 0});
                pos = p;
                break;
            }
            case 0x07: {  // CDATA: chars u16, UTF-16
                if (static_cast<std::uint64_t>(pos) + 3 > end) return fail("CDATA cut");
                const std::uint32_t chars = rd16(c + pos + 1);
                if (static_cast<std::uint64_t>(pos) + 3 + 2ULL * chars > end) return fail("CDATA cut");
                add_text_utf16(out, c + pos + 3, chars);
                pos += 3 + 2 * chars;
                break;
            }
            case 0x08: {  // character reference u16
                if (static_cast<std::uint64_t>(pos) + 3 > end) return fail("character reference cut");
                std::string s;
                append_utf8_codepoint(s, rd16(c + pos + 1));
                add_text(out, s);
                pos += 3;
                break;
            }
            case 0x09: {  // entity reference: name offset u32
                if (static_cast<std::uint64_t>(pos) + 5 > end) return fail("entity reference cut");
                std::uint32_t p = pos + 5;
                std::int64_t ni = name_at(rd32(c + pos + 1), &p, end);
                if (ni < 0) return fail("entity reference with an invalid name");
                const std::string& n = m_names[static_cast<std::size_t>(ni)].text;
                if (n == "lt") add_text(out, "<");
                else if (n == "gt") add_text(out, ">");
                else if (n == "amp") add_text(out, "&");
                else if (n == "quot") add_text(out, "\"");
                else if (n == "apos") add_text(out, "'");
                else add_text(out, "&" + n + ";");
                pos = p;
                break;
            }
            case 0x0a: {  // processing instruction target: name offset u32 (dropped)
                if (static_cast<std::uint64_t>(pos) + 5 > end) return fail("PI cut");
                std::uint32_t p = pos + 5;
                if (name_at(rd32(c + pos + 1), &p, end) < 0) return fail("PI with an invalid name");
                pos = p;
                break;
            }
            case 0x0b: {  // processing instruction data: chars u16, UTF-16 (dropped)
                if (static_cast<std::uint64_t>(pos) + 3 > end) return fail("PI cut");
                const std::uint32_t chars = rd16(c + pos + 1);
                if (static_cast<std::uint64_t>(pos) + 3 + 2ULL * chars > end) return fail("PI cut");
                pos += 3 + 2 * chars;
                break;
            }
            case 0x0c: {  // template instance: u8, template id u32, definition offset u32
                if (static_cast<std::uint64_t>(pos) + 10 > end) return fail("template instance cut");
                const std::uint32_t def = rd32(c + pos + 6);
                std::uint32_t p = pos + 10;
                std::int64_t ti;
                if (def == p) {  // definition stored inline: next u32, GUID, size u32, Binary XML
                    if (static_cast<std::uint64_t>(p) + 24 > end) return fail("template definition cut");
                    const std::uint32_t size = rd32(c + p + 20);
                    if (static_cast<std::uint64_t>(p) + 24 + size > end) return fail("template definition cut");
                    ti = template_at(def, depth);
                    p += 24 + size;
                } else {
                    ti = template_at(def, depth);
                }
                if (ti < 0) return fail("template instance refers to an invalid template");
                if (static_cast<std::uint64_t>(p) + 4 > end) return fail("template values cut");
                const std::uint32_t n = rd32(c + p);
                p += 4;
                if (n > (end - p) / 4 || n > 0xFFFF) return fail("template value count too large");
                std::uint64_t total = 0;
                for (std::uint32_t i = 0; i < n; ++i) total += rd16(c + p + 4 * i);
                if (p + 4ULL * n + total > end) return fail("template values cut");
                out.push_back(op{opk::instance, 0, false, static_cast<std::uint16_t>(n), static_cast<std::uint32_t>(ti), p});
                pos = static_cast<std::uint32_t>(p + 4ULL * n + total);
                break;
            }
            case 0x0d:
            case 0x0e: {  // normal / optional substitution: index u16, type u8
                if (static_cast<std::uint64_t>(pos) + 4 > end) return fail("substitution cut");
                out.push_back(op{opk::subst, c[pos + 3], base == 0x0e, rd16(c + pos + 1), 0, 0});
                pos += 4;
                break;
            }
            case 0x0f:  // fragment header: major, minor, flags
                if (static_cast<std::uint64_t>(pos) + 4 > end) return fail("fragment header cut");
                pos += 4;
                break;
            default:
                return fail("unknown Binary XML token");
        }
    }
    return true;
}

bool chunk_decoder::render(const value_ref& v, windows::flattener& fl, bool in_attr) {
    const std::uint8_t* p = m_c + v.off;
    const std::size_t n = v.size;
    std::string& out = fl.text();
    if (!(v.type & 0x80)) {
        fl.piece_done(render_one(v.type, p, n, out));
        return true;
    }
    const std::uint8_t base = v.type & 0x7F;
    bool first = true;
    auto item = [&](const std::uint8_t* q, std::size_t len) {
        if (!first) fl.value_break();
        first = false;
        fl.piece_done(render_one(base, q, len, fl.text()));
    };
    (void)in_attr;
    if (base == 0x01) {  // NUL-separated UTF-16 strings
        std::size_t units = n / 2, start = 0;
        for (std::size_t i = 0; i <= units; ++i) {
            if (i == units || (p[2 * i] == 0 && p[2 * i + 1] == 0)) {
                if (i > start || i < units) item(p + 2 * start, 2 * (i - start));
                start = i + 1;
            }
        }
    } else if (base == 0x02) {
        std::size_t start = 0;
        for (std::size_t i = 0; i <= n; ++i) {
            if (i == n || p[i] == 0) {
                if (i > start || i < n) item(p + start, i - start);
                start = i + 1;
            }
        }
    } else if (base == 0x13) {  // SIDs: each 8 + 4 * count bytes
        std::size_t i = 0;
        while (i + 8 <= n) {
            std::size_t len = 8 + 4 * static_cast<std::size_t>(p[i + 1]);
            if (i + len > n) break;
            item(p + i, len);
            i += len;
        }
    } else if (std::size_t sz = item_size(base); sz > 0) {
        for (std::size_t i = 0; i + sz <= n; i += sz) item(p + i, sz);
    } else {
        fl.piece_done(render_one(0x0e, p, n, out));
    }
    return true;
}

bool chunk_decoder::run(const std::vector<op>& ops, const value_ref* vals, std::size_t nvals, windows::flattener& fl,
                        int depth) {
    if (depth > k_max_depth) return fail("Binary XML nested too deeply");
    bool in_attr = false;
    auto close_attr = [&] {
        if (in_attr) {
            fl.end_attribute();
            in_attr = false;
        }
    };
    for (std::size_t i = 0; i < ops.size(); ++i) {
        const op& o = ops[i];
        if (++m_work > k_work_budget) return fail("record too complex (work budget exceeded)");
        switch (o.k) {
            case opk::open: {
                close_attr();
                const cached_name& n = m_names[o.a];
                fl.start_element(windows::name_ref{n.text, n.kind, n.id});
                break;
            }
            case opk::attr: {
                close_attr();
                const cached_name& n = m_names[o.a];
                fl.start_attribute(windows::name_ref{n.text, n.kind, n.id});
                in_attr = true;
                break;
            }
            case opk::close_start: close_attr(); break;
            case opk::close_empty:
            case opk::end:
                close_attr();
                fl.end_element();
                break;
            case opk::text:
                if (fl.wants_name() &&
                    (i + 1 == ops.size() || (ops[i + 1].k != opk::text && ops[i + 1].k != opk::subst))) {
                    if (o.fid == k_no_field) o.fid = fl.id_of(std::string_view(m_pool).substr(o.a, o.b));
                    fl.set_name_id(o.fid);
                } else if (fl.want_text()) {
                    fl.text().append(m_pool, o.a, o.b);
                    fl.piece_done(false);
                }
                break;
            case opk::subst: {
                if (o.index >= nvals) break;  // no such value: nothing to substitute
                const value_ref& v = vals[o.index];
                if (v.type == 0x00 || v.size == 0) break;  // NULL: the optional part is left out
                if ((v.type & 0x7F) == 0x21) {  // nested Binary XML
                    auto& nested = m_ops[static_cast<std::size_t>(depth)];
                    nested.clear();
                    if (!decode(v.off, v.off + v.size, true, nested, depth + 1)) return false;
                    // `nested` may be reused by a deeper level only through depth + 1 slots.
                    if (!run(nested, nullptr, 0, fl, depth + 1)) return false;
                } else if (fl.want_text()) {
                    render(v, fl, in_attr);
                }
                break;
            }
            case opk::instance: {
                auto& table = m_vals[static_cast<std::size_t>(depth)];
                table.clear();
                std::uint32_t desc = o.b;
                std::uint32_t at = desc + 4u * o.index;
                for (std::uint32_t k = 0; k < o.index; ++k) {
                    const std::uint16_t size = rd16(m_c + desc + 4 * k);
                    table.push_back(value_ref{at, size, m_c[desc + 4 * k + 2]});
                    at += size;
                }
                if (!run(m_tpls[o.a].ops, table.data(), table.size(), fl, depth + 1)) return false;
                break;
            }
        }
    }
    close_attr();
    return true;
}

// Where the next record signature starts in [from, end), or end.
std::uint32_t find_record(const std::uint8_t* c, std::uint32_t from, std::uint32_t end) {
    for (std::uint32_t i = from; i + 4 <= end; ++i)
        if (c[i] == 0x2a && c[i + 1] == 0x2a && c[i + 2] == 0 && c[i + 3] == 0) return i;
    return end;
}

std::string hex_off(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

struct record_reader {
    std::string_view path;
    const reader_options& ropts;
    event_batch& batch;
    const batch_sink& sink;
    file_stats& st;
    const windows::ecs_mapping& mapping;
    std::string_view file_view;

    std::string_view file() {
        if (file_view.empty() && !path.empty()) file_view = batch.copy(path);
        return file_view;
    }
    void maybe_flush() {
        if (batch.size() >= ropts.batch_size) {
            sink(batch);
            batch.clear();
            file_view = {};
        }
    }
    std::string describe(std::uint64_t chunk, std::uint64_t off, std::uint64_t rid, std::string_view what) {
        std::string s = "evtx chunk " + std::to_string(chunk);
        if (rid) s += " record " + std::to_string(rid);
        s += " at offset " + hex_off(off) + ": ";
        s += what;
        return s;
    }
    void note(std::uint64_t chunk, std::uint64_t off, std::uint64_t rid, std::string_view what) {
        if (st.problems.size() < file_stats::k_max_problems)
            st.problems.push_back(problem{chunk, off, rid, std::string(what)});
    }
    // A problem that is not a decodable record: counted, and kept as a malformed event.
    void problem_event(std::uint64_t chunk, std::uint64_t off, std::uint64_t rid, std::string_view what) {
        note(chunk, off, rid, what);
        if (!ropts.emit_problems) return;
        auto& e = batch.begin();
        std::string text = describe(chunk, off, rid, what);
        e.raw = batch.copy(text);
        e.parse_error = e.raw;
        e.file = file();
        e.offset = off;
        e.source_type = windows::k_type_eventlog;
        batch.commit();
        ++st.events;
        ++st.malformed_events;
        maybe_flush();
    }
};

}  // namespace

bool sniff(std::string_view head) { return head.size() >= 8 && std::memcmp(head.data(), "ElfFile\0", 8) == 0; }

status read_buffer(std::string_view data, std::string_view path, const parse::options& opts,
                   const reader_options& ropts, event_batch& batch, const batch_sink& sink, file_stats& st) {
    if (!sniff(data)) return error{"evtx.signature", "not an EVTX file (no ElfFile signature)"};
    const auto* d = reinterpret_cast<const std::uint8_t*>(data.data());
    const std::size_t size = data.size();
    static const field_id k_record_id = intern("EventRecordID");

    record_reader rr{path, ropts, batch, sink, st, windows::ecs_mapping::get(opts), {}};
    if (size >= 128) {
        st.header_ok = static_cast<std::uint32_t>(crc32(0L, d, 120)) == rd32(d + 124);
        if (!st.header_ok) rr.note(0, 0, 0, "file header checksum mismatch (chunks read anyway)");
    } else {
        rr.problem_event(0, 0, 0, "file shorter than its header");
        if (!batch.empty()) sink(batch);
        return {};
    }

    chunk_decoder dec;
    windows::flattener fl;
    std::vector<op> top;
    top.reserve(16);
    std::uint64_t chunk_index = 0;
    for (std::size_t off = k_file_header; off < size; off += k_chunk_size, ++chunk_index) {
        const std::uint8_t* ch = d + off;
        const auto avail = static_cast<std::uint32_t>(std::min(k_chunk_size, size - off));
        if (avail < k_chunk_header || std::memcmp(ch, "ElfChnk\0", 8) != 0) {
            if (all_zero(ch, avail)) continue;  // unused, pre-allocated space
            ++st.chunks_bad;
            rr.problem_event(chunk_index, off, 0,
                             avail < k_chunk_header ? "chunk cut inside its header" : "no chunk signature; chunk skipped");
            continue;
        }
        ++st.chunks;
        const std::uint32_t free_off = rd32(ch + 48);
        std::uint32_t records_end = (free_off >= k_chunk_header && free_off <= k_chunk_size) ? free_off : k_chunk_size;
        bool damaged = false;
        std::string damage;
        {
            auto hcrc = crc32(0L, ch, 120);
            hcrc = crc32(hcrc, ch + 128, k_chunk_header - 128);
            if (static_cast<std::uint32_t>(hcrc) != rd32(ch + 124)) {
                damaged = true;
                damage = "chunk header checksum mismatch";
            }
        }
        if (records_end > avail) {
            damaged = true;
            damage += damage.empty() ? "" : "; ";
            damage += "chunk cut by end of file";
            records_end = avail;
        } else if (static_cast<std::uint32_t>(crc32(0L, ch + k_chunk_header, records_end - k_chunk_header)) !=
                   rd32(ch + 52)) {
            damaged = true;
            damage += damage.empty() ? "" : "; ";
            damage += "event records checksum mismatch";
        }
        if (damaged) {
            ++st.chunks_bad;
            rr.problem_event(chunk_index, off, 0, damage + " (records read anyway)");
        }

        dec.reset(ch, avail);
        std::uint32_t pos = k_chunk_header;
        while (pos + 24 <= records_end) {
            if (rd32(ch + pos) != 0x00002a2a) {
                if (all_zero(ch + pos, records_end - pos)) break;
                ++st.records_bad;
                rr.problem_event(chunk_index, off + pos, 0, "no record signature; skipped to the next one");
                pos = find_record(ch, pos + 1, records_end);
                continue;
            }
            const std::uint32_t rsize = rd32(ch + pos + 4);
            const std::uint64_t rid = rd64(ch + pos + 8);
            if (rsize < 28 || static_cast<std::uint64_t>(pos) + rsize > records_end ||
                rd32(ch + pos + rsize - 4) != rsize) {
                ++st.records_bad;
                const bool cut = static_cast<std::uint64_t>(pos) + rsize > avail && avail < k_chunk_size;
                rr.problem_event(chunk_index, off + pos, rid,
                                 cut ? "record cut by end of file" : "record size does not match its copy");
                pos = find_record(ch, pos + 4, records_end);
                continue;
            }
            auto& e = batch.begin();
            e.file = rr.file();
            e.offset = off + pos;
            e.line = 0;
            fl.begin(batch);
            dec.begin_record();
            top.clear();
            bool ok = dec.decode(pos + 24, pos + rsize - 4, false, top, 0) && dec.run(top, nullptr, 0, fl, 1);
            fl.close_all();
            if (fl.facts().record_id.empty()) {
                char buf[24];
                auto r = std::to_chars(buf, buf + sizeof buf, rid);
                fl.add_field(k_record_id, batch.copy(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf))), true);
            }
            if (fl.facts().ts == k_no_time) e.ts = from_filetime(rd64(ch + pos + 16));
            if (!ok) {
                std::string text = rr.describe(chunk_index, off + pos, rid, dec.error());
                e.parse_error = batch.copy(text);
                ++st.records_bad;
                ++st.malformed_events;
                rr.note(chunk_index, off + pos, rid, dec.error());
            } else {
                ++st.records;
            }
            windows::finish_event(batch, e, fl.facts(), rr.mapping);
            ++st.events;
            rr.maybe_flush();
            pos += rsize;
        }
        if (pos < records_end && pos + 24 > records_end && !all_zero(ch + pos, records_end - pos)) {
            ++st.records_bad;
            rr.problem_event(chunk_index, off + pos, 0, "record cut by end of file");
        }
    }
    if (!batch.empty()) {
        sink(batch);
        batch.clear();
    }
    return {};
}

status read_file(const std::string& path, const parse::options& opts, const reader_options& ropts,
                 event_batch& batch, const batch_sink& sink, file_stats& st) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return error{"io.open", "cannot open " + path + ": " + std::strerror(errno)};
    struct stat sb {};
    if (::fstat(fd, &sb) != 0) {
        ::close(fd);
        return error{"io.stat", "cannot stat " + path};
    }
    const auto size = static_cast<std::size_t>(sb.st_size);
    if (size == 0) {
        ::close(fd);
        return error{"evtx.signature", "empty file"};
    }
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) return error{"io.mmap", "cannot map " + path + ": " + std::strerror(errno)};
    ::madvise(m, size, MADV_SEQUENTIAL);
    auto s = read_buffer(std::string_view(static_cast<const char*>(m), size), path, opts, ropts, batch, sink, st);
    ::munmap(m, size);
    return s;
}

namespace {
[[maybe_unused]] const bool k_registered = register_whole_file_format(whole_file_format{
    "evtx",
    [](std::string_view head, std::string_view) { return sniff(head); },
    [](const std::string& path, const parse::options& opts, event_batch& batch, const batch_sink& sink,
       read_stats& rs) -> status {
        file_stats st;
        reader_options ro;
        auto s = read_file(path, opts, ro, batch, sink, st);
        rs.records += st.events;
        rs.malformed += st.malformed_events;
        return s;
    }});
}  // namespace

}  // namespace mimamori::ingest::evtx
