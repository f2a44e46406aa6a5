// `mimamori demo evaluate`: alerts against the ground truth of labels.json.
//
// Attribution is by evidence first: an alert whose event (or any of its evidence references)
// is a labelled record belongs to that record's story and stage — true positives, no guessing.
// An alert without labelled evidence that names one of a story's entities (attacker address,
// account, host, indicator) inside the story's time span (± 1 h) is "near" the story: what an
// analyst following the story would have to look through. Precision = labelled alerts /
// (labelled + near); recall = labelled steps found / labelled steps.
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_map>

#include "core/time.hpp"
#include "demo/demo.hpp"

namespace mimamori::demo {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// By value: a range-for over `x.get_array().value_unsafe()` would iterate a dead temporary.
simdjson::dom::array as_array(element v) { return v.get_array().value_unsafe(); }
simdjson::dom::object as_object(element v) { return v.get_object().value_unsafe(); }

constexpr timestamp_ns k_margin = 3600LL * k_ns_per_sec;
const char* const k_stage_names[] = {"entry", "internal", "exit"};

struct step_ref {
    std::size_t story, stage;  // stage: 0 entry, 1 internal, 2 exit
    std::size_t step;          // global step index
};

struct file_index {
    std::unordered_map<std::uint64_t, std::size_t> by_line, by_offset;  // → global step index
};

struct story_def {
    bool background = false;  // the "background" steps: routine internet hostility
    std::string id, title;
    timestamp_ns first = 0, last = 0;
    std::set<std::string> entities;
    std::size_t steps[3] = {0, 0, 0}, lines[3] = {0, 0, 0};
    bool has_stage[3] = {false, false, false};
};

struct step_def {
    std::size_t story, stage;
    std::string id, what;
    std::size_t records = 0;
};

std::string lower(std::string_view s) {
    std::string o(s);
    for (auto& c : o)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return o;
}

// Forms under which an entity value can appear: IPs without ::ffff:, hosts without domain,
// users without DOMAIN\ or @domain.
void entity_forms(std::string_view raw, std::vector<std::string>& out) {
    std::string v = lower(raw);
    if (v.empty() || v == "-") return;
    if (v.rfind("::ffff:", 0) == 0) v = v.substr(7);
    out.push_back(v);
    if (auto bs = v.rfind('\\'); bs != std::string::npos && bs + 1 < v.size()) out.push_back(v.substr(bs + 1));
    if (auto at = v.find('@'); at != std::string::npos && at > 0) out.push_back(v.substr(0, at));
    bool ip = !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.' || c == ':'; });
    if (!ip)
        if (auto dot = v.find('.'); dot != std::string::npos && dot > 0 && v.find('\\') == std::string::npos) out.push_back(v.substr(0, dot));
}

bool get_str(element obj, const char* key, std::string_view& out) {
    element v;
    if (obj.type() != element_type::OBJECT || obj[key].get(v) != simdjson::SUCCESS) return false;
    if (v.type() != element_type::STRING) return false;
    out = v.get_string().value_unsafe();
    return true;
}

bool get_u64(element obj, const char* key, std::uint64_t& out) {
    element v;
    if (obj.type() != element_type::OBJECT || obj[key].get(v) != simdjson::SUCCESS) return false;
    if (v.type() == element_type::UINT64) out = v.get_uint64().value_unsafe();
    else if (v.type() == element_type::INT64) out = static_cast<std::uint64_t>(v.get_int64().value_unsafe());
    else if (v.type() == element_type::DOUBLE) out = static_cast<std::uint64_t>(v.get_double().value_unsafe());
    else return false;
    return true;
}

// Values of a key that may be a string or an array of strings.
void get_values(element obj, const char* key, std::vector<std::string>& out) {
    element v;
    if (obj.type() != element_type::OBJECT || obj[key].get(v) != simdjson::SUCCESS) return;
    if (v.type() == element_type::STRING) {
        entity_forms(v.get_string().value_unsafe(), out);
    } else if (v.type() == element_type::ARRAY) {
        for (element x : as_array(v))
            if (x.type() == element_type::STRING) entity_forms(x.get_string().value_unsafe(), out);
    }
}

struct alert_view {
    std::string title;
    int stage_hint = -1;  // from the rule's stage or ATT&CK tags; -1 unknown
    timestamp_ns first = k_no_time, last = k_no_time;
    std::vector<std::string> entities;
    struct ref {
        std::string file;
        std::uint64_t line = 0, offset = 0;
        bool has_line = false, has_offset = false;
    };
    std::vector<ref> refs;
};

int stage_from_text(std::string_view s) {
    if (s == "entry") return 0;
    if (s == "internal") return 1;
    if (s == "exit") return 2;
    return -1;
}

int stage_from_tags(const std::vector<std::string>& tags) {
    int st = -1;
    for (const auto& t0 : tags) {
        std::string t = lower(t0);
        for (auto& c : t)
            if (c == '-') c = '_';
        if (t == "attack.reconnaissance" || t == "attack.initial_access" || t == "attack.credential_access") return 0;
        if (t == "attack.exfiltration" || t == "attack.command_and_control") st = 2;
        else if (st < 0 && t.rfind("attack.", 0) == 0 && !(t.size() > 8 && t[7] == 't' && t[8] >= '0' && t[8] <= '9')) st = 1;
    }
    return st;
}

const char* const k_entity_keys[] = {
    "source.ip", "destination.ip", "user.name", "host.name", "user.target.name", "source.user.name", "user.effective.name",
    "IpAddress", "TargetUserName", "SubjectUserName", "Computer", "WorkstationName", "Workstation", "destination.domain",
    "url.domain", "dns.question.name", "QueryName", "DestinationIp", "DestinationHostname", "SourceIp", "User",
    "userIdentity.userName", "userIdentity.accessKeyId", "email.to.address", "email.from.address", "source.domain",
    "remip", "tunnelip", "hostname"};

bool read_alert(element root, alert_view& a) {
    element rule, ev, tmp;
    std::string_view s;
    std::vector<std::string> tags;
    if (root.type() != element_type::OBJECT) return false;
    if (root["rule"].get(rule) == simdjson::SUCCESS && rule.type() == element_type::OBJECT) {
        // Aggregated alert (src/alert): rule{}, entities{}, evidence[], first/last.
        if (get_str(rule, "title", s)) a.title = s;
        if (get_str(rule, "stage", s)) a.stage_hint = stage_from_text(s);
        element t;
        if (rule["tags"].get(t) == simdjson::SUCCESS && t.type() == element_type::ARRAY)
            for (element x : as_array(t))
                if (x.type() == element_type::STRING) tags.emplace_back(x.get_string().value_unsafe());
        element ents;
        if (root["entities"].get(ents) == simdjson::SUCCESS && ents.type() == element_type::OBJECT)
            for (auto [k, v] : as_object(ents))
                if (v.type() == element_type::STRING) entity_forms(v.get_string().value_unsafe(), a.entities);
        element evid;
        if (root["evidence"].get(evid) == simdjson::SUCCESS && evid.type() == element_type::ARRAY)
            for (element x : as_array(evid)) {
                alert_view::ref r;
                if (!get_str(x, "file", s)) continue;
                r.file = s;
                r.has_line = get_u64(x, "line", r.line) && r.line > 0;
                r.has_offset = get_u64(x, "offset", r.offset);
                a.refs.push_back(r);
                timestamp_ns ts;
                if (get_str(x, "@timestamp", s) && parse_rfc3339(s, ts)) {
                    if (a.first == k_no_time || ts < a.first) a.first = ts;
                    if (a.last == k_no_time || ts > a.last) a.last = ts;
                }
            }
        timestamp_ns ts;
        if (get_str(root, "first", s) && parse_rfc3339(s, ts)) a.first = ts;
        if (get_str(root, "last", s) && parse_rfc3339(s, ts)) a.last = ts;
    } else if (get_str(root, "rule.id", s) || get_str(root, "rule.name", s)) {
        // One rule match (`mimamori scan --json`): rule.*, host.name, user.name, event{}.
        if (get_str(root, "rule.name", s)) a.title = s;
        else if (get_str(root, "rule.id", s)) a.title = s;
        element t;
        if (root["rule.tags"].get(t) == simdjson::SUCCESS && t.type() == element_type::ARRAY)
            for (element x : as_array(t))
                if (x.type() == element_type::STRING) tags.emplace_back(x.get_string().value_unsafe());
        if (get_str(root, "rule.stage", s)) a.stage_hint = stage_from_text(s);
        get_values(root, "host.name", a.entities);
        get_values(root, "user.name", a.entities);
        timestamp_ns ts;
        if (get_str(root, "@timestamp", s) && parse_rfc3339(s, ts)) a.first = a.last = ts;
        if (root["event"].get(ev) == simdjson::SUCCESS && ev.type() == element_type::OBJECT) {
            alert_view::ref r;
            if (get_str(ev, "log.file.path", s)) {
                r.file = s;
                r.has_line = get_u64(ev, "log.file.line", r.line) && r.line > 0;
                r.has_offset = get_u64(ev, "log.offset", r.offset);
                a.refs.push_back(r);
            }
            for (const char* k : k_entity_keys) get_values(ev, k, a.entities);
            if (a.first == k_no_time && get_str(ev, "@timestamp", s) && parse_rfc3339(s, ts)) a.first = a.last = ts;
        }
    } else {
        return false;  // an incident or something else
    }
    if (a.stage_hint < 0) a.stage_hint = stage_from_tags(tags);
    return true;
}

}  // namespace

result<evaluation> evaluate(const std::string& labels_json, const std::string& alerts_ndjson) {
    simdjson::dom::parser lp;
    element root;
    simdjson::padded_string padded(labels_json);
    if (auto err = lp.parse(padded).get(root); err)
        return error{"labels.parse", std::string("labels.json is not valid JSON: ") + simdjson::error_message(err)};
    element stories;
    if (root["stories"].get(stories) != simdjson::SUCCESS || stories.type() != element_type::ARRAY)
        return error{"labels.shape", "labels.json has no \"stories\" array"};

    std::vector<story_def> defs;
    std::vector<step_def> steps;
    std::map<std::string, file_index> files;
    auto add_step = [&](element step, std::size_t si, std::size_t sx, story_def& d) {
        const std::size_t gi = steps.size();
        steps.push_back(step_def{si, sx, {}, {}, 0});
        std::string_view sv;
        if (get_str(step, "id", sv)) steps.back().id = sv;
        if (get_str(step, "what", sv)) steps.back().what = sv;
        ++d.steps[sx];
        element evs;
        if (step["evidence"].get(evs) != simdjson::SUCCESS || evs.type() != element_type::ARRAY) return;
        for (element fe : as_array(evs)) {
            std::string_view file;
            if (!get_str(fe, "file", file)) continue;
            auto& fi = files[std::string(file)];
            element arr;
            if (fe["lines"].get(arr) == simdjson::SUCCESS && arr.type() == element_type::ARRAY)
                for (element n : as_array(arr)) {
                    std::uint64_t x = 0;
                    if (n.get_uint64().get(x) == simdjson::SUCCESS) {
                        fi.by_line.emplace(x, gi);
                        ++d.lines[sx];
                        ++steps[gi].records;
                    }
                }
            if (fe["offsets"].get(arr) == simdjson::SUCCESS && arr.type() == element_type::ARRAY)
                for (element n : as_array(arr)) {
                    std::uint64_t x = 0;
                    if (n.get_uint64().get(x) == simdjson::SUCCESS) fi.by_offset.emplace(x, gi);
                }
        }
    };
    for (element s : as_array(stories)) {
        story_def d;
        std::string_view v;
        if (get_str(s, "id", v)) d.id = v;
        if (get_str(s, "title", v)) d.title = v;
        if (get_str(s, "first", v)) (void)parse_rfc3339(v, d.first);
        if (get_str(s, "last", v)) (void)parse_rfc3339(v, d.last);
        std::vector<std::string> ents;
        for (const char* k : {"attacker_ips", "accounts", "hosts", "indicators"}) get_values(s, k, ents);
        d.entities.insert(ents.begin(), ents.end());
        const std::size_t si = defs.size();
        element stages;
        if (s["stages"].get(stages) == simdjson::SUCCESS && stages.type() == element_type::ARRAY)
            for (element stg : as_array(stages)) {
                std::string_view name;
                if (!get_str(stg, "stage", name)) continue;
                int sx = stage_from_text(name);
                if (sx < 0) continue;
                d.has_stage[sx] = true;
                element ss;
                if (stg["steps"].get(ss) != simdjson::SUCCESS || ss.type() != element_type::ARRAY) continue;
                for (element step : as_array(ss)) add_step(step, si, static_cast<std::size_t>(sx), d);
            }
        defs.push_back(std::move(d));
    }
    element bg;
    if (root["background"].get(bg) == simdjson::SUCCESS && bg.type() == element_type::ARRAY) {
        story_def d;
        d.background = true;
        d.id = "background";
        const std::size_t si = defs.size();
        for (element step : as_array(bg)) add_step(step, si, 0, d);
        defs.push_back(std::move(d));
    }

    // Scores.
    const std::size_t n = defs.size();
    std::vector<std::array<std::set<std::size_t>, 3>> steps_hit(n);
    std::vector<std::array<std::set<std::pair<std::string, std::uint64_t>>, 3>> lines_hit(n);
    std::vector<std::array<std::size_t, 3>> alerts_in(n, {0, 0, 0}), near_in(n, {0, 0, 0});
    std::vector<std::size_t> story_alerts(n, 0), story_near(n, 0);
    std::vector<std::set<std::uint64_t>> step_records(steps.size());
    std::vector<std::size_t> step_alerts(steps.size(), 0);
    std::vector<std::set<std::string>> step_rules(steps.size());
    evaluation out;
    std::map<std::string, std::size_t> unrelated, background;

    std::unordered_map<std::string, const std::pair<const std::string, file_index>*> path_cache;
    auto find_file = [&](const std::string& path) -> const std::pair<const std::string, file_index>* {
        auto c = path_cache.find(path);
        if (c != path_cache.end()) return c->second;
        const std::pair<const std::string, file_index>* hit = nullptr;
        std::string p = path;
        for (auto& ch : p)
            if (ch == '\\') ch = '/';
        std::size_t pos = 0;
        while (!hit) {
            auto it = files.find(p.substr(pos));
            if (it != files.end()) hit = &*it;
            std::size_t slash = p.find('/', pos);
            if (slash == std::string::npos) break;
            pos = slash + 1;
        }
        path_cache.emplace(path, hit);
        return hit;
    };

    simdjson::dom::parser ap;
    std::size_t start = 0;
    while (start < alerts_ndjson.size()) {
        std::size_t end = alerts_ndjson.find('\n', start);
        if (end == std::string::npos) end = alerts_ndjson.size();
        std::string_view line(alerts_ndjson.data() + start, end - start);
        start = end + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
        if (line.empty()) continue;
        element aroot;
        alert_view a;
        if (ap.parse(line.data(), line.size(), true).get(aroot) != simdjson::SUCCESS) {
            ++out.unreadable;
            continue;
        }
        if (std::string_view type; get_str(aroot, "type", type) && type == "incident") {
            ++out.incidents;
            continue;
        }
        if (!read_alert(aroot, a)) {
            ++out.unreadable;
            continue;
        }
        ++out.alerts;
        // Evidence attribution.
        std::set<std::pair<std::size_t, std::size_t>> hit_stages;
        std::set<std::size_t> hit_steps;
        for (const auto& r : a.refs) {
            const auto* fi = find_file(r.file);
            if (!fi) continue;
            std::size_t gi = 0;
            bool found = false;
            if (r.has_line) {
                auto it = fi->second.by_line.find(r.line);
                if (it != fi->second.by_line.end()) gi = it->second, found = true;
            } else if (r.has_offset) {
                auto it = fi->second.by_offset.find(r.offset);
                if (it != fi->second.by_offset.end()) gi = it->second, found = true;
            }
            if (!found) continue;
            const auto& sd = steps[gi];
            steps_hit[sd.story][sd.stage].insert(gi);
            lines_hit[sd.story][sd.stage].insert({fi->first, r.has_line ? r.line : r.offset});
            step_records[gi].insert((std::hash<std::string>{}(fi->first) << 1) ^ (r.has_line ? r.line : r.offset));
            hit_stages.insert({sd.story, sd.stage});
            hit_steps.insert(gi);
        }
        for (auto gi : hit_steps) {
            ++step_alerts[gi];
            step_rules[gi].insert(a.title);
        }
        std::set<std::size_t> st;
        bool on_background = false;
        for (auto [s, g] : hit_stages) {
            if (defs[s].background) {
                on_background = true;
                continue;
            }
            ++alerts_in[s][g];
            st.insert(s);
        }
        if (!st.empty()) {
            ++out.attributed;
            for (auto s : st) ++story_alerts[s];
            continue;
        }
        if (on_background) {
            ++out.background;
            ++background[a.title.empty() ? "(untitled rule)" : a.title];
            continue;
        }
        // Near a story: its entities, in its span.
        bool near_any = false;
        for (std::size_t s = 0; s < n; ++s) {
            const auto& d = defs[s];
            if (d.background) continue;
            bool in_time = a.first == k_no_time ||
                           (a.last >= d.first - k_margin && a.first <= d.last + k_margin);
            if (!in_time) continue;
            bool ent = std::any_of(a.entities.begin(), a.entities.end(), [&](const std::string& e) { return d.entities.count(e) > 0; });
            if (!ent) continue;
            near_any = true;
            ++story_near[s];
            if (a.stage_hint >= 0) ++near_in[s][static_cast<std::size_t>(a.stage_hint)];
        }
        if (near_any) {
            ++out.near;
        } else {
            ++out.unrelated;
            ++unrelated[a.title.empty() ? "(untitled rule)" : a.title];
        }
    }

    for (std::size_t s = 0; s < n; ++s) {
        if (defs[s].background) continue;
        story_score sc;
        sc.id = defs[s].id;
        sc.title = defs[s].title;
        sc.total.stage = "all";
        for (std::size_t g = 0; g < 3; ++g) {
            if (!defs[s].has_stage[g]) continue;
            stage_score st;
            st.stage = k_stage_names[g];
            st.steps = defs[s].steps[g];
            st.steps_hit = steps_hit[s][g].size();
            st.lines = defs[s].lines[g];
            st.lines_hit = lines_hit[s][g].size();
            st.alerts = alerts_in[s][g];
            st.near = near_in[s][g];
            sc.total.steps += st.steps;
            sc.total.steps_hit += st.steps_hit;
            sc.total.lines += st.lines;
            sc.total.lines_hit += st.lines_hit;
            sc.stages.push_back(st);
        }
        for (std::size_t gi = 0; gi < steps.size(); ++gi) {
            if (steps[gi].story != s) continue;
            step_score ss;
            ss.id = steps[gi].id;
            ss.stage = k_stage_names[steps[gi].stage];
            ss.what = steps[gi].what;
            ss.records = steps[gi].records;
            ss.records_hit = step_records[gi].size();
            ss.alerts = step_alerts[gi];
            ss.rules.assign(step_rules[gi].begin(), step_rules[gi].end());
            sc.steps.push_back(std::move(ss));
        }
        sc.total.alerts = story_alerts[s];
        sc.total.near = story_near[s];
        out.stories.push_back(std::move(sc));
    }
    auto top = [](const std::map<std::string, std::size_t>& m) {
        std::vector<std::pair<std::string, std::size_t>> v(m.begin(), m.end());
        std::stable_sort(v.begin(), v.end(), [](const auto& x, const auto& y) { return x.second > y.second; });
        if (v.size() > 8) v.resize(8);
        return v;
    };
    out.top_unrelated = top(unrelated);
    out.top_background = top(background);
    return out;
}

std::string render_evaluation(const evaluation& ev, bool show_steps) {
    std::string o;
    char buf[256];
    auto ratio = [](std::size_t a, std::size_t b) -> std::string {
        if (b == 0) return "-";
        char t[16];
        std::snprintf(t, sizeof t, "%.2f", static_cast<double>(a) / static_cast<double>(b));
        return t;
    };
    std::snprintf(buf, sizeof buf, "  %-5s %-9s %-9s %9s %11s %13s %8s %6s\n", "STORY", "STAGE", "DETECTED", "PRECISION",
                  "RECALL", "EVIDENCE HIT", "ALERTS", "NEAR");
    o += buf;
    auto row = [&](const std::string& story, const stage_score& s) {
        std::string rec = std::to_string(s.steps_hit) + "/" + std::to_string(s.steps) + " " + ratio(s.steps_hit, s.steps);
        std::string lines = std::to_string(s.lines_hit) + "/" + std::to_string(s.lines);
        std::snprintf(buf, sizeof buf, "  %-5s %-9s %-9s %9s %11s %13s %8zu %6zu\n", story.c_str(), s.stage.c_str(),
                      s.detected() ? "yes" : "no", ratio(s.alerts, s.alerts + s.near).c_str(), rec.c_str(), lines.c_str(),
                      s.alerts, s.near);
        o += buf;
    };
    for (const auto& s : ev.stories) {
        o += "\n  (" + s.id + ") " + s.title + "\n";
        for (const auto& st : s.stages) row(s.id, st);
        row(s.id, s.total);
        if (show_steps) {
            for (const auto& st : s.steps) {
                std::snprintf(buf, sizeof buf, "      %-4s %-34s %5zu/%-5zu %s\n", st.records_hit ? "hit" : "-", st.id.c_str(),
                              st.records_hit, st.records, st.what.c_str());
                o += buf;
                for (const auto& r : st.rules) o += "                by: " + r + "\n";
            }
        }
    }
    o += "\n";
    std::snprintf(buf, sizeof buf,
                  "  %zu alert(s): %zu on the stories' records, %zu on background internet hostility (scanners, bots,\n"
                  "  spam), %zu near a story (its entities and time, unlabelled records), %zu on benign activity",
                  ev.alerts, ev.attributed, ev.background, ev.near, ev.unrelated);
    o += buf;
    if (ev.incidents) o += "; " + std::to_string(ev.incidents) + " incident(s) not scored";
    if (ev.unreadable) o += "; " + std::to_string(ev.unreadable) + " line(s) neither alerts nor incidents";
    o += ".\n";
    if (ev.alerts) {
        std::snprintf(buf, sizeof buf,
                      "  Precision over all alerts: %s counting only the stories, %s counting background hostility as found.\n",
                      ratio(ev.attributed, ev.alerts).c_str(), ratio(ev.attributed + ev.background, ev.alerts).c_str());
        o += buf;
    }
    auto list = [&](const char* head, const std::vector<std::pair<std::string, std::size_t>>& v) {
        if (v.empty()) return;
        o += head;
        for (const auto& [t, c] : v) {
            std::snprintf(buf, sizeof buf, "    %6zu  %s\n", c, t.c_str());
            o += buf;
        }
    };
    list("  Alerts on benign activity (false alarms), by rule:\n", ev.top_unrelated);
    list("  Alerts on background internet hostility, by rule:\n", ev.top_background);
    o += "\n  PRECISION = alerts on labelled records / (those + NEAR alerts); RECALL = labelled steps with at least one\n"
         "  alert / labelled steps; EVIDENCE HIT = labelled records an alert points at. See docs/demo.md.\n";
    return o;
}

}  // namespace mimamori::demo
