// The compiled ruleset: agreement with the interpreter on every modifier family, log-source
// buckets and guards, the disk cache, alerts.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "detect/alert.hpp"
#include "detect/ruleset/ruleset.hpp"
#include "detect/sigma/modifiers.hpp"
#include "sigma_helpers.hpp"

namespace mimamori::detect {
namespace {

using sigma::testing::compile_text;

const char* k_map = R"(
sources:
  - logsource: {product: windows, category: process_creation}
    events:
      - {source_type: windows.sysmon, event_ids: [1]}
      - source_type: windows.security
        event_ids: [4688]
        fields: {Image: NewProcessName}
  - logsource: {product: windows, service: security}
    events:
      - {source_type: windows.security}
  - logsource: {product: windows, service: taskscheduler}
    events:
      - {source_type: windows.eventlog, channels: ['Microsoft-Windows-TaskScheduler/Operational']}
  - logsource: {category: webserver}
    fields: {c-uri: url.original}
    events:
      - {source_type: web.access}
)";

std::string rule(const std::string& id, const std::string& ls, const std::string& det) {
    return "title: rule " + id + "\nid: " + id + "\nlevel: high\ntags: [attack.t1059]\nlogsource:\n" + ls +
           "detection:\n" + det;
}
const std::string k_pc = "    product: windows\n    category: process_creation\n";
const std::string k_sec = "    product: windows\n    service: security\n";

std::vector<sigma::rule_ir> rules() {
    std::vector<std::string> texts = {
        rule("r-contains", k_pc, "    sel:\n        CommandLine|contains: 'mimikatz'\n    condition: sel\n"),
        rule("r-ends-not", k_pc,
             "    sel:\n        Image|endswith: '\\cmd.exe'\n    filter:\n        User: 'SYSTEM'\n"
             "    condition: sel and not filter\n"),
        rule("r-only-not", k_pc, "    filter:\n        Image|startswith: 'C:\\Windows\\'\n    condition: not filter\n"),
        rule("r-re", k_pc, "    sel:\n        CommandLine|re: '\\s-[eE]nc(odedcommand)?\\s'\n    condition: sel\n"),
        rule("r-inner-wild", k_pc, "    sel:\n        CommandLine: '*\\AppData\\\\*\\evil?.exe*'\n    condition: sel\n"),
        rule("r-windash", k_pc, "    sel:\n        CommandLine|windash|contains: ' -nop '\n    condition: sel\n"),
        rule("r-b64", k_pc, "    sel:\n        CommandLine|base64offset|contains: 'IEX'\n    condition: sel\n"),
        rule("r-cased", k_pc, "    sel:\n        CommandLine|contains|cased: 'SeDebug'\n    condition: sel\n"),
        rule("r-all", k_pc, "    sel:\n        CommandLine|contains|all: ['net', 'user', '/add']\n    condition: sel\n"),
        rule("r-equals-list", k_pc, "    sel:\n        OriginalFileName: ['psexec.exe', 'PsExec64.exe']\n    condition: sel\n"),
        rule("r-2of", k_pc,
             "    a:\n        CommandLine|contains: 'aaa'\n    b:\n        CommandLine|contains: 'bbb'\n"
             "    c:\n        CommandLine|contains: 'ccc'\n    condition: 2 of them\n"),
        rule("r-sec-eid", k_sec,
             "    sel:\n        EventID: 4625\n        LogonType: 3\n    condition: sel\n"),
        rule("r-sec-numeric", k_sec, "    sel:\n        EventID: 4624\n        LogonType|gte: 10\n    condition: sel\n"),
        rule("r-sec-cidr", k_sec, "    sel:\n        EventID: 4624\n        IpAddress|cidr: ['10.0.0.0/8', 'fe80::/10']\n    condition: sel\n"),
        rule("r-sec-null", k_sec, "    sel:\n        EventID: 4738\n    empty:\n        PasswordLastSet: null\n    condition: sel and not empty\n"),
        rule("r-sec-exists", k_sec, "    sel:\n        EventID: 4738\n        HomePath|exists: true\n    condition: sel\n"),
        rule("r-sec-fieldref", k_sec, "    sel:\n        EventID: 4624\n        TargetUserName|fieldref: SubjectUserName\n    condition: sel\n"),
        rule("r-sec-keywords", k_sec, "    kw:\n        - 'event::clear'\n    condition: kw\n"),
        rule("r-task", "    product: windows\n    service: taskscheduler\n",
             "    sel:\n        EventID: 106\n        TaskName|contains: 'evil'\n    condition: sel\n"),
        rule("r-web", "    category: webserver\n", "    sel:\n        c-uri|contains: '/etc/passwd'\n    condition: sel\n"),
        rule("r-unmapped", "    product: macos\n    category: process_creation\n",
             "    sel:\n        Image|endswith: '/osascript'\n    condition: sel\n"),
    };
    std::vector<sigma::rule_ir> out;
    for (const auto& t : texts) {
        auto c = compile_text(t);
        EXPECT_TRUE(c.ok) << t << c.all_messages();
        out.push_back(std::move(c.ir));
    }
    return out;
}

using kvs = std::vector<std::pair<std::string, std::string>>;
struct ev {
    std::string type;
    kvs fields;
    std::string raw;
};

event_batch batch_of(const std::vector<ev>& evs) {
    event_batch b;
    for (const auto& x : evs) {
        auto& e = b.begin();
        e.source_type = b.copy(x.type);
        e.raw = b.copy(x.raw);
        for (const auto& [k, v] : x.fields) b.add(intern(k), b.copy(v));
        b.commit();
    }
    return b;
}

std::vector<ev> events() {
    std::string b64 = sigma::encode_base64("x;IEX(New-Object)");
    return {
        {"windows.sysmon", {{"EventID", "1"}, {"Image", "C:\\Windows\\System32\\cmd.exe"}, {"User", "bob"}, {"CommandLine", "cmd /c mimikatz.exe"}}, ""},
        {"windows.sysmon", {{"EventID", "1"}, {"Image", "C:\\Windows\\System32\\cmd.exe"}, {"User", "SYSTEM"}, {"CommandLine", "net user x /add"}}, ""},
        {"windows.sysmon", {{"EventID", "1"}, {"Image", "C:\\Users\\a\\p.exe"}, {"CommandLine", "powershell \xE2\x80\x93nop -enc " + b64}}, ""},
        {"windows.sysmon", {{"EventID", "1"}, {"Image", "C:\\Windows\\a.exe"}, {"CommandLine", "x \\AppData\\Local\\evil1.exe y SeDebug"}}, ""},
        {"windows.sysmon", {{"EventID", "1"}, {"Image", "C:\\Windows\\a.exe"}, {"CommandLine", "aaa ccc sedebug"}, {"OriginalFileName", "PSEXEC64.EXE"}}, ""},
        {"windows.sysmon", {{"EventID", "3"}, {"Image", "C:\\Windows\\System32\\cmd.exe"}, {"CommandLine", "mimikatz"}}, ""},
        {"windows.security", {{"EventID", "4688"}, {"NewProcessName", "C:\\Tools\\cmd.exe"}, {"CommandLine", "mimikatz"}}, ""},
        {"windows.security", {{"EventID", "4625"}, {"LogonType", "3"}}, ""},
        {"windows.security", {{"EventID", "4624"}, {"LogonType", "10"}, {"IpAddress", "10.1.2.3"}, {"TargetUserName", "Bob"}, {"SubjectUserName", "bob"}}, ""},
        {"windows.security", {{"EventID", "4624"}, {"LogonType", "2"}, {"IpAddress", "fe80::1"}, {"TargetUserName", "a"}, {"SubjectUserName", "b"}}, ""},
        {"windows.security", {{"EventID", "4738"}, {"PasswordLastSet", "x"}, {"HomePath", "y"}}, ""},
        {"windows.security", {{"EventID", "4738"}}, ""},
        {"windows.security", {{"EventID", "1102"}, {"Data", "mimikatz # event::clear"}}, "Security 1102"},
        {"windows.eventlog", {{"EventID", "106"}, {"Channel", "Microsoft-Windows-TaskScheduler/Operational"}, {"TaskName", "\\evil"}}, ""},
        {"windows.eventlog", {{"EventID", "106"}, {"Channel", "Application"}, {"TaskName", "\\evil"}}, ""},
        {"web.access", {{"url.original", "/x?f=../../etc/passwd"}}, "GET /x?f=../../etc/passwd"},
        {"macos.unified", {{"Image", "/usr/bin/osascript"}}, ""},
    };
}

// Reference decision, from the mapping and the interpreter.
bool reference(const logsource_map& map, const sigma::rule_ir& r, const event_batch& b, const event& e) {
    const auto* srcs = map.find(r.doc->ls);
    if (!srcs) return false;
    for (const auto& s : *srcs) {
        if (s.source_type != e.source_type) continue;
        if (!s.event_ids.empty()) {
            bool ok = false;
            for (auto id : s.event_ids) ok = ok || b.get(e, intern("EventID")) == std::to_string(id);
            if (!ok) continue;
        }
        if (!s.channels.empty() && b.get(e, intern("Channel")) != s.channels[0]) continue;
        if (sigma::interpret(r, b, e, &s.aliases)) return true;
    }
    return false;
}

std::set<std::pair<std::uint32_t, std::string>> run(const ruleset& rs, const event_batch& b) {
    auto sc = rs.make_scratch();
    std::vector<rule_match> out;
    rs.match(b, *sc, out);
    std::set<std::pair<std::uint32_t, std::string>> got;
    for (const auto& m : out) got.emplace(m.event, rs.rules()[m.rule].doc->id);
    return got;
}

TEST(SigmaRuleset, AgreesWithInterpreterOnEveryModifierFamily) {
    auto map = logsource_map::parse(k_map, "test");
    ASSERT_TRUE(map.ok()) << map.err().message;
    auto rs = ruleset::build(rules(), map.value());
    ASSERT_TRUE(rs.ok());
    auto b = batch_of(events());
    auto got = run(*rs.value(), b);
    std::set<std::pair<std::uint32_t, std::string>> want;
    for (std::uint32_t ei = 0; ei < b.size(); ++ei)
        for (const auto& r : rs.value()->rules())
            if (reference(map.value(), r, b, b[ei])) want.emplace(ei, r.doc->id);
    EXPECT_EQ(got, want);
    // Spot checks of what the reference itself says.
    EXPECT_TRUE(want.count({0, "r-contains"}));
    EXPECT_TRUE(want.count({0, "r-ends-not"}));
    EXPECT_FALSE(want.count({1, "r-ends-not"}));      // filtered: User SYSTEM
    EXPECT_TRUE(want.count({1, "r-all"}));
    EXPECT_TRUE(want.count({2, "r-windash"}));        // en dash
    EXPECT_TRUE(want.count({2, "r-b64"}));
    EXPECT_TRUE(want.count({2, "r-re"}));
    EXPECT_TRUE(want.count({2, "r-only-not"}));
    EXPECT_TRUE(want.count({3, "r-inner-wild"}));
    EXPECT_TRUE(want.count({3, "r-cased"}));
    EXPECT_FALSE(want.count({4, "r-cased"}));
    EXPECT_TRUE(want.count({4, "r-equals-list"}));
    EXPECT_TRUE(want.count({4, "r-2of"}));
    EXPECT_FALSE(want.count({5, "r-contains"}));     // Sysmon 3 is not process creation
    EXPECT_TRUE(want.count({6, "r-contains"}));      // Security 4688
    EXPECT_TRUE(want.count({6, "r-ends-not"}));      // Image read from NewProcessName
    EXPECT_TRUE(want.count({7, "r-sec-eid"}));
    EXPECT_TRUE(want.count({8, "r-sec-numeric"}));
    EXPECT_TRUE(want.count({8, "r-sec-cidr"}));
    EXPECT_TRUE(want.count({9, "r-sec-cidr"}));      // IPv6
    EXPECT_TRUE(want.count({8, "r-sec-fieldref"}));
    EXPECT_FALSE(want.count({9, "r-sec-fieldref"}));
    EXPECT_TRUE(want.count({10, "r-sec-null"}));
    EXPECT_TRUE(want.count({10, "r-sec-exists"}));
    EXPECT_FALSE(want.count({11, "r-sec-null"}));
    EXPECT_TRUE(want.count({12, "r-sec-keywords"}));
    EXPECT_TRUE(want.count({13, "r-task"}));
    EXPECT_FALSE(want.count({14, "r-task"}));        // other channel
    EXPECT_TRUE(want.count({15, "r-web"}));          // c-uri ← url.original
    EXPECT_FALSE(want.count({16, "r-unmapped"}));
    EXPECT_EQ(rs.value()->stats().unmapped_rules, 1u);
}

// A rule for every Windows log (product: windows alone) sits in the `any` bucket of each Windows
// type, not in one bucket joining them; process_creation rules share one bucket for Sysmon 1
// and Security 4688. Whatever buckets an event visits ((type, EventID) and (type, any)), each
// rule matches it once, and only rules for its own type.
TEST(SigmaRuleset, ProductWideRulesMatchOncePerEventOfEveryType) {
    const char* map_text = R"(
sources:
  - logsource: {product: windows}
    events:
      - {source_type: windows.sysmon}
      - {source_type: windows.security}
      - {source_type: windows.application}
  - logsource: {product: windows, category: process_creation}
    events:
      - {source_type: windows.sysmon, event_ids: [1]}
      - {source_type: windows.security, event_ids: [4688]}
  - logsource: {product: windows, service: application}
    events:
      - {source_type: windows.application}
)";
    auto map = logsource_map::parse(map_text, "test");
    ASSERT_TRUE(map.ok()) << map.err().message;
    std::vector<sigma::rule_ir> rs_rules;
    for (const auto& t : {
             rule("r-everywhere", "    product: windows\n", "    kw:\n        - 'sekurlsa::'\n    condition: kw\n"),
             rule("r-pc", k_pc, "    sel:\n        CommandLine|contains: 'sekurlsa::'\n    condition: sel\n"),
             rule("r-app", "    product: windows\n    service: application\n",
                  "    kw:\n        - 'HackTool'\n    condition: kw\n"),
         }) {
        auto c = compile_text(t);
        ASSERT_TRUE(c.ok) << c.all_messages();
        rs_rules.push_back(std::move(c.ir));
    }
    auto rs = ruleset::build(rs_rules, map.value());
    ASSERT_TRUE(rs.ok());
    auto b = batch_of({
        {"windows.sysmon", {{"EventID", "1"}, {"CommandLine", "x sekurlsa::logonpasswords HackTool"}}, ""},
        {"windows.security", {{"EventID", "4688"}, {"CommandLine", "x sekurlsa::logonpasswords HackTool"}}, ""},
        {"windows.security", {{"EventID", "4624"}, {"Data", "sekurlsa:: HackTool"}}, ""},
        {"windows.application", {{"EventID", "1"}, {"Data", "sekurlsa:: HackTool"}}, ""},
    });
    auto sc = rs.value()->make_scratch();
    std::vector<rule_match> out;
    rs.value()->match(b, *sc, out);
    std::vector<std::pair<std::uint32_t, std::string>> got;  // a list: a double match would show
    for (const auto& m : out) got.emplace_back(m.event, rs.value()->rules()[m.rule].doc->id);
    std::sort(got.begin(), got.end());
    const std::vector<std::pair<std::uint32_t, std::string>> want = {
        {0, "r-everywhere"}, {0, "r-pc"}, {1, "r-everywhere"}, {1, "r-pc"},
        {2, "r-everywhere"}, {3, "r-app"}, {3, "r-everywhere"},
    };
    EXPECT_EQ(got, want);
    // Three `any` buckets (one per type) and one process_creation bucket.
    EXPECT_EQ(rs.value()->stats().buckets, 4u);
}

// Literal databases share one pattern per distinct text among rules that anchor it
// differently, expand windash into literals, and find wildcard patterns through their longest
// literal part. Each of these runs twice: on a field with a handful of literals (compared
// directly) and on one with many (a Hyperscan database). Both must agree with the interpreter.
TEST(SigmaRuleset, SharedLiteralsWindashAndPrefiltersAgreeWithInterpreter) {
    auto map = logsource_map::parse(k_map, "test");
    ASSERT_TRUE(map.ok()) << map.err().message;
    for (const std::string field : {"Description", "CommandLine"}) {
        std::vector<std::string> texts = {
            rule("s-contains", k_pc, "    sel:\n        " + field + "|contains: 'abc'\n    condition: sel\n"),
            rule("s-starts", k_pc, "    sel:\n        " + field + "|startswith: 'abc'\n    condition: sel\n"),
            rule("s-ends", k_pc, "    sel:\n        " + field + "|endswith: 'abc'\n    condition: sel\n"),
            rule("s-equals", k_pc, "    sel:\n        " + field + ": 'abc'\n    condition: sel\n"),
            rule("s-cased", k_pc, "    sel:\n        " + field + "|contains|cased: 'abc'\n    condition: sel\n"),
            rule("s-dash2", k_pc, "    sel:\n        " + field + "|windash|contains: ' -a -b '\n    condition: sel\n"),
            rule("s-dash-start", k_pc, "    sel:\n        " + field + "|windash|startswith: '-x'\n    condition: sel\n"),
            rule("s-wild", k_pc, "    sel:\n        " + field + ": '*abc*def?g*'\n    condition: sel\n"),
            rule("s-wild2", k_pc, "    sel:\n        " + field + ": 'ab*abc'\n    condition: sel\n"),
        };
        if (field == "CommandLine")
            for (int i = 0; i < 40; ++i)
                texts.push_back(rule("filler-" + std::to_string(i), k_pc,
                                     "    sel:\n        CommandLine|contains: 'filler" + std::to_string(i) + "x'\n    condition: sel\n"));
        std::vector<sigma::rule_ir> rs_in;
        for (const auto& t : texts) {
            auto c = compile_text(t);
            ASSERT_TRUE(c.ok) << t << c.all_messages();
            rs_in.push_back(std::move(c.ir));
        }
        auto rs = ruleset::build(std::move(rs_in), map.value(), {.cache_dir = ""});
        ASSERT_TRUE(rs.ok());
        std::vector<std::string> values = {"abc", "ABC", "xabc", "abcx", "xabcx", "abcabc", "ab", "Abc abc",
                                           "p \xE2\x80\x94" "a /b q", "p -a \xE2\x80\x95" "b q", "p -a -c q",
                                           "\xE2\x80\x93x1", "/x", "x-x", "zabc def1g", "abcdefXg", "ab abc", "abXabc",
                                           "filler7x abc", "ABCDEF0G"};
        std::vector<ev> evs;
        for (const auto& v : values) evs.push_back({"windows.sysmon", {{"EventID", "1"}, {field, v}}, ""});
        auto b = batch_of(evs);
        auto got = run(*rs.value(), b);
        std::set<std::pair<std::uint32_t, std::string>> want;
        for (std::uint32_t ei = 0; ei < b.size(); ++ei)
            for (const auto& r : rs.value()->rules())
                if (reference(map.value(), r, b, b[ei])) want.emplace(ei, r.doc->id);
        EXPECT_EQ(got, want) << field;
        EXPECT_TRUE(want.count({0, "s-equals"}));
        EXPECT_TRUE(want.count({1, "s-equals"}));     // caseless
        EXPECT_FALSE(want.count({1, "s-cased"}));
        EXPECT_FALSE(want.count({5, "s-equals"}));    // abcabc
        EXPECT_TRUE(want.count({5, "s-starts"}));
        EXPECT_TRUE(want.count({5, "s-ends"}));
        EXPECT_TRUE(want.count({8, "s-dash2"}));      // em dash, then slash
        EXPECT_TRUE(want.count({9, "s-dash2"}));      // hyphen, then horizontal bar
        EXPECT_FALSE(want.count({10, "s-dash2"}));
        EXPECT_TRUE(want.count({11, "s-dash-start"}));  // en dash
        EXPECT_TRUE(want.count({12, "s-dash-start"}));
        EXPECT_FALSE(want.count({13, "s-dash-start"}));
        EXPECT_TRUE(want.count({14, "s-wild"}));
        EXPECT_TRUE(want.count({15, "s-wild"}));
        EXPECT_TRUE(want.count({16, "s-wild2"}));
        EXPECT_TRUE(want.count({17, "s-wild2"}));
        EXPECT_TRUE(want.count({19, "s-wild"}));      // caseless confirm
    }
}

TEST(SigmaRuleset, DiskCacheRoundTrip) {
    auto map = logsource_map::parse(k_map, "test");
    ASSERT_TRUE(map.ok());
    char tmpl[] = "/tmp/mimamori_ruleset_cache_XXXXXX";
    std::string dir = mkdtemp(tmpl);
    ruleset_options o;
    o.cache_dir = dir;
    auto cold = ruleset::build(rules(), map.value(), o);
    ASSERT_TRUE(cold.ok());
    EXPECT_FALSE(cold.value()->stats().cache_hit);
    auto warm = ruleset::build(rules(), map.value(), o);
    ASSERT_TRUE(warm.ok());
    EXPECT_TRUE(warm.value()->stats().cache_hit);
    auto b = batch_of(events());
    EXPECT_EQ(run(*cold.value(), b), run(*warm.value(), b));
    // A different rule set gets a different cache file.
    auto fewer = rules();
    fewer.pop_back();
    fewer.erase(fewer.begin());
    auto other = ruleset::build(fewer, map.value(), o);
    ASSERT_TRUE(other.ok());
    EXPECT_FALSE(other.value()->stats().cache_hit);
    std::filesystem::remove_all(dir);
}

TEST(SigmaRuleset, AlertCarriesRuleAndKeyFields) {
    auto map = logsource_map::parse(k_map, "test");
    ASSERT_TRUE(map.ok());
    auto rs = ruleset::build(rules(), map.value());
    ASSERT_TRUE(rs.ok());
    auto b = batch_of({events()[6]});
    auto sc = rs.value()->make_scratch();
    std::vector<rule_match> out;
    rs.value()->match(b, *sc, out);
    ASSERT_FALSE(out.empty());
    bool seen = false;
    for (const auto& m : out) {
        auto a = make_alert(*rs.value(), m, b);
        if (a.rule_id != "r-ends-not") continue;
        seen = true;
        EXPECT_EQ(a.level, "high");
        ASSERT_FALSE(a.key_fields.empty());
        EXPECT_EQ(a.key_fields[0].first, "NewProcessName");
        std::string j;
        write_alert_json(a, j);
        EXPECT_NE(j.find("\"rule.id\":\"r-ends-not\""), std::string::npos);
        EXPECT_NE(j.find("\"rule.tags\":[\"attack.t1059\"]"), std::string::npos);
        EXPECT_NE(j.find("\"rule.logsource\":\"windows/process_creation\""), std::string::npos);
        EXPECT_NE(j.find("\"event\":{"), std::string::npos);
    }
    EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace mimamori::detect
