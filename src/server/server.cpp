#include "server/server.hpp"

#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <thread>

#include "query/query.hpp"
#include "server/files.hpp"
#include "server/listeners.hpp"

namespace mimamori::server {

namespace {

void log_line(const std::string& s) { std::fprintf(stderr, "mimamori serve: %s\n", s.c_str()); }

timestamp_ns now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool same_token(const std::string& a, const std::string& b) {
    // Constant time in the length of the configured token.
    if (a.size() != b.size()) return false;
    unsigned char d = 0;
    for (std::size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
    return d == 0;
}

std::string json_error(const std::string& msg, int column = 0) {
    std::string out = "{\"error\":";
    append_json_string(out, msg);
    if (column > 0) out += ",\"column\":" + std::to_string(column);
    out += "}";
    return out;
}

}  // namespace

struct daemon::impl {
    config cfg;
    metrics met;
    std::unique_ptr<pipeline> pipe;
    std::unique_ptr<listeners> net;
    std::unique_ptr<file_followers> follow;
    std::deque<route> routes;  // stable addresses
    std::unique_ptr<httplib::Server> http;
    std::thread http_thread;
    int http_port = 0;
    bool stopped = false;

    route& add_route(std::string name, const std::string& format, const std::string& source_type, source_metrics* sm) {
        auto& r = routes.emplace_back();
        r.name = std::move(name);
        r.format = format;
        r.preferred = format.empty() ? -1 : pipe->format_index(format);
        r.source_type = source_type;
        r.metrics = sm;
        return r;
    }

    bool authorized(const httplib::Request& req) {
        auto h = req.get_header_value("Authorization");
        const std::string prefix = "Bearer ";
        if (h.size() <= prefix.size() || h.compare(0, prefix.size(), prefix) != 0 ||
            !same_token(h.substr(prefix.size()), cfg.http.token)) {
            met.http_unauthorized++;
            return false;
        }
        return true;
    }

    status start_http(const route* ingest_route) {
        http = std::make_unique<httplib::Server>();
        http->set_payload_max_length(cfg.http.max_body);
        auto deny = [](httplib::Response& res) {
            res.status = 401;
            res.set_header("WWW-Authenticate", "Bearer");
            res.set_content(json_error("missing or wrong bearer token"), "application/json");
        };
        http->Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
            met.http_requests++;
            res.set_content("ok\n", "text/plain");
        });
        http->Get("/metrics", [this, deny](const httplib::Request& req, httplib::Response& res) {
            met.http_requests++;
            if (cfg.http.metrics_need_token && !authorized(req)) return deny(res);
            res.set_content(met.prometheus(), "text/plain; version=0.0.4");
        });
        http->Get("/api/status", [this, deny](const httplib::Request& req, httplib::Response& res) {
            met.http_requests++;
            if (!authorized(req)) return deny(res);
            std::string body = met.json();
            body.pop_back();
            body += ",\"store\":";
            append_json_string(body, cfg.store.path);
            body += ",\"pid\":" + std::to_string(::getpid()) + ",\"version\":\"0.1.0\"}";
            res.set_content(body, "application/json");
        });
        http->Post("/api/ingest", [this, deny, ingest_route](const httplib::Request& req, httplib::Response& res) {
            met.http_requests++;
            if (!authorized(req)) return deny(res);
            input_chunk c;
            c.received = now_ns();
            c.peers.push_back(req.remote_addr);
            std::string_view body(req.body);
            std::size_t pos = 0;
            while (pos < body.size()) {
                auto nl = body.find('\n', pos);
                auto end = nl == std::string_view::npos ? body.size() : nl;
                std::string_view line = body.substr(pos, end - pos);
                if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
                if (!line.empty()) c.add(line, ingest_route, 0);
                pos = end + 1;
            }
            std::size_t n = c.messages.size();
            ingest_route->metrics->messages += n;
            ingest_route->metrics->bytes += body.size();
            if (n == 0) {
                res.set_content("{\"accepted\":0}", "application/json");
                return;
            }
            auto done = std::make_shared<ack>();
            c.done = done;
            if (!pipe->push(std::move(c))) {
                res.status = 503;
                res.set_content(json_error("shutting down"), "application/json");
                return;
            }
            // Answer only once the events are committed: a 200 means stored.
            if (!done->wait(std::chrono::seconds(60))) {
                res.status = 503;
                res.set_content(json_error(done->error()), "application/json");
                return;
            }
            res.set_content("{\"accepted\":" + std::to_string(n) + "}", "application/json");
        });
        http->Get("/api/search", [this, deny](const httplib::Request& req, httplib::Response& res) {
            met.http_requests++;
            if (!authorized(req)) return deny(res);
            std::string q = req.get_param_value("q");
            query::time_range tr;
            auto now = now_ns();
            for (auto [name, dst] : {std::pair{"from", &tr.from}, std::pair{"to", &tr.to}}) {
                if (!req.has_param(name)) continue;
                if (!query::parse_time_spec(req.get_param_value(name), now, *dst)) {
                    res.status = 400;
                    res.set_content(json_error(std::string(name) + ": not a time (use -24h, 2024-03-01 or RFC 3339)"),
                                    "application/json");
                    return;
                }
            }
            query::compile_options opts;
            if (req.has_param("limit")) {
                try {
                    opts.default_limit = std::stoll(req.get_param_value("limit"));
                } catch (...) {
                    res.status = 400;
                    res.set_content(json_error("limit: not a number"), "application/json");
                    return;
                }
            }
            auto db = store::open_sqlite({.path = cfg.store.path, .read_only = true, .cache_mib = 64});
            if (!db) {
                res.status = 500;
                res.set_content(json_error(db.err().message), "application/json");
                return;
            }
            query::query_error qe;
            auto r = query::run(*db.value(), q, tr, opts, &qe);
            if (!r) {
                bool syntax = r.err().code.rfind("query.", 0) == 0;
                res.status = syntax ? 400 : 500;
                res.set_content(json_error(syntax ? qe.message : r.err().message, syntax ? qe.column : 0), "application/json");
                return;
            }
            const auto& sr = r.value();
            std::string body = "{\"columns\":[";
            for (std::size_t i = 0; i < sr.columns.size(); ++i) {
                if (i) body += ',';
                append_json_string(body, sr.columns[i]);
            }
            body += "],\"count\":" + std::to_string(sr.json_rows.size()) + ",\"took_ms\":" +
                    std::to_string(static_cast<long long>(sr.seconds * 1000)) + ",\"rows\":[";
            for (std::size_t i = 0; i < sr.json_rows.size(); ++i) {
                if (i) body += ',';
                body += sr.json_rows[i];
            }
            body += "]}";
            res.set_content(body, "application/json");
        });
        if (cfg.http.port == 0) {
            http_port = http->bind_to_any_port(cfg.http.address);
        } else {
            http_port = http->bind_to_port(cfg.http.address, cfg.http.port) ? cfg.http.port : -1;
        }
        if (http_port <= 0)
            return error{"serve.http", "cannot listen on http " + cfg.http.address + ":" + std::to_string(cfg.http.port)};
        http_thread = std::thread([this] { http->listen_after_bind(); });
        return {};
    }
};

result<std::unique_ptr<daemon>> daemon::start(const config& cfg, serve_options opts) {
    std::unique_ptr<daemon> d(new daemon());
    d->m = std::make_unique<impl>();
    auto& m = *d->m;
    m.cfg = cfg;
    m.met.started_ns = now_ns();

    pipeline_options po;
    po.queue_messages = cfg.queue_messages;
    po.batch_events = cfg.store.batch_events;
    po.batch_delay_ms = cfg.store.batch_delay_ms;
    po.retention.max_age_s = cfg.store.retention_age_s;
    po.retention.max_bytes = cfg.store.retention_bytes;
    po.retention_every_s = cfg.retention_every_s;
    auto zone = time_zone::load(cfg.timezone);
    if (!zone) return error{"config", "timezone: " + zone.err().message};
    po.parse.zone = zone.value();
    po.parse.mappings_dir = cfg.mappings_dir;

    auto db = store::open_sqlite({.path = cfg.store.path,
                                  .read_only = false,
                                  .cache_mib = cfg.store.cache_mib,
                                  .notice = log_line});
    if (!db) return db.err();
    m.pipe = std::make_unique<pipeline>(po, std::move(db.value()), std::move(opts.detect), m.met);
    if (auto st = m.pipe->start(); !st) return st.err();

    auto check_format = [&](const std::string& f, const std::string& where) -> status {
        if (!f.empty() && !m.pipe->has_format(f))
            return error{"config", where + ": unknown format '" + f + "' (see `mimamori formats`)"};
        return {};
    };

    // Routes: one per listener port and one per sender rule; one per file input; one for HTTP.
    std::vector<const route*> port_routes;
    std::vector<std::vector<sender_match>> sender_rules;
    for (const auto& l : cfg.syslog) {
        if (auto st = check_format(l.format, "syslog " + l.name); !st) return st.err();
        auto& sm = m.met.add_source(l.name, l.protocol);
        port_routes.push_back(&m.add_route(l.name, l.format, l.source_type, &sm));
        std::vector<sender_match> rules;
        for (const auto& s : l.senders) {
            sender_match sm2;
            if (!sender_match::parse(s.address, sm2))
                return error{"config", "syslog " + l.name + ": sender '" + s.address + "' is not an address or CIDR block"};
            if (auto st = check_format(s.format, "syslog " + l.name + " sender " + s.address); !st) return st.err();
            sm2.via = &m.add_route(l.name, s.format.empty() ? l.format : s.format,
                                   s.source_type.empty() ? l.source_type : s.source_type, &sm);
            rules.push_back(sm2);
        }
        sender_rules.push_back(std::move(rules));
    }
    std::vector<const route*> file_routes;
    for (const auto& f : cfg.files) {
        if (auto st = check_format(f.format, "files " + f.paths.at(0)); !st) return st.err();
        std::string name = "files:" + f.paths.at(0);
        auto& sm = m.met.add_source(name, "file");
        file_routes.push_back(&m.add_route(name, f.format, f.source_type, &sm));
    }
    const route* http_route = nullptr;
    if (cfg.http.enabled) {
        auto& sm = m.met.add_source("http", "http");
        http_route = &m.add_route("http", m.pipe->has_format("ndjson") ? "ndjson" : "", "", &sm);
    }

    m.net = std::make_unique<listeners>(*m.pipe, m.met);
    if (auto st = m.net->start(cfg.syslog, port_routes, sender_rules); !st) {
        m.net->stop();
        m.pipe->drain_and_stop();
        return st.err();
    }
    m.met.extra_prometheus = [net = m.net.get()] {
        std::string out = "# HELP mimamori_udp_kernel_drops_total Datagrams the kernel dropped on a full UDP socket buffer.\n"
                          "# TYPE mimamori_udp_kernel_drops_total counter\n";
        for (const auto& [name, n] : net->kernel_udp_drops())
            out += "mimamori_udp_kernel_drops_total{source=\"" + name + "\"} " + std::to_string(n) + "\n";
        return out;
    };
    if (http_route) {
        if (auto st = m.start_http(http_route); !st) {
            m.net->stop();
            m.pipe->drain_and_stop();
            return st.err();
        }
    }
    m.follow = std::make_unique<file_followers>(*m.pipe, m.met);
    if (auto st = m.follow->start(cfg.files, file_routes, m.pipe->initial_checkpoints(), cfg.poll_ms); !st) {
        d->stop();
        return st.err();
    }
    // The runtime file beside the store tells `mimamori status` where the API really listens
    // (port 0 in the configuration means "any").
    for (const auto& path : {opts.ready_file, runtime_file(cfg)}) {
        if (path.empty()) continue;
        std::string tmp = path + ".tmp";
        {
            std::ofstream out(tmp, std::ios::trunc);
            out << d->ready_json() << "\n";
        }
        if (std::rename(tmp.c_str(), path.c_str()) != 0) log_line("cannot write " + path);
    }
    return d;
}

std::string daemon::ready_json() const {
    std::string out = "{\"pid\":" + std::to_string(::getpid()) + ",\"http_port\":" + std::to_string(m->http_port) + ",\"listeners\":[";
    bool first = true;
    for (const auto& p : m->net->ports()) {
        if (!first) out += ',';
        first = false;
        out += "{\"name\":";
        append_json_string(out, p.name);
        out += ",\"protocol\":\"" + p.protocol + "\",\"port\":" + std::to_string(p.port) + "}";
    }
    out += "]}";
    return out;
}

void daemon::reload() { m->pipe->request_reload(); }

void daemon::stop() {
    if (m->stopped) return;
    m->stopped = true;
    // Inputs first (each hands over what it has read), then the pipeline commits it all.
    if (m->http) {
        m->http->stop();
        if (m->http_thread.joinable()) m->http_thread.join();
    }
    if (m->net) m->net->stop();
    if (m->follow) m->follow->stop();
    if (m->pipe) m->pipe->drain_and_stop();
    std::remove(runtime_file(m->cfg).c_str());
}

std::string runtime_file(const config& cfg) { return cfg.store.path + ".daemon.json"; }

daemon::~daemon() {
    if (m) stop();
}

}  // namespace mimamori::server
