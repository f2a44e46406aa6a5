// The sample company: calendar, determinism, every file readable as its format, the stories
// present where the labels say, quiet holidays, and the evaluation's arithmetic.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/time.hpp"
#include "demo/calendar.hpp"
#include "demo/demo.hpp"
#include "ingest/scan.hpp"

namespace fs = std::filesystem;
using namespace mimamori;
using namespace mimamori::demo;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start < s.size()) {
        std::size_t e = s.find('\n', start);
        if (e == std::string::npos) e = s.size();
        out.push_back(s.substr(start, e - start));
        start = e + 1;
    }
    return out;
}

fs::path temp_dir(const std::string& tag) {
    return fs::temp_directory_path() / ("mimamori_demo_" + tag + "_" + std::to_string(::getpid()));
}

// One generated company shared by the tests (generation takes a second or two).
class demo_fixture : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new fs::path(temp_dir("a"));
        fs::remove_all(*s_dir);
        generate_options o;
        auto r = generate(s_dir->string(), o);
        ASSERT_TRUE(r.ok()) << r.err().message;
        s_summary = new generate_summary(r.value());
        s_labels = new std::string(read_all(*s_dir / "labels.json"));
    }
    static void TearDownTestSuite() {
        fs::remove_all(*s_dir);
        delete s_dir;
        delete s_summary;
        delete s_labels;
    }
    static fs::path* s_dir;
    static generate_summary* s_summary;
    static std::string* s_labels;
};
fs::path* demo_fixture::s_dir = nullptr;
generate_summary* demo_fixture::s_summary = nullptr;
std::string* demo_fixture::s_labels = nullptr;

}  // namespace

// --- calendar ---------------------------------------------------------------------------------

TEST(demo_calendar, holidays_2025_with_substitutes) {
    std::vector<std::string> got;
    for (const auto& h : japanese_holidays(2025)) got.push_back(format_date(h.when) + " " + h.name_en);
    std::vector<std::string> want = {
        "2025-01-01 New Year's Day",     "2025-01-13 Coming of Age Day",   "2025-02-11 National Foundation Day",
        "2025-02-23 Emperor's Birthday", "2025-02-24 Substitute Holiday",  "2025-03-20 Vernal Equinox Day",
        "2025-04-29 Showa Day",          "2025-05-03 Constitution Memorial Day", "2025-05-04 Greenery Day",
        "2025-05-05 Children's Day",     "2025-05-06 Substitute Holiday",  "2025-07-21 Marine Day",
        "2025-08-11 Mountain Day",       "2025-09-15 Respect for the Aged Day", "2025-09-23 Autumnal Equinox Day",
        "2025-10-13 Sports Day",         "2025-11-03 Culture Day",         "2025-11-23 Labour Thanksgiving Day",
        "2025-11-24 Substitute Holiday"};
    EXPECT_EQ(got, want);
}

TEST(demo_calendar, citizens_holiday_and_special_years) {
    auto has = [](int y, const char* d) {
        for (const auto& h : japanese_holidays(y))
            if (format_date(h.when) == d) return true;
        return false;
    };
    EXPECT_TRUE(has(2026, "2026-09-22"));   // between Respect for the Aged Day and the equinox
    EXPECT_TRUE(has(2019, "2019-04-30"));   // 2019: enthronement week
    EXPECT_TRUE(has(2019, "2019-05-01"));
    EXPECT_TRUE(has(2019, "2019-05-02"));
    EXPECT_TRUE(has(2019, "2019-05-06"));   // Children's Day on a Sunday
    EXPECT_TRUE(has(2019, "2019-12-23") == false);
    EXPECT_TRUE(has(2018, "2018-12-24"));   // Emperor's Birthday on a Sunday
    EXPECT_TRUE(has(2020, "2020-07-24"));   // Olympic moves
    EXPECT_FALSE(has(2020, "2020-10-12"));
    EXPECT_TRUE(has(2021, "2021-08-09"));   // Mountain Day 8 Aug (Sunday) → Monday
    EXPECT_TRUE(has(2024, "2024-03-20"));
    EXPECT_TRUE(has(2024, "2024-09-22"));
    EXPECT_TRUE(has(2024, "2024-09-23"));   // its substitute
    EXPECT_EQ(weekday(date{2025, 4, 14}), 1);
    date d;
    EXPECT_FALSE(parse_date("2025-02-29", d));
    EXPECT_TRUE(parse_date("2024-02-29", d));
}

// --- generation -------------------------------------------------------------------------------

TEST_F(demo_fixture, same_seed_same_bytes_other_seed_other_bytes) {
    fs::path b = temp_dir("b"), c = temp_dir("c");
    fs::remove_all(b);
    fs::remove_all(c);
    ASSERT_TRUE(generate(b.string(), generate_options{}).ok());
    generate_options other;
    other.seed = 8;
    ASSERT_TRUE(generate(c.string(), other).ok());
    std::size_t compared = 0, differ = 0;
    for (const auto& f : s_summary->files) {
        std::string x = read_all(*s_dir / f.path);
        EXPECT_EQ(x, read_all(b / f.path)) << f.path << " differs between two runs with the same seed";
        if (fs::exists(c / f.path) && x != read_all(c / f.path)) ++differ;
        ++compared;
    }
    EXPECT_GT(compared, 40u);
    EXPECT_GT(differ, compared / 2) << "another seed should change most files";
    fs::remove_all(b);
    fs::remove_all(c);
}

TEST_F(demo_fixture, size_is_moderate_and_every_source_is_there) {
    EXPECT_GT(s_summary->bytes, 5u << 20);
    EXPECT_LT(s_summary->bytes, 80u << 20);
    std::set<std::string> formats;
    for (const auto& f : s_summary->files) formats.insert(f.format);
    for (const char* want : {"kv", "syslog", "web.access", "windows.json", "json"}) EXPECT_TRUE(formats.count(want)) << want;
    for (const char* p : {"context/roster.csv", "context/badge.csv", "context/absences.csv", "context/shifts.csv",
                          "context/holidays.csv", "context/hosts.csv", "context/ip_geo.csv", "labels.json",
                          "logs/fortigate/traffic.log", "logs/fortigate/event.log", "logs/web01/auth.log",
                          "logs/web01/kern.log", "logs/web01/nginx/access.log", "logs/mail01/mail.log",
                          "logs/windows/DC01.ndjson", "logs/windows/FS01.ndjson"})
        EXPECT_TRUE(fs::exists(*s_dir / p)) << p;
    // 40 staff with romaji accounts like tanaka.k.
    auto roster = lines_of(read_all(*s_dir / "context/roster.csv"));
    std::size_t staff = 0;
    for (std::size_t i = 1; i < roster.size(); ++i)
        if (roster[i].find("-adm,") == std::string::npos) ++staff;
    EXPECT_EQ(staff, 40u);
    EXPECT_NE(read_all(*s_dir / "context/holidays.csv").find("2025-05-06,振替休日"), std::string::npos);
}

TEST_F(demo_fixture, every_log_file_is_read_as_its_format_without_malformed_records) {
    std::map<std::string, std::set<std::string>> types;  // file → source types seen
    for (const auto& f : s_summary->files) {
        if (f.format.empty()) continue;
        ingest::scan_options so;
        ingest::scan_stats st;
        std::set<std::string> seen;
        auto ok = ingest::scan_paths({(*s_dir / f.path).string()}, so, [&](event_batch& b) {
            for (const auto& e : b.events()) seen.insert(std::string(e.source_type));
        }, st);
        ASSERT_TRUE(ok.ok()) << ok.err().message;
        ASSERT_EQ(st.by_format.size(), 1u) << f.path << " was read as several formats";
        EXPECT_EQ(st.by_format.begin()->first, f.format) << f.path;
        EXPECT_EQ(st.malformed, 0u) << f.path << ": "
                                    << (st.by_format.begin()->second.examples.empty() ? "" : st.by_format.begin()->second.examples[0]);
        EXPECT_EQ(st.events, f.records) << f.path;
        EXPECT_TRUE(st.file_errors.empty()) << f.path;
        types[f.path] = seen;
    }
    EXPECT_EQ(types["logs/fortigate/traffic.log"], (std::set<std::string>{"fortigate"}));
    EXPECT_EQ(types["logs/fortigate/event.log"], (std::set<std::string>{"fortigate"}));
    EXPECT_EQ(types["logs/web01/nginx/access.log"], (std::set<std::string>{"web.access"}));
    EXPECT_TRUE(types["logs/web01/auth.log"].count("linux.auth"));
    EXPECT_TRUE(types["logs/web01/kern.log"].count("netfilter"));
    EXPECT_TRUE(types["logs/mail01/mail.log"].count("mail.postfix"));
    EXPECT_TRUE(types["logs/mail01/mail.log"].count("mail.dovecot"));
    EXPECT_TRUE(types["logs/windows/DC01.ndjson"].count("windows.security"));
    bool sysmon = false, cloudtrail = false;
    for (const auto& [p, t] : types) {
        sysmon |= t.count("windows.sysmon") > 0;
        if (p.rfind("logs/aws/", 0) == 0) {
            EXPECT_EQ(t, (std::set<std::string>{"aws.cloudtrail"})) << p;
            cloudtrail = true;
        }
    }
    EXPECT_TRUE(sysmon);
    EXPECT_TRUE(cloudtrail);
}

// Every labelled record exists at its line and offset and names one of its story's entities.
TEST_F(demo_fixture, labelled_evidence_is_where_the_labels_say) {
    simdjson::dom::parser p;
    simdjson::padded_string padded(*s_labels);
    simdjson::dom::element root = p.parse(padded).value();
    std::map<std::string, std::vector<std::string>> cache;
    std::map<std::string, std::vector<std::size_t>> starts;
    auto file_lines = [&](const std::string& f) -> const std::vector<std::string>& {
        auto it = cache.find(f);
        if (it != cache.end()) return it->second;
        std::string text = read_all(*s_dir / f);
        auto& ls = cache[f] = lines_of(text);
        auto& st = starts[f];
        std::size_t off = 0;
        for (const auto& l : ls) {
            st.push_back(off);
            off += l.size() + 1;
        }
        return ls;
    };
    std::size_t stories = 0, steps = 0, records = 0;
    for (simdjson::dom::element s : simdjson::dom::array(root["stories"].get_array().value())) {
        ++stories;
        std::vector<std::string> ents;
        for (const char* k : {"attacker_ips", "accounts", "hosts", "indicators"})
            for (simdjson::dom::element v : simdjson::dom::array(s[k].get_array().value())) ents.emplace_back(v.get_string().value());
        std::string id(s["id"].get_string().value());
        ASSERT_FALSE(ents.empty());
        for (simdjson::dom::element stage : simdjson::dom::array(s["stages"].get_array().value())) {
            for (simdjson::dom::element step : simdjson::dom::array(stage["steps"].get_array().value())) {
                ++steps;
                std::string sid(step["id"].get_string().value());
                std::size_t n = 0;
                std::set<std::string> named_qids, unnamed_qids;
                for (simdjson::dom::element fe : simdjson::dom::array(step["evidence"].get_array().value())) {
                    std::string file(fe["file"].get_string().value());
                    const auto& ls = file_lines(file);
                    simdjson::dom::array lines = fe["lines"].get_array().value();
                    simdjson::dom::array offs = fe["offsets"].get_array().value();
                    auto oi = offs.begin();
                    for (simdjson::dom::element ln : lines) {
                        std::uint64_t line = ln.get_uint64().value();
                        std::uint64_t off = (*oi).get_uint64().value();
                        ++oi;
                        ASSERT_GE(line, 1u);
                        ASSERT_LE(line, ls.size()) << file;
                        EXPECT_EQ(starts[file][line - 1], off) << file << ":" << line;
                        const std::string& text = ls[line - 1];
                        bool named = false;
                        for (const auto& e : ents) named |= text.find(e) != std::string::npos;
                        // Postfix lines after the first carry only the queue id of the message.
                        std::string qid;
                        if (auto b = text.find("]: "); file == "logs/mail01/mail.log" && b != std::string::npos)
                            qid = text.substr(b + 3, text.find(':', b + 3) - b - 3);
                        if (named && !qid.empty()) named_qids.insert(qid);
                        if (!named && !qid.empty()) unnamed_qids.insert(qid);
                        else EXPECT_TRUE(named) << sid << " " << file << ":" << line << " names none of the story's entities: " << text.substr(0, 200);
                        ++n;
                        ++records;
                    }
                }
                EXPECT_GT(n, 0u) << sid << " has no evidence";
                for (const auto& q : unnamed_qids)
                    EXPECT_TRUE(named_qids.count(q)) << sid << ": mail " << q << " has no line naming the story's entities";
            }
        }
    }
    EXPECT_EQ(stories, 4u);
    EXPECT_GE(steps, 15u);
    std::size_t bg = 0;
    for (simdjson::dom::element b : simdjson::dom::array(root["background"].get_array().value())) {
        (void)b;
        ++bg;
    }
    EXPECT_GE(bg, 5u);
    EXPECT_GT(records, 1000u);
}

TEST_F(demo_fixture, stories_look_like_what_they_are) {
    simdjson::dom::parser p;
    simdjson::padded_string padded(*s_labels);
    simdjson::dom::element root = p.parse(padded).value();
    std::map<std::string, std::vector<std::string>> step_lines;  // step id → record texts
    std::map<std::string, simdjson::dom::element> story;
    for (simdjson::dom::element s : simdjson::dom::array(root["stories"].get_array().value())) {
        story[std::string(s["id"].get_string().value())] = s;
        for (simdjson::dom::element stage : simdjson::dom::array(s["stages"].get_array().value()))
            for (simdjson::dom::element step : simdjson::dom::array(stage["steps"].get_array().value())) {
                std::string sid(step["id"].get_string().value());
                for (simdjson::dom::element fe : simdjson::dom::array(step["evidence"].get_array().value())) {
                    auto ls = lines_of(read_all(*s_dir / std::string(fe["file"].get_string().value())));
                    for (simdjson::dom::element ln : simdjson::dom::array(fe["lines"].get_array().value()))
                        step_lines[sid].push_back(ls[ln.get_uint64().value() - 1]);
                }
            }
    }
    std::string atk(story["a"]["attacker_ips"].at(0).get_string().value());
    std::string victim(story["a"]["accounts"].at(0).get_string().value());
    // (a) the spray: many failures from the attacker, then one tunnel up for the victim.
    const auto& spray = step_lines["a.entry.vpn_spray"];
    EXPECT_GT(spray.size(), 80u);
    for (const auto& l : spray) {
        EXPECT_NE(l.find("action=\"ssl-login-fail\""), std::string::npos);
        EXPECT_NE(l.find("remip=" + atk), std::string::npos);
    }
    ASSERT_EQ(step_lines["a.entry.vpn_login"].size(), 1u);
    EXPECT_NE(step_lines["a.entry.vpn_login"][0].find("action=\"tunnel-up\""), std::string::npos);
    EXPECT_NE(step_lines["a.entry.vpn_login"][0].find("user=\"" + victim + "\""), std::string::npos);
    EXPECT_GT(step_lines["a.entry.ssh_bruteforce"].size(), 300u);
    std::uint64_t up = 0;
    for (const auto& l : step_lines["a.exit.upload"]) {
        auto at = l.find(" sentbyte=");
        if (l.find("type=\"traffic\"") != std::string::npos && at != std::string::npos) up += std::stoull(l.substr(at + 10));
    }
    EXPECT_GT(up, 2'000'000'000ull);
    // (b) beacons on many days; spam with many recipients.
    std::set<std::string> beacon_days;
    for (const auto& l : step_lines["b.exit.c2_beacon"])
        if (l.rfind("date=", 0) == 0) beacon_days.insert(l.substr(5, 10));
    EXPECT_GE(beacon_days.size(), 5u);
    EXPECT_GT(step_lines["b.exit.spam_relay"].size(), 500u);
    EXPECT_GT(step_lines["b.exit.spam_direct"].size(), 200u);
    // (c) owner on leave and never badged in that day.
    std::string owner(story["c"]["accounts"].at(0).get_string().value());
    std::string first(story["c"]["first"].get_string().value());
    timestamp_ns t0 = 0;
    ASSERT_TRUE(parse_rfc3339(first, t0));
    civil_time local = civil_from_seconds(t0 / k_ns_per_sec + 9 * 3600);
    char day[16];
    std::snprintf(day, sizeof day, "%04d-%02u-%02u", local.year, local.month, local.day);
    EXPECT_NE(read_all(*s_dir / "context/absences.csv").find(std::string(day) + "," + owner + ",paid_leave"), std::string::npos);
    std::string badge;
    for (const auto& l : lines_of(read_all(*s_dir / "context/roster.csv")))
        if (l.find("," + owner + ",") != std::string::npos) {
            std::vector<std::string> cols;
            std::stringstream ss(l);
            std::string c;
            while (std::getline(ss, c, ',')) cols.push_back(c);
            badge = cols[9];
        }
    ASSERT_FALSE(badge.empty());
    for (const auto& l : lines_of(read_all(*s_dir / "context/badge.csv")))
        EXPECT_FALSE(l.rfind(day, 0) == 0 && l.find("," + badge + ",") != std::string::npos) << l;
    // (d) the key, from abroad.
    for (const auto& l : step_lines["d.entry.key_used_abroad"]) {
        EXPECT_NE(l.find("AKIAQ3EGZ7DPLY7H2K4M"), std::string::npos);
        EXPECT_NE(l.find(std::string(story["d"]["attacker_ips"].at(0).get_string().value())), std::string::npos);
    }
    EXPECT_EQ(step_lines["d.internal.new_admin_user"].size(), 4u);
    EXPECT_GE(step_lines["d.exit.bucket_reads"].size(), 100u);
}

TEST_F(demo_fixture, weekends_and_holidays_are_quiet) {
    // Staff activity (Windows logons at PCs, FortiGate traffic from PCs) per local day.
    std::map<std::string, std::size_t> per_day;
    auto count = [&](const std::string& file, const std::string& needle) {
        for (const auto& l : lines_of(read_all(*s_dir / file))) {
            if (l.find(needle) == std::string::npos) continue;
            if (l.rfind("date=", 0) == 0) {
                ++per_day[l.substr(5, 10)];
            } else if (auto at = l.find("\"@timestamp\":\""); at != std::string::npos) {
                timestamp_ns ts = 0;
                if (!parse_rfc3339(l.substr(at + 14, 24), ts)) continue;
                civil_time c = civil_from_seconds(ts / k_ns_per_sec + 9 * 3600);
                char d[16];
                std::snprintf(d, sizeof d, "%04d-%02u-%02u", c.year, c.month, c.day);
                ++per_day[d];
            }
        }
    };
    count("logs/fortigate/traffic.log", "srcip=192.168.10.");
    for (const auto& f : s_summary->files)
        if (f.path.find("-PC") != std::string::npos) count(f.path, "\"event_id\":4624");
    std::set<std::string> holidays;
    for (const auto& l : lines_of(read_all(*s_dir / "context/holidays.csv"))) holidays.insert(l.substr(0, 10));
    std::size_t work = 0, work_days = 0, off = 0, off_days = 0;
    for (const auto& [d, n] : per_day) {
        date dd;
        ASSERT_TRUE(parse_date(d, dd));
        int wd = weekday(dd);
        if (wd == 0 || wd == 6 || holidays.count(d)) off += n, ++off_days;
        else work += n, ++work_days;
    }
    ASSERT_GT(work_days, 15u);
    ASSERT_GT(off_days, 5u);
    EXPECT_GT(work / work_days, 5 * (off / off_days + 1)) << "workday mean " << work / work_days << ", day-off mean " << off / off_days;
    // The substitute holiday 2025-05-06 (a Tuesday) is as quiet as a Sunday.
    EXPECT_LT(per_day["2025-05-06"], work / work_days / 5);
}

TEST_F(demo_fixture, refuses_to_overwrite_without_force) {
    auto r = generate(s_dir->string(), generate_options{});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.err().code, "io.exists");
    generate_options bad;
    bad.days = 3;
    EXPECT_FALSE(generate(temp_dir("bad").string(), bad).ok());
    bad.days = 30;
    bad.start = "2025-13-01";
    EXPECT_FALSE(generate(temp_dir("bad").string(), bad).ok());
}

// --- evaluation -------------------------------------------------------------------------------

TEST_F(demo_fixture, evaluate_scores_alerts_by_evidence_and_entities) {
    // Nothing detected: every story is there with recall 0.
    auto none = evaluate(*s_labels, "");
    ASSERT_TRUE(none.ok()) << none.err().message;
    ASSERT_EQ(none.value().stories.size(), 4u);
    for (const auto& s : none.value().stories) {
        EXPECT_EQ(s.total.steps_hit, 0u);
        EXPECT_GT(s.total.steps, 0u);
        EXPECT_FALSE(s.total.detected());
    }
    EXPECT_NE(render_evaluation(none.value()).find("(a)"), std::string::npos);

    // One alert per shape on a labelled spray line, one on a benign line about the victim in the
    // story's span, one unrelated, one not an alert.
    simdjson::dom::parser p;
    simdjson::padded_string padded(*s_labels);
    simdjson::dom::element root = p.parse(padded).value();
    simdjson::dom::element a = root["stories"].at(0);
    std::string victim(a["accounts"].at(0).get_string().value());
    std::string first(a["first"].get_string().value());
    simdjson::dom::element spray_ev;
    for (simdjson::dom::element stage : simdjson::dom::array(a["stages"].get_array().value()))
        for (simdjson::dom::element step : simdjson::dom::array(stage["steps"].get_array().value()))
            if (std::string_view(step["id"].get_string().value()) == "a.entry.vpn_spray") spray_ev = step["evidence"].at(0);
    std::string file(spray_ev["file"].get_string().value());
    std::uint64_t line = spray_ev["lines"].at(3).get_uint64().value();
    std::uint64_t line2 = spray_ev["lines"].at(7).get_uint64().value();
    std::string abs = (*s_dir / file).string();
    std::string alerts =
        "{\"@timestamp\":\"" + first + "\",\"rule.id\":\"x1\",\"rule.name\":\"VPN brute force\",\"rule.level\":\"high\",\"rule.tags\":[\"attack.credential_access\"],"
        "\"host.name\":\"\",\"user.name\":\"\",\"key_fields\":{},\"event\":{\"log.file.path\":\"" + abs + "\",\"log.file.line\":" +
        std::to_string(line) + "}}\n"
        "{\"id\":\"agg1\",\"rule\":{\"id\":\"x2\",\"title\":\"VPN spray\",\"level\":\"high\",\"stage\":\"entry\",\"tags\":[]},"
        "\"entities\":{\"source.ip\":\"203.0.113.1\"},\"first\":\"" + first + "\",\"last\":\"" + first + "\",\"count\":5,"
        "\"evidence\":[{\"file\":\"" + file + "\",\"line\":" + std::to_string(line2) + "}]}\n"
        "{\"@timestamp\":\"" + first + "\",\"rule.id\":\"x3\",\"rule.name\":\"Odd logon\",\"rule.tags\":[\"attack.initial_access\"],"
        "\"user.name\":\"KAEDE\\\\" + victim + "\",\"event\":{\"log.file.path\":\"/elsewhere/logs/windows/DC01.ndjson\",\"log.file.line\":1}}\n"
        "{\"@timestamp\":\"2001-01-01T00:00:00Z\",\"rule.id\":\"x4\",\"rule.name\":\"Noise\",\"event\":{\"log.file.path\":\"x.log\",\"log.file.line\":2}}\n"
        "{\"type\":\"incident\",\"id\":\"inc1\",\"alerts\":[]}\n"
        "{\"id\":\"what\"}\n";
    simdjson::dom::element bg = root["background"].at(0)["evidence"].at(0);
    alerts += "{\"@timestamp\":\"" + first + "\",\"rule.name\":\"Scanner\",\"event\":{\"log.file.path\":\"" +
              std::string(bg["file"].get_string().value()) + "\",\"log.file.line\":" +
              std::to_string(bg["lines"].at(0).get_uint64().value()) + "}}\n";
    auto r = evaluate(*s_labels, alerts);
    ASSERT_TRUE(r.ok()) << r.err().message;
    const auto& ev = r.value();
    EXPECT_EQ(ev.alerts, 5u);
    EXPECT_EQ(ev.background, 1u);
    EXPECT_EQ(ev.attributed, 2u);
    EXPECT_EQ(ev.near, 1u);
    EXPECT_EQ(ev.unrelated, 1u);
    EXPECT_EQ(ev.unreadable, 1u);
    EXPECT_EQ(ev.incidents, 1u);
    const story_score& sa = ev.stories[0];
    ASSERT_EQ(sa.id, "a");
    ASSERT_EQ(sa.stages[0].stage, "entry");
    EXPECT_TRUE(sa.stages[0].detected());
    EXPECT_EQ(sa.stages[0].steps_hit, 1u);
    EXPECT_EQ(sa.stages[0].lines_hit, 2u);
    EXPECT_EQ(sa.stages[0].alerts, 2u);
    EXPECT_EQ(sa.stages[0].near, 1u);
    EXPECT_FALSE(sa.stages[1].detected());
    EXPECT_EQ(sa.total.alerts, 2u);
    EXPECT_EQ(sa.total.near, 1u);
    std::string table = render_evaluation(ev);
    EXPECT_NE(table.find("0.67"), std::string::npos) << table;
    EXPECT_NE(table.find("Scanner"), std::string::npos) << table;
    EXPECT_NE(table.find("Noise"), std::string::npos) << table;
    std::string detail = render_evaluation(ev, true);
    EXPECT_NE(detail.find("a.entry.vpn_spray"), std::string::npos);
    EXPECT_NE(detail.find("by: VPN spray"), std::string::npos) << detail;
    ASSERT_FALSE(sa.steps.empty());
    for (const auto& st : sa.steps)
        if (st.id == "a.entry.vpn_spray") {
            EXPECT_EQ(st.records_hit, 2u);
            EXPECT_EQ(st.alerts, 2u);
        }
    EXPECT_FALSE(evaluate("{}", "").ok());
}
