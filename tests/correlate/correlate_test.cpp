// Correlation engine: every correlation type, group-by and aliases, window edges, chains,
// out-of-order input, the memory cap, and save/restore.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include "detect/correlate/engine.hpp"

using namespace mimamori;
using namespace mimamori::correlate;

namespace {

constexpr timestamp_ns s_ = 1'000'000'000LL;
constexpr timestamp_ns t0 = 1'700'000'000LL * s_;

std::unique_ptr<engine> make(const std::string& yaml, options o = {}) {
    auto lr = parse_correlations(yaml);
    for (const auto& p : lr.problems) ADD_FAILURE() << p.message;
    auto e = engine::create(lr.rules, o);
    EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.err().message);
    return e.ok() ? std::move(e.value()) : nullptr;
}

struct feeder {
    engine& eng;
    std::vector<hit> hits;
    void operator()(std::string_view rule, timestamp_ns ts, field_values fv) {
        auto h = eng.input_for("", rule);
        ASSERT_NE(h, engine::k_no_input) << rule;
        eng.on_match(h, ts, fv, evidence_ref{"test.log", 1, 0, ts}, hits);
    }
};

field_values kv(std::initializer_list<std::pair<std::string, std::string>> l) { return field_values{{l}}; }

const char* k_bf = R"(
title: SSH brute force
id: 11111111-1111-4111-8111-111111111111
name: ssh_bf
correlation:
  type: event_count
  rules: [ssh_fail]
  group-by: [source.ip]
  timespan: 60s
  condition: {gte: 5}
level: high
)";

}  // namespace

TEST(correlate_rules, parse_and_reject) {
    auto lr = parse_correlations(R"(
title: ok
correlation: {type: value_count, rules: [a], group-by: [x], timespan: 1h, condition: {field: user, gt: 10}}
---
title: detection rule (skipped)
logsource: {product: linux}
detection: {sel: {a: b}, condition: sel}
---
title: bad type
correlation: {type: event_sum, rules: [a], timespan: 1h, condition: {gte: 1}}
---
title: bad timespan
correlation: {type: event_count, rules: [a], timespan: 1 hour, condition: {gte: 1}}
---
title: value_sum without field
correlation: {type: value_sum, rules: [a], timespan: 1h, condition: {gte: 1}}
---
title: no condition
correlation: {type: event_count, rules: [a], timespan: 1h}
)");
    ASSERT_EQ(lr.rules.size(), 1u);
    EXPECT_EQ(lr.documents, 6u);
    EXPECT_EQ(lr.rules[0].type, corr_type::value_count);
    EXPECT_EQ(lr.rules[0].timespan, 3600 * s_);
    EXPECT_EQ(lr.rules[0].fields, std::vector<std::string>{"user"});
    EXPECT_EQ(lr.problems.size(), 4u);
    timestamp_ns t;
    EXPECT_TRUE(parse_timespan("90m", t));
    EXPECT_EQ(t, 5400 * s_);
    EXPECT_FALSE(parse_timespan("m", t));
    EXPECT_FALSE(parse_timespan("0s", t));
}

TEST(correlate, event_count_threshold_and_growth) {
    auto eng = make(k_bf);
    feeder f{*eng, {}};
    for (int i = 0; i < 4; ++i) f("ssh_fail", t0 + i * s_, kv({{"source.ip", "203.0.113.5"}}));
    EXPECT_TRUE(f.hits.empty());
    f("ssh_fail", t0 + 4 * s_, kv({{"source.ip", "203.0.113.5"}}));
    ASSERT_EQ(f.hits.size(), 1u);
    EXPECT_EQ(f.hits[0].value, 5);
    EXPECT_EQ(f.hits[0].events, 5u);
    EXPECT_FALSE(f.hits[0].continuation);
    EXPECT_EQ(f.hits[0].group.at(0), (std::pair<std::string, std::string>{"source.ip", "203.0.113.5"}));
    EXPECT_EQ(f.hits[0].first_ts, t0);
    // Further attempts grow the same finding: continuation hits worth one event each.
    f("ssh_fail", t0 + 5 * s_, kv({{"source.ip", "203.0.113.5"}}));
    ASSERT_EQ(f.hits.size(), 2u);
    EXPECT_TRUE(f.hits[1].continuation);
    EXPECT_EQ(f.hits[1].events, 1u);
    // Another source is its own group.
    for (int i = 0; i < 4; ++i) f("ssh_fail", t0 + i * s_, kv({{"source.ip", "198.51.100.1"}}));
    EXPECT_EQ(f.hits.size(), 2u);
    // Events without the group-by field are not counted (and are counted as such).
    f("ssh_fail", t0, kv({{"user.name", "x"}}));
    EXPECT_EQ(eng->stats().rules[0].missing_group, 1u);
}

TEST(correlate, event_count_window_edges) {
    // 5 events within 60 s → hit; the same 5 spread over more than 60 s → none.
    auto eng = make(k_bf);
    feeder f{*eng, {}};
    for (int i = 0; i < 5; ++i) f("ssh_fail", t0 + i * 14 * s_, kv({{"source.ip", "a"}}));  // 0..56 s
    EXPECT_EQ(f.hits.size(), 1u);
    for (int i = 0; i < 5; ++i) f("ssh_fail", t0 + i * 16 * s_, kv({{"source.ip", "b"}}));  // 0..64 s
    EXPECT_EQ(f.hits.size(), 1u) << "events 64 s apart are never in one 60 s window";
    // Exactly at the timespan: the first event has left the window.
    auto eng2 = make(k_bf);
    feeder g{*eng2, {}};
    for (int i = 0; i < 4; ++i) g("ssh_fail", t0 + i * s_, kv({{"source.ip", "c"}}));
    g("ssh_fail", t0 + 60 * s_ + 3 * s_, kv({{"source.ip", "c"}}));
    EXPECT_TRUE(g.hits.empty());
}

TEST(correlate, value_count_distinct_users) {
    auto eng = make(R"(
title: Password spraying
correlation:
  type: value_count
  rules: [auth_fail]
  group-by: [source.ip]
  timespan: 10m
  condition: {field: user.name, gte: 3}
)");
    feeder f{*eng, {}};
    f("auth_fail", t0, kv({{"source.ip", "x"}, {"user.name", "alice"}}));
    f("auth_fail", t0 + s_, kv({{"source.ip", "x"}, {"user.name", "alice"}}));
    f("auth_fail", t0 + 2 * s_, kv({{"source.ip", "x"}, {"user.name", "bob"}}));
    EXPECT_TRUE(f.hits.empty()) << "two distinct users only";
    f("auth_fail", t0 + 3 * s_, kv({{"source.ip", "x"}, {"user.name", "carol"}}));
    ASSERT_EQ(f.hits.size(), 1u);
    EXPECT_EQ(f.hits[0].value, 3);
    EXPECT_EQ(f.hits[0].events, 4u);
    EXPECT_EQ(f.hits[0].sample, "carol");
    // Values that left the window no longer count.
    f("auth_fail", t0 + 30 * 60 * s_, kv({{"source.ip", "x"}, {"user.name", "dave"}}));
    EXPECT_EQ(f.hits.size(), 1u);
    // Without the value field the input is counted as missing.
    f("auth_fail", t0, kv({{"source.ip", "x"}}));
    EXPECT_EQ(eng->stats().rules[0].missing_value, 1u);
}

TEST(correlate, value_count_many_values_state_is_capped) {
    auto eng = make(R"(
title: Port scan
correlation: {type: value_count, rules: [fw], group-by: [source.ip], timespan: 1m, condition: {field: destination.port, gt: 20}}
)");
    feeder f{*eng, {}};
    for (int p = 1; p <= 5000; ++p)
        f("fw", t0 + p * 1'000'000LL, kv({{"source.ip", "s"}, {"destination.port", std::to_string(p)}}));
    ASSERT_FALSE(f.hits.empty());
    EXPECT_EQ(f.hits[0].value, 21);
    // Only as many values as the condition can tell apart are kept.
    EXPECT_LT(eng->stats().rules[0].bytes, 256u * 1024);  // one storage chunk, not 5000 values
    EXPECT_EQ(f.hits.size(), 5000u - 20u);
}

TEST(correlate, temporal_any_order) {
    auto eng = make(R"(
title: recon
correlation: {type: temporal, rules: [whoami, net_user, ipconfig], group-by: [host.name], timespan: 5m}
)");
    feeder f{*eng, {}};
    f("ipconfig", t0, kv({{"host.name", "pc1"}}));
    f("whoami", t0 + 10 * s_, kv({{"host.name", "pc1"}}));
    f("whoami", t0 + 10 * s_, kv({{"host.name", "pc2"}}));
    EXPECT_TRUE(f.hits.empty());
    f("net_user", t0 + 20 * s_, kv({{"host.name", "pc1"}}));
    ASSERT_EQ(f.hits.size(), 1u);
    EXPECT_EQ(f.hits[0].first_ts, t0);
    EXPECT_EQ(f.hits[0].value, 3);
    // Too far apart.
    f("ipconfig", t0, kv({{"host.name", "pc3"}}));
    f("whoami", t0 + 10 * s_, kv({{"host.name", "pc3"}}));
    f("net_user", t0 + 6 * 60 * s_, kv({{"host.name", "pc3"}}));
    EXPECT_EQ(f.hits.size(), 1u);
}

TEST(correlate, temporal_with_condition) {
    auto eng = make(R"(
title: two of three
correlation: {type: temporal, rules: [a, b, c], group-by: [h], timespan: 5m, condition: {gte: 2}}
)");
    feeder f{*eng, {}};
    f("a", t0, kv({{"h", "1"}}));
    EXPECT_TRUE(f.hits.empty());
    f("c", t0 + s_, kv({{"h", "1"}}));
    EXPECT_EQ(f.hits.size(), 1u);
}

TEST(correlate, temporal_ordered_and_chain) {
    // The specification's example: many failed logins, then a success of the same user.
    auto eng = make(R"(
title: Failed logins followed by success
correlation:
  type: temporal_ordered
  rules: [many_failed, success]
  group-by: [user]
  timespan: 10m
level: high
---
title: Many failed
name: many_failed
correlation:
  type: event_count
  rules: [failed_login]
  group-by: [user]
  timespan: 10m
  condition: {gte: 3}
)");
    EXPECT_TRUE(eng->emits_alerts("", "Failed logins followed by success"));
    EXPECT_FALSE(eng->emits_alerts("", "many_failed")) << "inner link of a chain without generate";
    EXPECT_FALSE(eng->emits_alerts("", "failed_login")) << "referenced base rule";
    EXPECT_TRUE(eng->emits_alerts("", "unrelated"));
    feeder f{*eng, {}};
    // Success first: no sequence.
    f("success", t0, kv({{"user", "tanaka"}}));
    for (int i = 1; i <= 3; ++i) f("failed_login", t0 + i * s_, kv({{"user", "tanaka"}}));
    ASSERT_EQ(f.hits.size(), 1u);  // the inner event_count only
    EXPECT_EQ(eng->rules()[f.hits[0].rule].name, "many_failed");
    f("success", t0 + 60 * s_, kv({{"user", "tanaka"}}));
    ASSERT_EQ(f.hits.size(), 2u);
    EXPECT_EQ(eng->rules()[f.hits[1].rule].title, "Failed logins followed by success");
    EXPECT_EQ(f.hits[1].group.at(0).second, "tanaka");
    // Another user: success long after the failures does not complete the sequence.
    for (int i = 1; i <= 3; ++i) f("failed_login", t0 + i * s_, kv({{"user", "sato"}}));
    f("success", t0 + 20 * 60 * s_, kv({{"user", "sato"}}));
    EXPECT_EQ(f.hits.size(), 3u);
    EXPECT_EQ(eng->rules()[f.hits[2].rule].name, "many_failed");
}

TEST(correlate, temporal_ordered_wrong_order_does_not_fire) {
    auto eng = make(R"(
title: a then b then c
correlation: {type: temporal_ordered, rules: [a, b, c], group-by: [h], timespan: 1h}
)");
    feeder f{*eng, {}};
    f("b", t0, kv({{"h", "1"}}));
    f("a", t0 + s_, kv({{"h", "1"}}));
    f("c", t0 + 2 * s_, kv({{"h", "1"}}));
    EXPECT_TRUE(f.hits.empty());
    f("b", t0 + 3 * s_, kv({{"h", "1"}}));
    f("c", t0 + 4 * s_, kv({{"h", "1"}}));
    ASSERT_EQ(f.hits.size(), 1u);
    EXPECT_EQ(f.hits[0].first_ts, t0 + s_);
}

TEST(correlate, aliases_join_different_fields) {
    auto eng = make(R"(
title: error then outbound connection
correlation:
  type: temporal
  rules: [internal_error, new_connection]
  group-by: [internal_ip]
  timespan: 10s
  aliases:
    internal_ip:
      internal_error: destination.ip
      new_connection: source.ip
)");
    feeder f{*eng, {}};
    f("internal_error", t0, kv({{"destination.ip", "10.0.0.7"}, {"source.ip", "203.0.113.1"}}));
    f("new_connection", t0 + s_, kv({{"source.ip", "10.0.0.8"}}));
    EXPECT_TRUE(f.hits.empty());
    f("new_connection", t0 + 2 * s_, kv({{"source.ip", "10.0.0.7"}}));
    ASSERT_EQ(f.hits.size(), 1u);
    EXPECT_EQ(f.hits[0].group.at(0), (std::pair<std::string, std::string>{"internal_ip", "10.0.0.7"}));
}

TEST(correlate, value_sum_and_avg) {
    auto eng = make(R"(
title: exfil
correlation: {type: value_sum, rules: [conn], group-by: [source.ip], timespan: 1h, condition: {field: source.bytes, gt: 1000000}}
---
title: avg
correlation: {type: value_avg, rules: [conn], group-by: [source.ip], timespan: 1h, condition: {field: source.bytes, gte: 500}}
)");
    feeder f{*eng, {}};
    f("conn", t0, kv({{"source.ip", "10.0.0.5"}, {"source.bytes", "400"}}));
    EXPECT_TRUE(f.hits.empty());
    f("conn", t0 + s_, kv({{"source.ip", "10.0.0.5"}, {"source.bytes", "700"}}));
    ASSERT_EQ(f.hits.size(), 1u);  // avg 550
    EXPECT_EQ(f.hits[0].value, 550);
    f("conn", t0 + 2 * s_, kv({{"source.ip", "10.0.0.5"}, {"source.bytes", "999000"}}));
    ASSERT_EQ(f.hits.size(), 3u);  // sum 1000100 and avg
    EXPECT_EQ(eng->rules()[f.hits[1].rule].title, "exfil");
    EXPECT_EQ(f.hits[1].value, 1000100);
    f("conn", t0, kv({{"source.ip", "10.0.0.5"}, {"source.bytes", "n/a"}}));
    EXPECT_EQ(eng->stats().rules[0].missing_value, 1u);
}

TEST(correlate, value_percentile_rare_value) {
    auto eng = make(R"(
title: rare process
correlation: {type: value_percentile, rules: [proc], group-by: [host.name], timespan: 24h, condition: {field: process.name, lte: 1}}
)");
    feeder f{*eng, {}};
    for (int i = 0; i < 300; ++i)
        f("proc", t0 + i * s_, kv({{"host.name", "pc"}, {"process.name", i % 2 ? "chrome.exe" : "explorer.exe"}}));
    EXPECT_TRUE(f.hits.empty());
    f("proc", t0 + 400 * s_, kv({{"host.name", "pc"}, {"process.name", "mimikatz.exe"}}));
    ASSERT_EQ(f.hits.size(), 1u);
    EXPECT_LT(f.hits[0].value, 1.0);
    EXPECT_EQ(f.hits[0].sample, "mimikatz.exe");
}

TEST(correlate, lt_condition_checked_when_window_closes) {
    auto eng = make(R"(
title: too quiet
correlation: {type: event_count, rules: [hb], group-by: [host.name], timespan: 10m, condition: {lt: 3}}
)");
    feeder f{*eng, {}};
    f("hb", t0, kv({{"host.name", "quiet"}}));
    for (int i = 0; i < 5; ++i) f("hb", t0 + i * s_, kv({{"host.name", "busy"}}));
    EXPECT_TRUE(f.hits.empty()) << "not decided before the window ends";
    std::vector<hit> out;
    eng->advance(t0 + 11 * 60 * s_, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].group.at(0).second, "quiet");
    EXPECT_EQ(out[0].value, 1);
}

TEST(correlate, out_of_order_within_lateness_matches_sorted) {
    const std::string rules = std::string(k_bf) + R"(
---
title: spray
correlation: {type: value_count, rules: [ssh_fail], group-by: [source.ip], timespan: 5m, condition: {field: user.name, gte: 4}}
---
title: fail then success
correlation: {type: temporal_ordered, rules: [ssh_fail, ssh_ok], group-by: [source.ip], timespan: 5m}
)";
    struct in {
        std::string rule;
        timestamp_ns ts;
        std::string ip, user;
    };
    std::vector<in> inputs;
    std::mt19937 rng(7);
    for (int i = 0; i < 400; ++i)
        inputs.push_back({i % 17 == 0 ? "ssh_ok" : "ssh_fail", t0 + i * 3 * s_, "10.0.0." + std::to_string(rng() % 5),
                          "u" + std::to_string(rng() % 7)});
    auto run = [&](const std::vector<in>& order, timestamp_ns lateness) {
        options o;
        o.lateness = lateness;
        auto eng = make(rules, o);
        std::vector<hit> hits;
        for (const auto& x : order) {
            auto h = eng->input_for("", x.rule);
            eng->on_match(h, x.ts, kv({{"source.ip", x.ip}, {"user.name", x.user}}), evidence_ref{}, hits);
        }
        eng->flush(hits);
        std::vector<std::string> sig;
        for (const auto& h : hits)
            sig.push_back(std::to_string(h.rule) + "/" + std::to_string(h.ts) + "/" + h.group.at(0).second + "/" +
                          std::to_string(h.value));
        return sig;
    };
    const auto sorted = run(inputs, 0);
    ASSERT_GT(sorted.size(), 10u);
    // Shuffle in blocks of 10 (at most 30 s out of order); lateness 60 s restores the order.
    auto shuffled = inputs;
    for (std::size_t i = 0; i + 10 <= shuffled.size(); i += 10)
        std::shuffle(shuffled.begin() + static_cast<std::ptrdiff_t>(i), shuffled.begin() + static_cast<std::ptrdiff_t>(i + 10), rng);
    EXPECT_EQ(run(shuffled, 60 * s_), sorted);
    // Unbounded lateness (batch scans) too.
    EXPECT_EQ(run(shuffled, options::k_unbounded), sorted);
    // Reversed entirely but unbounded: still identical.
    auto reversed = inputs;
    std::reverse(reversed.begin(), reversed.end());
    EXPECT_EQ(run(reversed, options::k_unbounded), sorted);
}

TEST(correlate, late_input_beyond_lateness_is_counted) {
    options o;
    o.lateness = 5 * s_;
    auto eng = make(k_bf, o);
    feeder f{*eng, {}};
    f("ssh_fail", t0 + 100 * s_, kv({{"source.ip", "a"}}));
    f("ssh_fail", t0 + 200 * s_, kv({{"source.ip", "a"}}));  // releases the first
    f("ssh_fail", t0 + 300 * s_, kv({{"source.ip", "a"}}));  // releases the second
    f("ssh_fail", t0 + 10 * s_, kv({{"source.ip", "a"}}));   // older than what was processed
    eng->flush(f.hits);
    EXPECT_GE(eng->stats().late, 1u);
    EXPECT_GE(eng->stats().rules[0].too_late, 1u);
}

TEST(correlate, memory_cap_evicts_and_counts) {
    options o;
    o.memory_cap = 2u << 20;  // 2 MiB
    auto eng = make(k_bf, o);
    feeder f{*eng, {}};
    for (int i = 0; i < 200'000; ++i) f("ssh_fail", t0 + i * 1'000'000LL, kv({{"source.ip", "k" + std::to_string(i)}}));
    auto st = eng->stats();
    EXPECT_GT(st.rules[0].evicted, 0u);
    EXPECT_LE(st.bytes, o.memory_cap + (1u << 20));
    EXPECT_LT(st.rules[0].groups, 200'000u);
    // Still works after evicting: the most recent groups are kept.
    for (int j = 0; j < 4; ++j) f("ssh_fail", t0 + 200 * s_ + j, kv({{"source.ip", "k199999"}}));
    ASSERT_EQ(f.hits.size(), 1u) << "its first event (kept) plus four more";
    EXPECT_EQ(f.hits[0].value, 5);
}

TEST(correlate, expired_groups_are_dropped_before_evicting) {
    options o;
    o.memory_cap = 2u << 20;
    auto eng = make(k_bf, o);
    feeder f{*eng, {}};
    // One new key a second: with a 60 s window almost all of them are expired when the cap is hit.
    for (int i = 0; i < 100'000; ++i) f("ssh_fail", t0 + i * s_, kv({{"source.ip", "k" + std::to_string(i)}}));
    auto st = eng->stats();
    EXPECT_GT(st.rules[0].expired, 0u);
    EXPECT_EQ(st.rules[0].evicted, 0u);
}

TEST(correlate, save_and_restore_continue_where_stopped) {
    const std::string rules = std::string(k_bf) + R"(
---
title: spray
correlation: {type: value_count, rules: [ssh_fail], group-by: [source.ip], timespan: 5m, condition: {field: user.name, gte: 3}}
---
title: sum
correlation: {type: value_sum, rules: [ssh_fail], group-by: [source.ip], timespan: 5m, condition: {field: n, gte: 10}}
---
title: pct
correlation: {type: value_percentile, rules: [ssh_fail], group-by: [source.ip], timespan: 5m, condition: {field: user.name, lte: 30}}
---
title: ordered
correlation: {type: temporal_ordered, rules: [ssh_fail, ssh_ok], group-by: [source.ip], timespan: 5m}
)";
    options o;
    o.lateness = 10 * s_;
    auto feed = [&](engine& e, int from, int to, std::vector<hit>& out) {
        for (int i = from; i < to; ++i) {
            const std::string rule = i % 9 == 8 ? "ssh_ok" : "ssh_fail";
            e.on_match(e.input_for("", rule), t0 + i * s_,
                       kv({{"source.ip", "ip" + std::to_string(i % 3)}, {"user.name", "u" + std::to_string(i % 4)}, {"n", "1"}}),
                       evidence_ref{"auth.log", static_cast<std::uint64_t>(i + 1), 0, 0}, out);
        }
    };
    auto whole = make(rules, o);
    std::vector<hit> expected;
    feed(*whole, 0, 40, expected);
    whole->flush(expected);

    auto first = make(rules, o);
    std::vector<hit> got;
    feed(*first, 0, 17, got);
    std::stringstream state;
    first->save(state);
    first.reset();
    auto second = make(rules, o);
    std::size_t skipped = 99;
    ASSERT_TRUE(second->restore(state, &skipped).ok());
    EXPECT_EQ(skipped, 0u);
    feed(*second, 17, 40, got);
    second->flush(got);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_EQ(got[i].rule, expected[i].rule);
        EXPECT_EQ(got[i].ts, expected[i].ts);
        EXPECT_EQ(got[i].value, expected[i].value);
        EXPECT_EQ(got[i].group, expected[i].group);
        EXPECT_EQ(got[i].first.file, expected[i].first.file);
    }
    // A changed rule does not take the old state; garbage is refused.
    std::stringstream state2;
    whole->save(state2);
    auto changed = make(std::string(k_bf).replace(std::string(k_bf).find("gte: 5"), 6, "gte: 6"), o);
    ASSERT_TRUE(changed->restore(state2, &skipped).ok());
    EXPECT_EQ(skipped, 5u);
    std::stringstream junk("MMCORR1 not really");
    EXPECT_FALSE(changed->restore(junk).ok());
    std::string truncated = state.str().substr(0, 40);
    std::stringstream trunc(truncated);
    EXPECT_FALSE(changed->restore(trunc).ok());
}

TEST(correlate, generate_keeps_referenced_rules_alerting) {
    auto eng = make(R"(
title: bf then success
generate: true
correlation: {type: temporal_ordered, rules: [bf, ok], group-by: [ip], timespan: 1h}
---
title: bf
name: bf
correlation: {type: event_count, rules: [fail], group-by: [ip], timespan: 1h, condition: {gte: 2}}
)");
    EXPECT_TRUE(eng->emits_alerts("", "bf"));
    EXPECT_TRUE(eng->emits_alerts("", "ok"));
    EXPECT_FALSE(eng->emits_alerts("", "fail"));
}

TEST(correlate, cycles_are_rejected) {
    auto lr = parse_correlations(R"(
title: a
name: a
correlation: {type: event_count, rules: [b], group-by: [x], timespan: 1h, condition: {gte: 2}}
---
title: b
name: b
correlation: {type: event_count, rules: [a], group-by: [x], timespan: 1h, condition: {gte: 2}}
)");
    EXPECT_FALSE(engine::create(lr.rules).ok());
}

TEST(correlate, batched_matches_equal_one_by_one) {
    const std::string rules = std::string(k_bf) + R"(
---
title: spray
correlation: {type: value_count, rules: [ssh_fail], group-by: [source.ip], timespan: 5m, condition: {field: user.name, gte: 3}}
)";
    event_batch b;
    std::mt19937 rng(3);
    for (int i = 0; i < 2000; ++i) {
        auto& e = b.begin();
        e.ts = t0 + i * 100'000'000LL;
        e.file = "auth.log";
        e.line = static_cast<std::uint64_t>(i + 1);
        b.add_copy(f::source_ip, "10.0.0." + std::to_string(rng() % 40));
        b.add_copy(f::user_name, "u" + std::to_string(rng() % 6));
        b.commit();
    }
    auto one = make(rules), many = make(rules);
    std::vector<hit> a, c;
    const auto h1 = one->input_for("", "ssh_fail");
    for (const auto& e : b.events()) one->on_match(h1, b, e, a);
    const auto h2 = many->input_for("", "ssh_fail");
    std::vector<std::pair<engine::input_handle, std::uint32_t>> m;
    for (std::uint32_t i = 0; i < b.size(); ++i) m.emplace_back(h2, i);
    many->on_matches(b, m, c);
    ASSERT_EQ(a.size(), c.size());
    ASSERT_GT(a.size(), 100u);
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].rule, c[i].rule);
        EXPECT_EQ(a[i].ts, c[i].ts);
        EXPECT_EQ(a[i].group, c[i].group);
        EXPECT_EQ(a[i].last.line, c[i].last.line);
    }
}
