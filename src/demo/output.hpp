#pragma once
/// Where generated records go before they become files. Records are collected per file in any
/// order, sorted by time when written, and only then get their line numbers and byte offsets —
/// which is why the ground truth (labels) is attached to records as they are made and resolved
/// to "file:line" at write time.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mimamori::demo {

/// Microseconds since 1970-01-01T00:00:00Z.
using usec = std::int64_t;

enum class file_kind : std::uint8_t {
    lines,       ///< one record per line
    winlogbeat,  ///< one JSON object per line; "\x01" + channel letter stands for the record id
    cloudtrail,  ///< {"Records":[ one record per line, comma-separated ]}
};

/// One labelled step of an attack story (a set of evidence records).
struct step_label {
    std::string story;   ///< "a", "b", …
    std::string stage;   ///< entry, internal, exit
    std::string id;      ///< "a.entry.vpn_spray"
    std::string what;    ///< one sentence
    std::vector<std::string> attack;  ///< ATT&CK technique ids
};

struct evidence_line {
    std::string file;  ///< relative to the output folder, '/'-separated
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
    usec ts = 0;
};

class output {
public:
    /// Say how a file is written (default: lines).
    void declare(const std::string& path, file_kind kind);
    /// Add a record to a file (path relative to the output folder). `step` is a label index
    /// from `step()`, or -1 for benign records.
    void add(const std::string& path, usec ts, std::string text, int step = -1);
    /// The index of a labelled step (created on first use; `what`/`attack` from that call).
    int step(const std::string& story, const std::string& stage, const std::string& id, const std::string& what,
             std::vector<std::string> attack = {});

    /// Sort and write every file under `dir`. Fills the evidence of each step.
    status write(const std::string& dir);

    const std::vector<step_label>& steps() const { return m_steps; }
    /// Evidence per step (same index as steps()), after write().
    const std::vector<std::vector<evidence_line>>& evidence() const { return m_evidence; }

    struct file_summary {
        std::string path;
        std::uint64_t records = 0, bytes = 0;
    };
    const std::vector<file_summary>& files() const { return m_written; }

private:
    struct record {
        usec ts;
        std::uint64_t seq;
        std::string text;
        int step;
    };
    struct file_data {
        file_kind kind = file_kind::lines;
        std::vector<record> records;
    };
    std::map<std::string, file_data> m_files;
    std::vector<step_label> m_steps;
    std::map<std::string, int> m_step_index;
    std::vector<std::vector<evidence_line>> m_evidence;
    std::vector<file_summary> m_written;
    std::uint64_t m_seq = 0;
};

}  // namespace mimamori::demo
