// `mimamori scan PATH...`: read files and folders, print what was found.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli.hpp"
#include "ingest/scan.hpp"

namespace mimamori::app {

namespace {

struct scan_args {
    std::vector<std::string> paths;
    std::string events_out;
    std::string format;
    std::string tz = "UTC";
    std::string ndjson_mapping;
    bool quiet = false;
};

void print_summary(const ingest::scan_stats& st, double secs, std::ostream& os) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.2f", secs);
    os << "Mimamori scan: " << with_commas(st.files) << " file(s), " << with_commas(st.events)
       << " record(s), " << with_commas(st.bytes / 1024) << " KiB in " << buf << " s\n\n";
    if (!st.by_format.empty()) {
        std::snprintf(buf, sizeof buf, "  %-22s %12s %12s\n", "format", "records", "malformed");
        os << buf;
        for (const auto& [name, fs] : st.by_format) {
            std::snprintf(buf, sizeof buf, "  %-22s %12s %12s\n", name.c_str(),
                          with_commas(fs.events).c_str(), with_commas(fs.malformed).c_str());
            os << buf;
        }
    }
    bool any_bad = false;
    for (const auto& [name, fs] : st.by_format) any_bad |= !fs.examples.empty();
    if (any_bad) {
        os << "\nRecords that could not be parsed (kept as raw events; first few per format):\n";
        for (const auto& [name, fs] : st.by_format)
            for (const auto& ex : fs.examples) os << "  [" << name << "] " << ex << "\n";
    }
    if (!st.file_errors.empty()) {
        os << "\nInputs that could not be read (" << st.file_errors.size() << "):\n";
        for (const auto& e : st.file_errors) os << "  " << e << "\n";
    }
}

int run_scan(const scan_args& a) {
    ingest::scan_options opts;
    opts.format = a.format;
    opts.parse.ndjson_mapping = a.ndjson_mapping;
    auto zone = time_zone::load(a.tz);
    if (!zone) {
        std::cerr << "mimamori scan: --tz: " << zone.err().message << "\n";
        return 2;
    }
    opts.parse.zone = zone.value();

    std::unique_ptr<std::ofstream> file_out;
    std::ostream* events = nullptr;
    if (!a.events_out.empty()) {
        if (a.events_out == "-") {
            events = &std::cout;
        } else {
            file_out = std::make_unique<std::ofstream>(a.events_out, std::ios::binary);
            if (!*file_out) {
                std::cerr << "mimamori scan: cannot write events to " << a.events_out << "\n";
                return 2;
            }
            events = file_out.get();
        }
    }
    std::string line;
    auto sink = [&](event_batch& b) {
        if (!events) return;
        line.clear();
        for (const auto& e : b.events()) {
            write_event_json(b, e, line);
            line.push_back('\n');
        }
        events->write(line.data(), static_cast<std::streamsize>(line.size()));
    };
    ingest::scan_stats st;
    auto t0 = std::chrono::steady_clock::now();
    auto ok = ingest::scan_paths(a.paths, opts, sink, st);
    if (!ok) {
        std::cerr << "mimamori scan: " << ok.err().message << "\n";
        return 2;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (events) events->flush();
    if (!a.quiet) print_summary(st, secs, a.events_out == "-" ? std::cerr : std::cout);
    return 0;
}

}  // namespace

void add_scan_command(CLI::App& app) {
    auto a = std::make_shared<scan_args>();
    auto* cmd = app.add_subcommand("scan", "Read log files and folders once and report what is in them");
    cmd->add_option("paths", a->paths, "Files or folders (recursive; .gz and rotated files too; - for stdin)")
        ->required();
    cmd->add_option("--events", a->events_out, "Write every normalized event as NDJSON to FILE (- for stdout)");
    cmd->add_option("--format", a->format, "Skip detection: read every input as this format (see `mimamori formats`)");
    cmd->add_option("--tz", a->tz, "Zone of timestamps that carry none: UTC, +09:00 or an IANA name like Asia/Tokyo")
        ->capture_default_str();
    cmd->add_option("--ndjson-mapping", a->ndjson_mapping, "YAML mapping of NDJSON keys to ECS fields");
    cmd->add_flag("-q,--quiet", a->quiet, "Print no summary");
    cmd->callback([a] {
        int rc = run_scan(*a);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
