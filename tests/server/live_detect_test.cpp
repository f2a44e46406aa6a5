// The full detection pipeline in the daemon: a brute force over TCP syslog becomes correlated
// alerts with their evidence events and an incident in the store, and correlation windows
// survive a restart through the store's correlation state.
#include <gtest/gtest.h>

#include <string>

#include "harness.hpp"
#include "store/store.hpp"

using namespace harness;

namespace {

std::string live_config(const temp_dir& d) {
    return "store: {path: " + (d / "m.db") + ", batch: {max_delay_ms: 50}}\n"
           "http: {listen: 127.0.0.1:0, token: " + k_token + "}\n"
           "poll_ms: 50\n"
           "syslog:\n  - {protocol: tcp, listen: 127.0.0.1:0}\n";
}

std::string failures(int n, int minute = 0) {
    std::string data;
    for (int i = 0; i < n; ++i) {
        char ts[32];
        std::snprintf(ts, sizeof ts, "Mar  1 10:%02d:%02d", minute, i);
        data += std::string("<38>") + ts + " web01 sshd[1]: Failed password for root from 203.0.113.45 port 5555 ssh2\n";
    }
    return data;
}

std::string success(int minute) {
    char ts[32];
    std::snprintf(ts, sizeof ts, "Mar  1 10:%02d:30", minute);
    return std::string("<38>") + ts + " web01 sshd[1]: Accepted password for alice from 203.0.113.45 port 5556 ssh2\n";
}

std::int64_t scalar(mimamori::store::store& s, const std::string& sql, const std::string& param = {}) {
    std::vector<mimamori::store::sql_value> params;
    if (!param.empty()) params.emplace_back(param);
    auto q = s.select(sql, params);
    if (!q || q.value().rows.empty()) return -1;
    const auto& v = q.value().rows[0].values.at(0);
    return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : -1;
}

// Rules of the built-in pack, by id (titles are text and may be reworded).
constexpr const char* k_then_success = "fc5bde01-6b21-4eac-8c71-0bd7023edc80";  // brute force followed by a successful logon
constexpr const char* k_ssh_brute = "079d7420-9c37-43e1-a13f-1657b70ef7d0";     // SSH brute force

}  // namespace

TEST(live_detect, brute_force_then_success_becomes_alerts_and_an_incident) {
    temp_dir d;
    daemon_process p(d, live_config(d));
    ASSERT_TRUE(send_tcp(p.port("tcp"), failures(10) + success(0)));
    ASSERT_TRUE(wait_until([&] { return p.count("203.0.113.45") == 11; })) << p.log();
    // Incidents are written about once a second; the metric says when.
    ASSERT_TRUE(wait_until([&] { return p.metric("mimamori_incidents_stored") >= 1; })) << p.log();
    EXPECT_EQ(p.terminate(), 0);

    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    ASSERT_TRUE(s.ok());
    auto& db = *s.value();
    // The correlation's alert, with the logon that completed it as evidence.
    auto q = db.select("SELECT a.event_ids, a.json, e.event_outcome, e.user_name FROM alerts a "
                       "JOIN events e ON e.id = CAST(a.event_ids AS INTEGER) WHERE a.rule_id = ? ORDER BY a.id DESC",
                       std::vector<mimamori::store::sql_value>{std::string(k_then_success)});
    ASSERT_TRUE(q.ok()) << q.err().message;
    ASSERT_FALSE(q.value().rows.empty()) << p.log();
    const auto& top = q.value().rows[0].values;
    EXPECT_EQ(std::get<std::string>(top[2]), "success");
    EXPECT_EQ(std::get<std::string>(top[3]), "alice");
    EXPECT_NE(std::get<std::string>(top[1]).find("203.0.113.45"), std::string::npos);
    // The brute force itself grew one alert (stored again in each batch that grew it), whose
    // evidence ids are failures.
    EXPECT_EQ(scalar(db, "SELECT count(DISTINCT json_extract(json, '$.id')) FROM alerts WHERE rule_id = ?", k_ssh_brute), 1);
    auto ev = db.select("SELECT e.event_outcome FROM alerts a, json_each('[' || a.event_ids || ']') j "
                        "JOIN events e ON e.id = j.value WHERE a.rule_id = ?",
                        std::vector<mimamori::store::sql_value>{std::string(k_ssh_brute)});
    ASSERT_TRUE(ev.ok()) << ev.err().message;
    ASSERT_FALSE(ev.value().rows.empty());
    for (const auto& r : ev.value().rows) EXPECT_EQ(std::get<std::string>(r.values[0]), "failure");

    // One incident about the address, linked to the stored alerts, among them the sequence.
    EXPECT_EQ(scalar(db, "SELECT count(*) FROM incidents"), 1);
    auto inc = db.select("SELECT i.json, i.score FROM incidents i", {});
    ASSERT_TRUE(inc.ok());
    EXPECT_NE(std::get<std::string>(inc.value().rows[0].values[0]).find("203.0.113.45"), std::string::npos);
    EXPECT_GT(scalar(db, "SELECT count(*) FROM incident_alerts"), 1);
    EXPECT_EQ(scalar(db, "SELECT count(*) FROM incident_alerts l JOIN alerts a ON a.id = l.alert_id WHERE a.rule_id = ?",
                     k_then_success),
              1);
    // Every incident link points at a stored alert; the chain (events and alerts) verifies.
    EXPECT_EQ(scalar(db, "SELECT count(*) FROM incident_alerts l LEFT JOIN alerts a ON a.id = l.alert_id WHERE a.id IS NULL"), 0);
    auto v = db.verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v.value().ok) << v.value().reason;
    // The correlation state was saved at the stop.
    EXPECT_GT(scalar(db, "SELECT length(value) FROM correlation_state WHERE key = 'correlation'"), 0);
}

TEST(live_detect, correlation_windows_survive_a_restart) {
    temp_dir d;
    {
        daemon_process p(d, live_config(d));
        ASSERT_TRUE(send_tcp(p.port("tcp"), failures(10, 1)));
        ASSERT_TRUE(wait_until([&] { return p.count("203.0.113.45") == 10; })) << p.log();
        EXPECT_EQ(p.terminate(), 0);
    }
    {
        // The logon arrives after the restart: only the restored window knows the failures.
        daemon_process p(d, live_config(d));
        ASSERT_TRUE(send_tcp(p.port("tcp"), success(1)));
        ASSERT_TRUE(wait_until([&] { return p.count("203.0.113.45") == 11; })) << p.log();
        EXPECT_EQ(p.terminate(), 0);
    }
    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    ASSERT_TRUE(s.ok());
    EXPECT_GE(scalar(*s.value(), "SELECT count(*) FROM alerts WHERE rule_id = ?", k_then_success), 1);
}

TEST(live_detect, finished_incidents_are_forgotten_in_memory_but_stay_stored) {
    temp_dir d;
    daemon_process p(d, live_config(d));
    auto attack = [](const char* day, const char* ip) {
        std::string data;
        for (int i = 0; i < 8; ++i)
            data += std::string("<38>") + day + " 10:00:0" + std::to_string(i) + " web01 sshd[1]: Failed password for root from " +
                    ip + " port 5555 ssh2\n";
        return data;
    };
    // An attack on 1 March, its incident stored; then the same address on 5 March: the first
    // incident is finished (forgotten in memory, not deleted), the second is a new one.
    ASSERT_TRUE(send_tcp(p.port("tcp"), attack("Mar  1", "203.0.113.77")));
    ASSERT_TRUE(wait_until([&] { return p.metric("mimamori_incidents_stored") >= 1; })) << p.log();
    ASSERT_TRUE(send_tcp(p.port("tcp"), attack("Mar  5", "203.0.113.77")));
    ASSERT_TRUE(wait_until([&] { return p.metric("mimamori_incidents_stored") >= 2; })) << p.log();
    EXPECT_EQ(p.terminate(), 0);
    EXPECT_NE(p.log().find("forgot 1 finished incident(s)"), std::string::npos) << p.log();
    auto s = mimamori::store::open_sqlite({.path = d / "m.db", .read_only = true});
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(scalar(*s.value(), "SELECT count(*) FROM incidents"), 2);
    EXPECT_EQ(scalar(*s.value(), "SELECT count(*) FROM incidents i WHERE NOT EXISTS "
                                 "(SELECT 1 FROM incident_alerts l WHERE l.incident_id = i.id)"),
              0);
}
