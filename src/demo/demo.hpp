#pragma once
/// The sample company (`mimamori demo`): a deterministic generator of a month of logs of a
/// fictional 40-person Japanese company with four labelled attack stories, and the evaluation
/// of alerts against those labels. docs/demo.md describes the output folder, every file's
/// format, the stories and the label file.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace mimamori::demo {

struct generate_options {
    std::uint64_t seed = 7;
    std::string start = "2025-04-14";  ///< first day (local date, Asia/Tokyo)
    int days = 30;                     ///< 7 … 120
    bool force = false;                ///< replace logs/, context/ and labels.json if present
};

struct generated_file {
    std::string path;  ///< relative to the output folder
    std::string format;  ///< the format `mimamori scan` should detect ("" for context files)
    std::uint64_t records = 0, bytes = 0;
};

struct generate_summary {
    std::vector<generated_file> files;
    std::uint64_t records = 0, bytes = 0;
    /// Per story: id, title, first and last labelled time (RFC 3339 UTC).
    std::vector<std::vector<std::string>> stories;
};

/// Write OUT/logs/…, OUT/context/… and OUT/labels.json. Same options → byte-identical files.
result<generate_summary> generate(const std::string& out_dir, const generate_options& opts);

// --- evaluation -------------------------------------------------------------------------------

struct stage_score {
    std::string stage;
    std::size_t steps = 0, steps_hit = 0;
    std::size_t lines = 0, lines_hit = 0;  ///< labelled evidence records, and those an alert points at
    std::size_t alerts = 0;                ///< alerts whose evidence lies in this stage
    std::size_t near = 0;                  ///< alerts about the story's entities, in its time span and
                                           ///< this stage by their rule, but on unlabelled records
    bool detected() const { return steps_hit > 0; }
};

struct step_score {
    std::string id, stage, what;
    std::size_t records = 0, records_hit = 0, alerts = 0;
    std::vector<std::string> rules;  ///< titles of the rules whose alerts point at this step
};

struct story_score {
    std::string id, title;
    std::vector<step_score> steps;
    std::vector<stage_score> stages;  ///< entry, internal, exit (those present in the labels)
    stage_score total;                ///< the story as a whole (near counts alerts of any stage)
};

struct evaluation {
    std::vector<story_score> stories;
    std::size_t alerts = 0;        ///< alerts read
    std::size_t attributed = 0;    ///< with evidence in some story
    std::size_t background = 0;    ///< on labelled background hostility (scanners, bots, spam)
    std::size_t near = 0;          ///< not attributed, but about a story's entities in its span
    std::size_t unrelated = 0;     ///< the rest: alerts on benign activity (false alarms)
    std::size_t incidents = 0;     ///< incident lines (not scored: their alerts are)
    std::size_t unreadable = 0;    ///< NDJSON lines that were neither alerts nor incidents
    std::vector<std::pair<std::string, std::size_t>> top_unrelated;   ///< rule title → alerts
    std::vector<std::pair<std::string, std::size_t>> top_background;  ///< rule title → alerts
};

/// Score alerts (NDJSON as `mimamori scan --json` prints them, or aggregated alerts with
/// `evidence` and `entities`) against labels.json. An alert belongs to a story stage when one
/// of its evidence records (file + line, or file + byte offset) is labelled for it; file
/// names match by path suffix, so scanning OUT/ from anywhere works.
result<evaluation> evaluate(const std::string& labels_json, const std::string& alerts_ndjson);

/// The table `mimamori demo evaluate` prints; `steps` adds every labelled step with the rules
/// that found it.
std::string render_evaluation(const evaluation& ev, bool steps = false);

}  // namespace mimamori::demo
