#pragma once
// Schema check shared by every parser test: each normalized field must be well-formed.
// Call EXPECT_SCHEMA(batch, event) after parsing; it reports every violation.
#include <gtest/gtest.h>

#include <ctime>
#include <string>

#include "core/event.hpp"
#include "core/time.hpp"
#include "parse/parser.hpp"

namespace mimamori::testing {

/// Every violation of the normalized-field schema, one sentence each (empty = valid).
inline std::vector<std::string> schema_violations(const event_batch& b, const event& e) {
    std::vector<std::string> bad;
    auto add = [&](const std::string& s) { bad.push_back(s); };
    if (e.source_type.empty()) add("source_type is empty");
    if (e.raw.empty()) add("raw text is empty");
    if (!e.malformed()) {
        const timestamp_ns lo = 631152000LL * k_ns_per_sec;  // 1990-01-01
        const timestamp_ns hi = (static_cast<timestamp_ns>(std::time(nullptr)) + 400LL * 86400) * k_ns_per_sec;
        if (e.ts == k_no_time) add("no timestamp");
        else if (e.ts < lo || e.ts > hi) add("timestamp out of range: " + format_rfc3339(e.ts));
    }
    for (const auto& fl : b.fields(e)) {
        std::string name(field_name(fl.id));
        std::string v(fl.value);
        auto ends = [&](std::string_view suf) {
            return name.size() >= suf.size() && name.compare(name.size() - suf.size(), suf.size(), suf) == 0;
        };
        if (fl.value.empty()) add(name + " is empty (omit absent fields)");
        if ((ends(".ip") || name == "host.ip") && !parse::is_ip(fl.value)) add(name + " is not an IP: '" + v + "'");
        if (ends(".port") && !parse::is_uint_in(fl.value, 0, 65535)) add(name + " is not a port: '" + v + "'");
        if (name == "process.pid" && !parse::is_uint_in(fl.value, 0, 4294967295ULL)) add("process.pid not a number: '" + v + "'");
        if (name == "event.outcome" && v != "success" && v != "failure" && v != "unknown")
            add("event.outcome must be success/failure/unknown: '" + v + "'");
        if (name == "http.response.status_code" && !parse::is_uint_in(fl.value, 100, 999)) add("bad status code: '" + v + "'");
        if ((ends(".bytes") || ends(".packets")) && !parse::is_uint_in(fl.value, 0, ~0ULL >> 1)) add(name + " not a count: '" + v + "'");
        if (name == "network.transport" && v != "tcp" && v != "udp" && v != "icmp" && v != "ipv6-icmp" &&
            v != "gre" && v != "esp" && v != "ah" && v != "sctp" && v != "igmp" && !parse::is_uint_in(fl.value, 0, 255))
            add("network.transport should be a lower-case protocol name: '" + v + "'");
        if (name == "event.category") {
            static const char* k_cats[] = {"authentication", "configuration", "database", "driver", "email", "file", "host",
                                           "iam", "intrusion_detection", "malware", "network", "package", "process",
                                           "registry", "session", "threat", "vulnerability", "web", "api"};
            bool ok = false;
            for (auto* c : k_cats) ok |= v == c;
            if (!ok) add("event.category not an ECS category: '" + v + "'");
        }
        if (fl.kind == value_kind::number) {
            bool num = !v.empty();
            for (char c : v) num &= (c >= '0' && c <= '9') || c == '.' || c == '-';
            if (!num) add(name + " is declared numeric but is '" + v + "'");
        }
    }
    return bad;
}

}  // namespace mimamori::testing

#define EXPECT_SCHEMA(batch, ev)                                                  \
    do {                                                                          \
        auto mimamori_bad_ = ::mimamori::testing::schema_violations(batch, ev);   \
        for (const auto& m : mimamori_bad_) ADD_FAILURE() << m << " | raw: " << (ev).raw; \
    } while (0)
