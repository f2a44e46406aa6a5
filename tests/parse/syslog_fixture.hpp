#pragma once
// Shared by the syslog, linux_auth and mail parser tests: parse one line with the "syslog" format
// only, then look at fields by name.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "core/event.hpp"
#include "core/time.hpp"
#include "parse/parser.hpp"
#include "schema.hpp"

namespace mimamori::testing {

class syslog_fixture {
public:
    /// zone: as --tz takes it; reference: RFC 3339 (the file's mtime in real runs).
    explicit syslog_fixture(std::string_view zone = "UTC",
                            std::string_view reference = "2024-06-15T12:00:00Z") {
        auto z = time_zone::load(zone);
        EXPECT_TRUE(z.ok()) << zone;
        if (z.ok()) m_opts.zone = z.value();
        timestamp_ns ref = 0;
        EXPECT_TRUE(parse_rfc3339(reference, ref)) << reference;
        m_ctx.opts = &m_opts;
        m_ctx.reference_time = ref;
        auto s = parse::parser_set::create(m_opts, "syslog");
        EXPECT_TRUE(s.ok());
        m_set = std::make_unique<parse::parser_set>(std::move(s.value()));
    }

    /// Parse a line; the returned event stays valid until the next parse() call.
    const event& parse(std::string_view line) {
        auto& e = m_batch.begin();
        e.raw = m_batch.copy(line);
        e.line = m_batch.size();
        m_last_format = m_set->parse(e.raw, 0, m_ctx, m_batch, e);
        const event& ev = m_batch.events().back();
        EXPECT_SCHEMA(m_batch, ev);
        return ev;
    }
    /// True when the last line parsed as syslog (not malformed).
    bool ok() const { return m_last_format == 0 && !m_batch.events().back().malformed(); }

    std::string get(const event& e, std::string_view name) const {
        field_id id = find_field(name);
        if (id == k_no_field) return {};
        return std::string(m_batch.get(e, id));
    }
    bool has(const event& e, std::string_view name) const {
        field_id id = find_field(name);
        return id != k_no_field && m_batch.has(e, id);
    }
    /// Every value of a repeated field, joined with ','.
    std::string all(const event& e, std::string_view name) const {
        std::string out;
        field_id id = find_field(name);
        for (const auto& fl : m_batch.fields(e)) {
            if (fl.id != id) continue;
            if (!out.empty()) out.push_back(',');
            out.append(fl.value);
        }
        return out;
    }
    static std::string ts(const event& e) { return format_rfc3339(e.ts); }
    event_batch& batch() { return m_batch; }
    parse::context& ctx() { return m_ctx; }

private:
    parse::options m_opts;
    parse::context m_ctx;
    std::unique_ptr<parse::parser_set> m_set;
    event_batch m_batch;
    int m_last_format = -1;
};

}  // namespace mimamori::testing
