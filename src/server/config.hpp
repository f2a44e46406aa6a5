#pragma once
/// The daemon's configuration (`mimamori serve -c mimamori.yaml`; examples/mimamori.yaml is the
/// commented reference). Loading checks everything it can up front and names the key at fault;
/// relative paths are resolved against the configuration file's folder.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace mimamori::server {

/// Source-type assignment for messages from one sender (an address or CIDR block).
struct sender_rule {
    std::string address;      ///< "192.0.2.1" or "192.0.2.0/24" or "2001:db8::/32"
    std::string format;       ///< parser to use (a name from `mimamori formats`); empty = detect
    std::string source_type;  ///< overrides the parser's source type when set
};

struct syslog_listener {
    std::string name;         ///< for metrics; defaults to "<protocol>:<port>"
    std::string protocol;     ///< udp | tcp | tls
    std::string address = "0.0.0.0";
    std::uint16_t port = 0;   ///< 0 = any free port (tests); the bound port is reported
    std::string framing = "auto";  ///< tcp/tls: auto | newline | octet (RFC 6587)
    std::string format;       ///< per-port parser; empty = detect per message
    std::string source_type;  ///< per-port source type override
    std::vector<sender_rule> senders;  ///< per-sender rules, first match wins, before the port's
    std::string cert, key, ca;         ///< tls: PEM files; ca set = clients must present a cert
    std::size_t max_message = 64 * 1024;
};

struct file_input {
    std::vector<std::string> paths;  ///< glob patterns
    std::string format;
    std::string source_type;
    bool read_archives = true;       ///< read matching .gz archives once at start
};

struct http_config {
    bool enabled = false;
    std::string address = "127.0.0.1";
    std::uint16_t port = 8514;
    std::string token;               ///< bearer token for /api/*
    bool metrics_need_token = false;
    std::size_t max_body = 64 * 1024 * 1024;
};

struct store_config {
    std::string path = "mimamori.db";
    std::int64_t retention_age_s = 0;
    std::uint64_t retention_bytes = 0;
    std::size_t batch_events = 4096;
    int batch_delay_ms = 200;
    int cache_mib = 256;
};

struct detect_config {
    bool enabled = true;
    bool builtin = true;             ///< also the built-in rule pack (rules/)
    std::vector<std::string> rules;  ///< Sigma rule files or folders
    std::vector<std::string> intel;  ///< indicator lists (issue 5)
};

struct config {
    std::string file;                ///< where it was loaded from
    store_config store;
    std::vector<syslog_listener> syslog;
    std::vector<file_input> files;
    http_config http;
    detect_config detect;
    std::string timezone = "UTC";
    std::string mappings_dir;
    std::size_t queue_messages = 65536;  ///< bound of the raw-message queue
    int poll_ms = 200;                   ///< file follower poll interval
    int retention_every_s = 600;
};

/// Load and check a configuration file.
result<config> load_config(const std::string& path);
/// Parse a configuration from text (`base_dir` resolves relative paths).
result<config> parse_config(const std::string& yaml_text, const std::string& base_dir);

/// "90d", "12h", "30m", "45s" or plain seconds → seconds; -1 when malformed.
std::int64_t parse_duration_s(const std::string& s);
/// "20GiB", "500MB", "1024" → bytes; 0 when malformed.
std::uint64_t parse_size(const std::string& s);

}  // namespace mimamori::server
