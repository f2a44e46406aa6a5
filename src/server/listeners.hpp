#pragma once
/// Syslog listeners on one Asio I/O thread: UDP (one datagram = one message), TCP and TLS
/// (RFC 6587 framing; RFC 5425 over OpenSSL). TCP/TLS readers stop reading while the message
/// queue is full, so the kernel's window closes and senders block (backpressure); UDP cannot
/// push back, so datagrams that do not fit are dropped and counted, and the kernel's own drops
/// on the socket are exported too.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/config.hpp"
#include "server/metrics.hpp"
#include "server/pipeline.hpp"

namespace mimamori::server {

/// A parsed sender rule: an address block and the route for it.
struct sender_match {
    int family = 4;              ///< 4 or 6
    unsigned char bytes[16] = {};
    int prefix = 32;
    const route* via = nullptr;
    /// True when `addr` (4 or 16 bytes in network order) lies in this block.
    bool contains(const unsigned char* addr, int fam) const;
    static bool parse(const std::string& text, sender_match& out);
};

struct bound_port {
    std::string name;
    std::string protocol;
    std::uint16_t port = 0;
};

class listeners {
public:
    listeners(pipeline& p, metrics& m);
    ~listeners();

    /// Bind every listener in `cfg` and start the I/O thread. `routes_for` gives each listener
    /// its port route and sender rules (built by the daemon).
    status start(const std::vector<syslog_listener>& cfg, const std::vector<const route*>& port_routes,
                 const std::vector<std::vector<sender_match>>& sender_rules);
    std::vector<bound_port> ports() const;

    /// Stop accepting; read what connected senders already sent (non-blocking), hand it to the
    /// pipeline, close everything and join the I/O thread.
    void stop();

    /// Datagrams the kernel dropped on each UDP socket (from /proc/net/udp*), by listener name.
    std::vector<std::pair<std::string, std::uint64_t>> kernel_udp_drops() const;

private:
    struct impl;
    std::unique_ptr<impl> m;
};

}  // namespace mimamori::server
