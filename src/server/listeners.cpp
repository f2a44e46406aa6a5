#include "server/listeners.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <asio.hpp>
#include <asio/ssl.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <future>
#include <set>
#include <sstream>
#include <thread>

#include "server/framing.hpp"

namespace mimamori::server {

namespace {

using asio::ip::tcp;
using asio::ip::udp;

timestamp_ns now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void log_line(const std::string& s) { std::fprintf(stderr, "mimamori serve: %s\n", s.c_str()); }

framing_mode mode_of(const std::string& s) {
    if (s == "newline") return framing_mode::newline;
    if (s == "octet") return framing_mode::octet;
    return framing_mode::automatic;
}

const route* pick_route(const asio::ip::address& a, const route* port_route, const std::vector<sender_match>& rules) {
    if (rules.empty()) return port_route;
    unsigned char bytes[16];
    int fam = 4;
    asio::ip::address addr = a;
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    if (addr.is_v4()) {
        auto b = addr.to_v4().to_bytes();
        std::copy(b.begin(), b.end(), bytes);
    } else {
        fam = 6;
        auto b = addr.to_v6().to_bytes();
        std::copy(b.begin(), b.end(), bytes);
    }
    for (const auto& r : rules)
        if (r.contains(bytes, fam)) return r.via;
    return port_route;
}

std::string peer_text(const asio::ip::address& a) {
    if (a.is_v6() && a.to_v6().is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_string();
    return a.to_string();
}

struct shared_state {
    pipeline& pipe;
    std::atomic<bool> stopping{false};
};

class session_base {
public:
    virtual ~session_base() = default;
    /// At shutdown: read what is already here without waiting, hand it over, close.
    virtual void drain_and_close() = 0;
    /// First step of a stop: cancel the pending read, so that a read that already completed
    /// (its handler queued) is framed before drain_and_close reads the rest into the buffer.
    virtual void stop_reading() = 0;
};

struct tcp_server;

template <typename Stream>
class session final : public session_base, public std::enable_shared_from_this<session<Stream>> {
public:
    static constexpr bool k_tls = !std::is_same_v<Stream, tcp::socket>;

    session(Stream s, tcp_server& srv, const route* via, std::string peer, framing_mode fm, std::size_t max_msg);
    void start();
    void drain_and_close() override;
    void stop_reading() override {
        std::error_code ec;
        m_retry.cancel();
        m_stream.lowest_layer().cancel(ec);
    }

private:
    void read();
    void on_read(const std::error_code& ec, std::size_t n);
    void frame(std::string_view data);
    void deliver();
    void close();

    Stream m_stream;
    tcp_server& m_srv;
    const route* m_via;
    std::string m_peer;
    stream_framer m_framer;
    input_chunk m_chunk;
    asio::steady_timer m_retry;
    std::unique_ptr<char[]> m_buf;
    static constexpr std::size_t k_buf = 64 * 1024;
    bool m_closing = false, m_closed = false;
    std::uint64_t m_reported_errors = 0, m_reported_trunc = 0;
};

struct tcp_server {
    shared_state& st;
    asio::io_context& io;
    tcp::acceptor acceptor;
    std::unique_ptr<asio::ssl::context> ssl;
    const syslog_listener& cfg;
    const route* port_route;
    const std::vector<sender_match>& rules;
    source_metrics* m;
    std::set<std::shared_ptr<session_base>> sessions;

    tcp_server(shared_state& s, asio::io_context& i, const syslog_listener& c, const route* pr,
               const std::vector<sender_match>& r, source_metrics* mm)
        : st(s), io(i), acceptor(i), cfg(c), port_route(pr), rules(r), m(mm) {}

    void accept() {
        acceptor.async_accept([this](const std::error_code& ec, tcp::socket sock) {
            if (ec) {
                if (ec == asio::error::operation_aborted || st.stopping) return;
                log_line("accept on " + cfg.name + ": " + ec.message());
                accept();
                return;
            }
            std::error_code e2;
            auto ep = sock.remote_endpoint(e2);
            const route* via = e2 ? port_route : pick_route(ep.address(), port_route, rules);
            std::string peer = e2 ? std::string() : peer_text(ep.address());
            m->connections_total++;
            m->connections++;
            if (ssl) {
                auto s = std::make_shared<session<asio::ssl::stream<tcp::socket>>>(
                    asio::ssl::stream<tcp::socket>(std::move(sock), *ssl), *this, via, std::move(peer), mode_of(cfg.framing),
                    cfg.max_message);
                sessions.insert(s);
                s->start();
            } else {
                auto s = std::make_shared<session<tcp::socket>>(std::move(sock), *this, via, std::move(peer),
                                                                mode_of(cfg.framing), cfg.max_message);
                sessions.insert(s);
                s->start();
            }
            accept();
        });
    }
    void forget(session_base* s) {
        for (auto it = sessions.begin(); it != sessions.end(); ++it)
            if (it->get() == s) {
                sessions.erase(it);
                break;
            }
    }
};

template <typename Stream>
session<Stream>::session(Stream s, tcp_server& srv, const route* via, std::string peer, framing_mode fm, std::size_t max_msg)
    : m_stream(std::move(s)),
      m_srv(srv),
      m_via(via),
      m_peer(std::move(peer)),
      m_framer(fm, max_msg),
      m_retry(srv.io),
      m_buf(new char[k_buf]) {}

template <typename Stream>
void session<Stream>::start() {
    if constexpr (k_tls) {
        auto self = this->shared_from_this();
        m_stream.async_handshake(asio::ssl::stream_base::server, [self](const std::error_code& ec) {
            if (ec) {
                self->m_srv.m->tls_handshake_errors++;
                self->close();
                return;
            }
            self->read();
        });
    } else {
        read();
    }
}

template <typename Stream>
void session<Stream>::read() {
    // While stopping, drain_and_close reads what is left, synchronously.
    if (m_closed || m_srv.st.stopping) return;
    auto self = this->shared_from_this();
    m_stream.async_read_some(asio::buffer(m_buf.get(), k_buf),
                             [self](const std::error_code& ec, std::size_t n) { self->on_read(ec, n); });
}

template <typename Stream>
void session<Stream>::frame(std::string_view data) {
    if (m_chunk.messages.empty()) {
        m_chunk.received = now_ns();
        if (m_chunk.peers.empty() && !m_peer.empty()) m_chunk.peers.push_back(m_peer);
    }
    auto* m = m_srv.m;
    m->bytes.fetch_add(data.size(), std::memory_order_relaxed);
    std::int32_t peer = m_peer.empty() ? -1 : 0;
    std::size_t n = m_framer.feed(data, [&](std::string_view msg) { m_chunk.add(msg, m_via, peer); });
    m->messages.fetch_add(n, std::memory_order_relaxed);
    if (m_framer.errors() != m_reported_errors) {
        m->framing_errors += m_framer.errors() - m_reported_errors;
        m_reported_errors = m_framer.errors();
    }
    if (m_framer.truncated() != m_reported_trunc) {
        m->truncated += m_framer.truncated() - m_reported_trunc;
        m_reported_trunc = m_framer.truncated();
    }
}

template <typename Stream>
void session<Stream>::on_read(const std::error_code& ec, std::size_t n) {
    if (m_closed) return;
    if (n) frame(std::string_view(m_buf.get(), n));
    if (ec) {
        if (ec == asio::error::operation_aborted) return;
        // EOF or a broken connection: the last unterminated message is still a message.
        std::int32_t peer = m_peer.empty() ? -1 : 0;
        if (m_chunk.messages.empty() && m_chunk.peers.empty() && !m_peer.empty()) m_chunk.peers.push_back(m_peer);
        std::size_t k = m_framer.finish([&](std::string_view msg) { m_chunk.add(msg, m_via, peer); });
        m_srv.m->messages.fetch_add(k, std::memory_order_relaxed);
        m_closing = true;
    }
    deliver();
}

template <typename Stream>
void session<Stream>::deliver() {
    if (m_closed) return;
    if (!m_chunk.messages.empty()) {
        if (!m_srv.st.pipe.try_push(std::move(m_chunk))) {
            if (m_srv.st.stopping) return;  // drain_and_close takes over
            // Queue full: stop reading until there is room. The kernel buffer fills and the
            // sender's writes block: that is the backpressure.
            auto self = this->shared_from_this();
            m_retry.expires_after(std::chrono::milliseconds(2));
            m_retry.async_wait([self](const std::error_code& ec) {
                if (!ec) self->deliver();
            });
            return;
        }
        m_chunk = input_chunk{};
    }
    if (m_closing) {
        close();
        return;
    }
    read();
}

template <typename Stream>
void session<Stream>::drain_and_close() {
    if (m_closed) return;
    std::error_code ec;
    m_retry.cancel();
    auto& sock = m_stream.lowest_layer();
    sock.non_blocking(true, ec);
    if (!m_closing) {
        for (int i = 0; i < 4096; ++i) {
            std::size_t n = m_stream.read_some(asio::buffer(m_buf.get(), k_buf), ec);
            if (n) frame(std::string_view(m_buf.get(), n));
            if (ec) break;
        }
        std::int32_t peer = m_peer.empty() ? -1 : 0;
        if (m_chunk.messages.empty() && m_chunk.peers.empty() && !m_peer.empty()) m_chunk.peers.push_back(m_peer);
        if (ec != asio::error::would_block && ec != asio::error::try_again)
            m_framer.finish([&](std::string_view msg) { m_chunk.add(msg, m_via, peer); });
    }
    if (!m_chunk.messages.empty()) m_srv.st.pipe.push(std::move(m_chunk));
    m_chunk = input_chunk{};
    close();
}

template <typename Stream>
void session<Stream>::close() {
    if (m_closed) return;
    m_closed = true;
    std::error_code ec;
    m_retry.cancel();
    m_stream.lowest_layer().shutdown(tcp::socket::shutdown_both, ec);
    m_stream.lowest_layer().close(ec);
    m_srv.m->connections--;
    // Keep ourselves alive until this handler returns; the server forgets us.
    auto self = this->shared_from_this();
    m_srv.forget(this);
}

struct udp_server {
    shared_state& st;
    udp::socket sock;
    const syslog_listener& cfg;
    const route* port_route;
    const std::vector<sender_match>& rules;
    source_metrics* m;
    std::unique_ptr<char[]> buf{new char[65536]};

    udp_server(shared_state& s, asio::io_context& io, const syslog_listener& c, const route* pr,
               const std::vector<sender_match>& r, source_metrics* mm)
        : st(s), sock(io), cfg(c), port_route(pr), rules(r), m(mm) {}

    void arm() {
        sock.async_wait(udp::socket::wait_read, [this](const std::error_code& ec) {
            if (ec || st.stopping) return;
            drain(512, false);
            arm();
        });
    }

    void drain(std::size_t max, bool wait_for_room) {
        input_chunk c;
        c.received = now_ns();
        udp::endpoint ep, last_ep;
        std::error_code ec;
        for (std::size_t k = 0; k < max; ++k) {
            std::size_t n = sock.receive_from(asio::buffer(buf.get(), 65536), ep, 0, ec);
            if (ec) break;
            std::string_view msg(buf.get(), n);
            while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r' || msg.back() == '\0')) msg.remove_suffix(1);
            m->bytes.fetch_add(n, std::memory_order_relaxed);
            if (msg.empty()) continue;
            if (c.peers.empty() || ep != last_ep) {
                c.peers.push_back(peer_text(ep.address()));
                last_ep = ep;
            }
            c.add(msg, pick_route(ep.address(), port_route, rules), static_cast<std::int32_t>(c.peers.size() - 1));
        }
        std::size_t n = c.messages.size();
        if (n == 0) return;
        m->messages.fetch_add(n, std::memory_order_relaxed);
        bool ok = wait_for_room ? st.pipe.push(std::move(c)) : st.pipe.try_push(std::move(c));
        if (!ok) m->dropped.fetch_add(n, std::memory_order_relaxed);
    }
};

std::uint64_t kernel_drops_for_inode(unsigned long inode) {
    for (const char* f : {"/proc/net/udp", "/proc/net/udp6"}) {
        std::ifstream in(f);
        std::string line;
        std::getline(in, line);  // header
        while (std::getline(in, line)) {
            std::istringstream ls(line);
            std::vector<std::string> cols;
            for (std::string c; ls >> c;) cols.push_back(c);
            if (cols.size() < 13) continue;
            if (std::stoul(cols[9]) == inode) return std::stoull(cols[12]);
        }
    }
    return 0;
}

}  // namespace

bool sender_match::contains(const unsigned char* addr, int fam) const {
    if (fam != family) return false;
    int full = prefix / 8, rest = prefix % 8;
    if (std::memcmp(addr, bytes, static_cast<std::size_t>(full)) != 0) return false;
    if (rest == 0) return true;
    unsigned char mask = static_cast<unsigned char>(0xFF << (8 - rest));
    return (addr[full] & mask) == (bytes[full] & mask);
}

bool sender_match::parse(const std::string& text, sender_match& out) {
    std::string a = text;
    int prefix = -1;
    auto slash = a.find('/');
    if (slash != std::string::npos) {
        try {
            prefix = std::stoi(a.substr(slash + 1));
        } catch (...) {
            return false;
        }
        a = a.substr(0, slash);
    }
    if (inet_pton(AF_INET, a.c_str(), out.bytes) == 1) {
        out.family = 4;
        out.prefix = prefix < 0 ? 32 : prefix;
        return out.prefix <= 32;
    }
    if (inet_pton(AF_INET6, a.c_str(), out.bytes) == 1) {
        out.family = 6;
        out.prefix = prefix < 0 ? 128 : prefix;
        return out.prefix <= 128;
    }
    return false;
}

struct listeners::impl {
    pipeline& pipe;
    metrics& met;
    shared_state st;
    asio::io_context io;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::thread thread;
    std::vector<std::unique_ptr<tcp_server>> tcp;
    std::vector<std::unique_ptr<udp_server>> udp;
    std::vector<syslog_listener> cfg;
    std::vector<std::vector<sender_match>> rules;
    bool stopped = false;

    impl(pipeline& p, metrics& m) : pipe(p), met(m), st{p} {}
};

listeners::listeners(pipeline& p, metrics& m) : m(std::make_unique<impl>(p, m)) {}
listeners::~listeners() { stop(); }

status listeners::start(const std::vector<syslog_listener>& cfg, const std::vector<const route*>& port_routes,
                        const std::vector<std::vector<sender_match>>& sender_rules) {
    m->cfg = cfg;
    m->rules = sender_rules;
    for (std::size_t i = 0; i < m->cfg.size(); ++i) {
        const auto& c = m->cfg[i];
        std::error_code ec;
        auto addr = asio::ip::make_address(c.address, ec);
        if (ec) return error{"serve.listen", c.name + ": '" + c.address + "' is not an IP address"};
        auto* sm = port_routes[i]->metrics;
        if (c.protocol == "udp") {
            auto u = std::make_unique<udp_server>(m->st, m->io, m->cfg[i], port_routes[i], m->rules[i], sm);
            udp::endpoint ep(addr, c.port);
            u->sock.open(ep.protocol(), ec);
            if (!ec) u->sock.set_option(udp::socket::reuse_address(true), ec);
            if (!ec) u->sock.bind(ep, ec);
            if (ec) return error{"serve.listen", c.name + ": cannot listen on udp " + c.address + ":" + std::to_string(c.port) + ": " + ec.message()};
            std::error_code ignore;
            u->sock.set_option(asio::socket_base::receive_buffer_size(8 << 20), ignore);
            u->sock.non_blocking(true, ignore);
            m->udp.push_back(std::move(u));
        } else {
            auto t = std::make_unique<tcp_server>(m->st, m->io, m->cfg[i], port_routes[i], m->rules[i], sm);
            if (c.protocol == "tls") {
                try {
                    t->ssl = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
                    t->ssl->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                                        asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
                    // No TLS 1.3 session tickets: the server would send them right after the
                    // handshake, and a sender that never reads (most syslog senders, our tests)
                    // then closes a socket with unread data, which makes its kernel reset the
                    // connection and drop whatever it had not yet transmitted.
                    SSL_CTX_set_num_tickets(t->ssl->native_handle(), 0);
                    SSL_CTX_set_options(t->ssl->native_handle(), SSL_OP_NO_TICKET);
                    t->ssl->use_certificate_chain_file(c.cert);
                    t->ssl->use_private_key_file(c.key, asio::ssl::context::pem);
                    if (!c.ca.empty()) {
                        t->ssl->load_verify_file(c.ca);
                        t->ssl->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
                    }
                } catch (const std::system_error& e) {
                    return error{"serve.tls", c.name + ": TLS set-up failed (cert " + c.cert + ", key " + c.key + "): " + e.what()};
                }
            }
            tcp::endpoint ep(addr, c.port);
            t->acceptor.open(ep.protocol(), ec);
            if (!ec) t->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
            if (!ec) t->acceptor.bind(ep, ec);
            if (!ec) t->acceptor.listen(asio::socket_base::max_listen_connections, ec);
            if (ec) return error{"serve.listen", c.name + ": cannot listen on tcp " + c.address + ":" + std::to_string(c.port) + ": " + ec.message()};
            m->tcp.push_back(std::move(t));
        }
    }
    for (auto& t : m->tcp) t->accept();
    for (auto& u : m->udp) u->arm();
    m->guard.emplace(m->io.get_executor());
    m->thread = std::thread([this] { m->io.run(); });
    return {};
}

std::vector<bound_port> listeners::ports() const {
    std::vector<bound_port> out;
    for (const auto& t : m->tcp) {
        std::error_code ec;
        out.push_back({t->cfg.name, t->cfg.protocol, t->acceptor.local_endpoint(ec).port()});
    }
    for (const auto& u : m->udp) {
        std::error_code ec;
        out.push_back({u->cfg.name, "udp", u->sock.local_endpoint(ec).port()});
    }
    return out;
}

std::vector<std::pair<std::string, std::uint64_t>> listeners::kernel_udp_drops() const {
    std::vector<std::pair<std::string, std::uint64_t>> out;
    for (const auto& u : m->udp) {
        struct stat sb {};
        if (::fstat(const_cast<udp::socket&>(u->sock).native_handle(), &sb) != 0) continue;
        out.emplace_back(u->cfg.name, kernel_drops_for_inode(static_cast<unsigned long>(sb.st_ino)));
    }
    return out;
}

void listeners::stop() {
    if (m->stopped) return;
    m->stopped = true;
    if (!m->thread.joinable()) return;
    std::promise<void> done;
    asio::post(m->io, [this, &done] {
        m->st.stopping = true;
        std::error_code ec;
        for (auto& t : m->tcp) t->acceptor.close(ec);
        for (auto& u : m->udp) {
            u->drain(1'000'000, true);
            u->sock.close(ec);
        }
        for (auto& t : m->tcp)
            for (auto& s : t->sessions) s->stop_reading();
        // Handlers of reads that completed before the cancel (and of the cancelled ones) are
        // queued now; they run before this one, so no read result is lost (they frame their
        // data and do not read again), then what the kernel still holds is read here.
        asio::post(m->io, [this, &done] {
            for (auto& t : m->tcp) {
                auto copy = t->sessions;  // drain_and_close erases from the set
                for (auto& s : copy) s->drain_and_close();
            }
            done.set_value();
        });
    });
    done.get_future().wait();
    m->guard.reset();
    m->io.stop();
    m->thread.join();
}

}  // namespace mimamori::server
