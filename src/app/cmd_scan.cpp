// `mimamori scan PATH...`: read files and folders, print what was found.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>

#include "alert/pipeline.hpp"
#include "app/cli.hpp"
#include "core/time.hpp"
#include "detect/alert.hpp"
#include "detect/ruleset/engine.hpp"
#include "ingest/scan.hpp"
#include "report/store_results.hpp"
#include "store/store.hpp"

namespace mimamori::app {

namespace {

struct scan_args {
    std::vector<std::string> paths;
    std::string events_out;
    std::string format;
    std::string tz = "UTC";
    std::string ndjson_mapping;
    bool quiet = false;
    std::vector<std::string> rules;  // --rules PATH (repeatable), besides the built-in rules
    bool no_builtin = false;
    bool json = false;               // alerts as NDJSON on stdout
    std::string cache_dir;
    std::string context;  // --context: staff context folder for staff_presence rules
    // Correlation, threat intelligence, alerts and incidents (src/alert/pipeline.hpp).
    std::vector<std::string> intel;  // --intel LIST (repeatable)
    std::string alert_config;        // --alert-config FILE (suppressions, windows)
    std::string state;               // --state FILE (correlation state kept across runs)
    std::string lang = "en";         // --lang en|ja for summaries
    bool raw_matches = false;        // --matches: every rule match instead of alerts/incidents
    std::string store_path;          // --store DB: keep events, alerts and incidents in the store
};

// The alert table: time, level, rule, host, user and the fields the rule looked at.
void print_alerts(std::vector<detect::alert>& alerts, std::ostream& os) {
    if (alerts.empty()) {
        os << "No alerts.\n\n";
        return;
    }
    std::stable_sort(alerts.begin(), alerts.end(), [](const auto& x, const auto& y) { return x.ts < y.ts; });
    std::map<std::string, std::size_t> by_level;
    for (const auto& a : alerts) ++by_level[a.level];
    os << with_commas(alerts.size()) << " alert(s):";
    for (const char* l : {"critical", "high", "medium", "low", "informational"})
        if (by_level.count(l)) os << "  " << l << " " << with_commas(by_level[l]);
    os << "\n\n";
    char buf[512];
    std::snprintf(buf, sizeof buf, "  %-20s %-13s %-50s %-20s %-20s\n", "TIME (UTC)", "LEVEL", "RULE", "HOST", "USER");
    os << buf;
    for (const auto& a : alerts) {
        // Whole seconds are enough to read; the NDJSON output keeps the full precision.
        std::string t = a.ts == k_no_time ? std::string("-") : format_rfc3339(a.ts - a.ts % k_ns_per_sec);
        std::string title = a.title.size() > 50 ? a.title.substr(0, 47) + "..." : a.title;
        std::snprintf(buf, sizeof buf, "  %-20s %-13s %-50s %-20s %-20s\n", t.c_str(), a.level.c_str(), title.c_str(),
                      a.host.empty() ? "-" : a.host.c_str(), a.user.empty() ? "-" : a.user.c_str());
        os << buf;
        for (const auto& [k, v] : a.key_fields) {
            std::string val = v.size() > 160 ? v.substr(0, 157) + "..." : v;
            os << "      " << k << ": " << val << "\n";
        }
    }
    os << "\n";
}

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
    // Detection: the built-in rules plus --rules.
    std::unique_ptr<detect::engine> eng;
    std::unique_ptr<detect::ruleset::scratch> scratch;
    if (!a.rules.empty() || !a.no_builtin) {
        detect::engine_options eo;
        eo.rule_paths = a.rules;
        eo.builtin = !a.no_builtin;
        eo.cache_dir = a.cache_dir;
        auto e = detect::load_engine(eo);
        if (!e) {
            std::cerr << "mimamori scan: " << e.err().message << "\n";
            return 2;
        }
        eng = std::move(e.value());
        if (!eng->loaded.rejected.empty() && !a.quiet)
            std::cerr << "mimamori scan: " << eng->loaded.rejected.size()
                      << " rule document(s) could not be loaded; `mimamori rules check` says why\n";
        scratch = eng->rules->make_scratch();
    }
    // After the single-event rules: correlation, threat intelligence, alerts, incidents.
    std::unique_ptr<alert::pipeline> pipe;
    if ((eng || !a.intel.empty()) && !a.raw_matches) {
        alert::pipeline_options po;
        const std::string data = detect::default_data_dir();
        if (!a.no_builtin) po.rule_paths.push_back(data + "/rules");
        for (const auto& r : a.rules) po.rule_paths.push_back(r);
        po.metadata_paths.push_back(data + "/mappings/alert/builtin.yml");
        for (const auto& i : a.intel) po.intel.push_back(intel::source{i, "", intel::list_format::automatic});
        po.alert_config = a.alert_config;
        po.state_file = a.state;
        // A scan reads file after file: hold correlation input until the end and process it in
        // time order (bounded by the state memory cap).
        po.corr.lateness = correlate::options::k_unbounded;
        po.corr.context_dir = a.context;
        auto p = alert::pipeline::create(po);
        if (!p) {
            std::cerr << "mimamori scan: " << p.err().message << "\n";
            return 2;
        }
        pipe = std::move(p.value());
        if (eng) {
            std::vector<alert::base_rule> base;
            for (const auto& r : eng->rules->rules())
                base.push_back({r.doc->id, r.doc->name, r.doc->title, r.doc->level, r.doc->tags});
            pipe->set_base_rules(std::move(base));
        }
        if (!a.quiet)
            for (const auto& pr : pipe->stats().problems) std::cerr << "mimamori scan: " << pr << "\n";
    }
    // --store: every batch is appended as it is read; alerts and incidents follow at the end,
    // linked to the stored ids of their evidence events.
    std::unique_ptr<store::store> db;
    report::evidence_index stored_ids;
    std::string store_error;
    if (!a.store_path.empty()) {
        if (a.raw_matches) {
            std::cerr << "mimamori scan: --store keeps alerts and incidents; it does not go with --matches\n";
            return 2;
        }
        auto d = store::open_sqlite(
            {.path = a.store_path, .notice = [](const std::string& what) { std::cerr << "mimamori scan: " << what << "\n"; }});
        if (!d) {
            std::cerr << "mimamori scan: " << d.err().message << "\n";
            return 2;
        }
        db = std::move(d.value());
    }
    std::vector<std::pair<std::uint32_t, std::uint32_t>> match_pairs;
    if (a.json && a.events_out == "-") {
        std::cerr << "mimamori scan: --json and --events - both want stdout; write events to a file\n";
        return 2;
    }
    std::vector<detect::alert> alerts;
    std::vector<detect::rule_match> matches;
    std::string alert_line;
    std::uint64_t alert_count = 0;
    std::string line;
    auto sink = [&](event_batch& b) {
        if (db && store_error.empty()) {
            auto info = db->append(b, {}, {});
            if (info) stored_ids.add_batch(b, info.value().first_event_id);
            else store_error = info.err().message;
        }
        if (pipe) {
            match_pairs.clear();
            if (eng) {
                matches.clear();
                eng->rules->match(b, *scratch, matches);
                for (const auto& m : matches) match_pairs.emplace_back(m.rule, m.event);
                alert_count += matches.size();
            }
            pipe->on_batch(b, match_pairs);
        } else if (eng) {
            matches.clear();
            eng->rules->match(b, *scratch, matches);
            for (const auto& m : matches) {
                ++alert_count;
                auto al = detect::make_alert(*eng->rules, m, b);
                if (a.json) {
                    alert_line.clear();
                    detect::write_alert_json(al, alert_line);
                    alert_line.push_back('\n');
                    std::cout << alert_line;
                } else {
                    alerts.push_back(std::move(al));
                }
            }
        }
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
    std::ostream& human = (a.events_out == "-" || a.json) ? std::cerr : std::cout;
    if (!store_error.empty()) {
        std::cerr << "mimamori scan: --store " << a.store_path << ": " << store_error << "\n";
        return 1;
    }
    if (pipe) {
        auto fin = pipe->finish();
        if (!fin) std::cerr << "mimamori scan: " << fin.err().message << "\n";
        if (db) {
            auto sr = report::store_results(*db, pipe->alerts(), pipe->incidents(), stored_ids);
            if (!sr) {
                std::cerr << "mimamori scan: --store " << a.store_path << ": " << sr.err().message << "\n";
                return 1;
            }
            if (!a.quiet)
                human << "Stored in " << a.store_path << ": " << with_commas(st.events) << " event(s), "
                      << with_commas(sr.value().alerts) << " alert(s), " << with_commas(sr.value().incidents)
                      << " incident(s); " << with_commas(sr.value().evidence_linked) << " evidence link(s)"
                      << (sr.value().evidence_missing ? ", " + with_commas(sr.value().evidence_missing) + " not found" : std::string())
                      << "\n  reports: mimamori report summary --db " << a.store_path << "\n\n";
        }
    }
    if (db && !pipe && !a.quiet)
        human << "Stored in " << a.store_path << ": " << with_commas(st.events) << " event(s) (no detection ran)\n\n";
    if (pipe && (!db || a.json)) {
        // The story first (incidents), then the alerts; --json: one NDJSON line each, typed.
        std::string out;
        if (a.json) {
            for (const auto& inc : pipe->incidents()) {
                std::string j;
                alert::write_incident_json(inc, pipe->alerts(), j);
                out += "{\"type\":\"incident\"," + j.substr(1) + "\n";
            }
            for (const auto& al : pipe->alerts()) {
                std::string j;
                alert::write_alert_json(al, j);
                out += "{\"type\":\"alert\"," + j.substr(1) + "\n";
            }
        } else {
            alert::render_text(pipe->incidents(), pipe->alerts(), a.lang == "ja", out);
            out += "\n";
        }
        std::cout << out;
    } else if (eng && !a.json && !pipe) {
        print_alerts(alerts, std::cout);
    }
    if (!a.quiet) {
        print_summary(st, secs, human);
        if (eng) {
            char buf[160];
            std::snprintf(buf, sizeof buf, "%.2f s to load, %.2f s to compile", eng->load_seconds, eng->compile_seconds);
            human << "\nDetection: " << with_commas(eng->loaded.rules.size()) << " Sigma rule(s) (" << buf << "), "
                  << with_commas(alert_count) << (pipe ? " rule match(es)\n" : " alert(s)\n");
        }
        if (pipe) {
            const auto ps = pipe->stats();
            std::uint64_t evicted = 0;
            for (const auto& r : ps.corr.rules) evicted += r.evicted;
            human << "Correlation: " << with_commas(ps.correlations) << " rule(s), " << with_commas(ps.correlation_hits)
                  << " hit(s), " << with_commas(ps.corr.bytes / 1024) << " KiB of state, " << with_commas(evicted)
                  << " group(s) evicted under the memory cap";
            if (ps.indicators) human << "; threat intelligence: " << with_commas(ps.indicators) << " indicator(s), "
                                     << with_commas(ps.intel_hits) << " hit(s)";
            human << "\nResult: " << with_commas(pipe->alerts().size()) << " alert(s) in "
                  << with_commas(pipe->incidents().size()) << " incident(s)\n";
        }
    }
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
    cmd->add_option("--rules", a->rules, "Also run the Sigma rules in this file or folder (repeatable)");
    cmd->add_flag("--no-builtin-rules", a->no_builtin, "Run only the rules given with --rules");
    cmd->add_flag("--json", a->json, "Print incidents, then alerts, as NDJSON on stdout (\"type\": incident | alert)");
    cmd->add_option("--intel", a->intel, "Threat-intelligence list: text, CSV, STIX 2.1 bundle or MISP JSON (repeatable)");
    cmd->add_option("--alert-config", a->alert_config, "YAML with suppressions and dedup/suppress windows");
    cmd->add_option("--state", a->state, "Keep correlation state in FILE: restored at start, saved at the end");
    cmd->add_option("--lang", a->lang, "Language of incident summaries and advice: en or ja")->check(CLI::IsMember({"en", "ja"}));
    cmd->add_flag("--matches", a->raw_matches, "Print every single rule match (no correlation, alerts or incidents)");
    cmd->add_option("--store", a->store_path,
                    "Keep every event, alert and incident in this SQLite store (then `mimamori report`); "
                    "the incident and alert listing is not printed")
        ->check([](const std::string& s) { return s.empty() ? std::string("--store needs a path") : std::string(); });
    cmd->add_option("--context", a->context,
                    "Staff context folder (roster.csv, absences.csv, badge.csv): finds logons while the owner is on leave or never badged in")
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--cache-dir", a->cache_dir, "Where compiled rules are cached (default ~/.cache/mimamori; - for none)");
    cmd->callback([a] {
        int rc = run_scan(*a);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
