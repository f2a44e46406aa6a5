// `mimamori report incident ID | summary | all`: reports from the store as HTML, Markdown, JSON
// or PDF, in English or Japanese (docs/reports.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <variant>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>

#include "alert/alert.hpp"
#include "app/cli.hpp"
#include "detect/ruleset/logsource.hpp"
#include "report/report.hpp"
#include "store/store.hpp"

namespace mimamori::app {

namespace {

struct report_args {
    std::string db;
    std::string lang = "en";
    std::string format = "html";
    std::string out;
    std::string tz = "UTC";
    std::string id;
    std::string from, to;
    std::string silent_after = "24h";
    std::size_t top = 10;
    bool link_incidents = false;
    // `report all`
    std::string out_dir;
    std::vector<std::string> langs{"en", "ja"};
    std::vector<std::string> formats{"html", "md"};
    std::vector<std::string> rules;  // rule files whose texts fill alerts stored without them
};

// The rule pack's texts (descriptions, advice) for alerts stored without them (the daemon's).
alert::rule_catalog load_catalog(const report_args& a) {
    alert::rule_catalog c;
    const std::string data = detect::default_data_dir();
    std::vector<std::string> paths{data + "/rules", data + "/mappings/alert/builtin.yml"};
    for (const auto& r : a.rules) paths.push_back(r);
    c.load(paths);
    return c;
}

// "24h", "90m", "2d", "3600s" or plain seconds.
bool parse_span(const std::string& s, timestamp_ns& out) {
    if (s.empty()) return false;
    std::size_t i = 0;
    std::int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == 0) return false;
    std::string unit = s.substr(i);
    std::int64_t mul = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 0;
    if (!mul) return false;
    out = v * mul * k_ns_per_sec;
    return true;
}

// RFC 3339, or a day YYYY-MM-DD in the report's zone (its start; `end_of_day`: the next day's start).
bool parse_when(const std::string& s, const time_zone& z, bool end_of_day, timestamp_ns& out) {
    if (s.size() == 10 && s[4] == '-' && s[7] == '-') {
        civil_time c;
        c.year = std::stoi(s.substr(0, 4));
        c.month = static_cast<unsigned>(std::stoi(s.substr(5, 2)));
        c.day = static_cast<unsigned>(std::stoi(s.substr(8, 2)));
        std::int64_t local = civil_to_seconds(c) + (end_of_day ? 86400 : 0);
        out = z.local_to_utc(local) * k_ns_per_sec;
        return true;
    }
    return parse_rfc3339(s, out);
}

std::unique_ptr<store::store> open_db(const std::string& path) {
    auto db = store::open_sqlite({.path = path, .read_only = true});
    if (!db) {
        std::cerr << "mimamori report: " << db.err().message << "\n";
        return nullptr;
    }
    return std::move(db.value());
}

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream f(path, std::ios::binary);
    f << text;
    if (!f) {
        std::cerr << "mimamori report: cannot write " << path << "\n";
        return false;
    }
    return true;
}

// Write one report to -o (or stdout); PDF goes through a temporary HTML file.
int emit(const report_args& a, const std::function<std::string(report::format)>& render) {
    if (a.format == "pdf") {
        if (a.out.empty()) {
            std::cerr << "mimamori report: --format pdf needs -o FILE.pdf\n";
            return 2;
        }
        if (report::find_chromium().empty()) {
            std::cerr << "mimamori report: PDF needs Chromium, which is not installed (Debian: apt-get install chromium).\n"
                         "  Write --format html instead and print it from a browser.\n";
            return 1;
        }
        std::string html = a.out + ".html";
        if (!write_file(html, render(report::format::html))) return 1;
        auto st = report::html_to_pdf(html, a.out);
        std::error_code ec;
        std::filesystem::remove(html, ec);
        if (!st) {
            std::cerr << "mimamori report: " << st.err().message << "\n";
            return 1;
        }
        return 0;
    }
    report::format f;
    if (!report::parse_format(a.format, f)) {
        std::cerr << "mimamori report: unknown --format " << a.format << " (html, md, json, pdf)\n";
        return 2;
    }
    std::string text = render(f);
    if (a.out.empty() || a.out == "-") {
        std::cout << text;
        return 0;
    }
    return write_file(a.out, text) ? 0 : 1;
}

bool load_zone(const std::string& tz, time_zone& z) {
    auto r = time_zone::load(tz);
    if (!r) {
        std::cerr << "mimamori report: --tz: " << r.err().message << "\n";
        return false;
    }
    z = r.value();
    return true;
}

int run_incident(const report_args& a) {
    report::render_options o;
    o.ja = a.lang == "ja";
    if (!load_zone(a.tz, o.zone)) return 2;
    auto db = open_db(a.db);
    if (!db) return 1;
    const auto catalog = load_catalog(a);
    auto r = report::load_incident(*db, a.id, &catalog);
    if (!r) {
        std::cerr << "mimamori report: " << r.err().message << "\n";
        return 1;
    }
    return emit(a, [&](report::format f) { return report::render_incident(r.value(), f, o); });
}

result<report::summary_report> load_summary(store::store& db, const report_args& a, const time_zone& zone) {
    report::summary_options so;
    so.top = a.top;
    if (!parse_span(a.silent_after, so.silent_after))
        return error{"usage", "--silent-after: give a span like 24h, 90m or 2d"};
    if (!a.from.empty() && !parse_when(a.from, zone, false, so.from))
        return error{"usage", "--from: give YYYY-MM-DD or an RFC 3339 time"};
    if (!a.to.empty() && !parse_when(a.to, zone, true, so.to))
        return error{"usage", "--to: give YYYY-MM-DD or an RFC 3339 time"};
    return report::load_summary(db, so, zone);
}

int run_summary(const report_args& a) {
    report::render_options o;
    o.ja = a.lang == "ja";
    o.link_incidents = a.link_incidents;
    if (!load_zone(a.tz, o.zone)) return 2;
    auto db = open_db(a.db);
    if (!db) return 1;
    auto r = load_summary(*db, a, o.zone);
    if (!r) {
        std::cerr << "mimamori report: " << r.err().message << "\n";
        return r.err().code == "usage" ? 2 : 1;
    }
    return emit(a, [&](report::format f) { return report::render_summary(r.value(), f, o); });
}

// Every report into one folder: summary.<lang>.<ext> and incident-<id>.<lang>.<ext>.
int run_all(const report_args& a) {
    time_zone zone;
    if (!load_zone(a.tz, zone)) return 2;
    std::vector<report::format> fs;
    std::vector<std::string> exts;
    for (const auto& f : a.formats) {
        report::format x;
        if (!report::parse_format(f, x)) {
            std::cerr << "mimamori report: unknown --format " << f << " (html, md, json)\n";
            return 2;
        }
        fs.push_back(x);
        exts.push_back(f == "markdown" ? "md" : f);
    }
    auto db = open_db(a.db);
    if (!db) return 1;
    std::error_code ec;
    std::filesystem::create_directories(a.out_dir, ec);
    if (ec) {
        std::cerr << "mimamori report: cannot create " << a.out_dir << ": " << ec.message() << "\n";
        return 1;
    }
    auto sum = load_summary(*db, a, zone);
    if (!sum) {
        std::cerr << "mimamori report: " << sum.err().message << "\n";
        return 1;
    }
    auto ids = report::incident_ids(*db);
    if (!ids) {
        std::cerr << "mimamori report: " << ids.err().message << "\n";
        return 1;
    }
    const auto catalog = load_catalog(a);
    std::size_t files = 0;
    for (const auto& lang : a.langs) {
        report::render_options o;
        o.ja = lang == "ja";
        o.zone = zone;
        o.link_incidents = true;
        for (std::size_t k = 0; k < fs.size(); ++k) {
            if (!write_file(a.out_dir + "/summary." + lang + "." + exts[k], report::render_summary(sum.value(), fs[k], o)))
                return 1;
            ++files;
        }
    }
    for (auto id : ids.value()) {
        auto r = report::load_incident(*db, std::to_string(id), &catalog);
        if (!r) {
            std::cerr << "mimamori report: incident " << id << ": " << r.err().message << "\n";
            return 1;
        }
        for (const auto& lang : a.langs) {
            report::render_options o;
            o.ja = lang == "ja";
            o.zone = zone;
            for (std::size_t k = 0; k < fs.size(); ++k) {
                std::string path = a.out_dir + "/incident-" + std::to_string(id) + "." + lang + "." + exts[k];
                if (!write_file(path, report::render_incident(r.value(), fs[k], o))) return 1;
                ++files;
            }
        }
    }
    std::cout << "mimamori report: wrote " << files << " file(s) to " << a.out_dir << " (" << ids.value().size()
              << " incident(s))\n";
    return 0;
}

// Internet addresses only: an internal one (alert::internal_address) in an alert is a victim to
// clean, not a source to block; a value that is not an address is left out too.
bool blockable(const std::string& ip) {
    std::string l;
    for (char c : ip) l.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (l.empty() || alert::internal_address(l)) return false;
    if (l.find(':') != std::string::npos) return true;
    unsigned a = 0, b = 0;
    return std::sscanf(l.c_str(), "%u.%u.", &a, &b) == 2 && a != 0;
}

// `report blocklist`: the Internet addresses behind alerts of at least --min-level, one per
// line with `#` comments — the format firewalls import (FortiGate external threat feeds,
// iptables ipset restore lists, pf tables).
int run_blocklist(const report_args& a, const std::string& min_level) {
    time_zone z;
    if (!load_zone(a.tz, z)) return 2;
    auto db = open_db(a.db);
    if (!db) return 1;
    timestamp_ns from = std::numeric_limits<timestamp_ns>::min(), to = std::numeric_limits<timestamp_ns>::max();
    if (!a.from.empty() && !parse_when(a.from, z, false, from)) {
        std::cerr << "mimamori report blocklist: --from: not a day (YYYY-MM-DD) or RFC 3339 time: " << a.from << "\n";
        return 2;
    }
    if (!a.to.empty() && !parse_when(a.to, z, true, to)) {
        std::cerr << "mimamori report blocklist: --to: not a day (YYYY-MM-DD) or RFC 3339 time: " << a.to << "\n";
        return 2;
    }
    const std::vector<std::string> levels{"informational", "low", "medium", "high", "critical"};
    auto lv = std::find(levels.begin(), levels.end(), min_level);
    std::vector<store::sql_value> params{std::int64_t{from}, std::int64_t{to}};
    std::string in;
    for (auto it = lv; it != levels.end(); ++it) {
        in += in.empty() ? "?" : ",?";
        params.emplace_back(*it);
    }
    auto q = db->select("SELECT json_extract(json,'$.entities.\"source.ip\"') AS ip, count(*), min(ts), max(ts), "
                        "group_concat(DISTINCT rule_name) FROM alerts WHERE ts >= ? AND ts < ? AND level IN (" + in +
                            ") AND ip IS NOT NULL GROUP BY ip ORDER BY count(*) DESC, ip",
                        params);
    if (!q) {
        std::cerr << "mimamori report blocklist: " << q.err().message << "\n";
        return 1;
    }
    auto text = [](const store::sql_value& v) { return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::string(); };
    auto num = [](const store::sql_value& v) { return std::holds_alternative<std::int64_t>(v) ? std::get<std::int64_t>(v) : std::int64_t{0}; };
    std::string body;
    std::size_t n = 0;
    for (const auto& r : q.value().rows) {
        const std::string ip = text(r.values[0]);
        if (!blockable(ip)) continue;
        ++n;
        body += ip + "  # " + std::to_string(num(r.values[1])) + " alert(s) " + format_rfc3339(num(r.values[2])).substr(0, 10) +
                ".." + format_rfc3339(num(r.values[3])).substr(0, 10) + ": " + text(r.values[4]) + "\n";
    }
    std::string out = "# Mimamori blocklist: " + std::to_string(n) + " Internet address(es) behind alerts of level " + min_level +
                      " or higher (" + a.db + ")\n# One address per line; text after # is a comment.\n" + body;
    if (a.out.empty() || a.out == "-") {
        std::cout << out;
        return 0;
    }
    return write_file(a.out, out) ? 0 : 1;
}

void common(CLI::App* c, report_args& a, bool single) {
    c->add_option("--db", a.db, "The store (SQLite file written by `scan --store` or `serve`)")->required();
    c->add_option("--rules", a.rules, "Rule files or folders whose texts (advice) fill alerts stored without them (repeatable)");
    c->add_option("--tz", a.tz, "Show times in this zone: UTC, +09:00 or an IANA name like Asia/Tokyo")->capture_default_str();
    if (single) {
        c->add_option("--lang", a.lang, "Language: en or ja")->check(CLI::IsMember({"en", "ja"}))->capture_default_str();
        c->add_option("--format", a.format, "html, md, json or pdf (pdf needs Chromium and -o)")
            ->check(CLI::IsMember({"html", "md", "markdown", "json", "pdf"}))
            ->capture_default_str();
        c->add_option("-o,--output", a.out, "Write to FILE instead of stdout");
    }
}

void summary_options(CLI::App* c, report_args& a) {
    c->add_option("--from", a.from, "Start: YYYY-MM-DD (in --tz) or RFC 3339; default: the first stored event");
    c->add_option("--to", a.to, "End: YYYY-MM-DD (that whole day, in --tz) or RFC 3339; default: the last stored event");
    c->add_option("--silent-after", a.silent_after, "A log source is silent when its last event is this much older than the newest")
        ->capture_default_str();
    c->add_option("--top", a.top, "Rows in the top lists")->capture_default_str();
}

}  // namespace

void add_report_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("report", "Incident and summary reports from the store (HTML, Markdown, JSON, PDF; en/ja)");
    cmd->require_subcommand(1);

    auto ia = std::make_shared<report_args>();
    auto* inc = cmd->add_subcommand("incident", "The report of one incident, for management and regulators");
    inc->add_option("id", ia->id, "Incident id (number, or the incident's own I-… id)")->required();
    common(inc, *ia, true);
    inc->callback([ia] {
        int rc = run_incident(*ia);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });

    auto sa = std::make_shared<report_args>();
    auto* sum = cmd->add_subcommand("summary", "What happened in a period: alerts, incidents, failed logons, silent log sources");
    common(sum, *sa, true);
    summary_options(sum, *sa);
    sum->add_flag("--link-incidents", sa->link_incidents, "Link incidents to incident-<id>.<lang>.html next to the summary");
    sum->callback([sa] {
        int rc = run_summary(*sa);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });

    auto ba = std::make_shared<report_args>();
    auto min_level = std::make_shared<std::string>("medium");
    auto* bl = cmd->add_subcommand("blocklist", "Internet addresses behind alerts, one per line, for the firewall to block");
    bl->add_option("--db", ba->db, "The store (SQLite file written by `scan --store` or `serve`)")->required();
    bl->add_option("--from", ba->from, "Start: YYYY-MM-DD (in --tz) or RFC 3339; default: all stored alerts");
    bl->add_option("--to", ba->to, "End: YYYY-MM-DD (that whole day, in --tz) or RFC 3339");
    bl->add_option("--tz", ba->tz, "Zone of --from/--to days")->capture_default_str();
    bl->add_option("--min-level", *min_level, "Lowest alert level that puts an address on the list")
        ->check(CLI::IsMember({"low", "medium", "high", "critical"}))
        ->capture_default_str();
    bl->add_option("-o,--output", ba->out, "Write to FILE instead of stdout");
    bl->callback([ba, min_level] {
        int rc = run_blocklist(*ba, *min_level);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });

    auto aa = std::make_shared<report_args>();
    auto* all = cmd->add_subcommand("all", "The summary and every incident's report into one folder");
    common(all, *aa, false);
    summary_options(all, *aa);
    all->add_option("--out-dir", aa->out_dir, "Folder for the reports")->required();
    all->add_option("--lang", aa->langs, "Languages (repeatable; default en and ja)");
    all->add_option("--format", aa->formats, "Formats (repeatable: html, md, json; default html and md)");
    all->callback([aa] {
        int rc = run_all(*aa);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
