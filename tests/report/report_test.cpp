// Reports from a store built the way `make run` builds it: a week of the sample company
// (`mimamori demo generate`) scanned with `scan --store`. The numbers and times a report prints
// must be the ones the store holds; the HTML must render in headless Chromium in both languages.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "report/report.hpp"
#include "report/store_results.hpp"
#include "store/store.hpp"

namespace fs = std::filesystem;
using namespace mimamori;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string quoted(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += "'\\''";
        else q.push_back(c);
    }
    return q + "'";
}

std::int64_t sql_int(store::store& st, const std::string& sql, std::vector<store::sql_value> p = {}) {
    auto q = st.select(sql, p);
    EXPECT_TRUE(q.ok()) << sql << ": " << (q.ok() ? "" : q.err().message);
    if (!q.ok() || q.value().rows.empty()) return -1;
    const auto& v = q.value().rows[0].values[0];
    return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : 0;
}

// The number after "key": in a flat JSON text (first occurrence after `from`).
std::int64_t json_num(const std::string& j, const std::string& key, std::size_t from = 0) {
    auto p = j.find("\"" + key + "\":", from);
    if (p == std::string::npos) return -1;
    return std::atoll(j.c_str() + p + key.size() + 3);
}
std::string json_str(const std::string& j, const std::string& key, std::size_t from = 0) {
    auto p = j.find("\"" + key + "\":\"", from);
    if (p == std::string::npos) return {};
    p += key.size() + 4;
    return j.substr(p, j.find('"', p) - p);
}

class report_store : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new fs::path(fs::temp_directory_path() / ("mimamori_report_" + std::to_string(::getpid())));
        fs::remove_all(*s_dir);
        fs::create_directories(*s_dir);
        // A week with stories (c) and (a) and the daily background hostility.
        const fs::path demo = *s_dir / "demo", db = *s_dir / "m.sqlite";
        std::string cmd = quoted(MIMAMORI_BINARY) + " demo generate " + quoted(demo.string()) +
                          " --start 2025-04-28 --days 7 > /dev/null 2> " + quoted((*s_dir / "gen.err").string());
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << read_all(*s_dir / "gen.err");
        cmd = quoted(MIMAMORI_BINARY) + " scan --quiet --cache-dir - " + quoted((demo / "logs").string()) + " --store " +
              quoted(db.string()) + " > /dev/null 2> " + quoted((*s_dir / "scan.err").string());
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd << "\n" << read_all(*s_dir / "scan.err");
        auto st = store::open_sqlite({.path = db.string(), .read_only = true});
        ASSERT_TRUE(st.ok()) << st.err().message;
        s_store = st.value().release();
    }
    static void TearDownTestSuite() {
        delete s_store;
        fs::remove_all(*s_dir);
        delete s_dir;
    }
    static fs::path* s_dir;
    static store::store* s_store;
};
fs::path* report_store::s_dir = nullptr;
store::store* report_store::s_store = nullptr;

}  // namespace

TEST_F(report_store, scan_stored_events_alerts_and_incidents_and_the_chain_verifies) {
    ASSERT_NE(s_store, nullptr);
    auto& st = *s_store;
    EXPECT_GT(sql_int(st, "SELECT count(*) FROM events"), 10000);
    EXPECT_GT(sql_int(st, "SELECT count(*) FROM alerts"), 0);
    EXPECT_GT(sql_int(st, "SELECT count(*) FROM incidents"), 0);
    // Every incident links to stored alerts, and every alert cites stored events.
    EXPECT_EQ(sql_int(st, "SELECT count(*) FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM incident_alerts ia "
                          "JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = i.id)"),
              0);
    EXPECT_EQ(sql_int(st, "SELECT count(*) FROM alerts WHERE event_ids = ''"), 0);
    // The cited event is the one the alert's evidence names (file and line or offset).
    auto q = st.select("SELECT a.event_ids, json_extract(a.json,'$.evidence[0].file'), json_extract(a.json,'$.evidence[0].line'), "
                       "json_extract(a.json,'$.evidence[0].offset') FROM alerts a LIMIT 200",
                       {});
    ASSERT_TRUE(q.ok());
    for (const auto& r : q.value().rows) {
        auto ids = std::get<std::string>(r.values[0]);
        std::int64_t first_id = std::atoll(ids.c_str());
        std::vector<store::sql_value> p{first_id};
        auto d = st.select("SELECT file, line, offset FROM event_docs WHERE id = ?", p);
        ASSERT_TRUE(d.ok());
        ASSERT_EQ(d.value().rows.size(), 1u);
        EXPECT_EQ(std::get<std::string>(d.value().rows[0].values[0]), std::get<std::string>(r.values[1]));
        if (std::holds_alternative<std::int64_t>(r.values[2]))
            EXPECT_EQ(std::get<std::int64_t>(d.value().rows[0].values[1]), std::get<std::int64_t>(r.values[2]));
        else
            EXPECT_EQ(std::get<std::int64_t>(d.value().rows[0].values[2]), std::get<std::int64_t>(r.values[3]));
    }
    auto v = st.verify();
    ASSERT_TRUE(v.ok()) << v.err().message;
    EXPECT_TRUE(v.value().ok) << v.value().reason;
    EXPECT_EQ(static_cast<std::int64_t>(v.value().alerts), sql_int(st, "SELECT count(*) FROM alerts"));
}

TEST_F(report_store, summary_counts_and_times_equal_the_store) {
    ASSERT_NE(s_store, nullptr);
    auto& st = *s_store;
    auto zone = time_zone::load("Asia/Tokyo");
    ASSERT_TRUE(zone.ok());
    auto r = report::load_summary(st, {}, zone.value());
    ASSERT_TRUE(r.ok()) << r.err().message;
    report::render_options o;
    o.zone = zone.value();
    const std::string j = report::render_summary(r.value(), report::format::json, o);
    const std::int64_t events = sql_int(st, "SELECT count(*) FROM events");
    const std::int64_t alerts = sql_int(st, "SELECT count(*) FROM alerts");
    const std::int64_t incidents = sql_int(st, "SELECT count(*) FROM incidents");
    const std::int64_t failed = sql_int(st, "SELECT count(*) FROM events WHERE event_outcome = 'failure' AND "
                                            "event_category LIKE '%authentication%'");
    EXPECT_EQ(json_num(j, "events"), events);
    EXPECT_EQ(json_num(j, "alerts"), alerts);
    EXPECT_EQ(json_num(j, "incidents"), incidents);
    EXPECT_EQ(json_num(j, "failed_logons"), failed);
    EXPECT_GT(failed, 0);
    EXPECT_EQ(json_str(j, "from"), format_rfc3339(sql_int(st, "SELECT min(ts) FROM events")));
    EXPECT_EQ(json_str(j, "to"), format_rfc3339(sql_int(st, "SELECT max(ts) FROM events") + 1));
    // The per-day trend adds up to the total; per-level alerts add up to the alerts.
    std::int64_t days = 0;
    for (const auto& d : r.value().failed_by_day) days += static_cast<std::int64_t>(d.failed);
    EXPECT_EQ(days, failed);
    std::int64_t lv = 0;
    for (const auto& [k, n] : r.value().alerts_by_level) {
        lv += static_cast<std::int64_t>(n);
        std::vector<store::sql_value> p{k};
        EXPECT_EQ(static_cast<std::int64_t>(n), sql_int(st, "SELECT count(*) FROM alerts WHERE level = ?", p)) << k;
    }
    EXPECT_EQ(lv, alerts);
    // Markdown prints the same numbers (with thousands separators).
    const std::string md = report::render_summary(r.value(), report::format::md, o);
    EXPECT_NE(md.find(alert::with_commas(static_cast<std::uint64_t>(events)) + " events"), std::string::npos);
    EXPECT_NE(md.find(alert::with_commas(static_cast<std::uint64_t>(failed)) + " failed logons"), std::string::npos);
    o.ja = true;
    const std::string md_ja = report::render_summary(r.value(), report::format::md, o);
    EXPECT_NE(md_ja.find(alert::with_commas(static_cast<std::uint64_t>(events)) + " 件のイベント"), std::string::npos);
    EXPECT_NE(md_ja.find("ログオンの失敗は " + alert::with_commas(static_cast<std::uint64_t>(failed)) + " 件"),
              std::string::npos);
}

TEST_F(report_store, incident_counts_times_and_evidence_equal_the_store) {
    ASSERT_NE(s_store, nullptr);
    auto& st = *s_store;
    auto ids = report::incident_ids(st);
    ASSERT_TRUE(ids.ok());
    ASSERT_FALSE(ids.value().empty());
    const std::int64_t id = ids.value().front();  // highest risk
    auto r = report::load_incident(st, std::to_string(id));
    ASSERT_TRUE(r.ok()) << r.err().message;
    const auto& inc = r.value();
    // By its own id too.
    auto by_key = report::load_incident(st, inc.key);
    ASSERT_TRUE(by_key.ok());
    EXPECT_EQ(by_key.value().id, id);

    report::render_options o;  // UTC
    const std::string j = report::render_incident(inc, report::format::json, o);
    std::vector<store::sql_value> pid{id};
    EXPECT_EQ(json_str(j, "first"), format_rfc3339(sql_int(st, "SELECT first_ts FROM incidents WHERE id = ?", pid)));
    EXPECT_EQ(json_str(j, "last"), format_rfc3339(sql_int(st, "SELECT last_ts FROM incidents WHERE id = ?", pid)));
    const auto counts = j.find("\"counts\":");
    EXPECT_EQ(json_num(j, "alerts", counts), sql_int(st, "SELECT count(*) FROM incident_alerts WHERE incident_id = ?", pid));
    EXPECT_EQ(json_num(j, "detections", counts),
              sql_int(st, "SELECT sum(json_extract(a.json,'$.count')) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id "
                          "WHERE ia.incident_id = ?",
                      pid));
    // Distinct cited events, counted in SQL from the alerts' event id lists.
    std::set<std::int64_t> cited;
    auto q = st.select("SELECT a.event_ids FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ?", pid);
    ASSERT_TRUE(q.ok());
    for (const auto& row : q.value().rows) {
        std::stringstream ss(std::get<std::string>(row.values[0]));
        std::string x;
        while (std::getline(ss, x, ',')) cited.insert(std::atoll(x.c_str()));
    }
    EXPECT_EQ(json_num(j, "evidence_records", counts), static_cast<std::int64_t>(cited.size()));
    // Related events, by the definition in docs/reports.md, for the incident's first address.
    ASSERT_FALSE(inc.sources.empty() && inc.accounts.empty());
    std::int64_t related = json_num(j, "related_events", counts);
    EXPECT_GT(related, 0);
    EXPECT_LE(json_num(j, "blocked_events", counts), related);
    EXPECT_LE(json_num(j, "failed_logons", counts) + json_num(j, "successful_logons", counts), related);
    {
        // The same definition written out here: addresses as source or destination, accounts as
        // written and bare (no DOMAIN\ or @domain).
        std::set<std::string> ips(inc.sources.begin(), inc.sources.end()), users;
        ips.insert(inc.destinations.begin(), inc.destinations.end());
        for (auto u : inc.accounts) {
            users.insert(u);
            if (auto p = u.rfind('\\'); p != std::string::npos) u = u.substr(p + 1);
            if (auto p = u.find('@'); p != std::string::npos) u = u.substr(0, p);
            users.insert(u);
        }
        auto list = [](const std::set<std::string>& v) {
            std::string s;
            for (const auto& x : v) s += (s.empty() ? "'" : ",'") + x + "'";
            return s.empty() ? std::string("NULL") : s;
        };
        const std::string where = " WHERE ts >= ? AND ts <= ? AND (source_ip IN (" + list(ips) + ") OR destination_ip IN (" +
                                  list(ips) + ") OR user_name IN (" + list(users) + "))";
        std::vector<store::sql_value> p{inc.first, inc.last};
        EXPECT_EQ(related, sql_int(st, "SELECT count(*) FROM events" + where, p));
        EXPECT_EQ(json_num(j, "bytes_sent", counts),
                  sql_int(st, "SELECT ifnull(sum(CAST(json_extract(d.fields,'$.\"source.bytes\"') AS INTEGER)),0) FROM event_docs d "
                              "WHERE d.id IN (SELECT id FROM events" + where + ")", p));
    }
    // Timeline times are the stored alert times; evidence rows are stored events.
    for (const auto& a : inc.alerts) {
        std::vector<store::sql_value> p{a.id};
        EXPECT_EQ(a.first, sql_int(st, "SELECT ts FROM alerts WHERE id = ?", p));
    }
    for (const auto& e : inc.evidence) {
        EXPECT_TRUE(cited.count(e.event_id));
        std::vector<store::sql_value> p{e.event_id};
        EXPECT_EQ(e.ts, sql_int(st, "SELECT ts FROM events WHERE id = ?", p));
    }
    // The Markdown shows the same numbers and times.
    const std::string md = report::render_incident(inc, report::format::md, o);
    EXPECT_NE(md.find(alert::with_commas(static_cast<std::uint64_t>(related))), std::string::npos);
    std::string first = format_rfc3339(inc.first - inc.first % k_ns_per_sec);  // 2025-04-30T03:30:00Z
    first = first.substr(0, 10) + " " + first.substr(11, 8);
    EXPECT_NE(md.find(first), std::string::npos) << first;
    for (const char* h : {"## 1. Summary", "## 2. Route in", "## 3. Cause", "## 5. Counts", "## 6. Timeline", "## 8. Evidence"})
        EXPECT_NE(md.find(h), std::string::npos) << h;
}

TEST_F(report_store, html_renders_in_headless_chromium_in_both_languages) {
    ASSERT_NE(s_store, nullptr);
    const std::string chrome = report::find_chromium();
    if (chrome.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup.sh installs it)";
    auto& st = *s_store;
    auto ids = report::incident_ids(st);
    ASSERT_TRUE(ids.ok() && !ids.value().empty());
    auto inc = report::load_incident(st, std::to_string(ids.value().front()));
    ASSERT_TRUE(inc.ok());
    auto zone = time_zone::load("Asia/Tokyo");
    ASSERT_TRUE(zone.ok());
    auto sum = report::load_summary(st, {}, zone.value());
    ASSERT_TRUE(sum.ok());
    struct want {
        std::string name;
        bool ja;
        bool incident;
        std::vector<std::string> headings;
    };
    const std::vector<want> cases = {
        {"incident.en", false, true, {"1. Summary", "2. Route in", "3. Cause", "4. Affected", "5. Counts", "6. Timeline", "7. What was done", "8. Evidence"}},
        {"incident.ja", true, true, {"1. 概要", "2. 侵入経路", "3. 原因", "4. 影響範囲", "5. 件数", "6. 時系列", "7. 対応状況と今後の対応", "8. 証拠"}},
        {"summary.en", false, false, {"1. Overview", "2. Incidents", "3. Alerts by stage and severity", "4. Failed logons per day", "6. Noisiest rules", "7. Log sources"}},
        {"summary.ja", true, false, {"1. 概要", "2. インシデント", "3. 段階別・重大度別のアラート", "4. 日別のログオン失敗", "6. アラートの多い検知ルール", "7. ログの受信状況"}},
    };
    for (const auto& c : cases) {
        report::render_options o;
        o.ja = c.ja;
        o.zone = zone.value();
        const fs::path html = *s_dir / (c.name + ".html"), png = *s_dir / (c.name + ".png"), dom = *s_dir / (c.name + ".dom");
        std::ofstream(html) << (c.incident ? report::render_incident(inc.value(), report::format::html, o)
                                           : report::render_summary(sum.value(), report::format::html, o));
        const std::string common = "timeout 120 " + quoted(chrome) + " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage " +
                                   "--user-data-dir=" + quoted((*s_dir / "chrome-profile").string()) + " ";
        std::string cmd = common + "--dump-dom " + quoted("file://" + html.string()) + " > " + quoted(dom.string()) + " 2>/dev/null";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        const std::string text = read_all(dom);
        EXPECT_GT(text.size(), 2000u) << c.name;
        for (const auto& h : c.headings) EXPECT_NE(text.find(h), std::string::npos) << c.name << ": " << h;
        EXPECT_NE(text.find("<svg"), std::string::npos) << c.name;
        cmd = common + "--window-size=1100,2400 --screenshot=" + quoted(png.string()) + " " + quoted("file://" + html.string()) +
              " > /dev/null 2>&1";
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        ASSERT_TRUE(fs::exists(png)) << c.name;
        EXPECT_GT(fs::file_size(png), 20'000u) << c.name;  // a blank page compresses to a few KB
        if (const char* keep = std::getenv("MIMAMORI_KEEP_SCREENSHOTS"); keep && *keep)
            fs::copy_file(png, fs::path(keep) / (c.name + ".png"), fs::copy_options::overwrite_existing);
    }
}
