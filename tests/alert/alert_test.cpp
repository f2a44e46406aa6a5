// Alerts (dedup, suppression, allowlist, stable ids), incidents (grouping, stage order, risk),
// ja/en summaries and output.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "alert/alert.hpp"

using namespace mimamori;
using namespace mimamori::alert;

namespace {

constexpr timestamp_ns s_ = 1'000'000'000LL;
constexpr timestamp_ns t0 = 1'709'294'400LL * s_;  // 2024-03-01T12:00:00Z

rule_catalog catalog() {
    rule_catalog c;
    rule_info bf;
    bf.id = "bf";
    bf.title = "VPN brute force";
    bf.lvl = level::high;
    bf.stg = stage::entry;
    bf.summary_en = "{src} tried {count} passwords on the VPN over {duration}";
    bf.summary_ja = "{src} が {duration} にわたり VPN で {count} 回パスワードを試しました";
    bf.action_en = "Block the address";
    bf.action_ja = "送信元を遮断してください";
    c.add(bf);
    rule_info ok;
    ok.id = "bf_ok";
    ok.title = "Brute force then success";
    ok.lvl = level::critical;
    ok.stg = stage::entry;
    ok.summary_en = "logged in as {user}";
    ok.summary_ja = "その後 {user} としてログインに成功しました";
    c.add(ok);
    rule_info adm;
    adm.id = "admin_group";
    adm.title = "Account added to an admin group";
    adm.lvl = level::high;
    adm.stg = stage::internal;
    adm.summary_en = "{user} was added to an administrators group on {host}";
    adm.summary_ja = "{user} が {host} で管理者グループに追加されました";
    c.add(adm);
    rule_info ex;
    ex.id = "exfil";
    ex.title = "Large outbound transfer";
    ex.lvl = level::medium;
    ex.stg = stage::exit;
    c.add(ex);
    rule_info info;
    info.id = "login";
    info.title = "Successful login";
    info.lvl = level::informational;
    info.stg = stage::entry;
    c.add(info);
    return c;
}

finding sig(std::string rule, timestamp_ns ts, entities e, std::uint64_t events = 1) {
    finding s;
    s.rule_key = std::move(rule);
    s.ts = ts;
    s.ent = std::move(e);
    s.events = events;
    s.refs.push_back({"auth.log", static_cast<std::uint64_t>((ts - t0) / s_ + 1), 0, ts});
    return s;
}

entities ip(std::string v) {
    entities e;
    e.src_ip = std::move(v);
    return e;
}

}  // namespace

TEST(alerts, brute_force_is_one_growing_alert) {
    auto cat = catalog();
    aggregator agg(&cat);
    agg.add(sig("bf", t0 + 10 * s_, ip("203.0.113.5"), 10));
    for (int i = 11; i < 1000; ++i) agg.add(sig("bf", t0 + i * s_, ip("203.0.113.5")));
    agg.add(sig("bf", t0 + 20 * s_, ip("198.51.100.9"), 10));
    auto alerts = agg.finish();
    ASSERT_EQ(alerts.size(), 2u);
    EXPECT_EQ(alerts[0].count, 10u + 989u);
    EXPECT_EQ(alerts[0].signals, 990u);
    EXPECT_EQ(alerts[0].first, t0 + 10 * s_);
    EXPECT_EQ(alerts[0].last, t0 + 999 * s_);
    EXPECT_EQ(alerts[0].evidence.size(), 10u);
    EXPECT_EQ(alerts[0].evidence.back().ts, t0 + 999 * s_) << "the last evidence is the latest";
    EXPECT_EQ(alerts[0].rule.stg, stage::entry);
    EXPECT_EQ(agg.stats().merged, 989u);
}

TEST(alerts, gap_beyond_dedup_window_starts_a_new_alert_unless_suppressed) {
    auto cat = catalog();
    aggregator_options o;
    o.dedup_window = 600 * s_;
    aggregator agg(&cat, o);
    agg.add(sig("bf", t0, ip("a")));
    agg.add(sig("bf", t0 + 3600 * s_, ip("a")));
    EXPECT_EQ(agg.finish().size(), 2u);
    o.suppress_window = 24 * 3600 * s_;
    aggregator agg2(&cat, o);
    agg2.add(sig("bf", t0, ip("a")));
    agg2.add(sig("bf", t0 + 3600 * s_, ip("a")));
    auto alerts = agg2.finish();
    ASSERT_EQ(alerts.size(), 1u);
    EXPECT_EQ(alerts[0].suppressed, 1u);
    EXPECT_EQ(alerts[0].count, 2u);
}

TEST(alerts, allowlist_and_config_file) {
    auto dir = std::filesystem::temp_directory_path() / ("mimamori_alert_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto cfg = (dir / "alerts.yml").string();
    std::ofstream(cfg) << "dedup_window: 30m\nsuppress_window: 1d\nsuppress:\n"
                          "  - {rule: bf, entity: src_ip, value: 192.0.2.10, reason: our scanner}\n";
    aggregator_options o;
    ASSERT_TRUE(load_alert_config(cfg, o).ok());
    EXPECT_EQ(o.dedup_window, 1800 * s_);
    EXPECT_EQ(o.suppress_window, 86400 * s_);
    auto cat = catalog();
    aggregator agg(&cat, o);
    agg.add(sig("bf", t0, ip("192.0.2.10")));
    agg.add(sig("bf", t0, ip("192.0.2.11")));
    EXPECT_EQ(agg.finish().size(), 1u);
    EXPECT_EQ(agg.stats().allowlisted, 1u);
    std::ofstream(cfg) << "suppress:\n  - {entity: planet, value: x}\n";
    aggregator_options bad;
    EXPECT_FALSE(load_alert_config(cfg, bad).ok());
    std::filesystem::remove_all(dir);
}

TEST(alerts, ids_are_stable) {
    auto cat = catalog();
    auto run = [&] {
        aggregator agg(&cat);
        agg.add(sig("bf", t0, ip("a")));
        agg.add(sig("exfil", t0 + 5 * s_, ip("b")));
        std::vector<std::string> ids;
        for (auto& a : agg.finish()) ids.push_back(a.id);
        return ids;
    };
    auto a = run(), b = run();
    EXPECT_EQ(a, b);
    EXPECT_NE(a[0], a[1]);
    EXPECT_EQ(a[0].rfind("A-", 0), 0u);
}

TEST(alerts, entities_from_fields) {
    entities e;
    fill_entities(e, {{"IpAddress", "203.0.113.5"}, {"TargetUserName", "tanaka"}, {"Computer", "DC01"}, {"x", "y"}, {"source.ip", "ignored"}});
    EXPECT_EQ(e.src_ip, "203.0.113.5");
    EXPECT_EQ(e.user, "tanaka");
    EXPECT_EQ(e.host, "DC01");
    event_batch b;
    b.begin();
    b.add(f::source_ip, "10.0.0.5");
    b.add(f::user_name, "-");
    b.add(intern("TargetUserName"), "sato");
    b.commit();
    entities e2;
    fill_entities(e2, b, b[0]);
    EXPECT_EQ(e2.src_ip, "10.0.0.5");
    EXPECT_EQ(e2.user, "sato") << "'-' is no user";
}

TEST(alerts, stage_from_attack_tags) {
    EXPECT_EQ(stage_from_tags({"attack.credential-access", "attack.t1110.001"}), stage::entry);
    EXPECT_EQ(stage_from_tags({"attack.exfiltration"}), stage::exit);
    EXPECT_EQ(stage_from_tags({"attack.persistence"}), stage::internal);
    EXPECT_EQ(stage_from_tags({"cve.2021-44228"}), stage::unknown);
}

TEST(incidents, story_across_stages) {
    auto cat = catalog();
    aggregator agg(&cat);
    // Entry: brute force from 203.0.113.5 for 3 hours, then success as tanaka.
    agg.add(sig("bf", t0, ip("203.0.113.5"), 10));
    for (int i = 1; i <= 4200; ++i) agg.add(sig("bf", t0 + i * 2 * s_ + 10 * s_, ip("203.0.113.5")));
    entities ok = ip("203.0.113.5");
    ok.user = "tanaka";
    ok.host = "vpn-gw";
    agg.add(sig("bf_ok", t0 + 3 * 3600 * s_, ok));
    // Internal: tanaka added to admins on fileserver.
    entities adm;
    adm.user = "tanaka";
    adm.host = "fs01";
    agg.add(sig("admin_group", t0 + 4 * 3600 * s_, adm));
    // Exit: fs01 sends a lot out.
    entities ex;
    ex.host = "fs01";
    ex.dst_ip = "198.51.100.200";
    agg.add(sig("exfil", t0 + 5 * 3600 * s_, ex));
    // Unrelated: another attacker on the same VPN gateway (entry alerts do not link by host).
    entities other = ip("192.0.2.77");
    other.host = "vpn-gw";
    agg.add(sig("bf", t0 + 100 * s_, other, 10));
    // Informational alerts join no incident.
    agg.add(sig("login", t0 + 3 * 3600 * s_, ok));
    auto alerts = agg.finish();
    auto incidents = build_incidents(alerts);
    ASSERT_EQ(incidents.size(), 2u);
    const incident& inc = incidents[0];
    ASSERT_EQ(inc.alerts.size(), 4u);
    EXPECT_EQ(alerts[inc.alerts[0]].rule.id, "bf");
    EXPECT_EQ(alerts[inc.alerts[1]].rule.id, "bf_ok");
    EXPECT_EQ(alerts[inc.alerts[2]].rule.id, "admin_group");
    EXPECT_EQ(alerts[inc.alerts[3]].rule.id, "exfil");
    EXPECT_EQ(inc.stages, (std::vector<stage>{stage::entry, stage::internal, stage::exit}));
    EXPECT_EQ(inc.max_level, level::critical);
    EXPECT_GT(inc.risk, incidents[1].risk);
    EXPECT_LE(inc.risk, 100);
    EXPECT_EQ(inc.summary_en,
              "203.0.113.5 tried 4,210 passwords on the VPN over 2 hours; then logged in as tanaka; then "
              "tanaka was added to an administrators group on fs01; then Large outbound transfer (1 event on fs01 to "
              "198.51.100.200).");
    EXPECT_NE(inc.summary_ja.find("203.0.113.5 が 2時間 にわたり VPN で 4,210 回パスワードを試しました"), std::string::npos);
    EXPECT_NE(inc.summary_ja.find("その後、"), std::string::npos);
    EXPECT_EQ(incidents[1].alerts.size(), 1u);
}

TEST(incidents, alerts_far_apart_are_separate_and_risk_decays) {
    auto cat = catalog();
    aggregator agg(&cat);
    agg.add(sig("bf", t0, ip("a"), 10));
    agg.add(sig("bf", t0 + 10 * 86400 * s_, ip("a"), 10));
    auto alerts = agg.finish();
    incident_options o;
    auto incs = build_incidents(alerts, o);
    EXPECT_EQ(incs.size(), 2u);
    o.window = 30LL * 86400 * s_;
    incs = build_incidents(alerts, o);
    ASSERT_EQ(incs.size(), 1u);
    // The old alert counts for almost nothing at the incident's end.
    EXPECT_NEAR(incs[0].entity_risk.at(0).second, level_weight(level::high) * 1.25, 0.5);
}

TEST(output, json_and_text) {
    auto cat = catalog();
    aggregator agg(&cat);
    agg.add(sig("bf", t0, ip("203.0.113.5"), 10));
    entities adm;
    adm.user = "tanaka \"quoted\"";
    adm.host = "fs01";
    agg.add(sig("admin_group", t0 + 5, adm));
    auto alerts = agg.finish();
    auto incs = build_incidents(alerts);
    std::string j;
    write_alert_json(alerts[0], j);
    EXPECT_NE(j.find("\"level\":\"high\""), std::string::npos);
    EXPECT_NE(j.find("\"stage\":\"entry\""), std::string::npos);
    EXPECT_NE(j.find("\"source.ip\":\"203.0.113.5\""), std::string::npos);
    EXPECT_NE(j.find("\"first\":\"2024-03-01T12:00:00Z\""), std::string::npos);
    EXPECT_NE(j.find("\"summary_ja\""), std::string::npos);
    std::string j2;
    write_alert_json(alerts[1], j2);
    EXPECT_NE(j2.find("tanaka \\\"quoted\\\""), std::string::npos);
    std::string ji;
    write_incident_json(incs[0], alerts, ji);
    EXPECT_NE(ji.find("\"alerts\":[\"" + alerts[incs[0].alerts[0]].id), std::string::npos);
    std::string text;
    render_text(incs, alerts, false, text);
    EXPECT_LT(text.find("Incidents ("), text.find("Alerts ("));
    EXPECT_NE(text.find("What to do:"), std::string::npos);
    std::string ja;
    render_text(incs, alerts, true, ja);
    EXPECT_NE(ja.find("推奨対応"), std::string::npos);
}

TEST(output, human_numbers) {
    EXPECT_EQ(with_commas(4210), "4,210");
    EXPECT_EQ(with_commas(1234567), "1,234,567");
    EXPECT_EQ(human_duration(3 * 3600 * s_, false), "3 hours");
    EXPECT_EQ(human_duration(3 * 3600 * s_, true), "3時間");
    EXPECT_EQ(human_duration(45 * s_, false), "45 seconds");
    EXPECT_EQ(human_duration(60 * s_, false), "60 seconds");
    EXPECT_EQ(human_duration(2 * 86400 * s_, false), "2 days");
}
