// `mimamori demo generate`: build the company, plan the stories, write a month of benign
// activity and the attacks, then the files and the ground truth (labels.json).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "demo/demo.hpp"
#include "demo/world.hpp"

namespace mimamori::demo {

namespace fs = std::filesystem;

namespace {

std::string format_of(const std::string& path) {
    if (path.rfind("context/", 0) == 0) return "";
    if (path.rfind("logs/fortigate/", 0) == 0) return "kv";
    if (path.rfind("logs/windows/", 0) == 0) return "windows.json";
    if (path.rfind("logs/aws/", 0) == 0) return "json";
    if (path.find("/nginx/") != std::string::npos) return "web.access";
    return "syslog";
}

void append_list(std::string& out, const std::vector<std::string>& v) {
    out += "[";
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) out += ",";
        out += js(v[i]);
    }
    out += "]";
}

// Evidence grouped by file: parallel arrays of line numbers and byte offsets.
void append_evidence(std::string& o, const std::vector<evidence_line>& evl) {
    std::size_t i = 0;
    bool first_file = true;
    while (i < evl.size()) {
        std::size_t j = i;
        while (j < evl.size() && evl[j].file == evl[i].file) ++j;
        if (!first_file) o += ",";
        first_file = false;
        o += "\n            {\"file\": " + js(evl[i].file) + ", \"lines\": [";
        for (std::size_t q = i; q < j; ++q) o += (q > i ? "," : "") + std::to_string(evl[q].line);
        o += "], \"offsets\": [";
        for (std::size_t q = i; q < j; ++q) o += (q > i ? "," : "") + std::to_string(evl[q].offset);
        o += "]}";
        i = j;
    }
}

std::string labels_json(const world& w, const generate_options& opts, const std::vector<story_meta>& stories,
                         const std::vector<generated_file>& files) {
    const auto& steps = w.out.steps();
    const auto& ev = w.out.evidence();
    std::string o;
    o += "{\n  \"version\": 1,\n";
    o += "  \"generator\": {\"seed\": " + std::to_string(opts.seed) + ", \"start\": " + js(opts.start) +
         ", \"days\": " + std::to_string(opts.days) + ", \"timezone\": \"Asia/Tokyo\"},\n";
    o += "  \"company\": {\"name\": " + js(w.company_en) + ", \"name_ja\": " + js(w.company_ja) + ", \"ad_domain\": " +
         js(w.ad_dns) + ", \"mail_domain\": " + js(w.mail_domain) + ", \"staff\": " + std::to_string(w.people.size()) +
         ", \"public_ip\": " + js(w.public_ip) + ", \"aws_account\": " + js(w.aws_account) + "},\n";
    o += "  \"files\": [\n";
    for (std::size_t i = 0; i < files.size(); ++i) {
        const auto& f = files[i];
        o += "    {\"path\": " + js(f.path) + ", \"format\": " + js(f.format) + ", \"records\": " + std::to_string(f.records) +
             ", \"bytes\": " + std::to_string(f.bytes) + "}";
        o += i + 1 < files.size() ? ",\n" : "\n";
    }
    o += "  ],\n  \"stories\": [\n";
    for (std::size_t si = 0; si < stories.size(); ++si) {
        const auto& s = stories[si];
        usec first = 0, last = 0;
        std::size_t count = 0;
        for (std::size_t i = 0; i < steps.size(); ++i) {
            if (steps[i].story != s.id) continue;
            for (const auto& e : ev[i]) {
                if (count == 0 || e.ts < first) first = e.ts;
                if (count == 0 || e.ts > last) last = e.ts;
                ++count;
            }
        }
        o += "    {\"id\": " + js(s.id) + ", \"title\": " + js(s.title) + ",\n     \"summary\": " + js(s.summary) + ",\n";
        o += "     \"first\": " + js(iso_utc(first, 6)) + ", \"last\": " + js(iso_utc(last, 6)) +
             ", \"records\": " + std::to_string(count) + ",\n";
        o += "     \"attacker_ips\": ";
        append_list(o, s.attacker_ips);
        o += ", \"accounts\": ";
        append_list(o, s.accounts);
        o += ", \"hosts\": ";
        append_list(o, s.hosts);
        o += ", \"indicators\": ";
        append_list(o, s.indicators);
        o += ",\n     \"notes\": ";
        append_list(o, s.notes);
        o += ",\n     \"stages\": [\n";
        bool first_stage = true;
        for (const char* stage : {"entry", "internal", "exit"}) {
            std::vector<std::size_t> idx;
            for (std::size_t i = 0; i < steps.size(); ++i)
                if (steps[i].story == s.id && steps[i].stage == stage) idx.push_back(i);
            if (idx.empty()) continue;
            if (!first_stage) o += ",\n";
            first_stage = false;
            o += "       {\"stage\": \"" + std::string(stage) + "\", \"steps\": [\n";
            for (std::size_t k = 0; k < idx.size(); ++k) {
                const auto& st = steps[idx[k]];
                const auto& evl = ev[idx[k]];
                o += "         {\"id\": " + js(st.id) + ", \"what\": " + js(st.what) + ", \"attack\": ";
                append_list(o, st.attack);
                usec f = evl.empty() ? 0 : evl.front().ts, l = f;
                for (const auto& e : evl) {
                    f = std::min(f, e.ts);
                    l = std::max(l, e.ts);
                }
                o += ", \"first\": " + js(iso_utc(f, 6)) + ", \"last\": " + js(iso_utc(l, 6)) +
                     ", \"records\": " + std::to_string(evl.size()) + ",\n          \"evidence\": [";
                append_evidence(o, evl);
                o += "]}";
                o += k + 1 < idx.size() ? ",\n" : "\n";
            }
            o += "       ]}";
        }
        o += "\n     ]}";
        o += si + 1 < stories.size() ? ",\n" : "\n";
    }
    o += "  ],\n";
    // Hostile but routine internet traffic (scanners, bots, spam): not a story, labelled so
    // that alerts on it are not counted as false alarms on staff activity.
    o += "  \"background\": [\n";
    bool first_bg = true;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].story != "background") continue;
        if (!first_bg) o += ",\n";
        first_bg = false;
        o += "    {\"id\": " + js(steps[i].id) + ", \"what\": " + js(steps[i].what) + ", \"attack\": ";
        append_list(o, steps[i].attack);
        o += ", \"records\": " + std::to_string(ev[i].size()) + ",\n     \"evidence\": [";
        append_evidence(o, ev[i]);
        o += "]}";
    }
    o += "\n  ]\n}\n";
    return o;
}

}  // namespace

result<generate_summary> generate(const std::string& out_dir, const generate_options& opts) {
    date start;
    if (!parse_date(opts.start, start))
        return error{"usage.start", "--start must be a date like 2025-04-14, not '" + opts.start + "'"};
    if (start.year < 2000 || start.year > 2098) return error{"usage.start", "--start must lie in 2000–2098"};
    if (opts.days < 7 || opts.days > 120) return error{"usage.days", "--days must be 7 … 120"};

    std::error_code ec;
    fs::path root(out_dir);
    for (const char* sub : {"logs", "context", "labels.json"}) {
        fs::path p = root / sub;
        if (!fs::exists(p, ec)) continue;
        if (!opts.force)
            return error{"io.exists", p.string() + " already exists; choose an empty folder or pass --force to replace it"};
        fs::remove_all(p, ec);
        if (ec) return error{"io.remove", "cannot remove " + p.string() + ": " + ec.message()};
    }
    fs::create_directories(root, ec);
    if (ec) return error{"io.mkdir", "cannot create " + out_dir + ": " + ec.message()};

    world w(opts.seed, start, opts.days);
    make_company(w);
    plan_stories(w);
    write_context(w);
    benign_activity(w);
    std::vector<story_meta> stories = attack_stories(w);
    w.out.add("context/ip_geo.csv", 0, "ip,country_code,country,what");
    std::vector<external_ip> geo = w.geo;
    std::sort(geo.begin(), geo.end(), [](const external_ip& a, const external_ip& b) { return a.ip < b.ip; });
    for (const auto& g : geo) w.out.add("context/ip_geo.csv", 0, g.ip + "," + g.country_code + ",\"" + g.country + "\",\"" + g.what + "\"");

    status st = w.out.write(out_dir);
    if (!st) return st.err();

    generate_summary sum;
    for (const auto& f : w.out.files()) {
        sum.files.push_back(generated_file{f.path, format_of(f.path), f.records, f.bytes});
        sum.records += f.records;
        sum.bytes += f.bytes;
    }
    std::string labels = labels_json(w, opts, stories, sum.files);
    {
        std::ofstream f(root / "labels.json", std::ios::binary | std::ios::trunc);
        f << labels;
        if (!f) return error{"io.write", "cannot write " + (root / "labels.json").string()};
    }
    sum.files.push_back(generated_file{"labels.json", "", 0, labels.size()});
    sum.bytes += labels.size();
    const auto& steps = w.out.steps();
    const auto& ev = w.out.evidence();
    for (const auto& s : stories) {
        usec first = 0, last = 0;
        bool any = false;
        for (std::size_t i = 0; i < steps.size(); ++i)
            if (steps[i].story == s.id)
                for (const auto& e : ev[i]) {
                    if (!any || e.ts < first) first = e.ts;
                    if (!any || e.ts > last) last = e.ts;
                    any = true;
                }
        sum.stories.push_back({s.id, s.title, iso_local(first, 0), iso_local(last, 0)});
    }
    return sum;
}

}  // namespace mimamori::demo
