// Parser throughput: lines/s and MB/s per format, reading excluded (files are loaded into
// memory first). Before timing, each file is parsed once and verified: the line count must
// equal the manifest's and no line may be malformed.
//
// usage: parse_bench CORPUS_DIR [REPEATS]   (CORPUS_DIR from bench/gen_corpus.py)
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "parse/parser.hpp"

using namespace mimamori;

namespace {

struct outcome {
    std::size_t lines = 0, malformed = 0;
    std::string first_bad;
};

outcome run(parse::parser_set& ps, const std::string& data, const parse::context& ctx) {
    outcome o;
    event_batch batch;
    int preferred = -1;
    std::size_t pos = 0;
    while (pos < data.size()) {
        std::size_t nl = data.find('\n', pos);
        if (nl == std::string::npos) nl = data.size();
        std::string_view line(data.data() + pos, nl - pos);
        pos = nl + 1;
        auto& e = batch.begin();
        e.raw = batch.copy(line);
        int used = ps.parse(e.raw, preferred, ctx, batch, e);
        if (used >= 0) preferred = used;
        ++o.lines;
        if (e.malformed()) {
            if (o.malformed++ == 0) o.first_bad = std::string(line) + " :: " + std::string(e.parse_error);
        }
        if (batch.size() == 4096) batch.clear();
    }
    return o;
}

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: parse_bench CORPUS_DIR [REPEATS]\n";
        return 2;
    }
    std::string dir = argv[1];
    int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
    parse::options opts;
    auto made = parse::parser_set::create(opts);
    if (!made) {
        std::cerr << made.err().message << "\n";
        return 1;
    }
    auto& ps = made.value();
    parse::context ctx{&opts, 1709251200LL * k_ns_per_sec};
    std::ifstream man(dir + "/manifest.tsv");
    std::string name, file;
    std::size_t expected_lines;
    int rc = 0;
    // Wall time and this thread's CPU time: on a shared machine the CPU-time rate is the
    // per-core speed, the wall rate what this run got.
    std::printf("%-10s %10s %8s %12s %9s %14s %10s   (median of %d runs)\n", "format", "lines",
                "MB", "lines/s", "MB/s", "CPU lines/s", "CPU MB/s", repeats);
    while (man >> name >> file >> expected_lines) {
        std::ifstream in(dir + "/" + file, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string data = ss.str();
        auto check = run(ps, data, ctx);
        if (check.lines != expected_lines || check.malformed) {
            std::printf("%-10s VERIFY FAILED: %zu lines (expected %zu), %zu malformed; first: %s\n",
                        name.c_str(), check.lines, expected_lines, check.malformed,
                        check.first_bad.c_str());
            rc = 1;
            continue;
        }
        std::vector<double> rates, cpu_rates;
        for (int i = 0; i < repeats; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            double c0 = thread_cpu_seconds();
            auto o = run(ps, data, ctx);
            double c = thread_cpu_seconds() - c0;
            double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            rates.push_back(static_cast<double>(o.lines) / s);
            cpu_rates.push_back(static_cast<double>(o.lines) / c);
        }
        std::sort(rates.begin(), rates.end());
        std::sort(cpu_rates.begin(), cpu_rates.end());
        double med = rates[rates.size() / 2], cpu_med = cpu_rates[cpu_rates.size() / 2];
        double mb = static_cast<double>(data.size()) / 1e6;
        double per_line = mb / static_cast<double>(expected_lines);
        std::printf("%-10s %10zu %8.1f %12.0f %9.1f %14.0f %10.1f\n", name.c_str(), expected_lines,
                    mb, med, med * per_line, cpu_med, cpu_med * per_line);
    }
    return rc;
}
