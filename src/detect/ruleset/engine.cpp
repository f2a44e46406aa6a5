// Loading rules + mapping + placeholders and compiling them.
#include "detect/ruleset/engine.hpp"

#include <chrono>
#include <filesystem>

namespace mimamori::detect {

result<std::unique_ptr<engine>> load_engine(const engine_options& opts) {
    namespace fs = std::filesystem;
    auto eng = std::make_unique<engine>();
    std::string data = opts.data_dir.empty() ? default_data_dir() : opts.data_dir;
    auto t0 = std::chrono::steady_clock::now();
    auto map = logsource_map::load(data + "/mappings/sigma/logsources.yaml");
    if (!map) return map.err();
    eng->map = std::move(map.value());
    std::vector<std::string> paths;
    std::error_code ec;
    if (opts.builtin && fs::is_directory(data + "/rules", ec)) paths.push_back(data + "/rules");
    paths.insert(paths.end(), opts.rule_paths.begin(), opts.rule_paths.end());
    sigma::load_options lo;
    std::string ph = data + "/mappings/sigma/placeholders.yaml";
    if (fs::exists(ph, ec)) lo.placeholders_file = ph;
    eng->loaded = sigma::load_rules(paths, lo);
    auto t1 = std::chrono::steady_clock::now();
    eng->load_seconds = std::chrono::duration<double>(t1 - t0).count();
    if (!opts.compile) return eng;
    ruleset_options ro;
    ro.cache_dir = opts.cache_dir.empty() ? default_cache_dir() : opts.cache_dir == "-" ? std::string() : opts.cache_dir;
    auto rs = ruleset::build(eng->loaded.rules, eng->map, ro);
    if (!rs) return rs.err();
    eng->rules = std::move(rs.value());
    eng->compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    return eng;
}

}  // namespace mimamori::detect
