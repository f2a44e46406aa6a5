// YAML → rule_doc. yaml-cpp throws on malformed YAML; that is caught here, at start-up, and
// becomes a problem of the file, never an exception out of the loader.
#include "detect/sigma/reader.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

namespace mimamori::sigma {

std::string logsource::to_string() const {
    std::string s;
    for (const auto* p : {&product, &category, &service}) {
        if (p->empty()) continue;
        if (!s.empty()) s += '/';
        s += *p;
    }
    return s.empty() ? "(none)" : s;
}

bool read_item::ok() const {
    for (const auto& p : problems)
        if (p.sev == severity::error) return false;
    return true;
}

namespace {

struct ctx {
    const std::string& file;
    read_item& item;

    void add(const YAML::Node& at, std::string code, std::string msg, severity sev = severity::error) {
        problem p;
        p.sev = sev;
        p.file = file;
        if (at.IsDefined()) {
            p.line = at.Mark().line + 1;
            p.column = at.Mark().column + 1;
        }
        p.code = std::move(code);
        p.message = std::move(msg);
        item.problems.push_back(std::move(p));
    }
};

// yaml-cpp throws when asked the type of a missing key's node: always ask IsDefined first.
bool is_map(const YAML::Node& n) { return n.IsDefined() && n.IsMap(); }
bool is_seq(const YAML::Node& n) { return n.IsDefined() && n.IsSequence(); }

int line_of(const YAML::Node& n) { return n.IsDefined() ? n.Mark().line + 1 : 0; }
int col_of(const YAML::Node& n) { return n.IsDefined() ? n.Mark().column + 1 : 0; }

bool is_number_text(const std::string& s) {
    if (s.empty()) return false;
    std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
    if (i >= s.size()) return false;
    if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        for (std::size_t k = i + 2; k < s.size(); ++k)
            if (!std::isxdigit(static_cast<unsigned char>(s[k]))) return false;
        return true;
    }
    bool digit = false, dot = false;
    for (; i < s.size(); ++i) {
        if (s[i] >= '0' && s[i] <= '9') digit = true;
        else if (s[i] == '.' && !dot) dot = true;
        else return false;
    }
    return digit;
}

// A scalar with the type YAML 1.2's core schema gives a plain (unquoted) scalar.
rule_value scalar_value(const YAML::Node& n) {
    rule_value v;
    v.line = line_of(n);
    v.column = col_of(n);
    if (n.IsNull()) {
        v.t = rule_value::type::null;
        return v;
    }
    v.text = n.Scalar();
    if (n.Tag() == "?") {  // plain scalar
        if (v.text == "null" || v.text == "Null" || v.text == "NULL" || v.text == "~") {
            v.t = rule_value::type::null;
            v.text.clear();
        } else if (v.text == "true" || v.text == "false" || v.text == "True" || v.text == "False") {
            v.t = rule_value::type::boolean;
            v.text = (v.text[0] == 't' || v.text[0] == 'T') ? "true" : "false";
        } else if (is_number_text(v.text)) {
            v.t = rule_value::type::number;
        }
    }
    return v;
}

std::string str(const YAML::Node& n) {
    if (!n.IsDefined() || n.IsNull()) return {};
    if (n.IsScalar()) return n.Scalar();
    return {};
}

std::vector<std::string> str_list(ctx& c, const YAML::Node& n, std::string_view key) {
    std::vector<std::string> out;
    if (!n.IsDefined() || n.IsNull()) return out;
    if (n.IsScalar()) {
        out.push_back(n.Scalar());
    } else if (n.IsSequence()) {
        for (const auto& x : n) {
            if (x.IsScalar()) out.push_back(x.Scalar());
            else if (!x.IsNull()) c.add(x, "field.type", "'" + std::string(key) + "' should list plain text values", severity::warning);
        }
    } else {
        c.add(n, "field.type", "'" + std::string(key) + "' should be a list", severity::warning);
    }
    return out;
}

void split_key(const std::string& key, std::string& field, std::vector<std::string>& mods) {
    std::size_t bar = key.find('|');
    field = key.substr(0, bar);
    while (bar != std::string::npos) {
        std::size_t next = key.find('|', bar + 1);
        mods.push_back(key.substr(bar + 1, next == std::string::npos ? std::string::npos : next - bar - 1));
        bar = next;
    }
}

// Values of one field: a scalar or a list of scalars.
void read_values(ctx& c, const YAML::Node& v, field_test& ft) {
    if (v.IsNull() || v.IsScalar()) {
        ft.values.push_back(scalar_value(v));
        return;
    }
    if (v.IsSequence()) {
        if (v.size() == 0) c.add(v, "detection.empty_list", "the value list of '" + ft.field + "' is empty");
        for (const auto& x : v) {
            if (x.IsScalar() || x.IsNull()) ft.values.push_back(scalar_value(x));
            else c.add(x, "detection.value_type", "the values of '" + ft.field + "' must be plain values, not lists or maps");
        }
        return;
    }
    c.add(v, "detection.value_type", "the value of '" + ft.field + "' is a map; give a value or a list of values");
}

bool read_map_group(ctx& c, const YAML::Node& m, test_group& g) {
    g.line = line_of(m);
    if (m.size() == 0) {
        c.add(m, "detection.empty_map", "an empty map in a search identifier");
        return false;
    }
    for (const auto& kv : m) {
        field_test ft;
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        split_key(key, ft.field, ft.modifiers);
        ft.line = line_of(kv.first);
        ft.column = col_of(kv.first);
        read_values(c, kv.second, ft);
        g.tests.push_back(std::move(ft));
    }
    return true;
}

void read_search_id(ctx& c, const std::string& name, const YAML::Node& v, search_id& s) {
    s.name = name;
    s.line = line_of(v);
    s.column = col_of(v);
    if (v.IsMap()) {
        test_group g;
        if (read_map_group(c, v, g)) s.alternatives.push_back(std::move(g));
        return;
    }
    if (v.IsSequence()) {
        if (v.size() == 0) {
            c.add(v, "detection.empty_list", "search identifier '" + name + "' is an empty list");
            return;
        }
        field_test keywords;
        keywords.line = line_of(v);
        keywords.column = col_of(v);
        for (const auto& x : v) {
            if (x.IsMap()) {
                test_group g;
                if (read_map_group(c, x, g)) s.alternatives.push_back(std::move(g));
            } else if (x.IsScalar()) {
                keywords.values.push_back(scalar_value(x));
            } else if (x.IsNull()) {
                c.add(x, "detection.null_keyword", "search identifier '" + name + "' lists an empty item");
            } else {
                c.add(x, "detection.value_type", "search identifier '" + name + "' may list values or maps, not nested lists");
            }
        }
        if (!keywords.values.empty()) {
            test_group g;
            g.line = keywords.line;
            g.tests.push_back(std::move(keywords));
            s.alternatives.push_back(std::move(g));
        }
        return;
    }
    if (v.IsScalar()) {  // a single keyword
        field_test kw;
        kw.line = line_of(v);
        kw.column = col_of(v);
        kw.values.push_back(scalar_value(v));
        test_group g;
        g.line = kw.line;
        g.tests.push_back(std::move(kw));
        s.alternatives.push_back(std::move(g));
        return;
    }
    c.add(v, "detection.empty", "search identifier '" + name + "' has no content");
}

void read_detection(ctx& c, const YAML::Node& d, detection& det, bool is_filter) {
    det.line = line_of(d);
    for (const auto& kv : d) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        if (key == "condition") {
            const auto& v = kv.second;
            if (v.IsScalar()) {
                det.conditions.push_back({v.Scalar(), line_of(v), col_of(v)});
            } else if (v.IsSequence()) {
                for (const auto& x : v) {
                    if (x.IsScalar()) det.conditions.push_back({x.Scalar(), line_of(x), col_of(x)});
                    else c.add(x, "condition.type", "each condition in the list must be text");
                }
            } else {
                c.add(v, "condition.type", "'condition' must be text or a list of texts");
            }
        } else if (key == "timeframe") {
            c.add(kv.first, "detection.timeframe",
                  "'timeframe' belonged to the old aggregation syntax and is ignored; use a correlation rule",
                  severity::warning);
        } else if (is_filter && key == "rules") {
            continue;
        } else {
            search_id s;
            read_search_id(c, key, kv.second, s);
            s.line = line_of(kv.first);
            s.column = col_of(kv.first);
            det.ids.push_back(std::move(s));
        }
    }
    if (det.conditions.empty()) c.add(d, "condition.missing", "the detection has no 'condition'");
}

void merge_into(YAML::Node base, const YAML::Node& over) {
    for (const auto& kv : over) {
        std::string key = kv.first.Scalar();
        if (kv.second.IsMap() && is_map(base[key])) merge_into(base[key], kv.second);
        else base[key] = YAML::Clone(kv.second);
    }
}

void read_document(const YAML::Node& n, const std::string& file, read_result& out) {
    read_item item;
    item.doc = std::make_shared<rule_doc>();
    rule_doc& d = *item.doc;
    ctx c{file, item};
    d.file = file;
    d.line = line_of(n);
    if (!n.IsMap()) {
        c.add(n, "document.type", "a Sigma document must be a map of keys (title, logsource, detection, ...)");
        out.items.push_back(std::move(item));
        return;
    }
    d.title = str(n["title"]);
    d.id = str(n["id"]);
    d.name = str(n["name"]);
    d.status = str(n["status"]);
    d.level = str(n["level"]);
    d.description = str(n["description"]);
    d.author = str(n["author"]);
    d.date = str(n["date"]);
    d.modified = str(n["modified"]);
    d.license = str(n["license"]);
    d.taxonomy = str(n["taxonomy"]);
    d.tags = str_list(c, n["tags"], "tags");
    d.references = str_list(c, n["references"], "references");
    d.falsepositives = str_list(c, n["falsepositives"], "falsepositives");
    d.fields = str_list(c, n["fields"], "fields");
    d.scope = str_list(c, n["scope"], "scope");
    if (auto rel = n["related"]; is_seq(rel)) {
        for (const auto& r : rel)
            if (is_map(r)) d.related.emplace_back(str(r["type"]), str(r["id"]));
    }
    if (auto ls = n["logsource"]; is_map(ls)) {
        d.ls.product = str(ls["product"]);
        d.ls.category = str(ls["category"]);
        d.ls.service = str(ls["service"]);
        d.ls.definition = str(ls["definition"]);
    }
    if (d.title.empty()) c.add(n, "title.missing", "the document has no 'title'");

    if (auto corr = n["correlation"]; corr.IsDefined()) {
        d.kind = doc_kind::correlation;
        if (is_map(corr)) {
            d.correlation_type = str(corr["type"]);
            d.target_rules = str_list(c, corr["rules"], "rules");
        }
    } else if (auto flt = n["filter"]; flt.IsDefined() && !n["detection"].IsDefined()) {
        d.kind = doc_kind::filter;
        if (!is_map(flt)) {
            c.add(flt, "filter.type", "'filter' must be a map with 'rules', selections and 'condition'");
        } else {
            d.target_rules = str_list(c, flt["rules"], "rules");
            if (d.target_rules.empty()) c.add(flt, "filter.rules", "the filter names no rules to apply to ('rules:')");
            read_detection(c, flt, d.det, true);
        }
        if (!is_map(n["logsource"])) c.add(n, "logsource.missing", "the filter has no 'logsource'");
    } else {
        d.kind = doc_kind::rule;
        if (!is_map(n["logsource"])) c.add(n, "logsource.missing", "the rule has no 'logsource' map");
        else if (d.ls.empty()) c.add(n["logsource"], "logsource.empty", "'logsource' names no product, category or service", severity::warning);
        auto det = n["detection"];
        if (!det.IsDefined()) c.add(n, "detection.missing", "the rule has no 'detection'");
        else if (!is_map(det)) c.add(det, "detection.type", "'detection' must be a map of search identifiers and a condition");
        else read_detection(c, det, d.det, false);
    }
    for (auto& p : item.problems) {
        p.rule_id = d.id;
        p.title = d.title;
    }
    out.items.push_back(std::move(item));
}

}  // namespace

void read_text(std::string_view text, const std::string& file, read_result& out) {
    std::vector<YAML::Node> docs;
    try {
        docs = YAML::LoadAll(std::string(text));
    } catch (const YAML::Exception& e) {
        problem p;
        p.file = file;
        p.line = e.mark.line + 1;
        p.column = e.mark.column + 1;
        p.code = "yaml.syntax";
        p.message = "not valid YAML: " + e.msg;
        out.file_problems.push_back(std::move(p));
        return;
    }
    // Legacy collections: `action: global` holds keys merged into every following document,
    // `action: reset` forgets them, `action: repeat` repeats the previous document with changes.
    YAML::Node global, previous;
    bool has_global = false, has_previous = false;
    for (const auto& raw : docs) {
        if (!raw.IsDefined() || raw.IsNull()) continue;
        try {
            if (raw.IsMap() && raw["action"].IsDefined()) {
                std::string action = str(raw["action"]);
                YAML::Node body = YAML::Clone(raw);
                body.remove("action");
                if (action == "global") {
                    global.reset(body);
                    has_global = true;
                    continue;
                }
                if (action == "reset") {
                    has_global = false;
                    continue;
                }
                if (action == "repeat" && has_previous) {
                    YAML::Node merged = YAML::Clone(previous);
                    merge_into(merged, body);
                    previous.reset(merged);
                    read_document(merged, file, out);
                    continue;
                }
            }
            // Note: yaml-cpp's Node::operator= writes through to the referenced node; reset() rebinds.
            YAML::Node doc;
            if (has_global && raw.IsMap()) {
                doc.reset(YAML::Clone(global));
                merge_into(doc, raw);
            } else {
                doc.reset(raw);
            }
            previous.reset(doc);
            has_previous = true;
            read_document(doc, file, out);
        } catch (const YAML::Exception& e) {
            problem p;
            p.file = file;
            p.line = e.mark.line + 1;
            p.code = "yaml.structure";
            p.message = "unexpected YAML structure: " + e.msg;
            out.file_problems.push_back(std::move(p));
        }
    }
}

void read_file(const std::string& path, read_result& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        problem p;
        p.file = path;
        p.code = "io.open";
        p.message = "cannot open the file";
        out.file_problems.push_back(std::move(p));
        return;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    read_text(ss.str(), path, out);
}

}  // namespace mimamori::sigma
