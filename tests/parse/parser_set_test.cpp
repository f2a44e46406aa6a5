// parser_set: a parser that throws (a bug) must not stop a scan or the daemon: the line is kept
// and counted as malformed, and parser_bugs() tells the fuzz targets.
#include <gtest/gtest.h>

#include <stdexcept>

#include "parse/parser.hpp"

namespace mimamori {
namespace {

// A format that exists only in this test binary: it throws on its own marker and takes nothing else.
class throwing_parser final : public parse::line_parser {
public:
    std::string_view name() const override { return "test.throws"; }
    parse::parse_status parse(std::string_view line, const parse::context&, event_batch&, event&,
                              std::string_view&) override {
        if (line.starts_with("MIMAMORI-TEST-THROW")) throw std::out_of_range("a parser bug");
        return parse::parse_status::not_mine;
    }
};
MIMAMORI_REGISTER_FORMAT("test.throws", 1000000, throwing_parser)

TEST(ParserSet, ParserThatThrowsKeepsTheLineAsMalformed) {
    parse::options opts;
    auto set = parse::parser_set::create(opts);
    ASSERT_TRUE(set.ok()) << set.err().message;
    parse::context ctx;
    ctx.opts = &opts;
    event_batch b;

    auto& e = b.begin();
    e.raw = b.copy("MIMAMORI-TEST-THROW the rest of the line");
    EXPECT_EQ(set.value().parse(e.raw, -1, ctx, b, e), -1);
    const event& bad = b.events().back();
    EXPECT_TRUE(bad.malformed());
    EXPECT_EQ(bad.parse_error, parse::k_parser_bug);
    EXPECT_EQ(bad.raw, "MIMAMORI-TEST-THROW the rest of the line");
    EXPECT_EQ(set.value().parser_bugs(), 1u);

    auto& ok = b.begin();
    ok.raw = b.copy("<34>1 2024-06-15T12:00:00Z host app 1 - - fine");
    EXPECT_GE(set.value().parse(ok.raw, -1, ctx, b, ok), 0);
    EXPECT_FALSE(b.events().back().malformed());
    EXPECT_EQ(set.value().parser_bugs(), 1u);
}

}  // namespace
}  // namespace mimamori
