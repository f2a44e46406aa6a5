// `mimamori verify`: walk the store's hash chain and report the first broken link.
#include <iostream>
#include <memory>

#include "app/cli.hpp"
#include "server/config.hpp"
#include "store/store.hpp"

namespace mimamori::app {

namespace {

struct verify_args {
    std::string config;
    std::string db;
    bool json = false;
};

int run_verify(const verify_args& a) {
    std::string path = a.db;
    if (path.empty()) {
        auto cfg = server::load_config(a.config.empty() ? std::string("mimamori.yaml") : a.config);
        if (!cfg) {
            std::cerr << "mimamori verify: " << cfg.err().message << "\n";
            return 2;
        }
        path = cfg.value().store.path;
    }
    auto st = store::open_sqlite({.path = path, .read_only = true});
    if (!st) {
        std::cerr << "mimamori verify: " << st.err().message << "\n";
        return 2;
    }
    auto rep = st.value()->verify();
    if (!rep) {
        std::cerr << "mimamori verify: " << rep.err().message << "\n";
        return 2;
    }
    const auto& r = rep.value();
    if (a.json) {
        std::string out = "{\"ok\":";
        out += r.ok ? "true" : "false";
        out += ",\"batches\":" + std::to_string(r.batches) + ",\"events\":" + std::to_string(r.events) +
               ",\"alerts\":" + std::to_string(r.alerts) + ",\"pruned_through\":" + std::to_string(r.pruned_through);
        if (!r.ok) {
            out += ",\"broken_batch\":" + std::to_string(r.broken_batch) + ",\"reason\":";
            append_json_string(out, r.reason);
        } else {
            out += ",\"head\":\"" + r.head + "\"";
        }
        out += "}\n";
        std::cout << out;
    } else if (r.ok) {
        std::cout << "ok: " << with_commas(r.batches) << " batch(es), " << with_commas(r.events) << " event(s), "
                  << with_commas(r.alerts) << " alert(s) verified\n";
        if (r.pruned_through > 0)
            std::cout << "batches 1-" << r.pruned_through << " were removed by retention; the chain starts after them\n";
        std::cout << "head: " << r.head << "\n";
    } else {
        std::cout << "BROKEN at batch " << r.broken_batch << ": " << r.reason << "\n"
                  << "(" << with_commas(r.batches) << " batch(es) before it verified)\n";
    }
    return r.ok ? 0 : 1;
}

}  // namespace

void add_verify_command(CLI::App& app) {
    auto a = std::make_shared<verify_args>();
    auto* cmd = app.add_subcommand("verify", "Check the store's hash chain: report the first batch that was changed");
    cmd->add_option("-c,--config", a->config, "Daemon configuration (for the store path)");
    cmd->add_option("--db", a->db, "Store file (instead of the configuration's)");
    cmd->add_flag("--json", a->json, "Print the report as JSON");
    cmd->callback([a] {
        int rc = run_verify(*a);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
