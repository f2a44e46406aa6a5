// Benign activity: a working month of a 40-person office. Staff arrive by badge, log on to
// their PCs (sometimes mistyping the password), open shares, browse, send and receive mail,
// work from home over the SSL-VPN, take leave; servers run backups, cron jobs and a patch
// night; the internet knocks on every open port. Nothing here is labelled: this is the noise
// an alert has to stand out from.
#include <algorithm>
#include <cstdio>

#include "demo/world.hpp"

namespace mimamori::demo {

namespace {

struct site {
    const char* name;
    const char* ip;
    const char* country;
    const char* cc;
    int port;
    const char* service;
    const char* app;
    int weight;
    bool dev_only;
};

constexpr site k_sites[] = {
    {"outlook.office365.example", "198.51.100.50", "United States", "US", 443, "HTTPS", "Microsoft.Portal", 20, false},
    {"teams.office365.example", "198.51.100.51", "United States", "US", 443, "HTTPS", "Microsoft.Teams", 14, false},
    {"search.example.com", "203.0.113.10", "United States", "US", 443, "HTTPS", "Google.Services", 16, false},
    {"news.example.net", "203.0.113.20", "Japan", "JP", 443, "HTTPS", "HTTPS.BROWSER", 8, false},
    {"cdn.example.net", "203.0.113.25", "Japan", "JP", 443, "HTTPS", "HTTPS.BROWSER", 10, false},
    {"video.example.com", "203.0.113.30", "United States", "US", 443, "HTTPS", "YouTube", 3, false},
    {"netbank.example.net", "192.0.2.30", "Japan", "JP", 443, "HTTPS", "HTTPS.BROWSER", 2, false},
    {"portal.sakura-kogyo.example", "192.0.2.40", "Japan", "JP", 443, "HTTPS", "HTTPS.BROWSER", 4, false},
    {"shop.example.com", "192.0.2.45", "Japan", "JP", 443, "HTTPS", "HTTPS.BROWSER", 3, false},
    {"weather.example.net", "192.0.2.50", "Japan", "JP", 80, "HTTP", "HTTP.BROWSER", 2, false},
    {"code.example.com", "192.0.2.60", "United States", "US", 443, "HTTPS", "GitHub", 12, true},
    {"registry.example.org", "192.0.2.61", "United States", "US", 443, "HTTPS", "HTTPS.BROWSER", 6, true},
    {"s3.ap-northeast-1.amazonaws.com", "198.51.100.200", "Japan", "JP", 443, "HTTPS", "Amazon.AWS", 4, true},
    {"update.windows.example", "203.0.113.35", "United States", "US", 443, "HTTPS", "Microsoft.Windows.Update", 2, false},
};

constexpr const char* k_partner_domains[] = {
    "sakura-kogyo.example", "tokai-logistics.example", "nishi-bank.example",   "abc-systems.example",
    "hokuriku-foods.example", "minato-design.example", "kyushu-parts.example", "global-trade.example",
};

constexpr const char* k_files_common[] = {
    "社内規程\\就業規則.pdf", "テンプレート\\見積書テンプレート.xlsx", "お知らせ\\2025年度_社内行事.docx",
    "マニュアル\\VPN接続手順.pdf", "共有\\座席表.xlsx",
};
constexpr const char* k_files_dept[] = {
    "2025\\04\\週次報告.xlsx", "2025\\04\\議事録.docx", "顧客\\案件一覧.xlsx", "資料\\提案書_v3.pptx",
    "2025\\05\\月次報告.xlsx", "作業中\\メモ.txt", "2025\\見積\\見積書_0412.xlsx", "手順書\\運用手順.docx",
};

constexpr const char* k_ssh_users[] = {"root", "admin", "test", "ubuntu", "oracle", "postgres", "user", "git",
                                       "pi", "ftpuser", "guest", "support", "deploy", "www-data", "mysql"};

constexpr const char* k_countries[][2] = {
    {"China", "CN"},       {"United States", "US"}, {"Russian Federation", "RU"}, {"Netherlands", "NL"},
    {"Brazil", "BR"},      {"Viet Nam", "VN"},      {"India", "IN"},              {"Germany", "DE"},
    {"Korea, Republic of", "KR"}, {"Japan", "JP"},  {"Singapore", "SG"},          {"France", "FR"},
};

constexpr const char* k_browser_ua[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
    "Mozilla/5.0 (Linux; Android 14; SO-51D) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
};

const site& pick_site(rng& r, bool dev) {
    int total = 0;
    for (const auto& s : k_sites)
        if (dev || !s.dev_only) total += s.weight;
    int x = static_cast<int>(r.below(static_cast<std::uint64_t>(total)));
    for (const auto& s : k_sites) {
        if (!dev && s.dev_only) continue;
        if ((x -= s.weight) < 0) return s;
    }
    return k_sites[0];
}

// Bytes spread over orders of magnitude, integer-only.
std::uint64_t bytes_between(rng& r, std::uint64_t lo, std::uint64_t hi) {
    std::uint64_t v = lo;
    while (v * 4 < hi && r.chance(550)) v *= 4;
    return v + r.below(v * 3 + 1);
}

std::string tunnel_ip(const person& p) { return "10.212.134." + std::to_string(200 + p.idx % 50); }

int shift_start(const person& p) {
    if (p.shift == "early") return 8 * 60;
    if (p.shift == "late") return 11 * 60;
    if (p.shift == "flex") return 10 * 60;
    return 9 * 60;
}

bool last_workday_of_month(const world& w, int day) {
    for (int d = day + 1; d < day + 8; ++d) {
        date dd = date_from_day_number(day_number(w.cal[static_cast<std::size_t>(day)].d) + (d - day));
        if (dd.month != w.cal[static_cast<std::size_t>(day)].d.month) return true;
        if (d < w.days && w.cal[static_cast<std::size_t>(d)].workday) return false;
        if (d >= w.days) {
            int wd = weekday(dd);
            if (wd != 0 && wd != 6) return false;
        }
    }
    return true;
}

const department& dept_of(const world& w, const person& p) {
    for (const auto& d : w.depts)
        if (d.code == p.dept) return d;
    return w.depts[0];
}

// --- one person's day -----------------------------------------------------------------------

void browse(world& w, const person& p, usec from, usec to, int sessions, rng& r) {
    const bool dev = p.dept == "DEV";
    for (int i = 0; i < sessions; ++i) {
        usec t = from + static_cast<usec>(r.below(static_cast<std::uint64_t>(std::max<usec>(to - from, 1))));
        const site& s = pick_site(r, dev);
        w.geo_of(s.ip, s.country, s.cc, s.name);
        fgt_session fs;
        fs.srcip = p.ip;
        fs.srcport = w.ephemeral_port(r);
        fs.dstip = s.ip;
        fs.dstport = s.port;
        fs.service = s.service;
        fs.app = s.app;
        fs.appcat = "unscanned";
        fs.duration = r.range(1, 600);
        fs.sentbyte = bytes_between(r, 600, 60000);
        fs.rcvdbyte = bytes_between(r, 2000, std::string(s.app) == "YouTube" ? 80000000 : 3000000);
        fs.action = r.chance(60) ? "client-rst" : "close";
        w.fgt_traffic(t, fs);
    }
}

void open_shares(world& w, const person& p, usec t, const std::string& ip, const std::string& lid, rng& r) {
    w.logon("FS01", t, p.account, p.sid, 3, ip, "-", "Kerberos", lid, r);
    w.share_access(t + r.range(20000, 400000), p.account, p.sid, lid, ip, "IPC$");
    w.share_access(t + r.range(500000, 2000000), p.account, p.sid, lid, ip, dept_of(w, p).share);
    w.share_access(t + r.range(2000000, 4000000), p.account, p.sid, lid, ip, "Common");
}

void file_work(world& w, const person& p, usec from, usec to, const std::string& ip, const std::string& lid, int n,
               rng& r) {
    for (int i = 0; i < n; ++i) {
        usec t = from + static_cast<usec>(r.below(static_cast<std::uint64_t>(std::max<usec>(to - from, 1))));
        bool common = r.chance(250);
        std::string share = common ? "Common" : dept_of(w, p).share;
        std::string file = common ? r.pick(k_files_common) : r.pick(k_files_dept);
        w.share_file(t, p.account, p.sid, lid, ip, share, file, r.chance(200) && !common ? "0x2" : "0x1", false);
    }
}

void mail_day(world& w, const person& p, usec from, usec to, const std::string& client_ip, rng& r) {
    // Inbound mail from partners.
    int inbound = static_cast<int>(r.range(1, 5));
    for (int i = 0; i < inbound; ++i) {
        usec t = from - 2 * k_hour_us + static_cast<usec>(r.below(static_cast<std::uint64_t>(to - from + 2 * k_hour_us)));
        std::string dom = r.pick(k_partner_domains);
        auto [mx, mxip] = w.mx_of(dom);
        static const char* k_senders[] = {"info", "sales", "eigyo", "support", "keiri", "tanaka", "suzuki", "yamamoto"};
        // Now and then a partner sends Sales or Finance a macro-enabled order form (the same
        // header check warns about these as about a phishing attachment).
        std::string attachment;
        if ((p.dept == "SLS" || p.dept == "FIN") && r.chance(4)) attachment = "注文書_" + dom.substr(0, dom.find('.')) + ".xlsm";
        w.mail_in(t, std::string(r.pick(k_senders)) + "@" + dom, mx, mxip, {p.email},
                  static_cast<std::uint64_t>(r.range(3000, 900000)), r, -1, attachment);
    }
    // Outbound: to colleagues or partners.
    int outbound = static_cast<int>(r.range(0, 4));
    for (int i = 0; i < outbound; ++i) {
        usec t = from + static_cast<usec>(r.below(static_cast<std::uint64_t>(std::max<usec>(to - from, 1))));
        std::vector<std::string> to_list;
        int n = static_cast<int>(r.range(1, 3));
        for (int k = 0; k < n; ++k) {
            if (r.chance(500)) {
                const auto& q = w.people[r.below(w.people.size())];
                if (q.idx != p.idx) to_list.push_back(q.email);
            } else {
                static const char* k_names[] = {"tanaka", "info", "m.kato", "s.ishida", "order", "h.mori"};
                to_list.push_back(std::string(r.pick(k_names)) + "@" + r.pick(k_partner_domains));
            }
        }
        if (to_list.empty()) continue;
        std::sort(to_list.begin(), to_list.end());
        to_list.erase(std::unique(to_list.begin(), to_list.end()), to_list.end());
        w.mail_out(t, p.account, w.fqdn(p.pc), client_ip, p.email, to_list,
                   static_cast<std::uint64_t>(r.range(2000, 2500000)), r, -1, 0);
    }
}

void start_programs(world& w, const person& p, usec t, rng& r) {
    std::string user = w.netbios + "\\" + p.account;
    w.process(p.pc, t, user, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "C:\\Windows\\System32\\userinit.exe",
              "C:\\Windows\\system32\\userinit.exe", r);
    w.process(p.pc, t + r.range(20, 90) * k_us, user, "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
              "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ", "C:\\Windows\\explorer.exe",
              "C:\\Windows\\Explorer.EXE", r);
    w.process(p.pc, t + r.range(60, 300) * k_us, user,
              "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
              "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument", "C:\\Windows\\explorer.exe",
              "C:\\Windows\\Explorer.EXE", r);
    if (r.chance(600))
        w.process(p.pc, t + r.range(300, 3000) * k_us, user,
                  "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
                  "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"\\\\FS01\\" + dept_of(w, p).share +
                      "\\" + "2025\\04\\週次報告.xlsx\"",
                  "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", r);
    if (p.dept == "DEV" && r.chance(700))
        w.process(p.pc, t + r.range(100, 900) * k_us, user, "C:\\Program Files\\Git\\cmd\\git.exe",
                  "git fetch --all", "C:\\Program Files\\PowerShell\\7\\pwsh.exe", "\"C:\\Program Files\\PowerShell\\7\\pwsh.exe\"", r);
}

void person_day(world& w, const person& p, int day) {
    const day_info& di = w.cal[static_cast<std::size_t>(day)];
    rng r = derive(w.seed, "person-day", static_cast<std::uint64_t>(p.idx), static_cast<std::uint64_t>(day));
    if (p.on_leave(day)) return;
    const bool weekend_work = !di.workday && r.chance(35);
    if (!di.workday && !weekend_work) return;
    const bool remote = weekend_work || p.is_remote(day);
    // Staff without a VPN account who work on a day off come to the office for a while.
    const bool via_vpn = remote && !p.home_ip.empty();

    int start_min = shift_start(p) + p.arrive_habit - 12 + static_cast<int>(r.around(0, 10));
    int end_min = shift_start(p) + 9 * 60 + p.overtime_habit + static_cast<int>(r.around(0, 25));
    if (p.dept == "FIN" && last_workday_of_month(w, day)) end_min += 150;
    if (weekend_work) {
        start_min = static_cast<int>(r.range(10 * 60, 14 * 60));
        end_min = start_min + static_cast<int>(r.range(45, 180));
    }
    usec arrive = w.at(day, 0, start_min, static_cast<int>(r.below(60)), static_cast<std::int64_t>(r.below(1000000)));
    usec leave = w.at(day, 0, end_min, static_cast<int>(r.below(60)), static_cast<std::int64_t>(r.below(1000000)));
    std::string ip = p.ip;
    usec logon_t = arrive + r.range(60, 300) * k_us;

    if (via_vpn) {
        ip = tunnel_ip(p);
        std::string tid = std::to_string(1400000000 + p.idx * 1000 + day);
        if (r.chance(p.typo_per_mille)) {
            w.fgt_event(arrive - r.range(10, 40) * k_us, "0101039426", "vpn", "alert",
                        "logdesc=\"SSL VPN login fail\" action=\"ssl-login-fail\" tunneltype=\"ssl-web\" tunnelid=0 remip=" +
                            p.home_ip + " user=\"" + p.account +
                            "\" group=\"N/A\" dst_host=\"N/A\" reason=\"sslvpn_login_permission_denied\" msg=\"SSL user failed to logged in\"");
        }
        w.fgt_event(arrive, "0101039424", "vpn", "information",
                    "logdesc=\"SSL VPN tunnel up\" action=\"tunnel-up\" tunneltype=\"ssl-tunnel\" tunnelid=" + tid +
                        " remip=" + p.home_ip + " tunnelip=" + ip + " user=\"" + p.account +
                        "\" group=\"VPN-Users\" dst_host=\"N/A\" reason=\"tunnel established\" msg=\"SSL tunnel established\"");
        std::uint64_t sent = bytes_between(r, 2000000, 400000000), rcvd = bytes_between(r, 5000000, 900000000);
        w.fgt_event(leave + r.range(30, 300) * k_us, "0101039425", "vpn", "information",
                    "logdesc=\"SSL VPN tunnel down\" action=\"tunnel-down\" tunneltype=\"ssl-tunnel\" tunnelid=" + tid +
                        " remip=" + p.home_ip + " tunnelip=" + ip + " user=\"" + p.account +
                        "\" group=\"VPN-Users\" dst_host=\"N/A\" duration=" + std::to_string((leave - arrive) / k_us) +
                        " sentbyte=" + std::to_string(sent) + " rcvdbyte=" + std::to_string(rcvd) +
                        " reason=\"N/A\" msg=\"SSL tunnel shutdown\"");
        // The tunnel's sessions to the file server are logged (policy SSLVPN-to-LAN).
        int smb = static_cast<int>(r.range(1, 3));
        for (int i = 0; i < smb; ++i) {
            fgt_session fs;
            fs.srcip = ip;
            fs.srcintf = "ssl.root";
            fs.srcintfrole = "undefined";
            fs.srcport = w.ephemeral_port(r);
            fs.dstip = w.fs_ip;
            fs.dstport = 445;
            fs.dstintf = "internal";
            fs.dstintfrole = "lan";
            fs.service = "SMB";
            fs.policyid = 7;
            fs.policyname = "SSLVPN-to-LAN";
            fs.user = p.account;
            fs.snat = false;
            usec t0 = logon_t + static_cast<usec>(r.below(static_cast<std::uint64_t>(std::max<usec>(leave - logon_t, 1))));
            fs.duration = std::max<std::int64_t>(1, (leave - t0) / k_us);
            fs.sentbyte = bytes_between(r, 20000, 20000000);
            fs.rcvdbyte = bytes_between(r, 50000, 80000000);
            w.fgt_traffic(std::min(leave, t0 + fs.duration * k_us), fs);
        }
    } else {
        w.badge(arrive - r.range(60, 180) * k_us, p, "1F-main-entrance", "in");
        w.badge(leave + r.range(60, 240) * k_us, p, "1F-main-entrance", "out");
        if (r.chance(400)) {
            usec out_t = w.at(day, 12, static_cast<int>(r.range(0, 15)), static_cast<int>(r.below(60)));
            w.badge(out_t, p, "1F-main-entrance", "out");
            w.badge(out_t + r.range(35, 55) * k_min_us, p, "1F-main-entrance", "in");
        }
        if (p.admin && r.chance(300)) {
            usec t = w.at(day, static_cast<int>(r.range(10, 16)), static_cast<int>(r.range(0, 59)));
            w.badge(t, p, "2F-server-room", "in");
            w.badge(t + r.range(5, 40) * k_min_us, p, "2F-server-room", "out");
        }
    }
    if (leave <= logon_t + 10 * k_min_us) leave = logon_t + 30 * k_min_us;
    w.worktime[static_cast<std::size_t>(p.idx)][static_cast<std::size_t>(day)] = {logon_t, leave};

    // Logon: a mistyped password now and then, then the interactive logon and a TGT.
    std::string lid = w.logon_id(r);
    if (r.chance(p.typo_per_mille)) {
        usec t = logon_t - r.range(5, 25) * k_us;
        w.logon_failed(p.pc, t, p.account, 2, "127.0.0.1", p.pc, "0xc000006a", r);
        w.kerberos_tgt(t + 300000, p.account, p.sid, ip, "0x18", r);
        if (r.chance(120)) {  // and a second one
            w.logon_failed(p.pc, t + 8 * k_us, p.account, 2, "127.0.0.1", p.pc, "0xc000006a", r);
            w.kerberos_tgt(t + 8 * k_us + 300000, p.account, p.sid, ip, "0x18", r);
        }
    }
    w.kerberos_tgt(logon_t - 400000, p.account, p.sid, ip, "0x0", r);
    w.logon(p.pc, logon_t, p.account, p.sid, via_vpn ? 11 : 2, "127.0.0.1", p.pc, "Negotiate", lid, r);
    w.kerberos_service(logon_t + 900000, p.account, p.pc + "$", ip, r);
    w.kerberos_service(logon_t + r.range(5, 30) * k_us, p.account, "FS01$", ip, r);
    if (p.admin) {
        win_event e;
        e.id = 4672;
        e.task = "Special Logon";
        e.data = {{"SubjectUserSid", p.sid},
                  {"SubjectUserName", p.account},
                  {"SubjectDomainName", w.netbios},
                  {"SubjectLogonId", lid},
                  {"PrivilegeList", "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege"}};
        w.win(p.pc, logon_t + 2000, e);
    }
    start_programs(w, p, logon_t + r.range(2, 10) * k_us, r);
    std::string fs_lid = w.logon_id(r);
    open_shares(w, p, logon_t + r.range(8, 40) * k_us, ip, fs_lid, r);
    w.syslog("logs/mail01/mail.log", logon_t + r.range(60, 400) * k_us, "mail01", "dovecot",
             "imap-login: Login: user=<" + p.account + ">, method=PLAIN, rip=" + ip + ", lip=" + w.mail_ip +
                 ", mpid=" + std::to_string(w.next_pid("mail01")) + ", TLS, session=<" + w.request_id(r).substr(0, 16) + ">");

    // The day.
    file_work(w, p, logon_t + 10 * k_min_us, leave, ip, fs_lid, static_cast<int>(r.range(2, weekend_work ? 3 : 9)), r);
    if (!via_vpn) browse(w, p, logon_t, leave, static_cast<int>(r.range(8, 26)), r);
    mail_day(w, p, logon_t, leave, ip, r);
    if (!weekend_work && leave - logon_t > 5 * k_hour_us) {
        // Back from lunch: the screen was locked.
        usec t = w.at(day, 12, static_cast<int>(r.range(45, 75)), static_cast<int>(r.below(60)));
        std::string ulid = w.logon_id(r);
        w.logon(p.pc, t, p.account, p.sid, 7, "127.0.0.1", p.pc, "Negotiate", ulid, r);
        w.logoff(p.pc, t + r.range(1, 3) * k_us, p.account, p.sid, 7, ulid);
    }

    // Leaving.
    win_event e;
    e.id = 4647;
    e.task = "Logoff";
    e.data = {{"TargetUserSid", p.sid}, {"TargetUserName", p.account}, {"TargetDomainName", w.netbios}, {"TargetLogonId", lid}};
    w.win(p.pc, leave, e);
    w.logoff(p.pc, leave + r.range(1, 4) * k_us, p.account, p.sid, via_vpn ? 11 : 2, lid);
    w.logoff("FS01", leave + r.range(2, 20) * k_us, p.account, p.sid, 3, fs_lid);
}

// --- servers and the internet ---------------------------------------------------------------

void backups(world& w, int day) {
    rng r = derive(w.seed, "backup", static_cast<std::uint64_t>(day));
    const day_info& di = w.cal[static_cast<std::size_t>(day)];
    // NAS01 pulls FS01 at 01:00 as svc_backup.
    usec t = w.at(day, 1, 0, static_cast<int>(r.range(2, 40)));
    std::string sid = w.domain_sid + "-1190";
    std::string lid = w.logon_id(r);
    w.ntlm_validate(t - 200000, "svc_backup", "NAS01", "0x0");
    w.logon("FS01", t, "svc_backup", sid, 3, w.nas_ip, "NAS01", "NTLM", lid, r);
    usec u = t;
    for (const auto& d : w.depts) {
        u += r.range(20, 200) * k_us;
        w.share_access(u, "svc_backup", sid, lid, w.nas_ip, d.share);
    }
    w.share_access(u + 5 * k_us, "svc_backup", sid, lid, w.nas_ip, "Common");
    w.logoff("FS01", t + r.range(25, 50) * k_min_us, "svc_backup", sid, 3, lid);

    // Then uploads to S3: incremental on weekdays, full on Sunday. A big, benign upload.
    const bool full = di.wd == 0;
    usec up = w.at(day, 2, static_cast<int>(r.range(5, 20)), static_cast<int>(r.below(60)));
    fgt_session fs;
    fs.srcip = w.nas_ip;
    fs.srcport = w.ephemeral_port(r);
    fs.dstip = "198.51.100.200";
    fs.dstport = 443;
    fs.app = "Amazon.AWS";
    fs.duration = full ? r.range(5400, 9000) : r.range(300, 1800);
    fs.sentbyte = (full ? static_cast<std::uint64_t>(r.range(38000, 46000)) : static_cast<std::uint64_t>(r.range(900, 6000))) *
                      1000000ULL + r.below(1000000);
    fs.rcvdbyte = fs.sentbyte / 200 + r.below(100000);
    w.geo_of(fs.dstip, "Japan", "JP", "s3.ap-northeast-1.amazonaws.com");
    w.fgt_traffic(up + fs.duration * k_us, fs);
    std::string ident = "{\"type\":\"IAMUser\",\"principalId\":\"AIDAQ3EGZ7NASBACKUP01\",\"arn\":\"arn:aws:iam::" + w.aws_account +
                        ":user/nas-backup\",\"accountId\":\"" + w.aws_account +
                        "\",\"accessKeyId\":\"AKIAQ3EGZ7NASBK4X2L9\",\"userName\":\"nas-backup\"}";
    std::string key = std::string("fs01/") + (full ? "full/" : "incr/") + format_date(di.d) + ".tar.zst";
    ct_event ce;
    ce.identity_json = ident;
    ce.source = "s3.amazonaws.com";
    ce.ip = w.public_ip;
    ce.user_agent = "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#arm64 api/s3#1.53.1";
    ce.data_event = true;
    ce.read_only = false;
    std::string res = "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::kaede-backup/" + key +
                      "\"},{\"accountId\":\"" + w.aws_account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::kaede-backup\"}]";
    ce.resources_json = res;
    ce.name = "CreateMultipartUpload";
    ce.request_json = "{\"bucketName\":\"kaede-backup\",\"Host\":\"kaede-backup.s3.ap-northeast-1.amazonaws.com\",\"key\":" + js(key) + "}";
    w.cloudtrail(up + 2 * k_us, ce);
    ce.name = "CompleteMultipartUpload";
    w.cloudtrail(up + fs.duration * k_us - 3 * k_us, ce);
}

void cron_and_admin(world& w, int day) {
    rng r = derive(w.seed, "web01", static_cast<std::uint64_t>(day));
    const std::string auth = "logs/web01/auth.log", sys = "logs/web01/syslog";
    for (int h = 0; h < 24; ++h) {
        usec t = w.at(day, h, 17, 1, static_cast<std::int64_t>(r.below(900000)));
        int pid = w.next_pid("web01");
        std::string tag = "CRON[" + std::to_string(pid) + "]";
        w.syslog(auth, t, "web01", tag, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
        w.syslog(sys, t + 2000, "web01", tag, "(root) CMD (cd / && run-parts --report /etc/cron.hourly)");
        w.syslog(auth, t + 8000 + r.below(20000), "web01", tag, "pam_unix(cron:session): session closed for user root");
    }
    {
        usec t = w.at(day, 2, 30, 1, static_cast<std::int64_t>(r.below(900000)));
        std::string tag = "CRON[" + std::to_string(w.next_pid("web01")) + "]";
        w.syslog(auth, t, "web01", tag, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)");
        w.syslog(sys, t + 2000, "web01", tag, "(root) CMD (/usr/local/sbin/backup-web.sh > /var/log/backup-web.log 2>&1)");
        w.syslog(auth, t + r.range(40, 200) * k_us, "web01", tag, "pam_unix(cron:session): session closed for user root");
        w.syslog(sys, w.at(day, 0, 0, 1), "web01", "systemd[1]", "Starting logrotate.service - Rotate log files...");
        w.syslog(sys, w.at(day, 0, 0, 2), "web01", "systemd[1]", "logrotate.service: Deactivated successfully.");
        w.syslog(sys, w.at(day, 0, 0, 2, 5000), "web01", "systemd[1]", "Finished logrotate.service - Rotate log files.");
    }
    const day_info& di = w.cal[static_cast<std::size_t>(day)];
    const person* admin = nullptr;
    for (const auto& p : w.people)
        if (p.admin) admin = &p;
    // The IT generalist looks after web01 twice a week or so.
    if (admin && di.workday && !admin->on_leave(day) && r.chance(400)) {
        usec t = w.at(day, static_cast<int>(r.range(10, 17)), static_cast<int>(r.range(0, 59)), static_cast<int>(r.below(60)));
        std::string src = admin->is_remote(day) ? tunnel_ip(*admin) : admin->ip;
        int port = w.ephemeral_port(r);
        int pid = w.next_pid("web01");
        std::string tag = "sshd[" + std::to_string(pid) + "]";
        int session = static_cast<int>(r.range(100, 999)) + day * 1000;
        w.syslog(auth, t, "web01", tag,
                 "Accepted publickey for " + admin->account + " from " + src + " port " + std::to_string(port) +
                     " ssh2: ED25519 SHA256:Xq3v5yJq0m7cM2c5T0nQ8xWl1uYfZr8kE4a9d2Hh6Ns");
        w.syslog(auth, t + 15000, "web01", tag,
                 "pam_unix(sshd:session): session opened for user " + admin->account + "(uid=1000) by (uid=0)");
        w.syslog(auth, t + 30000, "web01", "systemd-logind[498]",
                 "New session " + std::to_string(session) + " of user " + admin->account + ".");
        static const char* k_cmds[] = {"/usr/bin/systemctl status nginx", "/usr/bin/tail -n 200 /var/log/nginx/error.log",
                                       "/usr/bin/apt-get update", "/usr/sbin/nginx -t",
                                       "/usr/bin/systemctl reload nginx", "/usr/bin/df -h", "/usr/bin/journalctl -u nginx --since today"};
        usec u = t;
        int n = static_cast<int>(r.range(1, 4));
        for (int i = 0; i < n; ++i) {
            u += r.range(20, 300) * k_us;
            w.syslog(auth, u, "web01", "sudo",
                     "  " + admin->account + " : TTY=pts/0 ; PWD=/home/" + admin->account + " ; USER=root ; COMMAND=" +
                         r.pick(k_cmds));
            w.syslog(auth, u + 2000, "web01", "sudo",
                     "pam_unix(sudo:session): session opened for user root(uid=0) by " + admin->account + "(uid=1000)");
            w.syslog(auth, u + r.range(1, 20) * k_us, "web01", "sudo", "pam_unix(sudo:session): session closed for user root");
        }
        u += r.range(60, 900) * k_us;
        w.syslog(auth, u, "web01", tag,
                 "Received disconnect from " + src + " port " + std::to_string(port) + ":11: disconnected by user");
        w.syslog(auth, u + 1000, "web01", tag,
                 "Disconnected from user " + admin->account + " " + src + " port " + std::to_string(port));
        w.syslog(auth, u + 2000, "web01", tag, "pam_unix(sshd:session): session closed for user " + admin->account);
        w.syslog(auth, u + 3000, "web01", "systemd-logind[498]",
                 "Session " + std::to_string(session) + " logged out. Waiting for processes to exit.");
        w.syslog(auth, u + 4000, "web01", "systemd-logind[498]", "Removed session " + std::to_string(session) + ".");
    }
    // Website deploys from the CI service (ssh as deploy, and S3 sync): some workdays.
    if (di.workday && r.chance(300)) {
        usec t = w.at(day, static_cast<int>(r.range(11, 18)), static_cast<int>(r.range(0, 59)), static_cast<int>(r.below(60)));
        const std::string ci = "192.0.2.200";
        w.geo_of(ci, "United States", "US", "CI service runner");
        int port = w.ephemeral_port(r);
        std::string tag = "sshd[" + std::to_string(w.next_pid("web01")) + "]";
        w.syslog(auth, t, "web01", tag,
                 "Accepted publickey for deploy from " + ci + " port " + std::to_string(port) +
                     " ssh2: ED25519 SHA256:b8Jr2cK1LqM0vA9xS6tPz3dE7fG5hN4wQ1yU0iO8kRc");
        w.syslog(auth, t + 12000, "web01", tag, "pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)");
        usec e = t + r.range(8, 40) * k_us;
        w.syslog(auth, e, "web01", tag, "Received disconnect from " + ci + " port " + std::to_string(port) + ":11: disconnected by user");
        w.syslog(auth, e + 1000, "web01", tag, "Disconnected from user deploy " + ci + " port " + std::to_string(port));
        w.syslog(auth, e + 2000, "web01", tag, "pam_unix(sshd:session): session closed for user deploy");
        std::string ident = "{\"type\":\"IAMUser\",\"principalId\":\"AIDAQ3EGZ7DEPLOYBOT01\",\"arn\":\"arn:aws:iam::" + w.aws_account +
                            ":user/deploy-bot\",\"accountId\":\"" + w.aws_account +
                            "\",\"accessKeyId\":\"AKIAQ3EGZ7DPLY7H2K4M\",\"userName\":\"deploy-bot\"}";
        ct_event ce;
        ce.identity_json = ident;
        ce.ip = ci;
        ce.user_agent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-azure exe/x86_64.ubuntu.22 prompt/off command/sts.get-caller-identity";
        ce.source = "sts.amazonaws.com";
        ce.name = "GetCallerIdentity";
        ce.region = "ap-northeast-1";
        w.cloudtrail(t - 30 * k_us, ce);
        ce.user_agent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1017-azure exe/x86_64.ubuntu.22 prompt/off command/s3.sync";
        ce.source = "s3.amazonaws.com";
        ce.data_event = true;
        ce.read_only = false;
        ce.name = "PutObject";
        int n = static_cast<int>(r.range(2, 6));
        static const char* k_objs[] = {"index.html", "news/index.html", "css/site.css", "js/main.js", "products/index.html", "recruit/index.html"};
        for (int i = 0; i < n; ++i) {
            std::string key = k_objs[(static_cast<std::size_t>(i) + r.below(6)) % 6];
            ce.request_json = "{\"bucketName\":\"kaede-www\",\"Host\":\"kaede-www.s3.ap-northeast-1.amazonaws.com\",\"key\":" + js(key) + "}";
            ce.resources_json = "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::kaede-www/" + key + "\"},{\"accountId\":\"" +
                                w.aws_account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::kaede-www\"}]";
            w.cloudtrail(t - 20 * k_us + i * 700000, ce);
        }
    }
}

void internet_noise(world& w, int day) {
    rng r = derive(w.seed, "internet", static_cast<std::uint64_t>(day));
    const std::string auth = "logs/web01/auth.log", kern = "logs/web01/kern.log";
    // Hostile but routine: labelled as background so that evaluation can tell alerts on it
    // from false alarms on staff activity.
    const int bg_ssh = w.out.step("background", "noise", "bg.ssh_scanners", "SSH password guessing by internet scanners against web01", {"T1110.001"});
    const int bg_ports = w.out.step("background", "noise", "bg.port_scans", "port scans dropped by the FortiGate local-in policy and web01's iptables", {"T1046"});
    const int bg_vpn = w.out.step("background", "noise", "bg.vpn_login_bots", "SSL-VPN login attempts by bots with common account names", {"T1110.001"});
    const int bg_spam = w.out.step("background", "noise", "bg.spam_rejected", "spam sources rejected by the DNS blocklist at mail01", {"T1566"});
    const int bg_sasl = w.out.step("background", "noise", "bg.smtp_auth_bots", "SMTP AUTH password guessing against mail01", {"T1110.001"});
    // SSH scanners against web01 (port 22 is open to the internet).
    int bursts = static_cast<int>(r.range(3, 9));
    for (int b = 0; b < bursts; ++b) {
        std::string ip = internet_ip(r);
        register_country(w, ip, r, "scanner");
        usec t = w.at(day, 0, 0) + static_cast<usec>(r.below(86400ULL * 1000000ULL));
        int attempts = static_cast<int>(r.chance(200) ? r.range(15, 40) : r.range(1, 6));
        for (int i = 0; i < attempts; ++i) {
            std::string user = r.pick(k_ssh_users);
            int port = w.ephemeral_port(r);
            std::string tag = "sshd[" + std::to_string(w.next_pid("web01")) + "]";
            std::string p = std::to_string(port);
            if (user == "root") {
                w.syslog(auth, t, "web01", tag,
                         "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=" + ip +
                             "  user=root",
                         bg_ssh);
                w.syslog(auth, t + r.range(1000000, 2500000), "web01", tag, "Failed password for root from " + ip + " port " + p + " ssh2", bg_ssh);
            } else {
                w.syslog(auth, t, "web01", tag, "Invalid user " + user + " from " + ip + " port " + p, bg_ssh);
                w.syslog(auth, t + r.range(1000000, 2500000), "web01", tag,
                         "Failed password for invalid user " + user + " from " + ip + " port " + p + " ssh2", bg_ssh);
            }
            w.syslog(auth, t + r.range(2600000, 3000000), "web01", tag,
                     std::string("Connection closed by ") + (user == "root" ? "authenticating user root " : "invalid user " + user + " ") +
                         ip + " port " + p + " [preauth]", bg_ssh);
            t += r.range(2, 12) * k_us + static_cast<usec>(r.below(1000000));
        }
    }
    // Port scans dropped by web01's iptables, and by the FortiGate's local-in policy.
    static const int k_ports[] = {23, 445, 3389, 1433, 5900, 8080, 6379, 2375, 8443, 3306, 5432, 9200};
    int drops = static_cast<int>(r.range(40, 110));
    for (int i = 0; i < drops; ++i) {
        std::string ip = internet_ip(r);
        register_country(w, ip, r, "scanner");
        usec t = w.at(day, 0, 0) + static_cast<usec>(r.below(86400ULL * 1000000ULL));
        int port = r.pick(k_ports);
        if (r.chance(500)) {
            char buf[400];
            std::int64_t up = (t - w.at(-3, 4, 12)) / k_us;  // web01 uptime (rebooted 3 days before the period)
            std::snprintf(buf, sizeof buf,
                          "[%lld.%06lld] IPTABLES-DROP: IN=ens18 OUT= MAC=bc:24:11:5e:7a:01:00:09:0f:09:00:12:08:00 SRC=%s "
                          "DST=%s LEN=44 TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0",
                          static_cast<long long>(up), static_cast<long long>(r.below(1000000)), ip.c_str(), w.web_ip.c_str(),
                          static_cast<int>(r.range(40, 250)), static_cast<int>(r.range(1, 65535)), w.ephemeral_port(r), port);
            w.syslog(kern, t, "web01", "kernel", buf, bg_ports);
        } else {
            fgt_session fs = w.local_in_deny(ip, port, r);
            if (port == 23) fs.service = "TELNET";
            else if (port == 3389) fs.service = "RDP";
            else if (port == 445) fs.service = "SMB";
            w.fgt_traffic(t, fs, bg_ports);
        }
    }
    // Bots trying SSL-VPN logins with common names.
    int vpn = static_cast<int>(r.range(2, 12));
    for (int i = 0; i < vpn; ++i) {
        std::string ip = internet_ip(r);
        register_country(w, ip, r, "VPN login bot");
        usec t = w.at(day, 0, 0) + static_cast<usec>(r.below(86400ULL * 1000000ULL));
        static const char* k_vpn_users[] = {"admin", "test", "vpn", "user", "guest", "support", "administrator", "scanner"};
        w.fgt_event(t, "0101039426", "vpn", "alert",
                    "logdesc=\"SSL VPN login fail\" action=\"ssl-login-fail\" tunneltype=\"ssl-web\" tunnelid=0 remip=" + ip +
                        " user=\"" + r.pick(k_vpn_users) +
                        "\" group=\"N/A\" dst_host=\"N/A\" reason=\"sslvpn_login_unknown_user\" msg=\"SSL user failed to logged in\"",
                    bg_vpn);
    }
    // Mail: spam stopped by a blocklist, SASL password guessing, newsletters.
    const std::string mail = "logs/mail01/mail.log";
    int spam = static_cast<int>(r.range(15, 45));
    for (int i = 0; i < spam; ++i) {
        std::string ip = internet_ip(r);
        register_country(w, ip, r, "spam source");
        usec t = w.at(day, 0, 0) + static_cast<usec>(r.below(86400ULL * 1000000ULL));
        std::string tag = "postfix/smtpd[" + std::to_string(w.next_pid("mail01")) + "]";
        const auto& p = w.people[r.below(w.people.size())];
        w.syslog(mail, t, "mail01", tag, "connect from unknown[" + ip + "]", bg_spam);
        w.syslog(mail, t + r.range(300000, 900000), "mail01", tag,
                 "NOQUEUE: reject: RCPT from unknown[" + ip + "]: 554 5.7.1 Service unavailable; Client host [" + ip +
                     "] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/" + ip + "; from=<promo" +
                     std::to_string(r.range(1, 999)) + "@bulk-deals.example> to=<" + p.email + "> proto=ESMTP helo=<" +
                     "mx" + std::to_string(r.range(1, 99)) + ".bulk-deals.example>",
                 bg_spam);
        w.syslog(mail, t + r.range(1000000, 1500000), "mail01", tag,
                 "disconnect from unknown[" + ip + "] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4", bg_spam);
    }
    int sasl = static_cast<int>(r.range(0, 3));
    for (int i = 0; i < sasl; ++i) {
        std::string ip = internet_ip(r);
        register_country(w, ip, r, "SMTP AUTH bot");
        usec t = w.at(day, 0, 0) + static_cast<usec>(r.below(86400ULL * 1000000ULL));
        int tries = static_cast<int>(r.range(2, 12));
        for (int k = 0; k < tries; ++k) {
            std::string tag = "postfix/submission/smtpd[" + std::to_string(w.next_pid("mail01")) + "]";
            usec f = t + r.range(900000, 2600000);
            w.syslog(mail, t, "mail01", tag, "connect from unknown[" + ip + "]", bg_sasl);
            w.syslog(mail, f, "mail01", tag, "warning: unknown[" + ip + "]: SASL LOGIN authentication failed: UGFzc3dvcmQ6", bg_sasl);
            w.syslog(mail, f + r.range(20000, 200000), "mail01", tag, "lost connection after AUTH from unknown[" + ip + "]", bg_sasl);
            w.syslog(mail, f + r.range(200001, 300000), "mail01", tag, "disconnect from unknown[" + ip + "] ehlo=1 auth=0/1 commands=1/2", bg_sasl);
            t += r.range(5, 40) * k_us + static_cast<usec>(r.below(1000000));
        }
    }
    if (w.cal[static_cast<std::size_t>(day)].workday) {
        std::vector<std::string> to;
        for (const auto& p : w.people)
            if (r.chance(250)) to.push_back(p.email);
        if (!to.empty()) {
            auto [mx, mxip] = w.mx_of("mailmag.example");
            w.mail_in(w.at(day, 7, static_cast<int>(r.range(0, 30)), static_cast<int>(r.below(60))),
                      "news@mailmag.example", mx, mxip, to, static_cast<std::uint64_t>(r.range(40000, 90000)), r);
        }
    }
}

void website(world& w, int day) {
    rng r = derive(w.seed, "www", static_cast<std::uint64_t>(day));
    const day_info& di = w.cal[static_cast<std::size_t>(day)];
    int visitors = static_cast<int>(di.workday ? r.range(110, 170) : r.range(50, 90));
    static const char* k_pages[] = {"/", "/", "/about/", "/products/", "/products/item-101.html", "/products/item-204.html",
                                    "/news/", "/news/2025/04/golden-week.html", "/recruit/", "/contact/", "/access/"};
    for (int v = 0; v < visitors; ++v) {
        std::string ip = internet_ip(r);
        if (r.chance(700)) w.geo_of(ip, "Japan", "JP", "web visitor");
        else register_country(w, ip, r, "web visitor");
        // Office-hours curve: two uniform draws, more visits in the day.
        int minute = static_cast<int>((r.range(6 * 60, 23 * 60) + r.range(7 * 60, 22 * 60)) / 2);
        usec t = w.at(day, 0, minute, static_cast<int>(r.below(60)), static_cast<std::int64_t>(r.below(1000000)));
        std::string ua = r.pick(k_browser_ua);
        std::string page = r.pick(k_pages);
        std::string ref = r.chance(400) ? "https://search.example.com/" : "-";
        w.nginx(t, ip, "GET " + page + " HTTP/2.0", 200, static_cast<std::uint64_t>(r.range(6000, 28000)), ref, ua);
        std::string self = "https://" + w.www + page;
        if (!r.chance(300)) {  // first visit: the assets
            w.nginx(t + r.range(80000, 300000), ip, "GET /css/site.css HTTP/2.0", 200, 18234, self, ua);
            w.nginx(t + r.range(80000, 300000), ip, "GET /js/main.js HTTP/2.0", 200, 40211, self, ua);
            w.nginx(t + r.range(100000, 400000), ip, "GET /img/logo.svg HTTP/2.0", 200, 5120, self, ua);
        }
        if (page == "/contact/" && r.chance(200))
            w.nginx(t + r.range(60, 300) * k_us, ip, "POST /contact/send HTTP/2.0", 303, 0, self, ua);
        if (r.chance(350))
            w.nginx(t + r.range(20, 200) * k_us, ip, "GET " + std::string(r.pick(k_pages)) + " HTTP/2.0", 200,
                    static_cast<std::uint64_t>(r.range(6000, 28000)), self, ua);
    }
    // Crawlers.
    int crawl = static_cast<int>(r.range(20, 40));
    for (int i = 0; i < crawl; ++i) {
        usec t = w.at(day, 0, 0) + static_cast<usec>(r.below(86400ULL * 1000000ULL));
        bool g = r.chance(600);
        std::string ip = g ? "192.0.2.66" : "192.0.2.77";
        w.geo_of(ip, "United States", "US", g ? "search engine crawler" : "search engine crawler (bing-like)");
        w.nginx(t, ip, "GET " + std::string(r.pick(k_pages)) + " HTTP/1.1", r.chance(100) ? 304 : 200,
                static_cast<std::uint64_t>(r.range(6000, 28000)), "-",
                g ? "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
                  : "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)");
    }
    // Vulnerability scanners: 404s, and now and then a probe that looks like an attack.
    static const char* k_probes[] = {"/wp-login.php", "/.env", "/phpmyadmin/", "/.git/config", "/xmlrpc.php",
                                     "/admin/", "/cgi-bin/luci/;stok=/locale", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
                                     "/actuator/health", "/server-status", "/wp-content/plugins/", "/boaform/admin/formLogin"};
    const int bg_web = w.out.step("background", "noise", "bg.web_probes", "vulnerability scanners probing the website (404s, injection attempts)", {"T1595.002"});
    int probes = static_cast<int>(r.range(2, 6));
    for (int b = 0; b < probes; ++b) {
        std::string ip = internet_ip(r);
        register_country(w, ip, r, "web scanner");
        usec t = w.at(day, 0, 0) + static_cast<usec>(r.below(86400ULL * 1000000ULL));
        int n = static_cast<int>(r.range(3, 25));
        std::string ua = r.chance(500) ? "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.129 Safari/537.36"
                                       : "python-requests/2.31.0";
        for (int i = 0; i < n; ++i) {
            std::string path = r.pick(k_probes);
            if (r.chance(60)) path = "/products/?id=1%27%20OR%20%271%27=%271";
            if (r.chance(40)) path = "/?s=%3Cscript%3Ealert(1)%3C/script%3E";
            w.nginx(t, ip, "GET " + path + " HTTP/1.1", path.find('?') != std::string::npos ? 200 : 404,
                    path.find('?') != std::string::npos ? 9000 : 153, "-", ua, bg_web);
            t += r.range(100000, 3000000);
        }
    }
}

void cloud_background(world& w, int day) {
    rng r = derive(w.seed, "cloud", static_cast<std::uint64_t>(day));
    // An on-premises monitoring job reads EC2 state every two hours.
    std::string role = "{\"type\":\"AssumedRole\",\"principalId\":\"AROAQ3EGZ7MONITOR001:zabbix\",\"arn\":\"arn:aws:sts::" +
                       w.aws_account + ":assumed-role/ReadOnlyMonitoring/zabbix\",\"accountId\":\"" + w.aws_account +
                       "\",\"accessKeyId\":\"ASIAQ3EGZ7MON" + std::to_string(100000 + day) +
                       "\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROAQ3EGZ7MONITOR001\",\"arn\":\"arn:aws:iam::" +
                       w.aws_account + ":role/ReadOnlyMonitoring\",\"accountId\":\"" + w.aws_account +
                       "\",\"userName\":\"ReadOnlyMonitoring\"},\"attributes\":{\"creationDate\":\"" +
                       iso_utc(w.at(day, 0, 5), 0) + "\",\"mfaAuthenticated\":\"false\"}}}";
    for (int h = 0; h < 24; h += 2) {
        ct_event ce;
        ce.identity_json = role;
        ce.source = "ec2.amazonaws.com";
        ce.name = "DescribeInstances";
        ce.ip = w.public_ip;
        ce.user_agent = "Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.0-21-amd64 md/arch#x86_64 lang/python#3.11.2 cfg/retry-mode#legacy Botocore/1.34.84";
        ce.request_json = "{\"instancesSet\":{},\"filterSet\":{}}";
        w.cloudtrail(w.at(day, h, 3, static_cast<int>(r.range(0, 50))), ce);
        ce.name = "DescribeInstanceStatus";
        ce.request_json = "{\"instancesSet\":{},\"filterSet\":{},\"includeAllInstances\":false}";
        w.cloudtrail(w.at(day, h, 3, static_cast<int>(r.range(51, 59))), ce);
    }
    // The IT generalist signs in to the console now and then.
    const person* admin = nullptr;
    for (const auto& p : w.people)
        if (p.admin) admin = &p;
    if (admin && w.cal[static_cast<std::size_t>(day)].workday && !admin->on_leave(day) && r.chance(250)) {
        usec t = w.at(day, static_cast<int>(r.range(10, 17)), static_cast<int>(r.range(0, 59)), static_cast<int>(r.below(60)));
        std::string ident = "{\"type\":\"IAMUser\",\"principalId\":\"AIDAQ3EGZ7ITADMIN001\",\"arn\":\"arn:aws:iam::" + w.aws_account +
                            ":user/" + admin->account + "\",\"accountId\":\"" + w.aws_account + "\",\"userName\":\"" +
                            admin->account + "\"}";
        ct_event ce;
        ce.identity_json = ident;
        ce.source = "signin.amazonaws.com";
        ce.name = "ConsoleLogin";
        ce.region = "ap-northeast-1";
        ce.ip = w.public_ip;
        ce.user_agent = k_browser_ua[0];
        ce.read_only = false;
        ce.response_json = "{\"ConsoleLogin\":\"Success\"}";
        ce.request_json = "null";
        w.cloudtrail(t, ce);
        ce.source = "ec2.amazonaws.com";
        ce.name = "DescribeInstances";
        ce.read_only = true;
        ce.response_json = "null";
        ce.user_agent = "AWS Internal";
        w.cloudtrail(t + r.range(20, 90) * k_us, ce);
        ce.source = "s3.amazonaws.com";
        ce.name = "ListBuckets";
        ce.request_json = "{\"Host\":\"s3.ap-northeast-1.amazonaws.com\"}";
        w.cloudtrail(t + r.range(100, 300) * k_us, ce);
    }
}

// One-off administrative work that rules may flag but is benign: a new service account for the
// MFP, a locked-out user, FortiGate admin sessions, and a new IAM user for the mailer.
void admin_events(world& w) {
    const person* admin = nullptr;
    for (const auto& p : w.people)
        if (p.admin) admin = &p;
    if (!admin) return;
    rng r = derive(w.seed, "admin-events");
    std::string adm = admin->account + "-adm";
    std::string adm_sid = w.domain_sid + "-1180";
    int first_workday = 0;
    while (first_workday < w.days && !w.cal[static_cast<std::size_t>(first_workday)].workday) ++first_workday;
    int day = first_workday + 1;
    while (day < w.days && !w.cal[static_cast<std::size_t>(day)].workday) ++day;
    if (day >= w.days) return;

    // svc_scan for the MFP's scan-to-folder.
    usec t = w.at(day, 14, 12, 30);
    std::string lid = w.logon_id(r);
    w.logon("DC01", t - 60 * k_us, adm, adm_sid, 10, admin->ip, admin->pc, "Kerberos", lid, r);
    std::string sid = w.domain_sid + "-1191";
    auto acct = [&](int id, const char* task, usec when, std::vector<std::pair<std::string, std::string>> extra) {
        win_event e;
        e.id = id;
        e.task = task;
        e.data = {{"TargetUserName", "svc_scan"}, {"TargetDomainName", w.netbios}, {"TargetSid", sid},
                  {"SubjectUserSid", adm_sid},   {"SubjectUserName", adm},         {"SubjectDomainName", w.netbios},
                  {"SubjectLogonId", lid}};
        for (auto& x : extra) e.data.push_back(std::move(x));
        w.win("DC01", when, e);
    };
    acct(4720, "User Account Management", t, {{"SamAccountName", "svc_scan"}, {"DisplayName", "MFP scan service"},
                                             {"UserPrincipalName", "svc_scan@corp.kaede-shoji.example"},
                                             {"UserAccountControl", "%%2080"}});
    acct(4722, "User Account Management", t + 200000, {});
    acct(4724, "User Account Management", t + 400000, {});
    acct(4738, "User Account Management", t + 600000, {{"UserAccountControl", "%%2048 %%2089"}});
    {
        win_event e;
        e.id = 4728;
        e.task = "Security Group Management";
        e.data = {{"MemberName", "CN=svc_scan,OU=Service Accounts,DC=corp,DC=kaede-shoji,DC=example"},
                  {"MemberSid", sid},
                  {"TargetUserName", "Scanner Users"},
                  {"TargetDomainName", w.netbios},
                  {"TargetSid", w.domain_sid + "-1192"},
                  {"SubjectUserSid", adm_sid},
                  {"SubjectUserName", adm},
                  {"SubjectDomainName", w.netbios},
                  {"SubjectLogonId", lid}};
        w.win("DC01", t + 90 * k_us, e);
    }
    w.logoff("DC01", t + 15 * k_min_us, adm, adm_sid, 10, lid);
    // From then on the MFP files scans several times a workday.
    for (int d = day; d < w.days; ++d) {
        if (!w.cal[static_cast<std::size_t>(d)].workday) continue;
        rng s = derive(w.seed, "mfp", static_cast<std::uint64_t>(d));
        int n = static_cast<int>(s.range(2, 7));
        for (int i = 0; i < n; ++i) {
            usec u = w.at(d, static_cast<int>(s.range(9, 18)), static_cast<int>(s.range(0, 59)), static_cast<int>(s.below(60)));
            if (d == day && u < t + 20 * k_min_us) continue;
            std::string l = w.logon_id(s);
            w.ntlm_validate(u - 100000, "svc_scan", "MFP01", "0x0");
            w.logon("FS01", u, "svc_scan", sid, 3, w.mfp_ip, "MFP01", "NTLM", l, s);
            w.share_access(u + 200000, "svc_scan", sid, l, w.mfp_ip, "Scans");
            char name[64];
            std::snprintf(name, sizeof name, "SCAN_%s_%02d%02d.pdf", format_date(w.cal[static_cast<std::size_t>(d)].d).c_str(),
                          static_cast<int>(s.range(9, 18)), static_cast<int>(s.range(0, 59)));
            w.share_file(u + 900000, "svc_scan", sid, l, w.mfp_ip, "Scans", name, "0x2", false);
            w.logoff("FS01", u + 3 * k_us, "svc_scan", sid, 3, l);
        }
    }

    // A user locks themselves out after the Golden Week break (or the middle of the period).
    int lock_day = w.days / 2;
    for (int d = w.days / 2; d < w.days; ++d)
        if (w.cal[static_cast<std::size_t>(d)].workday && d > 0 && !w.cal[static_cast<std::size_t>(d - 1)].workday) {
            lock_day = d;
            break;
        }
    while (lock_day < w.days && !w.cal[static_cast<std::size_t>(lock_day)].workday) ++lock_day;
    if (lock_day < w.days) {
        const person* who = nullptr;
        for (const auto& p : w.people)
            if (p.dept == "SLS" && !p.on_leave(lock_day) && !p.is_remote(lock_day) && p.idx != w.plan.b_victim) who = &p;
        if (who) {
            usec u = w.at(lock_day, 9, 2, 10);
            for (int i = 0; i < 5; ++i) {
                w.logon_failed(who->pc, u + i * 9 * k_us, who->account, 2, "127.0.0.1", who->pc, "0xc000006a", r);
                w.kerberos_tgt(u + i * 9 * k_us + 200000, who->account, who->sid, who->ip, "0x18", r);
            }
            win_event e;
            e.id = 4740;
            e.task = "User Account Management";
            e.data = {{"TargetUserName", who->account}, {"TargetDomainName", who->pc}, {"TargetSid", who->sid},
                      {"SubjectUserSid", "S-1-5-18"}, {"SubjectUserName", "DC01$"}, {"SubjectDomainName", w.netbios},
                      {"SubjectLogonId", "0x3e7"}};
            w.win("DC01", u + 45 * k_us, e);
            win_event un;
            un.id = 4767;
            un.task = "User Account Management";
            un.data = {{"TargetUserName", who->account}, {"TargetDomainName", w.netbios}, {"TargetSid", who->sid},
                       {"SubjectUserSid", adm_sid}, {"SubjectUserName", adm}, {"SubjectDomainName", w.netbios},
                       {"SubjectLogonId", w.logon_id(r)}};
            w.win("DC01", u + 14 * k_min_us, un);
        }
    }

    // FortiGate admin sessions.
    for (int d = 0; d < w.days; ++d) {
        if (!w.cal[static_cast<std::size_t>(d)].workday || admin->on_leave(d)) continue;
        rng s = derive(w.seed, "fgt-admin", static_cast<std::uint64_t>(d));
        if (!s.chance(200)) continue;
        usec u = w.at(d, static_cast<int>(s.range(10, 17)), static_cast<int>(s.range(0, 59)), static_cast<int>(s.below(60)));
        std::string src = admin->is_remote(d) ? tunnel_ip(*admin) : admin->ip;
        w.fgt_event(u, "0100032001", "system", "information",
                    "logdesc=\"Admin login successful\" sn=\"" + std::to_string(u / k_us) + "\" user=\"admin\" ui=\"https(" + src +
                        ")\" method=\"https\" srcip=" + src + " dstip=" + w.fgt_lan_ip +
                        " action=\"login\" status=\"success\" reason=\"none\" profile=\"super_admin\" msg=\"Administrator admin logged in successfully from https(" +
                        src + ")\"");
        if (s.chance(400))
            w.fgt_event(u + s.range(60, 600) * k_us, "0100044547", "system", "information",
                        "logdesc=\"Object attribute configured\" user=\"admin\" ui=\"GUI(" + src +
                            ")\" action=\"Edit\" cfgtid=" + std::to_string(s.range(100000, 999999)) +
                            " cfgpath=\"firewall.address\" cfgobj=\"allow-ci\" cfgattr=\"subnet[192.0.2.200 255.255.255.255]\" msg=\"Edit firewall.address allow-ci\"");
        usec dur = s.range(120, 1500);
        w.fgt_event(u + dur * k_us, "0100032003", "system", "information",
                    "logdesc=\"Admin logout successful\" sn=\"" + std::to_string(u / k_us) + "\" user=\"admin\" ui=\"https(" + src +
                        ")\" method=\"https\" srcip=" + src + " dstip=" + w.fgt_lan_ip +
                        " action=\"logout\" status=\"success\" duration=" + std::to_string(dur) +
                        " state=\"Logout\" reason=\"exit\" profile=\"super_admin\" msg=\"Administrator admin logged out from https(" + src + ")\"");
    }

    // A new IAM user for the web form's mailer (console, from the office).
    {
        int d = std::min(w.days - 1, first_workday + 3);
        while (d < w.days - 1 && !w.cal[static_cast<std::size_t>(d)].workday) ++d;
        usec u = w.at(d, 15, 40, 12);
        std::string ident = "{\"type\":\"IAMUser\",\"principalId\":\"AIDAQ3EGZ7ITADMIN001\",\"arn\":\"arn:aws:iam::" + w.aws_account +
                            ":user/" + admin->account + "\",\"accountId\":\"" + w.aws_account + "\",\"userName\":\"" +
                            admin->account + "\",\"sessionContext\":{\"attributes\":{\"creationDate\":\"" + iso_utc(u - 600 * k_us, 0) +
                            "\",\"mfaAuthenticated\":\"true\"}}}";
        ct_event ce;
        ce.identity_json = ident;
        ce.ip = w.public_ip;
        ce.region = "ap-northeast-1";
        ce.source = "signin.amazonaws.com";
        ce.name = "ConsoleLogin";
        ce.read_only = false;
        ce.user_agent = k_browser_ua[0];
        ce.response_json = "{\"ConsoleLogin\":\"Success\"}";
        w.cloudtrail(u - 600 * k_us, ce);
        ce.response_json = "null";
        ce.source = "iam.amazonaws.com";
        ce.region = "us-east-1";
        ce.user_agent = "AWS Internal";
        ce.name = "CreateUser";
        ce.request_json = "{\"userName\":\"ses-mailer\",\"tags\":[{\"key\":\"purpose\",\"value\":\"contact form\"}]}";
        w.cloudtrail(u, ce);
        ce.name = "AttachUserPolicy";
        ce.request_json = "{\"userName\":\"ses-mailer\",\"policyArn\":\"arn:aws:iam::aws:policy/AmazonSESFullAccess\"}";
        w.cloudtrail(u + 40 * k_us, ce);
        ce.name = "CreateAccessKey";
        ce.request_json = "{\"userName\":\"ses-mailer\"}";
        w.cloudtrail(u + 75 * k_us, ce);
    }
}

// Patch night: the third Wednesday of a month, 21:00–23:30. PCs left on install the month's
// cumulative update and restart; the servers are patched by the IT generalist over RDP; web01
// gets its Debian updates and a reboot.
void patch_night(world& w) {
    int day = -1;
    for (int d = 0; d < w.days; ++d) {
        const auto& di = w.cal[static_cast<std::size_t>(d)];
        if (di.wd == 3 && di.d.day >= 15 && di.d.day <= 21) {
            day = d;
            break;
        }
    }
    if (day < 0) return;
    rng r = derive(w.seed, "patch", static_cast<std::uint64_t>(day));
    const date& dd = w.cal[static_cast<std::size_t>(day)].d;
    char kb[160];
    std::snprintf(kb, sizeof kb, "%04d-%02u Cumulative Update for Windows 11 Version 23H2 for x64-based Systems (KB50%05d)",
                  dd.year, dd.month, static_cast<int>(50000 + dd.month * 97 % 1000));
    auto reboot = [&](const std::string& host, usec t, const std::string& title) {
        win_event up;
        up.channel = "System";
        up.provider = "Microsoft-Windows-WindowsUpdateClient";
        up.id = 19;
        up.task = "Windows Update Agent";
        up.data = {{"updateTitle", title}, {"updateGuid", w.guid(r)}, {"updateRevisionNumber", "1"}};
        w.win(host, t, up);
        win_event rs;
        rs.channel = "System";
        rs.provider = "User32";
        rs.id = 1074;
        rs.data = {{"param1", "C:\\Windows\\servicing\\TrustedInstaller.exe (" + host + ")"},
                   {"param2", host},
                   {"param3", "Operating System: Upgrade (Planned)"},
                   {"param4", "0x80020003"},
                   {"param5", "restart"},
                   {"param6", ""},
                   {"param7", "NT AUTHORITY\\SYSTEM"}};
        w.win(host, t + r.range(20, 120) * k_us, rs);
        win_event stop;
        stop.channel = "System";
        stop.provider = "EventLog";
        stop.id = 6006;
        w.win(host, t + r.range(150, 200) * k_us, stop);
        win_event start = stop;
        start.id = 6005;
        w.win(host, t + r.range(400, 600) * k_us, start);
        win_event boot;
        boot.id = 4608;
        boot.task = "Security State Change";
        w.win(host, t + r.range(390, 399) * k_us, boot);
    };
    for (const auto& p : w.people) {
        if (!r.chance(800)) continue;  // PCs that were left on
        reboot(p.pc, w.at(day, 21, static_cast<int>(r.range(0, 50)), static_cast<int>(r.below(60))), kb);
    }
    const person* admin = nullptr;
    for (const auto& p : w.people)
        if (p.admin) admin = &p;
    if (!admin) return;
    std::string adm = admin->account + "-adm";
    std::string adm_sid = w.domain_sid + "-1180";
    usec t = w.at(day, 22, 5, 10);
    for (const char* host : {"FS01", "DC01"}) {
        std::string lid = w.logon_id(r);
        w.ntlm_validate(t - 500000, adm, admin->pc, "0x0");
        w.logon(host, t, adm, adm_sid, 10, admin->ip, admin->pc, "Kerberos", lid, r);
        win_event e;
        e.id = 4672;
        e.task = "Special Logon";
        e.data = {{"SubjectUserSid", adm_sid}, {"SubjectUserName", adm}, {"SubjectDomainName", w.netbios}, {"SubjectLogonId", lid},
                  {"PrivilegeList", "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege"}};
        w.win(host, t + 3000, e);
        char title[160];
        std::snprintf(title, sizeof title, "%04d-%02u Cumulative Update for Microsoft server operating system version 21H2 for x64-based Systems (KB50%05d)",
                      dd.year, dd.month, static_cast<int>(50100 + dd.month * 89 % 1000));
        reboot(host, t + r.range(600, 900) * k_us, title);
        w.logoff(host, t + r.range(550, 590) * k_us, adm, adm_sid, 10, lid);
        t += 25 * k_min_us;
    }
    // web01: apt upgrade and reboot.
    const std::string auth = "logs/web01/auth.log";
    usec u = w.at(day, 23, 0, 5);
    int port = w.ephemeral_port(r);
    std::string tag = "sshd[" + std::to_string(w.next_pid("web01")) + "]";
    w.syslog(auth, u, "web01", tag,
             "Accepted publickey for " + admin->account + " from " + admin->ip + " port " + std::to_string(port) +
                 " ssh2: ED25519 SHA256:Xq3v5yJq0m7cM2c5T0nQ8xWl1uYfZr8kE4a9d2Hh6Ns");
    w.syslog(auth, u + 15000, "web01", tag, "pam_unix(sshd:session): session opened for user " + admin->account + "(uid=1000) by (uid=0)");
    for (const char* cmd : {"/usr/bin/apt-get update", "/usr/bin/apt-get -y dist-upgrade", "/usr/sbin/reboot"}) {
        u += r.range(30, 400) * k_us;
        w.syslog(auth, u, "web01", "sudo",
                 "  " + admin->account + " : TTY=pts/0 ; PWD=/home/" + admin->account + " ; USER=root ; COMMAND=" + cmd);
        w.syslog(auth, u + 2000, "web01", "sudo",
                 "pam_unix(sudo:session): session opened for user root(uid=0) by " + admin->account + "(uid=1000)");
    }
    w.syslog(auth, u + 900000, "web01", "systemd-logind[498]", "The system will reboot now!");
    w.syslog("logs/web01/syslog", u + 1000000, "web01", "systemd[1]", "Stopping nginx.service - A high performance web server and a reverse proxy server...");
    w.syslog("logs/web01/kern.log", u + 40 * k_us, "web01", "kernel",
             "[    0.000000] Linux version 6.1.0-34-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.135-1 (2025-04-25)");
    w.syslog("logs/web01/syslog", u + 52 * k_us, "web01", "systemd[1]", "Started nginx.service - A high performance web server and a reverse proxy server.");
    w.syslog(auth, u + 50 * k_us, "web01", "sshd[611]", "Server listening on 0.0.0.0 port 22.");
}

}  // namespace

std::string internet_ip(rng& r) {
    // Blocks kept out (docs/demo.md, "Addresses"): named sites, crawlers, the CI runner and the
    // mail servers in 192.0.2.0/24; the company, SaaS, staff homes, S3 and story (b) in
    // 198.51.100.0/24; named sites and stories (a) and (d) in 203.0.113.0/24.
    for (;;) {
        int net = static_cast<int>(r.below(3));
        int host = static_cast<int>(r.range(1, 254));
        if (net == 0) {
            if ((host >= 20 && host < 80) || host >= 195) continue;
            return "192.0.2." + std::to_string(host);
        }
        if (net == 1) {
            if (host < 16 || host >= 240 || (host >= 50 && host < 60) || (host >= 100 && host < 140) || host == 200)
                continue;
            return "198.51.100." + std::to_string(host);
        }
        if ((host >= 64 && host < 96) || (host >= 140 && host < 150) || (host >= 10 && host < 40)) continue;
        return "203.0.113." + std::to_string(host);
    }
}

void register_country(world& w, const std::string& ip, rng& r, const std::string& what) {
    const auto& c = k_countries[r.below(std::size(k_countries))];
    w.geo_of(ip, c[0], c[1], what);
}

void benign_activity(world& w) {
    w.worktime.assign(w.people.size(), std::vector<std::pair<usec, usec>>(static_cast<std::size_t>(w.days), {0, 0}));
    for (int day = 0; day < w.days; ++day) {
        for (const auto& p : w.people) person_day(w, p, day);
        backups(w, day);
        cron_and_admin(w, day);
        internet_noise(w, day);
        website(w, day);
        cloud_background(w, day);
    }
    admin_events(w);
    patch_night(w);
}

}  // namespace mimamori::demo
