#pragma once
// Shared by the web, firewall and appliance parser tests: parse lines with every registered
// format (the named one preferred, as `scan` does after detection), look at fields by name, and
// run the crowdsec-hub sample folders end to end.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/time.hpp"
#include "parse/message.hpp"
#include "parse/parser.hpp"
#include "schema.hpp"

namespace mimamori::testing {

class format_fixture {
public:
    /// preferred: the format tried first ("" = none preferred); zone as --tz takes it;
    /// reference: RFC 3339 (the file's mtime in real runs).
    explicit format_fixture(std::string_view preferred = {}, std::string_view zone = "UTC",
                            std::string_view reference = "2024-06-15T12:00:00Z") {
        auto z = time_zone::load(zone);
        EXPECT_TRUE(z.ok()) << zone;
        if (z.ok()) m_opts.zone = z.value();
        timestamp_ns ref = 0;
        EXPECT_TRUE(parse_rfc3339(reference, ref)) << reference;
        m_ctx.opts = &m_opts;
        m_ctx.reference_time = ref;
        auto s = parse::parser_set::create(m_opts);
        EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.err().message);
        if (s.ok()) m_set = std::make_unique<parse::parser_set>(std::move(s.value()));
        if (m_set && !preferred.empty()) {
            m_preferred = m_set->index_of(preferred);
            EXPECT_GE(m_preferred, 0) << "no format " << preferred;
        }
    }

    /// Parse a line; the returned event stays valid until the next parse() call.
    const event& parse(std::string_view line) {
        auto& e = m_batch.begin();
        e.raw = m_batch.copy(line);
        e.line = m_batch.size();
        m_last = m_set ? m_set->parse(e.raw, m_preferred, m_ctx, m_batch, e) : -1;
        const event& ev = m_batch.events().back();
        EXPECT_SCHEMA(m_batch, ev);
        return ev;
    }
    /// Name of the format that took the last line ("unknown" when none).
    std::string format() const { return m_set ? std::string(m_set->name(m_last)) : "unknown"; }
    /// Run one format's parser alone (to see not_mine vs malformed).
    parse::parse_status only(std::string_view format, std::string_view line,
                             std::string_view* why_out = nullptr) {
        std::unique_ptr<parse::line_parser> p;
        for (const auto& f : parse::formats())
            if (f.name == format) p = f.make();
        EXPECT_TRUE(p) << format;
        if (!p) return parse::parse_status::not_mine;
        EXPECT_TRUE(p->configure(m_opts).ok());
        auto& e = m_batch.begin();
        e.raw = m_batch.copy(line);
        std::string_view why;
        auto st = p->parse(e.raw, m_ctx, m_batch, e, why);
        if (st == parse::parse_status::malformed) {
            EXPECT_FALSE(why.empty()) << line;
        }
        if (st == parse::parse_status::ok) {
            m_batch.commit();
            EXPECT_SCHEMA(m_batch, m_batch.events().back());
        } else {
            m_batch.rollback();
        }
        if (why_out) *why_out = why;
        return st;
    }
    /// Call the message parsers registered for `program` (and then the sniffers when
    /// `sniffers`), as the syslog parser does, on a bare message. The event's time is preset
    /// to `envelope_ts` (k_no_time for none).
    parse::parse_status message(std::string_view program, std::string_view msg,
                                bool sniffers = true, timestamp_ns envelope_ts = k_no_time) {
        auto& e = m_batch.begin();
        e.raw = m_batch.copy(msg);
        e.ts = envelope_ts;
        e.source_type = "syslog";
        parse::syslog_envelope env;
        env.host = "host";
        env.program = program;
        std::string_view why;
        auto st = parse::parse_status::not_mine;
        for (const auto& mp : parse::message_parsers()) {
            if (mp.program != program) continue;
            st = mp.parse(env, e.raw, m_ctx, m_batch, e, why);
            if (st != parse::parse_status::not_mine) break;
        }
        if (st == parse::parse_status::not_mine && sniffers) {
            for (const auto& mp : parse::message_parsers()) {
                if (!mp.program.empty()) continue;
                st = mp.parse(env, e.raw, m_ctx, m_batch, e, why);
                if (st != parse::parse_status::not_mine) break;
            }
        }
        m_batch.commit();
        if (st == parse::parse_status::ok) {
            EXPECT_SCHEMA(m_batch, m_batch.events().back());
        }
        return st;
    }
    const event& last() const { return m_batch.events().back(); }

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
    std::size_t count(const event& e, std::string_view name) const {
        field_id id = find_field(name);
        std::size_t n = 0;
        for (const auto& fl : m_batch.fields(e)) n += fl.id == id;
        return n;
    }
    static std::string ts(const event& e) { return format_rfc3339(e.ts); }
    event_batch& batch() { return m_batch; }
    parse::context& ctx() { return m_ctx; }
    parse::options& opts() { return m_opts; }
    parse::parser_set* set() { return m_set.get(); }

private:
    parse::options m_opts;
    parse::context m_ctx;
    std::unique_ptr<parse::parser_set> m_set;
    event_batch m_batch;
    int m_preferred = -1;
    int m_last = -1;
};

/// Detect the format of a whole list of lines as `scan` does (first 64 non-empty lines).
inline int detect_lines(parse::parser_set& set, const parse::context& ctx,
                        const std::vector<std::string>& lines) {
    std::vector<std::string_view> sample;
    for (const auto& l : lines) {
        if (parse::trim(l).empty()) continue;
        sample.push_back(l);
        if (sample.size() == 64) break;
    }
    return set.detect(sample, ctx);
}

/// Result of reading crowdsec-hub sample folders end to end.
struct sample_stats {
    std::size_t lines = 0, good = 0;
    std::map<std::string, std::string> report;  // folder → "good/lines (types…)"
};

/// Read every .log in each folder through a parser_set as `scan` does — detect per file, then
/// per line — counting lines that parse (not malformed) into one of `expected` source types,
/// checking the schema of every event.
inline sample_stats run_samples(const std::vector<std::string>& folders,
                                const std::set<std::string>& expected) {
    namespace fs = std::filesystem;
    sample_stats st;
    parse::options opts;
    auto set = parse::parser_set::create(opts);
    EXPECT_TRUE(set.ok()) << (set.ok() ? "" : set.err().message);
    if (!set.ok()) return st;
    const fs::path root = fs::path(MIMAMORI_SHARED_DIR) / "datasets/crowdsec-hub/tests";
    for (const auto& folder : folders) {
        std::size_t f_lines = 0, f_good = 0;
        std::set<std::string> types;
        if (!fs::exists(root / folder)) {
            ADD_FAILURE() << "missing sample folder " << folder;
            continue;
        }
        for (const auto& entry : fs::directory_iterator(root / folder)) {
            if (entry.path().extension() != ".log") continue;
            std::ifstream in(entry.path());
            std::vector<std::string> lines;
            for (std::string l; std::getline(in, l);)
                if (!parse::trim(l).empty()) lines.push_back(l);
            // the sample's own mtime would be the reference; the schema wants a sane year
            parse::context ctx{&opts, 1718452800LL * k_ns_per_sec};
            int preferred = detect_lines(set.value(), ctx, lines);
            event_batch batch;
            for (const auto& l : lines) {
                auto& e = batch.begin();
                e.raw = batch.copy(l);
                set->parse(e.raw, preferred, ctx, batch, e);
                const event& ev = batch.events().back();
                EXPECT_SCHEMA(batch, ev);
                ++f_lines;
                types.insert(std::string(ev.source_type) + (ev.malformed() ? "!" : ""));
                if (!ev.malformed() && expected.count(std::string(ev.source_type))) ++f_good;
            }
        }
        std::string t;
        for (const auto& x : types) t += (t.empty() ? "" : " ") + x;
        st.report[folder] = std::to_string(f_good) + "/" + std::to_string(f_lines) + " (" + t + ")";
        st.lines += f_lines;
        st.good += f_good;
    }
    return st;
}

}  // namespace mimamori::testing
