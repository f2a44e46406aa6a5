#pragma once
/// Everything `mimamori scan` and `mimamori rules` need in one call: load the built-in rules
/// and the user's, the log-source mapping and placeholders, and compile (with the disk cache).
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "detect/ruleset/logsource.hpp"
#include "detect/ruleset/ruleset.hpp"
#include "detect/sigma/loader.hpp"

namespace mimamori::detect {

struct engine_options {
    std::vector<std::string> rule_paths;  ///< --rules PATH (repeatable)
    bool builtin = true;                  ///< also load <data dir>/rules
    std::string data_dir;                 ///< holds mappings/ and rules/; empty = default_data_dir()
    std::string cache_dir;                ///< empty = default_cache_dir(); "-" = no cache
    bool compile = true;                  ///< false: load and check only
};

struct engine {
    sigma::load_result loaded;
    logsource_map map;
    std::unique_ptr<ruleset> rules;  ///< null when compile == false
    double load_seconds = 0, compile_seconds = 0;
};

result<std::unique_ptr<engine>> load_engine(const engine_options& opts);

}  // namespace mimamori::detect
