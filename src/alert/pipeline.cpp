// Findings from base matches, correlation hits and threat intelligence → alerts → incidents.
#include "alert/pipeline.hpp"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace mimamori::alert {

namespace {

// Entity fields worth carrying from the event that completes a correlation.
const std::vector<std::string> k_context_fields = {
    "user.name", "host.name", "source.ip", "destination.ip", "TargetUserName", "IpAddress", "Computer",
    "destination.domain", "dns.question.name"};

// Template placeholders that are not event fields.
const std::set<std::string, std::less<>> k_builtin_placeholders = {
    "src", "dst", "user", "host", "domain", "count", "value", "duration", "sample", "samples", "title",
    "list", "indicator", "field"};

std::vector<std::string> placeholders(const std::string& tpl) {
    std::vector<std::string> out;
    for (std::size_t i = tpl.find('{'); i != std::string::npos; i = tpl.find('{', i + 1)) {
        const std::size_t end = tpl.find('}', i);
        if (end == std::string::npos) break;
        std::string k = tpl.substr(i + 1, end - i - 1);
        if (!k_builtin_placeholders.count(k)) out.push_back(std::move(k));
    }
    return out;
}

evidence_ref ref_of(const event& e) { return evidence_ref{std::string(e.file), e.line, e.offset, e.ts}; }
evidence_ref ref_of(const correlate::evidence_ref& r) { return evidence_ref{r.file, r.line, r.offset, r.ts}; }

}  // namespace

pipeline::~pipeline() = default;

result<std::unique_ptr<pipeline>> pipeline::create(pipeline_options opts) {
    std::unique_ptr<pipeline> p(new pipeline());
    p->m_opts = std::move(opts);
    auto& o = p->m_opts;
    p->m_catalog.load(o.rule_paths);
    p->m_catalog.load(o.metadata_paths);
    auto lr = correlate::load_correlations(o.rule_paths);
    for (const auto& pr : lr.problems)
        p->m_stats.problems.push_back(pr.file + ":" + std::to_string(pr.line) + ": " + pr.message);
    p->m_stats.correlations = lr.rules.size();
    o.corr.context_fields = k_context_fields;
    auto eng = correlate::engine::create(std::move(lr.rules), o.corr);
    if (!eng) return eng.err();
    p->m_corr = std::move(eng.value());
    if (!o.state_file.empty() && std::filesystem::exists(o.state_file)) {
        std::ifstream in(o.state_file, std::ios::binary);
        std::size_t skipped = 0;
        auto st = p->m_corr->restore(in, &skipped);
        if (!st) p->m_stats.problems.push_back("correlation state " + o.state_file + " not restored: " + st.err().message);
        else if (skipped)
            p->m_stats.problems.push_back(std::to_string(skipped) + " correlation rule(s) changed since the state was saved; their windows start empty");
    }
    if (!o.intel.empty()) {
        auto st = p->m_intel.load(o.intel);
        if (!st) return st.err();
        p->m_stats.indicators = p->m_intel.snapshot()->size();
    }
    p->m_matcher = std::make_unique<intel::event_matcher>();
    if (!o.alert_config.empty()) {
        auto st = load_alert_config(o.alert_config, o.agg);
        if (!st) return st.err();
    }
    p->m_agg = std::make_unique<aggregator>(&p->m_catalog, o.agg);
    return p;
}

void pipeline::set_base_rules(std::vector<base_rule> rules) {
    m_base = std::move(rules);
    m_inputs.clear();
    m_emits.clear();
    m_template_fields.clear();
    for (const auto& r : m_base) {
        m_inputs.push_back(m_corr->input_for(r.id, r.name));
        m_emits.push_back(m_corr->emits_alerts(r.id, r.name) ? 1 : 0);
        std::vector<std::string> fields;
        if (const rule_info* info = m_catalog.find(r.id.empty() ? r.title : r.id)) {
            for (auto& f : placeholders(info->summary_en)) fields.push_back(std::move(f));
            for (auto& f : placeholders(info->summary_ja)) fields.push_back(std::move(f));
        }
        m_template_fields.push_back(std::move(fields));
    }
}

void pipeline::add_finding(finding f, std::uint32_t ev, std::vector<touch>* touched) {
    ++m_stats.findings;
    const std::size_t idx = m_agg->add(std::move(f));
    if (touched && idx != aggregator::k_dropped) touched->emplace_back(idx, ev);
}

void pipeline::on_batch(const event_batch& batch, const std::vector<std::pair<std::uint32_t, std::uint32_t>>& matches,
                        std::vector<touch>* touched) {
    // Correlation inputs of the whole batch at once (the engine prefetches group state).
    m_corr_in.clear();
    for (const auto& [rule, ev] : matches)
        if (rule < m_base.size() && m_inputs[rule] != correlate::engine::k_no_input) m_corr_in.emplace_back(m_inputs[rule], ev);
    if (!m_corr_in.empty()) {
        m_hits.clear();
        m_corr->on_matches(batch, m_corr_in, m_hits);
        add_hits(m_hits, &batch, touched);
    }
    for (const auto& [rule, ev] : matches) {
        if (rule >= m_base.size() || ev >= batch.size()) continue;
        ++m_stats.base_matches;
        const event& e = batch[ev];
        if (!m_emits[rule]) continue;
        const base_rule& br = m_base[rule];
        finding f;
        f.rule_key = br.id.empty() ? br.title : br.id;
        f.rule.id = br.id;
        f.rule.name = br.name;
        f.rule.title = br.title;
        f.rule.lvl = parse_level(br.level);
        f.rule.tags = br.tags;
        f.rule.stg = stage_from_tags(br.tags);
        f.ts = e.ts;
        fill_entities(f.ent, batch, e);
        f.refs.push_back(ref_of(e));
        for (const auto& name : m_template_fields[rule]) {
            const field_id id = find_field(name);
            if (id == k_no_field) continue;
            std::string_view v = batch.get(e, id);
            if (!v.empty()) f.details.emplace_back(name, std::string(v));
        }
        add_finding(std::move(f), ev, touched);
    }
    // Threat intelligence on every event of the batch.
    auto db = m_intel.snapshot();
    if (db && db->size()) {
        m_matcher->match_batch(*db, batch, m_intel_hits);
        for (std::size_t i = 0; i < m_intel_hits.size(); ++i) {
            for (const auto& h : m_intel_hits[i]) {
                const event& e = batch[i];
                ++m_stats.intel_hits;
                finding f;
                const std::string_view fname = field_name(h.field);
                const bool inbound = fname.rfind("source.", 0) == 0 || fname == "IpAddress" || fname == "SourceIp" ||
                                     fname == "client.ip";
                const bool hash = h.e->kind >= intel::indicator_kind::md5;
                f.rule_key = hash ? "mimamori-intel-malware-hash" : inbound ? "mimamori-intel-inbound" : "mimamori-intel-outbound";
                f.rule.id = f.rule_key;
                f.rule.title = hash ? "Known-malicious file" : inbound ? "Connection from a known-malicious address"
                                                                        : "Traffic to a known-malicious destination";
                f.rule.lvl = level::high;
                f.rule.stg = hash ? stage::internal : inbound ? stage::entry : stage::exit;
                f.ts = e.ts;
                fill_entities(f.ent, batch, e);
                f.details.emplace_back("list", std::string(db->list_name(*h.e)));
                f.details.emplace_back("indicator", std::string(db->text(*h.e)));
                f.details.emplace_back("field", std::string(fname));
                f.sample = std::string(h.value);
                f.refs.push_back(ref_of(e));
                add_finding(std::move(f), static_cast<std::uint32_t>(i), touched);
            }
        }
    }
}

void pipeline::add_hits(std::vector<correlate::hit>& hits, const event_batch* batch, std::vector<touch>* touched) {
    for (auto& h : hits) {
        ++m_stats.correlation_hits;
        const correlate::corr_rule& cr = m_corr->rules()[h.rule];
        if (!m_corr->emits_alerts(cr.id, cr.name)) continue;
        finding f;
        f.rule_key = cr.id.empty() ? cr.title : cr.id;
        f.rule.id = cr.id;
        f.rule.name = cr.name;
        f.rule.title = cr.title;
        f.rule.lvl = parse_level(cr.level);
        f.rule.tags = cr.tags;
        f.rule.stg = stage_from_tags(cr.tags);
        f.ts = h.ts;
        f.first_ts = h.first_ts;
        f.events = h.events;
        f.value = h.value;
        f.sample = std::move(h.sample);
        fill_entities(f.ent, h.group);
        // Sequences are about the event that completed them (who logged on); counts are not
        // about the last user tried, but the host that was attacked is still worth knowing.
        if (cr.type == correlate::corr_type::temporal || cr.type == correlate::corr_type::temporal_ordered) {
            fill_entities(f.ent, h.context);
        } else {
            for (const auto& [k, v] : h.context)
                if (k == "host.name" || k == "Computer") fill_entities(f.ent, {{k, v}});
        }
        f.details = std::move(h.group);
        if (!h.first.file.empty() && h.first.ts != h.last.ts) f.refs.push_back(ref_of(h.first));
        f.refs.push_back(ref_of(h.last));
        // Live mode: the event that completed the pattern, when it is in this batch (the
        // newest correlation input with the hit's time).
        std::uint32_t ev = k_no_event;
        if (touched && batch)
            for (auto it = m_corr_in.rbegin(); it != m_corr_in.rend(); ++it)
                if (it->second < batch->size() && (*batch)[it->second].ts == h.ts) {
                    ev = it->second;
                    break;
                }
        add_finding(std::move(f), ev, touched);
    }
}

status pipeline::finish() {
    m_hits.clear();
    m_corr->flush(m_hits);
    add_hits(m_hits);
    if (!m_opts.state_file.empty()) {
        std::ofstream out(m_opts.state_file, std::ios::binary | std::ios::trunc);
        if (!out) return error{"alert.state", "cannot write correlation state to " + m_opts.state_file};
        m_corr->save(out);
    }
    m_alerts = m_agg->finish();
    m_incidents = build_incidents(m_alerts, m_opts.inc);
    return {};
}

const std::vector<alert>& pipeline::live_alerts() const { return m_agg->current(); }

std::vector<incident> pipeline::live_incidents() const { return build_incidents(m_agg->current(), m_opts.inc); }

std::vector<std::string> pipeline::live_forget_before(timestamp_ns cutoff) {
    const auto& all = m_agg->current();
    std::vector<std::uint8_t> keep(all.size(), 0), in_incident(all.size(), 0);
    std::vector<std::string> gone;
    for (const auto& inc : live_incidents()) {
        const bool active = inc.last >= cutoff;
        if (!active) gone.push_back(inc.id);
        for (std::size_t i : inc.alerts) {
            in_incident[i] = 1;
            if (active) keep[i] = 1;
        }
    }
    for (std::size_t i = 0; i < all.size(); ++i)
        if (!in_incident[i] && all[i].last >= cutoff) keep[i] = 1;
    m_agg->keep_only(keep);
    return gone;
}

std::string pipeline::save_state() const {
    std::ostringstream out(std::ios::binary);
    m_corr->save(out);
    return std::move(out).str();
}

status pipeline::restore_state(const std::string& blob) {
    if (blob.empty()) return {};
    std::istringstream in(blob, std::ios::binary);
    std::size_t skipped = 0;
    auto st = m_corr->restore(in, &skipped);
    if (!st) return st;
    if (skipped)
        m_stats.problems.push_back(std::to_string(skipped) + " correlation rule(s) changed since the state was saved; their windows start empty");
    return {};
}

pipeline_stats pipeline::stats() const {
    pipeline_stats s = m_stats;
    s.corr = m_corr->stats();
    return s;
}

}  // namespace mimamori::alert
