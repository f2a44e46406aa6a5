// The emitters: one function per log the company keeps, writing each format exactly as the
// product writes it (FortiOS key=value, rsyslog high-precision syslog, nginx combined,
// Winlogbeat 7.17 NDJSON, CloudTrail Records files).
#include <cstdio>
#include <stdexcept>

#include "core/event.hpp"
#include "core/time.hpp"
#include "demo/world.hpp"

namespace mimamori::demo {

bool person::on_leave(int day) const {
    for (int d : leave)
        if (d == day) return true;
    return false;
}
bool person::is_remote(int day) const {
    for (int d : remote)
        if (d == day) return true;
    return false;
}

world::world(std::uint64_t s, date start, int n) : seed(s), days(n), m_pid_rng(derive(s, "pid")) {
    std::map<int, std::vector<holiday>> by_year;
    std::int64_t first = day_number(start);
    for (int i = 0; i < n; ++i) {
        day_info di;
        di.d = date_from_day_number(first + i);
        di.wd = weekday(di.d);
        auto& hs = by_year[di.d.year];
        if (hs.empty()) hs = japanese_holidays(di.d.year);
        for (const auto& h : hs)
            if (h.when == di.d) {
                di.holiday = true;
                di.holiday_ja = h.name_ja;
                di.holiday_en = h.name_en;
            }
        di.workday = di.wd != 0 && di.wd != 6 && !di.holiday;
        di.midnight = ((first + i) * 86400 - k_tokyo_offset_s) * k_us;
        cal.push_back(di);
    }
}

usec world::at(int day, int hour, int minute, int second, std::int64_t micros) const {
    if (micros == 0) {
        // Real clocks do not tick on whole seconds: a fraction fixed by the arguments (so the
        // same call gives the same instant), spread like random.
        std::uint64_t h = (static_cast<std::uint64_t>(day + 1000) * 0x9E3779B97F4A7C15ULL) ^
                          (static_cast<std::uint64_t>(hour * 3600 + minute * 60 + second + 1) * 0xC2B2AE3D27D4EB4FULL);
        h ^= h >> 29;
        micros = static_cast<std::int64_t>(h % 1000000);
    }
    usec base = day >= 0 && day < days ? cal[static_cast<std::size_t>(day)].midnight
                                       : cal[0].midnight + static_cast<usec>(day) * 86400 * k_us;
    return base + (static_cast<usec>(hour) * 3600 + minute * 60 + second) * k_us + micros;
}

int world::day_of(usec t) const {
    usec rel = t - cal[0].midnight;
    std::int64_t d = rel / (86400 * k_us);
    if (rel < 0 && rel % (86400 * k_us) != 0) --d;
    return static_cast<int>(d);
}

const person& world::by_account(const std::string& account) const {
    for (const auto& p : people)
        if (p.account == account) return p;
    throw std::logic_error("demo: no person " + account);
}

const external_ip& world::geo_of(const std::string& ip, const std::string& country, const std::string& cc,
                                 const std::string& what) {
    auto it = m_geo_index.find(ip);
    if (it != m_geo_index.end()) return geo[it->second];
    m_geo_index.emplace(ip, geo.size());
    geo.push_back(external_ip{ip, country, cc, what});
    return geo.back();
}

std::string world::country_of(const std::string& ip) const {
    auto it = m_geo_index.find(ip);
    if (it != m_geo_index.end()) return geo[it->second].country;
    if (ip.rfind("192.168.", 0) == 0 || ip.rfind("10.", 0) == 0) return "Reserved";
    return "Japan";
}

// --- time text ------------------------------------------------------------------------------

namespace {

civil_time civil_of(usec t, int offset_s, std::int64_t& micros) {
    std::int64_t s = t / k_us;
    micros = t % k_us;
    if (micros < 0) {
        micros += k_us;
        --s;
    }
    return civil_from_seconds(s + offset_s);
}

void frac(std::string& out, std::int64_t micros, int digits) {
    if (digits <= 0) return;
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%06lld", static_cast<long long>(micros));
    out.append(buf, static_cast<std::size_t>(1 + digits));
}

}  // namespace

std::string iso_local(usec t, int digits) {
    std::int64_t us;
    civil_time c = civil_of(t, k_tokyo_offset_s, us);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u", c.year, c.month, c.day, c.hour, c.minute, c.second);
    std::string s = buf;
    frac(s, us, digits);
    s += "+09:00";
    return s;
}

std::string iso_utc(usec t, int digits) {
    std::int64_t us;
    civil_time c = civil_of(t, 0, us);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u", c.year, c.month, c.day, c.hour, c.minute, c.second);
    std::string s = buf;
    frac(s, us, digits);
    s += "Z";
    return s;
}

std::string clf_local(usec t) {
    static const char* k_mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::int64_t us;
    civil_time c = civil_of(t, k_tokyo_offset_s, us);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%02u/%s/%04d:%02u:%02u:%02u +0900", c.day, k_mon[c.month - 1], c.year, c.hour,
                  c.minute, c.second);
    return buf;
}

std::string js(const std::string& s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

// --- ids ------------------------------------------------------------------------------------

std::string world::logon_id(rng& r) const {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(r.range(0x100000, 0x3ffffff)));
    return buf;
}

std::string world::guid(rng& r) const {
    char buf[48];
    std::uint64_t a = r.next(), b = r.next();
    std::snprintf(buf, sizeof buf, "{%08llX-%04llX-%04llX-%04llX-%012llX}",
                  static_cast<unsigned long long>(a >> 32), static_cast<unsigned long long>((a >> 16) & 0xffff),
                  static_cast<unsigned long long>(a & 0xffff), static_cast<unsigned long long>(b >> 48),
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
}

std::string world::request_id(rng& r) const {
    std::string g = guid(r);
    std::string s = g.substr(1, g.size() - 2);
    for (auto& c : s)
        if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    return s;
}

std::string world::queue_id(rng& r) const {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%010llX", static_cast<unsigned long long>(r.next() & 0xFFFFFFFFFFULL));
    return buf;
}

// --- FortiGate ------------------------------------------------------------------------------

std::string world::fgt_head(usec ts, const std::string& logid, const std::string& type, const std::string& subtype,
                            const std::string& level) const {
    std::int64_t us;
    civil_time c = civil_of(ts, k_tokyo_offset_s, us);
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "date=%04d-%02u-%02u time=%02u:%02u:%02u devname=\"%s\" devid=\"%s\" eventtime=%lld tz=\"+0900\" "
                  "logid=\"%s\" type=\"%s\" subtype=\"%s\" level=\"%s\" vd=\"root\"",
                  c.year, c.month, c.day, c.hour, c.minute, c.second, fgt_name.c_str(), fgt_serial.c_str(),
                  static_cast<long long>(ts) * 1000, logid.c_str(), type.c_str(), subtype.c_str(), level.c_str());
    return buf;
}

void world::fgt_traffic(usec ts, const fgt_session& s, int step) {
    const bool local = s.subtype == "local";
    std::string line = fgt_head(ts, local ? "0001000014" : "0000000013", "traffic", s.subtype, "notice");
    char buf[1024];
    std::string srccountry = country_of(s.srcip), dstcountry = country_of(s.dstip);
    std::snprintf(buf, sizeof buf,
                  " srcip=%s srcport=%d srcintf=\"%s\" srcintfrole=\"%s\" dstip=%s dstport=%d dstintf=\"%s\" "
                  "dstintfrole=\"%s\" srccountry=\"%s\" dstcountry=\"%s\" sessionid=%llu proto=%d action=\"%s\" "
                  "policyid=%d policytype=\"%s\"",
                  s.srcip.c_str(), s.srcport, s.srcintf.c_str(), s.srcintfrole.c_str(), s.dstip.c_str(), s.dstport,
                  s.dstintf.c_str(), s.dstintfrole.c_str(), srccountry.c_str(), dstcountry.c_str(),
                  static_cast<unsigned long long>(m_session + static_cast<std::uint64_t>((ts - cal[0].midnight) / k_us) * 3 +
                                                  ++m_session_seq % 3),
                  s.proto,
                  s.action.c_str(), s.policyid, local ? "local-in-policy" : "policy");
    line += buf;
    if (!local) line += " policyname=\"" + s.policyname + "\"";
    if (!s.user.empty()) line += " user=\"" + s.user + "\" group=\"VPN-Users\"";
    line += " service=\"" + s.service + "\"";
    if (s.snat && !local && s.dstintfrole == "wan") {
        std::snprintf(buf, sizeof buf, " trandisp=\"snat\" transip=%s transport=%d", public_ip.c_str(), s.srcport);
        line += buf;
    } else {
        line += " trandisp=\"noop\"";
    }
    if (!s.app.empty()) line += " app=\"" + s.app + "\"";
    std::snprintf(buf, sizeof buf, " duration=%lld sentbyte=%llu rcvdbyte=%llu sentpkt=%llu rcvdpkt=%llu appcat=\"%s\"",
                  static_cast<long long>(s.duration), static_cast<unsigned long long>(s.sentbyte),
                  static_cast<unsigned long long>(s.rcvdbyte),
                  static_cast<unsigned long long>(s.sentbyte / 1200 + (s.sentbyte ? 1 : 0)),
                  static_cast<unsigned long long>(s.rcvdbyte / 1200 + (s.rcvdbyte ? 1 : 0)), s.appcat.c_str());
    line += buf;
    if (s.action == "deny" && local) line += " crscore=5 craction=262144 crlevel=\"low\"";
    out.add("logs/fortigate/traffic.log", ts, std::move(line), step);
}

void world::fgt_event(usec ts, const std::string& logid, const std::string& subtype, const std::string& level,
                      const std::string& fields, int step) {
    out.add("logs/fortigate/event.log", ts, fgt_head(ts, logid, "event", subtype, level) + " " + fields, step);
}

void world::fgt_utm(usec ts, const std::string& logid, const std::string& subtype, const std::string& level,
                    const std::string& fields, int step) {
    out.add("logs/fortigate/traffic.log", ts, fgt_head(ts, logid, "utm", subtype, level) + " " + fields, step);
}

// --- syslog, nginx --------------------------------------------------------------------------

void world::syslog(const std::string& file, usec ts, const std::string& host, const std::string& tag,
                   const std::string& msg, int step) {
    out.add(file, ts, iso_local(ts, 6) + " " + host + " " + tag + ": " + msg, step);
}

void world::nginx(usec ts, const std::string& ip, const std::string& request, int status, std::uint64_t bytes,
                  const std::string& referer, const std::string& ua, int step) {
    std::string line = ip + " - - [" + clf_local(ts) + "] \"" + request + "\" " + std::to_string(status) + " " +
                       std::to_string(bytes) + " \"" + referer + "\" \"" + ua + "\"";
    out.add("logs/web01/nginx/access.log", ts, std::move(line), step);
}

// --- Windows --------------------------------------------------------------------------------

namespace {

struct provider_meta {
    const char* name;
    const char* guid;
    const char* module;
};
constexpr provider_meta k_providers[] = {
    {"Microsoft-Windows-Security-Auditing", "{54849625-5478-4994-A5BA-3E3B0328C30D}", "security"},
    {"Microsoft-Windows-Sysmon", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}", "sysmon"},
    {"Service Control Manager", "{555908d1-a6d7-4695-8e1e-26931d2012f4}", ""},
    {"Microsoft-Windows-WindowsUpdateClient", "{945a8954-c147-4acd-923f-40c45405a658}", ""},
    {"Microsoft-Windows-Eventlog", "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}", ""},
    {"User32", "", ""},
    {"EventLog", "", ""},
};

}  // namespace

void world::win(const std::string& host, usec ts, const win_event& e, int step) {
    const provider_meta* pm = nullptr;
    for (const auto& p : k_providers)
        if (e.provider == p.name) pm = &p;
    char ch = e.channel == "Security" ? 'S' : e.channel == "System" ? 'M' : 'Y';
    std::string s;
    s.reserve(640);
    // Winlogbeat 7.17's own fields as its file/Logstash output writes them (agent, ecs, log.level);
    // the host metadata processor's long host.os block is left out to keep the files small.
    s += "{\"@timestamp\":\"" + iso_utc(ts, 3) + "\",\"agent\":{\"hostname\":" + js(host) + ",\"name\":" + js(host) +
         ",\"type\":\"winlogbeat\",\"version\":\"7.17.18\"},\"ecs\":{\"version\":\"1.12.0\"}";
    s += ",\"host\":{\"name\":" + js(host) + "}";
    s += ",\"winlog\":{\"channel\":" + js(e.channel) + ",\"provider_name\":" + js(e.provider);
    if (pm && *pm->guid) s += ",\"provider_guid\":\"" + std::string(pm->guid) + "\"";
    s += ",\"event_id\":" + std::to_string(e.id);
    s += ",\"computer_name\":" + js(fqdn(host));
    s += ",\"record_id\":\x01";
    s.push_back(ch);
    // lsass (Security), Sysmon64 and services have stable pids per host.
    unsigned h = 0;
    for (char c : host) h = h * 131 + static_cast<unsigned char>(c);
    unsigned pid = e.channel == "Security" ? 600 + h % 200 : e.channel == "System" ? 4 + (h % 3) * 4 : 3000 + h % 900;
    s += ",\"process\":{\"pid\":" + std::to_string(pid) + ",\"thread\":{\"id\":" +
         std::to_string(1000 + (h + static_cast<unsigned>(ts / k_us)) % 7000) + "}}";
    if (e.channel == "Security")
        s += std::string(",\"keywords\":[\"") + (e.failure ? "Audit Failure" : "Audit Success") + "\"]";
    if (!e.task.empty()) s += ",\"task\":" + js(e.task);
    s += ",\"api\":\"wineventlog\"";
    if (!e.data.empty()) {
        s += ",\"event_data\":{";
        bool first = true;
        for (const auto& [k, v] : e.data) {
            if (!first) s.push_back(',');
            first = false;
            s += js(k) + ":" + js(v);
        }
        s.push_back('}');
    }
    s += "}";
    s += ",\"log\":{\"level\":\"" + std::string(e.failure && e.channel != "Security" ? "error" : "information") + "\"}";
    s += ",\"event\":{\"code\":\"" + std::to_string(e.id) + "\",\"kind\":\"event\",\"provider\":" + js(e.provider);
    if (pm && *pm->module) s += ",\"module\":\"" + std::string(pm->module) + "\"";
    s += "}";
    if (!e.message.empty()) s += ",\"message\":" + js(e.message);
    s += "}";
    out.declare("logs/windows/" + host + ".ndjson", file_kind::winlogbeat);
    out.add("logs/windows/" + host + ".ndjson", ts, std::move(s), step);
}

void world::logon(const std::string& host, usec ts, const std::string& user, const std::string& sid, int type,
                  const std::string& ip, const std::string& workstation, const std::string& package,
                  const std::string& lid, rng& r, int step) {
    win_event e;
    e.id = 4624;
    e.task = "Logon";
    const bool local = type == 2 || type == 7 || type == 11;
    const bool machine = !user.empty() && user.back() == '$';
    e.data = {{"SubjectUserSid", local ? "S-1-5-18" : "S-1-0-0"},
              {"SubjectUserName", local ? host + "$" : "-"},
              {"SubjectDomainName", local ? netbios : "-"},
              {"SubjectLogonId", local ? "0x3e7" : "0x0"},
              {"TargetUserSid", sid},
              {"TargetUserName", user},
              {"TargetDomainName", netbios},
              {"TargetLogonId", lid},
              {"LogonType", std::to_string(type)},
              {"LogonProcessName", local ? "User32 " : package == "NTLM" ? "NtLmSsp " : "Kerberos"},
              {"AuthenticationPackageName", local ? "Negotiate" : package},
              {"WorkstationName", workstation},
              {"LogonGuid", package == "NTLM" || machine ? "{00000000-0000-0000-0000-000000000000}" : guid(r)},
              {"TransmittedServices", "-"},
              {"LmPackageName", package == "NTLM" ? "NTLM V2" : "-"},
              {"KeyLength", package == "NTLM" ? "128" : "0"},
              {"ProcessId", local ? "0x2d8" : "0x0"},
              {"ProcessName", local ? "C:\\Windows\\System32\\svchost.exe" : "-"},
              {"IpAddress", ip},
              {"IpPort", ip == "-" ? "-" : local ? "0" : std::to_string(ephemeral_port(r))},
              {"ImpersonationLevel", "%%1833"},
              {"VirtualAccount", "%%1843"},
              {"ElevatedToken", type == 3 || type == 10 ? "%%1842" : "%%1843"}};
    win(host, ts, e, step);
}

void world::logoff(const std::string& host, usec ts, const std::string& user, const std::string& sid, int type,
                   const std::string& lid, int step) {
    win_event e;
    e.id = 4634;
    e.task = "Logoff";
    e.data = {{"TargetUserSid", sid},
              {"TargetUserName", user},
              {"TargetDomainName", netbios},
              {"TargetLogonId", lid},
              {"LogonType", std::to_string(type)}};
    win(host, ts, e, step);
}

void world::logon_failed(const std::string& host, usec ts, const std::string& user, int type, const std::string& ip,
                         const std::string& workstation, const std::string& substatus, rng& r, int step) {
    win_event e;
    e.id = 4625;
    e.task = "Logon";
    e.failure = true;
    const bool local = type == 2 || type == 7;
    e.data = {{"SubjectUserSid", local ? "S-1-5-18" : "S-1-0-0"},
              {"SubjectUserName", local ? host + "$" : "-"},
              {"SubjectDomainName", local ? netbios : "-"},
              {"SubjectLogonId", local ? "0x3e7" : "0x0"},
              {"TargetUserSid", "S-1-0-0"},
              {"TargetUserName", user},
              {"TargetDomainName", netbios},
              {"Status", substatus == "0xc0000064" ? "0xc000006d" : "0xc000006d"},
              {"FailureReason", "%%2313"},
              {"SubStatus", substatus},
              {"LogonType", std::to_string(type)},
              {"LogonProcessName", local ? "User32 " : "NtLmSsp "},
              {"AuthenticationPackageName", local ? "Negotiate" : "NTLM"},
              {"WorkstationName", workstation},
              {"TransmittedServices", "-"},
              {"LmPackageName", "-"},
              {"KeyLength", "0"},
              {"ProcessId", local ? "0x2d8" : "0x0"},
              {"ProcessName", local ? "C:\\Windows\\System32\\svchost.exe" : "-"},
              {"IpAddress", ip},
              {"IpPort", ip == "-" ? "-" : local ? "0" : std::to_string(ephemeral_port(r))}};
    win(host, ts, e, step);
}

void world::kerberos_tgt(usec ts, const std::string& user, const std::string& sid, const std::string& client_ip,
                         const std::string& status, rng& r, int step) {
    win_event e;
    const bool ok = status == "0x0";
    e.id = ok || status != "0x18" ? 4768 : 4771;
    e.task = e.id == 4768 ? "Kerberos Authentication Service" : "Kerberos Authentication Service";
    e.failure = !ok;
    std::string ip = "::ffff:" + client_ip;
    if (e.id == 4768) {
        e.data = {{"TargetUserName", user},
                  {"TargetDomainName", "CORP"},
                  {"TargetSid", ok ? sid : "S-1-0-0"},
                  {"ServiceName", "krbtgt"},
                  {"ServiceSid", domain_sid + "-502"},
                  {"TicketOptions", "0x40810010"},
                  {"Status", status},
                  {"TicketEncryptionType", ok ? "0x12" : "0xffffffff"},
                  {"PreAuthType", ok ? "2" : "-"},
                  {"IpAddress", ip},
                  {"IpPort", std::to_string(ephemeral_port(r))},
                  {"CertIssuerName", ""},
                  {"CertSerialNumber", ""},
                  {"CertThumbprint", ""}};
    } else {
        e.data = {{"TargetUserName", user},
                  {"TargetSid", sid},
                  {"ServiceName", "krbtgt/CORP"},
                  {"TicketOptions", "0x40810010"},
                  {"Status", status},
                  {"PreAuthType", "2"},
                  {"IpAddress", ip},
                  {"IpPort", std::to_string(ephemeral_port(r))},
                  {"CertIssuerName", ""},
                  {"CertSerialNumber", ""},
                  {"CertThumbprint", ""}};
    }
    win("DC01", ts, e, step);
}

void world::kerberos_service(usec ts, const std::string& user, const std::string& service,
                             const std::string& client_ip, rng& r, int step) {
    win_event e;
    e.id = 4769;
    e.task = "Kerberos Service Ticket Operations";
    e.data = {{"TargetUserName", user + "@" + std::string("CORP.KAEDE-SHOJI.EXAMPLE")},
              {"TargetDomainName", "CORP.KAEDE-SHOJI.EXAMPLE"},
              {"ServiceName", service},
              {"ServiceSid", domain_sid + "-" + std::to_string(1000 + (service.size() * 7) % 50)},
              {"TicketOptions", "0x40810000"},
              {"TicketEncryptionType", "0x12"},
              {"IpAddress", "::ffff:" + client_ip},
              {"IpPort", std::to_string(ephemeral_port(r))},
              {"Status", "0x0"},
              {"LogonGuid", guid(r)},
              {"TransmittedServices", "-"}};
    win("DC01", ts, e, step);
}

void world::ntlm_validate(usec ts, const std::string& user, const std::string& workstation,
                          const std::string& status, int step) {
    win_event e;
    e.id = 4776;
    e.task = "Credential Validation";
    e.failure = status != "0x0";
    e.data = {{"PackageName", "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"},
              {"TargetUserName", user},
              {"Workstation", workstation},
              {"Status", status}};
    win("DC01", ts, e, step);
}

void world::share_access(usec ts, const std::string& user, const std::string& sid, const std::string& lid,
                         const std::string& ip, const std::string& share, int step) {
    win_event e;
    e.id = 5140;
    e.task = "File Share";
    std::string local = share == "IPC$" ? "" : "\\??\\D:\\Shares\\" + share;
    e.data = {{"SubjectUserSid", sid},
              {"SubjectUserName", user},
              {"SubjectDomainName", netbios},
              {"SubjectLogonId", lid},
              {"ObjectType", "File"},
              {"IpAddress", ip},
              {"IpPort", std::to_string(49152 + (ts / k_us) % 16000)},
              {"ShareName", "\\\\*\\" + share},
              {"ShareLocalPath", local},
              {"AccessMask", "0x1"},
              {"AccessList", "%%4416\r\n\t\t\t\t"}};
    win("FS01", ts, e, step);
}

void world::share_file(usec ts, const std::string& user, const std::string& sid, const std::string& lid,
                       const std::string& ip, const std::string& share, const std::string& file,
                       const std::string& mask, bool failure, int step) {
    win_event e;
    e.id = 5145;
    e.task = "Detailed File Share";
    e.failure = failure;
    e.data = {{"SubjectUserSid", sid},
              {"SubjectUserName", user},
              {"SubjectDomainName", netbios},
              {"SubjectLogonId", lid},
              {"ObjectType", "File"},
              {"IpAddress", ip},
              {"IpPort", std::to_string(49152 + (ts / k_us) % 16000)},
              {"ShareName", "\\\\*\\" + share},
              {"ShareLocalPath", "\\??\\D:\\Shares\\" + share},
              {"RelativeTargetName", file},
              {"AccessMask", mask},
              {"AccessList", mask == "0x2" ? "%%4417\r\n\t\t\t\t" : "%%4416\r\n\t\t\t\t"},
              {"AccessReason", failure ? "%%4416:\t%%1805\r\n\t\t\t\t" : "-"}};
    win("FS01", ts, e, step);
}

fgt_session world::local_in_deny(const std::string& src, int port, rng& r) {
    fgt_session fs;
    fs.subtype = "local";
    fs.srcip = src;
    fs.srcport = ephemeral_port(r);
    fs.srcintf = "wan1";
    fs.srcintfrole = "wan";
    fs.dstip = public_ip;
    fs.dstport = port;
    fs.dstintf = "root";
    fs.dstintfrole = "undefined";
    fs.action = "deny";
    fs.policyid = 0;
    fs.service = "tcp/" + std::to_string(port);
    fs.duration = 0;
    fs.snat = false;
    return fs;
}

std::string sysmon_time(usec t) { return iso_utc(t, 3).substr(0, 23).replace(10, 1, " "); }

win_event world::sysmon_event(int id, std::string task, const std::string& host, usec ts, rng& r) {
    win_event e;
    e.channel = "Microsoft-Windows-Sysmon/Operational";
    e.provider = "Microsoft-Windows-Sysmon";
    e.id = id;
    e.task = std::move(task);
    e.data = {{"RuleName", "-"},
              {"UtcTime", sysmon_time(ts)},
              {"ProcessGuid", guid(r)},
              {"ProcessId", std::to_string(next_pid(host))}};
    return e;
}

void world::process(const std::string& host, usec ts, const std::string& user, const std::string& image,
                    const std::string& command_line, const std::string& parent_image, const std::string& parent_cmd,
                    rng& r, int step, const std::string& hashes) {
    std::string exe = image.substr(image.rfind('\\') + 1);
    std::string h = hashes;
    if (h.empty()) {
        char buf[160];
        rng hr = derive(0, image);  // the same program has the same hash everywhere
        std::snprintf(buf, sizeof buf, "SHA256=%016llX%016llX%016llX%016llX",
                      static_cast<unsigned long long>(hr.next()), static_cast<unsigned long long>(hr.next()),
                      static_cast<unsigned long long>(hr.next()), static_cast<unsigned long long>(hr.next()));
        h = buf;
    }
    const bool system = user.rfind("NT AUTHORITY", 0) == 0;
    win_event e = sysmon_event(1, "Process Create (rule: ProcessCreate)", host, ts, r);
    e.data.insert(e.data.end(), {
              {"Image", image},
              {"FileVersion", "-"},
              {"Description", "-"},
              {"Product", "-"},
              {"Company", "-"},
              {"OriginalFileName", exe},
              {"CommandLine", command_line},
              {"CurrentDirectory", system ? "C:\\Windows\\system32\\" : "C:\\Users\\" + user.substr(user.find('\\') + 1) + "\\"},
              {"User", user},
              {"LogonGuid", guid(r)},
              {"LogonId", system ? "0x3e7" : logon_id(r)},
              {"TerminalSessionId", system ? "0" : "1"},
              {"IntegrityLevel", system ? "System" : "Medium"},
              {"Hashes", h},
              {"ParentProcessGuid", guid(r)},
              {"ParentProcessId", std::to_string(next_pid(host))},
              {"ParentImage", parent_image},
              {"ParentCommandLine", parent_cmd},
              {"ParentUser", user}});
    win(host, ts, e, step);
}

void world::net_connect(const std::string& host, const std::string& host_ip, usec ts, const std::string& user,
                        const std::string& image, const std::string& dst_ip, int dst_port,
                        const std::string& dst_host, rng& r, int step) {
    win_event e = sysmon_event(3, "Network connection detected (rule: NetworkConnect)", host, ts, r);
    e.data.insert(e.data.end(), {
              {"Image", image},
              {"User", user},
              {"Protocol", "tcp"},
              {"Initiated", "true"},
              {"SourceIsIpv6", "false"},
              {"SourceIp", host_ip},
              {"SourceHostname", fqdn(host)},
              {"SourcePort", std::to_string(ephemeral_port(r))},
              {"SourcePortName", "-"},
              {"DestinationIsIpv6", "false"},
              {"DestinationIp", dst_ip},
              {"DestinationHostname", dst_host.empty() ? "-" : dst_host},
              {"DestinationPort", std::to_string(dst_port)},
              {"DestinationPortName", dst_port == 443 ? "https" : dst_port == 25 ? "smtp" : "-"}});
    win(host, ts, e, step);
}

void world::dns_query(const std::string& host, usec ts, const std::string& user, const std::string& image,
                      const std::string& name, const std::string& answer, rng& r, int step) {
    win_event e = sysmon_event(22, "Dns query (rule: DnsQuery)", host, ts, r);
    e.data.insert(e.data.end(), {
              {"QueryName", name},
              {"QueryStatus", "0"},
              {"QueryResults", "::ffff:" + answer + ";"},
              {"Image", image},
              {"User", user}});
    win(host, ts, e, step);
}

void world::file_create(const std::string& host, usec ts, const std::string& user, const std::string& image,
                        const std::string& target, rng& r, int step) {
    win_event e = sysmon_event(11, "File created (rule: FileCreate)", host, ts, r);
    e.data.insert(e.data.end(), {{"Image", image}, {"TargetFilename", target}, {"CreationUtcTime", sysmon_time(ts)}, {"User", user}});
    win(host, ts, e, step);
}

// --- CloudTrail -----------------------------------------------------------------------------

void world::cloudtrail(usec ts, const ct_event& e, int step) {
    rng r = derive(seed, "ct", static_cast<std::uint64_t>(ts), m_ct_records[e.name]++);
    std::string s;
    s.reserve(900);
    s += "{\"eventVersion\":\"1.09\",\"userIdentity\":" + e.identity_json;
    s += ",\"eventTime\":\"" + iso_utc(ts, 0) + "\"";
    s += ",\"eventSource\":" + js(e.source) + ",\"eventName\":" + js(e.name);
    s += ",\"awsRegion\":" + js(e.region) + ",\"sourceIPAddress\":" + js(e.ip);
    s += ",\"userAgent\":" + js(e.user_agent);
    if (!e.error_code.empty()) s += ",\"errorCode\":" + js(e.error_code) + ",\"errorMessage\":" + js(e.error_message);
    s += ",\"requestParameters\":" + e.request_json + ",\"responseElements\":" + e.response_json;
    s += ",\"requestID\":\"" + request_id(r) + "\",\"eventID\":\"" + request_id(r) + "\"";
    s += std::string(",\"readOnly\":") + (e.read_only ? "true" : "false");
    if (!e.resources_json.empty()) s += ",\"resources\":" + e.resources_json;
    s += std::string(",\"eventType\":\"AwsApiCall\",\"managementEvent\":") + (e.data_event ? "false" : "true");
    s += ",\"recipientAccountId\":\"" + aws_account + "\"";
    s += std::string(",\"eventCategory\":\"") + (e.data_event ? "Data" : "Management") + "\"";
    s += ",\"tlsDetails\":{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"clientProvidedHostHeader\":" +
         js(e.source == "s3.amazonaws.com" ? "s3." + e.region + ".amazonaws.com" : e.source) + "}}";
    // CloudTrail delivers per region; one file per UTC day here.
    std::string day = iso_utc(ts, 0).substr(0, 10);
    std::string compact = day.substr(0, 4) + day.substr(5, 2) + day.substr(8, 2);
    std::string region = e.region;
    std::string path = "logs/aws/cloudtrail/" + aws_account + "_CloudTrail_" + region + "_" + compact + ".json";
    out.declare(path, file_kind::cloudtrail);
    out.add(path, ts, std::move(s), step);
}

// --- badge reader ---------------------------------------------------------------------------

void world::badge(usec ts, const person& p, const std::string& door, const std::string& direction) {
    out.add("context/badge.csv", ts, iso_local(ts, 0) + "," + p.badge + "," + door + "," + direction);
}

// --- Postfix --------------------------------------------------------------------------------

std::pair<std::string, std::string> world::mx_of(const std::string& domain) {
    auto it = m_mx.find(domain);
    if (it != m_mx.end()) return it->second;
    rng r = derive(seed, "mx:" + domain);
    std::string ip = "192.0.2." + std::to_string(r.range(210, 254));
    std::string host = "mx" + std::to_string(r.range(1, 2)) + "." + domain;
    geo_of(ip, "Japan", "JP", "mail server of " + domain);
    return m_mx[domain] = {host, ip};
}

std::string world::mail_in(usec ts, const std::string& from, const std::string& client_host,
                           const std::string& client_ip, const std::vector<std::string>& to, std::uint64_t size,
                           rng& r, int step, const std::string& attachment) {
    const std::string file = "logs/mail01/mail.log";
    std::string qid = queue_id(r);
    int smtpd = next_pid("mail01"), cleanup = next_pid("mail01");
    std::string client = client_host + "[" + client_ip + "]";
    std::string smtpd_tag = "postfix/smtpd[" + std::to_string(smtpd) + "]";
    usec t = ts;
    syslog(file, t, "mail01", smtpd_tag, "connect from " + client, step);
    t += r.range(200000, 900000);
    syslog(file, t, "mail01", smtpd_tag, qid + ": client=" + client, step);
    t += r.range(50000, 300000);
    syslog(file, t, "mail01", "postfix/cleanup[" + std::to_string(cleanup) + "]",
           qid + ": message-id=<" + request_id(r).substr(0, 18) + "@" + from.substr(from.find('@') + 1) + ">", step);
    if (!attachment.empty()) {
        // mime_header_checks: /^Content-(Disposition|Type).*name\*?=.*\.(xlsm|docm|pptm)/ WARN …
        // The file name is RFC 2231 encoded, as mail clients send non-ASCII names.
        std::string enc;
        static const char k_hex[] = "0123456789ABCDEF";
        for (unsigned char ch : attachment) {
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
                ch == '_') {
                enc.push_back(static_cast<char>(ch));
            } else {
                enc.push_back('%');
                enc.push_back(k_hex[ch >> 4]);
                enc.push_back(k_hex[ch & 15]);
            }
        }
        syslog(file, t + r.range(1000, 9000), "mail01", "postfix/cleanup[" + std::to_string(cleanup) + "]",
               qid + ": warning: header Content-Disposition: attachment; filename*=UTF-8''" + enc + " from " + client +
                   "; from=<" + from + "> to=<" + to.front() + "> proto=ESMTP helo=<" + client_host +
                   ">: macro-enabled Office attachment",
               step);
    }
    t += r.range(5000, 50000);
    syslog(file, t, "mail01", "postfix/qmgr[1187]",
           qid + ": from=<" + from + ">, size=" + std::to_string(size) + ", nrcpt=" + std::to_string(to.size()) +
               " (queue active)",
           step);
    t += r.range(10000, 90000);
    syslog(file, t, "mail01", smtpd_tag,
           "disconnect from " + client + " ehlo=2 starttls=1 mail=1 rcpt=" + std::to_string(to.size()) +
               " data=1 quit=1 commands=" + std::to_string(6 + to.size()),
           step);
    for (const auto& rcpt : to) {
        t += r.range(30000, 300000);
        char d[96];
        std::snprintf(d, sizeof d, "delay=%.2f, delays=%.2f/0.01/0.02/%.2f", static_cast<double>(t - ts) / 1e6,
                      static_cast<double>(t - ts) / 2e6, static_cast<double>(t - ts) / 3e6);
        syslog(file, t, "mail01", "postfix/lmtp[" + std::to_string(next_pid("mail01")) + "]",
               qid + ": to=<" + rcpt + ">, relay=mail01.corp.kaede-shoji.example[private/dovecot-lmtp], " + d +
                   ", dsn=2.0.0, status=sent (250 2.0.0 <" + rcpt + "> Saved)",
               step);
    }
    syslog(file, t + 1000, "mail01", "postfix/qmgr[1187]", qid + ": removed", step);
    return qid;
}

std::string world::mail_out(usec ts, const std::string& sasl_user, const std::string& client_host,
                            const std::string& client_ip, const std::string& from, const std::vector<std::string>& to,
                            std::uint64_t size, rng& r, int step, int deferred_per_mille) {
    const std::string file = "logs/mail01/mail.log";
    std::string qid = queue_id(r);
    int smtpd = next_pid("mail01"), cleanup = next_pid("mail01");
    std::string client = client_host + "[" + client_ip + "]";
    std::string smtpd_tag = "postfix/submission/smtpd[" + std::to_string(smtpd) + "]";
    usec t = ts;
    syslog(file, t, "mail01", smtpd_tag, "connect from " + client, step);
    t += r.range(200000, 700000);
    syslog(file, t, "mail01", smtpd_tag, qid + ": client=" + client + ", sasl_method=PLAIN, sasl_username=" + sasl_user,
           step);
    t += r.range(50000, 300000);
    syslog(file, t, "mail01", "postfix/cleanup[" + std::to_string(cleanup) + "]",
           qid + ": message-id=<" + request_id(r).substr(0, 18) + "@" + mail_domain + ">", step);
    t += r.range(5000, 50000);
    syslog(file, t, "mail01", "postfix/qmgr[1187]",
           qid + ": from=<" + from + ">, size=" + std::to_string(size) + ", nrcpt=" + std::to_string(to.size()) +
               " (queue active)",
           step);
    t += r.range(10000, 90000);
    syslog(file, t, "mail01", smtpd_tag,
           "disconnect from " + client + " ehlo=2 starttls=1 auth=1 mail=1 rcpt=" + std::to_string(to.size()) +
               " data=1 quit=1 commands=" + std::to_string(7 + to.size()),
           step);
    bool pending = false;
    for (const auto& rcpt : to) {
        std::string dom = rcpt.substr(rcpt.find('@') + 1);
        t += r.range(100000, 1500000);
        char d[96];
        std::snprintf(d, sizeof d, "delay=%.1f, delays=0.1/0.01/%.1f/%.1f", static_cast<double>(t - ts) / 1e6,
                      static_cast<double>(t - ts) / 2e6, static_cast<double>(t - ts) / 2e6);
        if (dom == mail_domain) {
            syslog(file, t, "mail01", "postfix/lmtp[" + std::to_string(next_pid("mail01")) + "]",
                   qid + ": to=<" + rcpt + ">, relay=mail01.corp.kaede-shoji.example[private/dovecot-lmtp], " + d +
                       ", dsn=2.0.0, status=sent (250 2.0.0 <" + rcpt + "> Saved)",
                   step);
            continue;
        }
        auto [mx, mxip] = mx_of(dom);
        std::string tag = "postfix/smtp[" + std::to_string(next_pid("mail01")) + "]";
        if (deferred_per_mille && r.chance(deferred_per_mille)) {
            syslog(file, t, "mail01", tag,
                   qid + ": to=<" + rcpt + ">, relay=" + mx + "[" + mxip + "]:25, " + d +
                       ", dsn=4.7.1, status=deferred (host " + mx + "[" + mxip +
                       "] said: 421 4.7.1 Too many messages from your IP, try again later (in reply to RCPT TO command))",
                   step);
            pending = true;
            continue;
        }
        if (deferred_per_mille && r.chance(deferred_per_mille)) {
            syslog(file, t, "mail01", tag,
                   qid + ": to=<" + rcpt + ">, relay=" + mx + "[" + mxip + "]:25, " + d +
                       ", dsn=5.1.1, status=bounced (host " + mx + "[" + mxip +
                       "] said: 550 5.1.1 <" + rcpt + ">: Recipient address rejected: User unknown (in reply to RCPT TO command))",
                   step);
            continue;
        }
        syslog(file, t, "mail01", tag,
               qid + ": to=<" + rcpt + ">, relay=" + mx + "[" + mxip + "]:25, " + d +
                   ", dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as " + queue_id(r).substr(0, 9) + ")",
               step);
    }
    if (!pending) syslog(file, t + 1000, "mail01", "postfix/qmgr[1187]", qid + ": removed", step);
    return qid;
}

}  // namespace mimamori::demo
