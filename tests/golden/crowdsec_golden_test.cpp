// Golden test against CrowdSec hub's own parser tests (../shared/datasets/crowdsec-hub/tests):
// for every folder whose config uses one of the hub parsers that correspond to a format we read,
// scan the folder's log with the real scan pipeline and compare, line by line, our source.ip,
// user and outcome with what the hub's parser.assert says after its parse stage.
//
// A line counts as "ok" when we parsed it (not malformed) and every value the hub asserts for
// it (source IP, user, failure/success implied by its log_type) equals ours. Lines the hub does
// not parse only need to parse for us. Each folder must reach 95 %.
// With MIMAMORI_REPORT_DIR set, the per-folder table is written to conformance-parsers.md there
// (docs/conformance.md is made from it).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/event.hpp"
#include "ingest/scan.hpp"

namespace fs = std::filesystem;
using namespace mimamori;

namespace {

const std::string k_hub = std::string(MIMAMORI_SHARED_DIR) + "/datasets/crowdsec-hub/tests";

// Hub parsers whose logs are formats of ours (issue: sshd, iptables, nginx, apache2, pf,
// postfix, fortinet …; since then Samba, OpenVPN, the FTP servers, Synology DSM, the pfSense / OPNsense web GUIs, Exchange, Exim, Proxmox VE and the databases). The value is a short label for the report.
const std::map<std::string, std::string> k_in_scope = {
    {"sshd-logs", "sshd"},       {"sshd-success-logs", "sshd"}, {"iptables-logs", "netfilter"},
    {"nginx-logs", "web"},       {"apache2-logs", "web"},       {"pf-logs", "pf"},
    {"pfsense-logs", "pf"},      {"postfix-logs", "postfix"},   {"dovecot-logs", "dovecot"},
    {"fortinet-logs", "fortinet"}, {"cef-logs", "cef"},         {"pam-logs", "pam"},
    {"aws-cloudtrail", "cloudtrail"}, {"suricata-logs", "suricata"}, {"windows-logs", "windows"},
    {"syslog-logs", "syslog"},   {"smb-logs", "samba"},         {"openvpn", "openvpn"},
    {"vsftpd-logs", "ftp"},      {"proftpd-logs", "ftp"},       {"pureftpd-logs", "ftp"},
    {"synology-dsm-logs", "pam"},  {"pfsense-gui-logs", "firewall-gui"}, {"opnsense-gui-logs", "firewall-gui"},
    {"exchange-smtp-logs", "exchange"}, {"exchange-imap-logs", "exchange"}, {"exchange-pop-logs", "exchange"},
    {"mysql-logs", "database"}, {"mariadb-logs", "database"}, {"pgsql-logs", "database"},
    {"supabase-docker-pgsql", "database"}, {"exim-logs", "exim"}, {"proxmox-logs", "proxmox"},
};

// Folders whose sample is not a format any real tool writes, with the reason (listed in the
// report, not scored).
const std::map<std::string, std::string> k_excluded = {
    {"windows-logs",
     "the sample is Internet Explorer's rendering of event XML (\"- <Event>\", \"- <System>\" fold "
     "markers), not an export any Windows tool writes; real XML exports are read (windows-bf)"},
};

struct expected {
    std::string message, source_ip, user, log_type;
};

std::string go_unquote(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            char c = s[++i];
            out.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c);
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// The hub's successful s01-parse results, keyed by (parser, index), in order.
std::vector<expected> read_asserts(const fs::path& file) {
    // Lines look like results["s01-parse"]["parser"][3].Success == true or
    // results["s01-parse"]["parser"][3].Evt.Meta["source_ip"] == "1.2.3.4". Parsed by hand:
    // std::regex recurses per character and overflows the stack on long values under ASan.
    std::ifstream in(file);
    std::string line;
    struct entry {
        bool success = false;
        std::map<std::string, std::string> parsed, meta;
    };
    std::map<std::pair<std::string, int>, entry> parse_stage;
    auto quoted_at = [](const std::string& l, std::size_t& i, std::string& out) {
        if (l.compare(i, 2, "[\"") != 0) return false;
        auto end = l.find("\"]", i + 2);
        if (end == std::string::npos) return false;
        out = l.substr(i + 2, end - i - 2);
        i = end + 2;
        return true;
    };
    while (std::getline(in, line)) {
        std::size_t i = 7;  // after "results"
        std::string stage, parser, key;
        if (line.rfind("results", 0) != 0 || !quoted_at(line, i, stage) || stage != "s01-parse" ||
            !quoted_at(line, i, parser) || i >= line.size() || line[i] != '[')
            continue;
        auto close = line.find(']', i);
        if (close == std::string::npos) continue;
        int idx = std::atoi(line.c_str() + i + 1);
        i = close + 1;
        auto& e = parse_stage[{parser, idx}];
        if (line.compare(i, 12, ".Success == ") == 0) {
            e.success = line.compare(i + 12, 4, "true") == 0;
            continue;
        }
        bool is_parsed = line.compare(i, 11, ".Evt.Parsed") == 0;
        bool is_meta = line.compare(i, 9, ".Evt.Meta") == 0;
        if (!is_parsed && !is_meta) continue;
        i += is_parsed ? 11 : 9;
        if (!quoted_at(line, i, key) || line.compare(i, 5, " == \"") != 0 || line.back() != '"')
            continue;
        std::string value = go_unquote(line.substr(i + 5, line.size() - i - 6));
        (is_parsed ? e.parsed : e.meta)[key] = value;
    }
    std::vector<expected> out;
    for (auto& [key, e] : parse_stage) {
        if (!e.success) continue;
        expected x;
        x.message = e.parsed.count("message") ? e.parsed["message"] : "";
        x.source_ip = e.meta["source_ip"];
        for (const char* k : {"target_user", "username", "user", "source_user"})
            if (x.user.empty() && e.meta.count(k)) x.user = e.meta[k];
        // Placeholders for "no user" are absent users for us (we do not emit "N/A" or "-").
        if (x.user == "N/A" || x.user == "-") x.user.clear();
        x.log_type = e.meta["log_type"];
        out.push_back(std::move(x));
    }
    return out;
}

struct ours {
    std::string raw, message, source_ip, outcome, source_type;
    std::set<std::string> users;
    bool malformed = false;
};

std::string expected_outcome(const std::string& log_type) {
    std::string t = log_type;
    std::transform(t.begin(), t.end(), t.begin(), ::tolower);
    if (t.find("success") != std::string::npos || t.find("accepted") != std::string::npos) return "success";
    if (t.find("fail") != std::string::npos || t.find("invalid") != std::string::npos ||
        t.find("bad_pass") != std::string::npos)
        return "failure";
    return "";
}

struct folder_result {
    std::string folder, label, formats;
    std::size_t lines = 0, ok = 0, compared = 0;
    std::vector<std::string> problems;
};

folder_result run_folder(const fs::path& dir, const std::string& label) {
    folder_result r;
    r.folder = dir.filename().string();
    r.label = label;
    std::string log_file;
    {
        std::ifstream cfg(dir / "config.yaml");
        std::string l;
        while (std::getline(cfg, l))
            if (l.rfind("log_file:", 0) == 0) log_file = std::string(parse::trim(l.substr(9)));
    }
    if (log_file.empty() || !fs::exists(dir / log_file)) return r;
    std::vector<ours> got;
    ingest::scan_options opts;
    ingest::scan_stats stats;
    auto st = ingest::scan_paths({(dir / log_file).string()}, opts, [&](event_batch& b) {
        for (const auto& e : b.events()) {
            ours o;
            o.raw = e.raw;
            o.message = b.get(e, f::message);
            o.source_ip = b.get(e, f::source_ip);
            o.outcome = b.get(e, f::event_outcome);
            o.source_type = e.source_type;
            for (field_id id : {f::user_name, f::user_target_name, f::source_user_name})
                if (auto v = b.get(e, id); !v.empty()) o.users.insert(std::string(v));
            o.malformed = e.malformed();
            got.push_back(std::move(o));
        }
    }, stats);
    EXPECT_TRUE(st.ok());
    std::set<std::string> types;
    for (const auto& o : got) types.insert(o.source_type);
    for (const auto& t : types) r.formats += (r.formats.empty() ? "" : ", ") + t;

    // Hub results matched to our events by message text, in order.
    std::map<std::string, std::deque<expected>> by_message;
    for (auto& x : read_asserts(dir / "parser.assert")) by_message[x.message].push_back(x);
    r.lines = got.size();
    for (const auto& o : got) {
        std::string why;
        if (o.malformed) why = "not parsed";
        const expected* x = nullptr;
        for (const std::string& key : {o.message, o.raw}) {
            auto it = by_message.find(key);
            if (it != by_message.end() && !it->second.empty()) {
                x = &it->second.front();
                break;
            }
        }
        if (x && why.empty()) {
            ++r.compared;
            // "::ffff:1.2.3.4" is 1.2.3.4: we report IPv4-mapped addresses as IPv4.
            std::string hub_ip = x->source_ip;
            if (hub_ip.rfind("::ffff:", 0) == 0 && hub_ip.find('.') != std::string::npos) hub_ip = hub_ip.substr(7);
            if (!hub_ip.empty() && hub_ip != o.source_ip)
                why = "source.ip '" + o.source_ip + "', hub '" + x->source_ip + "'";
            else if (!x->user.empty() && !o.users.count(x->user))
                why = "user '" + (o.users.empty() ? std::string() : *o.users.begin()) + "', hub '" + x->user + "'";
            else if (auto want = expected_outcome(x->log_type); !want.empty() && want != o.outcome)
                why = "outcome '" + o.outcome + "', hub says " + x->log_type;
        }
        if (x) {
            auto it = by_message.find(x->message);
            it->second.pop_front();
        }
        if (why.empty()) ++r.ok;
        else if (r.problems.size() < 5) r.problems.push_back(why + " | " + o.raw.substr(0, 160));
    }
    return r;
}

std::vector<std::pair<fs::path, std::string>> folders_in_scope() {
    std::vector<std::pair<fs::path, std::string>> out;
    if (!fs::exists(k_hub)) return out;
    for (const auto& d : fs::directory_iterator(k_hub)) {
        if (!d.is_directory()) continue;
        std::ifstream cfg(d.path() / "config.yaml");
        std::string l, label;
        bool in_parsers = false, decided = false;
        while (std::getline(cfg, l)) {
            if (l.rfind("parsers:", 0) == 0) { in_parsers = true; continue; }
            if (!l.empty() && l[0] != '-' && l[0] != ' ') in_parsers = false;
            if (!in_parsers) continue;
            auto name = l.substr(l.rfind('/') == std::string::npos ? 0 : l.rfind('/') + 1);
            for (const char* ext : {".yaml", ".yml"})
                if (auto dot = name.find(ext); dot != std::string::npos) name.resize(dot);
            name = std::string(parse::trim(name));
            // The folder's own log format is its first parser that is not a generic stage
            // (envelope, enrichment): exchange-imap-logs + windows-logs is an Exchange log.
            static const std::set<std::string> k_generic = {
                "syslog-logs", "dateparse-enrich", "geoip-enrich", "http-logs", "whitelists",
                "non-syslog", "cri-logs", "docker-logs", "\"\"", ""};
            if (decided || k_generic.count(name)) continue;
            decided = true;
            if (auto it = k_in_scope.find(name); it != k_in_scope.end()) label = it->second;
        }
        if (!label.empty()) out.emplace_back(d.path(), label);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST(crowdsec_golden, parsers_match_hub_results) {
    auto folders = folders_in_scope();
    if (folders.empty()) GTEST_SKIP() << "crowdsec hub tests not found under " << k_hub;
    std::ostringstream md;
    md << "| hub test folder | kind | our formats | lines | ok | compared with hub | ok % |\n"
       << "|---|---|---|---:|---:|---:|---:|\n";
    std::ostringstream failures;
    std::size_t total = 0, total_ok = 0;
    for (const auto& [dir, label] : folders) {
        if (auto ex = k_excluded.find(dir.filename().string()); ex != k_excluded.end()) {
            md << "| " << ex->first << " | " << label << " | excluded | | | | " << ex->second << " |\n";
            continue;
        }
        auto r = run_folder(dir, label);
        if (r.lines == 0) continue;
        double pct = 100.0 * static_cast<double>(r.ok) / static_cast<double>(r.lines);
        total += r.lines;
        total_ok += r.ok;
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.1f", pct);
        md << "| " << r.folder << " | " << r.label << " | " << r.formats << " | " << r.lines << " | "
           << r.ok << " | " << r.compared << " | " << buf << " |\n";
        for (const auto& p : r.problems) failures << "- " << r.folder << ": " << p << "\n";
        EXPECT_GE(pct, 95.0) << r.folder << " (" << r.formats << "): " << r.ok << "/" << r.lines
                             << " lines ok; first problems:\n" << [&] {
                                    std::string s;
                                    for (const auto& p : r.problems) s += "  " + p + "\n";
                                    return s;
                                }();
    }
    md << "\nTotal: " << total_ok << " of " << total << " lines ok.\n";
    if (const char* dir = std::getenv("MIMAMORI_REPORT_DIR")) {
        std::ofstream out(std::string(dir) + "/conformance-parsers.md");
        out << md.str() << "\n### Lines that differ (first five per folder)\n\n" << failures.str();
    }
}
