#pragma once
/// The fictional company of `mimamori demo generate` and the writers of every log it keeps.
/// Internal to src/demo: the generator (generate.cpp) builds a world, lets the benign activity
/// (activity.cpp) and the attack stories (stories.cpp) write records through the emitters
/// below, then writes files and labels.
///
/// Times: records are stamped in UTC microseconds; every format that carries local time writes
/// Asia/Tokyo (+09:00, no daylight saving) with its offset, so no reader needs --tz.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "demo/calendar.hpp"
#include "demo/output.hpp"
#include "demo/rng.hpp"

namespace mimamori::demo {

inline constexpr usec k_us = 1'000'000;
inline constexpr usec k_min_us = 60 * k_us;
inline constexpr usec k_hour_us = 3600 * k_us;
inline constexpr int k_tokyo_offset_s = 9 * 3600;

struct department {
    std::string code, name_en, name_ja, share;
};

struct person {
    int idx = 0;
    std::string employee_id, family, given, family_ja, given_ja, account, dept, title, email, badge;
    std::string pc, ip, sid, shift;
    std::string home_ip;       ///< where they connect from on remote days (VPN)
    bool remote_worker = false;
    bool admin = false;        ///< the IT generalist
    std::vector<int> leave;    ///< day indexes of paid leave
    std::vector<int> remote;   ///< day indexes worked from home over the VPN
    int arrive_habit = 0;      ///< minutes relative to shift start
    int overtime_habit = 0;    ///< minutes after shift end, on average
    int typo_per_mille = 0;    ///< chance of a mistyped password per logon
    bool on_leave(int day) const;
    bool is_remote(int day) const;
};

struct day_info {
    date d;
    int wd = 0;  ///< 0 Sunday … 6 Saturday
    bool holiday = false;
    std::string holiday_ja, holiday_en;
    bool workday = false;
    usec midnight = 0;  ///< UTC microseconds of local 00:00
};

struct host_info {
    std::string name, ip, role, os, owner;
};

/// An external address with the country a GeoIP database would give it (the demo's own
/// table, written to context/ip_geo.csv: documentation ranges have no real location).
struct external_ip {
    std::string ip, country, country_code, what;
};

/// One FortiGate traffic log.
struct fgt_session {
    std::string srcip, srcintf = "internal", srcintfrole = "lan";
    int srcport = 0;
    std::string dstip, dstintf = "wan1", dstintfrole = "wan";
    int dstport = 443;
    int proto = 6;
    std::string action = "close";
    int policyid = 1;
    std::string policyname = "LAN-to-Internet";
    std::string service = "HTTPS";
    std::string user;          ///< SSL-VPN sessions
    bool snat = true;
    std::int64_t duration = 1;  ///< seconds
    std::uint64_t sentbyte = 0, rcvdbyte = 0;
    std::string app, appcat = "unscanned";
    std::string subtype = "forward";
};

/// One Windows event (Winlogbeat 7.17 layout: numeric event_id and record_id).
struct win_event {
    std::string channel = "Security";
    std::string provider = "Microsoft-Windows-Security-Auditing";
    int id = 0;
    std::string task;
    bool failure = false;  ///< "Audit Failure" keyword (Security) / level warning
    std::vector<std::pair<std::string, std::string>> data;
    std::string message;   ///< optional first line of the rendered message
};

/// One CloudTrail record. JSON pieces are inserted verbatim (already valid JSON).
struct ct_event {
    std::string identity_json;  ///< the userIdentity object
    std::string source, name, region = "ap-northeast-1", ip, user_agent;
    std::string request_json = "null", response_json = "null";
    std::string error_code, error_message;
    bool read_only = true;
    bool data_event = false;
    std::string resources_json;  ///< the resources array, or empty
};

/// Who and when the attack stories pick (decided before the benign activity, which must know
/// e.g. that a victim is on leave that day).
struct story_plan {
    int a_day = -1, a_victim = -1;             ///< VPN brute force → exfiltration (a holiday night)
    int b_day = -1, b_victim = -1;             ///< malware on a PC
    int c_day = -1, c_owner = -1;              ///< account used while its owner is on leave
    int d_day = -1;                            ///< leaked cloud access key
};

class world {
public:
    world(std::uint64_t seed, date start, int days);

    std::uint64_t seed;
    int days;
    std::vector<day_info> cal;
    std::vector<department> depts;
    std::vector<person> people;
    std::vector<host_info> hosts;
    std::vector<external_ip> geo;
    story_plan plan;
    /// When each person's PC session ran: [person][day] = {logon, logoff} (0, 0 when absent).
    std::vector<std::vector<std::pair<usec, usec>>> worktime;
    output out;

    // Names and addresses of the company.
    const std::string company_en = "Kaede Trading Co., Ltd.";
    const std::string company_ja = "株式会社かえで商事";
    const std::string netbios = "KAEDE";
    const std::string ad_dns = "corp.kaede-shoji.example";
    const std::string mail_domain = "kaede-shoji.example";
    const std::string www = "www.kaede-shoji.example";
    const std::string domain_sid = "S-1-5-21-3623811015-3361044348-30300820";
    const std::string public_ip = "198.51.100.2";    ///< FortiGate WAN, SNAT address
    const std::string web_public = "198.51.100.10";  ///< web01 (VIP)
    const std::string mail_public = "198.51.100.11"; ///< mail01 (VIP)
    const std::string dc_ip = "192.168.1.10", fs_ip = "192.168.1.11", nas_ip = "192.168.1.30",
                      mfp_ip = "192.168.10.200", fgt_lan_ip = "192.168.1.1";
    const std::string web_ip = "10.0.20.10", mail_ip = "10.0.20.25";
    const std::string aws_account = "123456789012";
    const std::string fgt_name = "KAEDE-FGT60F", fgt_serial = "FGT60FTK2209C3A7";

    // Time.
    usec at(int day, int hour, int minute, int second = 0, std::int64_t micros = 0) const;
    /// Day index of a UTC time (local date), may be out of range.
    int day_of(usec t) const;

    // Lookups.
    const person& by_account(const std::string& account) const;
    std::string fqdn(const std::string& host) const { return host + "." + ad_dns; }
    std::string user_sid(const person& p) const { return p.sid; }
    /// Country row for an external address (registers it in the GeoIP table when new).
    const external_ip& geo_of(const std::string& ip, const std::string& country, const std::string& cc,
                              const std::string& what);
    std::string country_of(const std::string& ip) const;

    // Emitters ---------------------------------------------------------------------------------
    /// logs/fortigate/traffic.log
    void fgt_traffic(usec ts, const fgt_session& s, int step = -1);
    /// A connection from the Internet to the firewall's own address that its local-in policy
    /// denies (service "tcp/PORT"; callers may name it).
    fgt_session local_in_deny(const std::string& src, int port, rng& r);
    /// logs/fortigate/event.log: VPN and system events. `fields` is everything after
    /// `vd="root"` (key=value pairs, already quoted as FortiOS does).
    void fgt_event(usec ts, const std::string& logid, const std::string& subtype, const std::string& level,
                   const std::string& fields, int step = -1);
    /// logs/fortigate/traffic.log: a UTM (web filter, IPS …) log.
    void fgt_utm(usec ts, const std::string& logid, const std::string& subtype, const std::string& level,
                 const std::string& fields, int step = -1);
    /// An rsyslog high-precision line: "2025-04-14T09:01:02.123456+09:00 host tag: msg".
    void syslog(const std::string& file, usec ts, const std::string& host, const std::string& tag,
                const std::string& msg, int step = -1);
    /// logs/web01/nginx/access.log (combined format, local time with offset).
    void nginx(usec ts, const std::string& ip, const std::string& request, int status, std::uint64_t bytes,
               const std::string& referer, const std::string& ua, int step = -1);
    /// logs/windows/<host>.ndjson
    void win(const std::string& host, usec ts, const win_event& e, int step = -1);
    /// logs/aws/cloudtrail/<account>_CloudTrail_<region>_<UTC date>.json
    void cloudtrail(usec ts, const ct_event& e, int step = -1);
    /// context/badge.csv
    void badge(usec ts, const person& p, const std::string& door, const std::string& direction);

    // Helpers shared by activity and stories ---------------------------------------------------
    std::uint64_t next_session_id() { return ++m_session; }
    int next_pid(const std::string& host) { return m_pid[host] = (m_pid[host] + 1 + static_cast<int>(m_pid_rng.below(40))) % 32000 + 400; }
    std::string logon_id(rng& r) const;
    std::string guid(rng& r) const;
    std::string queue_id(rng& r) const;
    std::string request_id(rng& r) const;  ///< a UUID
    int ephemeral_port(rng& r) const { return static_cast<int>(r.range(49152, 65535)); }

    /// 4624 on `host`: an account logged on. `ip`/`workstation` "-" when local.
    void logon(const std::string& host, usec ts, const std::string& user, const std::string& sid, int type,
               const std::string& ip, const std::string& workstation, const std::string& package,
               const std::string& lid, rng& r, int step = -1);
    void logoff(const std::string& host, usec ts, const std::string& user, const std::string& sid, int type,
                const std::string& lid, int step = -1);
    void logon_failed(const std::string& host, usec ts, const std::string& user, int type, const std::string& ip,
                      const std::string& workstation, const std::string& substatus, rng& r, int step = -1);
    /// DC: 4768 (TGT). `status` "0x0" or a Kerberos error (then 4771 is written for 0x18).
    void kerberos_tgt(usec ts, const std::string& user, const std::string& sid, const std::string& client_ip,
                      const std::string& status, rng& r, int step = -1);
    void kerberos_service(usec ts, const std::string& user, const std::string& service, const std::string& client_ip,
                          rng& r, int step = -1);
    /// DC: 4776 (NTLM credential validation).
    void ntlm_validate(usec ts, const std::string& user, const std::string& workstation, const std::string& status,
                       int step = -1);
    /// FS01: 5140 share opened.
    void share_access(usec ts, const std::string& user, const std::string& sid, const std::string& lid,
                      const std::string& ip, const std::string& share, int step = -1);
    /// FS01: 5145 file in a share checked for access.
    void share_file(usec ts, const std::string& user, const std::string& sid, const std::string& lid,
                    const std::string& ip, const std::string& share, const std::string& file, const std::string& mask,
                    bool failure, int step = -1);
    /// Sysmon 1 on `host`.
    void process(const std::string& host, usec ts, const std::string& user, const std::string& image,
                 const std::string& command_line, const std::string& parent_image, const std::string& parent_cmd,
                 rng& r, int step = -1, const std::string& hashes = {});
    /// Sysmon 3 on `host`.
    void net_connect(const std::string& host, const std::string& host_ip, usec ts, const std::string& user,
                     const std::string& image, const std::string& dst_ip, int dst_port, const std::string& dst_host,
                     rng& r, int step = -1);
    /// Sysmon 22 on `host`.
    void dns_query(const std::string& host, usec ts, const std::string& user, const std::string& image,
                   const std::string& name, const std::string& answer, rng& r, int step = -1);
    /// Sysmon 11 on `host`: `image` created `target`.
    void file_create(const std::string& host, usec ts, const std::string& user, const std::string& image,
                     const std::string& target, rng& r, int step = -1);
    /// A Sysmon event with the fields every one of them starts with (RuleName, UtcTime,
    /// ProcessGuid, ProcessId); the caller appends the rest.
    win_event sysmon_event(int id, std::string task, const std::string& host, usec ts, rng& r);

    /// Postfix, inbound from the internet to local users (logs/mail01/mail.log). Returns the
    /// queue id. Internal recipients get LMTP delivery lines. With `attachment` (a file name), the
    /// mail carries a macro-enabled Office file and cleanup logs the WARN of the site's
    /// mime_header_checks rule for such attachments (a common Postfix hardening).
    std::string mail_in(usec ts, const std::string& from, const std::string& client_host, const std::string& client_ip,
                        const std::vector<std::string>& to, std::uint64_t size, rng& r, int step = -1,
                        const std::string& attachment = {});
    /// Postfix, submission by an authenticated user (port 587); external recipients are relayed.
    std::string mail_out(usec ts, const std::string& sasl_user, const std::string& client_host,
                         const std::string& client_ip, const std::string& from, const std::vector<std::string>& to,
                         std::uint64_t size, rng& r, int step = -1, int deferred_per_mille = 0);
    /// The MX host and address of an external mail domain (stable per domain).
    std::pair<std::string, std::string> mx_of(const std::string& domain);

private:
    std::string fgt_head(usec ts, const std::string& logid, const std::string& type, const std::string& subtype,
                         const std::string& level) const;
    std::uint64_t m_session = 184000000;
    std::uint64_t m_session_seq = 0;
    std::map<std::string, int> m_pid;
    rng m_pid_rng;
    std::map<std::string, std::size_t> m_geo_index;
    std::map<std::string, std::pair<std::string, std::string>> m_mx;
    std::map<std::string, std::uint64_t> m_ct_records;
};

/// Local wall-clock text of a UTC time in Tokyo.
std::string iso_local(usec t, int frac_digits);  ///< "2025-04-14T09:01:02.123456+09:00"
std::string iso_utc(usec t, int frac_digits);    ///< "2025-04-14T00:01:02.123Z"
std::string sysmon_time(usec t);                 ///< "2025-04-14 00:01:02.123" (Sysmon's UtcTime)
std::string clf_local(usec t);                   ///< "14/Apr/2025:09:01:02 +0900"

/// Append s as a JSON string (quotes included).
std::string js(const std::string& s);

// The two halves of the generator.
void make_company(world& w);
void write_context(world& w);
void plan_stories(world& w);
void benign_activity(world& w);
/// Anything outside the documentation ranges' reserved blocks the stories use.
std::string internet_ip(rng& r);
/// A plausible country for a random internet address, registered in the GeoIP table.
void register_country(world& w, const std::string& ip, rng& r, const std::string& what);
struct story_meta {
    std::string id, title, summary;
    std::vector<std::string> attacker_ips, accounts, hosts, indicators;
    std::vector<std::string> notes;
};
std::vector<story_meta> attack_stories(world& w);

}  // namespace mimamori::demo
