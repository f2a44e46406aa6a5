// `mimamori demo generate OUT/` and `mimamori demo evaluate OUT/`: the sample company
// (src/demo, docs/demo.md).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/cli.hpp"
#include "demo/demo.hpp"

namespace mimamori::app {

namespace {

struct demo_generate_args {
    std::string out;
    demo::generate_options opts;
    bool quiet = false;
};

struct demo_evaluate_args {
    std::string dir;
    std::string alerts;
    std::string labels;
    std::vector<std::string> rules;
    bool no_builtin = false;
    std::string cache_dir;
    std::string keep_alerts;
    bool steps = false;
};

int run_generate(const demo_generate_args& a) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = demo::generate(a.out, a.opts);
    if (!r) {
        std::cerr << "mimamori demo generate: " << r.err().message << "\n";
        return r.err().code.rfind("usage.", 0) == 0 ? 2 : 1;
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (a.quiet) return 0;
    const auto& s = r.value();
    char buf[256];
    std::snprintf(buf, sizeof buf, "%.2f", secs);
    std::cout << "Sample company written to " << a.out << ": " << with_commas(s.files.size()) << " file(s), "
              << with_commas(s.records) << " record(s), " << with_commas(s.bytes / 1024) << " KiB in " << buf
              << " s (seed " << a.opts.seed << ", " << a.opts.days << " days from " << a.opts.start << ")\n\n";
    std::uint64_t log_files = 0, log_records = 0;
    for (const auto& f : s.files)
        if (!f.format.empty()) ++log_files, log_records += f.records;
    std::snprintf(buf, sizeof buf, "  %-58s %-13s %10s %10s\n", "FILE", "FORMAT", "RECORDS", "KiB");
    std::cout << buf;
    std::size_t windows = 0, trails = 0;
    std::uint64_t win_records = 0, win_bytes = 0, ct_records = 0, ct_bytes = 0;
    for (const auto& f : s.files) {
        // The per-PC Windows files and the daily CloudTrail files are many; one row each.
        if (f.path.rfind("logs/windows/", 0) == 0 && f.path.find("-PC") != std::string::npos) {
            ++windows;
            win_records += f.records;
            win_bytes += f.bytes;
            continue;
        }
        if (f.path.rfind("logs/aws/cloudtrail/", 0) == 0) {
            ++trails;
            ct_records += f.records;
            ct_bytes += f.bytes;
            continue;
        }
        std::snprintf(buf, sizeof buf, "  %-58s %-13s %10s %10s\n", f.path.c_str(), f.format.empty() ? "(context)" : f.format.c_str(),
                      f.records ? with_commas(f.records).c_str() : "", with_commas(f.bytes / 1024).c_str());
        std::cout << buf;
    }
    if (trails) {
        std::string label = "logs/aws/cloudtrail/*.json (" + std::to_string(trails) + " region-days)";
        std::snprintf(buf, sizeof buf, "  %-58s %-13s %10s %10s\n", label.c_str(), "json", with_commas(ct_records).c_str(),
                      with_commas(ct_bytes / 1024).c_str());
        std::cout << buf;
    }
    if (windows) {
        std::string label = "logs/windows/*-PC??.ndjson (" + std::to_string(windows) + " PCs)";
        std::snprintf(buf, sizeof buf, "  %-58s %-13s %10s %10s\n", label.c_str(), "windows.json", with_commas(win_records).c_str(),
                      with_commas(win_bytes / 1024).c_str());
        std::cout << buf;
    }
    std::cout << "\nAttack stories (ground truth in " << a.out << "/labels.json; times Asia/Tokyo):\n";
    for (const auto& st : s.stories) std::cout << "  (" << st[0] << ") " << st[2] << " … " << st[3] << "  " << st[1] << "\n";
    std::cout << "\nNext: mimamori scan " << a.out << "/logs   ·   mimamori demo evaluate " << a.out << "\n";
    return 0;
}

// Run this binary's own `scan --json` over the logs and collect its stdout.
result<std::string> scan_alerts(const demo_evaluate_args& a, const std::string& logs) {
    std::vector<std::string> args = {"mimamori", "scan", "--json", "-q", logs};
    for (const auto& r : a.rules) {
        args.push_back("--rules");
        args.push_back(r);
    }
    if (a.no_builtin) args.push_back("--no-builtin-rules");
    if (!a.cache_dir.empty()) {
        args.push_back("--cache-dir");
        args.push_back(a.cache_dir);
    }
    int fds[2];
    if (::pipe(fds) != 0) return error{"io.pipe", "cannot create a pipe"};
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return error{"io.fork", "cannot start the scan"};
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::close(fds[0]);
        ::close(fds[1]);
        // The company's staff context (roster, leave, badges) for the staff_presence rules,
        // unless the caller points elsewhere.
        const std::string ctx = (std::filesystem::path(a.dir) / "context").string();
        if (!std::getenv("MIMAMORI_CONTEXT") && std::filesystem::exists(std::filesystem::path(ctx) / "roster.csv"))
            ::setenv("MIMAMORI_CONTEXT", ctx.c_str(), 1);
        std::vector<char*> argv;
        for (auto& s : args) argv.push_back(s.data());
        argv.push_back(nullptr);
        ::execv("/proc/self/exe", argv.data());
        std::perror("mimamori demo evaluate: exec");
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n > 0) out.append(buf, static_cast<std::size_t>(n));
        else if (n == 0 || errno != EINTR) break;
    }
    ::close(fds[0]);
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return error{"scan.failed", "`mimamori scan --json " + logs + "` failed (exit " +
                                        std::to_string(WIFEXITED(st) ? WEXITSTATUS(st) : -1) + ")"};
    return out;
}

bool slurp(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return true;
}

int run_evaluate(const demo_evaluate_args& a) {
    namespace fs = std::filesystem;
    std::string labels_path = a.labels.empty() ? (fs::path(a.dir) / "labels.json").string() : a.labels;
    std::string labels;
    if (!slurp(labels_path, labels)) {
        std::cerr << "mimamori demo evaluate: cannot read " << labels_path << " (made by `mimamori demo generate`)\n";
        return 2;
    }
    std::string alerts;
    std::string source;
    if (!a.alerts.empty()) {
        if (!slurp(a.alerts, alerts)) {
            std::cerr << "mimamori demo evaluate: cannot read " << a.alerts << "\n";
            return 2;
        }
        source = a.alerts;
    } else {
        std::string logs = (fs::path(a.dir) / "logs").string();
        std::cerr << "Scanning " << logs << " with detection (mimamori scan --json) ...\n";
        auto t0 = std::chrono::steady_clock::now();
        auto r = scan_alerts(a, logs);
        if (!r) {
            std::cerr << "mimamori demo evaluate: " << r.err().message << "\n";
            return 1;
        }
        alerts = std::move(r.value());
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.1f s",
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        source = "mimamori scan --json " + logs + " (" + buf + ")";
        if (!a.keep_alerts.empty()) {
            std::ofstream f(a.keep_alerts, std::ios::binary);
            f << alerts;
        }
    }
    auto ev = demo::evaluate(labels, alerts);
    if (!ev) {
        std::cerr << "mimamori demo evaluate: " << ev.err().message << "\n";
        return 1;
    }
    std::cout << "Mimamori demo evaluation: alerts from " << source << "\n";
    std::cout << "Ground truth: " << labels_path << "\n\n";
    std::cout << demo::render_evaluation(ev.value(), a.steps);
    return 0;
}

}  // namespace

void add_demo_command(CLI::App& app) {
    auto* demo = app.add_subcommand("demo", "A sample company's logs with labelled attacks, and how well they are found");
    demo->require_subcommand(1);

    auto g = std::make_shared<demo_generate_args>();
    auto* gen = demo->add_subcommand("generate", "Write a month of logs of a fictional 40-person company with four attack stories");
    gen->add_option("out", g->out, "Output folder (logs/, context/, labels.json)")->required();
    gen->add_option("--seed", g->opts.seed, "Random seed: the same seed writes the same bytes")->capture_default_str();
    gen->add_option("--start", g->opts.start, "First day, YYYY-MM-DD (Asia/Tokyo)")->capture_default_str();
    gen->add_option("--days", g->opts.days, "Number of days (7-120)")->capture_default_str();
    gen->add_flag("--force", g->opts.force, "Replace logs/, context/ and labels.json in the folder if present");
    gen->add_flag("-q,--quiet", g->quiet, "Print nothing on success");
    gen->callback([g] {
        int rc = run_generate(*g);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });

    auto e = std::make_shared<demo_evaluate_args>();
    auto* eva = demo->add_subcommand("evaluate", "Precision and recall per attack story and stage against the labels");
    eva->add_option("dir", e->dir, "Folder written by `demo generate`")->required();
    eva->add_option("--alerts", e->alerts, "Read alerts from this NDJSON file (`mimamori scan --json`) instead of scanning");
    eva->add_option("--labels", e->labels, "Ground truth (default DIR/labels.json)");
    eva->add_option("--rules", e->rules, "Passed to scan: also run the Sigma rules in this file or folder (repeatable)");
    eva->add_flag("--no-builtin-rules", e->no_builtin, "Passed to scan: run only the rules given with --rules");
    eva->add_option("--cache-dir", e->cache_dir, "Passed to scan: where compiled rules are cached");
    eva->add_option("--keep-alerts", e->keep_alerts, "Write the alerts the scan produced to this file");
    eva->add_flag("--steps", e->steps, "List every labelled step: found or not, and by which rules");
    eva->callback([e] {
        int rc = run_evaluate(*e);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
