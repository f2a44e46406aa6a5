#include "ingest/scan.hpp"

#include <algorithm>
#include <filesystem>
#include <sys/stat.h>

#include "ingest/line_reader.hpp"

namespace mimamori::ingest {

namespace fs = std::filesystem;

namespace {

// Sort key that puts rotated files of one log oldest first: x.3.gz, x.2, x.1, x-20240102, x.
struct rotation_key {
    std::string family;
    std::int64_t rank = 0;
};

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

rotation_key rotation_of(const std::string& path) {
    std::string base = path;
    if (base.size() > 3 && base.compare(base.size() - 3, 3, ".gz") == 0) base.resize(base.size() - 3);
    auto slash = base.rfind('/');
    auto dot = base.rfind('.');
    if (dot != std::string::npos && (slash == std::string::npos || dot > slash) &&
        all_digits(std::string_view(base).substr(dot + 1)) && base.size() - dot <= 4)
        return {base.substr(0, dot), -std::stoll(base.substr(dot + 1))};
    auto dash = base.rfind('-');
    if (dash != std::string::npos && (slash == std::string::npos || dash > slash) &&
        base.size() - dash == 9 && all_digits(std::string_view(base).substr(dash + 1)))
        return {base.substr(0, dash), std::stoll(base.substr(dash + 1)) - 1'000'000'000};
    return {base, 0};
}

timestamp_ns mtime_of(const std::string& path) {
    struct stat st {};
    if (path == "-" || ::stat(path.c_str(), &st) != 0) {
        return static_cast<timestamp_ns>(std::time(nullptr)) * k_ns_per_sec;
    }
    return static_cast<timestamp_ns>(st.st_mtim.tv_sec) * k_ns_per_sec + st.st_mtim.tv_nsec;
}

bool looks_binary(std::string_view head) {
    return std::find(head.begin(), head.end(), '\0') != head.end();
}

class batch_writer {
public:
    batch_writer(const scan_options& o, const batch_sink& s) : m_opts(o), m_sink(s) {}
    event_batch& batch() { return m_batch; }
    void maybe_flush() {
        if (m_batch.size() >= m_opts.batch_size) flush();
    }
    void flush() {
        if (m_batch.empty()) return;
        m_sink(m_batch);
        m_batch.clear();
        m_file_view = {};
    }
    std::string_view file_view(const std::string& path) {
        if (m_file_view.empty() && !path.empty()) m_file_view = m_batch.copy(path);
        return m_file_view;
    }
    void reset_file() { m_file_view = {}; }

private:
    const scan_options& m_opts;
    const batch_sink& m_sink;
    event_batch m_batch;
    std::string_view m_file_view;
};

void note_example(format_stats& fs, const scan_options& opts, std::string_view file,
                  std::uint64_t line, std::string_view why) {
    if (fs.examples.size() >= opts.max_examples) return;
    fs.examples.push_back(std::string(file) + ":" + std::to_string(line) + ": " + std::string(why));
}

void scan_lines(const std::string& path, parse::parser_set& parsers, int forced,
                const scan_options& opts, batch_writer& out, scan_stats& stats) {
    auto opened = line_reader::open(path);
    if (!opened) {
        stats.file_errors.push_back(path + ": " + opened.err().message);
        return;
    }
    auto& reader = *opened.value();
    parse::context ctx{&opts.parse, mtime_of(path)};

    // Detection sample: the first lines, kept to be parsed afterwards.
    constexpr std::size_t k_sample = 64;
    std::vector<std::string> held;
    std::vector<std::uint64_t> held_no, held_off;
    std::vector<bool> held_cut;
    std::string_view line;
    bool more = true;
    while (held.size() < k_sample && (more = reader.next(line))) {
        if (parse::trim(line).empty()) continue;
        held.emplace_back(line);
        held_no.push_back(reader.line_number());
        held_off.push_back(reader.line_offset());
        held_cut.push_back(reader.truncated());
    }
    int preferred = forced;
    if (preferred < 0) {
        std::vector<std::string_view> sample(held.begin(), held.end());
        preferred = parsers.detect(sample, ctx);
    }

    auto emit = [&](std::string_view text, std::uint64_t no, std::uint64_t off, bool cut) {
        auto& b = out.batch();
        auto& e = b.begin();
        e.raw = b.copy(text);
        e.file = out.file_view(path);
        e.line = no;
        e.offset = off;
        int used = parsers.parse(e.raw, preferred, ctx, b, e);
        if (cut && !e.malformed()) e.parse_error = "line longer than 1 MiB; cut there";
        auto& fs = stats.by_format[std::string(used >= 0 ? parsers.name(used) : e.source_type)];
        ++fs.events;
        fs.bytes += text.size() + 1;
        ++stats.events;
        stats.bytes += text.size() + 1;
        if (e.malformed()) {
            ++fs.malformed;
            ++stats.malformed;
            note_example(fs, opts, path, no, e.parse_error);
        }
        out.maybe_flush();
    };
    for (std::size_t i = 0; i < held.size(); ++i) emit(held[i], held_no[i], held_off[i], held_cut[i]);
    while (more && reader.next(line)) {
        if (parse::trim(line).empty()) continue;
        emit(line, reader.line_number(), reader.line_offset(), reader.truncated());
    }
    if (!reader.read_error().empty())
        stats.file_errors.push_back(path + ": " + reader.read_error() + " (read up to line " +
                                    std::to_string(reader.line_number()) + ")");
}

}  // namespace

std::vector<std::string> collect_inputs(const std::vector<std::string>& paths,
                                        std::vector<std::string>& errors) {
    std::vector<std::string> files;
    for (const auto& p : paths) {
        if (p == "-") {
            files.push_back(p);
            continue;
        }
        std::error_code ec;
        auto st = fs::status(p, ec);
        if (ec || !fs::exists(st)) {
            errors.push_back(p + ": no such file or folder");
            continue;
        }
        if (fs::is_directory(st)) {
            std::vector<std::string> found;
            fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied, ec);
            if (ec) {
                errors.push_back(p + ": cannot list folder: " + ec.message());
                continue;
            }
            for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (ec) {
                    errors.push_back(p + ": error while listing: " + ec.message());
                    break;
                }
                std::error_code ec2;
                if (it->is_regular_file(ec2)) found.push_back(it->path().string());
            }
            std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
                auto ka = rotation_of(a), kb = rotation_of(b);
                if (ka.family != kb.family) return ka.family < kb.family;
                if (ka.rank != kb.rank) return ka.rank < kb.rank;
                return a < b;
            });
            files.insert(files.end(), found.begin(), found.end());
        } else {
            files.push_back(p);
        }
    }
    return files;
}

status scan_paths(const std::vector<std::string>& paths, const scan_options& opts,
                  const batch_sink& sink, scan_stats& stats) {
    auto made = parse::parser_set::create(opts.parse);
    if (!made) return made.err();
    auto& parsers = made.value();
    int forced = -1;
    if (!opts.format.empty()) {
        forced = parsers.index_of(opts.format);
        bool whole = std::any_of(whole_file_formats().begin(), whole_file_formats().end(),
                                 [&](const auto& f) { return f.name == opts.format; });
        if (forced < 0 && !whole) {
            std::string known;
            for (const auto& f : parse::formats()) known += " " + std::string(f.name);
            for (const auto& f : whole_file_formats()) known += " " + std::string(f.name);
            return error{"usage.format", "unknown format '" + opts.format + "'; known:" + known};
        }
    }
    auto files = collect_inputs(paths, stats.file_errors);
    batch_writer out(opts, sink);
    for (const auto& path : files) {
        ++stats.files;
        out.reset_file();
        std::string head = path == "-" ? std::string() : read_head(path);
        const whole_file_format* whole = nullptr;
        for (const auto& f : whole_file_formats()) {
            if ((opts.format.empty() && f.sniff(head, path)) || f.name == opts.format) {
                whole = &f;
                break;
            }
        }
        if (whole) {
            out.flush();
            read_stats rs;
            auto st = whole->read(path, opts.parse, out.batch(), [&](event_batch& b) {
                for (const auto& e : b.events()) {
                    auto& fs = stats.by_format[std::string(whole->name)];
                    if (e.malformed()) note_example(fs, opts, path, e.line ? e.line : e.offset, e.parse_error);
                }
                sink(b);
                b.clear();
            }, rs);
            out.batch().clear();
            auto& fs = stats.by_format[std::string(whole->name)];
            fs.events += rs.records;
            fs.malformed += rs.malformed;
            stats.events += rs.records;
            stats.malformed += rs.malformed;
            if (!st) stats.file_errors.push_back(path + ": " + st.err().message);
            continue;
        }
        if (looks_binary(head) && forced < 0) {
            stats.file_errors.push_back(path + ": binary file of no known format; skipped");
            continue;
        }
        scan_lines(path, parsers, forced, opts, out, stats);
    }
    out.flush();
    return {};
}

}  // namespace mimamori::ingest
