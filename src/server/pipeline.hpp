#pragma once
/// The daemon's pipeline: inputs → [message queue] → parse + detect thread → [batch queue] →
/// store thread. Inputs hand over raw messages in chunks; the parse thread turns them into
/// event batches with the project's parsers, runs the detection stage on each batch and passes
/// batch + alerts + the read checkpoints the batch reaches to the store thread, which commits
/// them in one transaction. Both queues are bounded: when the store falls behind, parsing
/// waits, the message queue fills, and inputs feel it (TCP and files wait, UDP counts drops).
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/event.hpp"
#include "parse/parser.hpp"
#include "server/metrics.hpp"
#include "server/queue.hpp"
#include "store/store.hpp"

namespace mimamori::server {

/// Where messages of one input (or one sender of it) go: the parser to try first and the source
/// type to stamp. Lives as long as the daemon.
struct route {
    std::string name;          ///< metrics label
    std::string format;        ///< parser name; empty = detect per message
    int preferred = -1;        ///< index of `format` in the pipeline's parser_set
    std::string source_type;   ///< overrides the parser's source type when set
    source_metrics* metrics = nullptr;
};

/// Completion of a chunk whose sender waits for the commit (HTTP ingest).
class ack {
public:
    void finish(bool ok, std::string why = {}) {
        {
            std::lock_guard lk(m_mu);
            m_done = true;
            m_ok = ok;
            m_error = std::move(why);
        }
        m_cv.notify_all();
    }
    /// True when committed; false on failure or timeout (`error()` says which).
    bool wait(std::chrono::milliseconds timeout) {
        std::unique_lock lk(m_mu);
        if (!m_cv.wait_for(lk, timeout, [&] { return m_done; })) {
            m_error = "timed out waiting for the store";
            return false;
        }
        return m_ok;
    }
    std::string error() {
        std::lock_guard lk(m_mu);
        return m_error;
    }

private:
    std::mutex m_mu;
    std::condition_variable m_cv;
    bool m_done = false, m_ok = false;
    std::string m_error;
};

struct input_message {
    std::uint32_t offset = 0, length = 0;  ///< in input_chunk::data
    std::uint64_t file_offset = 0;         ///< byte offset in the file (file inputs)
    const route* via = nullptr;
    std::int32_t peer = -1;                ///< index in input_chunk::peers, -1 = none
};

/// Messages from one input, handed over together.
struct input_chunk {
    std::string data;
    std::vector<input_message> messages;
    std::vector<std::string> peers;             ///< sender addresses (network inputs)
    std::string file;                           ///< log.file.path (file inputs)
    std::optional<store::checkpoint> checkpoint;  ///< how far the input is read after this chunk
    std::shared_ptr<ack> done;
    timestamp_ns received = 0;

    void add(std::string_view msg, const route* via, std::int32_t peer = -1, std::uint64_t file_offset = 0) {
        messages.push_back({static_cast<std::uint32_t>(data.size()), static_cast<std::uint32_t>(msg.size()), file_offset, via, peer});
        data.append(msg);
    }
    bool empty() const { return messages.empty() && !checkpoint && !done; }
    std::size_t weight() const { return messages.empty() ? 1 : messages.size(); }
};

/// The detection hook: sees every parsed batch before it is stored and returns alerts.
/// `process` and `reload` are called from the parse thread only, never concurrently.
class detect_stage {
public:
    virtual ~detect_stage() = default;
    /// Append alerts for events of `batch` (event_indexes refer to positions in it).
    virtual void process(const event_batch& batch, std::vector<store::alert_row>& alerts) = 0;
    /// Re-read rules and indicator lists (SIGHUP). On error the old ones stay in force.
    virtual status reload() { return {}; }
    /// Incidents that changed since the last call (new, grown, or re-keyed: `removed` names
    /// the keys that no longer exist). False when nothing changed.
    virtual bool incidents(std::vector<store::live_incident>& changed, std::vector<std::string>& removed) {
        (void)changed;
        (void)removed;
        return false;
    }
    /// The detection state worth keeping across restarts (correlation windows) as one blob;
    /// empty when nothing changed since the last call. `restore_state` is called once before
    /// the first batch with what was stored last.
    virtual std::string save_state() { return {}; }
    virtual status restore_state(const std::string& blob) {
        (void)blob;
        return {};
    }
};

struct pipeline_options {
    std::size_t queue_messages = 65536;
    std::size_t batch_events = 4096;
    int batch_delay_ms = 200;
    parse::options parse;
    store::retention_policy retention;
    int retention_every_s = 600;
    std::size_t group_events = 65536;  ///< a busy store commits queued batches together, up to this many events
    int incidents_every_ms = 1000;  ///< how often grown incidents are written to the store
    int state_every_s = 60;         ///< how often the correlation state is saved (and at stop)
};

class pipeline {
public:
    /// `db` is used by the store thread only. `detect` may be null (no detection).
    pipeline(const pipeline_options& opts, std::unique_ptr<store::store> db,
             std::unique_ptr<detect_stage> detect, metrics& m);
    ~pipeline();

    /// The parser set's index of a format name (-1 when unknown).
    int format_index(std::string_view name) const { return m_parsers.index_of(name); }
    bool has_format(std::string_view name) const { return format_index(name) >= 0; }

    status start();
    /// Inputs hand chunks over here. `push` waits for room (false: shutting down);
    /// `try_push` does not (false: full or shutting down).
    bool push(input_chunk&& c) {
        std::size_t w = c.weight();
        return m_raw.push(std::move(c), w);
    }
    bool try_push(input_chunk&& c) {
        std::size_t w = c.weight();
        return m_raw.try_push(std::move(c), w);
    }
    std::size_t queue_depth() const { return m_raw.weight(); }

    /// Ask the parse thread to reload detection before its next batch.
    void request_reload() { m_reload.store(true); }
    /// Stop taking input, process and commit everything queued, then return.
    void drain_and_stop();

    /// Checkpoints as stored at start (file followers resume from them).
    std::vector<store::checkpoint> initial_checkpoints() const { return m_initial_checkpoints; }

    /// Create the parser set the pipeline will use (exposed so format names can be checked
    /// before inputs start).
    static result<parse::parser_set> make_parsers(const parse::options& opts);

private:
    struct work {
        event_batch batch;
        store::prepared_batch prepared;  ///< done on the parse thread for the store thread
        std::vector<store::alert_row> alerts;
        std::vector<store::checkpoint> checkpoints;
        std::vector<std::shared_ptr<ack>> acks;
        std::vector<store::live_incident> incidents;
        std::vector<std::string> removed_incidents;
        std::string state;  ///< correlation state to save after this batch (empty = none)
        bool empty() const {
            return batch.empty() && alerts.empty() && checkpoints.empty() && acks.empty() && incidents.empty() &&
                   removed_incidents.empty() && state.empty();
        }
    };

    void parse_loop();
    void store_loop();
    void flush(work& w);

    pipeline_options m_opts;
    std::unique_ptr<store::store> m_db;
    std::unique_ptr<detect_stage> m_detect;
    metrics& m_metrics;
    parse::parser_set m_parsers;
    bounded_queue<input_chunk> m_raw;
    bounded_queue<std::unique_ptr<work>> m_batches;
    std::mutex m_spare_mu;
    std::vector<std::unique_ptr<work>> m_spare;
    std::thread m_parse_thread, m_store_thread;
    std::atomic<bool> m_reload{false};
    std::atomic<bool> m_stopping{false};
    std::vector<store::checkpoint> m_initial_checkpoints;
};

}  // namespace mimamori::server
