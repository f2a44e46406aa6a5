#pragma once
/// The daemon's counters, exported at GET /metrics in the Prometheus text format and by
/// `mimamori status`. Every input gets a `source_metrics` entry at start-up (a listener, a
/// file input, the HTTP ingest); counters are atomics bumped by the thread that owns the work.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

namespace mimamori::server {

struct source_metrics {
    std::string name;   ///< "tcp:6514", "udp:514", "files:/var/log/auth.log*", "http"
    std::string kind;   ///< udp | tcp | tls | file | http
    std::atomic<std::uint64_t> messages{0};      ///< messages read (framed) from this input
    std::atomic<std::uint64_t> bytes{0};
    std::atomic<std::uint64_t> events{0};        ///< events parsed (good + malformed)
    std::atomic<std::uint64_t> parse_errors{0};  ///< events kept as malformed
    std::atomic<std::uint64_t> dropped{0};       ///< UDP datagrams dropped because the queue was full
    std::atomic<std::uint64_t> framing_errors{0};
    std::atomic<std::uint64_t> truncated{0};     ///< messages cut at max_message
    std::atomic<std::uint64_t> connections{0};   ///< open now (tcp/tls)
    std::atomic<std::uint64_t> connections_total{0};
    std::atomic<std::uint64_t> tls_handshake_errors{0};
    std::atomic<std::uint64_t> read_errors{0};   ///< files that could not be read
};

struct metrics {
    /// Stable addresses: inputs keep pointers to their entry.
    std::deque<source_metrics> sources;
    source_metrics& add_source(std::string name, std::string kind) {
        std::lock_guard lk(mu);
        auto& s = sources.emplace_back();
        s.name = std::move(name);
        s.kind = std::move(kind);
        return s;
    }

    std::atomic<std::uint64_t> events_stored{0};
    std::atomic<std::uint64_t> batches_stored{0};
    std::atomic<std::uint64_t> store_errors{0};
    std::atomic<std::uint64_t> alerts{0};          ///< alerts stored since start
    std::atomic<std::uint64_t> alerts_total{0};    ///< alerts in the store
    std::atomic<std::uint64_t> incidents_total{0};
    std::atomic<std::uint64_t> detect_errors{0};
    std::atomic<std::uint64_t> reloads{0};
    std::atomic<std::uint64_t> retention_deleted{0};
    std::atomic<std::uint64_t> http_requests{0};
    std::atomic<std::uint64_t> http_unauthorized{0};
    std::atomic<std::int64_t> last_commit_ns{0};
    std::atomic<double> last_batch_seconds{0};

    /// Read at render time (queue depths live in the queues).
    std::function<std::uint64_t()> raw_queue_depth, raw_queue_capacity, batch_queue_depth;
    /// More exposition text appended at render time (kernel UDP drops).
    std::function<std::string()> extra_prometheus;
    std::int64_t started_ns = 0;

    /// Prometheus exposition text.
    std::string prometheus() const;
    /// The same numbers as one JSON object (for /api/status).
    std::string json() const;

    mutable std::mutex mu;
};

}  // namespace mimamori::server
