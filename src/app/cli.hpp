#pragma once
/// The command line. `main` only calls run_cli; each subcommand lives in its own cmd_*.cpp and
/// registers itself with the CLI11 app through add_* functions declared here.
#include <CLI/CLI.hpp>

namespace mimamori::app {

/// Parse argv and run the chosen subcommand; returns the process exit code
/// (0 ok, 1 findings-independent failure, 2 usage error).
int run_cli(int argc, char** argv);

void add_scan_command(CLI::App& app);
void add_formats_command(CLI::App& app);
void add_rules_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_search_command(CLI::App& app);
void add_verify_command(CLI::App& app);
void add_status_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_report_command(CLI::App& app);

/// Format 12345678 as "12,345,678".
std::string with_commas(std::uint64_t v);

}  // namespace mimamori::app
