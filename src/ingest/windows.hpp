#pragma once
/// Windows event logs in their three forms — EVTX (binary, evtx.hpp), event XML (wevtutil qe,
/// Get-WinEvent … ToXml(), Event Viewer "Save as XML") and JSON (evtx_dump, Winlogbeat, NXLog) —
/// become one event shape here. Every reader walks its input as an element tree (Event → System /
/// EventData / UserData) and feeds it to a `flattener`; `finish_event` then sets the timestamp,
/// the source type and the ECS fields from mappings/windows/*.yaml. One code path decides field
/// names, so the same record read from .evtx, .xml or .json gives the same fields.
///
/// Field-name contract (shared with the Sigma engine; values are Windows' own text forms):
///   System:    EventID (number), Qualifiers, Version, Level, Task, Opcode (numbers), Keywords
///              ("0x8020000000000000"), TimeCreated (ISO 8601 UTC, 7 fraction digits),
///              EventRecordID (number), ActivityID, RelatedActivityID, Execution_ProcessID,
///              Execution_ThreadID (numbers; other Execution attributes as Execution_<Name>),
///              Channel, Computer, UserID (System/Security/@UserID, a SID), Provider_Name,
///              Provider_Guid, EventSourceName. Any other System child: its element name
///              (attributes: <Element>_<Attribute>).
///   EventData: <Data Name="X">v</Data> → field X; unnamed <Data> → repeated field `Data` (in
///              order); <Binary> → `Binary` (upper-case hex). Array values repeat the field.
///   UserData:  the wrapper element is dropped; every element below it gives a field named by its
///              element name; element attributes give <Element>_<Attribute> (xmlns skipped).
///   RenderingInfo/Message (forwarded events) → `Message`; other RenderingInfo is dropped.
///   Value forms: integers decimal; GUIDs "{XXXXXXXX-…}" upper-case; SIDs "S-1-5-…"; hex integers
///   "0x…" lower-case; booleans "true"/"false"; FILETIME/SYSTEMTIME ISO 8601 UTC. Empty values
///   are omitted (the event schema forbids empty fields).
///
/// Source types (event.source_type), decided from Channel (then Provider_Name):
///   windows.security    Channel "Security"
///   windows.system      Channel "System"
///   windows.sysmon      Channel "Microsoft-Windows-Sysmon/Operational"
///   windows.powershell  Channels "Windows PowerShell", "Microsoft-Windows-PowerShell/Operational",
///                       "PowerShellCore/Operational"
///   windows.defender    Channel "Microsoft-Windows-Windows Defender/Operational"
///   windows.rdp         Channels "Microsoft-Windows-TerminalServices-*",
///                       "Microsoft-Windows-RemoteDesktopServices-*"
///   windows.eventlog    everything else (Application, TaskScheduler, WMI-Activity, …)
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.hpp"
#include "ingest/file_format.hpp"
#include "parse/parser.hpp"

namespace mimamori::ingest::windows {

inline constexpr std::string_view k_type_security = "windows.security";
inline constexpr std::string_view k_type_system = "windows.system";
inline constexpr std::string_view k_type_sysmon = "windows.sysmon";
inline constexpr std::string_view k_type_powershell = "windows.powershell";
inline constexpr std::string_view k_type_defender = "windows.defender";
inline constexpr std::string_view k_type_rdp = "windows.rdp";
inline constexpr std::string_view k_type_eventlog = "windows.eventlog";

/// The source type for a channel (and provider, when the channel is missing).
std::string_view source_type_for(std::string_view channel, std::string_view provider);

/// What an element or attribute name means to the flattener. Computed once per distinct name
/// (EVTX caches it per chunk), so the hot path compares small integers, not strings.
enum class name_kind : std::uint8_t {
    other,
    event,
    system,
    event_data,
    user_data,
    rendering_info,
    data,
    binary,
    provider,
    event_id,
    time_created,
    correlation,
    execution,
    security,
    message,
    name_attr,    ///< the attribute "Name"
    xmlns_attr,   ///< "xmlns" and "xmlns:*"
};
name_kind classify(std::string_view name);

struct name_ref {
    std::string_view text;  ///< UTF-8, local name (no namespace prefix)
    name_kind kind = name_kind::other;
    field_id id = k_no_field;  ///< intern(text) when the reader has it cached, else k_no_field
};

/// Facts about the event being flattened that finish_event needs without searching fields.
struct summary {
    std::uint32_t event_id = 0;
    bool has_event_id = false;
    timestamp_ns ts = k_no_time;
    std::string_view channel;
    std::string_view provider;
    std::string_view record_id;
    std::string_view computer;
};

/// Turns the element tree of one event into fields of the event being built. Readers call, in
/// document order: start_element, then per attribute start_attribute / text… / end_attribute,
/// then text… and child elements, then end_element. Text arrives in pieces appended to
/// `text()`; after each piece the reader calls piece_done(numeric). An array value in element
/// content is split with value_break() between items (each becomes its own field value).
class flattener {
public:
    flattener();

    void begin(event_batch& batch);
    void start_element(const name_ref& n);
    void end_element();
    void start_attribute(const name_ref& n);
    void end_attribute();
    /// True when the text of the current element/attribute becomes a field: readers may skip
    /// converting values nobody keeps.
    bool want_text() const { return m_want; }
    std::string& text() { return m_text; }
    void piece_done(bool numeric) {
        m_numeric = m_pieces == 0 ? numeric : (m_numeric && numeric);
        ++m_pieces;
    }
    void value_break();
    /// True while inside the Name attribute of an EventData <Data>: a reader that already knows
    /// the field id for the name's text (EVTX caches it per template) hands it over with
    /// set_name_id() instead of the text.
    bool wants_name() const { return m_attr_is_data_name && m_text.empty(); }
    void set_name_id(field_id id);
    /// Close every open element (after a decoding error) so pending text is not lost.
    void close_all();
    const summary& facts() const { return m_sum; }

    /// Add a field directly (JSON readers whose keys are already field names). `numeric` marks
    /// integers. With `system`, System names (EventID, Channel, …) update facts(); UserData can
    /// hold a field called Channel too (event 104), which must not decide the source type.
    void add_field(field_id id, std::string_view value, bool numeric, bool system = true);
    /// The field id for a name, from a local cache (no lock on the hot path).
    field_id id_of(std::string_view name);

private:
    struct frame {
        name_kind kind;
        std::string_view name;
        field_id content;  // k_no_field = text is dropped
        int depth;
    };
    enum class section : std::uint8_t { none, system, event_data, user_data, rendering_info, other };

    void flush_text(field_id id);
    field_id attr_field(const frame& f, const name_ref& a);
    field_id compound_id(std::string_view elem, std::string_view attr);
    void update_want();

    event_batch* m_batch = nullptr;
    std::vector<frame> m_stack;
    section m_section = section::none;
    std::string m_text;
    std::string m_scratch;
    bool m_numeric = false;
    int m_pieces = 0;
    bool m_in_attr = false;
    field_id m_attr_target = 0;
    bool m_attr_is_data_name = false;
    bool m_want = false;
    summary m_sum;
    struct sv_hash {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept {
            std::uint64_t h = 1469598103934665603ULL;
            for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
            return static_cast<std::size_t>(h);
        }
    };
    std::unordered_map<std::string, field_id, sv_hash, std::equal_to<>> m_ids;
};

/// The ECS mapping per (source type, EventID), loaded from mappings/windows/*.yaml once per
/// mappings directory. A missing or broken mapping leaves events with native fields only; the
/// problem is reported by `load_error()`.
class ecs_mapping {
public:
    /// The mapping for these options (opts.mappings_dir, else the source tree's mappings/).
    static const ecs_mapping& get(const parse::options& opts);
    /// Load from a directory holding the YAML files (tests).
    static std::unique_ptr<ecs_mapping> load(const std::string& dir);
    ~ecs_mapping();

    /// Add the ECS fields of this event (common ones and those of its EventID).
    void apply(event_batch& batch, event& e, const summary& s) const;
    const std::string& load_error() const { return m_error; }
    std::size_t rule_count() const;

    struct impl;

private:
    ecs_mapping();
    std::unique_ptr<impl> m_impl;
    std::string m_error;
};

/// Set ts, source_type and ECS fields of a flattened event, and a compact raw text when the
/// reader has none ("<Channel> <EventID> <EventRecordID> <Computer>"), then commit it (the
/// event being built in `batch`).
void finish_event(event_batch& batch, event& e, const summary& s, const ecs_mapping& m);

/// "2024-03-01T12:00:05.1234567Z": the form TimeCreated takes in every reader.
void format_windows_time(timestamp_ns ts, std::string& out);
/// Parse the ISO 8601 forms Windows tools write (any fraction length, Z or offset, ' ' or 'T').
bool parse_windows_time(std::string_view s, timestamp_ns& out);

/// UTF-16LE (n code units) to UTF-8, appended; unpaired surrogates become U+FFFD.
void append_utf16(std::string& out, const std::uint8_t* p, std::size_t units);

/// Read Windows event XML held in memory (UTF-8, or UTF-16LE with BOM). `path` is provenance.
/// Every <Event> becomes one event (malformed ones with the reason); the last partial batch is
/// handed to `sink` too.
status read_event_xml(std::string data, std::string_view path, const parse::options& opts, event_batch& batch,
                      const batch_sink& sink, read_stats& rs);

/// Read Windows events exported as JSON, held in memory: evtx_dump's objects
/// ({"Event": {"System": …, "EventData": …}}, pretty or one per line), Winlogbeat NDJSON
/// ({"winlog": {…}}) and NXLog im_msvistalog JSON ({"EventID": …, "Channel": …, "Hostname": …}),
/// detected per object; a top-level array of such objects is read too.
status read_event_json(std::string_view data, std::string_view path, const parse::options& opts,
                       event_batch& batch, const batch_sink& sink, read_stats& rs);
/// True when the start of a file looks like one of the JSON forms above.
bool sniff_event_json(std::string_view head);

/// Read a whole file into memory (for the XML and JSON readers).
result<std::string> slurp(const std::string& path);

}  // namespace mimamori::ingest::windows
