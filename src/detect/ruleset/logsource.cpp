// Reading mappings/sigma/logsources.yaml.
#include "detect/ruleset/logsource.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "detect/sigma/loader.hpp"

namespace mimamori::detect {

std::string default_data_dir() {
    if (const char* d = std::getenv("MIMAMORI_DATA_DIR"); d && *d) return d;
#ifdef MIMAMORI_SOURCE_DIR
    return MIMAMORI_SOURCE_DIR;
#else
    return ".";
#endif
}

namespace {

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

std::string scalar(const YAML::Node& n, const char* key) {
    auto v = n[key];
    return v.IsDefined() && v.IsScalar() ? v.Scalar() : std::string();
}

void read_fields(const YAML::Node& n, sigma::field_aliases& a) {
    if (!n.IsDefined() || !n.IsMap()) return;
    for (const auto& kv : n) {
        auto& dst = a.renames[kv.first.Scalar()];
        if (kv.second.IsScalar()) dst.push_back(kv.second.Scalar());
        else if (kv.second.IsSequence())
            for (const auto& x : kv.second) dst.push_back(x.Scalar());
    }
}

}  // namespace

result<logsource_map> logsource_map::parse(const std::string& text, const std::string& name) {
    logsource_map m;
    m.m_hash = sigma::fnv1a(text);
    try {
        YAML::Node root = YAML::Load(text);
        auto sources = root["sources"];
        if (!sources.IsDefined() || !sources.IsSequence())
            return error{"sigma.mapping", name + ": expected a 'sources:' list"};
        for (const auto& s : sources) {
            logsource_entry e;
            auto ls = s["logsource"];
            if (!ls.IsDefined() || !ls.IsMap())
                return error{"sigma.mapping", name + ":" + std::to_string(s.Mark().line + 1) + ": entry without 'logsource'"};
            e.product = scalar(ls, "product");
            e.category = scalar(ls, "category");
            e.service = scalar(ls, "service");
            sigma::field_aliases common;
            read_fields(s["fields"], common);
            auto evs = s["events"];
            if (evs.IsDefined() && evs.IsSequence()) {
                for (const auto& ev : evs) {
                    event_source src;
                    src.source_type = scalar(ev, "source_type");
                    if (src.source_type.empty())
                        return error{"sigma.mapping", name + ":" + std::to_string(ev.Mark().line + 1) + ": event source without 'source_type'"};
                    if (auto ids = ev["event_ids"]; ids.IsDefined() && ids.IsSequence())
                        for (const auto& x : ids) src.event_ids.push_back(x.as<std::uint32_t>());
                    if (auto ch = ev["channels"]; ch.IsDefined() && ch.IsSequence())
                        for (const auto& x : ch) src.channels.push_back(x.Scalar());
                    if (auto pr = ev["providers"]; pr.IsDefined() && pr.IsSequence())
                        for (const auto& x : pr) src.providers.push_back(x.Scalar());
                    src.aliases = common;
                    sigma::field_aliases own;
                    read_fields(ev["fields"], own);
                    for (auto& [k, v] : own.renames) {
                        auto& dst = src.aliases.renames[k];
                        dst.insert(dst.begin(), v.begin(), v.end());
                    }
                    e.events.push_back(std::move(src));
                }
            }
            m.m_entries.push_back(std::move(e));
        }
    } catch (const YAML::Exception& ex) {
        return error{"sigma.mapping", name + ":" + std::to_string(ex.mark.line + 1) + ": " + ex.msg};
    }
    return m;
}

result<logsource_map> logsource_map::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error{"sigma.mapping", "cannot open the log-source mapping " + path};
    std::stringstream ss;
    ss << in.rdbuf();
    return parse(ss.str(), path);
}

const std::vector<event_source>* logsource_map::find(const sigma::logsource& ls) const {
    for (const auto& e : m_entries) {
        if (ieq(e.product, ls.product) && ieq(e.category, ls.category) && ieq(e.service, ls.service)) return &e.events;
    }
    return nullptr;
}

}  // namespace mimamori::detect
