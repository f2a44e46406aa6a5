#pragma once
/// Whole-file formats: inputs that are not one record per line (EVTX, pretty-printed JSON
/// exports). Each registers a sniffer and a reader; `scan` asks every sniffer before falling
/// back to line-by-line reading.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "parse/parser.hpp"

namespace mimamori::ingest {

/// Per-input counters a reader fills; malformed records are also emitted as malformed events.
struct read_stats {
    std::uint64_t records = 0;    ///< events emitted, good and malformed
    std::uint64_t malformed = 0;  ///< of which could not be parsed
};

/// Receives full batches; the batch is cleared after the call returns.
using batch_sink = std::function<void(event_batch&)>;

struct whole_file_format {
    std::string_view name;
    /// True when this format reads the file, judged from its first bytes (up to 4 KiB) and path.
    std::function<bool(std::string_view head, std::string_view path)> sniff;
    /// Read the whole file into batches. Errors inside the file (corrupt records) become
    /// malformed events and counts; the returned error is only for "could not read at all".
    std::function<status(const std::string& path, const parse::options& opts, event_batch& batch,
                         const batch_sink& sink, read_stats& stats)>
        read;
};

const std::vector<whole_file_format>& whole_file_formats();
bool register_whole_file_format(whole_file_format f);

}  // namespace mimamori::ingest
