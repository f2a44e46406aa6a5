// `mimamori rules check PATH...` and `mimamori rules list [PATH...]`: what loads, what does
// not and why, in words a tired IT generalist can act on (--json for machines).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>

#include "app/cli.hpp"
#include "core/event.hpp"
#include "detect/alert.hpp"
#include "detect/ruleset/engine.hpp"

namespace mimamori::app {

namespace {

struct rules_args {
    std::vector<std::string> paths;
    bool json = false;
    bool builtin = false;
    std::string data_dir;
};

std::string where(const sigma::problem& p) {
    std::string s = p.file;
    if (p.line) s += ":" + std::to_string(p.line);
    if (p.line && p.column) s += ":" + std::to_string(p.column);
    return s;
}

void problem_json(const sigma::problem& p, std::string& out) {
    out += "{\"severity\":";
    append_json_string(out, p.sev == sigma::severity::error ? "error" : "warning");
    out += ",\"file\":";
    append_json_string(out, p.file);
    out += ",\"line\":" + std::to_string(p.line) + ",\"column\":" + std::to_string(p.column) + ",\"rule_id\":";
    append_json_string(out, p.rule_id);
    out += ",\"title\":";
    append_json_string(out, p.title);
    out += ",\"code\":";
    append_json_string(out, p.code);
    out += ",\"message\":";
    append_json_string(out, p.message);
    out += "}";
}

std::unique_ptr<detect::engine> load(const rules_args& a, bool compile) {
    detect::engine_options o;
    o.rule_paths = a.paths;
    o.builtin = a.builtin || a.paths.empty();
    o.data_dir = a.data_dir;
    o.compile = compile;
    auto e = detect::load_engine(o);
    if (!e) {
        std::cerr << "mimamori rules: " << e.err().message << "\n";
        return nullptr;
    }
    return std::move(e.value());
}

int run_check(const rules_args& a) {
    auto eng = load(a, true);
    if (!eng) return 2;
    const auto& L = eng->loaded;
    const auto& rs = *eng->rules;
    std::size_t unmapped = rs.stats().unmapped_rules;
    std::map<std::string, std::size_t> unmapped_by_ls;
    for (std::uint32_t i = 0; i < rs.rules().size(); ++i)
        if (!rs.mapped(i)) ++unmapped_by_ls[rs.rules()[i].doc->ls.to_string()];

    if (a.json) {
        std::string out = "{\"files\":" + std::to_string(L.files) + ",\"documents\":" + std::to_string(L.documents) +
                          ",\"loaded\":" + std::to_string(L.rules.size()) + ",\"filters\":" +
                          std::to_string(L.filters.size()) + ",\"correlations\":" + std::to_string(L.correlations.size()) +
                          ",\"rejected\":" + std::to_string(L.rejected.size()) + ",\"unmapped\":" + std::to_string(unmapped) +
                          ",\"load_seconds\":" + std::to_string(eng->load_seconds) +
                          ",\"compile_seconds\":" + std::to_string(eng->compile_seconds) + ",\"rejected_documents\":[";
        for (std::size_t i = 0; i < L.rejected.size(); ++i) {
            const auto& r = L.rejected[i];
            if (i) out += ",";
            out += "{\"file\":";
            append_json_string(out, r.file);
            out += ",\"line\":" + std::to_string(r.line) + ",\"id\":";
            append_json_string(out, r.doc ? r.doc->id : std::string());
            out += ",\"title\":";
            append_json_string(out, r.doc ? r.doc->title : std::string());
            out += ",\"problems\":[";
            for (std::size_t k = 0; k < r.problems.size(); ++k) {
                if (k) out += ",";
                problem_json(r.problems[k], out);
            }
            out += "]}";
        }
        out += "],\"warnings\":[";
        for (std::size_t i = 0; i < L.warnings.size(); ++i) {
            if (i) out += ",";
            problem_json(L.warnings[i], out);
        }
        out += "],\"unmapped_logsources\":{";
        bool first = true;
        for (const auto& [ls, n] : unmapped_by_ls) {
            if (!first) out += ",";
            first = false;
            append_json_string(out, ls);
            out += ":" + std::to_string(n);
        }
        out += "}}\n";
        std::cout << out;
        return L.rejected.empty() ? 0 : 1;
    }

    char buf[256];
    std::cout << "Sigma rules: " << with_commas(L.documents) << " document(s) in " << with_commas(L.files) << " file(s)\n\n";
    std::snprintf(buf, sizeof buf, "  %-13s %8s", "loaded", with_commas(L.rules.size()).c_str());
    std::cout << buf;
    if (!L.rules.empty())
        std::cout << "   (" << with_commas(L.rules.size() - unmapped) << " run on logs Mimamori reads, "
                  << with_commas(unmapped) << " wait for a log source Mimamori does not read yet)";
    std::cout << "\n";
    std::snprintf(buf, sizeof buf, "  %-13s %8s\n", "filters", with_commas(L.filters.size()).c_str());
    std::cout << buf;
    std::snprintf(buf, sizeof buf, "  %-13s %8s", "correlation", with_commas(L.correlations.size()).c_str());
    std::cout << buf << (L.correlations.empty() ? "\n" : "   (correlation rules run in a later version)\n");
    std::snprintf(buf, sizeof buf, "  %-13s %8s\n", "rejected", with_commas(L.rejected.size()).c_str());
    std::cout << buf;
    std::snprintf(buf, sizeof buf, "\n  loading took %.2f s, compiling %.2f s%s\n", eng->load_seconds, eng->compile_seconds,
                  rs.stats().cache_hit ? " (compiled rules came from the cache)" : "");
    std::cout << buf;

    if (!L.rejected.empty()) {
        std::cout << "\nRejected — these rules do not run until fixed:\n";
        for (const auto& r : L.rejected) {
            std::cout << "\n  " << r.file;
            if (r.line) std::cout << ":" << r.line;
            if (r.doc && !r.doc->title.empty()) std::cout << "  \"" << r.doc->title << "\"";
            if (r.doc && !r.doc->id.empty()) std::cout << "  (" << r.doc->id << ")";
            std::cout << "\n";
            for (const auto& p : r.problems) {
                if (p.sev != sigma::severity::error) continue;
                std::cout << "      line " << p.line;
                if (p.column) std::cout << ", column " << p.column;
                std::cout << ": " << p.message << "\n";
            }
        }
    }
    if (!unmapped_by_ls.empty()) {
        std::vector<std::pair<std::size_t, std::string>> v;
        for (const auto& [ls, n] : unmapped_by_ls) v.emplace_back(n, ls);
        std::sort(v.rbegin(), v.rend());
        std::cout << "\nLoaded but waiting for a log source (add it to mappings/sigma/logsources.yaml when you collect it):\n";
        std::size_t shown = 0;
        for (const auto& [n, ls] : v) {
            if (shown++ == 12) {
                std::cout << "      ... and " << v.size() - 12 << " more (see --json)\n";
                break;
            }
            std::snprintf(buf, sizeof buf, "  %6zu  %s\n", n, ls.c_str());
            std::cout << buf;
        }
    }
    if (!L.warnings.empty()) {
        std::cout << "\nWarnings (" << L.warnings.size() << "; the rules still run):\n";
        std::size_t shown = 0;
        for (const auto& w : L.warnings) {
            if (shown++ == 10) {
                std::cout << "  ... and " << L.warnings.size() - 10 << " more (see --json)\n";
                break;
            }
            std::cout << "  " << where(w) << ": " << w.message << "\n";
        }
    }
    return L.rejected.empty() ? 0 : 1;
}

int run_list(const rules_args& a) {
    auto eng = load(a, false);
    if (!eng) return 2;
    auto rules = eng->loaded.rules;
    std::sort(rules.begin(), rules.end(), [](const auto& x, const auto& y) {
        int lx = detect::level_rank(x.doc->level), ly = detect::level_rank(y.doc->level);
        return lx != ly ? lx > ly : x.doc->title < y.doc->title;
    });
    if (a.json) {
        std::string out;
        for (const auto& r : rules) {
            const auto& d = *r.doc;
            out += "{\"id\":";
            append_json_string(out, d.id);
            out += ",\"title\":";
            append_json_string(out, d.title);
            out += ",\"level\":";
            append_json_string(out, d.level);
            out += ",\"status\":";
            append_json_string(out, d.status);
            out += ",\"logsource\":";
            append_json_string(out, d.ls.to_string());
            out += ",\"tags\":[";
            for (std::size_t i = 0; i < d.tags.size(); ++i) {
                if (i) out += ",";
                append_json_string(out, d.tags[i]);
            }
            out += "],\"file\":";
            append_json_string(out, d.file);
            out += "}\n";
        }
        std::cout << out;
        return 0;
    }
    char buf[1024];
    std::snprintf(buf, sizeof buf, "%-36s  %-8s  %-32s  %-60s  %s\n", "ID", "LEVEL", "LOG SOURCE", "TITLE", "TAGS");
    std::cout << buf;
    for (const auto& r : rules) {
        const auto& d = *r.doc;
        std::string tags;
        for (const auto& t : d.tags) tags += (tags.empty() ? "" : " ") + t;
        std::string title = d.title.size() > 60 ? d.title.substr(0, 57) + "..." : d.title;
        std::snprintf(buf, sizeof buf, "%-36s  %-8s  %-32s  %-60s  %s\n", d.id.c_str(), d.level.c_str(),
                      d.ls.to_string().c_str(), title.c_str(), tags.c_str());
        std::cout << buf;
    }
    std::cout << "\n" << with_commas(rules.size()) << " rule(s)\n";
    return 0;
}

}  // namespace

void add_rules_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("rules", "Check and list Sigma detection rules");
    cmd->require_subcommand(1);
    auto ca = std::make_shared<rules_args>();
    auto* check = cmd->add_subcommand("check", "Load rules and tell which load, which do not and why");
    check->add_option("paths", ca->paths, "Rule files or folders (default: the built-in rules)");
    check->add_flag("--json", ca->json, "One JSON object with counts, rejected rules and their problems");
    check->add_flag("--builtin", ca->builtin, "Also load the built-in rules when paths are given");
    check->add_option("--data-dir", ca->data_dir, "Folder with mappings/ and rules/ (default: the installed data)");
    check->callback([ca] {
        int rc = run_check(*ca);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
    auto la = std::make_shared<rules_args>();
    auto* list = cmd->add_subcommand("list", "List rules: id, level, log source, title, tags");
    list->add_option("paths", la->paths, "Rule files or folders (default: the built-in rules)");
    list->add_flag("--json", la->json, "One JSON object per rule");
    list->add_flag("--builtin", la->builtin, "Also list the built-in rules when paths are given");
    list->add_option("--data-dir", la->data_dir, "Folder with mappings/ and rules/ (default: the installed data)");
    list->callback([la] {
        int rc = run_list(*la);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
