// Staff presence context (roster, absences, badge readings) and the `context: staff_presence`
// extension of event_count correlations.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "detect/correlate/engine.hpp"
#include "detect/correlate/presence.hpp"
#include "detect/correlate/rule.hpp"

namespace fs = std::filesystem;
using namespace mimamori;
using namespace mimamori::correlate;

namespace {

timestamp_ns at(const char* rfc3339) {
    timestamp_ns t = 0;
    EXPECT_TRUE(parse_rfc3339(rfc3339, t)) << rfc3339;
    return t;
}

struct context_dir {
    fs::path dir = fs::temp_directory_path() / ("mimamori_presence_" + std::to_string(::getpid()));
    context_dir() {
        fs::create_directories(dir);
        std::ofstream(dir / "roster.csv") << "employee_id,account,name_ja,department,badge_id\n"
                                             "E1,yamamoto.t,\"山本, 太郎\",HR,B100\n"
                                             "E2,sato.k,佐藤,SLS,B200\n"
                                             "E3,ito.m,伊藤,DEV,B300\n"
                                             "E4,nobadge,無,IT,\n";
        std::ofstream(dir / "absences.csv") << "date,account,kind\n"
                                               "2025-04-30,yamamoto.t,paid_leave\n"
                                               "2025-04-30,ito.m,remote_work\n";
        std::ofstream(dir / "badge.csv") << "time,badge_id,door,direction\n"
                                            "2025-04-30T08:50:00+09:00,B200,1F-main-entrance,in\n"
                                            "2025-05-01T08:40:00+09:00,B100,1F-main-entrance,in\n";
    }
    ~context_dir() { fs::remove_all(dir); }
};

}  // namespace

TEST(presence, verdicts_by_leave_badge_and_remote_days) {
    context_dir d;
    auto tz = time_zone::load("+09:00");
    ASSERT_TRUE(tz.ok());
    auto c = presence_context::load(d.dir.string(), tz.value());
    ASSERT_TRUE(c.ok()) << c.err().message;
    const auto& p = *c.value();
    EXPECT_EQ(p.accounts(), 4u);
    using v = presence_context::verdict;
    // On leave that day (local date: 12:30 JST on the 30th is 03:30 UTC).
    EXPECT_EQ(p.check("yamamoto.t", at("2025-04-30T03:30:00Z")), v::on_leave);
    EXPECT_EQ(p.check("KAEDE\\Yamamoto.T", at("2025-04-30T03:30:00Z")), v::on_leave);
    // Badged in that morning; a logon before the badge-in beyond the grace is not covered.
    EXPECT_EQ(p.check("sato.k", at("2025-04-30T01:00:00Z")), v::present);
    EXPECT_EQ(p.check("sato.k@corp.example", at("2025-04-29T23:00:00Z")), v::no_badge_in);
    // Working from home: no badge expected.
    EXPECT_EQ(p.check("ito.m", at("2025-04-30T02:00:00Z")), v::present);
    // Badge data exists for 05-01, but not B200's.
    EXPECT_EQ(p.check("sato.k", at("2025-05-01T02:00:00Z")), v::no_badge_in);
    // No opinion: unknown account, no badge, a day without any badge data.
    EXPECT_EQ(p.check("stranger", at("2025-04-30T02:00:00Z")), v::unknown);
    EXPECT_EQ(p.check("nobadge", at("2025-04-30T02:00:00Z")), v::unknown);
    EXPECT_EQ(p.check("sato.k", at("2025-05-05T02:00:00Z")), v::unknown);
    EXPECT_FALSE(presence_context::load((d.dir / "missing").string(), tz.value()).ok());
}

TEST(presence, correlation_counts_only_logons_of_absent_owners) {
    context_dir d;
    ::setenv("MIMAMORI_CONTEXT", d.dir.c_str(), 1);
    auto lr = parse_correlations(R"(title: Logon while the owner is away
correlation:
    type: event_count
    rules: [interactive_logon]
    group-by: [TargetUserName]
    timespan: 12h
    condition: {gte: 1}
    context: staff_presence
    context_timezone: '+09:00'
)");
    ASSERT_TRUE(lr.problems.empty()) << lr.problems.front().message;
    ASSERT_EQ(lr.rules.size(), 1u);
    auto eng = engine::create(std::move(lr.rules));
    ::unsetenv("MIMAMORI_CONTEXT");
    ASSERT_TRUE(eng.ok()) << eng.err().message;
    auto& e = *eng.value();
    const auto in = e.input_for("", "interactive_logon");
    ASSERT_NE(in, engine::k_no_input);
    std::vector<hit> out;
    field_values present{{{"TargetUserName", "sato.k"}}};
    field_values away{{{"TargetUserName", "yamamoto.t"}}};
    e.on_match(in, at("2025-04-30T01:00:00Z"), present, {"pc.log", 1, 0, 0}, out);
    EXPECT_TRUE(out.empty());
    e.on_match(in, at("2025-04-30T03:30:00Z"), away, {"pc.log", 7, 0, 0}, out);
    e.flush(out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].sample, "on leave that day");
    EXPECT_EQ(out[0].last.line, 7u);

    // Rejected: the extension needs an event_count grouped by the account.
    auto bad = parse_correlations(R"(title: x
correlation:
    type: value_count
    rules: [a]
    group-by: [u]
    timespan: 1h
    condition: {gte: 2, field: f}
    context: staff_presence
)");
    EXPECT_EQ(bad.rules.size(), 0u);
    EXPECT_FALSE(bad.problems.empty());
}
