#pragma once
/// File followers: tail every file that the configured glob patterns match, across rotation.
///
/// A file is known by its device and inode ("file:<dev>:<ino>"), so a rename (logrotate's
/// default) keeps its identity: the follower keeps reading the renamed file to its end and
/// starts the new file at the old path from its beginning. A file that shrinks below what was
/// read, or whose first bytes change, was truncated or replaced (copytruncate): it is read again
/// from the start. Only complete lines are handed over; the checkpoint stored with each batch
/// is the offset just past the last line in it, with a hash of the file's first bytes, so a
/// restart resumes exactly where the store ends — after a crash, too. Matching .gz archives are
/// read once at start (skipping what a checkpoint of the same content already covers).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/pipeline.hpp"

namespace mimamori::server {

class file_followers {
public:
    file_followers(pipeline& p, metrics& m);
    ~file_followers();

    status start(const std::vector<file_input>& inputs, const std::vector<const route*>& routes,
                 const std::vector<store::checkpoint>& initial, int poll_ms);
    /// Stop after the current read; what was handed over is committed by the pipeline.
    void stop();

    /// Polls completed (tests wait on this to know every file was looked at).
    std::uint64_t polls() const;

private:
    struct impl;
    std::unique_ptr<impl> m;
};

/// SHA-256 of bytes (raw 32 bytes).
std::string sha256(std::string_view data);

}  // namespace mimamori::server
