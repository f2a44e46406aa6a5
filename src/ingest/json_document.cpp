// Whole-file JSON ("json"): files that are not one object per line.
//   - AWS CloudTrail log files: {"Records": [ {...}, ... ]}  (usually .json.gz)
//   - a JSON array of objects: [ {...}, ... ]
//   - one or more objects pretty-printed or concatenated: {...}\n{...}
// Each object (each element of "Records" or of the array) becomes one event through the same
// flatten + profile mapping as NDJSON lines (parse/json_map.hpp). Provenance: line 0 and
// log.offset = byte offset of the object in the (decompressed) file.
//
// Files of one object per line are left to the line format "ndjson" (it reports line numbers),
// Windows event exports ({"Event": {"System": ...}}) to the Windows reader, and any file another
// whole-file format's sniffer claims to that format.
//
// The top-level structure is walked by a small bracket scanner that only finds where each
// object starts and ends; each object is then parsed and validated in full by simdjson, so a
// broken record costs one malformed event, not the file.
#include <zlib.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "ingest/file_format.hpp"
#include "parse/json_map.hpp"

namespace mimamori::ingest {

namespace {

constexpr std::size_t k_max_file = std::size_t{2} << 30;  // 2 GiB decompressed
constexpr std::size_t k_batch = 4096;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_ws(std::string_view s, std::size_t i) {
    if (i == 0 && s.size() >= 3 && s.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
    while (i < s.size() && is_ws(s[i])) ++i;
    return i;
}

// The first key of the object starting at s[i] == '{' (raw, escapes not resolved), or "".
std::string_view first_key(std::string_view s, std::size_t i) {
    if (i >= s.size() || s[i] != '{') return {};
    i = skip_ws(s, i + 1);
    if (i >= s.size() || s[i] != '"') return {};
    std::size_t start = ++i;
    while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
    if (i >= s.size()) return {};
    return s.substr(start, i - start);
}

bool is_windows_export(std::string_view head, std::size_t obj) {
    return first_key(head, obj) == "Event" && head.find("\"System\"") != std::string_view::npos;
}

bool sniff_shape(std::string_view head) {
    std::size_t i = skip_ws(head, 0);
    if (i >= head.size()) return false;
    if (head[i] == '[') {
        std::size_t j = skip_ws(head, i + 1);
        if (j >= head.size()) return false;
        if (head[j] == ']') return true;
        return head[j] == '{' && !is_windows_export(head, j);
    }
    if (head[i] != '{') return false;
    if (first_key(head, i) == "Records") {
        std::size_t colon = head.find(':', i);
        return colon != std::string_view::npos && skip_ws(head, colon + 1) < head.size() &&
               head[skip_ws(head, colon + 1)] == '[';
    }
    if (is_windows_export(head, i)) return false;
    // One object per line is NDJSON: the line format reads it (with line numbers). A first
    // object that spans lines means pretty-printed or concatenated objects: ours.
    auto nl = head.find('\n', i);
    if (nl == std::string_view::npos) return false;
    return !parse::looks_like_json_object(head.substr(i, nl - i));
}

// "json" is the generic whole-file reader: any more specific one (Windows event JSON, ...) that
// claims the file wins, whatever the registration order.
bool sniff_json(std::string_view head, std::string_view path) {
    if (!sniff_shape(head)) return false;
    for (const auto& f : whole_file_formats())
        if (f.name != "json" && f.sniff && f.sniff(head, path)) return false;
    return true;
}

// Skips the string starting at s[i] == '"'; returns the index after its closing quote, or npos.
std::size_t skip_string(std::string_view s, std::size_t i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') ++i;
        else if (s[i] == '"') return i + 1;
    }
    return std::string_view::npos;
}

// Skips one JSON value starting at s[i] (not white space); returns the index after it, or npos
// when the input ends inside it. Scalars end at the next delimiter; nothing is validated here.
std::size_t skip_value(std::string_view s, std::size_t i) {
    if (i >= s.size()) return std::string_view::npos;
    char c = s[i];
    if (c == '"') return skip_string(s, i);
    if (c == '{' || c == '[') {
        int depth = 0;
        for (; i < s.size(); ++i) {
            char d = s[i];
            if (d == '"') {
                i = skip_string(s, i);
                if (i == std::string_view::npos) return i;
                --i;
            } else if (d == '{' || d == '[') {
                ++depth;
            } else if (d == '}' || d == ']') {
                if (--depth == 0) return i + 1;
            }
        }
        return std::string_view::npos;
    }
    while (i < s.size() && !is_ws(s[i]) && s[i] != ',' && s[i] != ']' && s[i] != '}' && s[i] != '{' &&
           s[i] != '[' && s[i] != '"')
        ++i;
    return i;
}

status read_all(const std::string& path, std::string& out) {
    gzFile gz = gzopen(path.c_str(), "rb");
    if (!gz) return error{"io.open", "cannot open: " + std::string(std::strerror(errno))};
    gzbuffer(gz, 1 << 17);
    char buf[1 << 16];
    for (;;) {
        int n = gzread(gz, buf, sizeof buf);
        if (n < 0) {
            int code = 0;
            std::string msg = gzerror(gz, &code);
            gzclose(gz);
            return error{"io.read", "read error: " + msg};
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > k_max_file) {
            gzclose(gz);
            return error{"io.too_large", "JSON file larger than 2 GiB (decompressed); split it or convert it to one object per line"};
        }
    }
    gzclose(gz);
    return {};
}

class document_reader {
public:
    document_reader(const std::string& path, const parse::options& opts, event_batch& batch,
                    const batch_sink& sink, read_stats& stats)
        : m_path(path), m_batch(batch), m_sink(sink), m_stats(stats) {
        m_ctx.opts = &opts;
    }

    // One mapper per thread, kept across files: compiling the mapping costs more than reading a
    // small file, and CloudTrail writes many small files.
    status configure(const parse::options& opts) {
        thread_local std::unique_ptr<parse::json_mapper> mapper;
        thread_local std::shared_ptr<const parse::json_mapping> compiled;
        auto loaded = parse::load_json_mapping(parse::json_mapping_path(opts));
        if (!loaded) return loaded.err();
        if (!mapper || compiled != loaded.value()) {
            mapper = std::make_unique<parse::json_mapper>();
            mapper->set_mapping(loaded.value());
            compiled = loaded.value();
        }
        m_mapper = mapper.get();
        return {};
    }

    void run(std::string_view s) {
        std::size_t i = skip_ws(s, 0);
        while (i < s.size()) {
            char c = s[i];
            if (c == '[') {
                i = array(s, i, "invalid JSON: expected ',' or ']' between array elements");
            } else if (c == '{') {
                i = object_or_records(s, i);
            } else {
                rest_malformed(s, i, "invalid JSON: expected an object or an array of objects");
                return;
            }
            if (i == std::string_view::npos) return;
            i = skip_ws(s, i);
        }
        flush();
    }

    void flush() {
        if (m_batch.empty()) return;
        m_sink(m_batch);
        m_batch.clear();
        m_file = {};
    }

private:
    // Emits each element of the array at s[i] == '['; returns the index after it (npos when the
    // rest of the input had to be given up).
    std::size_t array(std::string_view s, std::size_t i, std::string_view bad_sep) {
        i = skip_ws(s, i + 1);
        if (i < s.size() && s[i] == ']') return i + 1;
        for (;;) {
            i = skip_ws(s, i);
            std::size_t end = skip_value(s, i);
            if (end == std::string_view::npos || end == i) {
                rest_malformed(s, i, "invalid JSON: the file ends inside an array");
                return std::string_view::npos;
            }
            element(s, i, end);
            i = skip_ws(s, end);
            if (i < s.size() && s[i] == ',') {
                ++i;
                continue;
            }
            if (i < s.size() && s[i] == ']') return i + 1;
            rest_malformed(s, i, i < s.size() ? bad_sep : "invalid JSON: the file ends inside an array");
            return std::string_view::npos;
        }
    }

    // A top-level object: a CloudTrail wrapper ({"Records": [...]}) gives one event per record;
    // any other object is one event.
    std::size_t object_or_records(std::string_view s, std::size_t start) {
        std::size_t end = skip_value(s, start);
        const bool truncated = end == std::string_view::npos;
        if (truncated) end = s.size();  // still read the records before the cut
        std::size_t records = std::string_view::npos;
        std::size_t i = skip_ws(s, start + 1);
        while (i < end && s[i] == '"') {
            std::size_t kend = skip_string(s, i);
            if (kend == std::string_view::npos) break;
            std::string_view key = s.substr(i + 1, kend - i - 2);
            i = skip_ws(s, kend);
            if (i >= end || s[i] != ':') break;
            i = skip_ws(s, i + 1);
            if (key == "Records" && i < end && s[i] == '[') {
                records = i;
                break;
            }
            std::size_t vend = skip_value(s, i);
            if (vend == std::string_view::npos || vend > end) break;
            i = skip_ws(s, vend);
            if (i < end && s[i] == ',') i = skip_ws(s, i + 1);
            else break;
        }
        if (records == std::string_view::npos) {
            if (truncated) {
                rest_malformed(s, start, "invalid JSON: the file ends inside an object");
                return std::string_view::npos;
            }
            element(s, start, end);
            return end;
        }
        // Keys after "Records" (none in CloudTrail files) are not read.
        std::size_t after = array(s.substr(0, end), records, "invalid JSON: expected ',' or ']' between records");
        if (after == std::string_view::npos || truncated) return std::string_view::npos;
        return end;
    }

    event& begin_event(std::string_view text, std::size_t offset) {
        if (m_file.empty()) m_file = m_batch.copy(m_path);
        auto& e = m_batch.begin();
        e.raw = m_batch.copy(text);
        e.file = m_file;
        e.line = 0;
        e.offset = offset;
        return e;
    }

    void finish_event(event& e) {
        m_batch.commit();
        ++m_stats.records;
        if (e.malformed()) ++m_stats.malformed;
        if (m_batch.size() >= k_batch) flush();
    }

    void element(std::string_view s, std::size_t begin, std::size_t end) {
        std::string_view text = s.substr(begin, end - begin);
        auto& e = begin_event(text, begin);
        if (text.empty() || text.front() != '{') {
            e.source_type = "json";
            e.parse_error = "JSON element is not an object";
            finish_event(e);
            return;
        }
        std::string_view why;
        auto st = m_mapper->map_object(e.raw, m_ctx, m_batch, e, why);
        if (st != parse::parse_status::ok) {
            m_batch.reset_fields();
            e.ts = k_no_time;
            e.source_type = "json";
            e.parse_error = why.empty() ? std::string_view("malformed JSON object") : why;
        }
        finish_event(e);
    }

    void rest_malformed(std::string_view s, std::size_t i, std::string_view why) {
        if (i >= s.size()) i = s.size() ? s.size() - 1 : 0;
        std::string_view rest = s.substr(i);
        constexpr std::size_t k_keep = 64 * 1024;  // the raw of a broken tail is kept, but bounded
        if (rest.size() > k_keep) rest = rest.substr(0, k_keep);
        if (rest.empty()) rest = "?";
        auto& e = begin_event(rest, i);
        e.source_type = "json";
        e.parse_error = why;
        finish_event(e);
        flush();
    }

    const std::string& m_path;
    event_batch& m_batch;
    const batch_sink& m_sink;
    read_stats& m_stats;
    parse::context m_ctx;
    parse::json_mapper* m_mapper = nullptr;
    std::string_view m_file;
};

status read_json(const std::string& path, const parse::options& opts, event_batch& batch,
                 const batch_sink& sink, read_stats& stats) {
    document_reader r(path, opts, batch, sink, stats);
    if (auto st = r.configure(opts); !st) return st;
    std::string data;
    auto st = read_all(path, data);
    if (!st && data.empty()) return st;
    r.run(data);  // a read error part-way still yields what was read
    r.flush();
    return st;
}

[[maybe_unused]] const bool k_registered_json_document =
    register_whole_file_format({"json", sniff_json, read_json});

}  // namespace

}  // namespace mimamori::ingest
