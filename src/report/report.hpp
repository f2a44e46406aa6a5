#pragma once
/// Reports from the store: one incident (for management and regulators) and a period summary
/// (for the IT generalist), as self-contained HTML, Markdown or JSON, in Japanese or English
/// (docs/reports.md). Everything a report says is read from the store: the stored incident and
/// alerts (with the rules' texts stored beside them) and counts queried from the stored events.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "alert/alert.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "store/store.hpp"

namespace mimamori::report {

enum class format { html, md, json };
/// "html" | "md" | "markdown" | "json" → format; false when unknown.
bool parse_format(std::string_view s, format& out);

struct render_options {
    bool ja = false;
    time_zone zone;  ///< times are shown in this zone (and days of the trend are its days)
    /// Summary: link each incident to "incident-<id>.<lang>.html" / ".md" next to the summary.
    bool link_incidents = false;
};

struct labelled_count {
    std::string label;
    std::uint64_t n = 0;
    std::uint64_t n2 = 0;  ///< a second number where a list has one (noisiest rules: base events)
    std::string kind;      ///< top targets: "user", "host" or "address"
    std::string label_ja;  ///< noisiest rules: the rule's Japanese title, when it has one
};

/// A stored event cited as evidence.
struct evidence_item {
    std::int64_t event_id = 0;
    timestamp_ns ts = k_no_time;
    std::string source_type, file, raw;
    std::uint64_t line = 0, offset = 0;
    std::int64_t alert_id = 0;  ///< the alert that cites it (first one)
    /// For records that are whole JSON documents (Winlogbeat, CloudTrail): the fields a reader
    /// needs, as "name=value" pairs, since the raw document's head says little.
    std::string gist;
};

/// A stored alert as a report reads it.
struct alert_item {
    std::int64_t id = 0;
    std::string key;  ///< the alert's own id ("A-…")
    std::string rule_id, title, level, stage;
    std::string title_ja;  ///< the rule's Japanese title (rule attribute title_ja), may be empty
    timestamp_ns first = k_no_time, last = k_no_time;
    std::uint64_t count = 0;
    std::string user, host, src_ip, dst_ip, domain;
    std::string sentence_en, sentence_ja, description_en, description_ja, action_en, action_ja;
    std::vector<std::int64_t> event_ids;
};

struct incident_report {
    std::int64_t id = 0;
    std::string key;  ///< the incident's own id ("I-…")
    std::string status;
    timestamp_ns first = k_no_time, last = k_no_time;
    double risk = 0;
    std::string level;
    std::vector<std::string> stages;  ///< entry / internal / exit present, in order
    std::string title_en, title_ja, summary_en, summary_ja;
    std::vector<alert_item> alerts;  ///< by first time
    /// Affected, from the alerts' entities.
    std::vector<std::string> accounts, hosts, sources, destinations, domains;
    /// Counts over the *related events*: stored events in [first, last] whose source or
    /// destination address or user is one of the incident's (docs/reports.md).
    std::uint64_t related_events = 0, failed_logons = 0, successful_logons = 0;
    std::uint64_t blocked_events = 0;  ///< related events a firewall or server refused (event.action deny, blocked, reject…)
    std::uint64_t bytes_sent = 0, bytes_received = 0;  ///< sums of source.bytes / destination.bytes (+ http body bytes)
    std::uint64_t files_total = 0;                     ///< distinct file.path among them
    std::vector<labelled_count> files;                 ///< most-touched first (first 30)
    std::vector<labelled_count> events_by_source;      ///< related events per source type
    std::uint64_t detections = 0;                      ///< base events the alerts stand for (sum of counts)
    std::uint64_t evidence_records = 0;                ///< distinct stored events the alerts cite
    std::vector<evidence_item> evidence;               ///< cited events by time (first 60)
};

struct day_count {
    std::string day;  ///< YYYY-MM-DD in the report's zone
    std::uint64_t failed = 0;
};

struct source_seen {
    std::string source_type;
    timestamp_ns first = k_no_time, last = k_no_time;
    std::uint64_t events = 0;
    std::uint64_t active_days = 0;  ///< UTC days with at least one event
    /// Last event more than `silent_after` older than the newest of all sources, for a source
    /// that was regular (events on at least half the days of its span, 3 days or more).
    bool silent = false;
    bool occasional = false;  ///< too irregular to call silent (patch nights, rare events)
};

struct incident_line {
    std::int64_t id = 0;
    std::string key, level, title_en, title_ja;
    double risk = 0;
    timestamp_ns first = k_no_time, last = k_no_time;
    std::uint64_t alerts = 0;
};

struct summary_report {
    timestamp_ns from = k_no_time, to = k_no_time;  ///< the period (inclusive from, exclusive to)
    std::uint64_t events = 0, alerts = 0, incidents = 0, failed_logons = 0;
    std::map<std::string, std::uint64_t> alerts_by_level;
    std::map<std::string, std::map<std::string, std::uint64_t>> stage_level;  ///< stage → level → alerts
    std::vector<labelled_count> top_sources, top_targets, noisy_rules, events_by_source;
    std::vector<day_count> failed_by_day;
    std::vector<source_seen> sources;
    timestamp_ns silent_after = 24LL * 3600 * k_ns_per_sec;
    std::vector<incident_line> incident_list;  ///< overlapping the period, highest risk first
};

struct summary_options {
    timestamp_ns from = k_no_time, to = k_no_time;  ///< k_no_time: the stored data's range
    timestamp_ns silent_after = 24LL * 3600 * k_ns_per_sec;
    std::size_t top = 10;
};

/// Load incident `id`: a stored incident id (number) or the incident's own id ("I-…").
/// Alerts stored without the rule's texts (the daemon stores the bare alert) get their
/// description and advice from `catalog` when given.
result<incident_report> load_incident(store::store& st, std::string_view id, const alert::rule_catalog* catalog = nullptr);
/// All stored incident ids, highest risk first.
result<std::vector<std::int64_t>> incident_ids(store::store& st);
result<summary_report> load_summary(store::store& st, const summary_options& opts, const time_zone& zone);

std::string render_incident(const incident_report& r, format f, const render_options& o);
std::string render_summary(const summary_report& r, format f, const render_options& o);

/// The headless Chromium on this machine (chromium, chromium-browser, google-chrome), or "".
std::string find_chromium();
/// Print an HTML file to PDF with headless Chromium. The error says when Chromium is missing.
status html_to_pdf(const std::string& html_path, const std::string& pdf_path);

}  // namespace mimamori::report
