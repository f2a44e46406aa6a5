#pragma once
// Shared by fuzz_web, fuzz_firewall and fuzz_appliance: every line of the input goes through the
// chosen line formats (parse() directly, so not_mine and malformed paths run too) and through the
// message parsers registered for the chosen programs (as the syslog parser would call them).
//
// Invariants checked beyond the sanitizers: a parsed event has a time and a source type, a
// malformed one has a reason; no field value is empty; ECS .ip fields hold IPs and .port fields
// ports; every value still reads the same after the whole input was parsed (a value left
// pointing into a parser's reusable buffer would change).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "parse/message.hpp"
#include "parse/parser.hpp"

namespace mimamori::fuzzing {

class netfmt_harness {
public:
    netfmt_harness(std::vector<std::string_view> formats, std::vector<std::string_view> programs) {
        m_ctx.opts = &m_opts;
        m_ctx.reference_time = 1718452800LL * k_ns_per_sec;
        for (const auto& f : parse::formats())
            for (auto want : formats)
                if (f.name == want) {
                    auto p = f.make();
                    if (!p->configure(m_opts).ok()) std::abort();
                    m_parsers.push_back(std::move(p));
                }
        for (const auto& mp : parse::message_parsers())
            for (auto want : programs)
                if (mp.program == want) m_messages.push_back(mp);
    }

    void run(const std::uint8_t* data, std::size_t size) {
        std::string_view in(reinterpret_cast<const char*>(data), size);
        event_batch batch;
        std::vector<std::pair<std::size_t, std::vector<std::string>>> seen;  // event → values
        std::size_t pos = 0;
        while (pos <= in.size()) {
            std::size_t nl = in.find('\n', pos);
            if (nl == std::string_view::npos) nl = in.size();
            std::string_view line = in.substr(pos, nl - pos);
            pos = nl + 1;
            for (auto& p : m_parsers) {
                auto& e = batch.begin();
                e.raw = batch.copy(line);
                std::string_view why;
                auto st = p->parse(e.raw, m_ctx, batch, e, why);
                if (st == parse::parse_status::ok) {
                    batch.commit();
                    check(batch, batch.events().back(), seen);
                } else {
                    if (st == parse::parse_status::malformed && why.empty()) std::abort();
                    batch.commit();
                    if (st == parse::parse_status::not_mine &&
                        batch.events().back().field_count != 0)
                        std::abort();  // not_mine must add nothing
                    batch.rollback();
                }
            }
            for (const auto& mp : m_messages) {
                auto& e = batch.begin();
                e.raw = batch.copy(line);
                e.ts = (line.size() & 1) ? k_no_time : m_ctx.reference_time;
                e.source_type = "syslog";
                parse::syslog_envelope env{"host", mp.program, "1"};
                std::string_view why;
                auto st = mp.parse(env, e.raw, m_ctx, batch, e, why);
                batch.commit();
                if (st == parse::parse_status::not_mine && batch.events().back().field_count != 0)
                    std::abort();  // not_mine must add nothing
                if (st == parse::parse_status::malformed && why.empty()) std::abort();
                if (st == parse::parse_status::ok) check(batch, batch.events().back(), seen);
            }
            if (nl == in.size()) break;
        }
        // values must not have moved
        for (const auto& [i, vals] : seen) {
            const auto fs = batch.fields(batch[i]);
            if (fs.size() != vals.size()) std::abort();
            for (std::size_t k = 0; k < vals.size(); ++k)
                if (fs[k].value != vals[k]) std::abort();
        }
        std::string out;
        for (const auto& e : batch.events()) {
            out.clear();
            write_event_json(batch, e, out);
        }
    }

private:
    static bool ends_with(std::string_view s, std::string_view suf) {
        return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
    }
    void check(const event_batch& b, const event& e,
               std::vector<std::pair<std::size_t, std::vector<std::string>>>& seen) {
        if (e.source_type.empty() || e.ts == k_no_time) std::abort();
        std::vector<std::string> vals;
        for (const auto& fl : b.fields(e)) {
            if (fl.value.empty()) std::abort();
            std::string_view name = field_name(fl.id);
            if ((ends_with(name, ".ip")) && !parse::is_ip(fl.value)) std::abort();
            if (ends_with(name, ".port") && !parse::is_uint_in(fl.value, 0, 65535)) std::abort();
            if (name == "event.outcome" && fl.value != "success" && fl.value != "failure" &&
                fl.value != "unknown")
                std::abort();
            if ((ends_with(name, ".bytes") || ends_with(name, ".packets")) &&
                !parse::is_uint_in(fl.value, 0, ~0ULL >> 1))
                std::abort();
            if (name == "process.pid" && !parse::is_uint_in(fl.value, 0, 4294967295ULL))
                std::abort();
            if (name == "http.response.status_code" && !parse::is_uint_in(fl.value, 100, 999))
                std::abort();
            if (name == "network.transport") {
                std::string_view v = fl.value;
                bool ok = v == "tcp" || v == "udp" || v == "icmp" || v == "ipv6-icmp" ||
                          v == "gre" || v == "esp" || v == "ah" || v == "sctp" || v == "igmp" ||
                          parse::is_uint_in(v, 0, 255);
                if (!ok) std::abort();
            }
            if (fl.kind == value_kind::number)
                for (char c : fl.value)
                    if (!((c >= '0' && c <= '9') || c == '.' || c == '-')) std::abort();
            vals.emplace_back(fl.value);
        }
        seen.emplace_back(static_cast<std::size_t>(&e - b.events().data()), std::move(vals));
    }

    parse::options m_opts;
    parse::context m_ctx;
    std::vector<std::unique_ptr<parse::line_parser>> m_parsers;
    std::vector<parse::message_parser_info> m_messages;
};

}  // namespace mimamori::fuzzing
