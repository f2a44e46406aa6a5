#pragma once
/// Stage 3 of loading (ruleset): compiled rules ready to match batches of events.
///
/// Rules are placed into buckets by (source type, EventID) using the log-source mapping and
/// the EventIDs a rule's own condition requires, so an event only meets candidate rules. Inside
/// a bucket every string predicate of every rule on one field is a pattern of one Hyperscan
/// block-mode database for that field (regexes included; a pattern Hyperscan cannot compile
/// falls back to RE2). An event's field values are each scanned once; matches set predicate
/// bits and wake only the rules that use those predicates; each woken rule runs a small
/// bytecode program over the bits. Predicates on numbers, IPs, existence or other fields are
/// decided directly, on demand. Cost grows with the bytes scanned, not with the rule count.
///
/// Compiled databases can be cached on disk, keyed by a hash of the rules, the mapping and the
/// engine version (see ruleset_options::cache_dir).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "detect/ruleset/logsource.hpp"
#include "detect/sigma/ir.hpp"

namespace mimamori::detect {

struct ruleset_options {
    /// Folder for compiled-database caches; empty = no cache.
    std::string cache_dir;
    /// Extra bytes mixed into the cache key (e.g. the rule files' content hash).
    std::uint64_t rules_hash = 0;
};

/// $XDG_CACHE_HOME/mimamori, else ~/.cache/mimamori (empty when neither can be found).
std::string default_cache_dir();

struct ruleset_stats {
    std::size_t rules = 0;           ///< rules given
    std::size_t unmapped_rules = 0;  ///< rules whose logsource maps to no event source
    std::size_t buckets = 0;
    std::size_t placements = 0;      ///< (rule, bucket) pairs
    std::size_t databases = 0;       ///< Hyperscan databases
    std::size_t patterns = 0;        ///< patterns in them
    std::size_t direct_predicates = 0;  ///< predicates decided without Hyperscan
    std::size_t re2_fallbacks = 0;   ///< string predicates Hyperscan could not compile
    double compile_seconds = 0;
    bool cache_hit = false;
    std::string cache_file;
};

/// One rule matching one event.
struct rule_match {
    std::uint32_t rule = 0;        ///< index into the ruleset's rules
    std::uint32_t event = 0;       ///< index of the event in the batch
    std::uint32_t placement = 0;   ///< which (rule, source) variant matched (for key fields)
};

class ruleset {
public:
    class scratch;

    /// Compile. Fails only when Hyperscan cannot be set up at all; rules whose log source is
    /// unknown are kept (counted in stats().unmapped_rules) and never match.
    static result<std::unique_ptr<ruleset>> build(std::vector<sigma::rule_ir> rules, const logsource_map& map,
                                                  const ruleset_options& opts = {});
    ~ruleset();
    ruleset(const ruleset&) = delete;
    ruleset& operator=(const ruleset&) = delete;

    /// Per-thread working memory for match(). Create one per thread.
    std::unique_ptr<scratch> make_scratch() const;

    /// Append every (rule, event) match of the batch to `out`, in event order.
    void match(const event_batch& batch, scratch& s, std::vector<rule_match>& out) const;

    const std::vector<sigma::rule_ir>& rules() const;
    /// The event fields to show for a match: the rule's selection fields as this source names them.
    std::vector<field_id> key_fields(const rule_match& m) const;
    const ruleset_stats& stats() const;
    /// For rules check: is the rule placed on any event source?
    bool mapped(std::uint32_t rule) const;

    struct impl;

private:
    explicit ruleset(std::unique_ptr<impl> p);
    void match_range(const event_batch& batch, std::uint32_t first, std::uint32_t last, scratch& s,
                     std::vector<rule_match>& out) const;
    std::unique_ptr<impl> m_impl;
};

class ruleset::scratch {
public:
    ~scratch();
    /// What match() did with this scratch so far (for benchmarks and tuning).
    struct counters {
        std::uint64_t events = 0;         ///< events that met at least one bucket
        std::uint64_t scans = 0;          ///< Hyperscan scans (one field value, one database)
        std::uint64_t scanned_bytes = 0;
        std::uint64_t hits = 0;           ///< predicate bits set
        std::uint64_t evaluated = 0;      ///< rule programs run
    };
    counters count;
    struct state;
    std::unique_ptr<state> m;
};

}  // namespace mimamori::detect
