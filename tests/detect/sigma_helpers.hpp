#pragma once
// Test helpers: compile a rule from YAML text and build synthetic events.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "core/event.hpp"
#include "detect/sigma/compiler.hpp"
#include "detect/sigma/interpreter.hpp"
#include "detect/sigma/reader.hpp"

namespace mimamori::sigma::testing {

struct compiled {
    bool ok = false;
    rule_ir ir;
    std::vector<problem> problems;
    std::string all_messages() const {
        std::string s;
        for (const auto& p : problems) s += p.code + ": " + p.message + "\n";
        return s;
    }
    bool has(std::string_view code) const {
        for (const auto& p : problems)
            if (p.code == code) return true;
        return false;
    }
};

inline compiled compile_text(const std::string& yaml, const placeholders* ph = nullptr) {
    compiled c;
    read_result rr;
    read_text(yaml, "test.yml", rr);
    for (auto& p : rr.file_problems) c.problems.push_back(p);
    if (rr.items.empty()) return c;
    auto& item = rr.items[0];
    c.problems.insert(c.problems.end(), item.problems.begin(), item.problems.end());
    compile_options o;
    o.ph = ph;
    c.ok = compile_rule(item.doc, o, c.ir, c.problems) && item.ok() && rr.file_problems.empty();
    return c;
}

/// A rule with the given detection body (indented by 4) on windows/process_creation.
inline std::string rule_with(const std::string& detection) {
    return "title: t\nid: 00000000-0000-0000-0000-000000000001\nlevel: high\nlogsource:\n    product: windows\n"
           "    category: process_creation\ndetection:\n" +
           detection;
}

using kv = std::pair<std::string, std::string>;

/// A batch with one event made of these fields (and optional raw text).
inline event_batch make_event(std::initializer_list<kv> fields, std::string raw = {},
                              std::string source_type = "windows.sysmon") {
    event_batch b;
    auto& e = b.begin();
    e.source_type = b.copy(source_type);
    e.raw = b.copy(raw);
    for (const auto& [k, v] : fields) b.add(intern(k), b.copy(v));
    b.commit();
    return b;
}

inline bool matches(const compiled& c, const event_batch& b, const field_aliases* a = nullptr) {
    return interpret(c.ir, b, b[0], a);
}

}  // namespace mimamori::sigma::testing
