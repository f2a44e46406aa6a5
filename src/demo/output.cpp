#include "demo/output.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

namespace mimamori::demo {

namespace fs = std::filesystem;

void output::declare(const std::string& path, file_kind kind) { m_files[path].kind = kind; }

void output::add(const std::string& path, usec ts, std::string text, int step) {
    m_files[path].records.push_back(record{ts, m_seq++, std::move(text), step});
}

int output::step(const std::string& story, const std::string& stage, const std::string& id, const std::string& what,
                 std::vector<std::string> attack) {
    auto it = m_step_index.find(id);
    if (it != m_step_index.end()) return it->second;
    int idx = static_cast<int>(m_steps.size());
    m_steps.push_back(step_label{story, stage, id, what, std::move(attack)});
    m_evidence.emplace_back();
    m_step_index.emplace(id, idx);
    return idx;
}

namespace {

// Replace each "\x01" + channel letter by the next record id of that channel (Windows numbers
// records per channel; ids start at a per-file base so files do not all start at 1).
void fill_record_ids(std::string& text, std::map<char, std::uint64_t>& next_id, std::uint64_t base) {
    std::size_t p;
    while ((p = text.find('\x01')) != std::string::npos && p + 1 < text.size()) {
        char ch = text[p + 1];
        auto [it, fresh] = next_id.try_emplace(ch, base + static_cast<std::uint64_t>(ch) * 1000);
        text.replace(p, 2, std::to_string(it->second++));
    }
}

}  // namespace

status output::write(const std::string& dir) {
    m_written.clear();
    for (auto& ev : m_evidence) ev.clear();
    for (auto& [path, fd] : m_files) {
        auto& recs = fd.records;
        std::sort(recs.begin(), recs.end(), [](const record& a, const record& b) {
            return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
        });
        fs::path full = fs::path(dir) / path;
        std::error_code ec;
        fs::create_directories(full.parent_path(), ec);
        if (ec) return error{"io.mkdir", "cannot create " + full.parent_path().string() + ": " + ec.message()};
        std::ofstream f(full, std::ios::binary | std::ios::trunc);
        if (!f) return error{"io.open", "cannot write " + full.string()};
        std::string buf;
        buf.reserve(1 << 20);
        std::uint64_t offset = 0, line = 1;
        std::map<char, std::uint64_t> next_id;
        std::uint64_t base = 100000;
        for (char c : path) base = (base * 31 + static_cast<unsigned char>(c)) % 900000;
        base += 100000;
        if (fd.kind == file_kind::cloudtrail) {
            buf += "{\"Records\":[\n";
            line = 2;
        }
        for (std::size_t i = 0; i < recs.size(); ++i) {
            auto& r = recs[i];
            if (fd.kind == file_kind::winlogbeat) fill_record_ids(r.text, next_id, base);
            std::uint64_t at = offset + buf.size();
            if (r.step >= 0) m_evidence[static_cast<std::size_t>(r.step)].push_back(evidence_line{path, line, at, r.ts});
            buf += r.text;
            if (fd.kind == file_kind::cloudtrail && i + 1 < recs.size()) buf.push_back(',');
            buf.push_back('\n');
            ++line;
            if (buf.size() > (1 << 20)) {
                f.write(buf.data(), static_cast<std::streamsize>(buf.size()));
                offset += buf.size();
                buf.clear();
            }
        }
        if (fd.kind == file_kind::cloudtrail) buf += "]}\n";
        f.write(buf.data(), static_cast<std::streamsize>(buf.size()));
        offset += buf.size();
        if (!f) return error{"io.write", "cannot write " + full.string()};
        m_written.push_back(file_summary{path, recs.size(), offset});
    }
    for (auto& ev : m_evidence)
        std::sort(ev.begin(), ev.end(), [](const evidence_line& a, const evidence_line& b) {
            return a.file != b.file ? a.file < b.file : a.line < b.line;
        });
    return {};
}

}  // namespace mimamori::demo
