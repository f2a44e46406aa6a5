// `mimamori serve -c mimamori.yaml`: the collection daemon (src/server/).
#include <signal.h>

#include <cstring>
#include <iostream>
#include <memory>

#include "app/cli.hpp"
#include "app/serve_detect.hpp"
#include "server/server.hpp"

namespace mimamori::app {

namespace {

struct serve_args {
    std::string config = "mimamori.yaml";
    std::string ready_file;
    bool check = false;
};

int run_serve(const serve_args& a) {
    auto cfg = server::load_config(a.config);
    if (!cfg) {
        std::cerr << "mimamori serve: " << cfg.err().message << "\n";
        return 2;
    }
    auto detect = make_serve_detect(cfg.value());
    if (!detect) {
        std::cerr << "mimamori serve: " << detect.err().message << "\n";
        return 2;
    }
    if (a.check) {
        std::cout << "configuration ok: " << cfg.value().syslog.size() << " syslog listener(s), "
                  << cfg.value().files.size() << " file input(s), http " << (cfg.value().http.enabled ? "on" : "off")
                  << ", store " << cfg.value().store.path << "\n";
        return 0;
    }
    // Signals are taken synchronously by this thread; every thread started below inherits the
    // blocked mask, so none of them is interrupted.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    signal(SIGPIPE, SIG_IGN);

    server::serve_options opts;
    opts.ready_file = a.ready_file;
    opts.detect = std::move(detect.value());
    auto d = server::daemon::start(cfg.value(), std::move(opts));
    if (!d) {
        std::cerr << "mimamori serve: " << d.err().message << "\n";
        return 1;
    }
    std::cerr << "mimamori serve: running " << d.value()->ready_json() << "\n";
    while (true) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0) continue;
        if (sig == SIGHUP) {
            std::cerr << "mimamori serve: SIGHUP: reloading rules and intel lists\n";
            d.value()->reload();
            continue;
        }
        std::cerr << "mimamori serve: " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ": flushing and stopping\n";
        d.value()->stop();
        std::cerr << "mimamori serve: stopped cleanly\n";
        return 0;
    }
}

}  // namespace

void add_serve_command(CLI::App& app) {
    auto a = std::make_shared<serve_args>();
    auto* cmd = app.add_subcommand("serve", "Run the collection daemon: syslog, file followers, HTTP ingest, detection, store");
    cmd->add_option("-c,--config", a->config, "Configuration file (see examples/mimamori.yaml)")->capture_default_str();
    cmd->add_option("--ready-file", a->ready_file, "Write the pid and bound ports as JSON to FILE once listening");
    cmd->add_flag("--check", a->check, "Check the configuration and exit");
    cmd->callback([a] {
        int rc = run_serve(*a);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
