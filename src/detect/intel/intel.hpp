#pragma once
/// Threat intelligence: indicator lists (IPs, CIDRs, domains, URLs, file hashes) held in one
/// flat hash index so that a lookup costs a few probes whatever the list size, and an event
/// matcher that checks an event's address, domain, URL and hash fields against them.
///
/// Matching rules:
///  - IP: an IPv4/IPv6 address matches an entry for the address itself or for any CIDR that
///    contains it (one probe per prefix length present in the lists).
///  - Domain: suffix match at label boundaries — an entry `evil.example` matches
///    `evil.example` and `a.b.evil.example`, never `notevil.example`.
///  - URL: exact after normalisation (scheme and host lower-cased, fragment dropped).
///  - Hash: MD5 / SHA-1 / SHA-256 / SHA-512 hex, case-insensitive.
/// A database is immutable once built; `intel_store` swaps in a rebuilt one on reload.
#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "detect/intel/hash.hpp"

namespace mimamori::intel {

enum class indicator_kind : std::uint8_t { ipv4, ipv6, domain, url, md5, sha1, sha256, sha512 };
std::string_view kind_name(indicator_kind k);

/// An IP address as 16 bytes; IPv4 is stored IPv4-mapped (::ffff:a.b.c.d) with v4 = true.
struct ip_addr {
    std::array<std::uint8_t, 16> b{};
    bool v4 = false;
    std::uint32_t v4_value() const {
        return (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
               (std::uint32_t{b[14]} << 8) | b[15];
    }
};
/// Dotted-quad IPv4 (strict: four decimal parts 0-255) into host order.
bool parse_ipv4(std::string_view s, std::uint32_t& out);
/// IPv4 or IPv6 (IPv4-mapped IPv6 becomes IPv4); an IPv6 zone ("%eth0") and brackets are ignored.
bool parse_ip(std::string_view s, ip_addr& out);
/// "addr" (full-length prefix) or "addr/len".
bool parse_cidr(std::string_view s, ip_addr& out, int& prefix);

/// Decide what an indicator string is and bring it to its canonical form (lower-case domain
/// without trailing dot, canonical CIDR text, lower-case hash). Returns false for text that is
/// none of the kinds (a comment, a bare word, an e-mail address).
bool classify(std::string_view text, indicator_kind& kind, std::string& canonical);

/// One indicator as stored.
struct entry {
    std::uint32_t list = 0;       ///< index into list names
    std::uint32_t text_off = 0;   ///< canonical text in the pool
    std::uint32_t text_len = 0;
    indicator_kind kind = indicator_kind::ipv4;
    std::uint8_t prefix = 0;      ///< CIDR length for IP entries
};

/// Counters of one load.
struct load_stats {
    std::uint64_t added = 0;       ///< new indicators
    std::uint64_t duplicates = 0;  ///< already present (in this or another list): first list wins
    std::uint64_t rejected = 0;    ///< values that are no indicator of a supported kind
    std::vector<std::string> rejected_examples;  ///< the first few, for the user
};

class intel_db {
public:
    intel_db() = default;
    intel_db(const intel_db&) = delete;
    intel_db& operator=(const intel_db&) = delete;
    intel_db(intel_db&&) noexcept = default;
    intel_db& operator=(intel_db&&) noexcept = default;

    /// Register a list; returns its index. Names appear in alerts ("list abuse-ch-feodo").
    std::uint32_t add_list(std::string name);
    /// Add one indicator of unknown kind (classified here). Counts into st. Additions are
    /// staged in small groups so their index probes overlap (prefetch); call commit() before
    /// the first lookup (load_text and load_source do).
    void add(std::uint32_t list, std::string_view text, load_stats& st);
    /// Insert everything staged by add().
    void commit();
    /// Add one already-canonical indicator of a known kind (fast path for generated lists).
    bool add_canonical(std::uint32_t list, indicator_kind kind, std::string_view canonical);
    /// Hint for the number of indicators (and bytes of their text) to come.
    void reserve(std::size_t n, std::size_t text_bytes = 0);

    // Lookups. Each returns the matching entry or nullptr.
    const entry* match_ipv4(std::uint32_t ip) const;
    const entry* match_ip(const ip_addr& ip) const;
    /// Many IPv4 lookups at once: out[i] = match_ipv4(ips[i]). Memory latency of the probes
    /// overlaps (prefetch), which is several times faster than one lookup after another on
    /// lists too large for the cache.
    void match_ipv4_many(const std::uint32_t* ips, std::size_t n, const entry** out) const;
    /// Parses the text first; nullptr when it is no IP.
    const entry* match_ip_text(std::string_view text) const;
    const entry* match_domain(std::string_view domain) const;
    const entry* match_url(std::string_view url) const;
    const entry* match_hash(std::string_view hex) const;

    std::string_view list_name(const entry& e) const { return m_lists[e.list]; }
    std::string_view text(const entry& e) const { return {m_pool.data() + e.text_off, e.text_len}; }
    const std::vector<std::string>& lists() const { return m_lists; }
    /// Indicators per list.
    const std::vector<std::uint64_t>& list_sizes() const { return m_list_sizes; }
    std::size_t size() const { return m_entries.size(); }
    std::size_t memory_bytes() const;

private:
    bool insert(std::uint64_t key, std::uint32_t list, indicator_kind kind, std::uint8_t prefix,
                std::string_view canonical);
    const entry* probe(std::uint64_t key) const {
        const std::uint32_t i = m_index.find(key);
        return i == detect::flat_index::k_none ? nullptr : &m_entries[i];
    }
    const entry* probe_text(std::uint64_t key, std::string_view canonical) const;

    detect::flat_index m_index;
    std::vector<entry> m_entries;
    std::string m_pool;
    std::vector<std::string> m_lists;
    std::vector<std::uint64_t> m_list_sizes;
    std::uint64_t m_v4_prefixes = 0;  ///< bit n set: some IPv4 entry has prefix length n (0..32)
    std::array<std::uint64_t, 3> m_v6_prefixes{};  ///< same for IPv6, 0..128
    std::string m_scratch;
    struct staged {
        std::uint64_t key;
        std::uint32_t list, off, len;
        indicator_kind kind;
        std::uint8_t prefix;
        load_stats* st;
    };
    std::vector<staged> m_staged;
    void stage(std::uint64_t key, std::uint32_t list, indicator_kind kind, std::uint8_t prefix,
               std::string_view canonical, load_stats& st);
};

/// Where a list comes from.
enum class list_format : std::uint8_t { automatic, text, csv, stix, misp };

struct source {
    std::string path;
    std::string name;  ///< list name; default: the file name without extension
    list_format format = list_format::automatic;
};

/// Read one list file into db (format from the option or sniffed from the content).
/// MISP attributes with to_ids = false are skipped (they are context, not detection material).
result<load_stats> load_source(intel_db& db, const source& src);
/// The same from text already in memory (tests, fuzzing); `name` names the list.
result<load_stats> load_text(intel_db& db, std::string_view content, std::string_view name,
                             list_format format = list_format::automatic);

/// A database that can be reloaded while readers keep using the previous one. Readers take a
/// snapshot (a shared_ptr) per batch; reload builds a new database off to the side and swaps it
/// in atomically, so a bad list file never leaves the store half-loaded.
class intel_store {
public:
    /// Load every source; fails (and keeps the previous database) if any file cannot be read.
    status load(std::vector<source> sources);
    /// Reload when any source file's modification time or size changed. Returns whether it did.
    result<bool> reload_if_changed();
    /// Reload unconditionally.
    status reload();
    std::shared_ptr<const intel_db> snapshot() const { return std::atomic_load(&m_db); }
    /// Per-source counters of the last successful load.
    const std::vector<load_stats>& last_stats() const { return m_stats; }

private:
    struct stamp {
        std::filesystem::file_time_type mtime{};
        std::uintmax_t size = 0;
    };
    std::vector<stamp> stamps() const;

    std::mutex m_mu;  // one reload at a time
    std::vector<source> m_sources;
    std::vector<stamp> m_stamps;
    std::vector<load_stats> m_stats;
    std::shared_ptr<const intel_db> m_db = std::make_shared<intel_db>();
};

/// One indicator an event touched.
struct hit {
    const entry* e = nullptr;
    field_id field = 0;          ///< the event field that matched
    std::string_view value;      ///< the field's value (points into the batch)
};

/// Which event fields are checked for which kind. Defaults cover the ECS fields the parsers fill
/// (source/destination IP and NAT IP, host.ip; destination/url/dns/source domains; url.original;
/// file hashes and Sysmon's `Hashes`).
struct match_fields {
    std::vector<std::string> ip, domain, url, hash;
    static match_fields defaults();
};

class event_matcher {
public:
    explicit event_matcher(const match_fields& cfg = match_fields::defaults());
    /// Append every indicator that e touches (at most one hit per field value).
    void match(const intel_db& db, const event_batch& batch, const event& e,
               std::vector<hit>& out) const;
    /// Every event of a batch: hits[i] gets the hits of batch[i] appended (hits is resized to
    /// the batch size). IPv4 lookups are batched (see intel_db::match_ipv4_many).
    void match_batch(const intel_db& db, const event_batch& batch,
                     std::vector<std::vector<hit>>& hits) const;

private:
    std::vector<std::uint8_t> m_kind_of;  ///< per field id: 0 none, 1 ip, 2 domain, 3 url, 4 hash
};

}  // namespace mimamori::intel
