#pragma once
/// Batch reading of files and folders: the front half of `mimamori scan`. Walks the paths,
/// orders rotated files oldest first, picks a reader per file (whole-file formats such as EVTX
/// by their magic, otherwise lines with per-file format detection and per-line fallback), and
/// hands full batches to a sink. Nothing here is fatal: unreadable files and bad lines are
/// counted and described in `scan_stats`.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ingest/file_format.hpp"
#include "parse/parser.hpp"

namespace mimamori::ingest {

struct scan_options {
    parse::options parse;
    /// Force one line format (a name from `mimamori formats`); empty = detect per file.
    std::string format;
    std::size_t batch_size = 4096;
    /// How many malformed-record examples to keep per format.
    std::size_t max_examples = 5;
};

struct format_stats {
    std::uint64_t events = 0;     ///< records read in this format, good and malformed
    std::uint64_t malformed = 0;  ///< of which could not be parsed
    std::uint64_t bytes = 0;
    std::vector<std::string> examples;  ///< "file:line: reason"
};

struct scan_stats {
    std::map<std::string, format_stats> by_format;
    std::vector<std::string> file_errors;  ///< "path: reason" for inputs that could not be read
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    std::uint64_t events = 0;
    std::uint64_t malformed = 0;
};

/// The regular files under `paths` (folders recursively), rotated siblings oldest first
/// (`auth.log.2.gz`, `auth.log.1`, `auth.log`). Missing paths are reported in `errors`.
std::vector<std::string> collect_inputs(const std::vector<std::string>& paths,
                                        std::vector<std::string>& errors);

/// Read every input into batches for `sink`. Returns an error only for unusable options.
status scan_paths(const std::vector<std::string>& paths, const scan_options& opts,
                  const batch_sink& sink, scan_stats& stats);

}  // namespace mimamori::ingest
