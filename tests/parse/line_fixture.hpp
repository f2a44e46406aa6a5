#pragma once
// Shared by the parser tests of line formats: one line through every registered format with
// per-line detection and no preferred format, as `scan` reads a line of a file it has no
// preference for; then fields by name. The schema check runs on the event.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/event.hpp"
#include "core/time.hpp"
#include "parse/parser.hpp"
#include "schema.hpp"

namespace mimamori::testing {

struct one_line {
    parse::options opts;
    event_batch batch;
    std::string format;  ///< the format that took the line ("unknown" when none)

    /// zone: as --tz takes it (the zone of times that carry none).
    explicit one_line(std::string_view line, std::string_view zone = "UTC") {
        auto z = time_zone::load(zone);
        EXPECT_TRUE(z.ok()) << zone;
        if (z.ok()) opts.zone = z.value();
        auto set = parse::parser_set::create(opts);
        EXPECT_TRUE(set.ok());
        auto& e = batch.begin();
        e.raw = batch.copy(line);
        parse::context ctx{&opts, 1733000000LL * k_ns_per_sec};
        format = std::string(set.value().name(set.value().parse(e.raw, -1, ctx, batch, e)));
        EXPECT_SCHEMA(batch, batch[0]);
    }
    const event& e() const { return batch[0]; }
    std::string get(std::string_view name) const {
        field_id id = find_field(name);
        return id == k_no_field ? std::string() : std::string(batch.get(e(), id));
    }
    bool has(std::string_view name) const {
        field_id id = find_field(name);
        return id != k_no_field && batch.has(e(), id);
    }
};

}  // namespace mimamori::testing
