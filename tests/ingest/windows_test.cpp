// Windows event forms: the same record read from .evtx, evtx_dump JSON and event XML gives the
// same fields; Winlogbeat and NXLog JSON; ECS mapping; scan picks every form by its content.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "../parse/schema.hpp"
#include "ingest/evtx.hpp"
#include "ingest/scan.hpp"
#include "ingest/windows.hpp"

namespace fs = std::filesystem;
using namespace mimamori;
using namespace mimamori::ingest;

namespace {

using fields_t = std::multimap<std::string, std::string>;

struct got_event {
    std::string source_type;
    timestamp_ns ts;
    std::string error;
    fields_t fields;
    std::string get(const std::string& k) const {
        auto it = fields.find(k);
        return it == fields.end() ? std::string() : it->second;
    }
    std::vector<std::string> all(const std::string& k) const {
        std::vector<std::string> v;
        auto [a, b] = fields.equal_range(k);
        for (auto it = a; it != b; ++it) v.push_back(it->second);
        return v;
    }
};

struct collector {
    std::vector<got_event> events;
    std::vector<std::string> schema;
    batch_sink sink() {
        return [this](event_batch& b) {
            for (const auto& e : b.events()) {
                got_event g{std::string(e.source_type), e.ts, std::string(e.parse_error), {}};
                for (const auto& f : b.fields(e)) g.fields.emplace(std::string(field_name(f.id)), std::string(f.value));
                events.push_back(std::move(g));
                for (auto& v : mimamori::testing::schema_violations(b, e)) schema.push_back(v + " | " + std::string(e.raw));
            }
        };
    }
};

std::string slurp_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

collector read_evtx(const std::string& path) {
    collector c;
    event_batch b;
    evtx::file_stats st;
    auto s = evtx::read_file(path, parse::options{}, evtx::reader_options{}, b, c.sink(), st);
    EXPECT_TRUE(s.ok()) << path;
    return c;
}

collector read_json(std::string_view text) {
    collector c;
    event_batch b;
    read_stats rs;
    auto s = windows::read_event_json(text, "mem.json", parse::options{}, b, c.sink(), rs);
    EXPECT_TRUE(s.ok());
    return c;
}

collector read_xml(std::string text) {
    collector c;
    event_batch b;
    read_stats rs;
    auto s = windows::read_event_xml(std::move(text), "mem.xml", parse::options{}, b, c.sink(), rs);
    EXPECT_TRUE(s.ok());
    return c;
}

std::vector<std::string> regression_evtx() {
    std::vector<std::string> out;
    std::string dir = std::string(MIMAMORI_SHARED_DIR) + "/sigma/regression_data";
    std::error_code ec;
    if (!fs::exists(dir, ec)) return out;
    for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec))
        if (it->path().extension() == ".evtx") out.push_back(it->path().string());
    std::sort(out.begin(), out.end());
    return out;
}

// Native fields, without TimeCreated (evtx_dump keeps microseconds, EVTX has 100 ns).
fields_t native(const got_event& e) {
    fields_t out;
    for (const auto& [k, v] : e.fields)
        if (k.find('.') == std::string::npos && k != "TimeCreated") out.emplace(k, v);
    return out;
}

// The same, compared the way Sigma compares by default (case-insensitive) and without trailing
// white space: evtx_dump trims values ("cmd.exe\" " → "cmd.exe\""), which Windows and our
// reader keep — SigmaHQ rules are written for them (e.g. CommandLine|endswith: 'chcp  ').
// One sample's JSON also differs in case from its .evtx (Explorer.EXE / Explorer.exe).
fields_t sigma_view(const got_event& e) {
    fields_t out;
    for (auto [k, v] : native(e)) {
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t' || v.back() == '\r' || v.back() == '\n')) v.pop_back();
        for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        out.emplace(k, v);
    }
    return out;
}

std::string diff(const fields_t& a, const fields_t& b) {
    std::string s;
    for (const auto& kv : a)
        if (std::find(b.begin(), b.end(), kv) == b.end()) s += " only-first:" + kv.first + "=" + kv.second;
    for (const auto& kv : b)
        if (std::find(a.begin(), a.end(), kv) == a.end()) s += " only-second:" + kv.first + "=" + kv.second;
    return s;
}

const char* k_4624_xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<Events>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-A5BA-3E3B0328C30D}'/><EventID>4624</EventID><Version>2</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2024-03-01T12:00:05.1234567Z'/><EventRecordID>987654</EventRecordID><Correlation ActivityID='{F3A1C5E0-0000-0000-0000-000000000000}'/><Execution ProcessID='652' ThreadID='5544'/><Channel>Security</Channel><Computer>dc01.corp.local</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='SubjectUserName'>DC01$</Data><Data Name='TargetUserSid'>S-1-5-21-1-2-3-1104</Data><Data Name='TargetUserName'>alice</Data><Data Name='TargetDomainName'>CORP</Data><Data Name='TargetLogonId'>0x3e7</Data><Data Name='LogonType'>10</Data><Data Name='WorkstationName'>LAPTOP7</Data><Data Name='ProcessId'>0x2b8</Data><Data Name='ProcessName'>C:\Windows\System32\svchost.exe</Data><Data Name='IpAddress'>::ffff:203.0.113.9</Data><Data Name='IpPort'>50122</Data><Data Name='Comment'>a &lt;b&gt; &amp; &#x41;&#66;</Data></EventData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Eventlog'/><EventID>104</EventID><TimeCreated SystemTime='2024-03-01T12:01:00.000Z'/><EventRecordID>5</EventRecordID><Channel>System</Channel><Computer>ws1</Computer></System><UserData><LogFileCleared xmlns='http://manifests.microsoft.com/win/2004/08/windows/eventlog'><SubjectUserName>bob</SubjectUserName><SubjectDomainName>CORP</SubjectDomainName><Channel>Microsoft-Windows-Sysmon/Operational</Channel><BackupPath></BackupPath></LogFileCleared></UserData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Broken'/><EventID>1</EventID>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='PowerShell'/><EventID Qualifiers='0'>400</EventID><TimeCreated SystemTime='2024-03-01T12:02:00Z'/><Channel>Windows PowerShell</Channel><Computer>ws1</Computer></System><EventData><Data>Available</Data><Data>None</Data><Data>	NewEngineState=Available</Data></EventData></Event>
</Events>
)";

}  // namespace

TEST(WindowsXml, LogonEventFieldsAndEcs) {
    auto c = read_xml(k_4624_xml);
    ASSERT_EQ(c.events.size(), 4u);
    for (const auto& s : c.schema) ADD_FAILURE() << s;
    const auto& e = c.events[0];
    EXPECT_EQ(e.source_type, "windows.security");
    EXPECT_TRUE(e.error.empty());
    EXPECT_EQ(e.get("EventID"), "4624");
    EXPECT_EQ(e.get("Channel"), "Security");
    EXPECT_EQ(e.get("Provider_Name"), "Microsoft-Windows-Security-Auditing");
    EXPECT_EQ(e.get("Provider_Guid"), "{54849625-5478-4994-A5BA-3E3B0328C30D}");
    EXPECT_EQ(e.get("Computer"), "dc01.corp.local");
    EXPECT_EQ(e.get("EventRecordID"), "987654");
    EXPECT_EQ(e.get("Execution_ProcessID"), "652");
    EXPECT_EQ(e.get("Execution_ThreadID"), "5544");
    EXPECT_EQ(e.get("ActivityID"), "{F3A1C5E0-0000-0000-0000-000000000000}");
    EXPECT_EQ(e.get("Keywords"), "0x8020000000000000");
    EXPECT_EQ(e.get("TimeCreated"), "2024-03-01T12:00:05.1234567Z");
    EXPECT_EQ(e.ts, 1709294405123456700LL);
    EXPECT_EQ(e.get("TargetUserName"), "alice");
    EXPECT_EQ(e.get("Comment"), "a <b> & AB");
    // ECS
    EXPECT_EQ(e.get("event.code"), "4624");
    EXPECT_EQ(e.get("host.name"), "dc01.corp.local");
    EXPECT_EQ(e.get("event.outcome"), "success");
    EXPECT_EQ(e.get("event.action"), "logged-in");
    EXPECT_EQ(e.all("event.category"), (std::vector<std::string>{"authentication", "session"}));
    EXPECT_EQ(e.get("user.name"), "alice");
    EXPECT_EQ(e.get("user.domain"), "CORP");
    EXPECT_EQ(e.get("source.ip"), "203.0.113.9");
    EXPECT_EQ(e.get("source.port"), "50122");
    EXPECT_EQ(e.get("source.domain"), "LAPTOP7");
    EXPECT_EQ(e.get("winlog.logon.type"), "RemoteInteractive");
    EXPECT_EQ(e.get("process.pid"), "696");
    EXPECT_EQ(e.get("process.name"), "svchost.exe");
}

TEST(WindowsXml, UserDataUnnamedDataAndBrokenEvents) {
    auto c = read_xml(k_4624_xml);
    ASSERT_EQ(c.events.size(), 4u);
    const auto& cleared = c.events[1];
    EXPECT_EQ(cleared.source_type, "windows.system");  // UserData's Channel does not count
    EXPECT_EQ(cleared.get("SubjectUserName"), "bob");
    EXPECT_EQ(cleared.all("Channel"), (std::vector<std::string>{"System", "Microsoft-Windows-Sysmon/Operational"}));
    EXPECT_EQ(cleared.get("event.action"), "log-cleared");
    EXPECT_EQ(cleared.get("user.name"), "bob");
    EXPECT_FALSE(c.events[2].error.empty());  // cut event: malformed, and the next one is read
    const auto& ps = c.events[3];
    EXPECT_TRUE(ps.error.empty()) << ps.error;
    EXPECT_EQ(ps.source_type, "windows.powershell");
    EXPECT_EQ(ps.all("Data"), (std::vector<std::string>{"Available", "None", "\tNewEngineState=Available"}));
    EXPECT_EQ(ps.get("Qualifiers"), "0");
}

TEST(WindowsXml, Utf16WithBom) {
    std::string utf8 = k_4624_xml;
    std::string utf16 = "\xFF\xFE";
    for (unsigned char ch : utf8) {
        utf16.push_back(static_cast<char>(ch));
        utf16.push_back('\0');
    }
    auto c = read_xml(utf16);
    ASSERT_EQ(c.events.size(), 4u);
    EXPECT_EQ(c.events[0].get("TargetUserName"), "alice");
}

TEST(WindowsJson, WinlogbeatAndNxlog) {
    std::string text =
        R"({"@timestamp":"2024-03-01T12:00:05.123Z","message":"An account failed to log on.","winlog":{"channel":"Security","provider_name":"Microsoft-Windows-Security-Auditing","event_id":"4625","record_id":1234,"computer_name":"dc01","process":{"pid":652,"thread":{"id":7}},"event_data":{"TargetUserName":"bob","TargetDomainName":"CORP","LogonType":"3","IpAddress":"198.51.100.7","IpPort":"0","Status":"0xc000006d","SubStatus":"0xc000006a","WorkstationName":"-"}}}
{"EventTime":"2024-03-01 12:00:06","Hostname":"ws1.corp.local","Keywords":-9214364837600034816,"EventType":"AUDIT_SUCCESS","SeverityValue":2,"Severity":"INFO","EventID":4688,"SourceName":"Microsoft-Windows-Security-Auditing","ProviderGuid":"{54849625-5478-4994-A5BA-3E3B0328C30D}","Version":2,"Task":13312,"OpcodeValue":0,"RecordNumber":55,"ProcessID":4,"ThreadID":90,"Channel":"Security","Message":"A new process has been created.","SubjectUserName":"alice","SubjectDomainName":"CORP","NewProcessId":"0x1a2c","NewProcessName":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd /c whoami","ProcessId":"0x4","ParentProcessName":"C:\\Windows\\explorer.exe","EventReceivedTime":"2024-03-01 12:00:07","SourceModuleName":"eventlog","SourceModuleType":"im_msvistalog"}
not json at all
)";
    EXPECT_TRUE(windows::sniff_event_json(text));
    auto c = read_json(text);
    ASSERT_EQ(c.events.size(), 3u);
    for (const auto& s : c.schema) ADD_FAILURE() << s;
    const auto& wb = c.events[0];
    EXPECT_TRUE(wb.error.empty()) << wb.error;
    EXPECT_EQ(wb.source_type, "windows.security");
    EXPECT_EQ(wb.get("EventID"), "4625");
    EXPECT_EQ(wb.get("EventRecordID"), "1234");
    EXPECT_EQ(wb.get("Execution_ProcessID"), "652");
    EXPECT_EQ(wb.get("TargetUserName"), "bob");
    EXPECT_EQ(wb.get("event.outcome"), "failure");
    EXPECT_EQ(wb.get("event.reason"), "wrong password");
    EXPECT_EQ(wb.get("source.ip"), "198.51.100.7");
    EXPECT_EQ(wb.get("source.port"), "");  // port 0 is not a port
    EXPECT_EQ(wb.get("winlog.logon.type"), "Network");
    EXPECT_EQ(wb.ts, 1709294405123000000LL);
    const auto& nx = c.events[1];
    EXPECT_TRUE(nx.error.empty()) << nx.error;
    EXPECT_EQ(nx.get("EventID"), "4688");
    EXPECT_EQ(nx.get("Computer"), "ws1.corp.local");
    EXPECT_EQ(nx.get("Provider_Name"), "Microsoft-Windows-Security-Auditing");
    EXPECT_EQ(nx.get("Keywords"), "0x8020000000000000");
    EXPECT_EQ(nx.get("Execution_ProcessID"), "4");
    EXPECT_EQ(nx.get("ProcessId"), "0x4");
    EXPECT_EQ(nx.get("CommandLine"), "cmd /c whoami");
    EXPECT_EQ(nx.get("EventReceivedTime"), "");
    EXPECT_EQ(nx.get("process.pid"), "6700");
    EXPECT_EQ(nx.get("process.parent.name"), "explorer.exe");
    EXPECT_EQ(nx.ts, 1709294406000000000LL);
    EXPECT_FALSE(c.events[2].error.empty());
}

TEST(WindowsJson, SniffLeavesOtherJsonAlone) {
    EXPECT_FALSE(windows::sniff_event_json(R"({"Records":[{"eventName":"x"}]})"));
    EXPECT_FALSE(windows::sniff_event_json(R"({"ts":1,"msg":"hello"})"));
    EXPECT_TRUE(windows::sniff_event_json("{\n  \"Event\": {\n    \"System\": {}}}"));
}

// The .json beside each regression .evtx (evtx_dump's rendering of the same records) gives the
// same native fields as our EVTX reader: names and values Sigma rules match on.
TEST(WindowsJson, RegressionJsonEqualsEvtx) {
    auto files = regression_evtx();
    if (files.empty()) GTEST_SKIP() << "no regression data";
    std::size_t compared = 0, pairs = 0;
    for (const auto& f : files) {
        std::string jf = f.substr(0, f.size() - 5) + ".json";
        if (!fs::exists(jf)) continue;
        ++pairs;
        auto a = read_evtx(f);
        auto b = read_json(slurp_bytes(jf));
        for (const auto& s : b.schema) ADD_FAILURE() << jf << ": " << s;
        ASSERT_EQ(a.events.size(), b.events.size()) << f;
        for (std::size_t i = 0; i < a.events.size(); ++i) {
            EXPECT_TRUE(b.events[i].error.empty()) << jf << ": " << b.events[i].error;
            EXPECT_EQ(a.events[i].source_type, b.events[i].source_type) << f;
            auto na = sigma_view(a.events[i]), nb = sigma_view(b.events[i]);
            EXPECT_TRUE(na == nb) << f << " record " << i << ":" << diff(na, nb);
            // the event time agrees to the microsecond evtx_dump keeps
            EXPECT_EQ(a.events[i].ts / 1000, b.events[i].ts / 1000) << f;
            ++compared;
        }
    }
    EXPECT_GE(pairs, 200u);
    EXPECT_GE(compared, 230u);
}

// Event XML as evtxexport renders it reads to the same fields as the EVTX itself.
TEST(WindowsXml, EvtxexportXmlEqualsEvtx) {
    auto files = regression_evtx();
    if (files.empty() || std::system("command -v evtxexport >/dev/null 2>&1") != 0)
        GTEST_SKIP() << "needs regression data and evtxexport";
    std::size_t compared = 0;
    for (std::size_t k = 0; k < files.size(); k += 7) {  // a spread of samples
        const auto& f = files[k];
        std::string cmd = "evtxexport -f xml '" + f + "' 2>/dev/null";
        FILE* p = popen(cmd.c_str(), "r");
        ASSERT_NE(p, nullptr);
        std::string xml;
        char buf[65536];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) xml.append(buf, n);
        pclose(p);
        auto a = read_evtx(f);
        auto b = read_xml(xml);
        ASSERT_EQ(a.events.size(), b.events.size()) << f;
        for (std::size_t i = 0; i < a.events.size(); ++i) {
            auto na = native(a.events[i]), nb = native(b.events[i]);
            // evtxexport pads hex integers (0x00000000003b5e64); Windows and we do not.
            for (auto* m : {&na, &nb})
                for (auto it = m->begin(); it != m->end();)
                    if (it->second.rfind("0x", 0) == 0) it = m->erase(it);
                    else ++it;
            EXPECT_TRUE(na == nb) << f << " record " << i << ":" << diff(na, nb);
            ++compared;
        }
    }
    EXPECT_GT(compared, 20u);
}

TEST(Windows, SourceTypes) {
    using windows::source_type_for;
    EXPECT_EQ(source_type_for("Security", ""), "windows.security");
    EXPECT_EQ(source_type_for("system", ""), "windows.system");
    EXPECT_EQ(source_type_for("Microsoft-Windows-Sysmon/Operational", ""), "windows.sysmon");
    EXPECT_EQ(source_type_for("Microsoft-Windows-PowerShell/Operational", ""), "windows.powershell");
    EXPECT_EQ(source_type_for("Windows PowerShell", ""), "windows.powershell");
    EXPECT_EQ(source_type_for("Microsoft-Windows-Windows Defender/Operational", ""), "windows.defender");
    EXPECT_EQ(source_type_for("Microsoft-Windows-TerminalServices-LocalSessionManager/Operational", ""), "windows.rdp");
    EXPECT_EQ(source_type_for("Application", ""), "windows.eventlog");
    EXPECT_EQ(source_type_for("", "Microsoft-Windows-Security-Auditing"), "windows.security");
}

TEST(Windows, MappingsLoadWithoutErrors) {
    const auto& m = windows::ecs_mapping::get(parse::options{});
    EXPECT_TRUE(m.load_error().empty()) << m.load_error();
    EXPECT_GT(m.rule_count(), 40u);
}

// `scan` picks EVTX, evtx_dump JSON and event XML by content, whatever the file names.
TEST(Windows, ScanReadsEveryForm) {
    auto files = regression_evtx();
    if (files.empty()) GTEST_SKIP() << "no regression data";
    auto dir = fs::temp_directory_path() / ("mimamori-win-scan-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    fs::copy_file(files[0], dir / "a.bin", fs::copy_options::overwrite_existing);
    fs::copy_file(files[0].substr(0, files[0].size() - 5) + ".json", dir / "b.txt", fs::copy_options::overwrite_existing);
    { std::ofstream(dir / "c.log") << k_4624_xml; }
    ingest::scan_options opts;
    ingest::scan_stats st;
    std::size_t events = 0;
    auto s = ingest::scan_paths({dir.string()}, opts, [&](event_batch& b) { events += b.size(); }, st);
    ASSERT_TRUE(s.ok());
    EXPECT_TRUE(st.by_format.count("evtx"));
    EXPECT_TRUE(st.by_format.count("windows.json"));
    EXPECT_TRUE(st.by_format.count("windows.xml"));
    EXPECT_EQ(st.by_format["windows.xml"].events, 4u);
    EXPECT_EQ(st.by_format["windows.xml"].malformed, 1u);
    EXPECT_EQ(events, st.events);
    fs::remove_all(dir);
}
