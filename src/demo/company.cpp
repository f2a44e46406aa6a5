// The company: departments, 40 staff with Japanese names, their PCs, shifts, leave and
// remote-work days, the servers, and the context files (roster, absences, shifts, holidays,
// hosts, the demo's GeoIP table). Everything is drawn from the seed.
#include <algorithm>
#include <cstdio>

#include "demo/world.hpp"

namespace mimamori::demo {

namespace {

struct name_pair {
    const char* romaji;
    const char* kanji;
};

constexpr name_pair k_family[] = {
    {"sato", "佐藤"},      {"suzuki", "鈴木"},   {"takahashi", "高橋"}, {"tanaka", "田中"},   {"ito", "伊藤"},
    {"watanabe", "渡辺"},  {"yamamoto", "山本"}, {"nakamura", "中村"},  {"kobayashi", "小林"}, {"kato", "加藤"},
    {"yoshida", "吉田"},   {"yamada", "山田"},   {"sasaki", "佐々木"},  {"yamaguchi", "山口"}, {"matsumoto", "松本"},
    {"inoue", "井上"},     {"kimura", "木村"},   {"hayashi", "林"},     {"saito", "斎藤"},    {"shimizu", "清水"},
    {"yamazaki", "山崎"},  {"mori", "森"},       {"ikeda", "池田"},     {"hashimoto", "橋本"}, {"abe", "阿部"},
    {"ishikawa", "石川"},  {"yamashita", "山下"}, {"nakajima", "中島"}, {"ishii", "石井"},    {"ogawa", "小川"},
    {"maeda", "前田"},     {"okada", "岡田"},    {"hasegawa", "長谷川"}, {"fujita", "藤田"},  {"goto", "後藤"},
    {"kondo", "近藤"},     {"murakami", "村上"}, {"endo", "遠藤"},      {"aoki", "青木"},     {"sakamoto", "坂本"},
    {"fujii", "藤井"},     {"nishimura", "西村"}, {"fukuda", "福田"},   {"ota", "太田"},      {"miura", "三浦"},
};

constexpr name_pair k_given[] = {
    {"kenta", "健太"},   {"shota", "翔太"},   {"daisuke", "大輔"}, {"takuya", "拓也"}, {"naoki", "直樹"},
    {"makoto", "誠"},    {"hiroshi", "浩"},   {"takashi", "隆"},   {"misaki", "美咲"}, {"yoko", "陽子"},
    {"megumi", "恵"},    {"yumi", "由美"},    {"naoko", "直子"},   {"aya", "彩"},      {"ai", "愛"},
    {"yuko", "優子"},    {"mayumi", "真由美"}, {"kenichi", "健一"}, {"kazuya", "和也"}, {"hiroko", "裕子"},
    {"akemi", "明美"},   {"ryo", "亮"},       {"yuto", "悠斗"},    {"sakura", "さくら"}, {"yui", "結衣"},
    {"hiroto", "大翔"},  {"ren", "蓮"},       {"hina", "陽菜"},    {"tomoko", "智子"}, {"tsuyoshi", "剛"},
    {"satoshi", "聡"},   {"emi", "恵美"},     {"jun", "淳"},       {"kaori", "香織"},  {"minoru", "稔"},
};

struct dept_plan {
    const char* code;
    const char* en;
    const char* ja;
    const char* share;
    int size;
};
constexpr dept_plan k_depts[] = {
    {"MGT", "Management", "経営企画", "Keiei", 3}, {"SLS", "Sales", "営業部", "Eigyo", 10},
    {"FIN", "Finance", "経理部", "Keiri", 4},      {"HR", "HR & General Affairs", "総務人事部", "Jinji", 4},
    {"DEV", "Development", "開発部", "Kaihatsu", 12}, {"SUP", "Customer Support", "サポート部", "Support", 6},
    {"IT", "IT", "情報システム", "IT", 1},
};

}  // namespace

void make_company(world& w) {
    rng r = derive(w.seed, "company");
    for (const auto& d : k_depts) w.depts.push_back(department{d.code, d.en, d.ja, d.share});

    std::vector<int> fam(std::size(k_family)), giv(std::size(k_given));
    for (std::size_t i = 0; i < fam.size(); ++i) fam[i] = static_cast<int>(i);
    for (std::size_t i = 0; i < giv.size(); ++i) giv[i] = static_cast<int>(i);
    r.shuffle(fam);
    r.shuffle(giv);

    // Workdays of the period, for leave and remote days.
    std::vector<int> workdays;
    for (int d = 0; d < w.days; ++d)
        if (w.cal[static_cast<std::size_t>(d)].workday) workdays.push_back(d);
    // Bridge days (a workday between a holiday or weekend and another): many take leave.
    std::vector<int> bridges;
    for (int d : workdays) {
        bool before = d > 0 && !w.cal[static_cast<std::size_t>(d - 1)].workday;
        bool after = d + 1 < w.days && !w.cal[static_cast<std::size_t>(d + 1)].workday;
        bool near_holiday = (d > 0 && w.cal[static_cast<std::size_t>(d - 1)].holiday) ||
                            (d + 1 < w.days && w.cal[static_cast<std::size_t>(d + 1)].holiday);
        if (before && after && near_holiday) bridges.push_back(d);
    }

    int idx = 0;
    for (const auto& d : k_depts) {
        for (int k = 0; k < d.size; ++k, ++idx) {
            person p;
            p.idx = idx;
            const auto& f = k_family[static_cast<std::size_t>(fam[static_cast<std::size_t>(idx)])];
            const auto& g = k_given[static_cast<std::size_t>(giv[static_cast<std::size_t>(idx % static_cast<int>(giv.size()))])];
            p.family = f.romaji;
            p.family_ja = f.kanji;
            p.given = g.romaji;
            p.given_ja = g.kanji;
            p.account = p.family + "." + p.given.substr(0, 1);
            for (const auto& q : w.people)
                if (q.account == p.account) p.account = p.family + "." + p.given.substr(0, 2);
            p.dept = d.code;
            p.title = k == 0 ? (std::string(d.code) == "MGT" ? "代表取締役" : "部長") : k == 1 && d.size > 4 ? "課長" : "";
            p.email = p.account + "@" + w.mail_domain;
            char buf[32];
            std::snprintf(buf, sizeof buf, "K%04d", 1001 + idx * 7 % 997);
            p.employee_id = buf;
            std::snprintf(buf, sizeof buf, "B%05d", 20000 + static_cast<int>(r.range(100, 9999)));
            p.badge = buf;
            std::snprintf(buf, sizeof buf, "%s-PC%02d", d.code, k + 1);
            p.pc = buf;
            p.ip = "192.168.10." + std::to_string(21 + idx);
            p.sid = w.domain_sid + "-" + std::to_string(1105 + idx);
            p.admin = std::string(d.code) == "IT";
            std::string code = d.code;
            if (code == "SUP") p.shift = k % 2 == 0 ? "early" : "late";
            else if (code == "DEV") p.shift = "flex";
            else p.shift = "day";
            p.remote_worker = code == "DEV" ? k < 8 : code == "SLS" ? k >= 8 : code == "IT";
            if (p.remote_worker) {
                p.home_ip = "198.51.100." + std::to_string(100 + idx);
                w.geo_of(p.home_ip, "Japan", "JP", "home broadband of " + p.account);
            }
            p.arrive_habit = static_cast<int>(r.range(-25, 5));
            p.overtime_habit = static_cast<int>(code == "DEV" || code == "SLS" ? r.range(10, 90) : r.range(0, 40));
            p.typo_per_mille = static_cast<int>(r.range(10, 90));

            // Paid leave: one or two random workdays, plus bridge days for about a third.
            int n_leave = static_cast<int>(r.range(0, 2));
            for (int i = 0; i < n_leave && !workdays.empty(); ++i) {
                int day = r.pick(workdays);
                if (!p.on_leave(day)) p.leave.push_back(day);
            }
            for (int b : bridges)
                if (r.chance(330) && !p.on_leave(b)) p.leave.push_back(b);
            // Remote days: fixed weekdays for developers, occasional for sales and IT.
            if (p.remote_worker) {
                int wd1 = static_cast<int>(r.range(1, 5)), wd2 = static_cast<int>(r.range(1, 5));
                for (int day : workdays) {
                    if (p.on_leave(day)) continue;
                    int wd = w.cal[static_cast<std::size_t>(day)].wd;
                    bool remote = code == "DEV" ? (wd == wd1 || wd == wd2) : r.chance(code == "IT" ? 60 : 150);
                    if (remote) p.remote.push_back(day);
                }
            }
            std::sort(p.leave.begin(), p.leave.end());
            w.people.push_back(p);
        }
    }

    w.hosts = {
        {"KAEDE-FGT60F", w.fgt_lan_ip, "UTM / firewall / SSL-VPN (WAN " + w.public_ip + ")", "FortiOS 7.2", ""},
        {"DC01", w.dc_ip, "Active Directory domain controller, DNS", "Windows Server 2022", ""},
        {"FS01", w.fs_ip, "file server (shares: Common, Keiei, Eigyo, Keiri, Jinji, Kaihatsu, Support, IT, Scans)",
         "Windows Server 2022", ""},
        {"NAS01", w.nas_ip, "backup NAS (pulls FS01 nightly, uploads to S3)", "Linux", ""},
        {"MFP01", w.mfp_ip, "multifunction printer (scan to FS01\\Scans)", "embedded", ""},
        {"web01", w.web_ip, "public web server (nginx), DMZ, VIP " + w.web_public, "Debian 12", ""},
        {"mail01", w.mail_ip, "mail server (Postfix, Dovecot), DMZ, VIP " + w.mail_public, "Debian 12", ""},
    };
    for (const auto& p : w.people)
        w.hosts.push_back(host_info{p.pc, p.ip, p.remote_worker ? "laptop" : "desktop", "Windows 11 Pro", p.account});
}

void write_context(world& w) {
    auto add = [&](const std::string& file, std::string line) { w.out.add(file, 0, std::move(line)); };
    add("context/roster.csv",
        "employee_id,account,family_name,given_name,name_ja,department,department_ja,title,email,badge_id,pc,pc_ip,"
        "shift,remote_worker,home_ip");
    for (const auto& p : w.people) {
        const department* d = nullptr;
        for (const auto& x : w.depts)
            if (x.code == p.dept) d = &x;
        add("context/roster.csv", p.employee_id + "," + p.account + "," + p.family + "," + p.given + "," + p.family_ja +
                                      " " + p.given_ja + "," + p.dept + "," + d->name_ja + "," + p.title + "," + p.email +
                                      "," + p.badge + "," + p.pc + "," + p.ip + "," + p.shift + "," +
                                      (p.remote_worker ? "yes" : "no") + "," + p.home_ip);
        if (p.admin)
            add("context/roster.csv", p.employee_id + "," + p.account + "-adm," + p.family + "," + p.given + "," +
                                          p.family_ja + " " + p.given_ja + "（管理者）," + p.dept + "," + d->name_ja +
                                          ",admin account,,,,,,,");
    }
    add("context/absences.csv", "date,account,kind");
    for (int day = 0; day < w.days; ++day)
        for (const auto& p : w.people) {
            std::string ds = format_date(w.cal[static_cast<std::size_t>(day)].d);
            if (p.on_leave(day)) add("context/absences.csv", ds + "," + p.account + ",paid_leave");
            else if (p.is_remote(day)) add("context/absences.csv", ds + "," + p.account + ",remote_work");
        }
    add("context/shifts.csv", "shift,start,end,days,notes");
    add("context/shifts.csv", "day,09:00,18:00,Mon-Fri,most staff");
    add("context/shifts.csv", "early,08:00,17:00,Mon-Fri,customer support (even members)");
    add("context/shifts.csv", "late,11:00,20:00,Mon-Fri,customer support (odd members)");
    add("context/shifts.csv", "flex,10:00,19:00,Mon-Fri,development: core time 10:00-15:00");
    add("context/holidays.csv", "date,name_ja,name_en");
    for (const auto& di : w.cal)
        if (di.holiday) add("context/holidays.csv", format_date(di.d) + "," + di.holiday_ja + "," + di.holiday_en);
    add("context/hosts.csv", "host,ip,role,os,owner");
    for (const auto& h : w.hosts) add("context/hosts.csv", h.name + "," + h.ip + ",\"" + h.role + "\"," + h.os + "," + h.owner);
    w.out.add("context/badge.csv", -(std::int64_t{1} << 62), "time,badge_id,door,direction");
}

}  // namespace mimamori::demo
