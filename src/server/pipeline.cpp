#include "server/pipeline.hpp"

#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <map>

namespace mimamori::server {

namespace {

timestamp_ns now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void log_line(const std::string& s) { std::fprintf(stderr, "mimamori serve: %s\n", s.c_str()); }

constexpr std::string_view k_state_key = "correlation";

}  // namespace

result<parse::parser_set> pipeline::make_parsers(const parse::options& opts) { return parse::parser_set::create(opts); }

pipeline::pipeline(const pipeline_options& opts, std::unique_ptr<store::store> db, std::unique_ptr<detect_stage> detect,
                   metrics& m)
    : m_opts(opts),
      m_db(std::move(db)),
      m_detect(std::move(detect)),
      m_metrics(m),
      m_raw(opts.queue_messages),
      m_batches(8) {}

pipeline::~pipeline() {
    if (m_parse_thread.joinable() || m_store_thread.joinable()) drain_and_stop();
}

status pipeline::start() {
    auto ps = make_parsers(m_opts.parse);
    if (!ps) return ps.err();
    m_parsers = std::move(ps.value());
    auto cps = m_db->checkpoints();
    if (!cps) return cps.err();
    m_initial_checkpoints = std::move(cps.value());
    if (auto st = m_db->stats(); st) {
        m_metrics.alerts_total = st.value().alerts;
        m_metrics.incidents_total = st.value().incidents;
    }
    if (m_detect) {
        // Correlation windows open at the last stop (or the last periodic save) go on.
        auto blob = m_db->get_state(k_state_key);
        if (!blob) log_line("correlation state not read: " + blob.err().message);
        else if (auto st = m_detect->restore_state(blob.value()); !st)
            log_line("correlation state not restored (windows start empty): " + st.err().message);
    }
    m_metrics.raw_queue_depth = [this] { return static_cast<std::uint64_t>(m_raw.weight()); };
    m_metrics.raw_queue_capacity = [this] { return static_cast<std::uint64_t>(m_raw.capacity()); };
    m_metrics.batch_queue_depth = [this] { return static_cast<std::uint64_t>(m_batches.weight()); };
    m_parse_thread = std::thread([this] {
        pthread_setname_np(pthread_self(), "mm-parse");
        parse_loop();
    });
    m_store_thread = std::thread([this] {
        pthread_setname_np(pthread_self(), "mm-store");
        store_loop();
    });
    return {};
}

void pipeline::drain_and_stop() {
    m_stopping = true;
    m_raw.close();
    if (m_parse_thread.joinable()) m_parse_thread.join();
    m_batches.close();
    if (m_store_thread.joinable()) m_store_thread.join();
}

void pipeline::flush(work& w) {
    if (m_detect && !w.batch.empty()) {
        std::size_t before = w.alerts.size();
        m_detect->process(w.batch, w.alerts);
        m_metrics.alerts += w.alerts.size() - before;
    }
}

void pipeline::parse_loop() {
    static const field_id k_source_address = intern("log.source.address");
    parse::context ctx{&m_opts.parse, now_ns()};
    std::unique_ptr<work> w;
    std::map<std::string, store::checkpoint> cps;  // latest per input within this batch
    auto deadline = std::chrono::steady_clock::now();
    const auto delay = std::chrono::milliseconds(m_opts.batch_delay_ms);

    auto take_work = [&] {
        std::lock_guard lk(m_spare_mu);
        if (!m_spare.empty()) {
            w = std::move(m_spare.back());
            m_spare.pop_back();
        } else {
            w = std::make_unique<work>();
        }
    };
    auto last_incidents = std::chrono::steady_clock::now();
    auto last_state = last_incidents;
    auto incidents_every = std::chrono::steady_clock::duration(std::chrono::milliseconds(m_opts.incidents_every_ms));
    const auto state_every = std::chrono::seconds(m_opts.state_every_s);
    // Incidents and correlation state ride with a batch (after its alerts are stored), at most
    // every incidents_every / state_every, and always with the last one (`final`).
    auto derived = [&](bool final) {
        if (!m_detect) return;
        auto now = std::chrono::steady_clock::now();
        if (final || now - last_incidents >= incidents_every) {
            last_incidents = now;
            m_detect->incidents(w->incidents, w->removed_incidents);
            // Incidents are rebuilt from every alert held: when that grows costly, do it less
            // often, so it never takes more than ~5% of the parse thread.
            auto took = std::chrono::steady_clock::now() - now;
            incidents_every = std::max<std::chrono::steady_clock::duration>(std::chrono::milliseconds(m_opts.incidents_every_ms), 20 * took);
        }
        if (final || now - last_state >= state_every) {
            last_state = now;
            w->state = m_detect->save_state();
        }
    };
    auto hand_over = [&](bool final = false) {
        flush(*w);
        derived(final);
        // The fields JSON of each event, here rather than on the store thread (the busier one).
        if (!w->batch.empty()) w->prepared.prepare(w->batch);
        if (w->batch.empty() && cps.empty() && w->empty()) return;
        for (auto& [k, c] : cps) w->checkpoints.push_back(std::move(c));
        cps.clear();
        std::size_t n = 1;
        if (!m_batches.push(std::move(w), n)) {
            // Store thread gone (cannot happen before we close it); nothing sensible to do.
            log_line("internal: batch queue closed early");
        }
        take_work();
    };

    take_work();
    input_chunk c;
    while (true) {
        if (m_reload.exchange(false)) {
            if (!m_detect) m_metrics.reloads++;
            else if (auto st = m_detect->reload(); !st) log_line("reload failed, keeping the old rules: " + st.err().message);
            else m_metrics.reloads++;
        }
        auto now = std::chrono::steady_clock::now();
        bool have = !w->batch.empty() || !cps.empty() || !w->acks.empty();
        auto wait = have ? std::max(std::chrono::steady_clock::duration::zero(), deadline - now)
                         : std::chrono::steady_clock::duration(std::chrono::milliseconds(200));
        bool got = m_raw.pop(c, wait);
        if (!got) {
            if (m_raw.drained()) break;
            hand_over();  // a due batch, or incidents and state that are due
            continue;
        }
        if (!have) deadline = std::chrono::steady_clock::now() + delay;
        ctx.reference_time = c.received ? c.received : now_ns();
        auto& b = w->batch;
        std::string_view file_view;
        std::vector<std::string_view> peer_views(c.peers.size());
        for (const auto& m : c.messages) {
            std::string_view text(c.data.data() + m.offset, m.length);
            auto& e = b.begin();
            e.raw = b.copy(text);
            if (!c.file.empty()) {
                if (file_view.empty()) file_view = b.copy(c.file);
                e.file = file_view;
                e.offset = m.file_offset;
            }
            const route* r = m.via;
            m_parsers.parse(e.raw, r ? r->preferred : -1, ctx, b, e);
            if (r && !r->source_type.empty()) e.source_type = r->source_type;
            // A record without a usable time is filed under when it arrived, so time-bounded
            // searches and retention still see it.
            if (e.ts == k_no_time) e.ts = ctx.reference_time;
            if (m.peer >= 0) {
                auto& pv = peer_views[static_cast<std::size_t>(m.peer)];
                if (pv.empty()) pv = b.copy(c.peers[static_cast<std::size_t>(m.peer)]);
                // Parsers have committed the event; the sender's address is one more field of it.
                b.add(k_source_address, pv);
                b.commit();
            }
            if (r && r->metrics) {
                r->metrics->events.fetch_add(1, std::memory_order_relaxed);
                if (e.malformed()) r->metrics->parse_errors.fetch_add(1, std::memory_order_relaxed);
            }
        }
        if (c.checkpoint) cps[c.checkpoint->key] = std::move(*c.checkpoint);
        if (c.done) w->acks.push_back(std::move(c.done));
        c = input_chunk{};
        if (b.size() >= m_opts.batch_events || std::chrono::steady_clock::now() >= deadline || m_raw.weight() == 0)
            hand_over();
    }
    hand_over(true);
}

void pipeline::store_loop() {
    auto last_retention = std::chrono::steady_clock::now();
    bool retention = m_opts.retention.max_age_s > 0 || m_opts.retention.max_bytes > 0;
    std::vector<std::unique_ptr<work>> group;
    std::unique_ptr<work> w;
    // One transaction for several queued batches when the store falls behind: the pages a
    // commit writes (index leaves, full-text segments) are shared by more events, so a busy
    // store commits more per second. Each batch is still its own chain link and carries its
    // own checkpoints, so what a crash keeps is still exactly whole batches with theirs.
    auto store_group = [&]() -> status {
        if (auto st = m_db->begin_group(); !st) return st;
        for (auto& g : group) {
            status st;
            if (g->batch.empty() && g->alerts.empty()) {
                if (!g->checkpoints.empty()) st = m_db->put_checkpoints(g->checkpoints);
            } else {
                auto r = m_db->append(g->batch, g->alerts, g->checkpoints, g->prepared);
                if (!r) st = r.err();
            }
            if (!st) {
                m_db->rollback_group();
                return st;
            }
        }
        if (auto st = m_db->commit_group(); !st) {
            m_db->rollback_group();
            return st;
        }
        return {};
    };
    while (true) {
        bool got = m_batches.pop(w, std::chrono::milliseconds(500));
        if (got) {
            group.clear();
            std::size_t events = w->batch.size();
            group.push_back(std::move(w));
            while (events < m_opts.group_events && m_batches.pop(w, std::chrono::milliseconds(0))) {
                events += w->batch.size();
                group.push_back(std::move(w));
            }
            auto t0 = std::chrono::steady_clock::now();
            int attempt = 0;
            while (true) {
                status st = store_group();
                if (st) break;
                m_metrics.store_errors++;
                log_line("store: " + st.err().message + " (retrying)");
                // Nothing is acknowledged or checkpointed until it is stored: keep trying (a
                // full disk must not lose data); give up only when shutting down.
                if (m_stopping && ++attempt >= 5) {
                    for (auto& g : group) {
                        for (auto& a : g->acks) a->finish(false, st.err().message);
                        g->acks.clear();
                    }
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(std::min(2000, 100 << std::min(attempt, 4))));
                ++attempt;
            }
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            for (auto& g : group) {
                // Derived data after the batch it derives from: incidents link to stored alerts,
                // and the correlation state covers exactly the events stored so far.
                if (!g->incidents.empty() || !g->removed_incidents.empty()) {
                    if (auto st = m_db->upsert_incidents(g->incidents, g->removed_incidents); !st) {
                        m_metrics.store_errors++;
                        log_line("store: incidents: " + st.err().message);
                    } else if (auto n = m_db->select("SELECT count(*) FROM incidents", {}); n && !n.value().rows.empty()) {
                        const auto& v = n.value().rows[0].values.at(0);
                        if (std::holds_alternative<std::int64_t>(v))
                            m_metrics.incidents_total = static_cast<std::uint64_t>(std::get<std::int64_t>(v));
                    }
                }
                if (!g->state.empty())
                    if (auto st = m_db->put_state(k_state_key, g->state); !st) {
                        m_metrics.store_errors++;
                        log_line("store: correlation state: " + st.err().message);
                    }
                m_metrics.events_stored += g->batch.size();
                m_metrics.batches_stored++;
                m_metrics.alerts_total += g->alerts.size();
                for (auto& a : g->acks) a->finish(true);
                g->batch.clear();
                g->prepared.clear();
                g->alerts.clear();
                g->checkpoints.clear();
                g->acks.clear();
                g->incidents.clear();
                g->removed_incidents.clear();
                g->state.clear();
                std::lock_guard lk(m_spare_mu);
                if (m_spare.size() < 4) m_spare.push_back(std::move(g));
            }
            group.clear();
            m_metrics.last_commit_ns = now_ns();
            m_metrics.last_batch_seconds = secs;
        } else if (m_batches.drained()) {
            break;
        }
        if (retention && std::chrono::steady_clock::now() - last_retention > std::chrono::seconds(m_opts.retention_every_s)) {
            last_retention = std::chrono::steady_clock::now();
            auto r = m_db->apply_retention(m_opts.retention);
            if (!r) log_line("retention: " + r.err().message);
            else m_metrics.retention_deleted += r.value().events_deleted;
        }
    }
}

}  // namespace mimamori::server
