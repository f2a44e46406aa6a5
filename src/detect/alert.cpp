// Building and writing alerts.
#include "detect/alert.hpp"

#include <algorithm>

#include "core/time.hpp"

namespace mimamori::detect {

int level_rank(std::string_view l) {
    if (l == "informational") return 0;
    if (l == "low") return 1;
    if (l == "high") return 3;
    if (l == "critical") return 4;
    return 2;
}

alert make_alert(const ruleset& rs, const rule_match& m, const event_batch& batch) {
    static const field_id k_computer = intern("Computer"), k_user = intern("User"),
                          k_subject = intern("SubjectUserName"), k_target = intern("TargetUserName");
    const auto& rule = rs.rules()[m.rule];
    const auto& d = *rule.doc;
    const event& e = batch[m.event];
    alert a;
    a.ts = e.ts;
    a.rule_id = d.id;
    a.title = d.title;
    a.level = d.level.empty() ? "medium" : d.level;
    a.tags = d.tags;
    a.logsource = d.ls.to_string();
    a.host = std::string(batch.get(e, f::host_name));
    if (a.host.empty()) a.host = std::string(batch.get(e, k_computer));
    for (field_id id : {field_id(f::user_name), k_user, k_target, k_subject}) {
        if (!a.user.empty()) break;
        a.user = std::string(batch.get(e, id));
    }
    std::vector<field_id> seen;
    for (field_id id : rs.key_fields(m)) {
        if (std::find(seen.begin(), seen.end(), id) != seen.end()) continue;
        seen.push_back(id);
        if (const field* fl = batch.find(e, id)) a.key_fields.emplace_back(std::string(field_name(id)), std::string(fl->value));
    }
    write_event_json(batch, e, a.event_json);
    return a;
}

void write_alert_json(const alert& a, std::string& out) {
    out += "{\"@timestamp\":";
    if (a.ts == k_no_time) {
        out += "null";
    } else {
        out.push_back('"');
        format_rfc3339(a.ts, out);
        out.push_back('"');
    }
    out += ",\"rule.id\":";
    append_json_string(out, a.rule_id);
    out += ",\"rule.name\":";
    append_json_string(out, a.title);
    out += ",\"rule.level\":";
    append_json_string(out, a.level);
    out += ",\"rule.tags\":[";
    for (std::size_t i = 0; i < a.tags.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, a.tags[i]);
    }
    out += "],\"rule.logsource\":";
    append_json_string(out, a.logsource);
    out += ",\"host.name\":";
    append_json_string(out, a.host);
    out += ",\"user.name\":";
    append_json_string(out, a.user);
    out += ",\"key_fields\":{";
    for (std::size_t i = 0; i < a.key_fields.size(); ++i) {
        if (i) out.push_back(',');
        append_json_string(out, a.key_fields[i].first);
        out.push_back(':');
        append_json_string(out, a.key_fields[i].second);
    }
    out += "},\"event\":";
    out += a.event_json.empty() ? "null" : a.event_json;
    out.push_back('}');
}

}  // namespace mimamori::detect
