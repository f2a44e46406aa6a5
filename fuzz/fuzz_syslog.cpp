// libFuzzer target for the "syslog" line format and every message parser registered behind it
// (sshd, PAM, sudo, postfix, dovecot, and whatever else is linked into mimamori_parse).
// Each input is split into lines; every line is parsed as syslog in a DST zone, and the whole
// input once more as a single line. Invariants checked beyond the sanitizers: a parsed event
// has a time and a source type, every field value is non-empty and readable, and addresses,
// ports, pids and outcomes are well-formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/event.hpp"
#include "parse/parser.hpp"

using namespace mimamori;

namespace {

struct harness {
    parse::options opts;
    parse::context ctx;
    std::unique_ptr<parse::parser_set> set;

    harness() {
        auto z = time_zone::load("Europe/Berlin");
        if (z.ok()) opts.zone = z.value();
        ctx.opts = &opts;
        ctx.reference_time = 1709251200LL * k_ns_per_sec;  // 2024-03-01
        auto s = parse::parser_set::create(opts, "syslog");
        if (!s.ok()) std::abort();
        set = std::make_unique<parse::parser_set>(std::move(s.value()));
    }
};

bool ends_with(std::string_view s, std::string_view suf) {
    return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

// The parts of tests/parse/schema.hpp that do not need gtest: addresses are addresses, ports
// and pids are in range, outcomes are the three ECS values (for the predeclared ECS fields).
void check(const event_batch& b, const event& e) {
    if (e.source_type.empty()) std::abort();
    if (!e.malformed() && e.ts == k_no_time) std::abort();
    for (const auto& fl : b.fields(e)) {
        if (fl.value.empty()) std::abort();
        // Touch every byte so ASan sees a dangling view.
        volatile char sink = 0;
        for (char c : fl.value) sink = sink ^ c;
        (void)sink;
        // Native fields (kv keys from the input such as "x.port") may hold anything.
        if (fl.id >= f::k_first_dynamic) continue;
        std::string_view name = field_name(fl.id);
        if (ends_with(name, ".ip") && !parse::is_ip(fl.value)) std::abort();
        if (ends_with(name, ".port") && !parse::is_uint_in(fl.value, 0, 65535)) std::abort();
        if (name == "process.pid" && !parse::is_uint_in(fl.value, 0, 4294967295ULL)) std::abort();
        if (name == "event.outcome" && fl.value != "success" && fl.value != "failure" &&
            fl.value != "unknown")
            std::abort();
    }
}

void one(harness& h, event_batch& b, std::string_view line) {
    auto& e = b.begin();
    e.raw = b.copy(line);
    h.set->parse(e.raw, 0, h.ctx, b, e);
    if (h.set->parser_bugs() != 0) std::abort();  // a parser threw: the set kept the line, but it is a bug
    check(b, b.events().back());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static harness h;
    static event_batch batch;
    std::string_view in(reinterpret_cast<const char*>(data), size);
    std::size_t pos = 0;
    while (pos <= in.size()) {
        std::size_t nl = in.find('\n', pos);
        if (nl == std::string_view::npos) nl = in.size();
        one(h, batch, in.substr(pos, nl - pos));
        pos = nl + 1;
    }
    one(h, batch, in);
    batch.clear();
    return 0;
}
