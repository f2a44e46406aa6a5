// The cidr modifier: IPv4 and IPv6 networks and addresses.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>

#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

bool parse_ip(std::string_view text, ip_net& out) {
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
    if (auto pct = text.find('%'); pct != std::string_view::npos) text = text.substr(0, pct);  // zone index
    if (text.empty() || text.size() > 45) return false;
    char buf[64];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = 0;
    out = ip_net{};
    if (text.find(':') == std::string_view::npos) {
        if (inet_pton(AF_INET, buf, out.addr.data()) != 1) return false;
        out.prefix = 32;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out.addr.data()) != 1) return false;
    static constexpr std::uint8_t k_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF};
    if (std::memcmp(out.addr.data(), k_mapped, 12) == 0) {
        std::memmove(out.addr.data(), out.addr.data() + 12, 4);
        std::memset(out.addr.data() + 4, 0, 12);
        out.prefix = 32;
        return true;
    }
    out.v6 = true;
    out.prefix = 128;
    return true;
}

bool parse_cidr(std::string_view text, ip_net& out) {
    auto slash = text.find('/');
    if (!parse_ip(text.substr(0, slash), out)) return false;
    if (slash == std::string_view::npos) return true;
    auto p = text.substr(slash + 1);
    int prefix = -1;
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || ptr != p.data() + p.size() || prefix < 0 || prefix > (out.v6 ? 128 : 32))
        return false;
    out.prefix = prefix;
    return true;
}

bool cidr_contains(const ip_net& net, const ip_net& ip) {
    if (net.v6 != ip.v6) return false;
    int bits = net.prefix;
    std::size_t i = 0;
    for (; bits >= 8; bits -= 8, ++i)
        if (net.addr[i] != ip.addr[i]) return false;
    if (bits == 0) return true;
    auto mask = static_cast<std::uint8_t>(0xFF << (8 - bits));
    return (net.addr[i] & mask) == (ip.addr[i] & mask);
}

}  // namespace mimamori::sigma
