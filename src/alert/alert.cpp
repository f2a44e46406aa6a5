// Rule catalog, entities, and the alert aggregator (dedup, suppression, allowlist).
#include "alert/alert.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "detect/correlate/rule.hpp"
#include "detect/intel/hash.hpp"

namespace mimamori::alert {

std::string_view stage_name(stage s) {
    switch (s) {
        case stage::entry: return "entry";
        case stage::internal: return "internal";
        case stage::exit: return "exit";
        case stage::unknown: return "unknown";
    }
    return "unknown";
}

std::string_view level_name(level l) {
    switch (l) {
        case level::informational: return "informational";
        case level::low: return "low";
        case level::medium: return "medium";
        case level::high: return "high";
        case level::critical: return "critical";
    }
    return "medium";
}

level parse_level(std::string_view s) {
    if (s == "informational") return level::informational;
    if (s == "low") return level::low;
    if (s == "high") return level::high;
    if (s == "critical") return level::critical;
    return level::medium;
}

stage parse_stage(std::string_view s) {
    if (s == "entry") return stage::entry;
    if (s == "internal") return stage::internal;
    if (s == "exit") return stage::exit;
    return stage::unknown;
}

stage stage_from_tags(const std::vector<std::string>& tags) {
    bool entry = false, exit = false, any = false;
    for (const auto& t : tags) {
        if (t.rfind("attack.", 0) != 0) continue;
        any = true;
        if (t == "attack.reconnaissance" || t == "attack.initial-access" || t == "attack.initial_access" ||
            t == "attack.credential-access" || t == "attack.credential_access" || t == "attack.t1110" ||
            t.rfind("attack.t1110.", 0) == 0 || t == "attack.t1190" || t == "attack.t1595" ||
            t.rfind("attack.t1595.", 0) == 0 || t == "attack.t1133")
            entry = true;
        if (t == "attack.exfiltration" || t == "attack.command-and-control" || t == "attack.command_and_control" ||
            t == "attack.t1048" || t == "attack.t1071" || t.rfind("attack.t1071.", 0) == 0 || t == "attack.t1041")
            exit = true;
    }
    if (exit) return stage::exit;
    if (entry) return stage::entry;
    return any ? stage::internal : stage::unknown;
}

// ---- catalog -----------------------------------------------------------------------------

void rule_catalog::add(rule_info r) {
    if (r.stg == stage::unknown) r.stg = stage_from_tags(r.tags);
    const std::size_t i = m_rules.size();
    for (const std::string* k : {&r.id, &r.name, &r.title})
        if (!k->empty()) m_by_key.emplace(*k, i);
    m_rules.push_back(std::move(r));
}

const rule_info* rule_catalog::find(std::string_view key) const {
    auto it = m_by_key.find(key);
    return it == m_by_key.end() ? nullptr : &m_rules[it->second];
}

void rule_catalog::load(const std::vector<std::string>& paths) {
    namespace fs = std::filesystem;
    std::vector<std::string> files;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            for (auto it = fs::recursive_directory_iterator(p, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
                const auto ext = it->path().extension().string();
                if (it->is_regular_file(ec) && (ext == ".yml" || ext == ".yaml")) files.push_back(it->path().string());
            }
        } else {
            files.push_back(p);
        }
    }
    std::sort(files.begin(), files.end());
    auto scalar = [](const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : std::string(); };
    for (const auto& f : files) {
        try {
            for (const auto& doc : YAML::LoadAllFromFile(f)) {
                if (!doc.IsMap() || !doc["title"]) continue;
                rule_info r;
                r.id = scalar(doc["id"]);
                r.name = scalar(doc["name"]);
                r.title = scalar(doc["title"]);
                r.lvl = parse_level(scalar(doc["level"]));
                r.stg = parse_stage(scalar(doc["stage"]));
                r.nist_csf = scalar(doc["nist_csf"]);
                if (doc["tags"] && doc["tags"].IsSequence())
                    for (const auto& t : doc["tags"]) r.tags.push_back(scalar(t));
                r.description_en = scalar(doc["description_en"]);
                if (r.description_en.empty()) r.description_en = scalar(doc["description"]);
                r.description_ja = scalar(doc["description_ja"]);
                r.action_en = scalar(doc["action_en"]);
                r.action_ja = scalar(doc["action_ja"]);
                r.summary_en = scalar(doc["summary_en"]);
                r.summary_ja = scalar(doc["summary_ja"]);
                r.title_ja = scalar(doc["title_ja"]);
                r.attempt = scalar(doc["attempt"]) == "true";
                add(std::move(r));
            }
        } catch (const YAML::Exception&) {
            // The rule loaders report unreadable files; the catalog only lacks their metadata.
        }
    }
}

// ---- entities ----------------------------------------------------------------------------

namespace {

enum slot_kind { k_none, k_user, k_host, k_src, k_dst, k_domain };

slot_kind slot_of(std::string_view name) {
    static const std::map<std::string, slot_kind, std::less<>> k = {
        {"user.name", k_user}, {"TargetUserName", k_user}, {"SubjectUserName", k_user}, {"User", k_user},
        {"user", k_user}, {"source.user.name", k_user}, {"userIdentity.arn", k_user}, {"userIdentity.userName", k_user},
        {"host.name", k_host}, {"Computer", k_host}, {"ComputerName", k_host}, {"hostname", k_host},
        {"Workstation", k_host}, {"WorkstationName", k_host},
        {"source.ip", k_src}, {"IpAddress", k_src}, {"SourceIp", k_src}, {"src_ip", k_src},
        {"client.ip", k_src}, {"sourceIPAddress", k_src},
        {"destination.ip", k_dst}, {"DestinationIp", k_dst}, {"dst_ip", k_dst},
        {"destination.domain", k_domain}, {"dns.question.name", k_domain}, {"url.domain", k_domain},
        {"dns.registered_domain", k_domain},
    };
    auto it = k.find(name);
    return it == k.end() ? k_none : it->second;
}

bool noise_value(std::string_view v) {
    return v.empty() || v == "-" || v == "unknown" || v == "(null)" || v == "N/A";
}

void set_slot(entities& e, slot_kind k, std::string_view v) {
    if (noise_value(v)) return;
    std::string* dst = nullptr;
    switch (k) {
        case k_user: dst = &e.user; break;
        case k_host: dst = &e.host; break;
        case k_src: dst = &e.src_ip; break;
        case k_dst: dst = &e.dst_ip; break;
        case k_domain: dst = &e.domain; break;
        default: return;
    }
    if (dst->empty()) dst->assign(v);
}

}  // namespace

void fill_entities(entities& e, const std::vector<std::pair<std::string, std::string>>& kv) {
    for (const auto& [k, v] : kv) set_slot(e, slot_of(k), v);
}

void fill_entities(entities& e, const event_batch& b, const event& ev) {
    // ECS first (they are the normalized truth), native names only where ECS is absent.
    set_slot(e, k_src, b.get(ev, f::source_ip));
    set_slot(e, k_dst, b.get(ev, f::destination_ip));
    set_slot(e, k_user, b.get(ev, f::user_name));
    set_slot(e, k_user, b.get(ev, f::user_target_name));  // the account created / added to a group
    set_slot(e, k_host, b.get(ev, f::host_name));
    set_slot(e, k_domain, b.get(ev, f::destination_domain));
    set_slot(e, k_domain, b.get(ev, f::dns_question_name));
    for (const auto& fl : b.fields(ev)) {
        if (fl.id < f::k_first_dynamic) continue;
        const slot_kind k = slot_of(field_name(fl.id));
        if (k != k_none) set_slot(e, k, fl.value);
    }
}

// ---- aggregation -------------------------------------------------------------------------

namespace {

std::string hex64(std::uint64_t v) {
    static const char* d = "0123456789abcdef";
    std::string s(16, '0');
    for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = d[v & 15];
    return s;
}

const std::string* entity_slot(const entities& e, std::string_view name) {
    if (name == "user") return &e.user;
    if (name == "host") return &e.host;
    if (name == "src_ip" || name == "source.ip") return &e.src_ip;
    if (name == "dst_ip" || name == "destination.ip") return &e.dst_ip;
    if (name == "domain") return &e.domain;
    return nullptr;
}

}  // namespace

aggregator::aggregator(const rule_catalog* catalog, aggregator_options opts)
    : m_catalog(catalog), m_opts(std::move(opts)) {}

std::size_t aggregator::add(finding s) {
    ++m_stats.signals;
    const rule_info* known = m_catalog ? m_catalog->find(s.rule_key) : nullptr;
    const rule_info& info = known ? *known : s.rule;
    for (const auto& sup : m_opts.suppressions) {
        if (sup.rule != "*" && sup.rule != info.id && sup.rule != info.title && sup.rule != info.name) continue;
        if (!sup.entity.empty()) {
            const std::string* v = entity_slot(s.ent, sup.entity);
            if (!v || *v != sup.value) continue;
        }
        ++m_stats.allowlisted;
        return k_dropped;
    }
    if (s.first_ts == k_no_time || s.first_ts > s.ts) s.first_ts = s.ts;
    std::string key = info.id.empty() ? info.title : info.id;
    for (const std::string* v : {&s.ent.src_ip, &s.ent.user, &s.ent.host, &s.ent.dst_ip, &s.ent.domain}) {
        key.push_back('\x1f');
        key += *v;
    }
    auto& list = m_by_key[key];
    for (std::size_t idx : list) {
        alert& a = m_alerts[idx];
        const bool near = s.first_ts <= a.last + m_opts.dedup_window && s.ts + m_opts.dedup_window >= a.first;
        const bool held = m_opts.suppress_window > 0 && s.ts >= a.first && s.ts - a.first <= m_opts.suppress_window;
        if (!near && !held) continue;
        ++m_stats.merged;
        if (!near) {
            ++a.suppressed;
            ++m_stats.suppressed;
        }
        a.first = std::min(a.first, s.first_ts);
        a.last = std::max(a.last, s.ts);
        a.count += s.events;
        ++a.signals;
        a.value = std::max(a.value, s.value);
        if (!s.sample.empty() && a.samples.size() < m_opts.max_samples &&
            std::find(a.samples.begin(), a.samples.end(), s.sample) == a.samples.end())
            a.samples.push_back(s.sample);
        for (auto& r : s.refs) {
            if (a.evidence.size() < m_opts.max_evidence) a.evidence.push_back(std::move(r));
            else a.evidence.back() = std::move(r);  // keep the latest as the last one
        }
        for (auto& d : s.details)
            if (std::find(a.details.begin(), a.details.end(), d) == a.details.end() && a.details.size() < 16)
                a.details.push_back(std::move(d));
        return idx;
    }
    alert a;
    a.rule = info;
    a.ent = std::move(s.ent);
    a.first = s.first_ts;
    a.last = s.ts;
    a.count = s.events;
    a.signals = 1;
    a.value = s.value;
    if (!s.sample.empty()) a.samples.push_back(s.sample);
    a.details = std::move(s.details);
    for (auto& r : s.refs)
        if (a.evidence.size() < m_opts.max_evidence) a.evidence.push_back(std::move(r));
    a.dedup_key = key;
    a.id = "A-" + hex64(detect::hash_combine(detect::hash_str(key), static_cast<std::uint64_t>(a.first))).substr(0, 12);
    list.push_back(m_alerts.size());
    m_alerts.push_back(std::move(a));
    ++m_stats.alerts;
    return m_alerts.size() - 1;
}

void aggregator::keep_only(const std::vector<std::uint8_t>& keep) {
    std::vector<alert> kept;
    for (std::size_t i = 0; i < m_alerts.size(); ++i)
        if (i < keep.size() && keep[i]) kept.push_back(std::move(m_alerts[i]));
    m_alerts = std::move(kept);
    m_by_key.clear();
    for (std::size_t i = 0; i < m_alerts.size(); ++i) m_by_key[m_alerts[i].dedup_key].push_back(i);
}

std::vector<alert> aggregator::finish() {
    std::vector<alert> out = std::move(m_alerts);
    m_alerts.clear();
    m_by_key.clear();
    std::sort(out.begin(), out.end(), [](const alert& a, const alert& b) {
        return a.first != b.first ? a.first < b.first : a.id < b.id;
    });
    return out;
}

status load_alert_config(const std::string& path, aggregator_options& opts) {
    try {
        YAML::Node root = YAML::LoadFile(path);
        auto scalar = [](const YAML::Node& n) { return n && n.IsScalar() ? n.Scalar() : std::string(); };
        timestamp_ns t;
        if (root["dedup_window"]) {
            if (!correlate::parse_timespan(scalar(root["dedup_window"]), t))
                return error{"alert.config", path + ": dedup_window must look like 30m, 1h or 1d"};
            opts.dedup_window = t;
        }
        if (root["suppress_window"]) {
            if (!correlate::parse_timespan(scalar(root["suppress_window"]), t))
                return error{"alert.config", path + ": suppress_window must look like 30m, 1h or 1d"};
            opts.suppress_window = t;
        }
        if (root["suppress"] && root["suppress"].IsSequence())
            for (const auto& s : root["suppress"]) {
                suppression x;
                if (s["rule"]) x.rule = scalar(s["rule"]);
                x.entity = scalar(s["entity"]);
                x.value = scalar(s["value"]);
                x.reason = scalar(s["reason"]);
                if (!x.entity.empty() && !entity_slot(entities{}, x.entity))
                    return error{"alert.config", path + ": suppress entity must be user, host, src_ip, dst_ip or domain"};
                opts.suppressions.push_back(std::move(x));
            }
    } catch (const YAML::Exception& e) {
        return error{"alert.config", path + ": " + e.what()};
    }
    return {};
}

}  // namespace mimamori::alert
