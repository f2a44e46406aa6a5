#pragma once
/// The detection stage the daemon runs on live events, built from the configuration's
/// `detect:` section. Kept apart from src/server/ so the daemon does not depend on the engine.
#include <memory>

#include "core/result.hpp"
#include "server/config.hpp"
#include "server/pipeline.hpp"

namespace mimamori::app {

/// Null when detection is off or no rules are configured.
result<std::unique_ptr<server::detect_stage>> make_serve_detect(const server::config& cfg);

}  // namespace mimamori::app
