// Detection quality on the sample company: the built-in rule pack, run by the real binary
// (`mimamori scan --json`), must find every story at every stage (c's logon needs the staff
// context), and stay
// precise. The floors are the numbers measured when they were set (docs/demo.md, "Current
// numbers") minus a small margin, so a rule change that loses a stage or floods the benign
// staff with alerts fails here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "demo/demo.hpp"

namespace fs = std::filesystem;
using namespace mimamori;
using namespace mimamori::demo;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream f(p, std::ios::binary);
    std::ostringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

std::string quoted(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += "'\\''";
        else q.push_back(c);
    }
    return q + "'";
}

class demo_detection : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new fs::path(fs::temp_directory_path() / ("mimamori_demo_detect_" + std::to_string(::getpid())));
        fs::remove_all(*s_dir);
        generate_options o;  // the default month: seed 7, 2025-04-14, 30 days
        auto g = generate(s_dir->string(), o);
        ASSERT_TRUE(g.ok()) << g.err().message;
        const fs::path alerts = *s_dir / "alerts.ndjson";
        // --cache-dir -: tests write only to their temp dir. MIMAMORI_CONTEXT: the staff context
        // (roster, leave, badges) for the staff_presence rule, as `demo evaluate` passes it.
        const std::string cmd = "MIMAMORI_CONTEXT=" + quoted((*s_dir / "context").string()) + " " +
                                quoted(MIMAMORI_BINARY) + " scan --json --quiet --cache-dir - " +
                                quoted((*s_dir / "logs").string()) + " > " + quoted(alerts.string()) + " 2> " +
                                quoted((*s_dir / "scan.err").string());
        const int rc = std::system(cmd.c_str());
        ASSERT_EQ(rc, 0) << cmd << "\n" << read_all(*s_dir / "scan.err");
        auto ev = evaluate(read_all(*s_dir / "labels.json"), read_all(alerts));
        ASSERT_TRUE(ev.ok()) << ev.err().message;
        s_eval = new evaluation(std::move(ev.value()));
    }
    static void TearDownTestSuite() {
        fs::remove_all(*s_dir);
        delete s_dir;
        delete s_eval;
    }
    static const story_score& story(const std::string& id) {
        for (const auto& s : s_eval->stories)
            if (s.id == id) return s;
        ADD_FAILURE() << "no story " << id;
        return s_eval->stories.front();
    }
    static fs::path* s_dir;
    static evaluation* s_eval;
};
fs::path* demo_detection::s_dir = nullptr;
evaluation* demo_detection::s_eval = nullptr;

}  // namespace

TEST_F(demo_detection, stories_a_and_b_are_found_at_every_stage) {
    ASSERT_NE(s_eval, nullptr);
    const std::string t = render_evaluation(*s_eval, true);
    for (const char* id : {"a", "b"}) {
        const story_score& s = story(id);
        ASSERT_EQ(s.stages.size(), 3u) << id;
        for (const auto& st : s.stages) {
            EXPECT_TRUE(st.detected()) << "story " << id << " stage " << st.stage << " not detected\n" << t;
            // No alert of the story's stage about its entities on records it did not write.
            if (st.alerts + st.near > 0) {
                EXPECT_GE(static_cast<double>(st.alerts) / static_cast<double>(st.alerts + st.near), 0.9)
                    << id << " " << st.stage << "\n" << t;
            }
        }
    }
}

TEST_F(demo_detection, step_recall_stays_at_the_measured_level) {
    ASSERT_NE(s_eval, nullptr);
    const std::string t = render_evaluation(*s_eval, true);
    // Steps that must be found (every labelled step but the ones no log can show: closing the
    // RDP session and the VPN tunnel in story a).
    std::map<std::string, bool> must = {
        {"a.entry.port_scan", true},          {"a.entry.ssh_bruteforce", true},
        {"a.entry.vpn_spray", true},          {"a.entry.vpn_login", true},
        {"a.internal.share_discovery", true}, {"a.internal.rdp", true},
        {"a.internal.discovery_commands", true}, {"a.internal.collection", true},
        {"a.internal.archive", true},         {"a.exit.upload", true},
        {"b.entry.phishing_mail", true},      {"b.internal.macro_powershell", true},
        {"b.internal.run_key", true},         {"b.exit.c2_beacon", true},
        {"b.exit.spam_direct", true},         {"b.exit.spam_relay", true},
        {"c.entry.logon_on_leave", true},     {"c.internal.hr_files", true},
        {"c.exit.mail_private", true},
        {"d.entry.key_used_abroad", true},    {"d.internal.discovery", true},
        {"d.internal.new_admin_user", true},  {"d.exit.bucket_reads", true},
    };
    std::size_t seen = 0;
    for (const auto& s : s_eval->stories)
        for (const auto& st : s.steps) {
            auto it = must.find(st.id);
            if (it == must.end()) continue;
            ++seen;
            EXPECT_GT(st.alerts, 0u) << st.id << " (" << st.what << ") is no longer detected\n" << t;
        }
    EXPECT_EQ(seen, must.size()) << "labelled steps were renamed or removed\n" << t;
    for (const char* id : {"c", "d"})
        for (const auto& st : story(id).stages) EXPECT_TRUE(st.detected()) << id << " " << st.stage << "\n" << t;
}

TEST_F(demo_detection, few_false_alarms_on_the_staff) {
    ASSERT_NE(s_eval, nullptr);
    const std::string t = render_evaluation(*s_eval);
    // Measured 2026-11-26: 4 alerts on benign activity out of ~1,100 (560 before the share and
    // upload rules were reworked). Allow a little slack, not a regression to hundreds.
    EXPECT_LE(s_eval->unrelated, 10u) << t;
    // Precision over all alerts, counting background hostility (scanners, bots) as found.
    const double found = static_cast<double>(s_eval->attributed + s_eval->background);
    ASSERT_GT(s_eval->alerts, 0u);
    EXPECT_GE(found / static_cast<double>(s_eval->alerts), 0.98) << t;
    for (const auto& s : s_eval->stories) {
        if (s.total.alerts + s.total.near > 0) {
            EXPECT_GE(static_cast<double>(s.total.alerts) / static_cast<double>(s.total.alerts + s.total.near), 0.9)
                << "story " << s.id << "\n" << t;
        }
    }
}

TEST(demo_rule_pack, every_built_in_rule_loads) {
    // A YAML slip (a colon in a plain description) rejects a whole file and silently loses its
    // rules; the story tests above would only notice if the file's rules found a step.
    const std::string cmd = quoted(MIMAMORI_BINARY) + " rules check --json 2>/dev/null";
    std::FILE* p = ::popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
    ::pclose(p);
    EXPECT_NE(out.find("\"rejected\":0,"), std::string::npos) << out;
    EXPECT_NE(out.find("\"unmapped\":0,"), std::string::npos) << out;
}
