#pragma once
/// Alerts and incidents.
///
/// A *signal* is one detection as it happens: a base-rule match, a correlation hit or a threat
/// intelligence hit. The aggregator turns signals into *alerts*: signals of one rule about the
/// same entities that follow each other within the dedup window grow one alert (count, last
/// time, evidence) instead of making a new one, so a brute force is one alert that grows.
/// Incidents group alerts that share an entity (IP, user, host) within a window, order them
/// along the attack's stages (entry → internal → exit), score the risk, and tell the story in
/// Japanese and English.
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"

namespace mimamori::alert {

enum class stage : std::uint8_t { entry, internal, exit, unknown };
enum class level : std::uint8_t { informational, low, medium, high, critical };
std::string_view stage_name(stage s);
std::string_view level_name(level l);
level parse_level(std::string_view s);    ///< unknown text → medium
stage parse_stage(std::string_view s);    ///< unknown text → unknown

/// What the rule pack says about a rule beyond Sigma's own attributes (custom attributes
/// `stage`, `nist_csf`, `description_ja/en`, `action_ja/en`, `summary_ja/en`).
struct rule_info {
    std::string id, name, title;
    level lvl = level::medium;
    stage stg = stage::unknown;
    std::string nist_csf;
    std::vector<std::string> tags;
    std::string description_en, description_ja, action_en, action_ja;
    /// Sentence templates for summaries, e.g. "{src} tried {count} SSH passwords in {duration}".
    /// Placeholders: {src} {dst} {user} {host} {count} {value} {duration} {sample} {samples}
    /// {indicator} {list} {title} and any group-by field by name ({source.ip}).
    std::string summary_en, summary_ja;
    std::string title_ja;  ///< custom attribute `title_ja`; empty = the title in both languages
    /// Custom attribute `attempt: true`: the rule fires on attempts (failed logons, probes,
    /// exploit requests), not on anything that got in. Incidents made only of such alerts from
    /// Internet addresses are folded into one daily digest (build_incidents).
    bool attempt = false;
};

/// Stage from ATT&CK tags when a rule says none (rules not from our pack): reconnaissance,
/// initial access and credential access are entry; exfiltration and command and control are
/// exit; the rest is internal.
stage stage_from_tags(const std::vector<std::string>& tags);

/// Rule metadata read from the rule files themselves (every YAML document with a title).
class rule_catalog {
public:
    /// Read every .yml/.yaml under the paths. Unreadable documents are skipped (the rule
    /// loaders report them).
    void load(const std::vector<std::string>& paths);
    void add(rule_info r);
    /// By id, then name, then title; nullptr when unknown.
    const rule_info* find(std::string_view id_name_or_title) const;
    std::size_t size() const { return m_rules.size(); }

private:
    std::vector<rule_info> m_rules;
    std::map<std::string, std::size_t, std::less<>> m_by_key;
};

/// The things an alert is about.
struct entities {
    std::string user, host, src_ip, dst_ip, domain;
    bool empty() const { return user.empty() && host.empty() && src_ip.empty() && dst_ip.empty() && domain.empty(); }
};
/// Fill the entity slots from (field name → value) pairs: ECS names (source.ip, user.name,
/// host.name, destination.ip, destination.domain, …) and common native ones (IpAddress,
/// TargetUserName, Computer, …). Slots already set are kept.
void fill_entities(entities& e, const std::vector<std::pair<std::string, std::string>>& kv);
/// The same from an event.
void fill_entities(entities& e, const event_batch& b, const event& ev);

struct evidence_ref {
    std::string file;
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
    timestamp_ns ts = k_no_time;
};

/// One detection (a "signal"), before aggregation.
struct finding {
    std::string rule_key;      ///< id (or title) of the rule; looked up in the catalog
    rule_info rule;            ///< used when the catalog does not know the rule
    timestamp_ns ts = k_no_time;
    timestamp_ns first_ts = k_no_time;  ///< correlations: when the pattern began
    entities ent;
    std::uint64_t events = 1;  ///< base events it stands for
    double value = 0;          ///< correlation aggregate
    std::string sample;        ///< a value seen (user tried, port, …)
    std::vector<std::pair<std::string, std::string>> details;  ///< group-by values, list, indicator
    std::vector<evidence_ref> refs;
};

struct alert {
    std::string id;  ///< stable: same input, same id
    rule_info rule;
    entities ent;
    timestamp_ns first = k_no_time, last = k_no_time;
    std::uint64_t count = 0;       ///< base events
    std::uint64_t signals = 0;     ///< signals merged
    std::uint64_t suppressed = 0;  ///< signals absorbed by the suppression window
    double value = 0;              ///< largest correlation aggregate seen
    std::vector<std::string> samples;  ///< distinct sample values (first few)
    std::vector<std::pair<std::string, std::string>> details;
    std::vector<evidence_ref> evidence;    ///< first few and the last
    std::string dedup_key;
};

/// One allowlist entry: drop signals of a rule (or "*") whose entity has a value.
struct suppression {
    std::string rule = "*";  ///< id, name or title, or "*"
    std::string entity;      ///< user, host, src_ip, dst_ip, domain; empty = any signal of the rule
    std::string value;
    std::string reason;
};

struct aggregator_options {
    timestamp_ns dedup_window = 3600LL * 1'000'000'000;  ///< gap that still grows the same alert
    /// After an alert starts, signals for the same rule and entities within this long still
    /// grow it (counted as suppressed) even across larger gaps. 0 = off.
    timestamp_ns suppress_window = 0;
    std::size_t max_evidence = 10;
    std::size_t max_samples = 8;
    std::vector<suppression> suppressions;
};
/// Read suppressions from YAML: `suppress: [{rule: ..., entity: src_ip, value: ..., reason: ...}]`
/// plus optional `dedup_window: 1h` and `suppress_window: 24h`.
status load_alert_config(const std::string& path, aggregator_options& opts);

struct aggregator_stats {
    std::uint64_t signals = 0, alerts = 0, merged = 0, suppressed = 0, allowlisted = 0;
};

class aggregator {
public:
    explicit aggregator(const rule_catalog* catalog = nullptr, aggregator_options opts = {});
    /// Returns the index (in `current()`) of the alert the signal made or grew, or
    /// `k_dropped` when a suppression dropped it.
    std::size_t add(finding s);
    static constexpr std::size_t k_dropped = static_cast<std::size_t>(-1);
    /// The alerts so far, in the order they were made (the daemon reads them as they grow).
    const std::vector<alert>& current() const { return m_alerts; }
    /// Keep only the alerts whose `keep` entry is non-zero (index-aligned with `current()`;
    /// the daemon's memory bound). Indices of the kept alerts change.
    void keep_only(const std::vector<std::uint8_t>& keep);
    /// All alerts, ordered by first time (then id).
    std::vector<alert> finish();
    const aggregator_stats& stats() const { return m_stats; }

private:
    const rule_catalog* m_catalog;
    aggregator_options m_opts;
    aggregator_stats m_stats;
    std::vector<alert> m_alerts;
    // Dedup key → alerts with it. Hashed: the keys share long prefixes (the rule id), and an
    // attack from tens of thousands of addresses makes as many alerts (a tree's compares were
    // 18% of the parse thread's time in such a storm).
    std::unordered_map<std::string, std::vector<std::size_t>> m_by_key;
};

// ---- incidents ---------------------------------------------------------------------------

struct incident_options {
    timestamp_ns window = 24LL * 3600 * 1'000'000'000;     ///< largest gap between linked alerts
    timestamp_ns half_life = 24LL * 3600 * 1'000'000'000;  ///< risk decay
    level min_level = level::low;  ///< informational alerts join no incident
};

struct incident {
    std::string id;
    std::vector<std::size_t> alerts;  ///< indices into the alert list, entry → internal → exit, then time
    timestamp_ns first = k_no_time, last = k_no_time;
    level max_level = level::informational;
    double risk = 0;  ///< 0-100
    std::vector<std::pair<std::string, double>> entity_risk;  ///< highest first
    std::vector<stage> stages;  ///< stages present, in order
    std::string title_en, title_ja;
    std::string summary_en, summary_ja;
};

/// Weight of a level in the risk score.
double level_weight(level l);

std::vector<incident> build_incidents(const std::vector<alert>& alerts, const incident_options& opts = {});

/// RFC 1918, loopback, link-local, CGNAT and IPv6 ULA / link-local addresses: our own network.
bool internal_address(std::string_view ip);

/// One alert's sentence (from the rule's summary template, or a generic one).
std::string alert_sentence(const alert& a, bool japanese);

// ---- output ------------------------------------------------------------------------------

void write_alert_json(const alert& a, std::string& out);
void write_incident_json(const incident& inc, const std::vector<alert>& alerts, std::string& out);
/// Human text: incidents first (the story), then the alert table. `japanese` picks the language
/// of summaries and advice.
void render_text(const std::vector<incident>& incidents, const std::vector<alert>& alerts, bool japanese,
                 std::string& out);

/// 12345 → "12,345".
std::string with_commas(std::uint64_t v);
/// A duration as people say it: "3 hours", "12 minutes" / "3時間", "12分".
std::string human_duration(timestamp_ns d, bool japanese);

}  // namespace mimamori::alert
