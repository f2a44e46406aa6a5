#include "app/cli.hpp"

#include <iostream>

namespace mimamori::app {

std::string with_commas(std::uint64_t v) {
    std::string s = std::to_string(v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<std::size_t>(i), ",");
    return s;
}

int run_cli(int argc, char** argv) {
    CLI::App app{"Mimamori (見守り) — reads the logs a small company keeps and tells what happened."};
    app.set_version_flag("--version", std::string("mimamori 0.1.0"));
    app.require_subcommand(1);
    add_scan_command(app);
    add_formats_command(app);
    add_rules_command(app);
    add_verify_command(app);
    add_search_command(app);
    add_serve_command(app);
    add_status_command(app);
    add_demo_command(app);
    add_report_command(app);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::RuntimeError& e) {
        return e.get_exit_code();
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return 2;
    }
    return 0;
}

}  // namespace mimamori::app
