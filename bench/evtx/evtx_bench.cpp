// evtx_bench: events/s reading EVTX files with our reader or with libevtx's record API.
//
//   evtx_bench [--mode ours|libevtx-xml|libevtx-values|sigma] [--rules DIR]... [--runs N]
//              [--dump] [--count] FILE...
//
// --mode sigma reads with our reader and matches every event against the Sigma rules under the
// --rules folders (default: every SigmaHQ rules* folder in the shared data; rules for
// product windows are kept) with the compiled
// ruleset, on one thread; it prints the rules loaded and the matches found.
// --dump prints every event as NDJSON (ours only) and --count prints "<events> <file>" per file:
// both are for checking output, not timing. Timing runs read every file N times (default 3) and
// print the median run: "mode=… events=… seconds=… events_per_s=… mb_per_s=…".
// libevtx-xml renders each record's XML (what evtxexport does); libevtx-values uses the
// per-record accessors (event id, level, strings), which do not give EventData names.
#include <libevtx.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "core/event.hpp"
#include "ingest/evtx.hpp"
#ifdef MIMAMORI_HAVE_DETECT
#include "detect/ruleset/ruleset.hpp"
#include "detect/sigma/loader.hpp"
#endif

using namespace mimamori;

namespace {

std::uint64_t read_ours(const std::string& path, bool dump, std::uint64_t& fields) {
    event_batch batch;
    ingest::evtx::file_stats st;
    ingest::evtx::reader_options ro;
    std::string line;
    parse::options opts;
    auto s = ingest::evtx::read_file(path, opts, ro, batch, [&](event_batch& b) {
        for (const auto& e : b.events()) {
            fields += e.field_count;
            if (dump) {
                line.clear();
                write_event_json(b, e, line);
                line.push_back('\n');
                std::fwrite(line.data(), 1, line.size(), stdout);
            }
        }
    }, st);
    if (!s) std::fprintf(stderr, "%s: %s\n", path.c_str(), s.err().message.c_str());
    return st.records;
}

#ifdef MIMAMORI_HAVE_DETECT
struct sigma_engine {
    std::unique_ptr<mimamori::detect::ruleset> rs;
    std::unique_ptr<mimamori::detect::ruleset::scratch> scratch;
    std::vector<mimamori::detect::rule_match> matches;
    std::uint64_t total_matches = 0;
};

std::unique_ptr<sigma_engine> load_sigma(const std::vector<std::string>& dirs) {
    auto eng = std::make_unique<sigma_engine>();
    sigma::load_options lo;
    lo.placeholders_file = std::string(MIMAMORI_SOURCE_DIR) + "/mappings/sigma/placeholders.yaml";
    auto loaded = sigma::load_rules(dirs, lo);
    // Only rules for Windows logs: the rest could never match an EVTX record anyway.
    std::erase_if(loaded.rules, [](const sigma::rule_ir& r) { return r.doc->ls.product != "windows"; });
    auto map = detect::logsource_map::load(std::string(MIMAMORI_SOURCE_DIR) + "/mappings/sigma/logsources.yaml");
    if (!map) {
        std::fprintf(stderr, "logsource map: %s\n", map.err().message.c_str());
        return nullptr;
    }
    detect::ruleset_options o;
    o.cache_dir = detect::default_cache_dir();
    o.rules_hash = loaded.content_hash;
    std::size_t n = loaded.rules.size();
    auto rs = detect::ruleset::build(std::move(loaded.rules), map.value(), o);
    if (!rs) {
        std::fprintf(stderr, "ruleset: %s\n", rs.err().message.c_str());
        return nullptr;
    }
    eng->rs = std::move(rs.value());
    eng->scratch = eng->rs->make_scratch();
    std::fprintf(stderr, "sigma: %zu rules loaded (%zu unmapped), compiled in %.1f s%s\n", n,
                 eng->rs->stats().unmapped_rules, eng->rs->stats().compile_seconds,
                 eng->rs->stats().cache_hit ? " (cache)" : "");
    return eng;
}

std::uint64_t read_sigma(const std::string& path, sigma_engine& eng) {
    event_batch batch;
    ingest::evtx::file_stats st;
    ingest::evtx::reader_options ro;
    parse::options opts;
    (void)ingest::evtx::read_file(path, opts, ro, batch, [&](event_batch& b) {
        eng.matches.clear();
        eng.rs->match(b, *eng.scratch, eng.matches);
        eng.total_matches += eng.matches.size();
    }, st);
    return st.records;
}
#endif

std::uint64_t read_libevtx(const std::string& path, bool xml) {
    libevtx_file_t* f = nullptr;
    libevtx_error_t* err = nullptr;
    std::uint64_t n = 0;
    if (libevtx_file_initialize(&f, &err) != 1) return 0;
    if (libevtx_file_open(f, path.c_str(), LIBEVTX_OPEN_READ, &err) != 1) {
        libevtx_error_free(&err);
        libevtx_file_free(&f, nullptr);
        return 0;
    }
    int count = 0;
    libevtx_file_get_number_of_records(f, &count, &err);
    std::vector<std::uint8_t> buf(1 << 16);
    for (int i = 0; i < count; ++i) {
        libevtx_record_t* r = nullptr;
        if (libevtx_file_get_record_by_index(f, i, &r, &err) != 1) {
            libevtx_error_free(&err);
            continue;
        }
        if (xml) {
            size_t sz = 0;
            if (libevtx_record_get_utf8_xml_string_size(r, &sz, &err) == 1) {
                if (sz > buf.size()) buf.resize(sz);
                libevtx_record_get_utf8_xml_string(r, buf.data(), sz, &err);
            }
        } else {
            std::uint32_t id = 0;
            std::uint8_t level = 0;
            int strings = 0;
            libevtx_record_get_event_identifier(r, &id, &err);
            libevtx_record_get_event_level(r, &level, &err);
            if (libevtx_record_get_number_of_strings(r, &strings, &err) == 1) {
                for (int s = 0; s < strings; ++s) {
                    size_t sz = 0;
                    if (libevtx_record_get_utf8_string_size(r, s, &sz, &err) != 1) continue;
                    if (sz > buf.size()) buf.resize(sz);
                    libevtx_record_get_utf8_string(r, s, buf.data(), sz, &err);
                }
            }
            size_t sz = 0;
            if (libevtx_record_get_utf8_computer_name_size(r, &sz, &err) == 1 && sz <= buf.size())
                libevtx_record_get_utf8_computer_name(r, buf.data(), sz, &err);
        }
        if (err) libevtx_error_free(&err);
        ++n;
        libevtx_record_free(&r, nullptr);
    }
    libevtx_file_close(f, nullptr);
    libevtx_file_free(&f, nullptr);
    return n;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = "ours";
    int runs = 3;
    bool dump = false, count = false;
    std::vector<std::string> files, rule_dirs;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--mode" && i + 1 < argc) mode = argv[++i];
        else if (a == "--rules" && i + 1 < argc) rule_dirs.push_back(argv[++i]);
        else if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
        else if (a == "--dump") dump = true;
        else if (a == "--count") count = true;
        else files.push_back(a);
    }
    if (files.empty() ||
        (mode != "ours" && mode != "libevtx-xml" && mode != "libevtx-values" && mode != "sigma")) {
        std::fprintf(stderr,
                     "usage: evtx_bench [--mode ours|libevtx-xml|libevtx-values|sigma] [--rules DIR]... [--runs N] "
                     "[--dump] [--count] FILE...\n");
        return 2;
    }
#ifdef MIMAMORI_HAVE_DETECT
    std::unique_ptr<sigma_engine> eng;
    if (mode == "sigma") {
        if (rule_dirs.empty()) {  // every SigmaHQ rule folder (rules, rules-emerging-threats, …)
            std::string shared = std::string(MIMAMORI_SOURCE_DIR) + "/../shared/sigma";
            if (const char* env = std::getenv("MIMAMORI_SHARED_DIR")) shared = std::string(env) + "/sigma";
            for (const auto& e : std::filesystem::directory_iterator(shared))
                if (e.is_directory() && e.path().filename().string().rfind("rules", 0) == 0) rule_dirs.push_back(e.path().string());
            std::sort(rule_dirs.begin(), rule_dirs.end());
        }
        eng = load_sigma(rule_dirs);
        if (!eng) return 1;
    }
#else
    if (mode == "sigma") {
        std::fprintf(stderr, "evtx_bench was built without the Sigma engine (mimamori_detect)\n");
        return 2;
    }
#endif
    auto one = [&](const std::string& f, std::uint64_t& fields) -> std::uint64_t {
#ifdef MIMAMORI_HAVE_DETECT
        if (mode == "sigma") return read_sigma(f, *eng);
#endif
        if (mode == "ours") return read_ours(f, dump, fields);
        return read_libevtx(f, mode == "libevtx-xml");
    };
    if (dump || count) {
        for (const auto& f : files) {
            std::uint64_t fields = 0;
            std::uint64_t n = one(f, fields);
            if (count) std::printf("%llu %s\n", static_cast<unsigned long long>(n), f.c_str());
        }
        return 0;
    }
    std::uint64_t bytes = 0;
    for (const auto& f : files) {
        struct stat sb {};
        if (::stat(f.c_str(), &sb) == 0) bytes += static_cast<std::uint64_t>(sb.st_size);
    }
    // Rates are per CPU-second of this (single) thread: the machine is shared, and wall time
    // would measure the neighbours. Wall time is printed beside it.
    auto cpu_now = [] {
        timespec ts{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
    };
    std::vector<double> secs, walls;
    std::uint64_t events = 0, fields = 0;
    for (int r = 0; r < runs; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        double c0 = cpu_now();
        std::uint64_t n = 0;
        fields = 0;
        for (const auto& f : files) n += one(f, fields);
        secs.push_back(cpu_now() - c0);
        walls.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (r > 0 && n != events) {
            std::fprintf(stderr, "run %d read %llu events, run 0 read %llu\n", r, static_cast<unsigned long long>(n),
                         static_cast<unsigned long long>(events));
            return 1;
        }
        events = n;
    }
    std::sort(secs.begin(), secs.end());
    std::sort(walls.begin(), walls.end());
    double med = secs[secs.size() / 2];
    double wmed = walls[walls.size() / 2];
    std::printf("mode=%s events=%llu fields=%llu cpu_seconds=%.4f events_per_s=%.0f mb_per_s=%.1f wall_events_per_s=%.0f runs=%d",
                mode.c_str(), static_cast<unsigned long long>(events), static_cast<unsigned long long>(fields), med,
                events / med, bytes / med / 1e6, events / wmed, runs);
#ifdef MIMAMORI_HAVE_DETECT
    if (eng)
        std::printf(" rules=%zu matches_per_run=%llu", eng->rs->rules().size(),
                    static_cast<unsigned long long>(eng->total_matches / static_cast<std::uint64_t>(runs)));
#endif
    std::printf("\n");
    return 0;
}
