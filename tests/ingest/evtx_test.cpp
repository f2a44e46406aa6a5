// EVTX reader: counts against evtxexport on every Sigma regression sample, template reuse in
// dense chunks, schema of every event, and damage (truncated / byte-flipped copies).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "../parse/schema.hpp"
#include "ingest/evtx.hpp"

namespace fs = std::filesystem;
using namespace mimamori;
using namespace mimamori::ingest;

namespace {

std::string regression_dir() { return std::string(MIMAMORI_SHARED_DIR) + "/sigma/regression_data"; }

std::vector<std::string> regression_files() {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::exists(regression_dir(), ec)) return out;
    for (auto it = fs::recursive_directory_iterator(regression_dir(), ec); it != fs::recursive_directory_iterator();
         it.increment(ec))
        if (it->path().extension() == ".evtx") out.push_back(it->path().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string slurp_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

bool have_evtxexport() { return std::system("command -v evtxexport >/dev/null 2>&1") == 0; }

// Records evtxexport (libevtx) exports from a file.
long evtxexport_count(const std::string& path) {
    std::string cmd = "evtxexport -f xml '" + path + "' 2>/dev/null | grep -c '^<Event '";
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return -1;
    long n = -1;
    if (std::fscanf(p, "%ld", &n) != 1) n = -1;
    pclose(p);
    return n;
}

struct read_out {
    evtx::file_stats st;
    std::vector<std::string> schema_errors;
    std::vector<std::uint64_t> offsets;  // of good records
    std::vector<std::string> record_ids;
};

read_out read_mem(const std::string& data, bool check_schema = true) {
    read_out r;
    event_batch batch;
    parse::options opts;
    evtx::reader_options ro;
    ro.batch_size = 64;
    static const field_id k_rid = intern("EventRecordID");
    auto s = evtx::read_buffer(data, "mem.evtx", opts, ro, batch, [&](event_batch& b) {
        for (const auto& e : b.events()) {
            if (check_schema)
                for (auto& v : mimamori::testing::schema_violations(b, e)) r.schema_errors.push_back(v + " | " + std::string(e.raw));
            if (!e.malformed() && !b.get(e, k_rid).empty()) {
                r.offsets.push_back(e.offset);
                r.record_ids.emplace_back(b.get(e, k_rid));
            }
        }
    }, r.st);
    (void)s;
    return r;
}

fs::path temp_dir(const std::string& name) {
    auto d = fs::temp_directory_path() / ("mimamori-evtx-" + name + "-" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
}

}  // namespace

TEST(Evtx, SniffsSignature) {
    EXPECT_TRUE(evtx::sniff(std::string_view("ElfFile\0\0\0", 10)));
    EXPECT_FALSE(evtx::sniff("ElfChnk"));
    EXPECT_FALSE(evtx::sniff("<Events>"));
}

TEST(Evtx, NotEvtxIsAnError) {
    event_batch b;
    evtx::file_stats st;
    auto s = evtx::read_buffer("hello", "x", parse::options{}, evtx::reader_options{}, b, [](event_batch&) {}, st);
    EXPECT_FALSE(s.ok());
}

// Acceptance: every regression EVTX parses, with the record count evtxexport reports.
TEST(Evtx, RegressionCountsEqualEvtxexport) {
    auto files = regression_files();
    if (files.empty()) GTEST_SKIP() << "no regression data at " << regression_dir();
    if (!have_evtxexport()) GTEST_SKIP() << "evtxexport (libevtx-utils) not installed";
    std::size_t total = 0;
    for (const auto& f : files) {
        auto r = read_mem(slurp_bytes(f));
        long want = evtxexport_count(f);
        EXPECT_EQ(static_cast<long>(r.st.records), want) << f;
        EXPECT_EQ(r.st.records_bad, 0u) << f;
        EXPECT_EQ(r.st.chunks_bad, 0u) << f;
        EXPECT_TRUE(r.st.header_ok) << f;
        for (const auto& e : r.schema_errors) ADD_FAILURE() << f << ": " << e;
        total += r.st.records;
    }
    EXPECT_GE(files.size(), 200u);
    EXPECT_GE(total, 230u);
}

// Chunks where later records reuse templates defined by earlier ones (the common case in real
// logs, rare in the one-record samples): built by bench/evtx/make_bench_evtx.py.
TEST(Evtx, DenseChunksMatchEvtxexport) {
    auto files = regression_files();
    if (files.empty() || !have_evtxexport() || std::system("command -v python3 >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "needs regression data, evtxexport and python3";
    auto dir = temp_dir("dense");
    auto out = (dir / "dense.evtx").string();
    std::string cmd = "python3 '" + std::string(MIMAMORI_SOURCE_DIR) + "/bench/evtx/make_bench_evtx.py' '" + out +
                      "' --fill";
    for (std::size_t i = 0; i < files.size(); i += 8) cmd += " '" + files[i] + "'";  // a spread, to stay quick
    cmd += " >/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
    auto r = read_mem(slurp_bytes(out));
    EXPECT_GT(r.st.records, 1000u);
    EXPECT_EQ(static_cast<long>(r.st.records), evtxexport_count(out));
    EXPECT_EQ(r.st.records_bad, 0u);
    EXPECT_EQ(r.st.chunks_bad, 0u);
    EXPECT_TRUE(r.schema_errors.empty()) << r.schema_errors.front();
    fs::remove_all(dir);
}

namespace {

// A real sample with several records, for the damage tests.
std::string multi_record_sample() {
    std::string best;
    std::size_t most = 0;
    for (const auto& f : regression_files()) {
        auto data = slurp_bytes(f);
        auto r = read_mem(data, false);
        if (r.st.records > most) {
            most = r.st.records;
            best = data;
        }
    }
    return best;
}

std::uint32_t rd32(const std::string& d, std::size_t at) {
    std::uint32_t v;
    std::memcpy(&v, d.data() + at, 4);
    return v;
}

}  // namespace

// Cutting a file anywhere: the records wholly before the cut are read, the cut one is counted.
TEST(Evtx, TruncatedFilesKeepGoodRecords) {
    std::string data = multi_record_sample();
    if (data.empty()) GTEST_SKIP() << "no regression data";
    auto full = read_mem(data, false);
    ASSERT_GE(full.st.records, 3u);
    std::vector<std::size_t> cuts = {0, 7, 100, 4096, 4096 + 100, 4096 + 511, 4096 + 512, 4096 + 600};
    for (auto off : full.offsets) {
        cuts.push_back(off);
        cuts.push_back(off + 30);
        cuts.push_back(off + rd32(data, off + 4) - 1);
        cuts.push_back(off + rd32(data, off + 4));
    }
    for (std::size_t cut : cuts) {
        if (cut > data.size()) continue;
        std::string part = data.substr(0, cut);
        auto t0 = std::chrono::steady_clock::now();
        auto r = read_mem(part, false);
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_LT(secs, 2.0) << "cut " << cut;
        std::uint64_t whole = 0;
        bool straddles = false;
        for (auto off : full.offsets) {
            std::size_t end = off + rd32(data, off + 4);
            if (end <= cut) ++whole;
            else if (off < cut && cut - off >= 4) straddles = true;
        }
        EXPECT_EQ(r.st.records, whole) << "cut at " << cut;
        if (straddles) {
            EXPECT_GE(r.st.records_bad, 1u) << "cut at " << cut;
        }
        ASSERT_LE(r.st.records, full.st.records);
    }
}

// Flipping a byte inside a record: the chunk checksum reports it, the other records are read.
TEST(Evtx, FlippedBytesAreCountedNotFatal) {
    std::string data = multi_record_sample();
    if (data.empty()) GTEST_SKIP() << "no regression data";
    auto full = read_mem(data, false);
    for (std::size_t k = 0; k < full.offsets.size(); ++k) {
        std::size_t off = full.offsets[k];
        std::uint32_t size = rd32(data, off + 4);
        for (std::size_t at : {off + 1, off + 5, off + 30, off + size / 2, off + size - 2}) {
            std::string bad = data;
            bad[at] = static_cast<char>(bad[at] ^ 0x5A);
            auto r = read_mem(bad, false);
            EXPECT_GE(r.st.chunks_bad + r.st.records_bad, 1u) << "flip at " << at;
            EXPECT_GE(r.st.records + 1, full.st.records) << "flip at " << at;
            EXPECT_LE(r.st.records, full.st.records + 1) << "flip at " << at;
        }
    }
}

// Many random flips: never a crash, never a long run.
TEST(Evtx, RandomDamageIsBounded) {
    auto files = regression_files();
    if (files.empty()) GTEST_SKIP() << "no regression data";
    std::mt19937 rng(12345);
    for (int round = 0; round < 300; ++round) {
        std::string data = slurp_bytes(files[rng() % files.size()]);
        int flips = 1 + static_cast<int>(rng() % 16);
        for (int i = 0; i < flips; ++i) {
            std::size_t at = 4096 + rng() % (data.size() - 4096);
            if (rng() % 2) at = 4096 + 512 + rng() % 2048;  // mostly where the records are
            if (at < data.size()) data[at] = static_cast<char>(rng());
        }
        if (rng() % 4 == 0) data.resize(rng() % data.size());
        auto t0 = std::chrono::steady_clock::now();
        auto r = read_mem(data, false);
        auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        EXPECT_LT(secs, 2.0) << "round " << round;
        EXPECT_LE(r.st.problems.size(), evtx::file_stats::k_max_problems);
    }
}

TEST(Evtx, ProblemsNameChunkAndRecord) {
    std::string data = multi_record_sample();
    if (data.empty()) GTEST_SKIP() << "no regression data";
    auto full = read_mem(data, false);
    ASSERT_GE(full.offsets.size(), 2u);
    std::string bad = data;
    std::size_t off = full.offsets[1];
    bad[off + 4] = static_cast<char>(bad[off + 4] ^ 0x01);  // size no longer matches its copy
    event_batch batch;
    evtx::file_stats st;
    std::vector<std::string> errors;
    auto s = evtx::read_buffer(bad, "x.evtx", parse::options{}, evtx::reader_options{}, batch, [&](event_batch& b) {
        for (const auto& e : b.events())
            if (e.malformed()) errors.emplace_back(e.parse_error);
    }, st);
    ASSERT_TRUE(s.ok());
    EXPECT_GE(st.records_bad, 1u);
    bool named = false;
    for (const auto& e : errors) named |= e.find("evtx chunk 0") != std::string::npos && e.find("record ") != std::string::npos;
    EXPECT_TRUE(named) << (errors.empty() ? "no malformed events" : errors.front());
    ASSERT_FALSE(st.problems.empty());
}
