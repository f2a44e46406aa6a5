#include "server/config.hpp"

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mimamori::server {

namespace fs = std::filesystem;

std::int64_t parse_duration_s(const std::string& s) {
    if (s.empty()) return -1;
    std::size_t i = 0;
    std::int64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
    if (i == 0) return -1;
    std::string unit = s.substr(i);
    if (unit.empty() || unit == "s") return v;
    if (unit == "m") return v * 60;
    if (unit == "h") return v * 3600;
    if (unit == "d") return v * 86400;
    if (unit == "w") return v * 7 * 86400;
    return -1;
}

std::uint64_t parse_size(const std::string& s) {
    std::size_t i = 0;
    std::uint64_t v = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + static_cast<std::uint64_t>(s[i++] - '0');
    if (i == 0) return 0;
    std::string unit = s.substr(i);
    while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
    if (unit.empty() || unit == "B") return v;
    if (unit == "K" || unit == "KB") return v * 1000;
    if (unit == "KiB") return v << 10;
    if (unit == "M" || unit == "MB") return v * 1000 * 1000;
    if (unit == "MiB") return v << 20;
    if (unit == "G" || unit == "GB") return v * 1000 * 1000 * 1000;
    if (unit == "GiB") return v << 30;
    if (unit == "T" || unit == "TB") return v * 1000ULL * 1000 * 1000 * 1000;
    if (unit == "TiB") return v << 40;
    return 0;
}

namespace {

struct bad_config {
    std::string message;
};

std::string resolve(const std::string& base, const std::string& p) {
    if (p.empty() || p[0] == '/' || base.empty()) return p;
    return (fs::path(base) / p).lexically_normal().string();
}

std::string where(const YAML::Node& n) {
    auto m = n.Mark();
    return m.line >= 0 ? " (line " + std::to_string(m.line + 1) + ")" : "";
}

std::string str(const YAML::Node& n, const std::string& key) {
    if (!n.IsScalar()) throw bad_config{key + ": expected a single value" + where(n)};
    return n.as<std::string>();
}

template <typename T>
T num(const YAML::Node& n, const std::string& key, T lo, T hi) {
    long long v = 0;
    try {
        v = n.as<long long>();
    } catch (const YAML::Exception&) {
        throw bad_config{key + ": expected a number" + where(n)};
    }
    if (v < static_cast<long long>(lo) || v > static_cast<long long>(hi))
        throw bad_config{key + ": " + std::to_string(v) + " is out of range" + where(n)};
    return static_cast<T>(v);
}

std::vector<std::string> str_list(const YAML::Node& n, const std::string& key) {
    std::vector<std::string> out;
    if (n.IsScalar()) out.push_back(n.as<std::string>());
    else if (n.IsSequence())
        for (const auto& x : n) out.push_back(str(x, key));
    else
        throw bad_config{key + ": expected a value or a list" + where(n)};
    return out;
}

void check_keys(const YAML::Node& n, const std::string& ctx, std::initializer_list<std::string_view> allowed) {
    if (!n.IsMap()) throw bad_config{ctx + ": expected a mapping" + where(n)};
    for (const auto& kv : n) {
        auto k = kv.first.as<std::string>();
        bool ok = false;
        for (auto a : allowed) ok |= a == k;
        if (!ok) throw bad_config{ctx + ": unknown key '" + k + "'" + where(kv.first)};
    }
}

std::string read_token(const YAML::Node& http, const std::string& base) {
    if (http["token"]) return str(http["token"], "http.token");
    if (http["token_file"]) {
        auto p = resolve(base, str(http["token_file"], "http.token_file"));
        std::ifstream in(p);
        if (!in) throw bad_config{"http.token_file: cannot read " + p};
        std::string t;
        std::getline(in, t);
        while (!t.empty() && (t.back() == '\r' || t.back() == ' ')) t.pop_back();
        return t;
    }
    if (const char* env = std::getenv("MIMAMORI_TOKEN")) return env;
    return {};
}

config parse(const YAML::Node& root, const std::string& base) {
    config c;
    if (!root || root.IsNull()) return c;
    check_keys(root, "configuration", {"store", "syslog", "files", "http", "detect", "timezone", "mappings", "queue", "poll_ms"});
    if (auto s = root["store"]) {
        check_keys(s, "store", {"path", "retention", "batch", "cache_mib"});
        if (s["path"]) c.store.path = resolve(base, str(s["path"], "store.path"));
        if (auto r = s["retention"]) {
            check_keys(r, "store.retention", {"max_age", "max_size", "every"});
            if (r["max_age"]) {
                c.store.retention_age_s = parse_duration_s(str(r["max_age"], "store.retention.max_age"));
                if (c.store.retention_age_s < 0)
                    throw bad_config{"store.retention.max_age: write it like 90d, 12h or 30m" + where(r["max_age"])};
            }
            if (r["max_size"]) {
                c.store.retention_bytes = parse_size(str(r["max_size"], "store.retention.max_size"));
                if (c.store.retention_bytes == 0)
                    throw bad_config{"store.retention.max_size: write it like 20GiB or 500MB" + where(r["max_size"])};
            }
            if (r["every"]) {
                auto e = parse_duration_s(str(r["every"], "store.retention.every"));
                if (e <= 0) throw bad_config{"store.retention.every: write it like 10m" + where(r["every"])};
                c.retention_every_s = static_cast<int>(e);
            }
        }
        if (auto b = s["batch"]) {
            check_keys(b, "store.batch", {"max_events", "max_delay_ms"});
            if (b["max_events"]) c.store.batch_events = num<std::size_t>(b["max_events"], "store.batch.max_events", 1, 1'000'000);
            if (b["max_delay_ms"]) c.store.batch_delay_ms = num<int>(b["max_delay_ms"], "store.batch.max_delay_ms", 1, 60'000);
        }
        if (s["cache_mib"]) c.store.cache_mib = num<int>(s["cache_mib"], "store.cache_mib", 2, 65536);
    }
    if (auto l = root["syslog"]) {
        if (!l.IsSequence()) throw bad_config{"syslog: expected a list of listeners" + where(l)};
        for (const auto& n : l) {
            check_keys(n, "syslog", {"name", "protocol", "listen", "address", "port", "framing", "format", "source_type",
                                     "senders", "tls", "max_message"});
            syslog_listener s;
            if (!n["protocol"]) throw bad_config{"syslog: each listener needs a protocol (udp, tcp or tls)" + where(n)};
            s.protocol = str(n["protocol"], "syslog.protocol");
            if (s.protocol != "udp" && s.protocol != "tcp" && s.protocol != "tls")
                throw bad_config{"syslog.protocol: '" + s.protocol + "' is not udp, tcp or tls" + where(n["protocol"])};
            if (n["listen"]) {
                auto v = str(n["listen"], "syslog.listen");
                auto colon = v.rfind(':');
                if (colon == std::string::npos) throw bad_config{"syslog.listen: write it as ADDRESS:PORT" + where(n["listen"])};
                s.address = v.substr(0, colon);
                if (s.address.size() > 2 && s.address.front() == '[') s.address = s.address.substr(1, s.address.size() - 2);
                YAML::Node port(v.substr(colon + 1));
                s.port = num<std::uint16_t>(port, "syslog.listen port", 0, 65535);
            }
            if (n["address"]) s.address = str(n["address"], "syslog.address");
            if (n["port"]) s.port = num<std::uint16_t>(n["port"], "syslog.port", 0, 65535);
            if (n["framing"]) {
                s.framing = str(n["framing"], "syslog.framing");
                if (s.framing != "auto" && s.framing != "newline" && s.framing != "octet")
                    throw bad_config{"syslog.framing: '" + s.framing + "' is not auto, newline or octet" + where(n["framing"])};
            }
            if (n["format"]) s.format = str(n["format"], "syslog.format");
            if (n["source_type"]) s.source_type = str(n["source_type"], "syslog.source_type");
            if (n["max_message"]) s.max_message = parse_size(str(n["max_message"], "syslog.max_message"));
            if (s.max_message == 0) throw bad_config{"syslog.max_message: must be a size above 0" + where(n)};
            if (auto sn = n["senders"]) {
                if (!sn.IsSequence()) throw bad_config{"syslog.senders: expected a list" + where(sn)};
                for (const auto& x : sn) {
                    check_keys(x, "syslog.senders", {"address", "format", "source_type"});
                    sender_rule r;
                    if (!x["address"]) throw bad_config{"syslog.senders: each needs an address" + where(x)};
                    r.address = str(x["address"], "syslog.senders.address");
                    if (x["format"]) r.format = str(x["format"], "syslog.senders.format");
                    if (x["source_type"]) r.source_type = str(x["source_type"], "syslog.senders.source_type");
                    s.senders.push_back(std::move(r));
                }
            }
            if (auto t = n["tls"]) {
                check_keys(t, "syslog.tls", {"cert", "key", "ca"});
                if (t["cert"]) s.cert = resolve(base, str(t["cert"], "syslog.tls.cert"));
                if (t["key"]) s.key = resolve(base, str(t["key"], "syslog.tls.key"));
                if (t["ca"]) s.ca = resolve(base, str(t["ca"], "syslog.tls.ca"));
            }
            if (s.protocol == "tls" && (s.cert.empty() || s.key.empty()))
                throw bad_config{"syslog: a tls listener needs tls.cert and tls.key" + where(n)};
            if (s.name.empty()) s.name = n["name"] ? str(n["name"], "syslog.name") : s.protocol + ":" + std::to_string(s.port);
            c.syslog.push_back(std::move(s));
        }
    }
    if (auto l = root["files"]) {
        if (!l.IsSequence()) throw bad_config{"files: expected a list" + where(l)};
        for (const auto& n : l) {
            check_keys(n, "files", {"path", "paths", "format", "source_type", "read_archives"});
            file_input f;
            if (n["path"]) f.paths = str_list(n["path"], "files.path");
            if (n["paths"]) f.paths = str_list(n["paths"], "files.paths");
            if (f.paths.empty()) throw bad_config{"files: each entry needs path: (a glob pattern)" + where(n)};
            for (auto& p : f.paths) p = resolve(base, p);
            if (n["format"]) f.format = str(n["format"], "files.format");
            if (n["source_type"]) f.source_type = str(n["source_type"], "files.source_type");
            if (n["read_archives"]) f.read_archives = n["read_archives"].as<bool>();
            c.files.push_back(std::move(f));
        }
    }
    if (auto h = root["http"]) {
        check_keys(h, "http", {"listen", "token", "token_file", "metrics_need_token", "max_body", "enabled"});
        c.http.enabled = true;
        if (h["enabled"]) c.http.enabled = h["enabled"].as<bool>();
        if (h["listen"]) {
            auto v = str(h["listen"], "http.listen");
            auto colon = v.rfind(':');
            if (colon == std::string::npos) throw bad_config{"http.listen: write it as ADDRESS:PORT" + where(h["listen"])};
            c.http.address = v.substr(0, colon);
            YAML::Node port(v.substr(colon + 1));
            c.http.port = num<std::uint16_t>(port, "http.listen port", 0, 65535);
        }
        c.http.token = read_token(h, base);
        if (h["metrics_need_token"]) c.http.metrics_need_token = h["metrics_need_token"].as<bool>();
        if (h["max_body"]) c.http.max_body = parse_size(str(h["max_body"], "http.max_body"));
        if (c.http.enabled && c.http.token.size() < 16)
            throw bad_config{"http: set a token of at least 16 characters (http.token, http.token_file or MIMAMORI_TOKEN)"};
    }
    if (auto d = root["detect"]) {
        check_keys(d, "detect", {"enabled", "builtin", "rules", "intel"});
        if (d["enabled"]) c.detect.enabled = d["enabled"].as<bool>();
        if (d["builtin"]) c.detect.builtin = d["builtin"].as<bool>();
        if (d["rules"]) c.detect.rules = str_list(d["rules"], "detect.rules");
        if (d["intel"]) c.detect.intel = str_list(d["intel"], "detect.intel");
        for (auto& p : c.detect.rules) p = resolve(base, p);
        for (auto& p : c.detect.intel) p = resolve(base, p);
    }
    if (root["timezone"]) c.timezone = str(root["timezone"], "timezone");
    if (root["mappings"]) c.mappings_dir = resolve(base, str(root["mappings"], "mappings"));
    if (auto q = root["queue"]) {
        check_keys(q, "queue", {"max_messages"});
        if (q["max_messages"]) c.queue_messages = num<std::size_t>(q["max_messages"], "queue.max_messages", 16, 100'000'000);
    }
    if (root["poll_ms"]) c.poll_ms = num<int>(root["poll_ms"], "poll_ms", 10, 60'000);
    return c;
}

}  // namespace

result<config> parse_config(const std::string& text, const std::string& base_dir) {
    try {
        auto c = parse(YAML::Load(text), base_dir);
        return c;
    } catch (const bad_config& e) {
        return error{"config", e.message};
    } catch (const YAML::Exception& e) {
        return error{"config", std::string("YAML: ") + e.what()};
    }
}

result<config> load_config(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return error{"config", "cannot read configuration " + path};
    std::stringstream ss;
    ss << in.rdbuf();
    auto base = fs::absolute(fs::path(path)).parent_path().string();
    auto r = parse_config(ss.str(), base);
    if (!r) return error{r.err().code, path + ": " + r.err().message};
    r.value().file = path;
    return r;
}

}  // namespace mimamori::server
