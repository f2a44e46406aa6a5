// Files → load_result: read, compile, apply filters, collect problems.
#include "detect/sigma/loader.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "detect/sigma/reader.hpp"

namespace mimamori::sigma {

namespace fs = std::filesystem;

std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h) {
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

std::vector<std::string> rule_files(const std::vector<std::string>& paths, std::vector<std::string>& missing) {
    std::vector<std::string> out;
    auto is_yaml = [](const fs::path& p) {
        auto ext = p.extension().string();
        return ext == ".yml" || ext == ".yaml";
    };
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> here;
            for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
                 !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
                if (it->is_regular_file(ec) && is_yaml(it->path())) here.push_back(it->path().string());
            }
            std::sort(here.begin(), here.end());
            out.insert(out.end(), here.begin(), here.end());
        } else if (fs::is_regular_file(p, ec)) {
            out.push_back(p);
        } else {
            missing.push_back(p);
        }
    }
    return out;
}

load_result load_rules(const std::vector<std::string>& paths, const load_options& opts) {
    load_result res;
    std::vector<std::string> missing;
    auto files = rule_files(paths, missing);
    for (const auto& m : missing) {
        rejected_doc r;
        r.file = m;
        problem p;
        p.file = m;
        p.code = "io.missing";
        p.message = "no such file or folder";
        r.problems.push_back(std::move(p));
        res.rejected.push_back(std::move(r));
    }

    placeholders ph;
    compile_options copts;
    std::uint64_t h = fnv1a("mimamori-sigma-rules");
    if (!opts.placeholders_file.empty()) {
        std::ifstream in(opts.placeholders_file, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        h = fnv1a(ss.str(), h);
        if (auto why = load_placeholders(opts.placeholders_file, ph); !why.empty()) {
            problem p;
            p.file = opts.placeholders_file;
            p.code = "placeholders.file";
            p.message = "cannot read placeholder values: " + why;
            res.warnings.push_back(std::move(p));
        }
        copts.ph = &ph;
    }

    read_result rr;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            problem p;
            p.file = f;
            p.code = "io.open";
            p.message = "cannot open the file";
            rr.file_problems.push_back(std::move(p));
            continue;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str();
        h = fnv1a(f, h);
        h = fnv1a(text, h);
        read_text(text, f, rr);
        ++res.files;
    }
    res.content_hash = h;
    for (auto& p : rr.file_problems) {
        rejected_doc r;
        r.file = p.file;
        r.line = p.line;
        r.problems.push_back(std::move(p));
        res.rejected.push_back(std::move(r));
    }

    std::vector<rule_ir> filters_ir;
    std::unordered_map<std::string, std::size_t> by_ref;  // id and name → index in res.rules
    for (auto& item : rr.items) {
        ++res.documents;
        auto doc = std::shared_ptr<const rule_doc>(item.doc);
        std::vector<problem> probs = std::move(item.problems);
        bool ok = true;
        for (const auto& p : probs) ok &= p.sev != severity::error;
        rule_ir ir;
        if (doc->kind == doc_kind::correlation) {
            for (auto& p : probs) res.warnings.push_back(std::move(p));
            res.correlations.push_back(doc);
            continue;
        }
        if (ok) ok = compile_rule(doc, copts, ir, probs);
        else {
            std::vector<problem> more;
            (void)compile_rule(doc, copts, ir, more);  // still report compiler findings
            for (auto& p : more) probs.push_back(std::move(p));
        }
        if (!ok) {
            rejected_doc r;
            r.doc = doc;
            r.file = doc->file;
            r.line = doc->line;
            r.problems = std::move(probs);
            res.rejected.push_back(std::move(r));
            continue;
        }
        for (auto& p : probs) res.warnings.push_back(std::move(p));
        if (doc->kind == doc_kind::filter) {
            res.filters.push_back(doc);
            filters_ir.push_back(std::move(ir));
            continue;
        }
        if (doc->level.empty() || (doc->level != "informational" && doc->level != "low" && doc->level != "medium" &&
                                   doc->level != "high" && doc->level != "critical")) {
            problem p;
            p.sev = severity::warning;
            p.file = doc->file;
            p.line = doc->line;
            p.rule_id = doc->id;
            p.title = doc->title;
            p.code = "level.unknown";
            p.message = doc->level.empty() ? "the rule has no 'level'; alerts will say 'medium'"
                                           : "unknown level '" + doc->level + "' (informational, low, medium, high, critical)";
            res.warnings.push_back(std::move(p));
        }
        if (!doc->id.empty()) {
            if (by_ref.count(doc->id)) {
                problem p;
                p.sev = severity::warning;
                p.file = doc->file;
                p.line = doc->line;
                p.rule_id = doc->id;
                p.title = doc->title;
                p.code = "id.duplicate";
                p.message = "another rule has the same id (" + res.rules[by_ref[doc->id]].doc->file + ")";
                res.warnings.push_back(std::move(p));
            }
            by_ref[doc->id] = res.rules.size();
        }
        if (!doc->name.empty()) by_ref[doc->name] = res.rules.size();
        res.rules.push_back(std::move(ir));
    }

    for (std::size_t i = 0; i < filters_ir.size(); ++i) {
        const auto& fdoc = *res.filters[i];
        for (const auto& target : fdoc.target_rules) {
            auto it = by_ref.find(target);
            if (it == by_ref.end()) {
                problem p;
                p.sev = severity::warning;
                p.file = fdoc.file;
                p.line = fdoc.line;
                p.rule_id = fdoc.id;
                p.title = fdoc.title;
                p.code = "filter.target";
                p.message = "the filter names rule '" + target + "', which is not loaded";
                res.warnings.push_back(std::move(p));
                continue;
            }
            apply_filter(res.rules[it->second], filters_ir[i]);
        }
    }
    return res;
}

}  // namespace mimamori::sigma
