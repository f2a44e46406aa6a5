// Indicator list loaders: plain text, CSV, STIX 2.1 bundles and MISP event JSON.
#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "detect/intel/intel.hpp"

namespace mimamori::intel {

namespace {

std::string_view strip(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                          s.front() == '\xef' || s.front() == '\xbb' || s.front() == '\xbf'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

template <typename F>
void for_each_line(std::string_view content, F&& f) {
    while (!content.empty()) {
        std::size_t nl = content.find('\n');
        f(content.substr(0, nl));
        if (nl == std::string_view::npos) break;
        content.remove_prefix(nl + 1);
    }
}

// One indicator per line. '#', ';' and '//' start comments; a hosts-file line
// ("0.0.0.0 evil.example") gives its name; otherwise the first token is the indicator.
void load_plain(intel_db& db, std::uint32_t list, std::string_view content, load_stats& st) {
    for_each_line(content, [&](std::string_view line) {
        line = strip(line);
        if (line.empty() || line[0] == '#' || line[0] == ';' ||
            (line.size() > 1 && line[0] == '/' && line[1] == '/'))
            return;
        std::size_t sp = line.find_first_of(" \t");
        if (sp == std::string_view::npos) {
            db.add(list, line, st);
            return;
        }
        std::string_view first = line.substr(0, sp);
        std::string_view rest = strip(line.substr(sp));
        if ((first == "0.0.0.0" || first == "127.0.0.1" || first == "::" || first == "::1") &&
            !rest.empty() && rest[0] != '#') {
            std::size_t end = rest.find_first_of(" \t#");
            db.add(list, rest.substr(0, end), st);
            return;
        }
        db.add(list, first, st);
    });
}

// RFC 4180-ish: quoted fields with doubled quotes, comma or semicolon separated.
std::vector<std::string> split_csv(std::string_view line, char sep) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < line.size() && line[i + 1] == '"') {
                    cur.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                cur.push_back(c);
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == sep) {
            out.push_back(std::move(cur));
            cur.clear();
        } else if (c != '\r') {
            cur.push_back(c);
        }
    }
    out.push_back(std::move(cur));
    return out;
}

std::string lower_copy(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    return out;
}

// The column holding the indicator: a header named like one, else the first column whose value
// classifies. Comment lines ('#') before the header are skipped (abuse.ch style).
void load_csv(intel_db& db, std::uint32_t list, std::string_view content, load_stats& st) {
    static const char* k_names[] = {"indicator", "ioc", "value", "ioc_value", "observable",
                                    "ip", "ip_address", "dst_ip", "ipaddress", "domain",
                                    "hostname", "host", "url", "sha256", "sha256_hash", "md5",
                                    "md5_hash", "sha1", "sha1_hash", "hash", "cidr", "network"};
    int column = -1;
    std::vector<int> extra;  // more indicator columns (e.g. md5 and sha256 side by side)
    bool header_done = false;
    char sep = ',';
    for_each_line(content, [&](std::string_view line) {
        line = strip(line);
        if (line.empty() || line[0] == '#') {
            // abuse.ch puts the header in a comment: "# first_seen_utc,dst_ip,..."
            if (!header_done && line.size() > 2 && line.find(',') != std::string_view::npos) {
                auto cols = split_csv(strip(line.substr(1)), ',');
                for (std::size_t i = 0; i < cols.size(); ++i)
                    for (const char* n : k_names)
                        if (lower_copy(strip(cols[i])) == n) {
                            if (column < 0) column = static_cast<int>(i);
                            else extra.push_back(static_cast<int>(i));
                            break;
                        }
                if (column >= 0) header_done = true;
            }
            return;
        }
        if (!header_done) {
            sep = line.find(',') == std::string_view::npos && line.find(';') != std::string_view::npos ? ';' : ',';
            auto cols = split_csv(line, sep);
            for (std::size_t i = 0; i < cols.size(); ++i)
                for (const char* n : k_names)
                    if (lower_copy(strip(cols[i])) == n) {
                        if (column < 0) column = static_cast<int>(i);
                        else extra.push_back(static_cast<int>(i));
                        break;
                    }
            header_done = true;
            if (column >= 0) return;  // it was a header
            // No header: the first column that classifies.
            for (std::size_t i = 0; i < cols.size() && column < 0; ++i) {
                indicator_kind k;
                std::string c;
                if (classify(cols[i], k, c)) column = static_cast<int>(i);
            }
            if (column < 0) column = 0;
        }
        auto cols = split_csv(line, sep);
        if (static_cast<std::size_t>(column) < cols.size()) db.add(list, cols[column], st);
        else ++st.rejected;
        for (int x : extra)
            if (static_cast<std::size_t>(x) < cols.size() && !strip(cols[x]).empty())
                db.add(list, cols[x], st);
    });
}

// STIX patterning: collect every `<object-path> = '<value>'` comparison whose object is an
// address, domain, URL or file hash. Other comparisons (processes, registry, != , LIKE) are
// not indicators of ours and are ignored.
void load_stix_pattern(intel_db& db, std::uint32_t list, std::string_view p, load_stats& st) {
    std::size_t i = 0;
    bool any = false;
    while (i < p.size()) {
        if (p[i] != '\'') {
            ++i;
            continue;
        }
        // Read a quoted string (\' and \\ escapes).
        const std::size_t qstart = i;
        std::string value;
        ++i;
        while (i < p.size() && p[i] != '\'') {
            if (p[i] == '\\' && i + 1 < p.size()) ++i;
            value.push_back(p[i++]);
        }
        ++i;
        // Is it the right-hand side of "path = "?
        std::size_t j = qstart;
        while (j > 0 && p[j - 1] == ' ') --j;
        if (j == 0 || p[j - 1] != '=') continue;
        --j;
        if (j > 0 && (p[j - 1] == '!' || p[j - 1] == '<' || p[j - 1] == '>')) continue;
        while (j > 0 && p[j - 1] == ' ') --j;
        std::size_t k = j;
        while (k > 0 && p[k - 1] != ' ' && p[k - 1] != '[' && p[k - 1] != '(') --k;
        const std::string_view path = p.substr(k, j - k);
        if (path.rfind("ipv4-addr:", 0) == 0 || path.rfind("ipv6-addr:", 0) == 0 ||
            path.rfind("domain-name:", 0) == 0 || path.rfind("url:", 0) == 0 ||
            path.rfind("file:hashes", 0) == 0 || path.rfind("artifact:hashes", 0) == 0 ||
            (path.rfind("network-traffic:", 0) == 0 && path.find("ref.value") != std::string_view::npos)) {
            db.add(list, value, st);
            any = true;
        }
    }
    if (!any) ++st.rejected;
}

using simdjson::dom::element;

std::string_view str_of(element e, const char* key) {
    std::string_view v;
    if (e[key].get(v) != simdjson::SUCCESS) return {};
    return v;
}

void load_stix(intel_db& db, std::uint32_t list, element root, load_stats& st) {
    simdjson::dom::array objects;
    if (root["objects"].get(objects) != simdjson::SUCCESS) {
        // A single object rather than a bundle.
        objects = {};
    }
    auto one = [&](element o) {
        const std::string_view type = str_of(o, "type");
        bool revoked = false;
        if (o["revoked"].get(revoked) == simdjson::SUCCESS && revoked) return;
        if (type == "indicator") {
            const std::string_view pt = str_of(o, "pattern_type");
            if (!pt.empty() && pt != "stix") {
                ++st.rejected;
                return;
            }
            load_stix_pattern(db, list, str_of(o, "pattern"), st);
        } else if (type == "ipv4-addr" || type == "ipv6-addr" || type == "domain-name" ||
                   type == "url") {
            db.add(list, str_of(o, "value"), st);
        } else if (type == "file") {
            simdjson::dom::object hashes;
            if (o["hashes"].get(hashes) == simdjson::SUCCESS)
                for (auto [k, v] : hashes) {
                    std::string_view h;
                    if (v.get(h) == simdjson::SUCCESS) db.add(list, h, st);
                }
        }
    };
    if (root["objects"].is_array()) {
        for (element o : objects) one(o);
    } else {
        one(root);
    }
}

// MISP attribute types that carry an indicator, and which side of a composite "a|b" value.
void load_misp_attribute(intel_db& db, std::uint32_t list, element a, load_stats& st) {
    bool to_ids = true;
    if (a["to_ids"].get(to_ids) != simdjson::SUCCESS) {
        std::string_view s;
        if (a["to_ids"].get(s) == simdjson::SUCCESS) to_ids = s != "0" && s != "false";
    }
    if (!to_ids) return;
    bool deleted = false;
    if (a["deleted"].get(deleted) == simdjson::SUCCESS && deleted) return;
    const std::string_view type = str_of(a, "type");
    const std::string_view value = str_of(a, "value");
    if (value.empty()) return;
    static const char* k_simple[] = {"ip-src", "ip-dst", "domain", "hostname", "url", "uri",
                                     "md5", "sha1", "sha256", "sha512", "link"};
    for (const char* t : k_simple)
        if (type == t) {
            if (type == "uri" && value.find("://") == std::string_view::npos) return;
            db.add(list, value, st);
            return;
        }
    const std::size_t bar = value.find('|');
    if (bar == std::string_view::npos) return;
    if (type == "ip-src|port" || type == "ip-dst|port" || type == "hostname|port") {
        db.add(list, value.substr(0, bar), st);
    } else if (type == "domain|ip") {
        db.add(list, value.substr(0, bar), st);
        db.add(list, value.substr(bar + 1), st);
    } else if (type.rfind("filename|", 0) == 0) {
        db.add(list, value.substr(bar + 1), st);
    }
}

void load_misp_event(intel_db& db, std::uint32_t list, element ev, load_stats& st) {
    element inner;
    if (ev["Event"].get(inner) == simdjson::SUCCESS) ev = inner;
    simdjson::dom::array attrs;
    if (ev["Attribute"].get(attrs) == simdjson::SUCCESS)
        for (element a : attrs) load_misp_attribute(db, list, a, st);
    simdjson::dom::array objects;
    if (ev["Object"].get(objects) == simdjson::SUCCESS)
        for (element o : objects) {
            simdjson::dom::array oattrs;
            if (o["Attribute"].get(oattrs) == simdjson::SUCCESS)
                for (element a : oattrs) load_misp_attribute(db, list, a, st);
        }
}

void load_misp(intel_db& db, std::uint32_t list, element root, load_stats& st) {
    simdjson::dom::array arr;
    if (root["response"].get(arr) == simdjson::SUCCESS || root.get(arr) == simdjson::SUCCESS) {
        for (element ev : arr) load_misp_event(db, list, ev, st);
        return;
    }
    load_misp_event(db, list, root, st);
}

list_format sniff(std::string_view content, std::string_view name) {
    std::string_view s = strip(content.substr(0, 4096));
    while (!s.empty() && (s.front() == '\n')) s = strip(s.substr(1));
    if (!s.empty() && (s.front() == '{' || s.front() == '[')) {
        if (s.find("\"Event\"") != std::string_view::npos ||
            s.find("\"response\"") != std::string_view::npos ||
            s.find("\"Attribute\"") != std::string_view::npos)
            return list_format::misp;
        return list_format::stix;
    }
    if (name.size() > 4 && lower_copy(name.substr(name.size() - 4)) == ".csv") return list_format::csv;
    return list_format::text;
}

}  // namespace

result<load_stats> load_text(intel_db& db, std::string_view content, std::string_view name,
                             list_format format) {
    if (format == list_format::automatic) format = sniff(content, name);
    std::string list_name(name);
    if (const auto slash = list_name.find_last_of('/'); slash != std::string::npos)
        list_name = list_name.substr(slash + 1);
    const std::uint32_t list = db.add_list(list_name);
    load_stats st;
    switch (format) {
        case list_format::text:
        case list_format::automatic:
            db.reserve(static_cast<std::size_t>(std::count(content.begin(), content.end(), '\n')) + 1, content.size());
            load_plain(db, list, content, st);
            break;
        case list_format::csv:
            load_csv(db, list, content, st);
            break;
        case list_format::stix:
        case list_format::misp: {
            simdjson::dom::parser parser;
            simdjson::padded_string padded(content);
            element root;
            if (auto err = parser.parse(padded).get(root); err)
                return error{"intel.json", "indicator list " + list_name + " is not valid JSON: " +
                                               simdjson::error_message(err)};
            if (format == list_format::stix) load_stix(db, list, root, st);
            else load_misp(db, list, root, st);
            break;
        }
    }
    db.commit();  // staged additions become visible (and counted) before st is returned
    return st;
}

result<load_stats> load_source(intel_db& db, const source& src) {
    std::ifstream in(src.path, std::ios::binary);
    if (!in) return error{"intel.open", "cannot read indicator list " + src.path};
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string name = src.name;
    if (name.empty()) {
        name = std::filesystem::path(src.path).stem().string();
    }
    list_format fmt = src.format;
    if (fmt == list_format::automatic) fmt = sniff(content, src.path);
    return load_text(db, content, name, fmt);
}

}  // namespace mimamori::intel
