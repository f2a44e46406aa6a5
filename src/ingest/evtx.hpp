#pragma once
/// Our own EVTX reader (docs/decisions/0001-evtx-reader.md says why not libevtx).
///
/// An EVTX file is a 4 KiB header and 64 KiB chunks; each chunk ("ElfChnk") holds records
/// ("**\0\0", size, record id, FILETIME, Binary XML, size again). Binary XML refers to names and
/// templates by offsets inside its chunk, so a chunk is decoded on its own: templates are compiled
/// once per chunk (cached by offset) into a small op list, and each record runs its template with
/// its substitution values straight into the windows::flattener — no XML text is rendered.
///
/// Damage is expected, not fatal: a chunk whose header is unreadable is skipped; a checksum
/// mismatch is reported and the chunk is still read record by record; a record that is cut,
/// mis-sized or undecodable is counted, reported as a malformed event (file, chunk, record) and
/// reading resumes at the next record signature. Every loop advances; decoding has a depth cap
/// and a work budget per record, so no input makes the reader loop or recurse without end.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/file_format.hpp"
#include "ingest/windows.hpp"

namespace mimamori::ingest::evtx {

/// One piece of damage found while reading.
struct problem {
    std::uint64_t chunk = 0;      ///< 0-based chunk index in the file
    std::uint64_t offset = 0;     ///< byte offset in the file
    std::uint64_t record_id = 0;  ///< record identifier, 0 when unknown
    std::string what;
};

/// What one file held.
struct file_stats {
    std::uint64_t chunks = 0;          ///< chunks with a valid signature
    std::uint64_t chunks_bad = 0;      ///< chunks skipped (bad header) or failing a checksum
    std::uint64_t records = 0;         ///< records decoded into events
    std::uint64_t records_bad = 0;     ///< records cut, mis-sized or undecodable
    std::uint64_t events = 0;            ///< events emitted (records + problem events)
    std::uint64_t malformed_events = 0;  ///< of which malformed (undecodable records, problems)
    bool header_ok = false;            ///< file header signature and checksum good
    std::vector<problem> problems;     ///< the first k_max_problems, in file order
    static constexpr std::size_t k_max_problems = 100;
};

struct reader_options {
    std::size_t batch_size = 4096;
    /// Emit one malformed event per problem (what `scan` wants); off for counting-only callers.
    bool emit_problems = true;
};

/// Read an EVTX image held in memory (a mapped file, or fuzzer input). `path` is provenance
/// only. Full batches go to `sink`; the last partial batch stays in `batch` and is also handed
/// to `sink` before returning. Returns an error only when the data is not EVTX at all.
status read_buffer(std::string_view data, std::string_view path, const parse::options& opts,
                   const reader_options& ropts, event_batch& batch, const batch_sink& sink,
                   file_stats& st);

/// Map the file and read it with read_buffer.
status read_file(const std::string& path, const parse::options& opts, const reader_options& ropts,
                 event_batch& batch, const batch_sink& sink, file_stats& st);

/// True when `head` starts with the EVTX file signature "ElfFile\0".
bool sniff(std::string_view head);

}  // namespace mimamori::ingest::evtx
