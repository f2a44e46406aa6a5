// Unit tests per condition form, the reader and filters.
#include <gtest/gtest.h>

#include "detect/sigma/condition.hpp"
#include "detect/sigma/loader.hpp"
#include "sigma_helpers.hpp"

namespace mimamori::sigma {
namespace {

using testing::compile_text;
using testing::make_event;
using testing::matches;
using testing::rule_with;

std::string parse(std::string_view s) {
    cond_node n;
    cond_error e;
    if (!parse_condition(s, n, e)) return "error@" + std::to_string(e.column) + ": " + e.message;
    return to_string(n);
}

TEST(SigmaCondition, Precedence) {
    EXPECT_EQ(parse("a or b and c"), "(a or (b and c))");
    EXPECT_EQ(parse("not a and b"), "(not a and b)");
    EXPECT_EQ(parse("a and not (b or c)"), "(a and not (b or c))");
    EXPECT_EQ(parse("1 of sel* and not 1 of filter*"), "(1 of sel* and not 1 of filter*)");
    EXPECT_EQ(parse("all of them"), "all of them");
    EXPECT_EQ(parse("selection AND NOT filter"), "(selection and not filter)");
}

TEST(SigmaCondition, SyntaxErrorsPointAtTheColumn) {
    EXPECT_EQ(parse("sel and"), "error@8: the condition ends where a search identifier was expected");
    EXPECT_EQ(parse("sel or (a and b"), "error@16: expected ')' to close the '(' at column 8");
    EXPECT_NE(parse("sel | count() > 5").find("error@5"), std::string::npos);
    EXPECT_NE(parse("sel*").find("needs '1 of'"), std::string::npos);
    EXPECT_NE(parse("a b").find("error@3"), std::string::npos);
    std::string deep(100, '(');
    EXPECT_NE(parse(deep + "a" + std::string(100, ')')).find("64 levels"), std::string::npos);
}

const char* k_sel = "    sel_a:\n        A: 'x'\n    sel_b:\n        B: 'y'\n    filter_c:\n        C: 'z'\n"
                    "    _hidden:\n        D: 'w'\n";

bool eval(const std::string& cond, std::initializer_list<testing::kv> ev) {
    auto c = compile_text(rule_with(std::string(k_sel) + "    condition: " + cond + "\n"));
    EXPECT_TRUE(c.ok) << c.all_messages();
    auto b = make_event(ev);
    return matches(c, b);
}

TEST(SigmaCondition, AndOrNotParentheses) {
    EXPECT_TRUE(eval("sel_a and sel_b", {{"A", "x"}, {"B", "y"}}));
    EXPECT_FALSE(eval("sel_a and sel_b", {{"A", "x"}}));
    EXPECT_TRUE(eval("sel_a or sel_b", {{"B", "y"}}));
    EXPECT_FALSE(eval("sel_a and not filter_c", {{"A", "x"}, {"C", "z"}}));
    EXPECT_TRUE(eval("(sel_a or sel_b) and not filter_c", {{"B", "y"}}));
    EXPECT_FALSE(eval("not (sel_a or sel_b)", {{"B", "y"}}));
}

TEST(SigmaCondition, OfForms) {
    EXPECT_TRUE(eval("1 of sel_*", {{"B", "y"}}));
    EXPECT_FALSE(eval("all of sel_*", {{"B", "y"}}));
    EXPECT_TRUE(eval("all of sel_*", {{"A", "x"}, {"B", "y"}}));
    EXPECT_TRUE(eval("1 of them", {{"C", "z"}}));
    EXPECT_FALSE(eval("1 of them", {{"D", "w"}}));  // _hidden is not part of them
    EXPECT_TRUE(eval("all of them", {{"A", "x"}, {"B", "y"}, {"C", "z"}}));
    EXPECT_TRUE(eval("any of sel_*", {{"A", "x"}}));
    EXPECT_TRUE(eval("2 of them", {{"A", "x"}, {"C", "z"}}));
    EXPECT_FALSE(eval("2 of them", {{"A", "x"}}));
    EXPECT_TRUE(eval("1 of sel_* and not 1 of filter_*", {{"A", "x"}}));
}

TEST(SigmaCondition, ListOfConditionsIsOr) {
    auto c = compile_text(rule_with(std::string(k_sel) + "    condition:\n        - sel_a\n        - sel_b\n"));
    ASSERT_TRUE(c.ok) << c.all_messages();
    auto b = make_event({{"B", "y"}});
    EXPECT_TRUE(matches(c, b));
}

TEST(SigmaCondition, ListOfMapsIsOr) {
    auto c = compile_text(rule_with("    sel:\n        - Image|endswith: '\\example.exe'\n"
                                    "        - Description|contains: 'Test executable'\n    condition: sel\n"));
    ASSERT_TRUE(c.ok) << c.all_messages();
    auto b = make_event({{"Description", "a Test executable here"}});
    EXPECT_TRUE(matches(c, b));
    auto b2 = make_event({{"Image", "x.exe"}});
    EXPECT_FALSE(matches(c, b2));
}

TEST(SigmaCondition, UndefinedIdentifierAndEmptyPattern) {
    auto c = compile_text(rule_with(std::string(k_sel) + "    condition: sel_a and filter_x and 1 of nothing_*\n"));
    EXPECT_FALSE(c.ok);
    EXPECT_TRUE(c.has("condition.undefined"));
    EXPECT_TRUE(c.has("condition.pattern"));
    for (const auto& p : c.problems) {
        if (p.code == "condition.undefined") {
            EXPECT_EQ(p.column, 14 + 12) << p.message;
        }
    }
}

TEST(SigmaReader, StructureProblemsAreAllCollected) {
    read_result rr;
    read_text("title: x\nlogsource:\n    product: windows\n", "f.yml", rr);
    ASSERT_EQ(rr.items.size(), 1u);
    EXPECT_FALSE(rr.items[0].ok());
    read_result bad;
    read_text("title: [unclosed\n", "g.yml", bad);
    ASSERT_EQ(bad.file_problems.size(), 1u);
    EXPECT_EQ(bad.file_problems[0].code, "yaml.syntax");
}

TEST(SigmaReader, MultiDocumentAndGlobalAction) {
    read_result rr;
    read_text("action: global\ntitle: base\nlogsource:\n    product: windows\ndetection:\n    condition: sel\n"
              "---\nid: one\ndetection:\n    sel:\n        A: x\n"
              "---\nid: two\ndetection:\n    sel:\n        B: y\n",
              "m.yml", rr);
    ASSERT_EQ(rr.items.size(), 2u);
    EXPECT_TRUE(rr.items[0].ok());
    EXPECT_EQ(rr.items[0].doc->title, "base");
    EXPECT_EQ(rr.items[1].doc->id, "two");
    EXPECT_EQ(rr.items[1].doc->det.conditions.size(), 1u);
    read_result plain;
    read_text("title: a\nlogsource: {product: x}\ndetection: {s: {A: 1}, condition: s}\n---\n"
              "title: b\nlogsource: {product: x}\ndetection: {s: {A: 2}, condition: s}\n",
              "p.yml", plain);
    EXPECT_EQ(plain.items.size(), 2u);
}

TEST(SigmaLoader, FiltersAndCorrelations) {
    char tmpl[] = "/tmp/sigma_loader_XXXXXX";
    std::string dir = mkdtemp(tmpl);
    auto write = [&](const std::string& name, const std::string& text) {
        FILE* f = std::fopen((dir + "/" + name).c_str(), "w");
        std::fputs(text.c_str(), f);
        std::fclose(f);
    };
    write("rule.yml", rule_with("    sel:\n        Image|endswith: '\\rar.exe'\n    condition: sel\n"));
    write("mf_admins.yml",
          "title: Filter admins\nid: f1\nlogsource:\n    product: windows\n    category: process_creation\n"
          "filter:\n    rules:\n        - 00000000-0000-0000-0000-000000000001\n    selection:\n"
          "        User|startswith: 'adm_'\n    condition: selection\n");
    write("corr.yml", "title: c\nid: c1\ncorrelation:\n    type: event_count\n    rules: [x]\n    group-by: [User]\n"
                      "    timespan: 1h\n    condition: {gte: 10}\n");
    auto res = load_rules({dir});
    ASSERT_EQ(res.rules.size(), 1u);
    EXPECT_EQ(res.filters.size(), 1u);
    EXPECT_EQ(res.correlations.size(), 1u);
    EXPECT_TRUE(res.rejected.empty());
    auto b1 = make_event({{"Image", "C:\\rar.exe"}, {"User", "bob"}});
    EXPECT_TRUE(interpret(res.rules[0], b1, b1[0]));
    auto b2 = make_event({{"Image", "C:\\rar.exe"}, {"User", "adm_bob"}});
    EXPECT_FALSE(interpret(res.rules[0], b2, b2[0]));
    std::system(("rm -rf " + dir).c_str());
}

TEST(SigmaAliases, RenamedFieldsAndNativeNames) {
    auto c = compile_text(rule_with("    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel\n"));
    ASSERT_TRUE(c.ok);
    field_aliases a;
    a.renames["Image"] = {"NewProcessName"};
    auto b = make_event({{"NewProcessName", "C:\\cmd.exe"}}, "", "windows.security");
    EXPECT_TRUE(matches(c, b, &a));
    EXPECT_FALSE(matches(c, b));
    auto native = make_event({{"Image", "C:\\cmd.exe"}}, "", "windows.security");
    EXPECT_TRUE(matches(c, native, &a));
}

}  // namespace
}  // namespace mimamori::sigma
