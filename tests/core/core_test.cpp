#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/event.hpp"
#include "core/time.hpp"

using namespace mimamori;

TEST(time, civil_round_trip) {
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(days_from_civil(2000, 3, 1), 11017);
    for (std::int64_t s : {0LL, 951782400LL, -86401LL, 1709251205LL, 4102444799LL}) {
        auto c = civil_from_seconds(s);
        EXPECT_EQ(civil_to_seconds(c), s);
    }
}

TEST(time, rfc3339) {
    timestamp_ns t = 0;
    ASSERT_TRUE(parse_rfc3339("2024-03-01T12:00:05Z", t));
    EXPECT_EQ(format_rfc3339(t), "2024-03-01T12:00:05Z");
    ASSERT_TRUE(parse_rfc3339("2024-03-01T21:00:05.250+09:00", t));
    EXPECT_EQ(format_rfc3339(t), "2024-03-01T12:00:05.250Z");
    ASSERT_TRUE(parse_rfc3339("2024-03-01 12:00:05.123456", t));
    EXPECT_EQ(format_rfc3339(t), "2024-03-01T12:00:05.123456Z");
    EXPECT_FALSE(parse_rfc3339("2024-13-01T12:00:05Z", t));
    EXPECT_FALSE(parse_rfc3339("2024-03-01T12:00:05Zjunk", t));
    EXPECT_FALSE(parse_rfc3339("yesterday", t));
    EXPECT_FALSE(parse_rfc3339("5534-01-01T00:00:00Z", t));  // beyond int64 nanoseconds
    EXPECT_FALSE(parse_rfc3339("1500-01-01T00:00:00Z", t));
}

TEST(time, months) {
    EXPECT_EQ(month_from_abbrev("Jan"), 1u);
    EXPECT_EQ(month_from_abbrev("dec"), 12u);
    EXPECT_EQ(month_from_abbrev("Foo"), 0u);
    EXPECT_EQ(month_from_abbrev("Ja"), 0u);
}

TEST(time_zone, fixed_and_iana) {
    auto z = time_zone::load("+09:00");
    ASSERT_TRUE(z.ok());
    EXPECT_EQ(z->local_to_utc(9 * 3600), 0);
    auto bad = time_zone::load("Mars/Olympus");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.err().message.find("Mars/Olympus"), std::string::npos);
    auto tokyo = time_zone::load("Asia/Tokyo");
    if (tokyo.ok()) {  // tzdata present
        EXPECT_EQ(tokyo->offset_at_utc(1700000000), 9 * 3600);
    }
    auto ny = time_zone::load("America/New_York");
    if (ny.ok()) {
        // 2024-07-01 12:00 local (EDT, -4) and 2024-01-15 12:00 local (EST, -5)
        civil_time summer{2024, 7, 1, 12, 0, 0, 0}, winter{2024, 1, 15, 12, 0, 0, 0};
        EXPECT_EQ(ny->local_to_utc(civil_to_seconds(summer)), civil_to_seconds(summer) + 4 * 3600);
        EXPECT_EQ(ny->local_to_utc(civil_to_seconds(winter)), civil_to_seconds(winter) + 5 * 3600);
    }
}

TEST(fields, interning) {
    EXPECT_EQ(field_name(f::source_ip), "source.ip");
    EXPECT_EQ(intern("source.ip"), f::source_ip);
    field_id a = intern("my.native.field");
    EXPECT_EQ(intern("my.native.field"), a);
    EXPECT_GE(a, f::k_first_dynamic);
    EXPECT_EQ(find_field("never.seen.before"), k_no_field);
    EXPECT_EQ(default_kind(f::source_port), value_kind::number);
}

// Names are read without a lock (every field of every stored event is written out by name)
// while other threads intern new ones: every id a reader sees names what it was interned as,
// ids past the end read as "?", and the table grows past its first chunk (4,096 ids).
TEST(fields, names_read_without_a_lock_while_others_intern) {
    EXPECT_EQ(field_name(k_no_field), "?");
    EXPECT_EQ(field_name(static_cast<field_id>(field_count() + 100000)), "?");
    std::atomic<bool> stop{false};
    std::atomic<long> bad{0};
    std::vector<std::thread> writers, readers;
    for (int w = 0; w < 2; ++w)
        writers.emplace_back([w] {
            for (int i = 0; i < 3000; ++i) {
                std::string n = "concurrent.w" + std::to_string(w) + ".f" + std::to_string(i);
                field_id id = intern(n);
                if (field_name(id) != n) std::abort();
            }
        });
    for (int r = 0; r < 2; ++r)
        readers.emplace_back([&] {
            while (!stop.load()) {
                const auto n = static_cast<field_id>(field_count());
                for (field_id id = 0; id < n; ++id) {
                    auto name = field_name(id);
                    if (name == "?" || name.empty()) ++bad;
                }
                if (field_name(f::source_ip) != "source.ip") ++bad;
            }
        });
    for (auto& t : writers) t.join();
    stop = true;
    for (auto& t : readers) t.join();
    EXPECT_EQ(bad.load(), 0);
    EXPECT_GT(field_count(), 6000u);
    EXPECT_EQ(field_name(intern("concurrent.w1.f2999")), "concurrent.w1.f2999");
}

TEST(event, build_rollback_and_json) {
    event_batch b;
    auto& e = b.begin();
    e.raw = b.copy("raw \"line\"");
    e.source_type = "linux.auth";
    e.ts = 1709294405LL * k_ns_per_sec;
    e.file = "/var/log/auth.log";
    e.line = 7;
    b.add(f::source_ip, "203.0.113.5");
    b.add(f::source_port, "22");
    b.add(intern("Data"), "a");
    b.add(intern("Data"), "b");
    b.commit();
    auto& e2 = b.begin();
    b.add(f::user_name, "x");
    b.rollback();
    (void)e2;
    ASSERT_EQ(b.size(), 1u);
    EXPECT_EQ(b.get(b[0], f::source_ip), "203.0.113.5");
    EXPECT_EQ(b.get(b[0], f::user_name), "");
    std::string out;
    write_event_json(b, b[0], out);
    EXPECT_EQ(out,
              "{\"@timestamp\":\"2024-03-01T12:00:05Z\",\"event.dataset\":\"linux.auth\","
              "\"log.file.path\":\"/var/log/auth.log\",\"log.file.line\":7,"
              "\"source.ip\":\"203.0.113.5\",\"source.port\":22,\"Data\":[\"a\",\"b\"],"
              "\"event.original\":\"raw \\\"line\\\"\"}");
}

TEST(json, escapes_control_and_invalid_utf8) {
    std::string out;
    append_json_string(out, std::string_view("a\x01\xff\xe3\x81\x82\n", 7));
    EXPECT_EQ(out, "\"a\\u0001\\u00ff\xe3\x81\x82\\n\"");
}

TEST(arena, large_and_clear) {
    arena a(16);
    auto v = a.copy(std::string(100, 'x'));
    EXPECT_EQ(v.size(), 100u);
    auto w = a.copy("abc");
    EXPECT_EQ(w, "abc");
    a.clear();
    EXPECT_EQ(a.used(), 0u);
}

TEST(arena, reuses_blocks_after_clear) {
    arena a(64);
    std::vector<std::string_view> first;
    for (int i = 0; i < 100; ++i) first.push_back(a.copy(std::string(50, static_cast<char>('a' + i % 26))));
    a.clear();
    // The same allocation pattern again lands in the kept blocks and reads back intact.
    for (int i = 0; i < 100; ++i) {
        auto v = a.copy(std::string(50, static_cast<char>('z' - i % 26)));
        EXPECT_EQ(v, std::string(50, static_cast<char>('z' - i % 26)));
    }
    auto big = a.copy(std::string(1000, 'q'));  // larger than any kept block
    EXPECT_EQ(big.size(), 1000u);
    EXPECT_EQ(a.used(), 100u * 50u + 1000u);
}
