// Indicator sets: classification, CIDR / domain-suffix / URL / hash matching, the four list
// formats, reload, the event matcher, and 5 million indicators loading and matching fast.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "detect/intel/intel.hpp"

using namespace mimamori;
using namespace mimamori::intel;

namespace {

intel_db db_of(std::string_view text, list_format f = list_format::text, std::string_view name = "test") {
    intel_db db;
    auto r = load_text(db, text, name, f);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.err().message);
    return db;
}

std::string matched(const entry* e, const intel_db& db) {
    return e ? std::string(db.text(*e)) : std::string("-");
}

}  // namespace

TEST(intel, classify) {
    indicator_kind k;
    std::string c;
    ASSERT_TRUE(classify("  203.0.113.5 ", k, c));
    EXPECT_EQ(k, indicator_kind::ipv4);
    EXPECT_EQ(c, "203.0.113.5");
    ASSERT_TRUE(classify("198.51.100.77/24", k, c));
    EXPECT_EQ(c, "198.51.100.0/24");
    ASSERT_TRUE(classify("2001:DB8::1/32", k, c));
    EXPECT_EQ(k, indicator_kind::ipv6);
    EXPECT_EQ(c, "2001:db8::/32");
    ASSERT_TRUE(classify("Evil.Example.COM.", k, c));
    EXPECT_EQ(k, indicator_kind::domain);
    EXPECT_EQ(c, "evil.example.com");
    ASSERT_TRUE(classify("hxxp://bad[.]example/x?a=1#frag", k, c));
    EXPECT_EQ(k, indicator_kind::url);
    EXPECT_EQ(c, "http://bad.example/x?a=1");
    ASSERT_TRUE(classify("HTTP://Bad.Example", k, c));
    EXPECT_EQ(c, "http://bad.example/");
    ASSERT_TRUE(classify("D41D8CD98F00B204E9800998ECF8427E", k, c));
    EXPECT_EQ(k, indicator_kind::md5);
    EXPECT_EQ(c, "d41d8cd98f00b204e9800998ecf8427e");
    ASSERT_TRUE(classify(std::string(64, 'a'), k, c));
    EXPECT_EQ(k, indicator_kind::sha256);
    EXPECT_FALSE(classify("hello", k, c));
    EXPECT_FALSE(classify("1.2.3.256", k, c));
    EXPECT_FALSE(classify("user@example.com", k, c));
    EXPECT_FALSE(classify("10.0.0.0/33", k, c));
}

TEST(intel, ip_and_cidr) {
    auto db = db_of("203.0.113.5\n198.51.100.0/24\n10.0.0.0/8\n2001:db8:1::/48\n::ffff:192.0.2.9\n");
    EXPECT_EQ(matched(db.match_ip_text("203.0.113.5"), db), "203.0.113.5");
    EXPECT_EQ(matched(db.match_ip_text("203.0.113.6"), db), "-");
    EXPECT_EQ(matched(db.match_ip_text("198.51.100.200"), db), "198.51.100.0/24");
    EXPECT_EQ(matched(db.match_ip_text("198.51.101.1"), db), "-");
    EXPECT_EQ(matched(db.match_ip_text("10.255.1.2"), db), "10.0.0.0/8");
    EXPECT_EQ(matched(db.match_ip_text("2001:db8:1:ffff::5"), db), "2001:db8:1::/48");
    EXPECT_EQ(matched(db.match_ip_text("2001:db8:2::5"), db), "-");
    EXPECT_EQ(matched(db.match_ip_text("192.0.2.9"), db), "192.0.2.9");
    EXPECT_EQ(matched(db.match_ip_text("::ffff:203.0.113.5"), db), "203.0.113.5");
    EXPECT_EQ(matched(db.match_ip_text("not-an-ip"), db), "-");
    // The most specific prefix wins when several contain the address.
    auto db2 = db_of("10.0.0.0/8\n10.1.0.0/16\n");
    EXPECT_EQ(matched(db2.match_ip_text("10.1.2.3"), db2), "10.1.0.0/16");
    EXPECT_EQ(matched(db2.match_ip_text("10.2.2.3"), db2), "10.0.0.0/8");
}

TEST(intel, domain_suffix) {
    auto db = db_of("evil.example\n*.tracker.test\n");
    EXPECT_EQ(matched(db.match_domain("evil.example"), db), "evil.example");
    EXPECT_EQ(matched(db.match_domain("a.b.EVIL.example."), db), "evil.example");
    EXPECT_EQ(matched(db.match_domain("notevil.example"), db), "-");
    EXPECT_EQ(matched(db.match_domain("example"), db), "-");
    EXPECT_EQ(matched(db.match_domain("x.tracker.test"), db), "tracker.test");
}

TEST(intel, url_and_hash) {
    auto db = db_of("http://bad.example/dl/payload.exe\nE3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\n");
    EXPECT_EQ(matched(db.match_url("HTTP://BAD.example/dl/payload.exe#x"), db), "http://bad.example/dl/payload.exe");
    EXPECT_EQ(matched(db.match_url("http://bad.example/dl/other.exe"), db), "-");
    EXPECT_NE(db.match_hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), nullptr);
    EXPECT_EQ(db.match_hash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b856"), nullptr);
}

TEST(intel, plain_text_format) {
    intel_db db;
    auto st = load_text(db, "# comment\n; another\n\n203.0.113.5  # inline\n0.0.0.0 ads.example\n"
                            "bogus entry here\n203.0.113.5\n", "blocklist", list_format::text);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->added, 2u);
    EXPECT_EQ(st->duplicates, 1u);
    EXPECT_EQ(st->rejected, 1u);
    EXPECT_NE(db.match_domain("ads.example"), nullptr);
    EXPECT_EQ(db.list_name(*db.match_ip_text("203.0.113.5")), "blocklist");
}

TEST(intel, csv_format) {
    const char* csv =
        "# abuse.ch style\n"
        "first_seen,dst_ip,dst_port,malware\n"
        "2024-01-01,198.51.100.9,443,x\n"
        "\"2024-01-02\",\"203.0.113.77\",80,\"y, z\"\n";
    auto db = db_of(csv, list_format::csv, "feodo");
    EXPECT_NE(db.match_ip_text("198.51.100.9"), nullptr);
    EXPECT_NE(db.match_ip_text("203.0.113.77"), nullptr);
    EXPECT_EQ(db.size(), 2u);
    // No header: the first column that holds an indicator.
    auto db2 = db_of("seen,evil.example\nseen,bad.test\n", list_format::csv);
    EXPECT_NE(db2.match_domain("www.evil.example"), nullptr);
    EXPECT_NE(db2.match_domain("bad.test"), nullptr);
}

TEST(intel, stix_bundle) {
    const char* stix = R"({
      "type": "bundle", "id": "bundle--1",
      "objects": [
        {"type": "indicator", "spec_version": "2.1", "id": "indicator--a",
         "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix"},
        {"type": "indicator", "id": "indicator--b",
         "pattern": "[domain-name:value = 'c2.example'] OR [url:value = 'http://c2.example/gate.php']",
         "pattern_type": "stix"},
        {"type": "indicator", "id": "indicator--c",
         "pattern": "[file:hashes.'SHA-256' = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' OR file:hashes.MD5 = '0123456789abcdef0123456789abcdef']",
         "pattern_type": "stix"},
        {"type": "indicator", "id": "indicator--d", "revoked": true,
         "pattern": "[ipv4-addr:value = '192.0.2.200']", "pattern_type": "stix"},
        {"type": "indicator", "id": "indicator--e",
         "pattern": "[ipv4-addr:value != '192.0.2.201']", "pattern_type": "stix"},
        {"type": "indicator", "id": "indicator--f", "pattern": "alert tcp any any", "pattern_type": "snort"},
        {"type": "ipv4-addr", "id": "ipv4-addr--g", "value": "203.0.113.0/24"},
        {"type": "malware", "id": "malware--h", "name": "x", "is_family": false}
      ]})";
    auto db = db_of(stix, list_format::stix, "stix");
    EXPECT_NE(db.match_ip_text("198.51.100.1"), nullptr);
    EXPECT_NE(db.match_domain("x.c2.example"), nullptr);
    EXPECT_NE(db.match_url("http://c2.example/gate.php"), nullptr);
    EXPECT_NE(db.match_hash(std::string(64, 'a')), nullptr);
    EXPECT_NE(db.match_hash("0123456789ABCDEF0123456789ABCDEF"), nullptr);
    EXPECT_EQ(db.match_ip_text("192.0.2.200"), nullptr);
    EXPECT_EQ(db.match_ip_text("192.0.2.201"), nullptr);
    EXPECT_NE(db.match_ip_text("203.0.113.99"), nullptr);
}

TEST(intel, misp_event) {
    const char* misp = R"({"Event": {"info": "phishing wave",
      "Attribute": [
        {"type": "ip-dst", "value": "198.51.100.50", "to_ids": true},
        {"type": "ip-src|port", "value": "203.0.113.8|4444", "to_ids": true},
        {"type": "domain|ip", "value": "login-portal.example|192.0.2.44", "to_ids": true},
        {"type": "filename|sha256", "value": "inv.exe|BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "to_ids": true},
        {"type": "ip-dst", "value": "192.0.2.99", "to_ids": false},
        {"type": "comment", "value": "not an indicator", "to_ids": false}
      ],
      "Object": [{"name": "url", "Attribute": [{"type": "url", "value": "https://login-portal.example/o365", "to_ids": true}]}]
    }})";
    auto db = db_of(misp, list_format::misp, "misp");
    EXPECT_NE(db.match_ip_text("198.51.100.50"), nullptr);
    EXPECT_NE(db.match_ip_text("203.0.113.8"), nullptr);
    EXPECT_NE(db.match_ip_text("192.0.2.44"), nullptr);
    EXPECT_NE(db.match_domain("login-portal.example"), nullptr);
    EXPECT_NE(db.match_hash(std::string(64, 'b')), nullptr);
    EXPECT_NE(db.match_url("https://login-portal.example/o365"), nullptr);
    EXPECT_EQ(db.match_ip_text("192.0.2.99"), nullptr);
    // A MISP "response" array of events also loads; automatic sniffing finds the format.
    intel_db db2;
    ASSERT_TRUE(load_text(db2, R"({"response": [{"Event": {"Attribute": [{"type": "domain", "value": "x.example"}]}}]})", "r").ok());
    EXPECT_NE(db2.match_domain("x.example"), nullptr);
}

TEST(intel, bad_json_is_an_error) {
    intel_db db;
    auto r = load_text(db, "{\"objects\": [", "broken", list_format::stix);
    EXPECT_FALSE(r.ok());
}

TEST(intel, store_reloads_without_restart) {
    auto dir = std::filesystem::temp_directory_path() / ("mimamori_intel_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto file = dir / "bad.txt";
    { std::ofstream(file) << "203.0.113.5\n"; }
    intel_store store;
    ASSERT_TRUE(store.load({source{file.string(), "", list_format::automatic}}).ok());
    auto before = store.snapshot();
    EXPECT_NE(before->match_ip_text("203.0.113.5"), nullptr);
    EXPECT_EQ(before->lists().at(0), "bad");
    auto r = store.reload_if_changed();
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r.value());
    { std::ofstream(file) << "203.0.113.5\n198.51.100.7\n"; }
    std::filesystem::last_write_time(file, std::filesystem::last_write_time(file) + std::chrono::seconds(2));
    r = store.reload_if_changed();
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r.value());
    auto after = store.snapshot();
    EXPECT_NE(after->match_ip_text("198.51.100.7"), nullptr);
    // A reader that held the old snapshot keeps a consistent view.
    EXPECT_EQ(before->match_ip_text("198.51.100.7"), nullptr);
    // A missing file fails the reload and keeps the current database.
    std::filesystem::remove(file);
    EXPECT_FALSE(store.reload().ok());
    EXPECT_NE(store.snapshot()->match_ip_text("198.51.100.7"), nullptr);
    std::filesystem::remove_all(dir);
}

TEST(intel, event_matcher_names_list_and_indicator) {
    auto db = db_of("203.0.113.5\nc2.example\n" + std::string(64, 'c') + "\n", list_format::text, "ti");
    event_batch b;
    auto& e = b.begin();
    e.source_type = "netfilter";
    b.add(f::source_ip, "10.0.0.5");
    b.add(f::destination_ip, "203.0.113.5");
    b.add(f::dns_question_name, "beacon.c2.example");
    b.add_copy(intern("Hashes"), "MD5=00,SHA256=" + std::string(64, 'C'));
    b.commit();
    event_matcher m;
    std::vector<hit> hits;
    m.match(db, b, b[0], hits);
    std::vector<std::vector<hit>> batched;
    m.match_batch(db, b, batched);
    ASSERT_EQ(batched.size(), 1u);
    EXPECT_EQ(batched[0].size(), 3u);
    ASSERT_EQ(hits.size(), 3u);
    EXPECT_EQ(db.text(*hits[0].e), "203.0.113.5");
    EXPECT_EQ(hits[0].field, f::destination_ip);
    EXPECT_EQ(db.list_name(*hits[0].e), "ti");
    EXPECT_EQ(db.text(*hits[1].e), "c2.example");
    EXPECT_EQ(db.text(*hits[2].e), std::string(64, 'c'));
}

// Acceptance: 5 million generated indicators load in a few seconds and match at scan speed.
TEST(intel, five_million_indicators) {
#if defined(__SANITIZE_ADDRESS__)
    constexpr int k_n = 500'000;  // sanitizer builds: the same code on a tenth (timing is not checked)
#else
    constexpr int k_n = 5'000'000;
#endif
    std::mt19937_64 rng(42);
    std::string text;
    text.reserve(static_cast<std::size_t>(k_n) * 20);
    std::vector<std::uint32_t> ips;
    char buf[96];
    for (int i = 0; i < k_n; ++i) {
        int n;
        switch (i % 5) {
            case 0:
            case 1: {
                const auto ip = static_cast<std::uint32_t>(rng());
                ips.push_back(ip);
                n = std::snprintf(buf, sizeof buf, "%u.%u.%u.%u\n", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
                break;
            }
            case 2: {
                const auto ip = static_cast<std::uint32_t>(rng()) & 0xffffff00u;
                n = std::snprintf(buf, sizeof buf, "%u.%u.%u.0/24\n", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255);
                break;
            }
            case 3:
                n = std::snprintf(buf, sizeof buf, "h%016llx.example\n", static_cast<unsigned long long>(rng()));
                break;
            default:
                n = std::snprintf(buf, sizeof buf, "%016llx%016llx\n", static_cast<unsigned long long>(rng()),
                                  static_cast<unsigned long long>(rng()));
                break;
        }
        text.append(buf, static_cast<std::size_t>(n));
    }
    intel_db db;
    auto t0 = std::chrono::steady_clock::now();
    auto st = load_text(db, text, "generated", list_format::text);
    const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->rejected, 0u);
    EXPECT_GT(db.size(), static_cast<std::size_t>(k_n) / 100 * 99);  // random /24s repeat a little
    // Lookups: half listed addresses, half random; both through the text path events use.
    std::vector<std::string> probes;
    for (int i = 0; i < 1'000'000; ++i) {
        const std::uint32_t ip = (i % 2) ? ips[static_cast<std::size_t>(i) % ips.size()] : static_cast<std::uint32_t>(rng());
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
        probes.emplace_back(buf);
    }
    std::size_t found = 0;
    t0 = std::chrono::steady_clock::now();
    for (const auto& p : probes) found += db.match_ip_text(p) != nullptr;
    const double look_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_GE(found, 500'000u);
    // The batched path events take (match_batch): same answers, overlapping memory latency.
    std::vector<std::uint32_t> v4(probes.size());
    for (std::size_t i = 0; i < probes.size(); ++i) ASSERT_TRUE(parse_ipv4(probes[i], v4[i]));
    std::vector<const entry*> out(v4.size());
    t0 = std::chrono::steady_clock::now();
    db.match_ipv4_many(v4.data(), v4.size(), out.data());
    const double batch_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::size_t found2 = 0;
    for (std::size_t i = 0; i < out.size(); ++i) {
        found2 += out[i] != nullptr;
        if (i % 1000 == 0) {
            EXPECT_EQ(out[i], db.match_ip_text(probes[i]));
        }
    }
    EXPECT_EQ(found, found2);
    std::printf("[intel] %d indicators: load %.2f s, %.0f MiB; IP lookups %.1f M/s one by one, %.1f M/s batched (%zu hits)\n",
                k_n, load_s, static_cast<double>(db.memory_bytes()) / (1 << 20), 1.0 / look_s, 1.0 / batch_s, found);
    // Generous bounds for a loaded 2-core CI machine (and sanitizer builds skip the timing).
#if !defined(__SANITIZE_ADDRESS__)
    EXPECT_LT(load_s, 15.0);
    EXPECT_LT(look_s, 2.0);
#endif
}
