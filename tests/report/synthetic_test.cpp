// Summary and evidence linking on a store built event by event: which log sources count as
// silent (regular, then stopped) or occasional (too few days to judge), failed logons per day
// in the report's zone, and the evidence index behind `scan --store`.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "report/report.hpp"
#include "report/store_results.hpp"
#include "store/store.hpp"

namespace fs = std::filesystem;
using namespace mimamori;

namespace {

constexpr timestamp_ns k_day = 86400 * k_ns_per_sec;
constexpr timestamp_ns k_t0 = 1'745'020'800LL * k_ns_per_sec;  // 2025-04-19T00:00:00Z

struct tmp_store {
    fs::path path = fs::temp_directory_path() / ("mimamori_report_syn_" + std::to_string(::getpid()) + ".sqlite");
    std::unique_ptr<store::store> st;
    tmp_store() {
        fs::remove(path);
        auto s = store::open_sqlite({.path = path.string()});
        EXPECT_TRUE(s.ok());
        st = std::move(s.value());
    }
    ~tmp_store() {
        st.reset();
        for (const char* ext : {"", "-wal", "-shm"}) fs::remove(path.string() + ext);
    }
};

void add_event(event_batch& b, timestamp_ns ts, std::string_view source, std::string_view file, std::uint64_t line,
               bool failed_logon = false) {
    auto& e = b.begin();
    e.ts = ts;
    e.source_type = source;
    e.file = file;
    e.line = line;
    e.raw = "record";
    if (failed_logon) {
        b.add(f::event_category, "authentication");
        b.add(f::event_outcome, "failure");
    }
    b.commit();
}

}  // namespace

TEST(report_summary, regular_source_that_stopped_is_silent_occasional_one_is_not) {
    tmp_store s;
    event_batch b;
    for (int d = 0; d < 10; ++d) {
        add_event(b, k_t0 + d * k_day + 3600 * k_ns_per_sec, "fortigate", "fw.log", static_cast<std::uint64_t>(d + 1));
        if (d < 5) add_event(b, k_t0 + d * k_day + 7200 * k_ns_per_sec, "linux.auth", "auth.log", static_cast<std::uint64_t>(d + 1));
    }
    add_event(b, k_t0 + 2 * k_day, "windows.system", "sys.log", 1);  // one patch night
    ASSERT_TRUE(s.st->append(b, {}, {}).ok());
    auto r = report::load_summary(*s.st, {}, time_zone{});
    ASSERT_TRUE(r.ok()) << r.err().message;
    std::map<std::string, report::source_seen> by;
    for (const auto& x : r.value().sources) by[x.source_type] = x;
    EXPECT_FALSE(by["fortigate"].silent);
    EXPECT_TRUE(by["linux.auth"].silent);
    EXPECT_FALSE(by["windows.system"].silent);
    EXPECT_TRUE(by["windows.system"].occasional);
    EXPECT_EQ(by["fortigate"].active_days, 10u);
    report::render_options o;
    const std::string md = report::render_summary(r.value(), report::format::md, o);
    EXPECT_NE(md.find("| linux.auth | 5 |"), std::string::npos) << md;
    EXPECT_NE(md.find("silent"), std::string::npos);
}

TEST(report_summary, failed_logons_are_counted_per_day_of_the_zone) {
    tmp_store s;
    event_batch b;
    // 23:30 UTC on the 19th is 08:30 on the 20th in Tokyo.
    add_event(b, k_t0 + 23 * 3600 * k_ns_per_sec + 1800 * k_ns_per_sec, "linux.auth", "a.log", 1, true);
    add_event(b, k_t0 + 10 * 3600 * k_ns_per_sec, "linux.auth", "a.log", 2, true);
    add_event(b, k_t0 + 11 * 3600 * k_ns_per_sec, "linux.auth", "a.log", 3, false);
    ASSERT_TRUE(s.st->append(b, {}, {}).ok());
    auto utc = report::load_summary(*s.st, {}, time_zone{});
    ASSERT_TRUE(utc.ok());
    ASSERT_EQ(utc.value().failed_by_day.size(), 1u);
    EXPECT_EQ(utc.value().failed_by_day[0].day, "2025-04-19");
    EXPECT_EQ(utc.value().failed_by_day[0].failed, 2u);
    auto tokyo = report::load_summary(*s.st, {}, time_zone::fixed(9 * 3600));
    ASSERT_TRUE(tokyo.ok());
    ASSERT_EQ(tokyo.value().failed_by_day.size(), 2u);
    EXPECT_EQ(tokyo.value().failed_by_day[0].day, "2025-04-19");
    EXPECT_EQ(tokyo.value().failed_by_day[0].failed, 1u);
    EXPECT_EQ(tokyo.value().failed_by_day[1].day, "2025-04-20");
    EXPECT_EQ(tokyo.value().failed_by_day[1].failed, 1u);
    EXPECT_EQ(tokyo.value().failed_logons, 2u);
}

TEST(report_evidence, index_maps_file_line_and_offset_to_stored_ids) {
    tmp_store s;
    report::evidence_index idx;
    event_batch b;
    for (std::uint64_t l = 1; l <= 100; ++l) add_event(b, k_t0, "syslog", "a.log", l);
    // A whole-file format: records by offset, not line.
    for (std::uint64_t k = 0; k < 3; ++k) {
        auto& e = b.begin();
        e.ts = k_t0;
        e.source_type = "json";
        e.file = "trail.json";
        e.offset = 100 + 250 * k;
        b.commit();
    }
    auto info = s.st->append(b, {}, {});
    ASSERT_TRUE(info.ok());
    idx.add_batch(b, info.value().first_event_id);
    event_batch b2;
    for (std::uint64_t l = 101; l <= 150; ++l) add_event(b2, k_t0, "syslog", "a.log", l);
    auto info2 = s.st->append(b2, {}, {});
    ASSERT_TRUE(info2.ok());
    idx.add_batch(b2, info2.value().first_event_id);
    const auto first = info.value().first_event_id;
    EXPECT_EQ(idx.find("a.log", 1, 0), first);
    EXPECT_EQ(idx.find("a.log", 100, 0), first + 99);
    EXPECT_EQ(idx.find("trail.json", 0, 350), first + 101);
    EXPECT_EQ(idx.find("trail.json", 0, 351), 0);
    EXPECT_EQ(idx.find("a.log", 101, 0), info2.value().first_event_id);
    EXPECT_EQ(idx.find("a.log", 150, 0), info2.value().first_event_id + 49);
    EXPECT_EQ(idx.find("a.log", 151, 0), 0);
    EXPECT_EQ(idx.find("b.log", 1, 0), 0);
    // Runs stay few: lines 1-150 are one run per batch (the ids of batch 2 follow batch 1's
    // trail records, so the run breaks there), the trail records one run each.
    EXPECT_LE(idx.runs(), 5u);
}
