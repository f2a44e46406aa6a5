// Reading correlation documents (yaml-cpp stays in this file).
#include "detect/correlate/rule.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "detect/intel/hash.hpp"

namespace mimamori::correlate {

std::string_view type_name(corr_type t) {
    switch (t) {
        case corr_type::event_count: return "event_count";
        case corr_type::value_count: return "value_count";
        case corr_type::temporal: return "temporal";
        case corr_type::temporal_ordered: return "temporal_ordered";
        case corr_type::value_sum: return "value_sum";
        case corr_type::value_avg: return "value_avg";
        case corr_type::value_percentile: return "value_percentile";
    }
    return "?";
}

bool parse_type(std::string_view s, corr_type& t) {
    for (auto c : {corr_type::event_count, corr_type::value_count, corr_type::temporal,
                   corr_type::temporal_ordered, corr_type::value_sum, corr_type::value_avg,
                   corr_type::value_percentile})
        if (type_name(c) == s) {
            t = c;
            return true;
        }
    return false;
}

bool condition::empty() const {
    return std::isnan(gt) && std::isnan(gte) && std::isnan(lt) && std::isnan(lte) &&
           std::isnan(eq) && std::isnan(neq);
}

bool condition::test(double v) const {
    if (!std::isnan(gt) && !(v > gt)) return false;
    if (!std::isnan(gte) && !(v >= gte)) return false;
    if (!std::isnan(lt) && !(v < lt)) return false;
    if (!std::isnan(lte) && !(v <= lte)) return false;
    if (!std::isnan(eq) && !(v == eq)) return false;
    if (!std::isnan(neq) && !(v != neq)) return false;
    return true;
}

bool condition::checked_on_update() const {
    return !std::isnan(gt) || !std::isnan(gte) || !std::isnan(eq) || !std::isnan(neq) || empty();
}

double condition::max_bound() const {
    double m = 0;
    for (double b : {gt + 1, gte, lt, lte + 1, eq + 1, neq + 1})
        if (!std::isnan(b)) m = std::max(m, b);
    return m + 1;
}

std::string condition::to_string() const {
    std::string out;
    auto add = [&](const char* op, double v) {
        if (std::isnan(v)) return;
        if (!out.empty()) out += " and ";
        std::ostringstream os;
        os << op << ' ' << v;
        out += os.str();
    };
    add("gt", gt);
    add("gte", gte);
    add("lt", lt);
    add("lte", lte);
    add("eq", eq);
    add("neq", neq);
    return out;
}

std::uint64_t corr_rule::fingerprint() const {
    using detect::hash_combine;
    using detect::hash_str;
    std::uint64_t h = hash_str(type_name(type));
    for (const auto& r : rules) h = hash_combine(h, hash_str(r));
    h = hash_combine(h, 0x11);
    for (const auto& g : group_by) h = hash_combine(h, hash_str(g));
    for (const auto& [a, m] : aliases) {
        h = hash_combine(h, hash_str(a));
        for (const auto& [r, f] : m) h = hash_combine(hash_combine(h, hash_str(r)), hash_str(f));
    }
    if (!context.empty()) h = hash_combine(hash_combine(h, hash_str(context)), hash_str(context_timezone));
    h = hash_combine(h, static_cast<std::uint64_t>(timespan));
    h = hash_combine(h, hash_str(cond.to_string()));
    for (const auto& f : fields) h = hash_combine(h, hash_str(f));
    return h;
}

bool parse_timespan(std::string_view s, timestamp_ns& out) {
    if (s.size() < 2) return false;
    std::int64_t n = 0;
    std::size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
        n = n * 10 + (s[i] - '0');
        if (n > 100'000'000) return false;
    }
    if (i == 0 || i + 1 != s.size()) return false;
    std::int64_t unit;
    switch (s[i]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default: return false;
    }
    if (n == 0) return false;
    out = n * unit * 1'000'000'000LL;
    return true;
}

namespace {

std::string scalar(const YAML::Node& n) {
    if (n && n.IsScalar()) return n.Scalar();
    return {};
}

bool number(const YAML::Node& n, double& out) {
    if (!n || !n.IsScalar()) return false;
    const std::string& s = n.Scalar();
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end && *end == 0 && !s.empty();
}

void parse_doc(const YAML::Node& doc, const std::string& file, load_result& res) {
    const YAML::Node corr = doc["correlation"];
    if (!corr) return;
    corr_rule r;
    r.file = file;
    r.line = doc.Mark().line + 1;
    r.id = scalar(doc["id"]);
    r.name = scalar(doc["name"]);
    r.title = scalar(doc["title"]);
    r.level = scalar(doc["level"]);
    r.status = scalar(doc["status"]);
    r.description = scalar(doc["description"]);
    if (doc["tags"] && doc["tags"].IsSequence())
        for (const auto& t : doc["tags"]) r.tags.push_back(scalar(t));
    if (doc["generate"]) r.generate = scalar(doc["generate"]) == "true";
    std::vector<std::string> errors;
    auto fail = [&](std::string msg) { errors.push_back(std::move(msg)); };
    if (!corr.IsMap()) {
        fail("`correlation` must be a map");
    } else {
        if (!parse_type(scalar(corr["type"]), r.type))
            fail("correlation.type must be one of event_count, value_count, temporal, "
                 "temporal_ordered, value_sum, value_avg, value_percentile (got '" +
                 scalar(corr["type"]) + "')");
        if (corr["generate"]) r.generate = scalar(corr["generate"]) == "true";
        const YAML::Node rules = corr["rules"];
        if (rules && rules.IsSequence()) {
            for (const auto& x : rules) r.rules.push_back(scalar(x));
        } else if (rules && rules.IsScalar()) {
            r.rules.push_back(rules.Scalar());
        }
        if (r.rules.empty()) fail("correlation.rules must list at least one rule id or name");
        const YAML::Node gb = corr["group-by"];
        if (gb && gb.IsSequence()) {
            for (const auto& x : gb) r.group_by.push_back(scalar(x));
        } else if (gb && gb.IsScalar()) {
            r.group_by.push_back(gb.Scalar());
        }
        const YAML::Node al = corr["aliases"];
        if (al && al.IsMap())
            for (const auto& a : al) {
                if (!a.second.IsMap()) {
                    fail("correlation.aliases." + a.first.Scalar() + " must map rule names to fields");
                    continue;
                }
                for (const auto& m : a.second) r.aliases[a.first.Scalar()][m.first.Scalar()] = scalar(m.second);
            }
        const std::string ts = scalar(corr["timespan"]);
        if (!parse_timespan(ts, r.timespan))
            fail("correlation.timespan must be a number followed by s, m, h or d (got '" + ts + "')");
        const YAML::Node cond = corr["condition"];
        if (cond && cond.IsMap()) {
            for (const auto& c : cond) {
                const std::string key = c.first.Scalar();
                double v;
                if (key == "field") {
                    if (c.second.IsSequence())
                        for (const auto& x : c.second) r.fields.push_back(scalar(x));
                    else
                        r.fields.push_back(scalar(c.second));
                } else if (!number(c.second, v)) {
                    fail("correlation.condition." + key + " must be a number");
                } else if (key == "gt") r.cond.gt = v;
                else if (key == "gte") r.cond.gte = v;
                else if (key == "lt") r.cond.lt = v;
                else if (key == "lte") r.cond.lte = v;
                else if (key == "eq") r.cond.eq = v;
                else if (key == "neq") r.cond.neq = v;
                else fail("correlation.condition." + key + " is not gt, gte, lt, lte, eq, neq or field");
            }
        } else if (cond) {
            fail("correlation.condition must be a map such as {gte: 10}");
        }
        const bool temporal = r.type == corr_type::temporal || r.type == corr_type::temporal_ordered;
        if (!temporal && r.cond.empty())
            fail(std::string("a ") + std::string(type_name(r.type)) + " correlation needs a condition (e.g. gte: 10)");
        const bool needs_field = r.type != corr_type::event_count && !temporal;
        if (needs_field && r.fields.empty())
            fail(std::string(type_name(r.type)) + " needs condition.field");
        if (r.type == corr_type::temporal_ordered && r.rules.size() < 2)
            fail("temporal_ordered needs at least two rules");
        if (r.rules.size() > 64) fail("at most 64 rules per correlation");
        r.context = scalar(corr["context"]);
        r.context_timezone = scalar(corr["context_timezone"]);
        if (!r.context.empty() && r.context != "staff_presence")
            fail("correlation.context must be staff_presence (got '" + r.context + "')");
        if (r.context == "staff_presence" && (r.type != corr_type::event_count || r.group_by.empty()))
            fail("context: staff_presence needs an event_count correlation grouped by the account field");
        if (r.title.empty()) fail("title is mandatory");
    }
    if (!errors.empty()) {
        for (auto& e : errors) res.problems.push_back({file, r.line, r.title.empty() ? r.id : r.title, e});
        return;
    }
    res.rules.push_back(std::move(r));
}

}  // namespace

load_result parse_correlations(std::string_view yaml_text, const std::string& file) {
    load_result res;
    try {
        for (const auto& doc : YAML::LoadAll(std::string(yaml_text))) {
            ++res.documents;
            if (doc.IsMap()) parse_doc(doc, file, res);
        }
    } catch (const YAML::Exception& e) {
        res.problems.push_back({file, e.mark.line + 1, "", std::string("YAML: ") + e.msg});
    }
    return res;
}

load_result load_correlations(const std::vector<std::string>& paths) {
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
    load_result all;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        if (!in) {
            all.problems.push_back({f, 0, "", "cannot read file"});
            continue;
        }
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (text.find("correlation:") == std::string::npos) {
            ++all.documents;
            continue;  // cheap skip: no correlation document in this file
        }
        auto r = parse_correlations(text, f);
        all.documents += r.documents;
        for (auto& x : r.rules) all.rules.push_back(std::move(x));
        for (auto& x : r.problems) all.problems.push_back(std::move(x));
    }
    return all;
}

}  // namespace mimamori::correlate
