// EVTX reader: counts against evtxexport on every Sigma regression sample, template reuse in
// dense chunks, schema of every event, and damage (truncated / byte-flipped copies).
#include <gtest/gtest.h>

#include <zlib.h>

#include <chrono>
#include <cstring>
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

// A hand-built file: one chunk, two records of one template (inline in the first, referenced
// by offset in the second), with the value types the regression samples do not have.
namespace {

struct bx {
    std::string b;     // chunk bytes
    void u8(unsigned v) { b.push_back(static_cast<char>(v)); }
    void u16(unsigned v) { u8(v & 0xFF); u8((v >> 8) & 0xFF); }
    void u32(std::uint32_t v) { for (int i = 0; i < 4; ++i) u8((v >> (8 * i)) & 0xFF); }
    void u64(std::uint64_t v) { for (int i = 0; i < 8; ++i) u8((v >> (8 * i)) & 0xFF); }
    void put32(std::size_t at, std::uint32_t v) { std::memcpy(&b[at], &v, 4); }
    void utf16(std::string_view s) { for (char c : s) u16(static_cast<unsigned char>(c)); }
    // Name stored inline at the current position.
    void name(std::string_view n) {
        u32(static_cast<std::uint32_t>(b.size() + 4));
        u32(0);
        u16(0);
        u16(static_cast<unsigned>(n.size()));
        utf16(n);
        u16(0);
    }
    void name_ref_inline(std::string_view n) { name(n); }
    void open(std::string_view n, bool attrs) {
        u8(attrs ? 0x41 : 0x01);
        u16(0xFFFF);
        u32(0);  // data size (not used by readers)
        name(n);
        if (attrs) u32(0);
    }
    void attr(std::string_view n) { u8(0x06); name(n); }
    void text(std::string_view t) { u8(0x05); u8(0x01); u16(static_cast<unsigned>(t.size())); utf16(t); }
    void subst(unsigned idx, unsigned type, bool optional = false) { u8(optional ? 0x0e : 0x0d); u16(idx); u8(type); }
    void data(std::string_view n, unsigned idx, unsigned type, bool optional = false) {
        open("Data", true);
        attr("Name");
        text(n);
        u8(0x02);
        subst(idx, type, optional);
        u8(0x04);
    }
};

std::string handmade_evtx() {
    bx c;
    c.b.assign(512, '\0');
    std::memcpy(&c.b[0], "ElfChnk\0", 8);
    std::uint32_t tmpl_off = 0;
    for (int rec = 0; rec < 2; ++rec) {
        std::size_t start = c.b.size();
        c.u32(0x00002a2a);
        c.u32(0);  // size, patched below
        c.u64(static_cast<std::uint64_t>(rec + 1));
        c.u64(133000000000000000ULL);  // 2022-06-18
        c.u8(0x0f); c.u8(1); c.u8(1); c.u8(0);
        c.u8(0x0c); c.u8(1); c.u32(7);
        if (rec == 0) {
            tmpl_off = static_cast<std::uint32_t>(c.b.size() + 4);
            c.u32(tmpl_off);
            c.u32(0);
            for (int i = 0; i < 16; ++i) c.u8(i);
            std::size_t size_at = c.b.size();
            c.u32(0);
            std::size_t def_start = c.b.size();
            c.u8(0x0f); c.u8(1); c.u8(1); c.u8(0);
            c.open("Event", false); c.u8(0x02);
            c.open("System", false); c.u8(0x02);
            c.open("Provider", true); c.attr("Name"); c.text("Handmade"); c.u8(0x03);
            c.open("EventID", false); c.u8(0x02); c.subst(0, 0x06); c.u8(0x04);
            c.open("TimeCreated", true); c.attr("SystemTime"); c.subst(1, 0x11); c.u8(0x03);
            c.open("Channel", false); c.u8(0x02); c.text("Test/Chan"); c.u8(0x04);
            c.open("Security", true); c.attr("UserID"); c.subst(2, 0x13, true); c.u8(0x03);
            c.u8(0x04);  // </System>
            c.open("EventData", false); c.u8(0x02);
            c.data("Guid", 3, 0x0f);
            c.data("Arr", 4, 0x81);
            c.data("Hex", 5, 0x15);
            c.data("Bool", 6, 0x0d);
            c.data("Bin", 7, 0x0e);
            c.data("Sys", 8, 0x12);
            c.data("Neg", 9, 0x07);
            c.data("Opt", 10, 0x01, true);
            c.open("Data", true); c.attr("Name"); c.text("Ent"); c.u8(0x02);
            c.text("a"); c.u8(0x09); c.name("amp"); c.u8(0x08); c.u16('B'); c.u8(0x04);
            c.u8(0x04);  // </EventData>
            c.u8(0x04);  // </Event>
            c.u8(0x00);
            c.put32(size_at, static_cast<std::uint32_t>(c.b.size() - def_start));
        } else {
            c.u32(tmpl_off);  // defined by the first record
        }
        // instance values
        std::vector<std::pair<unsigned, std::string>> v;
        auto le = [](std::uint64_t x, int n) { std::string s; for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((x >> (8 * i)) & 0xFF)); return s; };
        v.push_back({0x06, le(rec == 0 ? 4242 : 4243, 2)});
        v.push_back({0x11, le(133000000001234567ULL, 8)});
        std::string sid = std::string("\x01\x04\x00\x00\x00\x00\x00\x05", 8) + le(21, 4) + le(1, 4) + le(2, 4) + le(3, 4);
        v.push_back({rec == 0 ? 0x13u : 0x00u, rec == 0 ? sid : std::string()});
        v.push_back({0x0f, le(0x11223344, 4) + le(0x5566, 2) + le(0x7788, 2) + std::string("\x99\xAA\xBB\xCC\xDD\xEE\xFF\x00", 8)});
        std::string arr;
        for (char ch : std::string("x")) arr += le(static_cast<unsigned char>(ch), 2);
        arr += le(0, 2);
        for (char ch : std::string("yz")) arr += le(static_cast<unsigned char>(ch), 2);
        arr += le(0, 2);
        v.push_back({0x81, arr});
        v.push_back({0x15, le(0x1f, 8)});
        v.push_back({0x0d, le(1, 4)});
        v.push_back({0x0e, std::string("\xDE\xAD", 2)});
        v.push_back({0x12, le(2024, 2) + le(3, 2) + le(5, 2) + le(1, 2) + le(12, 2) + le(34, 2) + le(56, 2) + le(789, 2)});
        v.push_back({0x07, le(static_cast<std::uint32_t>(-5), 4)});
        v.push_back({0x00, std::string()});
        c.u32(static_cast<std::uint32_t>(v.size()));
        for (auto& [t, d] : v) { c.u16(static_cast<unsigned>(d.size())); c.u8(t); c.u8(0); }
        for (auto& [t, d] : v) c.b += d;
        c.u8(0x00);  // end of record fragment
        std::uint32_t size = static_cast<std::uint32_t>(c.b.size() - start + 4);
        c.u32(size);
        c.put32(start + 4, size);
    }
    std::uint32_t free_off = static_cast<std::uint32_t>(c.b.size());
    c.b.resize(65536, '\0');
    std::uint64_t first = 1, last = 2;
    std::memcpy(&c.b[8], &first, 8); std::memcpy(&c.b[16], &last, 8);
    std::memcpy(&c.b[24], &first, 8); std::memcpy(&c.b[32], &last, 8);
    c.put32(40, 128);
    c.put32(48, free_off);
    c.put32(52, static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(c.b.data() + 512), free_off - 512)));
    auto h = crc32(0L, reinterpret_cast<const Bytef*>(c.b.data()), 120);
    h = crc32(h, reinterpret_cast<const Bytef*>(c.b.data() + 128), 384);
    c.put32(124, static_cast<std::uint32_t>(h));
    bx f;
    f.b.assign(4096, '\0');
    std::memcpy(&f.b[0], "ElfFile\0", 8);
    f.put32(32, 128);
    f.put32(124, static_cast<std::uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(f.b.data()), 120)));
    return f.b + c.b;
}

}  // namespace

TEST(Evtx, HandmadeValueTypesAndTemplateReuse) {
    std::string data = handmade_evtx();
    event_batch batch;
    evtx::file_stats st;
    std::vector<std::multimap<std::string, std::string>> evs;
    std::vector<std::string> schema;
    auto s = evtx::read_buffer(data, "hand.evtx", parse::options{}, evtx::reader_options{}, batch, [&](event_batch& b) {
        for (const auto& e : b.events()) {
            std::multimap<std::string, std::string> m;
            for (const auto& f : b.fields(e)) m.emplace(std::string(field_name(f.id)), std::string(f.value));
            evs.push_back(m);
            for (auto& v : mimamori::testing::schema_violations(b, e)) schema.push_back(v);
        }
    }, st);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(st.records, 2u);
    EXPECT_EQ(st.records_bad, 0u);
    EXPECT_EQ(st.chunks_bad, 0u);
    for (const auto& v : schema) ADD_FAILURE() << v;
    ASSERT_EQ(evs.size(), 2u);
    auto one = [](const std::multimap<std::string, std::string>& m, const std::string& k) {
        auto it = m.find(k);
        return it == m.end() ? std::string("<none>") : it->second;
    };
    auto all = [](const std::multimap<std::string, std::string>& m, const std::string& k) {
        std::vector<std::string> out;
        auto [a, b] = m.equal_range(k);
        for (auto it = a; it != b; ++it) out.push_back(it->second);
        return out;
    };
    const auto& a = evs[0];
    EXPECT_EQ(one(a, "Provider_Name"), "Handmade");
    EXPECT_EQ(one(a, "EventID"), "4242");
    EXPECT_EQ(one(a, "Channel"), "Test/Chan");
    EXPECT_EQ(one(a, "TimeCreated"), "2022-06-18T04:26:40.1234567Z");
    EXPECT_EQ(one(a, "UserID"), "S-1-5-21-1-2-3");
    EXPECT_EQ(one(a, "Guid"), "{11223344-5566-7788-99AA-BBCCDDEEFF00}");
    EXPECT_EQ(all(a, "Arr"), (std::vector<std::string>{"x", "yz"}));
    EXPECT_EQ(one(a, "Hex"), "0x1f");
    EXPECT_EQ(one(a, "Bool"), "true");
    EXPECT_EQ(one(a, "Bin"), "DEAD");
    EXPECT_EQ(one(a, "Sys"), "2024-03-01T12:34:56.7890000Z");
    EXPECT_EQ(one(a, "Neg"), "-5");
    EXPECT_EQ(one(a, "Opt"), "<none>");
    EXPECT_EQ(one(a, "Ent"), "a&B");
    EXPECT_EQ(one(a, "EventRecordID"), "1");  // from the record header: the template has none
    const auto& b = evs[1];
    EXPECT_EQ(one(b, "EventID"), "4243");
    EXPECT_EQ(one(b, "UserID"), "<none>");  // optional substitution with a NULL value
    EXPECT_EQ(one(b, "Guid"), "{11223344-5566-7788-99AA-BBCCDDEEFF00}");
    EXPECT_EQ(one(b, "EventRecordID"), "2");
}
