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

void sample(std::string& out, const char* name, std::uint64_t v) {
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
    family(out, "mimamori_queue_depth", "gauge", "Messages waiting to be parsed.");
    sample(out, "mimamori_queue_depth", raw_queue_depth ? raw_queue_depth() : 0);
    family(out, "mimamori_queue_capacity", "gauge", "Bound of the message queue.");
    sample(out, "mimamori_queue_capacity", raw_queue_capacity ? raw_queue_capacity() : 0);
    family(out, "mimamori_batch_queue_depth", "gauge", "Parsed batches waiting to be stored.");
    sample(out, "mimamori_batch_queue_depth", batch_queue_depth ? batch_queue_depth() : 0);
    family(out, "mimamori_events_stored_total", "counter", "Events committed to the store since start.");
    sample(out, "mimamori_events_stored_total", events_stored);
    family(out, "mimamori_batches_stored_total", "counter", "Batches (transactions) committed since start.");
    sample(out, "mimamori_batches_stored_total", batches_stored);
    family(out, "mimamori_store_errors_total", "counter", "Failed store transactions (retried).");
    sample(out, "mimamori_store_errors_total", store_errors);
    family(out, "mimamori_alerts_total", "counter", "Alerts raised since start.");
    sample(out, "mimamori_alerts_total", alerts);
    family(out, "mimamori_alerts_stored", "gauge", "Alerts in the store.");
    sample(out, "mimamori_alerts_stored", alerts_total);
    family(out, "mimamori_incidents_stored", "gauge", "Incidents in the store.");
    sample(out, "mimamori_incidents_stored", incidents_total);
    family(out, "mimamori_detect_errors_total", "counter", "Batches the detection stage failed on.");
    sample(out, "mimamori_detect_errors_total", detect_errors);
    family(out, "mimamori_reloads_total", "counter", "Rule and intel reloads (SIGHUP).");
    sample(out, "mimamori_reloads_total", reloads);
    family(out, "mimamori_retention_deleted_events_total", "counter", "Events removed by retention.");
    sample(out, "mimamori_retention_deleted_events_total", retention_deleted);
    family(out, "mimamori_http_requests_total", "counter", "HTTP API requests.");
    sample(out, "mimamori_http_requests_total", http_requests);
    family(out, "mimamori_http_unauthorized_total", "counter", "HTTP API requests refused for a missing or wrong token.");
    sample(out, "mimamori_http_unauthorized_total", http_unauthorized);
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
