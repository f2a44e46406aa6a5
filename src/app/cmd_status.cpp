// `mimamori status`: what the running daemon is doing (GET /api/status), or, with --db, what
// the store holds.
#include <httplib.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli.hpp"
#include "core/time.hpp"
#include "server/config.hpp"
#include "server/server.hpp"
#include "store/store.hpp"

namespace mimamori::app {

namespace {

struct status_args {
    std::string config = "mimamori.yaml";
    std::string db;
    bool json = false;
};

int store_status(const std::string& path, bool json) {
    auto db = store::open_sqlite({.path = path, .read_only = true});
    if (!db) {
        std::cerr << "mimamori status: " << db.err().message << "\n";
        return 1;
    }
    auto st = db.value()->stats();
    if (!st) {
        std::cerr << "mimamori status: " << st.err().message << "\n";
        return 1;
    }
    const auto& s = st.value();
    auto t = [](timestamp_ns ts) { return ts == k_no_time ? std::string("-") : format_rfc3339(ts); };
    if (json) {
        std::cout << "{\"events\":" << s.events << ",\"alerts\":" << s.alerts << ",\"incidents\":" << s.incidents
                  << ",\"batches\":" << s.batches << ",\"bytes\":" << s.bytes << ",\"first\":\"" << t(s.first_ts)
                  << "\",\"last\":\"" << t(s.last_ts) << "\"}\n";
    } else {
        std::cout << "store " << path << ": " << with_commas(s.events) << " event(s), " << with_commas(s.alerts)
                  << " alert(s), " << with_commas(s.incidents) << " incident(s), " << with_commas(s.bytes / (1 << 20))
                  << " MiB\n  events from " << t(s.first_ts) << " to " << t(s.last_ts) << "\n";
    }
    return 0;
}

int run_status(const status_args& a) {
    if (!a.db.empty()) return store_status(a.db, a.json);
    auto cfg = server::load_config(a.config);
    if (!cfg) {
        std::cerr << "mimamori status: " << cfg.err().message << "\n";
        return 2;
    }
    const auto& c = cfg.value();
    if (!c.http.enabled) {
        std::cerr << "mimamori status: the HTTP API is off in " << a.config << "; showing the store instead\n";
        return store_status(c.store.path, a.json);
    }
    std::string host = c.http.address == "0.0.0.0" ? "127.0.0.1" : c.http.address == "::" ? "::1" : c.http.address;
    int port = c.http.port;
    {
        // A running daemon says where it listens (the configuration may say port 0).
        std::ifstream in(server::runtime_file(c));
        std::string j((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        auto p = j.find("\"http_port\":");
        if (p != std::string::npos) port = std::atoi(j.c_str() + p + 12);
    }
    httplib::Client cli(host, port);
    cli.set_connection_timeout(3);
    cli.set_read_timeout(10);
    auto res = cli.Get("/api/status", {{"Authorization", "Bearer " + c.http.token}});
    if (!res) {
        std::cout << "mimamori is not running (nothing answers on " << host << ":" << port << ")\n";
        return 3;
    }
    if (res->status != 200) {
        std::cerr << "mimamori status: the daemon answered " << res->status << ": " << res->body << "\n";
        return 1;
    }
    if (a.json) {
        std::cout << res->body << "\n";
        return 0;
    }
    // A compact human view of the JSON: the daemon's own renderer is the JSON, so print it as
    // key: value lines without a JSON parser here.
    std::cout << "mimamori is running (" << host << ":" << port << ")\n" << res->body << "\n";
    return 0;
}

}  // namespace

void add_status_command(CLI::App& app) {
    auto a = std::make_shared<status_args>();
    auto* cmd = app.add_subcommand("status", "Show what the running daemon is doing (or, with --db, what the store holds)");
    cmd->add_option("-c,--config", a->config, "Daemon configuration (for the API address and token)")->capture_default_str();
    cmd->add_option("--db", a->db, "Show the counts of this store file instead");
    cmd->add_flag("--json", a->json, "Print JSON");
    cmd->callback([a] {
        int rc = run_status(*a);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
