#pragma once
/// The log-source mapping (mappings/sigma/logsources.yaml): which events a Sigma logsource
/// stands for (source type, Windows EventIDs, channels, providers) and, per source, which event
/// field holds what the rule calls by a Sigma name.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "detect/sigma/ast.hpp"
#include "detect/sigma/interpreter.hpp"

namespace mimamori::detect {

/// One place events of a logsource come from.
struct event_source {
    std::string source_type;
    std::vector<std::uint32_t> event_ids;  ///< empty = any
    std::vector<std::string> channels;     ///< empty = any (compared case-insensitively)
    std::vector<std::string> providers;    ///< empty = any
    sigma::field_aliases aliases;          ///< entry-level and source-level renames merged
};

struct logsource_entry {
    std::string product, category, service;
    std::vector<event_source> events;
};

class logsource_map {
public:
    /// Read the mapping file. Errors name the file and line.
    static result<logsource_map> load(const std::string& path);
    /// Build from YAML text (tests).
    static result<logsource_map> parse(const std::string& text, const std::string& name);

    /// The sources for a rule's logsource: the entry whose product/category/service are
    /// exactly those the rule names. Empty when no entry fits (the rule runs on nothing).
    const std::vector<event_source>* find(const sigma::logsource& ls) const;

    const std::vector<logsource_entry>& entries() const { return m_entries; }
    /// Hash of the file's text (part of the compiled-ruleset cache key).
    std::uint64_t hash() const { return m_hash; }

private:
    std::vector<logsource_entry> m_entries;
    std::uint64_t m_hash = 0;
};

/// The data directory holding mappings/: $MIMAMORI_DATA_DIR, else the source tree the binary
/// was built from.
std::string default_data_dir();

}  // namespace mimamori::detect
