// Sigma matching throughput: events/s on one core over a replicated corpus of SigmaHQ's
// regression events (read by the Windows readers, as `mimamori scan` reads them), with
// (a) 100 Windows rules and (b) all Windows rules; plus load+compile time of every SigmaHQ
// rule, cold (empty cache) and warm. Before timing, the compiled ruleset's matches on the
// corpus are checked against the reference interpreter.
//
// usage: sigma_bench [--events N] [--runs R] [--shared DIR] [--only a|b] [--corpus DIR]
//
// --corpus DIR: every .evtx, .ndjson and .json file under DIR instead of the regression events,
// e.g. out/demo/logs/windows (the sample company's Windows logs, mostly ordinary activity).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "detect/ruleset/engine.hpp"
#include "detect/ruleset/ruleset.hpp"
#include "detect/sigma/interpreter.hpp"
#include "detect/sigma/loader.hpp"
#include "ingest/scan.hpp"

using namespace mimamori;
namespace fs = std::filesystem;
using clk = std::chrono::steady_clock;

namespace {

double secs(clk::time_point a, clk::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// CPU time of this thread: the machine is shared, so wall time would measure the neighbours.
double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<std::unique_ptr<event_batch>> read_corpus(const std::string& root, bool any_format, std::size_t& n_events) {
    std::vector<std::string> files;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        auto ext = e.path().extension();
        if (ext == ".evtx" || (any_format && (ext == ".ndjson" || ext == ".json"))) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    std::vector<std::unique_ptr<event_batch>> out;
    ingest::scan_options opts;
    ingest::scan_stats st;
    auto sink = [&](event_batch& b) {
        auto nb = std::make_unique<event_batch>();
        for (const auto& e : b.events()) {
            auto& ne = nb->begin();
            ne.ts = e.ts;
            ne.source_type = nb->copy(e.source_type);
            ne.raw = nb->copy(e.raw);
            for (const auto& fl : b.fields(e)) nb->add(fl.id, nb->copy(fl.value), fl.kind);
            nb->commit();
            ++n_events;
        }
        out.push_back(std::move(nb));
    };
    (void)ingest::scan_paths(files, opts, sink, st);
    return out;
}

// The corpus replicated into batches of 4096 events, `total` events in all.
std::vector<std::unique_ptr<event_batch>> replicate(const std::vector<std::unique_ptr<event_batch>>& base,
                                                    std::size_t total) {
    std::vector<std::unique_ptr<event_batch>> out;
    std::size_t made = 0;
    while (made < total) {
        for (const auto& b : base) {
            for (const auto& e : b->events()) {
                if (made == total) return out;
                if (out.empty() || out.back()->size() == 4096) out.push_back(std::make_unique<event_batch>());
                auto& nb = *out.back();
                auto& ne = nb.begin();
                ne.ts = e.ts;
                ne.source_type = nb.copy(e.source_type);
                ne.raw = nb.copy(e.raw);
                for (const auto& fl : b->fields(e)) nb.add(fl.id, nb.copy(fl.value), fl.kind);
                nb.commit();
                ++made;
            }
        }
    }
    return out;
}

std::size_t reference_count(const detect::logsource_map& map, const std::vector<sigma::rule_ir>& rules,
                            const std::vector<std::unique_ptr<event_batch>>& corpus) {
    static const field_id k_eid = intern("EventID"), k_ch = intern("Channel");
    std::size_t n = 0;
    for (const auto& b : corpus)
        for (const auto& e : b->events())
            for (const auto& r : rules) {
                const auto* srcs = map.find(r.doc->ls);
                if (!srcs) continue;
                for (const auto& s : *srcs) {
                    if (s.source_type != e.source_type) continue;
                    if (!s.event_ids.empty()) {
                        bool ok = false;
                        for (auto id : s.event_ids) ok = ok || b->get(e, k_eid) == std::to_string(id);
                        if (!ok) continue;
                    }
                    if (!s.channels.empty()) {
                        bool ok = false;
                        for (const auto& c : s.channels) {
                            auto ch = b->get(e, k_ch);
                            ok = ok || (ch.size() == c.size() && std::equal(ch.begin(), ch.end(), c.begin(), [](char x, char y) {
                                            return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
                                        }));
                        }
                        if (!ok) continue;
                    }
                    if (sigma::interpret(r, *b, e, &s.aliases)) {
                        ++n;
                        break;
                    }
                }
            }
    return n;
}

// Hardware counters of this thread (user space): instructions and cycles per event do not move
// when neighbours load the machine, so small engine changes can be compared. -1 when the
// kernel does not allow perf events (the bench then prints CPU time only).
struct hw_counter {
    int fd = -1;
    explicit hw_counter(std::uint64_t config) {
        perf_event_attr a{};
        a.size = sizeof a;
        a.type = PERF_TYPE_HARDWARE;
        a.config = config;
        a.disabled = 1;
        a.exclude_kernel = 1;
        a.exclude_hv = 1;
        fd = static_cast<int>(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
    }
    ~hw_counter() {
        if (fd >= 0) close(fd);
    }
    void start() {
        if (fd >= 0) {
            ioctl(fd, PERF_EVENT_IOC_RESET, 0);
            ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
        }
    }
    double stop() {
        if (fd < 0) return -1;
        ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
        std::uint64_t v = 0;
        return read(fd, &v, sizeof v) == sizeof v ? static_cast<double>(v) : -1;
    }
};

struct run_result {
    double events_per_s = 0;       // per CPU-second of the matching thread
    double wall_events_per_s = 0;  // per wall-clock second
    std::size_t matches = 0;
};

run_result time_ruleset(const detect::ruleset& rs, const std::vector<std::unique_ptr<event_batch>>& corpus,
                        std::size_t n_events, int runs) {
    auto sc = rs.make_scratch();
    std::vector<double> rates, walls, instrs, cycles;
    hw_counter hi(PERF_COUNT_HW_INSTRUCTIONS), hc(PERF_COUNT_HW_CPU_CYCLES);
    std::size_t matches = 0;
    std::vector<detect::rule_match> out;
    for (int r = 0; r < runs; ++r) {
        matches = 0;
        auto t0 = clk::now();
        double c0 = cpu_now();
        hi.start();
        hc.start();
        for (const auto& b : corpus) {
            out.clear();
            rs.match(*b, *sc, out);
            matches += out.size();
        }
        cycles.push_back(hc.stop() / static_cast<double>(n_events));
        instrs.push_back(hi.stop() / static_cast<double>(n_events));
        rates.push_back(static_cast<double>(n_events) / (cpu_now() - c0));
        walls.push_back(static_cast<double>(n_events) / secs(t0, clk::now()));
    }
    std::sort(rates.begin(), rates.end());
    std::sort(instrs.begin(), instrs.end());
    std::sort(cycles.begin(), cycles.end());
    if (instrs.back() > 0)
        std::printf("      per event: %.0f instructions, %.0f cycles (user space, this thread; median)\n",
                    instrs[instrs.size() / 2], cycles[cycles.size() / 2]);
    std::sort(walls.begin(), walls.end());
    const auto& c = sc->count;
    double n = static_cast<double>(c.events ? c.events : 1);
    std::printf("      per event: %.1f scans, %.0f bytes scanned, %.1f predicate hits, %.1f rules evaluated\n",
                static_cast<double>(c.scans) / n, static_cast<double>(c.scanned_bytes) / n,
                static_cast<double>(c.hits) / n, static_cast<double>(c.evaluated) / n);
    return {rates[rates.size() / 2], walls[walls.size() / 2], matches};
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t total = 200000;
    int runs = 5;
    std::string only, corpus_dir;
    std::string shared = MIMAMORI_SHARED_DIR;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--events") total = std::strtoull(argv[i + 1], nullptr, 10);
        else if (k == "--runs") runs = std::atoi(argv[i + 1]);
        else if (k == "--shared") shared = argv[i + 1];
        else if (k == "--only") only = argv[i + 1];  // a or b: time one rule set (for profiling)
        else if (k == "--corpus") corpus_dir = argv[i + 1];
    }
    std::string data = detect::default_data_dir();
    std::vector<std::string> rule_dirs;
    for (const auto& e : fs::directory_iterator(shared + "/sigma"))
        if (e.is_directory() && e.path().filename().string().rfind("rules", 0) == 0) rule_dirs.push_back(e.path().string());
    std::sort(rule_dirs.begin(), rule_dirs.end());

    // Start-up: load + compile every SigmaHQ rule, cold then warm.
    std::string cache = (fs::temp_directory_path() / ("mimamori_sigma_bench_" + std::to_string(::getpid()))).string();
    double cold = 0, warm = 0, load_only = 0, cold_cpu = 0, warm_cpu = 0;
    std::size_t all_rules = 0;
    for (int pass = 0; pass < 2; ++pass) {
        detect::engine_options eo;
        eo.rule_paths = rule_dirs;
        eo.builtin = false;
        eo.cache_dir = cache;
        auto t0 = clk::now();
        double c0 = cpu_now();
        auto eng = detect::load_engine(eo);
        double t = secs(t0, clk::now());
        (pass == 0 ? cold_cpu : warm_cpu) = cpu_now() - c0;
        if (!eng) {
            std::fprintf(stderr, "load failed: %s\n", eng.err().message.c_str());
            return 1;
        }
        (pass == 0 ? cold : warm) = t;
        load_only = eng.value()->load_seconds;
        all_rules = eng.value()->loaded.rules.size();
    }
    fs::remove_all(cache);

    // Rule sets (a) and (b).
    auto map = detect::logsource_map::load(data + "/mappings/sigma/logsources.yaml");
    if (!map) return 1;
    sigma::load_options lo;
    auto loaded = sigma::load_rules(rule_dirs, lo);
    std::vector<sigma::rule_ir> windows;
    for (const auto& r : loaded.rules)
        if (r.doc->ls.product == "windows") windows.push_back(r);
    // (a): 100 rules spread evenly over the Windows rules (every k-th), so they cover the same
    // log sources as (b) in proportion.
    std::vector<sigma::rule_ir> hundred;
    for (std::size_t i = 0; i < 100 && !windows.empty(); ++i) hundred.push_back(windows[i * windows.size() / 100]);

    std::size_t n_base = 0;
    auto base = corpus_dir.empty() ? read_corpus(shared + "/sigma/regression_data", false, n_base)
                                   : read_corpus(corpus_dir, true, n_base);
    auto corpus = replicate(base, total);
    std::size_t corpus_bytes = 0;
    for (const auto& b : corpus)
        for (const auto& e : b->events())
            for (const auto& fl : b->fields(e)) corpus_bytes += fl.value.size();

    std::printf("Sigma matching benchmark: %zu %s events replicated to %zu (%.1f MB of field values), "
                "median of %d runs, one core\n\n",
                n_base, corpus_dir.empty() ? "regression" : corpus_dir.c_str(), total,
                static_cast<double>(corpus_bytes) / 1e6, runs);
    double rate[2] = {0, 0};
    const std::vector<sigma::rule_ir>* sets[2] = {&hundred, &windows};
    const char* names[2] = {"(a) 100 Windows rules", "(b) all Windows rules"};
    for (int i = 0; i < 2; ++i) {
        if (!only.empty() && only != (i == 0 ? "a" : "b")) continue;
        auto rs = detect::ruleset::build(*sets[i], map.value(), {});
        if (!rs) return 1;
        // Verify before timing: compiled matches on the base corpus == reference interpreter.
        auto sc = rs.value()->make_scratch();
        std::size_t got = 0;
        std::vector<detect::rule_match> out;
        for (const auto& b : base) {
            out.clear();
            rs.value()->match(*b, *sc, out);
            got += out.size();
        }
        std::size_t want = reference_count(map.value(), *sets[i], base);
        if (got != want) {
            std::fprintf(stderr, "%s: compiled ruleset found %zu matches, interpreter %zu: not timing a wrong result\n",
                         names[i], got, want);
            return 1;
        }
        auto r = time_ruleset(*rs.value(), corpus, total, runs);
        rate[i] = r.events_per_s;
        std::printf("  %-24s %5zu rules  %10.0f events/s per core (CPU time)  %7.1f MB/s  [wall: %.0f events/s]  "
                    "(%zu matches per pass; verified: %zu on the base corpus)\n",
                    names[i], sets[i]->size(), r.events_per_s, r.events_per_s * static_cast<double>(corpus_bytes) / total / 1e6,
                    r.wall_events_per_s, r.matches, got);
    }
    std::printf("\n  (b) / (a) = %.2f\n", rate[1] / rate[0]);
    std::printf("  Hayabusa publishes ~17,000 events/s on a multi-core machine; (b) here is %.0fx that on one core.\n\n",
                rate[1] / 17000.0);
    std::printf("Start-up with all %zu SigmaHQ rules: load %.2f s; load + compile cold %.2f s (CPU %.2f s), "
                "warm (cache) %.2f s (CPU %.2f s)\n",
                all_rules, load_only, cold, cold_cpu, warm, warm_cpu);
    return 0;
}
