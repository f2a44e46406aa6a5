#pragma once
/// The collection daemon behind `mimamori serve`: syslog listeners, file followers and the HTTP
/// API in front of one pipeline (parse → detect → store). See docs/decisions/0003-store.md for
/// what is guaranteed after a crash.
#include <memory>
#include <string>

#include "core/result.hpp"
#include "server/config.hpp"
#include "server/pipeline.hpp"

namespace mimamori::server {

struct serve_options {
    /// Written (atomically) once every listener is bound: JSON with the pid and the ports,
    /// for tests and service managers that start the daemon with port 0.
    std::string ready_file;
    /// The detection stage (null = store events without detection).
    std::unique_ptr<detect_stage> detect;
};

/// Where a running daemon publishes its pid and bound ports (JSON, removed at a clean stop).
std::string runtime_file(const config& cfg);

class daemon {
public:
    static result<std::unique_ptr<daemon>> start(const config& cfg, serve_options opts);
    ~daemon();
    /// SIGHUP: reload rules and indicator lists (applied before the next batch).
    void reload();
    /// SIGTERM: stop taking input, flush and commit everything read, store checkpoints.
    void stop();
    /// The ready file's JSON.
    std::string ready_json() const;

private:
    daemon() = default;
    struct impl;
    std::unique_ptr<impl> m;
};

}  // namespace mimamori::server
