#pragma once
/// Loading a rule set from files and folders: reader → compiler → filters applied. Rules that
/// have errors are rejected with all their problems; nothing is skipped silently. Correlation
/// rules are kept aside (counted) for the correlation engine.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detect/sigma/ast.hpp"
#include "detect/sigma/compiler.hpp"
#include "detect/sigma/ir.hpp"

namespace mimamori::sigma {

struct load_options {
    /// Placeholder values for `|expand` (mappings/sigma/placeholders.yaml); empty = none.
    std::string placeholders_file;
};

/// A document that could not be used, with every reason.
struct rejected_doc {
    std::shared_ptr<const rule_doc> doc;  ///< null when the whole file was unreadable
    std::string file;
    int line = 0;
    std::vector<problem> problems;
};

struct load_result {
    std::vector<rule_ir> rules;  ///< ready to run, filters applied
    std::vector<std::shared_ptr<const rule_doc>> filters;
    std::vector<std::shared_ptr<const rule_doc>> correlations;
    std::vector<rejected_doc> rejected;
    std::vector<problem> warnings;  ///< findings in documents that loaded anyway
    std::size_t files = 0;
    std::size_t documents = 0;
    /// Hash of every file's path and bytes and of the placeholders: keys compiled caches.
    std::uint64_t content_hash = 0;
};

/// The .yml/.yaml files under the paths (folders recursively), sorted.
std::vector<std::string> rule_files(const std::vector<std::string>& paths, std::vector<std::string>& missing);

/// Load every rule, filter and correlation document under the paths.
load_result load_rules(const std::vector<std::string>& paths, const load_options& opts = {});

/// 64-bit FNV-1a, continued from `h`.
std::uint64_t fnv1a(std::string_view bytes, std::uint64_t h = 1469598103934665603ull);

}  // namespace mimamori::sigma
