// Windows events exported as JSON ("windows.json"), detected per object:
//   - evtx_dump (the Rust evtx crate): {"Event": {"#attributes": …, "System": {…}, "EventData": {…}}}
//     pretty-printed and concatenated, or one per line. Elements are keys, attributes sit under
//     "#attributes", mixed text under "#text"; named <Data> elements appear as keys of EventData.
//     The object is replayed into the windows::flattener as the element tree it encodes, so the
//     fields equal those read from the .evtx. evtx_dump prints GUIDs without braces; braces are
//     put back so values match Windows' (and our EVTX reader's) form.
//   - Winlogbeat NDJSON: {"@timestamp": …, "winlog": {"event_id", "channel", "provider_name",
//     "computer_name", "record_id", "event_data": {…}, "user_data": {…}, …}, "message": …}.
//   - NXLog im_msvistalog to_json(): flat objects with EventID, Channel, Hostname, SourceName,
//     EventTime (local time of the agent: --tz applies), RecordNumber … and the EventData fields
//     at the top level.
// A bracket scanner finds each top-level object; simdjson parses it, so one broken object costs
// one malformed event.
#include <simdjson.h>

#include <charconv>
#include <cstring>

#include "core/time.hpp"
#include "ingest/file_format.hpp"
#include "ingest/windows.hpp"

namespace mimamori::ingest::windows {

namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

constexpr int k_max_depth = 64;

bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::size_t skip_string(std::string_view s, std::size_t i) {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') ++i;
        else if (s[i] == '"') return i + 1;
    }
    return std::string_view::npos;
}

// End (exclusive) of the object or array starting at s[i], or npos when the input ends first.
std::size_t skip_compound(std::string_view s, std::size_t i) {
    int depth = 0;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c == '"') {
            i = skip_string(s, i);
            if (i == std::string_view::npos) return i;
            --i;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (--depth == 0) return i + 1;
        }
    }
    return std::string_view::npos;
}

bool guid_shaped(std::string_view v) {
    if (v.size() != 36) return false;
    for (std::size_t i = 0; i < 36; ++i) {
        char c = v[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

struct ids {
    field_id EventID = intern("EventID");
    field_id Channel = intern("Channel");
    field_id Provider_Name = intern("Provider_Name");
    field_id Provider_Guid = intern("Provider_Guid");
    field_id Computer = intern("Computer");
    field_id EventRecordID = intern("EventRecordID");
    field_id Execution_ProcessID = intern("Execution_ProcessID");
    field_id Execution_ThreadID = intern("Execution_ThreadID");
    field_id UserID = intern("UserID");
    field_id Version = intern("Version");
    field_id Task = intern("Task");
    field_id Opcode = intern("Opcode");
    field_id Level = intern("Level");
    field_id Keywords = intern("Keywords");
    field_id ActivityID = intern("ActivityID");
    field_id RelatedActivityID = intern("RelatedActivityID");
    field_id TimeCreated = intern("TimeCreated");
    field_id Message = intern("Message");
    field_id Qualifiers = intern("Qualifiers");
};
const ids& I() {
    static const ids k;
    return k;
}

class json_reader {
public:
    json_reader(const parse::options& opts, event_batch& batch, flattener& fl)
        : m_opts(opts), m_batch(batch), m_fl(fl) {}

    // Append a scalar's text to the flattener (arrays: one value per item).
    void text_of(element v, bool add_braces) {
        switch (v.type()) {
            case element_type::STRING: {
                std::string_view s = v.get_string().value_unsafe();
                if (s.empty()) return;
                if (add_braces && guid_shaped(s)) {
                    m_fl.text().push_back('{');
                    m_fl.text().append(s);
                    m_fl.text().push_back('}');
                } else {
                    m_fl.text().append(s);
                }
                m_fl.piece_done(false);
                break;
            }
            case element_type::INT64: append_num(v.get_int64().value_unsafe(), true); break;
            case element_type::UINT64: append_num(v.get_uint64().value_unsafe(), true); break;
            case element_type::DOUBLE: append_num(v.get_double().value_unsafe(), false); break;
            case element_type::BOOL:
                m_fl.text().append(v.get_bool().value_unsafe() ? "true" : "false");
                m_fl.piece_done(false);
                break;
            case element_type::ARRAY: {
                bool first = true;
                simdjson::dom::array arr = v.get_array().value_unsafe();
                for (element x : arr) {
                    if (!first) m_fl.value_break();
                    first = false;
                    text_of(x, add_braces);
                }
                break;
            }
            default: break;  // null: nothing; objects are handled as elements
        }
    }

    // evtx_dump: replay `v` as element `name` (arrays repeat the element).
    bool element_of(std::string_view name, element v, int depth) {
        if (depth > k_max_depth) return false;
        if (v.type() == element_type::ARRAY) {
            simdjson::dom::array arr = v.get_array().value_unsafe();
            for (element x : arr)
                if (!element_of(name, x, depth)) return false;
            return true;
        }
        const name_kind kind = classify(name);
        m_fl.start_element(name_ref{name, kind});
        if (v.type() == element_type::OBJECT) {
            simdjson::dom::object obj = v.get_object().value_unsafe();
            element attrs;
            if (obj["#attributes"].get(attrs) == simdjson::SUCCESS && attrs.type() == element_type::OBJECT) {
                simdjson::dom::object ao = attrs.get_object().value_unsafe();
                for (auto [k, av] : ao) {
                    m_fl.start_attribute(name_ref{k, classify(k)});
                    if (m_fl.want_text()) text_of(av, true);
                    m_fl.end_attribute();
                }
            }
            const bool event_data = kind == name_kind::event_data && depth == 2;
            for (auto [k, cv] : obj) {
                if (k == "#attributes") continue;
                if (k == "#text") {
                    if (m_fl.want_text()) text_of(cv, true);
                    continue;
                }
                if (event_data && k != "Data" && k != "Binary") {
                    // A named <Data Name="k"> that evtx_dump turned into a key.
                    m_fl.start_element(name_ref{"Data", name_kind::data});
                    m_fl.start_attribute(name_ref{"Name", name_kind::name_attr});
                    m_fl.text().append(k);
                    m_fl.piece_done(false);
                    m_fl.end_attribute();
                    if (m_fl.want_text()) text_of(cv, true);
                    m_fl.end_element();
                    continue;
                }
                if (!element_of(k, cv, depth + 1)) return false;
            }
        } else if (m_fl.want_text()) {
            text_of(v, true);
        }
        m_fl.end_element();
        return true;
    }

    // Add a scalar value as a field (Winlogbeat, NXLog).
    void add(field_id id, element v, bool system) {
        m_fl.text().clear();
        std::string& t = m_fl.text();
        bool numeric = false;
        switch (v.type()) {
            case element_type::STRING: t.append(v.get_string().value_unsafe()); break;
            case element_type::INT64: append_digits(t, v.get_int64().value_unsafe()); numeric = true; break;
            case element_type::UINT64: append_digits(t, v.get_uint64().value_unsafe()); numeric = true; break;
            case element_type::DOUBLE: append_digits(t, v.get_double().value_unsafe()); break;
            case element_type::BOOL: t.append(v.get_bool().value_unsafe() ? "true" : "false"); break;
            case element_type::ARRAY: {
                simdjson::dom::array arr = v.get_array().value_unsafe();
                for (element x : arr) add(id, x, system);
                return;
            }
            default: return;
        }
        if (!t.empty()) m_fl.add_field(id, m_batch.copy(t), numeric, system);
        t.clear();
    }
    void add_text(field_id id, std::string_view s, bool system) {
        if (!s.empty()) m_fl.add_field(id, m_batch.copy(s), false, system);
    }

    // Nested objects (UserData, Winlogbeat user_data) become fields named by their leaf keys.
    void add_leaves(element obj, int depth) {
        if (depth > k_max_depth || obj.type() != element_type::OBJECT) return;
        simdjson::dom::object o = obj.get_object().value_unsafe();
        for (auto [k, v] : o) {
            if (k == "xmlns" || k.substr(0, 6) == "xmlns:") continue;
            if (v.type() == element_type::OBJECT) add_leaves(v, depth + 1);
            else add(m_fl.id_of(k), v, false);
        }
    }

    bool winlogbeat(element root, element winlog) {
        const auto& k = I();
        auto get = [&](element o, const char* key, element& out) {
            return o.type() == element_type::OBJECT && o[key].get(out) == simdjson::SUCCESS;
        };
        element v;
        if (get(winlog, "provider_name", v)) add(k.Provider_Name, v, true);
        if (get(winlog, "provider_guid", v)) add(k.Provider_Guid, v, true);
        if (get(winlog, "event_id", v)) add(k.EventID, v, true);
        if (get(winlog, "version", v)) add(k.Version, v, true);
        if (get(winlog, "record_id", v)) add(k.EventRecordID, v, true);
        if (get(winlog, "activity_id", v)) add(k.ActivityID, v, true);
        if (get(winlog, "related_activity_id", v)) add(k.RelatedActivityID, v, true);
        element proc;
        if (get(winlog, "process", proc)) {
            if (get(proc, "pid", v)) add(k.Execution_ProcessID, v, true);
            element th;
            if (get(proc, "thread", th) && get(th, "id", v)) add(k.Execution_ThreadID, v, true);
        }
        if (get(winlog, "channel", v)) add(k.Channel, v, true);
        if (get(winlog, "computer_name", v)) add(k.Computer, v, true);
        element user;
        if (get(winlog, "user", user) && get(user, "identifier", v)) add(k.UserID, v, true);
        if (get(winlog, "time_created", v) || get(root, "@timestamp", v)) add(k.TimeCreated, v, true);
        element data;
        if (get(winlog, "event_data", data) && data.type() == element_type::OBJECT) {
            simdjson::dom::object o = data.get_object().value_unsafe();
            for (auto [key, val] : o) add(m_fl.id_of(key), val, false);
        }
        if (get(winlog, "user_data", data)) add_leaves(data, 0);
        if (get(root, "message", v)) add(k.Message, v, false);
        return true;
    }

    bool nxlog(element root) {
        const auto& k = I();
        simdjson::dom::object o = root.get_object().value_unsafe();
        for (auto [key, v] : o) {
            if (key == "EventID") add(k.EventID, v, true);
            else if (key == "Channel") add(k.Channel, v, true);
            else if (key == "Hostname") add(k.Computer, v, true);
            else if (key == "SourceName") add(k.Provider_Name, v, true);
            else if (key == "ProviderGuid") add(k.Provider_Guid, v, true);
            else if (key == "RecordNumber") add(k.EventRecordID, v, true);
            else if (key == "ProcessID") add(k.Execution_ProcessID, v, true);
            else if (key == "ThreadID") add(k.Execution_ThreadID, v, true);
            else if (key == "UserID") add(k.UserID, v, true);
            else if (key == "Version") add(k.Version, v, true);
            else if (key == "ActivityID") add(k.ActivityID, v, true);
            else if (key == "RelatedActivityID") add(k.RelatedActivityID, v, true);
            else if (key == "Message") add(k.Message, v, false);
            else if (key == "Keywords") {
                // NXLog prints the keyword mask as a signed decimal; Windows writes 0x… hex.
                if (v.type() == element_type::INT64 || v.type() == element_type::UINT64) {
                    std::uint64_t mask = v.type() == element_type::INT64
                                             ? static_cast<std::uint64_t>(v.get_int64().value_unsafe())
                                             : v.get_uint64().value_unsafe();
                    char buf[24] = "0x";
                    auto r = std::to_chars(buf + 2, buf + sizeof buf, mask, 16);
                    add_text(k.Keywords, std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)), true);
                } else {
                    add(k.Keywords, v, true);
                }
            } else if (key == "EventTime") {
                // "YYYY-MM-DD hh:mm:ss" in the agent's local time (or ISO with a zone).
                if (v.type() == element_type::STRING) {
                    std::string_view s = v.get_string().value_unsafe();
                    timestamp_ns ts;
                    if (parse_windows_time(s, ts)) {
                        bool has_zone = s.size() > 19 && (s.back() == 'Z' || s.back() == 'z' ||
                                                          s.find_first_of("+-", 19) != std::string_view::npos);
                        if (!has_zone) {
                            std::int64_t local_s = ts / k_ns_per_sec;
                            ts = m_opts.zone.local_to_utc(local_s) * k_ns_per_sec + ts % k_ns_per_sec;
                        }
                        std::string iso;
                        format_windows_time(ts, iso);
                        add_text(k.TimeCreated, iso, true);
                    }
                }
            } else if (key == "EventReceivedTime" || key == "SourceModuleName" || key == "SourceModuleType" ||
                       key == "EventType" || key == "SeverityValue" || key == "Severity" || key == "Domain" ||
                       key == "AccountName" || key == "AccountType" || key == "Category" || key == "Opcode" ||
                       key == "OpcodeValue" || key == "Task" || key == "ERROR_EVT_UNRESOLVED") {
                continue;  // NXLog's own renderings and metadata, not event fields
            } else if (v.type() == element_type::OBJECT) {
                add_leaves(v, 0);
            } else {
                add(m_fl.id_of(key), v, false);
            }
        }
        return true;
    }

private:
    template <typename T>
    static void append_digits(std::string& t, T n) {
        char buf[40];
        auto r = std::to_chars(buf, buf + sizeof buf, n);
        t.append(buf, static_cast<std::size_t>(r.ptr - buf));
    }
    template <typename T>
    void append_num(T n, bool numeric) {
        append_digits(m_fl.text(), n);
        m_fl.piece_done(numeric);
    }

    const parse::options& m_opts;
    event_batch& m_batch;
    flattener& m_fl;
};

std::string_view first_key(std::string_view s, std::size_t i) {
    if (i >= s.size() || s[i] != '{') return {};
    ++i;
    while (i < s.size() && is_ws(s[i])) ++i;
    if (i >= s.size() || s[i] != '"') return {};
    std::size_t start = ++i;
    while (i < s.size() && s[i] != '"') i += s[i] == '\\' ? 2 : 1;
    if (i >= s.size()) return {};
    return s.substr(start, i - start);
}

bool sniff_json_file(std::string_view head, std::string_view /*path*/) { return sniff_event_json(head); }

status read_json_file(const std::string& path, const parse::options& opts, event_batch& batch, const batch_sink& sink,
                      read_stats& rs) {
    auto loaded = slurp(path);
    if (!loaded) return loaded.err();
    return read_event_json(loaded.value(), path, opts, batch, sink, rs);
}

[[maybe_unused]] const bool k_registered =
    register_whole_file_format({"windows.json", sniff_json_file, read_json_file});

}  // namespace

bool sniff_event_json(std::string_view head) {
    std::size_t i = 0;
    if (head.size() >= 3 && head.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
    while (i < head.size() && is_ws(head[i])) ++i;
    if (i < head.size() && head[i] == '[') {
        ++i;
        while (i < head.size() && is_ws(head[i])) ++i;
    }
    if (i >= head.size() || head[i] != '{') return false;
    if (first_key(head, i) == "Event") return head.find("\"System\"") != std::string_view::npos;
    // Winlogbeat / NXLog: look at the first object (or the first 4 KiB of it).
    auto end = head.find('\n', i);
    std::string_view first = head.substr(i, end == std::string_view::npos ? head.size() - i : end - i);
    if (first.find("\"winlog\"") != std::string_view::npos &&
        (first.find("\"event_id\"") != std::string_view::npos || first.find("\"channel\"") != std::string_view::npos))
        return true;
    return first.find("\"EventID\"") != std::string_view::npos &&
           (first.find("\"Channel\"") != std::string_view::npos ||
            first.find("\"SourceName\"") != std::string_view::npos) &&
           (first.find("\"Hostname\"") != std::string_view::npos ||
            first.find("\"EventTime\"") != std::string_view::npos);
}

status read_event_json(std::string_view s, std::string_view path, const parse::options& opts, event_batch& batch,
                       const batch_sink& sink, read_stats& rs) {
    const ecs_mapping& mapping = ecs_mapping::get(opts);
    flattener fl;
    json_reader jr(opts, batch, fl);
    simdjson::dom::parser parser;
    std::string_view file_view;
    constexpr std::size_t k_batch = 4096;
    std::size_t i = 0, line = 1, counted_to = 0;
    if (s.size() >= 3 && s.compare(0, 3, "\xEF\xBB\xBF") == 0) i = 3;
    auto line_at = [&](std::size_t pos) {
        for (; counted_to < pos && counted_to < s.size(); ++counted_to)
            if (s[counted_to] == '\n') ++line;
        return line;
    };
    auto emit = [&](std::size_t start, std::size_t end, const char* why) {
        auto& e = batch.begin();
        if (file_view.empty()) file_view = batch.copy(path);
        e.file = file_view;
        e.offset = start;
        e.line = line_at(start);
        e.raw = batch.copy(s.substr(start, std::min<std::size_t>(end - start, 65536)));
        fl.begin(batch);
        ++rs.records;
        bool ok = false;
        if (!why) {
            element root;
            auto err = parser.parse(e.raw.data(), e.raw.size(), true).get(root);
            if (err) {
                why = simdjson::error_message(err);
            } else if (root.type() != element_type::OBJECT) {
                why = "not a JSON object";
            } else {
                element ev, winlog, tmp;
                if (root["Event"].get(ev) == simdjson::SUCCESS && ev.type() == element_type::OBJECT) {
                    ok = jr.element_of("Event", ev, 1);
                    fl.close_all();
                    if (!ok) why = "nested too deeply";
                } else if (root["winlog"].get(winlog) == simdjson::SUCCESS && winlog.type() == element_type::OBJECT) {
                    ok = jr.winlogbeat(root, winlog);
                } else if (root["EventID"].get(tmp) == simdjson::SUCCESS) {
                    ok = jr.nxlog(root);
                } else {
                    why = "JSON object is not a Windows event (no Event, winlog or EventID key)";
                }
            }
        }
        if (!ok) {
            e.parse_error = why ? why : "not a Windows event";
            ++rs.malformed;
        }
        finish_event(batch, e, fl.facts(), mapping);
        if (batch.size() >= k_batch) {
            sink(batch);
            batch.clear();
            file_view = {};
        }
    };
    while (i < s.size()) {
        char c = s[i];
        if (is_ws(c) || c == ',' || c == '[' || c == ']') {
            ++i;
            continue;
        }
        if (c == '{') {
            std::size_t end = skip_compound(s, i);
            if (end == std::string_view::npos) {
                emit(i, s.size(), "JSON object cut by end of file");
                break;
            }
            emit(i, end, nullptr);
            i = end;
            continue;
        }
        // Anything else at the top level is garbage: keep it (to the end of the line) as malformed.
        std::size_t nl = s.find('\n', i);
        std::size_t end = nl == std::string_view::npos ? s.size() : nl;
        emit(i, end, "text outside any JSON object");
        i = end;
    }
    if (!batch.empty()) {
        sink(batch);
        batch.clear();
    }
    return {};
}

}  // namespace mimamori::ingest::windows
