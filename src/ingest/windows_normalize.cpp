// The shared step of the three Windows readers: element tree → native fields (flattener), then
// timestamp, source type and ECS fields (finish_event, ecs_mapping from mappings/windows/*.yaml).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/time.hpp"
#include "ingest/windows.hpp"

namespace mimamori::ingest::windows {

namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
        if (x != y) return false;
    }
    return true;
}

bool istarts(std::string_view s, std::string_view p) {
    return s.size() >= p.size() && iequals(s.substr(0, p.size()), p);
}

bool icontains(std::string_view s, std::string_view p) {
    if (p.size() > s.size()) return false;
    for (std::size_t i = 0; i + p.size() <= s.size(); ++i)
        if (iequals(s.substr(i, p.size()), p)) return true;
    return false;
}

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

// Ids of the names the flattener itself gives meaning to.
struct known_ids {
    field_id EventID = intern("EventID");
    field_id Qualifiers = intern("Qualifiers");
    field_id Version = intern("Version");
    field_id Level = intern("Level");
    field_id Task = intern("Task");
    field_id Opcode = intern("Opcode");
    field_id TimeCreated = intern("TimeCreated");
    field_id EventRecordID = intern("EventRecordID");
    field_id ActivityID = intern("ActivityID");
    field_id RelatedActivityID = intern("RelatedActivityID");
    field_id Execution_ProcessID = intern("Execution_ProcessID");
    field_id Execution_ThreadID = intern("Execution_ThreadID");
    field_id Channel = intern("Channel");
    field_id Computer = intern("Computer");
    field_id UserID = intern("UserID");
    field_id Provider_Name = intern("Provider_Name");
    field_id Provider_Guid = intern("Provider_Guid");
    field_id EventSourceName = intern("EventSourceName");
    field_id Data = intern("Data");
    field_id Binary = intern("Binary");
    field_id Message = intern("Message");
};

const known_ids& K() {
    static const known_ids k;
    return k;
}

bool system_numeric(field_id id) {
    const auto& k = K();
    return id == k.EventID || id == k.Version || id == k.Level || id == k.Task || id == k.Opcode ||
           id == k.EventRecordID || id == k.Execution_ProcessID || id == k.Execution_ThreadID ||
           id == k.Qualifiers;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names, source types, time, text

name_kind classify(std::string_view n) {
    switch (n.size()) {
        case 4:
            if (n == "Data") return name_kind::data;
            if (n == "Name") return name_kind::name_attr;
            break;
        case 5:
            if (n == "Event") return name_kind::event;
            if (n == "xmlns") return name_kind::xmlns_attr;
            break;
        case 6:
            if (n == "System") return name_kind::system;
            if (n == "Binary") return name_kind::binary;
            break;
        case 7:
            if (n == "EventID") return name_kind::event_id;
            if (n == "Message") return name_kind::message;
            break;
        case 8:
            if (n == "Provider") return name_kind::provider;
            if (n == "UserData") return name_kind::user_data;
            if (n == "Security") return name_kind::security;
            break;
        case 9:
            if (n == "EventData") return name_kind::event_data;
            if (n == "Execution") return name_kind::execution;
            break;
        case 11:
            if (n == "TimeCreated") return name_kind::time_created;
            if (n == "Correlation") return name_kind::correlation;
            break;
        case 13:
            if (n == "RenderingInfo") return name_kind::rendering_info;
            break;
        default:
            break;
    }
    if (n.size() > 6 && n.substr(0, 6) == "xmlns:") return name_kind::xmlns_attr;
    return name_kind::other;
}

std::string_view source_type_for(std::string_view channel, std::string_view provider) {
    if (!channel.empty()) {
        if (iequals(channel, "Security")) return k_type_security;
        if (iequals(channel, "System")) return k_type_system;
        if (iequals(channel, "Microsoft-Windows-Sysmon/Operational")) return k_type_sysmon;
        if (icontains(channel, "PowerShell")) return k_type_powershell;
        if (istarts(channel, "Microsoft-Windows-Windows Defender/")) return k_type_defender;
        if (istarts(channel, "Microsoft-Windows-TerminalServices-") ||
            istarts(channel, "Microsoft-Windows-RemoteDesktopServices-"))
            return k_type_rdp;
        return k_type_eventlog;
    }
    if (iequals(provider, "Microsoft-Windows-Security-Auditing")) return k_type_security;
    if (iequals(provider, "Microsoft-Windows-Sysmon")) return k_type_sysmon;
    if (icontains(provider, "PowerShell")) return k_type_powershell;
    if (iequals(provider, "Microsoft-Windows-Windows Defender")) return k_type_defender;
    if (istarts(provider, "Microsoft-Windows-TerminalServices-")) return k_type_rdp;
    if (iequals(provider, "Service Control Manager")) return k_type_system;
    return k_type_eventlog;
}

void format_windows_time(timestamp_ns ts, std::string& out) {
    std::int64_t secs = ts / k_ns_per_sec;
    std::int64_t ns = ts % k_ns_per_sec;
    if (ns < 0) {
        ns += k_ns_per_sec;
        --secs;
    }
    civil_time c = civil_from_seconds(secs);
    if (c.year < 0 || c.year > 9999) c.year = 0;
    char b[28];
    auto put = [&](int at, unsigned v, int width) {
        for (int i = width - 1; i >= 0; --i) {
            b[at + i] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
    };
    put(0, static_cast<unsigned>(c.year), 4);
    b[4] = '-';
    put(5, c.month, 2);
    b[7] = '-';
    put(8, c.day, 2);
    b[10] = 'T';
    put(11, c.hour, 2);
    b[13] = ':';
    put(14, c.minute, 2);
    b[16] = ':';
    put(17, c.second, 2);
    b[19] = '.';
    put(20, static_cast<unsigned>(ns / 100), 7);
    b[27] = 'Z';
    out.append(b, 28);
}

bool parse_windows_time(std::string_view s, timestamp_ns& out) {
    // Nanoseconds since 1970 in 64 bits end in 2262; later (or garbage) years are not times.
    if (s.size() < 4) return false;
    int year = 0;
    for (int i = 0; i < 4; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        year = year * 10 + (s[i] - '0');
    }
    if (year < 1601 || year > 2261) return false;
    return parse_rfc3339(s, out, 0);
}

void append_utf16(std::string& out, const std::uint8_t* p, std::size_t units) {
    std::size_t old = out.size();
    out.resize(old + units * 3);
    char* w = out.data() + old;
    for (std::size_t i = 0; i < units; ++i) {
        std::uint32_t c = static_cast<std::uint32_t>(p[2 * i]) | (static_cast<std::uint32_t>(p[2 * i + 1]) << 8);
        if (c < 0x80) {
            *w++ = static_cast<char>(c);
            continue;
        }
        if (c >= 0xD800 && c <= 0xDBFF && i + 1 < units) {
            std::uint32_t d = static_cast<std::uint32_t>(p[2 * i + 2]) |
                              (static_cast<std::uint32_t>(p[2 * i + 3]) << 8);
            if (d >= 0xDC00 && d <= 0xDFFF) {
                c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
                ++i;
            } else {
                c = 0xFFFD;
            }
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        if (c < 0x800) {
            *w++ = static_cast<char>(0xC0 | (c >> 6));
            *w++ = static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            *w++ = static_cast<char>(0xE0 | (c >> 12));
            *w++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            *w++ = static_cast<char>(0x80 | (c & 0x3F));
        } else {
            // 4 bytes from a surrogate pair that used 2 units (6 bytes reserved): fits.
            *w++ = static_cast<char>(0xF0 | (c >> 18));
            *w++ = static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            *w++ = static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            *w++ = static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    out.resize(static_cast<std::size_t>(w - out.data()));
}

result<std::string> slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error{"io.open", "cannot open " + path};
    std::string data;
    in.seekg(0, std::ios::end);
    auto size = in.tellg();
    if (size > 0) {
        data.resize(static_cast<std::size_t>(size));
        in.seekg(0);
        in.read(data.data(), size);
        data.resize(static_cast<std::size_t>(in.gcount()));
    } else {
        std::ostringstream ss;
        ss << in.rdbuf();
        data = ss.str();
    }
    return data;
}

// ---------------------------------------------------------------------------------------------
// flattener

flattener::flattener() {
    m_stack.reserve(32);
    m_text.reserve(1024);
}

void flattener::begin(event_batch& batch) {
    m_batch = &batch;
    m_stack.clear();
    m_section = section::none;
    m_text.clear();
    m_pieces = 0;
    m_numeric = false;
    m_in_attr = false;
    m_attr_is_data_name = false;
    m_want = false;
    m_sum = summary{};
}

field_id flattener::id_of(std::string_view name) {
    auto it = m_ids.find(name);
    if (it != m_ids.end()) return it->second;
    field_id id = intern(name);
    m_ids.emplace(std::string(name), id);
    return id;
}

field_id flattener::compound_id(std::string_view elem, std::string_view attr) {
    m_scratch.assign(elem);
    m_scratch.push_back('_');
    m_scratch.append(attr);
    return id_of(m_scratch);
}

void flattener::update_want() {
    if (m_in_attr)
        m_want = m_attr_is_data_name || m_attr_target != k_no_field;
    else
        m_want = !m_stack.empty() && m_stack.back().content != k_no_field;
}

void flattener::add_field(field_id id, std::string_view value, bool numeric, bool system) {
    const auto& k = K();
    value_kind kind = numeric ? value_kind::number : default_kind(id);
    if (system && id == k.TimeCreated) {
        timestamp_ns ts;
        if (parse_windows_time(value, ts)) {
            m_sum.ts = ts;
            m_scratch.clear();
            format_windows_time(ts, m_scratch);
            m_batch->add(id, m_batch->copy(m_scratch), value_kind::string);
            return;
        }
    }
    if (system_numeric(id)) kind = all_digits(value) ? value_kind::number : value_kind::string;
    m_batch->add(id, value, kind);
    if (!system) return;
    if (id == k.EventID) {
        std::uint32_t v = 0;
        auto r = std::from_chars(value.data(), value.data() + value.size(), v);
        if (r.ec == std::errc() && r.ptr == value.data() + value.size()) {
            m_sum.event_id = v;
            m_sum.has_event_id = true;
        }
    } else if (id == k.Channel) {
        m_sum.channel = value;
    } else if (id == k.Provider_Name) {
        m_sum.provider = value;
    } else if (id == k.EventRecordID) {
        m_sum.record_id = value;
    } else if (id == k.Computer) {
        m_sum.computer = value;
    }
}

void flattener::flush_text(field_id id) {
    if (!m_text.empty() && id != k_no_field)
        add_field(id, m_batch->copy(m_text), m_numeric && m_pieces > 0, m_section == section::system);
    m_text.clear();
    m_pieces = 0;
    m_numeric = false;
}

void flattener::start_element(const name_ref& n) {
    if (m_in_attr) end_attribute();
    if (!m_stack.empty() && !m_text.empty()) flush_text(m_stack.back().content);
    m_text.clear();
    m_pieces = 0;
    const auto& k = K();
    const int depth = static_cast<int>(m_stack.size()) + 1;
    field_id content = k_no_field;
    if (depth == 2) {
        switch (n.kind) {
            case name_kind::system: m_section = section::system; break;
            case name_kind::event_data:
                m_section = section::event_data;
                content = k.Data;
                break;
            case name_kind::user_data: m_section = section::user_data; break;
            case name_kind::rendering_info: m_section = section::rendering_info; break;
            default: m_section = section::other; break;
        }
    } else if (depth == 3) {
        switch (m_section) {
            case section::system:
                switch (n.kind) {
                    case name_kind::event_id: content = k.EventID; break;
                    case name_kind::provider:
                    case name_kind::time_created:
                    case name_kind::correlation:
                    case name_kind::execution:
                    case name_kind::security: break;
                    default: content = n.id != k_no_field ? n.id : id_of(n.text); break;
                }
                break;
            case section::event_data:
                content = n.kind == name_kind::data     ? k.Data
                          : n.kind == name_kind::binary ? k.Binary
                          : n.id != k_no_field          ? n.id
                                                        : id_of(n.text);
                break;
            case section::rendering_info:
                if (n.kind == name_kind::message) content = k.Message;
                break;
            case section::user_data:
            case section::other: content = n.id != k_no_field ? n.id : id_of(n.text); break;
            case section::none: break;
        }
    } else if (depth > 3) {
        if (m_section == section::user_data || m_section == section::other || m_section == section::event_data)
            content = n.id != k_no_field ? n.id : id_of(n.text);
    }
    m_stack.push_back(frame{n.kind, n.text, content, depth});
    update_want();
}

field_id flattener::attr_field(const frame& f, const name_ref& a) {
    const auto& k = K();
    switch (f.kind) {
        case name_kind::provider:
            if (a.kind == name_kind::name_attr) return k.Provider_Name;
            if (a.text == "Guid") return k.Provider_Guid;
            if (a.text == "EventSourceName") return k.EventSourceName;
            break;
        case name_kind::event_id:
            if (a.text == "Qualifiers") return k.Qualifiers;
            break;
        case name_kind::time_created:
            if (a.text == "SystemTime") return k.TimeCreated;
            break;
        case name_kind::correlation:
            if (a.text == "ActivityID") return k.ActivityID;
            if (a.text == "RelatedActivityID") return k.RelatedActivityID;
            break;
        case name_kind::execution:
            if (a.text == "ProcessID") return k.Execution_ProcessID;
            if (a.text == "ThreadID") return k.Execution_ThreadID;
            break;
        case name_kind::security:
            if (a.text == "UserID") return k.UserID;
            break;
        default: break;
    }
    return compound_id(f.name, a.text);
}

void flattener::start_attribute(const name_ref& a) {
    if (m_in_attr) end_attribute();
    m_in_attr = true;
    m_attr_is_data_name = false;
    m_attr_target = k_no_field;
    m_text.clear();
    m_pieces = 0;
    if (!m_stack.empty() && a.kind != name_kind::xmlns_attr) {
        const frame& f = m_stack.back();
        if (f.depth == 3 && m_section == section::event_data && f.kind == name_kind::data &&
            a.kind == name_kind::name_attr)
            m_attr_is_data_name = true;
        else if (f.depth == 3 && m_section == section::system)
            m_attr_target = attr_field(f, a);
        else if (f.depth >= 4 && m_section == section::user_data)
            m_attr_target = compound_id(f.name, a.text);
        else if (f.depth >= 3 && m_section == section::other)
            m_attr_target = compound_id(f.name, a.text);
    }
    update_want();
}

void flattener::end_attribute() {
    if (!m_in_attr) return;
    m_in_attr = false;
    if (m_attr_is_data_name) {
        if (!m_text.empty() && !m_stack.empty()) m_stack.back().content = id_of(m_text);
        m_text.clear();
        m_pieces = 0;
    } else {
        flush_text(m_attr_target);
    }
    m_attr_is_data_name = false;
    m_attr_target = k_no_field;
    update_want();
}

void flattener::set_name_id(field_id id) {
    if (!m_stack.empty()) m_stack.back().content = id;
    m_attr_is_data_name = false;
    m_attr_target = k_no_field;
    update_want();
}

void flattener::value_break() {
    if (m_in_attr) {
        if (!m_text.empty()) m_text.push_back(',');
        return;
    }
    if (!m_stack.empty()) flush_text(m_stack.back().content);
}

void flattener::end_element() {
    if (m_in_attr) end_attribute();
    if (m_stack.empty()) return;
    flush_text(m_stack.back().content);
    if (m_stack.back().depth == 2) m_section = section::none;
    m_stack.pop_back();
    update_want();
}

void flattener::close_all() {
    while (!m_stack.empty()) end_element();
}

// ---------------------------------------------------------------------------------------------
// ECS mapping

namespace {

enum class xform : std::uint8_t { none, basename, user, domain, hash, map, lookup, hex, lower };

// One way to get a value: a native field and a transform.
struct source_spec {
    field_id source;
    xform t = xform::none;
    std::string arg;
    const std::map<std::string, std::string>* table = nullptr;
};

// target ← the first candidate that yields a valid value.
struct copy_rule {
    field_id target;
    std::vector<source_spec> from;
    bool want_ip = false, want_port = false, want_uint = false;
};

struct rule {
    std::vector<std::pair<field_id, std::string>> set;
    std::vector<copy_rule> copy;
    std::string provider;  // empty = any
    std::string channel;   // empty = any
};

bool ends_with(std::string_view s, std::string_view suf) {
    return s.size() >= suf.size() && s.substr(s.size() - suf.size()) == suf;
}

}  // namespace

struct ecs_mapping::impl {
    rule common;
    bool has_common = false;
    std::map<std::string, std::map<std::uint32_t, std::vector<rule>>, std::less<>> by_type;
    std::deque<std::map<std::string, std::string>> tables;
    std::size_t count = 0;
};

ecs_mapping::ecs_mapping() : m_impl(std::make_unique<impl>()) {}
ecs_mapping::~ecs_mapping() = default;
std::size_t ecs_mapping::rule_count() const { return m_impl->count; }

namespace {

std::vector<std::string> scalars(const YAML::Node& n) {
    std::vector<std::string> out;
    if (n.IsSequence())
        for (const auto& x : n) out.push_back(x.as<std::string>());
    else if (n.IsScalar())
        out.push_back(n.as<std::string>());
    return out;
}

rule read_rule(const YAML::Node& n, const std::map<std::string, const std::map<std::string, std::string>*>& tables,
               const std::string& where) {
    rule r;
    if (n["provider"]) r.provider = n["provider"].as<std::string>();
    if (n["channel"]) r.channel = n["channel"].as<std::string>();
    if (const auto& s = n["set"]; s && s.IsMap()) {
        for (const auto& kv : s) {
            field_id id = intern(kv.first.as<std::string>());
            for (auto& v : scalars(kv.second)) r.set.emplace_back(id, v);
        }
    }
    if (const auto& c = n["copy"]; c && c.IsMap()) {
        for (const auto& kv : c) {
            std::string target = kv.first.as<std::string>();
            copy_rule cr;
            cr.target = intern(target);
            for (const std::string& spec : scalars(kv.second)) {
                source_spec ss;
                std::string src = spec, x;
                if (auto bar = spec.find('|'); bar != std::string::npos) {
                    src = spec.substr(0, bar);
                    x = spec.substr(bar + 1);
                }
                ss.source = intern(src);
                std::string arg;
                if (auto colon = x.find(':'); colon != std::string::npos) {
                    arg = x.substr(colon + 1);
                    x = x.substr(0, colon);
                }
                if (x.empty()) ss.t = xform::none;
                else if (x == "basename") ss.t = xform::basename;
                else if (x == "user") ss.t = xform::user;
                else if (x == "domain") ss.t = xform::domain;
                else if (x == "hash") ss.t = xform::hash;
                else if (x == "hex") ss.t = xform::hex;
                else if (x == "lower") ss.t = xform::lower;
                else if (x == "map" || x == "lookup") {
                    ss.t = x == "map" ? xform::map : xform::lookup;
                    auto it = tables.find(arg);
                    if (it == tables.end()) throw std::runtime_error(where + ": unknown map '" + arg + "'");
                    ss.table = it->second;
                } else {
                    throw std::runtime_error(where + ": unknown transform '" + x + "' in '" + spec + "'");
                }
                ss.arg = arg;
                cr.from.push_back(std::move(ss));
            }
            cr.want_ip = ends_with(target, ".ip");
            cr.want_port = ends_with(target, ".port");
            cr.want_uint = ends_with(target, ".pid") || default_kind(cr.target) == value_kind::number;
            r.copy.push_back(std::move(cr));
        }
    }
    return r;
}

std::string default_mappings_dir() {
#ifdef MIMAMORI_SOURCE_DIR
    return std::string(MIMAMORI_SOURCE_DIR) + "/mappings";
#else
    return "mappings";
#endif
}

}  // namespace

std::unique_ptr<ecs_mapping> ecs_mapping::load(const std::string& dir) {
    std::unique_ptr<ecs_mapping> m(new ecs_mapping());
    namespace fs = std::filesystem;
    std::error_code ec;
    std::vector<std::string> files;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".yaml") files.push_back(it->path().string());
    if (files.empty()) {
        m->m_error = "no Windows ECS mappings in " + dir + " (native fields only)";
        return m;
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        try {
            YAML::Node doc = YAML::LoadFile(f);
            std::map<std::string, const std::map<std::string, std::string>*> tables;
            if (const auto& maps = doc["maps"]; maps && maps.IsMap()) {
                for (const auto& kv : maps) {
                    auto& t = m->m_impl->tables.emplace_back();
                    for (const auto& e : kv.second) t[e.first.as<std::string>()] = e.second.as<std::string>();
                    tables[kv.first.as<std::string>()] = &t;
                }
            }
            if (const auto& all = doc["all"]; all && all.IsMap()) {
                rule r = read_rule(all, tables, f);
                auto& c = m->m_impl->common;
                c.set.insert(c.set.end(), r.set.begin(), r.set.end());
                for (auto& cr : r.copy) c.copy.push_back(std::move(cr));
                m->m_impl->has_common = true;
                ++m->m_impl->count;
            }
            std::string type = doc["source_type"] ? doc["source_type"].as<std::string>() : std::string();
            if (const auto& evs = doc["events"]; evs && evs.IsSequence()) {
                if (type.empty()) throw std::runtime_error(f + ": 'events' needs a 'source_type'");
                for (const auto& ev : evs) {
                    rule r = read_rule(ev, tables, f);
                    for (const auto& id : scalars(ev["ids"])) {
                        m->m_impl->by_type[type][static_cast<std::uint32_t>(std::stoul(id))].push_back(r);
                        ++m->m_impl->count;
                    }
                }
            }
        } catch (const std::exception& ex) {
            if (!m->m_error.empty()) m->m_error += "; ";
            m->m_error += f + ": " + ex.what();
        }
    }
    return m;
}

const ecs_mapping& ecs_mapping::get(const parse::options& opts) {
    static std::mutex mu;
    static std::map<std::string, std::unique_ptr<ecs_mapping>> cache;
    std::string dir = (opts.mappings_dir.empty() ? default_mappings_dir() : opts.mappings_dir) + "/windows";
    std::lock_guard lock(mu);
    auto& slot = cache[dir];
    if (!slot) slot = load(dir);
    return *slot;
}

namespace {

std::string_view after_last_sep(std::string_view v) {
    auto p = v.find_last_of("\\/");
    return p == std::string_view::npos ? v : v.substr(p + 1);
}

std::string_view derive(const source_spec& c, event_batch& b, const event& e) {
    std::string_view v = b.get(e, c.source);
    if (v.empty() || v == "-") return {};
    switch (c.t) {
        case xform::none: break;
        case xform::basename: v = after_last_sep(v); break;
        case xform::user: {
            auto p = v.find('\\');
            if (p != std::string_view::npos) v = v.substr(p + 1);
            break;
        }
        case xform::domain: {
            auto p = v.find('\\');
            v = p == std::string_view::npos ? std::string_view() : v.substr(0, p);
            break;
        }
        case xform::hash: {
            // "SHA1=…,MD5=…,SHA256=…,IMPHASH=…"
            std::string_view found;
            std::size_t i = 0;
            while (i < v.size()) {
                auto comma = v.find(',', i);
                std::string_view item = v.substr(i, comma == std::string_view::npos ? v.size() - i : comma - i);
                auto eq = item.find('=');
                if (eq != std::string_view::npos && iequals(item.substr(0, eq), c.arg)) found = item.substr(eq + 1);
                if (comma == std::string_view::npos) break;
                i = comma + 1;
            }
            if (found.empty()) return {};
            std::string low(found);
            for (auto& ch : low)
                if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
            return b.copy(low);
        }
        case xform::map:
        case xform::lookup: {
            auto it = c.table->find(std::string(v));
            if (it == c.table->end()) it = c.table->find("*");
            if (it != c.table->end()) return it->second;
            return c.t == xform::map ? v : std::string_view();
        }
        case xform::hex: {
            if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
                std::uint64_t n = 0;
                auto res = std::from_chars(v.data() + 2, v.data() + v.size(), n, 16);
                if (res.ec != std::errc() || res.ptr != v.data() + v.size()) return {};
                char buf[24];
                auto w = std::to_chars(buf, buf + sizeof buf, n);
                return b.copy(std::string_view(buf, static_cast<std::size_t>(w.ptr - buf)));
            }
            break;
        }
        case xform::lower: {
            std::string low(v);
            for (auto& ch : low)
                if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + 32);
            return b.copy(low);
        }
    }
    return v;
}

void apply_rule(const rule& r, event_batch& b, event& e, const summary& s) {
    if (!r.provider.empty() && !iequals(r.provider, s.provider)) return;
    if (!r.channel.empty() && !iequals(r.channel, s.channel)) return;
    for (const auto& [id, v] : r.set) b.add(id, v);
    for (const auto& c : r.copy)
        for (const auto& from : c.from) {
            std::string_view v = derive(from, b, e);
            if (v.empty() || v == "-") continue;
            if (c.want_ip) {
                if (v.size() > 7 && v.substr(0, 7) == "::ffff:" && parse::is_ipv4(v.substr(7))) v = v.substr(7);
                if (!parse::is_ip(v)) continue;
            }
            if (c.want_port && (!parse::is_uint_in(v, 1, 65535))) continue;
            if (c.want_uint && !all_digits(v)) continue;
            b.add(c.target, v);
            break;
        }
}

}  // namespace

void ecs_mapping::apply(event_batch& batch, event& e, const summary& s) const {
    if (m_impl->has_common) apply_rule(m_impl->common, batch, e, s);
    if (!s.has_event_id) return;
    auto t = m_impl->by_type.find(e.source_type);
    if (t == m_impl->by_type.end()) return;
    auto r = t->second.find(s.event_id);
    if (r == t->second.end()) return;
    for (const auto& x : r->second) apply_rule(x, batch, e, s);
}

void finish_event(event_batch& batch, event& e, const summary& s, const ecs_mapping& m) {
    if (s.ts != k_no_time) e.ts = s.ts;
    e.source_type = source_type_for(s.channel, s.provider);
    if (e.raw.empty()) {
        thread_local std::string raw;
        raw.clear();
        raw.append(s.channel.empty() ? std::string_view("-") : s.channel);
        raw.push_back(' ');
        if (s.has_event_id) raw.append(std::to_string(s.event_id));
        else raw.push_back('-');
        raw.push_back(' ');
        raw.append(s.record_id.empty() ? std::string_view("-") : s.record_id);
        raw.push_back(' ');
        raw.append(s.computer.empty() ? std::string_view("-") : s.computer);
        e.raw = batch.copy(raw);
    }
    batch.commit();
    m.apply(batch, e, s);
    batch.commit();
}

}  // namespace mimamori::ingest::windows
