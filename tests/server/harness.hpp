#pragma once
// Test harness for the daemon: starts the real `mimamori serve` binary on loopback with port 0
// listeners (the daemon reports the ports it bound in its ready file), sends syslog over
// UDP/TCP/TLS, posts NDJSON, and queries the search API. Waits are polls with deadlines.
#include <cstdlib>
#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace harness {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

inline const std::string k_token = "test-token-0123456789abcdef";

struct temp_dir {
    fs::path path;
    temp_dir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("mimamori_srv_" + std::to_string(rd()) + std::to_string(::getpid()));
        fs::create_directories(path);
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& s) const { return (path / s).string(); }
};

/// Poll `pred` until it holds or `timeout` passes.
inline bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s,
                       std::chrono::milliseconds step = 20ms) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(step);
    }
    return pred();
}

inline std::string read_file(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline void write_file(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }
inline void append_file(const std::string& p, const std::string& s) {
    std::ofstream(p, std::ios::binary | std::ios::app) << s;
}

/// The number after "key": in a JSON text (first occurrence after `from`).
inline long long json_int(const std::string& j, const std::string& key, std::size_t from = 0) {
    auto p = j.find("\"" + key + "\":", from);
    if (p == std::string::npos) return -1;
    return std::stoll(j.substr(p + key.size() + 3));
}

class daemon_process {
public:
    /// Start `mimamori serve` with `config_yaml` written to DIR/mimamori.yaml.
    daemon_process(const temp_dir& dir, const std::string& config_yaml) : m_dir(dir) {
        write_file(dir / "mimamori.yaml", config_yaml);
        start();
    }
    ~daemon_process() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            int st;
            ::waitpid(m_pid, &st, 0);
        }
    }

    void start() {
        std::error_code ec;
        fs::remove(m_dir / "ready.json", ec);
        // MIMAMORI_SERVE_BINARY: another build's daemon (A/B benchmarks).
        const char* other = std::getenv("MIMAMORI_SERVE_BINARY");
        std::string bin = other && *other ? other : MIMAMORI_BINARY;
        std::string cfg = m_dir / "mimamori.yaml";
        std::string ready = m_dir / "ready.json";
        std::string log = m_dir / "serve.log";
        std::vector<std::string> args = {bin, "serve", "-c", cfg, "--ready-file", ready};
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 2, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        int rc = posix_spawn(&m_pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) throw std::runtime_error("cannot start " + bin);
        bool ok = wait_until([&] { return fs::exists(ready) || exited(); }, 30s);
        if (!ok || !fs::exists(ready)) throw std::runtime_error("daemon did not become ready: " + read_file(log));
        m_ready = read_file(ready);
        m_http = static_cast<int>(json_int(m_ready, "http_port"));
    }

    bool exited() {
        if (m_pid <= 0) return true;
        int st = 0;
        pid_t r = ::waitpid(m_pid, &st, WNOHANG);
        if (r == m_pid) {
            m_status = st;
            m_pid = -1;
            return true;
        }
        return false;
    }

    /// SIGTERM and wait; returns the exit code (-1 when it did not exit in time or crashed).
    int terminate(std::chrono::milliseconds timeout = 30s) {
        ::kill(m_pid, SIGTERM);
        if (!wait_until([&] { return exited(); }, timeout)) return -1;
        return WIFEXITED(m_status) ? WEXITSTATUS(m_status) : -1;
    }
    void kill9() {
        ::kill(m_pid, SIGKILL);
        wait_until([&] { return exited(); }, 10s);
    }
    void signal(int sig) { ::kill(m_pid, sig); }
    pid_t pid() const { return m_pid; }

    /// Port of the listener with this protocol (first one), or of the listener named `name`.
    int port(const std::string& protocol, const std::string& name = {}) const {
        std::size_t p = 0;
        while ((p = m_ready.find("{\"name\":", p)) != std::string::npos) {
            auto end = m_ready.find('}', p);
            std::string obj = m_ready.substr(p, end - p + 1);
            p = end;
            bool proto_ok = obj.find("\"protocol\":\"" + protocol + "\"") != std::string::npos;
            bool name_ok = name.empty() || obj.find("\"name\":\"" + name + "\"") != std::string::npos;
            if (proto_ok && name_ok) return static_cast<int>(json_int(obj, "port"));
        }
        return -1;
    }
    int http_port() const { return m_http; }
    std::string log() const { return read_file(m_dir / "serve.log"); }

    httplib::Result get(const std::string& path, bool with_token = true) const {
        httplib::Client c("127.0.0.1", m_http);
        c.set_read_timeout(30);
        httplib::Headers h;
        if (with_token) h.emplace("Authorization", "Bearer " + k_token);
        return c.Get(path, h);
    }
    httplib::Result post(const std::string& path, const std::string& body, bool with_token = true) const {
        httplib::Client c("127.0.0.1", m_http);
        c.set_read_timeout(90);
        c.set_write_timeout(90);
        httplib::Headers h;
        if (with_token) h.emplace("Authorization", "Bearer " + k_token);
        return c.Post(path, h, body, "application/x-ndjson");
    }
    /// GET /api/search; the body (empty on transport failure).
    std::string search(const std::string& q, const std::string& extra = {}) const {
        auto r = get("/api/search?q=" + httplib::detail::encode_query_param(q) + extra);
        return r ? r->body : std::string();
    }
    /// The "count" of a search (rows returned).
    long long count(const std::string& q, const std::string& extra = "&limit=100000") const {
        return json_int(search(q, extra), "count");
    }
    /// A counter from /metrics (sum over labels).
    double metric(const std::string& name, const std::string& label_filter = {}) const {
        auto r = get("/metrics");
        if (!r) return -1;
        std::istringstream in(r->body);
        double sum = 0;
        for (std::string l; std::getline(in, l);) {
            if (l.rfind(name, 0) != 0) continue;
            auto rest = l.substr(name.size());
            if (!rest.empty() && rest[0] != ' ' && rest[0] != '{') continue;
            if (!label_filter.empty() && l.find(label_filter) == std::string::npos) continue;
            sum += std::stod(l.substr(l.rfind(' ') + 1));
        }
        return sum;
    }

private:
    const temp_dir& m_dir;
    pid_t m_pid = -1;
    int m_status = 0;
    std::string m_ready;
    int m_http = -1;
};

inline int connect_tcp(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

inline bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
        if (n <= 0) return false;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

inline bool send_tcp(int port, const std::string& data) {
    int fd = connect_tcp(port);
    if (fd < 0) return false;
    bool ok = write_all(fd, data);
    ::close(fd);
    return ok;
}

inline void send_udp(int port, const std::string& msg) {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::close(fd);
}

/// An RFC 5424 line with a recognisable sequence marker.
inline std::string syslog_line(const std::string& tag, long long seq, const std::string& host = "h1") {
    return "<13>1 2024-03-01T10:00:00Z " + host + " app - - - " + tag + " seq=" + std::to_string(seq);
}

/// Self-signed certificate and key for TLS tests (openssl CLI, EC P-256: fast).
inline bool make_cert(const temp_dir& d, const std::string& name) {
    std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" + name +
                      " -keyout " + (d / (name + ".key")) + " -out " + (d / (name + ".crt")) + " >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

/// A TLS client connection (OpenSSL); optionally presents a client certificate.
class tls_client {
public:
    tls_client(int port, const std::string& ca_file, const std::string& cert = {}, const std::string& key = {}) {
        m_ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_load_verify_locations(m_ctx, ca_file.c_str(), nullptr);
        SSL_CTX_set_verify(m_ctx, SSL_VERIFY_PEER, nullptr);
        if (!cert.empty()) {
            SSL_CTX_use_certificate_file(m_ctx, cert.c_str(), SSL_FILETYPE_PEM);
            SSL_CTX_use_PrivateKey_file(m_ctx, key.c_str(), SSL_FILETYPE_PEM);
        }
        m_fd = connect_tcp(port);
        if (m_fd < 0) return;
        m_ssl = SSL_new(m_ctx);
        SSL_set_fd(m_ssl, m_fd);
        SSL_set_tlsext_host_name(m_ssl, "localhost");
        m_ok = SSL_connect(m_ssl) == 1;
    }
    ~tls_client() {
        if (m_ssl) {
            SSL_shutdown(m_ssl);
            SSL_free(m_ssl);
        }
        if (m_fd >= 0) ::close(m_fd);
        SSL_CTX_free(m_ctx);
    }
    bool ok() const { return m_ok; }
    bool write(const std::string& s) {
        std::size_t off = 0;
        while (off < s.size()) {
            int n = SSL_write(m_ssl, s.data() + off, static_cast<int>(s.size() - off));
            if (n <= 0) return false;
            off += static_cast<std::size_t>(n);
        }
        return true;
    }
    /// After the handshake, TLS 1.3 reports a rejected client certificate only on a read.
    bool still_open() {
        char b;
        int n = SSL_read(m_ssl, &b, 1);
        return n > 0 || SSL_get_error(m_ssl, n) == SSL_ERROR_WANT_READ;
    }

private:
    SSL_CTX* m_ctx = nullptr;
    SSL* m_ssl = nullptr;
    int m_fd = -1;
    bool m_ok = false;
};

}  // namespace harness
