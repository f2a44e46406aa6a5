// Correlation and threat-intelligence benchmarks.
//
//   correlate_bench [updates_millions=10] [keys=1000000]
//
// 1. event_count and value_count updates over 1 million distinct group keys (IPv4 source
//    addresses), one core: updates/s and bytes of state per active key.
// 2. Threat intelligence: load 5 million generated indicators (s), IPv4 lookups/s one by one
//    and batched, and a scan of generated sshd log lines with and without matching every event
//    against the 5M list (events/s) - "matches at full scan speed".
// Each part checks its result before it reports timing (STYLE.md).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "detect/correlate/engine.hpp"
#include "detect/intel/intel.hpp"
#include "ingest/scan.hpp"

using namespace mimamori;
using clk = std::chrono::steady_clock;

namespace {

double secs_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }
// CPU time of this process: on a shared machine, work per core is what wall time hides.
double cpu_now() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

std::string ip_text(std::uint32_t v) {
    char b[20];
    std::snprintf(b, sizeof b, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
    return b;
}

// One batch per 4096 updates, like the scan pipeline hands them over.
int bench_correlation(const char* label, const char* yaml, bool with_user, std::uint64_t updates, std::uint32_t keys) {
    auto lr = correlate::parse_correlations(yaml);
    if (!lr.problems.empty() || lr.rules.size() != 1) {
        std::fprintf(stderr, "bad rule: %s\n", lr.problems.empty() ? "?" : lr.problems[0].message.c_str());
        return 1;
    }
    correlate::options o;
    o.memory_cap = std::size_t{4} << 30;  // measure the state, not the cap
    auto eng = correlate::engine::create(lr.rules, o);
    if (!eng) return 1;
    auto& e = *eng.value();
    const auto in = e.input_for("", "base");
    // Pre-build batches: key i gets address 10.x.y.z; the user cycles through 4 names.
    std::vector<event_batch> batches;
    const std::size_t per_batch = 4096;
    const std::size_t nb = 64;  // reused round robin: 262,144 distinct events, keys rotate below
    std::vector<std::string> ips(keys);
    for (std::uint32_t k = 0; k < keys; ++k) ips[k] = ip_text(0x0a000000u + k);
    static const char* users[] = {"alice", "bob", "carol", "dave"};
    std::mt19937 rng(1);
    std::vector<std::vector<std::uint32_t>> batch_keys(nb);
    for (std::size_t b = 0; b < nb; ++b) {
        event_batch eb;
        for (std::size_t i = 0; i < per_batch; ++i) {
            const std::uint32_t k = static_cast<std::uint32_t>(rng() % keys);
            batch_keys[b].push_back(k);
            auto& ev = eb.begin();
            ev.source_type = "linux.auth";
            eb.add_copy(f::source_ip, ips[k]);  // values live in the batch arena, as in a scan
            if (with_user) eb.add(f::user_name, users[rng() % 4]);
            eb.commit();
        }
        batches.push_back(std::move(eb));
    }
    // Warm-up: touch every key once so the measured part is steady-state updates.
    std::vector<correlate::hit> hits;
    const timestamp_ns t0 = 1'700'000'000LL * 1'000'000'000LL;
    {
        event_batch eb;
        for (std::uint32_t k = 0; k < keys; ++k) {
            auto& ev = eb.begin();
            ev.ts = t0;
            eb.add(f::source_ip, ips[k]);
            if (with_user) eb.add(f::user_name, "alice");
            eb.commit();
        }
        for (const auto& ev : eb.events()) e.on_match(in, eb, ev, hits);
    }
    const auto st0 = e.stats();
    if (st0.rules[0].groups != keys) {
        std::fprintf(stderr, "%s: expected %u groups, got %llu\n", label, keys, static_cast<unsigned long long>(st0.rules[0].groups));
        return 1;
    }
    hits.clear();
    std::vector<std::pair<correlate::engine::input_handle, std::uint32_t>> batch_matches;
    for (std::uint32_t i = 0; i < per_batch; ++i) batch_matches.emplace_back(in, i);
    std::uint64_t done = 0;
    auto start = clk::now();
    const double cpu0 = cpu_now();
    // Time advances 1 ms per batch: everything stays inside the 1 h window.
    for (std::uint64_t round = 0; done < updates; ++round) {
        auto& eb = batches[round % nb];
        const timestamp_ns ts = t0 + static_cast<timestamp_ns>(round) * 1'000'000;
        for (auto& ev : eb.events()) ev.ts = ts;
        e.on_matches(eb, batch_matches, hits);
        done += eb.size();
        if (hits.size() > (1u << 20)) hits.clear();
    }
    const double s = secs_since(start);
    const double cpu = cpu_now() - cpu0;
    const auto st = e.stats();
    const double bytes_per_key = static_cast<double>(st.rules[0].bytes) / static_cast<double>(st.rules[0].groups);
    std::printf("%-12s %5.1f M updates over %u keys: %6.2f M updates/s per CPU-second (%.2f M/s wall), %5.1f bytes/key (%llu groups, %.0f MiB, %llu evicted)\n",
                label, static_cast<double>(done) / 1e6, keys, static_cast<double>(done) / cpu / 1e6, static_cast<double>(done) / s / 1e6, bytes_per_key,
                static_cast<unsigned long long>(st.rules[0].groups), static_cast<double>(st.rules[0].bytes) / (1 << 20),
                static_cast<unsigned long long>(st.rules[0].evicted));
    return 0;
}

int bench_intel() {
    std::mt19937_64 rng(42);
    std::string text;
    text.reserve(5'000'000 * 20);
    std::vector<std::uint32_t> listed;
    for (int i = 0; i < 5'000'000; ++i) {
        char b[96];
        int n;
        if (i % 5 < 2) {
            const auto ip = static_cast<std::uint32_t>(rng());
            if (listed.size() < 100000) listed.push_back(ip);
            n = std::snprintf(b, sizeof b, "%s\n", ip_text(ip).c_str());
        } else if (i % 5 == 2) {
            n = std::snprintf(b, sizeof b, "%s/24\n", ip_text(static_cast<std::uint32_t>(rng()) & 0xffffff00u).c_str());
        } else if (i % 5 == 3) {
            n = std::snprintf(b, sizeof b, "h%016llx.example\n", static_cast<unsigned long long>(rng()));
        } else {
            n = std::snprintf(b, sizeof b, "%016llx%016llx\n", static_cast<unsigned long long>(rng()), static_cast<unsigned long long>(rng()));
        }
        text.append(b, static_cast<std::size_t>(n));
    }
    intel::intel_db db;
    auto t = clk::now();
    const double c0 = cpu_now();
    auto st = intel::load_text(db, text, "generated", intel::list_format::text);
    const double load_s = secs_since(t);
    const double load_cpu = cpu_now() - c0;
    if (!st || st->rejected != 0 || db.size() < 4'900'000) {
        std::fprintf(stderr, "intel: load check failed\n");
        return 1;
    }
    std::vector<std::uint32_t> probes(2'000'000);
    for (std::size_t i = 0; i < probes.size(); ++i)
        probes[i] = (i % 2) ? listed[i % listed.size()] : static_cast<std::uint32_t>(rng());
    std::size_t found = 0;
    t = clk::now();
    for (auto p : probes) found += db.match_ipv4(p) != nullptr;
    const double one_s = secs_since(t);
    std::vector<const intel::entry*> out(probes.size());
    t = clk::now();
    db.match_ipv4_many(probes.data(), probes.size(), out.data());
    const double many_s = secs_since(t);
    std::size_t found2 = 0;
    for (auto* e : out) found2 += e != nullptr;
    if (found != found2 || found < probes.size() / 2) {
        std::fprintf(stderr, "intel: lookup check failed\n");
        return 1;
    }
    std::printf("intel        5M indicators: load %.2f s wall, %.2f s CPU (%.0f MiB); IPv4 lookups %.1f M/s one by one, %.1f M/s batched\n",
                load_s, load_cpu, static_cast<double>(db.memory_bytes()) / (1 << 20), static_cast<double>(probes.size()) / one_s / 1e6,
                static_cast<double>(probes.size()) / many_s / 1e6);

    // Scan speed with and without intel matching, on 1M sshd lines (every 1000th from a listed address).
    const auto dir = std::filesystem::temp_directory_path() / ("mimamori_bench_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto log = (dir / "auth.log").string();
    {
        std::ofstream f(log);
        for (int i = 0; i < 1'000'000; ++i) {
            const std::uint32_t ip = (i % 1000 == 0) ? listed[static_cast<std::size_t>(i) % listed.size()] : static_cast<std::uint32_t>(rng());
            f << "Mar  1 12:" << (10 + i / 60000 % 50) << ":" << (10 + i / 1000 % 50) << " web01 sshd[" << (1000 + i % 30000)
              << "]: Failed password for invalid user u" << (i % 97) << " from " << ip_text(ip) << " port " << (1024 + i % 60000)
              << " ssh2\n";
        }
    }
    intel::event_matcher m;
    std::vector<std::vector<intel::hit>> hits;
    for (int with = 0; with < 2; ++with) {
        ingest::scan_options so;
        ingest::scan_stats ss;
        std::size_t nh = 0;
        t = clk::now();
        const double sc0 = cpu_now();
        auto ok = ingest::scan_paths({log}, so, [&](event_batch& b) {
            if (!with) return;
            m.match_batch(db, b, hits);
            for (auto& h : hits) nh += h.size();
        }, ss);
        const double s = secs_since(t);
        const double sc = cpu_now() - sc0;
        if (!ok || ss.events != 1'000'000 || (with && nh < 1000)) {
            std::fprintf(stderr, "intel scan check failed (%llu events, %zu hits)\n", static_cast<unsigned long long>(ss.events), nh);
            return 1;
        }
        std::printf("scan         1M sshd lines %s: %.2f M events/s wall, %.2f M events per CPU-second%s\n",
                    with ? "with 5M-indicator matching" : "without intel             ", 1.0 / s, 1.0 / sc,
                    with ? (" (" + std::to_string(nh) + " hits)").c_str() : "");
    }
    std::filesystem::remove_all(dir);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::uint64_t updates = static_cast<std::uint64_t>((argc > 1 ? std::atof(argv[1]) : 10.0) * 1e6);
    const auto keys = static_cast<std::uint32_t>(argc > 2 ? std::atoi(argv[2]) : 1'000'000);
    int rc = 0;
    rc |= bench_correlation("event_count", R"(
title: bf
correlation: {type: event_count, rules: [base], group-by: [source.ip], timespan: 1h, condition: {gte: 1000000000}}
)", false, updates, keys);
    rc |= bench_correlation("value_count", R"(
title: spray
correlation: {type: value_count, rules: [base], group-by: [source.ip], timespan: 1h, condition: {field: user.name, gte: 10}}
)", true, updates, keys);
    if (!(argc > 3 && std::string(argv[3]) == "--no-intel")) rc |= bench_intel();
    return rc;
}
