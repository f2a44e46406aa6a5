#pragma once
/// JSON objects → events: flattening plus a data-driven ECS mapping (mappings/ndjson/*.yaml).
///
/// Flattening. Every scalar of the object becomes a native field named by its dotted path
/// (`{"a":{"b":1}}` → `a.b`). Arrays of scalars become repeated fields under the array's name
/// (the JSON writer prints them as an array). Arrays of objects are flattened under the same
/// dotted name, so `{"files":[{"n":"a"},{"n":"b"}]}` gives `files.n` = "a" and `files.n` = "b":
/// rules can still match any element, at the price of losing which values came from the same
/// element (the raw text keeps that). Nulls, empty strings, empty objects and empty arrays add
/// nothing. Numbers and booleans keep value_kind number / boolean; numbers are written in their
/// shortest form (1.50 → 1.5; fixed notation below 1e21), and integers beyond 64 bits or
/// doubles out of range are kept as their text with kind string. Values deeper than
/// `k_max_depth` are kept whole, as their JSON text, under the name of the level where the cut
/// happened. A native name that is a well-known ECS name (`source.ip`, `event.outcome` …) is
/// only kept when its value is valid for that field, so native ECS-shaped JSON never yields an
/// event the schema rejects. Names the JSON writer itself uses (`@timestamp`, `event.dataset`,
/// `event.original`, `log.file.path`, `log.file.line`, `log.offset`) are never added as fields:
/// the timestamp and source type carry them, and the raw text keeps the original.
///
/// Mapping. A mapping file lists profiles, tried in order; the first whose `match` holds
/// decides the event's source type, how its timestamp is read and which ECS fields are derived
/// from which native ones. The file format is documented at the top of
/// mappings/ndjson/default.yaml.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/event.hpp"
#include "core/result.hpp"
#include "parse/parser.hpp"

namespace mimamori::parse {

/// A loaded, validated mapping file. Immutable; share it between threads.
class json_mapping;

/// Load and validate a mapping file. Errors name the file, line and column of every problem
/// found (all of them, not only the first). Successful loads are cached by path.
result<std::shared_ptr<const json_mapping>> load_json_mapping(const std::string& path);

/// Load a mapping from YAML text; `name` is used in error messages in place of a file name.
result<std::shared_ptr<const json_mapping>> load_json_mapping_text(std::string_view yaml,
                                                                   const std::string& name);

/// The mapping file `opts` asks for: `ndjson_mapping` when set, else
/// `<mappings_dir>/ndjson/default.yaml`, else the source tree's mappings/ndjson/default.yaml.
std::string json_mapping_path(const options& opts);

/// Turns JSON object text into event fields. Holds the reusable simdjson parser, a padded copy
/// buffer and the name cache, so one instance per thread; apart from the batch's arena it
/// allocates only when it meets a new field name or a longer input than before.
class json_mapper {
public:
    static constexpr int k_max_depth = 48;
    static constexpr std::size_t k_max_key = 256;   ///< longer keys are not made into fields
    static constexpr std::size_t k_max_names = 50000;  ///< distinct names one mapper keeps
    /// Distinct new field names JSON input may add to the process-wide registry. Beyond either
    /// cap, values under names not seen before are not made into fields (the raw text keeps
    /// them): input that invents a key per record must not grow memory without bound.
    static constexpr std::size_t k_max_process_names = 200000;

    json_mapper();
    ~json_mapper();
    json_mapper(const json_mapper&) = delete;
    json_mapper& operator=(const json_mapper&) = delete;

    /// Use this mapping from now on (compiles its names into the mapper's cache).
    void set_mapping(std::shared_ptr<const json_mapping> m);
    /// load_json_mapping(json_mapping_path(opts)) + set_mapping.
    status configure(const options& opts);

    /// Parse `text` (one complete JSON object, nothing after it but white space), flatten it,
    /// pick the profile and add native and ECS fields to `e`; set e.ts and e.source_type.
    /// Values are copied into the batch (`text` need not outlive the call). Returns `malformed`
    /// (with a static reason) for broken JSON, a value that is not an object, no matching
    /// profile, or a missing/unreadable timestamp.
    parse_status map_object(std::string_view text, const context& ctx, event_batch& batch, event& e,
                            std::string_view& why);

    /// Only the flattening: add the native fields of `text` to the event being built; no
    /// profile, no timestamp, no source type. For readers that map fields themselves.
    parse_status flatten(std::string_view text, event_batch& batch, std::string_view& why);

    /// Name of the profile the last successful map_object used ("" before any).
    std::string_view last_profile() const;

private:
    struct impl;
    std::unique_ptr<impl> m;
};

/// True when `s` is one complete JSON object and nothing else (white space aside), judged by
/// bracket balance outside strings, without full validation. Cheap; for sniffing.
bool looks_like_json_object(std::string_view s);

}  // namespace mimamori::parse
