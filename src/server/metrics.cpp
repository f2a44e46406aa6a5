#include "server/metrics.hpp"

#include <chrono>
#include <cstdio>

#include "core/event.hpp"

namespace mimamori::server {

namespace {

std::string label_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\' || c == '"') out.push_back('\\');
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out.push_back(c);
    }
    return out;
}

void family(std::string& out, const char* name, const char* type, const char* help) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
}

// A family with its one unlabelled sample.
void metric(std::string& out, const char* name, const char* type, const char* help, std::uint64_t v) {
    family(out, name, type, help);
    out += name;
    out += ' ';
    out += std::to_string(v);
    out += '\n';
}

}  // namespace

std::string metrics::prometheus() const {
    std::lock_guard lk(mu);
    std::string out;
    struct per_source {
        const char* name;
        const char* type;
        const char* help;
        const std::atomic<std::uint64_t> source_metrics::*field;
    };
    static const per_source k_per_source[] = {
        {"mimamori_messages_received_total", "counter", "Messages read from each input.", &source_metrics::messages},
        {"mimamori_bytes_received_total", "counter", "Bytes read from each input.", &source_metrics::bytes},
        {"mimamori_events_in_total", "counter", "Events parsed from each input (good and malformed).", &source_metrics::events},
        {"mimamori_parse_errors_total", "counter", "Events kept as malformed, per input.", &source_metrics::parse_errors},
        {"mimamori_dropped_total", "counter", "UDP datagrams dropped because the queue was full.", &source_metrics::dropped},
        {"mimamori_framing_errors_total", "counter", "Bad octet counts and truncated frames.", &source_metrics::framing_errors},
        {"mimamori_truncated_total", "counter", "Messages cut at max_message.", &source_metrics::truncated},
        {"mimamori_connections", "gauge", "Open TCP/TLS connections.", &source_metrics::connections},
        {"mimamori_connections_total", "counter", "TCP/TLS connections accepted.", &source_metrics::connections_total},
        {"mimamori_tls_handshake_errors_total", "counter", "Failed TLS handshakes.", &source_metrics::tls_handshake_errors},
        {"mimamori_read_errors_total", "counter", "Files that could not be read.", &source_metrics::read_errors},
    };
    for (const auto& f : k_per_source) {
        family(out, f.name, f.type, f.help);
        for (const auto& s : sources) {
            out += f.name;
            out += "{source=\"" + label_escape(s.name) + "\",kind=\"" + s.kind + "\"} ";
            out += std::to_string((s.*(f.field)).load(std::memory_order_relaxed));
            out += '\n';
        }
    }
    metric(out, "mimamori_queue_depth", "gauge", "Messages waiting to be parsed.", raw_queue_depth ? raw_queue_depth() : 0);
    metric(out, "mimamori_queue_capacity", "gauge", "Bound of the message queue.", raw_queue_capacity ? raw_queue_capacity() : 0);
    metric(out, "mimamori_batch_queue_depth", "gauge", "Parsed batches waiting to be stored.", batch_queue_depth ? batch_queue_depth() : 0);
    metric(out, "mimamori_events_stored_total", "counter", "Events committed to the store since start.", events_stored);
    metric(out, "mimamori_batches_stored_total", "counter", "Batches (transactions) committed since start.", batches_stored);
    metric(out, "mimamori_store_errors_total", "counter", "Failed store transactions (retried).", store_errors);
    metric(out, "mimamori_alerts_total", "counter", "Alerts raised since start.", alerts);
    metric(out, "mimamori_alerts_stored", "gauge", "Alerts in the store.", alerts_total);
    metric(out, "mimamori_incidents_stored", "gauge", "Incidents in the store.", incidents_total);
    metric(out, "mimamori_detect_errors_total", "counter", "Batches the detection stage failed on.", detect_errors);
    metric(out, "mimamori_reloads_total", "counter", "Rule and intel reloads (SIGHUP).", reloads);
    metric(out, "mimamori_retention_deleted_events_total", "counter", "Events removed by retention.", retention_deleted);
    metric(out, "mimamori_http_requests_total", "counter", "HTTP API requests.", http_requests);
    metric(out, "mimamori_http_unauthorized_total", "counter", "HTTP API requests refused for a missing or wrong token.", http_unauthorized);
    if (extra_prometheus) out += extra_prometheus();
    return out;
}

std::string metrics::json() const {
    std::lock_guard lk(mu);
    std::string out = "{\"sources\":[";
    bool first = true;
    for (const auto& s : sources) {
        if (!first) out += ',';
        first = false;
        out += "{\"name\":";
        append_json_string(out, s.name);
        out += ",\"kind\":\"" + s.kind + "\"";
        out += ",\"messages\":" + std::to_string(s.messages.load());
        out += ",\"events\":" + std::to_string(s.events.load());
        out += ",\"parse_errors\":" + std::to_string(s.parse_errors.load());
        out += ",\"dropped\":" + std::to_string(s.dropped.load());
        out += ",\"framing_errors\":" + std::to_string(s.framing_errors.load());
        out += ",\"connections\":" + std::to_string(s.connections.load());
        out += '}';
    }
    auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    out += "],\"queue_depth\":" + std::to_string(raw_queue_depth ? raw_queue_depth() : 0);
    out += ",\"queue_capacity\":" + std::to_string(raw_queue_capacity ? raw_queue_capacity() : 0);
    out += ",\"batch_queue_depth\":" + std::to_string(batch_queue_depth ? batch_queue_depth() : 0);
    out += ",\"events_stored\":" + std::to_string(events_stored.load());
    out += ",\"batches_stored\":" + std::to_string(batches_stored.load());
    out += ",\"store_errors\":" + std::to_string(store_errors.load());
    out += ",\"alerts\":" + std::to_string(alerts.load());
    out += ",\"alerts_stored\":" + std::to_string(alerts_total.load());
    out += ",\"incidents_stored\":" + std::to_string(incidents_total.load());
    out += ",\"reloads\":" + std::to_string(reloads.load());
    out += ",\"uptime_s\":" + std::to_string((now - started_ns) / 1'000'000'000);
    out += "}";
    return out;
}

}  // namespace mimamori::server
