// Conformance on SigmaHQ's regression data: every info.yml names a rule and a sample; the rule
// must match the sample at least match_count times. Samples are read through ingest::scan_paths
// (the same code `mimamori scan` uses): the .evtx when an "evtx" whole-file format is
// registered, else the .json export beside it. Also a differential test: the compiled ruleset
// (Hyperscan) and the reference interpreter must agree on every rule and every sample event.
//
// Set MIMAMORI_CONFORMANCE_REPORT=FILE to write the per-test results (used for
// docs/sigma-conformance.md).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "detect/ruleset/ruleset.hpp"
#include "detect/sigma/interpreter.hpp"
#include "detect/sigma/loader.hpp"
#include "ingest/file_format.hpp"
#include "ingest/scan.hpp"

namespace mimamori {
namespace {

namespace fs = std::filesystem;
const std::string k_shared = MIMAMORI_SHARED_DIR;
const std::string k_repo = MIMAMORI_SOURCE_DIR;

struct regression_case {
    std::string info, rule_id, title, sample;
    int match_count = 1;
};

std::vector<std::string> rule_dirs() {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(k_shared + "/sigma"))
        if (e.is_directory() && e.path().filename().string().rfind("rules", 0) == 0) out.push_back(e.path().string());
    std::sort(out.begin(), out.end());
    return out;
}

bool evtx_registered() {
    for (const auto& f : ingest::whole_file_formats())
        if (f.name == "evtx") return true;
    return false;
}

std::vector<regression_case> cases() {
    std::vector<regression_case> out;
    std::string root = k_shared + "/sigma/regression_data";
    if (!fs::exists(root)) return out;
    bool use_evtx = evtx_registered();
    for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.path().filename() != "info.yml") continue;
        regression_case c;
        c.info = e.path().string();
        YAML::Node n = YAML::LoadFile(c.info);
        c.rule_id = n["rule_metadata"][0]["id"].as<std::string>();
        c.title = n["rule_metadata"][0]["title"].as<std::string>("");
        auto tests = n["regression_tests_info"];
        if (!tests.IsDefined() || !tests.IsSequence() || tests.size() == 0) continue;  // test commented out
        auto t = tests[0];
        if (t["match_count"]) c.match_count = t["match_count"].as<int>();
        fs::path dir = e.path().parent_path();
        fs::path evtx, json;
        for (const auto& f : fs::directory_iterator(dir)) {
            if (f.path().extension() == ".evtx") evtx = f.path();
            if (f.path().extension() == ".json") json = f.path();
        }
        c.sample = (use_evtx && !evtx.empty()) ? evtx.string() : json.string();
        out.push_back(std::move(c));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.info < b.info; });
    return out;
}

struct owned_batch {
    std::vector<std::unique_ptr<event_batch>> batches;
};

// Read a sample into batches we keep (scan_paths clears its batch after the sink returns, so we
// re-add every event to a batch of our own).
owned_batch read_sample(const std::string& path) {
    owned_batch out;
    ingest::scan_options opts;
    ingest::scan_stats st;
    auto sink = [&](event_batch& b) {
        auto nb = std::make_unique<event_batch>();
        for (const auto& e : b.events()) {
            auto& ne = nb->begin();
            ne.ts = e.ts;
            ne.source_type = nb->copy(e.source_type);
            ne.raw = nb->copy(e.raw);
            ne.file = nb->copy(e.file);
            ne.line = e.line;
            ne.parse_error = nb->copy(e.parse_error);
            for (const auto& fl : b.fields(e)) nb->add(fl.id, nb->copy(fl.value), fl.kind);
            nb->commit();
        }
        out.batches.push_back(std::move(nb));
    };
    (void)ingest::scan_paths({path}, opts, sink, st);
    return out;
}

struct fixture {
    sigma::load_result loaded;
    std::unique_ptr<detect::ruleset> rs;
    detect::logsource_map map;
    std::map<std::string, std::uint32_t> by_id;
    std::string cache;
};

fixture& shared_fixture() {
    static fixture* f = [] {
        auto* fx = new fixture;
        sigma::load_options lo;
        lo.placeholders_file = k_repo + "/mappings/sigma/placeholders.yaml";
        fx->loaded = sigma::load_rules(rule_dirs(), lo);
        auto m = detect::logsource_map::load(k_repo + "/mappings/sigma/logsources.yaml");
        EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.err().message);
        if (m.ok()) fx->map = m.value();
        char tmpl[] = "/tmp/mimamori_conformance_XXXXXX";
        fx->cache = mkdtemp(tmpl);
        detect::ruleset_options o;
        o.cache_dir = fx->cache;
        auto rs = detect::ruleset::build(fx->loaded.rules, fx->map, o);
        EXPECT_TRUE(rs.ok());
        if (rs.ok()) fx->rs = std::move(rs.value());
        for (std::uint32_t i = 0; i < fx->rs->rules().size(); ++i) fx->by_id[fx->rs->rules()[i].doc->id] = i;
        return fx;
    }();
    return *f;
}

// Reference: does rule r match event e, by the mapping and the interpreter?
bool reference_match(const fixture& fx, const sigma::rule_ir& r, const event_batch& b, const event& e) {
    const auto* srcs = fx.map.find(r.doc->ls);
    if (!srcs) return false;
    static const field_id k_eid = intern("EventID"), k_ch = intern("Channel"), k_pv = intern("Provider_Name");
    auto ieq = [](std::string_view a, std::string_view c) {
        if (a.size() != c.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(c[i]))) return false;
        return true;
    };
    for (const auto& s : *srcs) {
        if (s.source_type != e.source_type) continue;
        if (!s.event_ids.empty()) {
            auto v = b.get(e, k_eid);
            bool ok = false;
            for (auto id : s.event_ids) ok = ok || v == std::to_string(id);
            if (!ok) continue;
        }
        if (!s.channels.empty()) {
            bool ok = false;
            for (const auto& c : s.channels) ok = ok || ieq(c, b.get(e, k_ch));
            if (!ok) continue;
        }
        if (!s.providers.empty()) {
            bool ok = false;
            for (const auto& c : s.providers) ok = ok || ieq(c, b.get(e, k_pv));
            if (!ok) continue;
        }
        if (sigma::interpret(r, b, e, &s.aliases)) return true;
    }
    return false;
}

TEST(SigmaConformance, RegressionData) {
    auto cs = cases();
    if (cs.empty()) GTEST_SKIP() << "no regression data under " << k_shared;
    auto& fx = shared_fixture();
    ASSERT_TRUE(fx.rs);
    auto scratch = fx.rs->make_scratch();
    std::size_t pass = 0;
    std::string report;
    std::vector<std::string> failures;
    for (const auto& c : cs) {
        auto sample = read_sample(c.sample);
        std::size_t events = 0;
        int got = 0;
        std::string why;
        auto it = fx.by_id.find(c.rule_id);
        if (it == fx.by_id.end()) {
            why = "rule not loaded";
            for (const auto& rj : fx.loaded.rejected)
                if (rj.doc && rj.doc->id == c.rule_id && !rj.problems.empty()) why = "rule rejected: " + rj.problems[0].message;
        } else {
            std::vector<detect::rule_match> out;
            for (const auto& b : sample.batches) {
                events += b->size();
                out.clear();
                fx.rs->match(*b, *scratch, out);
                for (const auto& mt : out) got += mt.rule == it->second;
            }
            if (got < c.match_count) {
                // Why not: no source mapping, or the reference disagrees, or the rule does not match.
                const auto& r = fx.rs->rules()[it->second];
                int ref = 0;
                for (const auto& b : sample.batches)
                    for (const auto& e : b->events()) ref += reference_match(fx, r, *b, e);
                if (!fx.rs->mapped(it->second)) why = "logsource " + r.doc->ls.to_string() + " is not mapped";
                else if (events == 0) why = "sample has no events";
                else why = "matched " + std::to_string(got) + " of " + std::to_string(c.match_count) +
                           " (reference interpreter: " + std::to_string(ref) + ")";
            }
        }
        bool ok = got >= c.match_count;
        pass += ok;
        std::string rel = c.info.substr(k_shared.size() + 1);
        report += (ok ? "PASS\t" : "FAIL\t") + c.rule_id + "\t" + c.title + "\t" + rel + "\t" + std::to_string(got) + "/" +
                  std::to_string(c.match_count) + "\t" + why + "\n";
        if (!ok) failures.push_back(c.rule_id + " " + c.title + ": " + why + " [" + c.sample + "]");
    }
    if (const char* rp = std::getenv("MIMAMORI_CONFORMANCE_REPORT"); rp && *rp) std::ofstream(rp) << report;
    double rate = 100.0 * static_cast<double>(pass) / static_cast<double>(cs.size());
    std::string list;
    for (const auto& f : failures) list += "  " + f + "\n";
    std::printf("conformance: %zu of %zu passed (%.1f%%)\n%s", pass, cs.size(), rate, list.c_str());
    EXPECT_GE(rate, 98.0) << list;
}

TEST(SigmaConformance, LoadRate) {
    auto& fx = shared_fixture();
    std::size_t rejected_rules = fx.loaded.rejected.size();
    std::size_t total = fx.loaded.rules.size() + fx.loaded.filters.size() + fx.loaded.correlations.size() + rejected_rules;
    ASSERT_GT(total, 1000u);
    double rate = 100.0 * static_cast<double>(total - rejected_rules) / static_cast<double>(total);
    std::printf("load: %zu of %zu documents loaded (%.2f%%)\n", total - rejected_rules, total, rate);
    for (const auto& r : fx.loaded.rejected) {
        ASSERT_FALSE(r.problems.empty()) << r.file << ": rejected without a reason";
        EXPECT_FALSE(r.problems[0].message.empty());
    }
    EXPECT_GE(rate, 99.0);
}

// Hyperscan path == interpreter on every rule and every regression event.
TEST(SigmaConformance, CompiledMatchesInterpreter) {
    auto cs = cases();
    if (cs.empty()) GTEST_SKIP();
    auto& fx = shared_fixture();
    ASSERT_TRUE(fx.rs);
    auto scratch = fx.rs->make_scratch();
    std::size_t events = 0, checked = 0, disagreements = 0;
    std::string detail;
    const auto& rules = fx.rs->rules();
    for (const auto& c : cs) {
        auto sample = read_sample(c.sample);
        for (const auto& b : sample.batches) {
            std::vector<detect::rule_match> out;
            fx.rs->match(*b, *scratch, out);
            std::set<std::pair<std::uint32_t, std::uint32_t>> compiled;
            for (const auto& m : out) compiled.emplace(m.event, m.rule);
            for (std::uint32_t ei = 0; ei < b->size(); ++ei) {
                ++events;
                for (std::uint32_t r = 0; r < rules.size(); ++r) {
                    bool ref = reference_match(fx, rules[r], *b, (*b)[ei]);
                    bool got = compiled.count({ei, r}) > 0;
                    ++checked;
                    if (ref != got) {
                        ++disagreements;
                        if (disagreements < 20)
                            detail += "  " + rules[r].doc->id + " " + rules[r].doc->title + " on " + c.sample +
                                      " event " + std::to_string(ei) + ": compiled " + (got ? "match" : "no match") +
                                      ", interpreter " + (ref ? "match" : "no match") + "\n";
                    }
                }
            }
        }
    }
    std::printf("differential: %zu events x %zu rules = %zu decisions, %zu disagreements\n", events, rules.size(),
                checked, disagreements);
    EXPECT_EQ(disagreements, 0u) << detail;
}

}  // namespace
}  // namespace mimamori
