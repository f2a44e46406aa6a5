// `mimamori formats`: the formats this build reads.
#include <iostream>

#include "app/cli.hpp"
#include "ingest/file_format.hpp"
#include "parse/parser.hpp"

namespace mimamori::app {

void add_formats_command(CLI::App& app) {
    auto* cmd = app.add_subcommand("formats", "List the log formats this build reads");
    cmd->callback([] {
        std::cout << "Line formats (detected per file, then per line):\n";
        for (const auto& f : parse::formats()) std::cout << "  " << f.name << "\n";
        std::cout << "Whole-file formats (detected by content):\n";
        for (const auto& f : ingest::whole_file_formats()) std::cout << "  " << f.name << "\n";
    });
}

}  // namespace mimamori::app
