// Unit tests per modifier family, including the specification's edge cases.
#include <gtest/gtest.h>

#include "detect/sigma/modifiers.hpp"
#include "sigma_helpers.hpp"

namespace mimamori::sigma {
namespace {

using testing::compile_text;
using testing::make_event;
using testing::matches;
using testing::rule_with;

bool rule_matches(const std::string& det, std::initializer_list<testing::kv> ev, std::string raw = {}) {
    auto c = compile_text(rule_with(det));
    EXPECT_TRUE(c.ok) << c.all_messages();
    auto b = make_event(ev, std::move(raw));
    return matches(c, b);
}

// ---- string: wildcards, escaping, case ----------------------------------------------------

TEST(SigmaString, PlainValueIsWholeValueCaseInsensitive) {
    std::string d = "    sel:\n        Image: 'C:\\Windows\\System32\\whoami.exe'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"Image", "c:\\windows\\system32\\WHOAMI.EXE"}}));
    EXPECT_FALSE(rule_matches(d, {{"Image", "c:\\windows\\system32\\whoami.exe2"}}));
    EXPECT_FALSE(rule_matches(d, {{"Other", "C:\\Windows\\System32\\whoami.exe"}}));
}

TEST(SigmaString, WildcardsStarAndQuestion) {
    std::string d = "    sel:\n        Image: '*\\prog?.exe'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"Image", "C:\\x\\progA.exe"}}));
    EXPECT_FALSE(rule_matches(d, {{"Image", "C:\\x\\progAB.exe"}}));
    EXPECT_FALSE(rule_matches(d, {{"Image", "C:\\x\\prog.exe"}}));
}

// glob_match (segment search without windash, memoised search with it) against a plain
// backtracking matcher, on every pattern and value over a small alphabet where * and ? collide
// with repeated letters, case and dashes.
bool naive_match(const glob& g, std::size_t ti, std::string_view v, bool cased) {
    if (ti == g.size()) return v.empty();
    const auto& t = g[ti];
    switch (t.k) {
        case glob_token::kind::literal: {
            if (v.size() < t.text.size()) return false;
            for (std::size_t i = 0; i < t.text.size(); ++i) {
                char a = t.text[i], b = v[i];
                if (!cased) {
                    a = static_cast<char>(std::tolower(static_cast<unsigned char>(a)));
                    b = static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
                }
                if (a != b) return false;
            }
            return naive_match(g, ti + 1, v.substr(t.text.size()), cased);
        }
        case glob_token::kind::any_char: return !v.empty() && naive_match(g, ti + 1, v.substr(1), cased);
        case glob_token::kind::any_string:
            for (std::size_t k = 0; k <= v.size(); ++k)
                if (naive_match(g, ti + 1, v.substr(k), cased)) return true;
            return false;
        case glob_token::kind::dash:
            for (std::string_view d : {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"})
                if (v.substr(0, d.size()) == d && naive_match(g, ti + 1, v.substr(d.size()), cased)) return true;
            return false;
    }
    return false;
}

TEST(SigmaString, GlobMatchAgreesWithBacktrackingOnAllSmallCases) {
    std::uint32_t seed = 12345;
    auto next = [&] { return seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff; };
    const char* pat_alpha = "aAb*?-";
    const char* val_alpha = "aAbB-/";
    std::size_t checked = 0, matched = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string pat, val;
        for (std::size_t n = next() % 7; n > 0; --n) pat.push_back(pat_alpha[next() % 6]);
        for (std::size_t n = next() % 9; n > 0; --n) val.push_back(val_alpha[next() % 6]);
        auto g = parse_wildcards(pat);
        if (round % 3 == 0) apply_windash(g);
        for (bool cased : {false, true}) {
            bool want = naive_match(g, 0, val, cased);
            ASSERT_EQ(glob_match(g, val, cased), want) << "pattern '" << pat << "' value '" << val << "' cased " << cased;
            ++checked;
            matched += want;
        }
    }
    EXPECT_GT(matched, checked / 20);  // the cases are not all misses
}

TEST(SigmaString, EscapingFollowsTheSpecification) {
    auto lit = [](std::string_view v) { return glob_to_text(parse_wildcards(v)); };
    auto g = parse_wildcards("a\\*b");  // \* is a plain star
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].text, "a*b");
    g = parse_wildcards("a\\\\*");  // \\* is a backslash then a wildcard
    ASSERT_EQ(g.size(), 2u);
    EXPECT_EQ(g[0].text, "a\\");
    EXPECT_EQ(g[1].k, glob_token::kind::any_string);
    g = parse_wildcards("a\\\\\\*");  // \\\* is a backslash and a plain star
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].text, "a\\*");
    EXPECT_EQ(parse_wildcards("\\\\\\\\")[0].text, "\\\\");  // four backslashes: two
    EXPECT_EQ(parse_wildcards("\\\\\\")[0].text, "\\\\");    // three: two as well
    EXPECT_EQ(parse_wildcards("C:\\Windows\\")[0].text, "C:\\Windows\\");  // plain backslashes stay
    EXPECT_EQ(parse_wildcards("a\\?")[0].text, "a?");
    EXPECT_EQ(lit("x\\*y"), "x\\*y");
    std::string d = "    sel:\n        CommandLine: 'echo \\*'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"CommandLine", "echo *"}}));
    EXPECT_FALSE(rule_matches(d, {{"CommandLine", "echo hello"}}));
}

TEST(SigmaString, ContainsStartsEndsWith) {
    EXPECT_TRUE(rule_matches("    sel:\n        CommandLine|contains: 'mimikatz'\n    condition: sel\n",
                             {{"CommandLine", "run MimiKatz.exe now"}}));
    EXPECT_TRUE(rule_matches("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel\n",
                             {{"Image", "C:\\Windows\\cmd.exe"}}));
    EXPECT_FALSE(rule_matches("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel\n",
                              {{"Image", "C:\\Windows\\cmd.exe.bak"}}));
    EXPECT_TRUE(rule_matches("    sel:\n        Image|startswith: 'C:\\Users\\'\n    condition: sel\n",
                             {{"Image", "c:\\users\\bob\\a.exe"}}));
}

TEST(SigmaString, ListsAreOrAndAllIsAnd) {
    std::string any = "    sel:\n        CommandLine|contains:\n            - ' -enc '\n            - ' -e '\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(any, {{"CommandLine", "powershell -e AAAA"}}));
    std::string all = "    sel:\n        CommandLine|contains|all:\n            - 'net'\n            - 'user'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(all, {{"CommandLine", "net user bob /add"}}));
    EXPECT_FALSE(rule_matches(all, {{"CommandLine", "net group"}}));
}

TEST(SigmaString, CasedIsCaseSensitive) {
    std::string d = "    sel:\n        CommandLine|contains|cased: 'SeDebug'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"CommandLine", "x SeDebug y"}}));
    EXPECT_FALSE(rule_matches(d, {{"CommandLine", "x sedebug y"}}));
}

TEST(SigmaString, WindashCoversAllFiveDashes) {
    std::string d = "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel\n";
    for (std::string dash : {"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"})
        EXPECT_TRUE(rule_matches(d, {{"CommandLine", "powershell " + dash + "enc AAA"}})) << dash;
    EXPECT_FALSE(rule_matches(d, {{"CommandLine", "powershell +enc AAA"}}));
    // A dash inside a word is not a flag and is not widened.
    std::string w = "    sel:\n        CommandLine|windash|contains: 'a-b'\n    condition: sel\n";
    EXPECT_FALSE(rule_matches(w, {{"CommandLine", "a/b"}}));
    EXPECT_TRUE(rule_matches(w, {{"CommandLine", "xa-by"}}));
}

TEST(SigmaString, EmptyStringAndNull) {
    std::string empty = "    sel:\n        Description: ''\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(empty, {{"Description", ""}}));
    EXPECT_FALSE(rule_matches(empty, {{"Description", "x"}}));
    EXPECT_TRUE(rule_matches(empty, {{"Other", "x"}}));  // readers omit empty values: absent counts as empty
    std::string null = "    sel:\n        Description: null\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(null, {{"Other", "x"}}));
    EXPECT_TRUE(rule_matches(null, {{"Description", ""}}));
    EXPECT_FALSE(rule_matches(null, {{"Description", "x"}}));
}

TEST(SigmaString, NumbersCompareAsText) {
    std::string d = "    sel:\n        EventID: 4688\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"EventID", "4688"}}));
    EXPECT_FALSE(rule_matches(d, {{"EventID", "46880"}}));
}

TEST(SigmaString, ExistsAndNeq) {
    std::string ex = "    sel:\n        PasswordLastSet|exists: true\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(ex, {{"PasswordLastSet", ""}}));
    EXPECT_FALSE(rule_matches(ex, {{"Other", "x"}}));
    std::string nex = "    sel:\n        PasswordLastSet|exists: false\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(nex, {{"Other", "x"}}));
    std::string neq = "    sel:\n        User|neq:\n            - 'SYSTEM'\n            - 'LOCAL SERVICE'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(neq, {{"User", "bob"}}));
    EXPECT_FALSE(rule_matches(neq, {{"User", "system"}}));
}

TEST(SigmaString, KeywordsSearchRawTextAndAll) {
    std::string kw = "    keywords:\n        - 'event::clear'\n        - 'event::drop'\n    condition: keywords\n";
    EXPECT_TRUE(rule_matches(kw, {{"Other", "x"}}, "mimikatz # EVENT::drop"));
    EXPECT_FALSE(rule_matches(kw, {{"Other", "x"}}, "nothing here"));
    std::string all = "    keywords:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n"
                      "    condition: keywords\n";
    EXPECT_TRUE(rule_matches(all, {}, "Set-OabVirtualDirectory -ExternalUrl http://x"));
    EXPECT_FALSE(rule_matches(all, {}, "Set-OabVirtualDirectory"));
    // Keywords also look at the message field.
    EXPECT_TRUE(rule_matches(kw, {{"message", "did event::clear"}}, "raw"));
}

// ---- regex ------------------------------------------------------------------------------

TEST(SigmaRegex, CaseSensitiveByDefaultWithFlags) {
    std::string d = "    sel:\n        CommandLine|re: 'net\\s+user'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"CommandLine", "cmd /c net   user"}}));
    EXPECT_FALSE(rule_matches(d, {{"CommandLine", "NET USER"}}));
    std::string i = "    sel:\n        CommandLine|re|i: '^net\\s+user'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(i, {{"CommandLine", "NET USER"}}));
    std::string m = "    sel:\n        Data|re|m: '^second$'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(m, {{"Data", "first\nsecond\nthird"}}));
    std::string nm = "    sel:\n        Data|re: '^second$'\n    condition: sel\n";
    EXPECT_FALSE(rule_matches(nm, {{"Data", "first\nsecond\nthird"}}));
    std::string s = "    sel:\n        Data|re|s: 'a.b'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(s, {{"Data", "a\nb"}}));
    std::string ns = "    sel:\n        Data|re: 'a.b'\n    condition: sel\n";
    EXPECT_FALSE(rule_matches(ns, {{"Data", "a\nb"}}));
}

TEST(SigmaRegex, InvalidRegexRejectsTheRule) {
    auto c = compile_text(rule_with("    sel:\n        Data|re: 'a(b'\n    condition: sel\n"));
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(c.has("regex.invalid")) << c.all_messages();
}

// ---- encoding ---------------------------------------------------------------------------

TEST(SigmaEncoding, Base64AndUtf16) {
    EXPECT_EQ(encode_base64("cmd"), "Y21k");
    EXPECT_EQ(encode_base64("ab"), "YWI=");
    EXPECT_EQ(encode_base64("a"), "YQ==");
    EXPECT_EQ(encode_utf16le("cmd"), std::string("c\0m\0d\0", 6));
    EXPECT_EQ(encode_utf16be("cmd"), std::string("\0c\0m\0d", 6));
    EXPECT_EQ(encode_utf16_bom("cmd"), std::string("\xFF\xFE" "c\0m\0d\0", 8));
    EXPECT_EQ(encode_utf16le("\xC3\xA9"), std::string("\xE9\0", 2));  // é
}

TEST(SigmaEncoding, Base64OffsetThreeShifts) {
    // 'http://' at offsets 0, 1 and 2 inside a longer text.
    auto v = encode_base64_offsets("http://");
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(v[0], "aHR0cDovL");
    EXPECT_EQ(v[1], "h0dHA6Ly");
    EXPECT_EQ(v[2], "odHRwOi8v");
    for (std::string prefix : {"", "x", "xy", "xyz"}) {
        std::string enc = encode_base64(prefix + "http://" + "example");
        bool found = false;
        for (const auto& s : v) found |= enc.find(s) != std::string::npos;
        EXPECT_TRUE(found) << prefix;
    }
    std::string d = "    sel:\n        CommandLine|base64offset|contains: 'http://'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"CommandLine", "powershell -enc " + encode_base64("1http://x")}}));
    EXPECT_TRUE(rule_matches(d, {{"CommandLine", "powershell -enc " + encode_base64("12http://x")}}));
    EXPECT_FALSE(rule_matches(d, {{"CommandLine", "powershell -enc " + encode_base64("ftp://x")}}));
    std::string wide = "    sel:\n        CommandLine|wide|base64offset|contains: 'IEX'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(wide, {{"CommandLine", "-e " + encode_base64(encode_utf16le("x IEX(y)"))}}));
}

TEST(SigmaEncoding, Base64ExactWithContains) {
    std::string d = "    sel:\n        Data|base64|contains: 'abc'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"Data", "xx YWJj yy"}}));
}

// ---- cidr -------------------------------------------------------------------------------

TEST(SigmaCidr, Ipv4AndIpv6) {
    std::string d = "    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - 'fe80::/10'\n"
                    "            - '2001:db8::/32'\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"DestinationIp", "10.1.2.3"}}));
    EXPECT_FALSE(rule_matches(d, {{"DestinationIp", "11.1.2.3"}}));
    EXPECT_TRUE(rule_matches(d, {{"DestinationIp", "fe80::1"}}));
    EXPECT_TRUE(rule_matches(d, {{"DestinationIp", "FE80::abcd:1%eth0"}}));
    EXPECT_TRUE(rule_matches(d, {{"DestinationIp", "2001:db8:ffff::1"}}));
    EXPECT_FALSE(rule_matches(d, {{"DestinationIp", "2001:db9::1"}}));
    EXPECT_TRUE(rule_matches(d, {{"DestinationIp", "::ffff:10.9.9.9"}}));  // IPv4-mapped
    EXPECT_FALSE(rule_matches(d, {{"DestinationIp", "not an ip"}}));
    ip_net n;
    EXPECT_TRUE(parse_cidr("192.168.0.0/23", n));
    ip_net a;
    ASSERT_TRUE(parse_ip("192.168.1.255", a));
    EXPECT_TRUE(cidr_contains(n, a));
    ASSERT_TRUE(parse_ip("192.168.2.0", a));
    EXPECT_FALSE(cidr_contains(n, a));
    EXPECT_FALSE(parse_cidr("10.0.0.0/33", n));
    auto c = compile_text(rule_with("    sel:\n        DestinationIp|cidr: '10.0.0/8x'\n    condition: sel\n"));
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(c.has("cidr.invalid"));
}

// ---- numeric ----------------------------------------------------------------------------

TEST(SigmaNumeric, Comparisons) {
    std::string d = "    sel:\n        Size|gte: 100\n        Count|lt: 5\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"Size", "100"}, {"Count", "4"}}));
    EXPECT_FALSE(rule_matches(d, {{"Size", "99"}, {"Count", "4"}}));
    EXPECT_FALSE(rule_matches(d, {{"Size", "100"}, {"Count", "5"}}));
    EXPECT_TRUE(rule_matches("    sel:\n        Mask|gt: 0x10\n    condition: sel\n", {{"Mask", "0x1F"}}));
    EXPECT_TRUE(rule_matches("    sel:\n        V|lte: 1.5\n    condition: sel\n", {{"V", "1.5"}}));
    EXPECT_FALSE(rule_matches("    sel:\n        V|lte: 1.5\n    condition: sel\n", {{"V", "abc"}}));
    auto c = compile_text(rule_with("    sel:\n        V|lt: abc\n    condition: sel\n"));
    EXPECT_FALSE(c.ok);
}

// ---- time -------------------------------------------------------------------------------

TEST(SigmaTime, Parts) {
    int v;
    ASSERT_TRUE(time_part("2025-11-27 07:40:10.132", time_unit::hour, v));
    EXPECT_EQ(v, 7);
    ASSERT_TRUE(time_part("2025-11-27T07:40:10Z", time_unit::minute, v));
    EXPECT_EQ(v, 40);
    ASSERT_TRUE(time_part("2025-11-27", time_unit::day, v));
    EXPECT_EQ(v, 27);
    ASSERT_TRUE(time_part("2025-11-27", time_unit::month, v));
    EXPECT_EQ(v, 11);
    ASSERT_TRUE(time_part("2025-11-27", time_unit::year, v));
    EXPECT_EQ(v, 2025);
    ASSERT_TRUE(time_part("2025-11-27", time_unit::week, v));
    EXPECT_EQ(v, 48);
    ASSERT_TRUE(time_part("2021-01-03", time_unit::week, v));  // belongs to 2020's week 53
    EXPECT_EQ(v, 53);
    EXPECT_FALSE(time_part("2025-11-27", time_unit::hour, v));
    std::string d = "    sel:\n        UtcTime|hour|gte: 20\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"UtcTime", "2025-01-01 22:00:00"}}));
    EXPECT_FALSE(rule_matches(d, {{"UtcTime", "2025-01-01 08:00:00"}}));
    std::string eq = "    sel:\n        UtcTime|month: 12\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(eq, {{"UtcTime", "2025-12-01 08:00:00"}}));
}

// ---- fieldref ---------------------------------------------------------------------------

TEST(SigmaFieldref, EqualsAndNeq) {
    std::string d = "    sel:\n        TargetUserName|fieldref: SubjectUserName\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(d, {{"TargetUserName", "Bob"}, {"SubjectUserName", "bob"}}));
    EXPECT_FALSE(rule_matches(d, {{"TargetUserName", "alice"}, {"SubjectUserName", "bob"}}));
    EXPECT_FALSE(rule_matches(d, {{"TargetUserName", "alice"}}));
    std::string n = "    sel:\n        TargetUserName|fieldref|neq: SubjectUserName\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(n, {{"TargetUserName", "alice"}, {"SubjectUserName", "bob"}}));
    std::string sw = "    sel:\n        CommandLine|fieldref|startswith: Image\n    condition: sel\n";
    EXPECT_TRUE(rule_matches(sw, {{"CommandLine", "C:\\a.exe -x"}, {"Image", "C:\\a.exe"}}));
}

// ---- expand -----------------------------------------------------------------------------

TEST(SigmaExpand, PlaceholdersFromConfig) {
    placeholders ph;
    ph.values["Admins"] = {"adm_*", "root"};
    ph.source = "placeholders.yaml";
    auto c = compile_text(rule_with("    sel:\n        User|expand: '%Admins%'\n    condition: sel\n"), &ph);
    ASSERT_TRUE(c.ok) << c.all_messages();
    auto b1 = make_event({{"User", "ADM_bob"}});
    EXPECT_TRUE(matches(c, b1));
    auto b2 = make_event({{"User", "bob"}});
    EXPECT_FALSE(matches(c, b2));
    auto bad = compile_text(rule_with("    sel:\n        User|expand: '%Nope%'\n    condition: sel\n"), &ph);
    EXPECT_FALSE(bad.ok);
    EXPECT_TRUE(bad.has("placeholder.undefined"));
    EXPECT_NE(bad.all_messages().find("%Nope%"), std::string::npos);
    // Without expand a percent value is plain text.
    auto plain = compile_text(rule_with("    sel:\n        User: '%Admins%'\n    condition: sel\n"), &ph);
    ASSERT_TRUE(plain.ok);
    auto b3 = make_event({{"User", "%admins%"}});
    EXPECT_TRUE(matches(plain, b3));
}

TEST(SigmaModifiers, UnknownModifierAndConflictsAreReported) {
    auto c = compile_text(rule_with("    sel:\n        Image|endswth: 'x'\n        Cmd|re|contains: 'y'\n    condition: sel\n"));
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(c.has("modifier.unknown"));
    EXPECT_TRUE(c.has("modifier.conflict"));  // both problems, not only the first
    ASSERT_GE(c.problems.size(), 2u);
    EXPECT_EQ(c.problems[0].line, 9);
}

}  // namespace
}  // namespace mimamori::sigma
