// libFuzzer target for JSON input: the "ndjson" line format with the default mapping, a second
// mapper with a custom mapping (layouts, transforms, value maps, conditions), the flatten-only
// entry point, and the whole-file "json" reader (sniffer + reader, through a temporary file).
//
// The first byte picks what the rest is fed to, so one corpus covers all paths. Invariants
// checked beyond the sanitizers: a parsed event has a time and a source type, every field value
// is non-empty, ECS .ip fields hold IPs, and every value still reads the same after later
// inputs reused the parsers' buffers (a value left pointing into a parser would change).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "ingest/file_format.hpp"
#include "parse/json_map.hpp"
#include "parse/parser.hpp"

using namespace mimamori;

namespace {

constexpr std::string_view k_custom = R"(version: 1
profiles:
  - name: fuzz.layout
    match: {any: [{exists: when}, {starts_with: {kind: [a, b]}}], not: {equals: {skip: ["1", "true"]}}}
    timestamp:
      - {field: when, format: "%d/%b/%Y:%H:%M:%S %z"}
      - {field: when, format: "%Y-%m-%dT%T.%f%Z"}
      - {field: when, format: "%e %h %y %H:%M:%S"}
      - {field: when, format: "%s"}
      - {field: id, format: epoch_s, transform: [{before_first: ":"}, trim]}
      - {field: ms, format: epoch_ms}
      - {field: us, format: epoch_us}
      - {field: ns, format: epoch_ns}
      - {field: t, format: rfc3339, zone: utc}
      - {field: a.b, format: auto}
    fields:
      source.ip: [{from: [peer, a.peer], transform: host}, {from: chain, transform: [{after_last: ","}, trim]}]
      source.port: {from: peer, transform: port}
      destination.port: dport
      user.name: {from: [who, a.who], transform: [lowercase, {after_last: "/"}]}
      event.outcome:
        - {from: result, transform: uppercase, map: {OK: success, NO: failure}, default: unknown}
        - {if: {exists: err}, value: failure}
      event.category: {from: cat, map: {x: web, y: network}}
      network.transport: {from: proto, transform: lowercase}
      http.response.status_code: status
      process.pid: pid
      source.bytes: bytes
  - name: fuzz.any
    timestamp: [ts, time, "@timestamp"]
)";

struct harness {
    parse::options opts;
    parse::context ctx;
    std::unique_ptr<parse::line_parser> ndjson;
    parse::json_mapper custom;
    parse::json_mapper flat;
    std::string tmp_path;

    harness() {
        auto z = time_zone::load("America/New_York");
        if (z.ok()) opts.zone = z.value();
        ctx.opts = &opts;
        for (const auto& f : parse::formats())
            if (f.name == "ndjson") ndjson = f.make();
        if (!ndjson || !ndjson->configure(opts).ok()) std::abort();
        auto m = parse::load_json_mapping_text(k_custom, "fuzz-mapping");
        if (!m.ok()) {
            std::fprintf(stderr, "%s\n", m.err().message.c_str());
            std::abort();
        }
        custom.set_mapping(m.value());
        tmp_path = "/tmp/mimamori-fuzz-json-" + std::to_string(::getpid()) + ".json";
    }
    ~harness() { ::unlink(tmp_path.c_str()); }
};

struct snapshot {
    std::size_t event;
    std::vector<std::string> values;
};

std::vector<std::string> values_of(const event_batch& b, const event& e) {
    std::vector<std::string> v;
    for (const auto& fl : b.fields(e)) v.emplace_back(fl.value);
    v.emplace_back(e.source_type);
    v.emplace_back(e.parse_error);
    return v;
}

void check(const event_batch& b, const event& e) {
    if (e.source_type.empty()) std::abort();
    if (!e.malformed() && e.ts == k_no_time) std::abort();
    for (const auto& fl : b.fields(e)) {
        if (fl.value.empty()) std::abort();
        auto name = field_name(fl.id);
        if (name.size() > 3 && name.substr(name.size() - 3) == ".ip" && !parse::is_ip(fl.value)) std::abort();
        if (name == "event.outcome" && fl.value != "success" && fl.value != "failure" && fl.value != "unknown")
            std::abort();
    }
    std::string js;
    write_event_json(b, e, js);
}

void parse_line(harness& h, event_batch& b, std::string_view line, bool use_custom) {
    auto& e = b.begin();
    e.raw = b.copy(line);
    std::string_view why;
    auto st = use_custom ? h.custom.map_object(e.raw, h.ctx, b, e, why)
                         : h.ndjson->parse(e.raw, h.ctx, b, e, why);
    if (st != parse::parse_status::ok) {
        if (st == parse::parse_status::malformed && why.empty()) std::abort();
        b.reset_fields();
        e.ts = k_no_time;
        e.source_type = "ndjson";
        e.parse_error = why.empty() ? std::string_view("not mine") : why;
    }
    b.commit();
    check(b, b.events().back());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static harness h;
    if (size == 0) return 0;
    const unsigned mode = data[0] % 4;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    event_batch batch;
    std::vector<snapshot> snaps;

    if (mode <= 1) {
        // Each line through the ndjson parser (mode 0) or the custom mapping (mode 1).
        std::size_t pos = 0;
        while (pos <= in.size()) {
            auto nl = in.find('\n', pos);
            if (nl == std::string_view::npos) nl = in.size();
            auto line = in.substr(pos, nl - pos);
            if (!line.empty()) {
                parse_line(h, batch, line, mode == 1);
                snaps.push_back({batch.size() - 1, values_of(batch, batch.events().back())});
            }
            pos = nl + 1;
        }
    } else if (mode == 2) {
        // Flatten only, the whole input as one object.
        auto& e = batch.begin();
        e.raw = batch.copy(in);
        e.source_type = "fuzz";
        std::string_view why;
        auto st = h.flat.flatten(e.raw, batch, why);
        if (st != parse::parse_status::ok) batch.reset_fields();
        batch.commit();
        for (const auto& fl : batch.fields(batch.events().back()))
            if (fl.value.empty()) std::abort();
        snaps.push_back({0, values_of(batch, batch.events().back())});
        // Reuse the mapper's buffers so stale views would show.
        auto& e2 = batch.begin();
        e2.raw = batch.copy("{\"overwrite\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\"}");
        (void)h.flat.flatten(e2.raw, batch, why);
        batch.commit();
    } else {
        // Whole-file reader on the input as a file.
        FILE* f = std::fopen(h.tmp_path.c_str(), "wb");
        if (!f) return 0;
        std::fwrite(in.data(), 1, in.size(), f);
        std::fclose(f);
        const ingest::whole_file_format* fmt = nullptr;
        for (const auto& w : ingest::whole_file_formats())
            if (w.name == "json") fmt = &w;
        if (!fmt) std::abort();
        (void)fmt->sniff(in.substr(0, 4096), h.tmp_path);
        ingest::read_stats rs;
        std::size_t seen = 0;
        auto st = fmt->read(h.tmp_path, h.opts, batch, [&](event_batch& b) {
            for (const auto& e : b.events()) {
                check(b, e);
                if (e.raw.empty()) std::abort();
                ++seen;
            }
        }, rs);
        (void)st;
        if (seen != rs.records) std::abort();
        return 0;
    }
    // Every value must read as it did right after its own parse.
    for (const auto& s : snaps)
        if (values_of(batch, batch.events()[s.event]) != s.values) std::abort();
    return 0;
}
