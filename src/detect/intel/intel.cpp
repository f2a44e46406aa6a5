// Indicator database: classification, canonical forms, keys and lookups.
#include "detect/intel/intel.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace mimamori::intel {

using detect::hash_bytes;
using detect::hash_combine;
using detect::hash_str;
using detect::mix64;

namespace {

// Seeds keep the key spaces of the kinds apart.
constexpr std::uint64_t k_seed_v6 = 0x6a09e667f3bcc908ULL;
constexpr std::uint64_t k_seed_domain = 0xbb67ae8584caa73bULL;
constexpr std::uint64_t k_seed_url = 0x3c6ef372fe94f82bULL;
constexpr std::uint64_t k_seed_hash = 0xa54ff53a5f1d36f1ULL;

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; }

std::uint64_t v4_key(std::uint32_t masked, int prefix) {
    return mix64((std::uint64_t{1} << 62) | (static_cast<std::uint64_t>(prefix) << 32) | masked);
}
std::uint32_t v4_mask(int prefix) {
    return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}
void mask_v6(std::array<std::uint8_t, 16>& b, int prefix) {
    for (int i = 0; i < 16; ++i) {
        const int bits = prefix - i * 8;
        if (bits >= 8) continue;
        b[i] = bits <= 0 ? 0 : static_cast<std::uint8_t>(b[i] & (0xff << (8 - bits)));
    }
}
std::uint64_t v6_key(const std::array<std::uint8_t, 16>& masked, int prefix) {
    return hash_bytes(masked.data(), 16, k_seed_v6 + static_cast<std::uint64_t>(prefix));
}

// Key of a domain's suffix is built label by label from the right, so one pass over a looked-up
// name yields the key of every suffix.
template <typename F>
void for_each_suffix_key(std::string_view d, F&& f) {
    std::uint64_t h = k_seed_domain;
    std::size_t end = d.size();
    while (end > 0) {
        std::size_t dot = d.rfind('.', end - 1);
        std::size_t start = dot == std::string_view::npos ? 0 : dot + 1;
        h = hash_combine(h, hash_str(d.substr(start, end - start)));
        if (!f(h, start)) return;
        if (dot == std::string_view::npos) return;
        end = dot;
    }
}
std::uint64_t domain_key(std::string_view d) {
    std::uint64_t key = 0;
    for_each_suffix_key(d, [&](std::uint64_t h, std::size_t) {
        key = h;
        return true;
    });
    return key;
}

bool is_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    return true;
}
bool hash_kind(std::size_t n, indicator_kind& k) {
    switch (n) {
        case 32: k = indicator_kind::md5; return true;
        case 40: k = indicator_kind::sha1; return true;
        case 64: k = indicator_kind::sha256; return true;
        case 128: k = indicator_kind::sha512; return true;
        default: return false;
    }
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' ||
                          s.front() == '"' || s.front() == '\''))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                          s.back() == '"' || s.back() == '\''))
        s.remove_suffix(1);
    return s;
}

// Lower-case a domain-like value into buf, dropping a trailing dot. False when it cannot be a
// host name (spaces, slashes, ...).
bool canonical_domain(std::string_view s, std::string& out) {
    while (!s.empty() && s.back() == '.') s.remove_suffix(1);
    if (s.size() >= 2 && s[0] == '*' && s[1] == '.') s.remove_prefix(2);
    while (!s.empty() && s.front() == '.') s.remove_prefix(1);
    if (s.empty() || s.size() > 253) return false;
    out.clear();
    bool dot = false, alpha_tld = false;
    std::size_t label_len = 0;
    for (char c : s) {
        c = lower(c);
        if (c == '.') {
            if (label_len == 0) return false;
            dot = true;
            label_len = 0;
            alpha_tld = false;
        } else if ((c >= 'a' && c <= 'z') || c == '-' || c == '_' ||
                   static_cast<unsigned char>(c) >= 0x80) {
            ++label_len;
            alpha_tld = true;
        } else if (c >= '0' && c <= '9') {
            ++label_len;
        } else {
            return false;
        }
        out.push_back(c);
    }
    return dot && label_len > 0 && alpha_tld;
}

// scheme://host[:port]/path?query  → scheme and host lower-cased, fragment dropped, "/" when no
// path. False when there is no "scheme://host".
bool canonical_url(std::string_view s, std::string& out) {
    const std::size_t sep = s.find("://");
    if (sep == std::string_view::npos || sep == 0 || sep > 16) return false;
    out.clear();
    for (char c : s.substr(0, sep)) out.push_back(lower(c));
    out += "://";
    std::string_view rest = s.substr(sep + 3);
    const std::size_t hash = rest.find('#');
    if (hash != std::string_view::npos) rest = rest.substr(0, hash);
    std::size_t host_end = rest.find_first_of("/?");
    if (host_end == std::string_view::npos) host_end = rest.size();
    if (host_end == 0) return false;
    for (char c : rest.substr(0, host_end)) out.push_back(lower(c));
    if (host_end == rest.size() || rest[host_end] == '?') out.push_back('/');
    out.append(rest.substr(host_end));
    return true;
}

// Common "defanged" spellings in intel feeds: hxxp://, [.] and (.).
std::string_view refang(std::string_view s, std::string& buf) {
    if (s.find('[') == std::string_view::npos && s.find('(') == std::string_view::npos &&
        !(s.size() > 4 && (s[0] == 'h' || s[0] == 'H') && (s[1] == 'x' || s[1] == 'X')))
        return s;
    buf.assign(s);
    auto replace_all = [&](std::string_view from, std::string_view to) {
        for (std::size_t p = 0; (p = buf.find(from, p)) != std::string::npos; p += to.size())
            buf.replace(p, from.size(), to);
    };
    replace_all("[.]", ".");
    replace_all("(.)", ".");
    replace_all("[:]", ":");
    if (buf.size() > 4 && (buf.compare(0, 4, "hxxp") == 0 || buf.compare(0, 4, "HXXP") == 0))
        buf.replace(0, 4, "http");
    return buf;
}

}  // namespace

std::string_view kind_name(indicator_kind k) {
    switch (k) {
        case indicator_kind::ipv4: return "ipv4";
        case indicator_kind::ipv6: return "ipv6";
        case indicator_kind::domain: return "domain";
        case indicator_kind::url: return "url";
        case indicator_kind::md5: return "md5";
        case indicator_kind::sha1: return "sha1";
        case indicator_kind::sha256: return "sha256";
        case indicator_kind::sha512: return "sha512";
    }
    return "?";
}

bool parse_ipv4(std::string_view s, std::uint32_t& out) {
    std::uint32_t v = 0;
    int parts = 0;
    std::size_t i = 0;
    while (parts < 4) {
        if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
        std::uint32_t part = 0;
        std::size_t digits = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            part = part * 10 + static_cast<std::uint32_t>(s[i] - '0');
            if (++digits > 3) return false;
            ++i;
        }
        if (part > 255) return false;
        v = (v << 8) | part;
        if (++parts < 4) {
            if (i >= s.size() || s[i] != '.') return false;
            ++i;
        }
    }
    if (i != s.size()) return false;
    out = v;
    return true;
}

bool parse_ip(std::string_view s, ip_addr& out) {
    if (!s.empty() && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
    std::uint32_t v4;
    if (parse_ipv4(s, v4)) {
        out.b = {};
        out.b[10] = out.b[11] = 0xff;
        out.b[12] = static_cast<std::uint8_t>(v4 >> 24);
        out.b[13] = static_cast<std::uint8_t>(v4 >> 16);
        out.b[14] = static_cast<std::uint8_t>(v4 >> 8);
        out.b[15] = static_cast<std::uint8_t>(v4);
        out.v4 = true;
        return true;
    }
    if (s.find(':') == std::string_view::npos) return false;
    const std::size_t zone = s.find('%');
    if (zone != std::string_view::npos) s = s.substr(0, zone);
    if (s.size() >= 64) return false;
    char buf[64];
    std::memcpy(buf, s.data(), s.size());
    buf[s.size()] = 0;
    if (inet_pton(AF_INET6, buf, out.b.data()) != 1) return false;
    static constexpr std::uint8_t k_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    out.v4 = std::memcmp(out.b.data(), k_mapped, 12) == 0;
    return true;
}

bool parse_cidr(std::string_view s, ip_addr& out, int& prefix) {
    const std::size_t slash = s.find('/');
    if (slash == std::string_view::npos) {
        if (!parse_ip(s, out)) return false;
        prefix = out.v4 ? 32 : 128;
        return true;
    }
    if (!parse_ip(s.substr(0, slash), out)) return false;
    std::string_view ls = s.substr(slash + 1);
    if (ls.empty() || ls.size() > 3) return false;
    int len = 0;
    for (char c : ls) {
        if (c < '0' || c > '9') return false;
        len = len * 10 + (c - '0');
    }
    // An IPv4-mapped IPv6 CIDR ("::ffff:10.0.0.0/104") is an IPv4 CIDR of len - 96.
    if (out.v4 && s.substr(0, slash).find(':') != std::string_view::npos) len -= 96;
    if (len < 0 || len > (out.v4 ? 32 : 128)) return false;
    prefix = len;
    return true;
}

bool classify(std::string_view text, indicator_kind& kind, std::string& canonical) {
    std::string refanged;
    text = refang(trim(text), refanged);
    if (text.empty()) return false;
    if (text.find("://") != std::string_view::npos) {
        if (!canonical_url(text, canonical)) return false;
        kind = indicator_kind::url;
        return true;
    }
    ip_addr ip;
    int prefix = 0;
    if (parse_cidr(text, ip, prefix)) {
        if (ip.v4) {
            const std::uint32_t m = ip.v4_value() & v4_mask(prefix);
            char buf[24];
            int n = std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", m >> 24, (m >> 16) & 255,
                                  (m >> 8) & 255, m & 255);
            canonical.assign(buf, static_cast<std::size_t>(n));
            if (prefix != 32) canonical += "/" + std::to_string(prefix);
            kind = indicator_kind::ipv4;
        } else {
            mask_v6(ip.b, prefix);
            char buf[INET6_ADDRSTRLEN];
            inet_ntop(AF_INET6, ip.b.data(), buf, sizeof buf);
            canonical = buf;
            if (prefix != 128) canonical += "/" + std::to_string(prefix);
            kind = indicator_kind::ipv6;
        }
        return true;
    }
    if (is_hex(text) && hash_kind(text.size(), kind)) {
        canonical.clear();
        for (char c : text) canonical.push_back(lower(c));
        return true;
    }
    if (canonical_domain(text, canonical)) {
        kind = indicator_kind::domain;
        return true;
    }
    return false;
}

std::uint32_t intel_db::add_list(std::string name) {
    m_lists.push_back(std::move(name));
    m_list_sizes.push_back(0);
    return static_cast<std::uint32_t>(m_lists.size() - 1);
}

void intel_db::reserve(std::size_t n, std::size_t text_bytes) {
    m_index.reserve(m_entries.size() + n);
    m_entries.reserve(m_entries.size() + n);
    m_pool.reserve(m_pool.size() + text_bytes);
}

bool intel_db::insert(std::uint64_t key, std::uint32_t list, indicator_kind kind,
                      std::uint8_t prefix, std::string_view canonical) {
    const auto idx = static_cast<std::uint32_t>(m_entries.size());
    if (m_index.insert(key, idx) != idx) return false;
    entry e;
    e.list = list;
    e.text_off = static_cast<std::uint32_t>(m_pool.size());
    e.text_len = static_cast<std::uint32_t>(canonical.size());
    e.kind = kind;
    e.prefix = prefix;
    m_pool.append(canonical);
    m_entries.push_back(e);
    ++m_list_sizes[list];
    return true;
}

bool intel_db::add_canonical(std::uint32_t list, indicator_kind kind, std::string_view c) {
    if (!m_staged.empty()) commit();
    switch (kind) {
        case indicator_kind::ipv4:
        case indicator_kind::ipv6: {
            ip_addr ip;
            int prefix;
            if (!parse_cidr(c, ip, prefix)) return false;
            if (ip.v4) {
                const std::uint32_t m = ip.v4_value() & v4_mask(prefix);
                m_v4_prefixes |= std::uint64_t{1} << prefix;
                return insert(v4_key(m, prefix), list, indicator_kind::ipv4,
                              static_cast<std::uint8_t>(prefix), c);
            }
            mask_v6(ip.b, prefix);
            m_v6_prefixes[static_cast<std::size_t>(prefix) / 64] |= std::uint64_t{1} << (prefix % 64);
            return insert(v6_key(ip.b, prefix), list, indicator_kind::ipv6,
                          static_cast<std::uint8_t>(prefix), c);
        }
        case indicator_kind::domain:
            return insert(domain_key(c), list, kind, 0, c);
        case indicator_kind::url:
            return insert(hash_str(c, k_seed_url), list, kind, 0, c);
        default:
            return insert(hash_str(c, k_seed_hash), list, kind, 0, c);
    }
}

namespace {
// A dotted quad already in canonical form (no leading zeros): lists are mostly these.
bool canonical_ipv4(std::string_view s, std::uint32_t& v) {
    if (!parse_ipv4(s, v)) return false;
    for (std::size_t i = 0; i + 1 < s.size(); ++i)
        if (s[i] == '0' && (i == 0 || s[i - 1] == '.') && s[i + 1] != '.') return false;
    return true;
}
}  // namespace

void intel_db::add(std::uint32_t list, std::string_view text, load_stats& st) {
    // Fast path: a plain IPv4 address needs no classification or re-formatting.
    std::uint32_t v4;
    if (!text.empty() && text.front() >= '0' && text.front() <= '9' && canonical_ipv4(text, v4)) {
        m_v4_prefixes |= std::uint64_t{1} << 32;
        stage(v4_key(v4, 32), list, indicator_kind::ipv4, 32, text, st);
        return;
    }
    indicator_kind kind;
    std::string& canonical = m_scratch;  // reused: loading millions of lines allocates nothing per line
    if (!classify(text, kind, canonical)) {
        ++st.rejected;
        if (st.rejected_examples.size() < 5) st.rejected_examples.emplace_back(trim(text).substr(0, 120));
        return;
    }
    switch (kind) {
        case indicator_kind::domain: stage(domain_key(canonical), list, kind, 0, canonical, st); return;
        case indicator_kind::url: stage(hash_str(canonical, k_seed_url), list, kind, 0, canonical, st); return;
        case indicator_kind::md5:
        case indicator_kind::sha1:
        case indicator_kind::sha256:
        case indicator_kind::sha512: stage(hash_str(canonical, k_seed_hash), list, kind, 0, canonical, st); return;
        default:
            commit();  // CIDRs and IPv6 take the direct path (they also set prefix masks)
            if (add_canonical(list, kind, canonical)) ++st.added;
            else ++st.duplicates;
    }
}

void intel_db::stage(std::uint64_t key, std::uint32_t list, indicator_kind kind, std::uint8_t prefix,
                     std::string_view canonical, load_stats& st) {
    constexpr std::size_t k_depth = 16;
    if (m_index.size() + m_staged.size() + 1 > m_index.capacity() * 3 / 4) commit();  // about to grow
    m_index.prefetch(key);
    m_staged.push_back({key, list, static_cast<std::uint32_t>(m_pool.size()), static_cast<std::uint32_t>(canonical.size()),
                        kind, prefix, &st});
    m_pool.append(canonical);
    if (m_staged.size() >= k_depth) {
        // Insert the oldest half: their slots had time to arrive in cache.
        const std::size_t n = k_depth / 2;
        for (std::size_t i = 0; i < n; ++i) {
            const staged& x = m_staged[i];
            const auto idx = static_cast<std::uint32_t>(m_entries.size());
            if (m_index.insert(x.key, idx) == idx) {
                m_entries.push_back(entry{x.list, x.off, x.len, x.kind, x.prefix});
                ++m_list_sizes[x.list];
                ++x.st->added;
            } else {
                ++x.st->duplicates;
            }
        }
        m_staged.erase(m_staged.begin(), m_staged.begin() + static_cast<std::ptrdiff_t>(n));
    }
}

void intel_db::commit() {
    for (const staged& x : m_staged) {
        const auto idx = static_cast<std::uint32_t>(m_entries.size());
        if (m_index.insert(x.key, idx) == idx) {
            m_entries.push_back(entry{x.list, x.off, x.len, x.kind, x.prefix});
            ++m_list_sizes[x.list];
            ++x.st->added;
        } else {
            ++x.st->duplicates;
        }
    }
    m_staged.clear();
}

const entry* intel_db::probe_text(std::uint64_t key, std::string_view canonical) const {
    const entry* e = probe(key);
    if (e && text(*e) == canonical) return e;
    return nullptr;
}

const entry* intel_db::match_ipv4(std::uint32_t ip) const {
    std::uint64_t bits = m_v4_prefixes;
    while (bits) {
        const int len = 63 - __builtin_clzll(bits);
        bits &= ~(std::uint64_t{1} << len);
        const entry* e = probe(v4_key(ip & v4_mask(len), len));
        if (e && e->kind == indicator_kind::ipv4 && e->prefix == len) return e;
    }
    return nullptr;
}

void intel_db::match_ipv4_many(const std::uint32_t* ips, std::size_t n, const entry** out) const {
    for (std::size_t i = 0; i < n; ++i) out[i] = nullptr;
    std::uint64_t bits = m_v4_prefixes;
    constexpr std::size_t k_ahead = 16;
    // Longest prefix first, so a found entry is the most specific one.
    while (bits) {
        const int len = 63 - __builtin_clzll(bits);
        bits &= ~(std::uint64_t{1} << len);
        const std::uint32_t mask = v4_mask(len);
        for (std::size_t i = 0; i < n && i < k_ahead; ++i) m_index.prefetch(v4_key(ips[i] & mask, len));
        for (std::size_t i = 0; i < n; ++i) {
            if (i + k_ahead < n) m_index.prefetch(v4_key(ips[i + k_ahead] & mask, len));
            if (out[i]) continue;
            const entry* e = probe(v4_key(ips[i] & mask, len));
            if (e && e->kind == indicator_kind::ipv4 && e->prefix == len) out[i] = e;
        }
    }
}

const entry* intel_db::match_ip(const ip_addr& ip) const {
    if (ip.v4) return match_ipv4(ip.v4_value());
    for (int w = 2; w >= 0; --w) {
        std::uint64_t bits = m_v6_prefixes[static_cast<std::size_t>(w)];
        while (bits) {
            const int bit = 63 - __builtin_clzll(bits);
            bits &= ~(std::uint64_t{1} << bit);
            const int len = w * 64 + bit;
            auto masked = ip.b;
            mask_v6(masked, len);
            const entry* e = probe(v6_key(masked, len));
            if (!e || e->kind != indicator_kind::ipv6 || e->prefix != len) continue;
            ip_addr stored;
            int p;
            if (parse_cidr(text(*e), stored, p) && stored.b == masked) return e;
        }
    }
    return nullptr;
}

const entry* intel_db::match_ip_text(std::string_view s) const {
    std::uint32_t v4;
    if (parse_ipv4(s, v4)) return match_ipv4(v4);
    if (m_v6_prefixes[0] == 0 && m_v6_prefixes[1] == 0 && m_v6_prefixes[2] == 0) return nullptr;
    ip_addr ip;
    if (!parse_ip(s, ip)) return nullptr;
    return match_ip(ip);
}

const entry* intel_db::match_domain(std::string_view d) const {
    if (d.empty() || m_entries.empty()) return nullptr;
    while (!d.empty() && d.back() == '.') d.remove_suffix(1);
    char stack[256];
    std::string heap;
    char* buf = stack;
    if (d.size() > sizeof stack) {
        heap.resize(d.size());
        buf = heap.data();
    }
    for (std::size_t i = 0; i < d.size(); ++i) buf[i] = lower(d[i]);
    const std::string_view ld(buf, d.size());
    const entry* found = nullptr;
    // Longest suffix last: report the most specific listed name.
    for_each_suffix_key(ld, [&](std::uint64_t h, std::size_t start) {
        const entry* e = probe(h);
        if (e && e->kind == indicator_kind::domain && text(*e) == ld.substr(start)) found = e;
        return true;
    });
    return found;
}

const entry* intel_db::match_url(std::string_view url) const {
    std::string c;
    if (!canonical_url(url, c)) return nullptr;
    return probe_text(hash_str(c, k_seed_url), c);
}

const entry* intel_db::match_hash(std::string_view hex) const {
    indicator_kind k;
    if (!hash_kind(hex.size(), k)) return nullptr;
    char buf[128];
    for (std::size_t i = 0; i < hex.size(); ++i) buf[i] = lower(hex[i]);
    const std::string_view c(buf, hex.size());
    return probe_text(hash_str(c, k_seed_hash), c);
}

std::size_t intel_db::memory_bytes() const {
    return m_index.memory_bytes() + m_entries.capacity() * sizeof(entry) + m_pool.capacity();
}

// ---- store -------------------------------------------------------------------------------

std::vector<intel_store::stamp> intel_store::stamps() const {
    std::vector<stamp> out;
    for (const auto& s : m_sources) {
        std::error_code ec;
        stamp st;
        st.mtime = std::filesystem::last_write_time(s.path, ec);
        st.size = std::filesystem::file_size(s.path, ec);
        out.push_back(st);
    }
    return out;
}

status intel_store::load(std::vector<source> sources) {
    {
        std::lock_guard lk(m_mu);
        m_sources = std::move(sources);
    }
    return reload();
}

status intel_store::reload() {
    std::lock_guard lk(m_mu);
    auto db = std::make_shared<intel_db>();
    std::vector<load_stats> stats;
    auto st = stamps();
    for (const auto& s : m_sources) {
        auto r = load_source(*db, s);
        if (!r) return r.err();
        stats.push_back(std::move(r.value()));
    }
    m_stamps = std::move(st);
    m_stats = std::move(stats);
    std::atomic_store(&m_db, std::shared_ptr<const intel_db>(std::move(db)));
    return {};
}

result<bool> intel_store::reload_if_changed() {
    bool changed;
    {
        std::lock_guard lk(m_mu);
        auto now = stamps();
        changed = now.size() != m_stamps.size();
        for (std::size_t i = 0; !changed && i < now.size(); ++i)
            changed = now[i].mtime != m_stamps[i].mtime || now[i].size != m_stamps[i].size;
    }
    if (!changed) return false;
    auto st = reload();
    if (!st) return st.err();
    return true;
}

// ---- event matcher -----------------------------------------------------------------------

match_fields match_fields::defaults() {
    match_fields m;
    m.ip = {"source.ip", "destination.ip", "source.nat.ip", "destination.nat.ip",
            "IpAddress", "SourceIp", "DestinationIp", "client.ip", "server.ip"};
    m.domain = {"destination.domain", "url.domain", "dns.question.name", "source.domain",
                "QueryName", "DestinationHostname", "server.domain"};
    m.url = {"url.original", "url.full"};
    m.hash = {"file.hash.sha256", "file.hash.sha1", "file.hash.md5", "process.hash.sha256",
              "process.hash.md5", "Hashes", "Hash", "sha256", "md5"};
    return m;
}

event_matcher::event_matcher(const match_fields& cfg) {
    auto add = [&](const std::vector<std::string>& names, std::uint8_t kind) {
        for (const auto& n : names) {
            const field_id id = intern(n);
            if (id >= m_kind_of.size()) m_kind_of.resize(id + 1, 0);
            m_kind_of[id] = kind;
        }
    };
    add(cfg.ip, 1);
    add(cfg.domain, 2);
    add(cfg.url, 3);
    add(cfg.hash, 4);
}

void event_matcher::match(const intel_db& db, const event_batch& batch, const event& e,
                          std::vector<hit>& out) const {
    if (db.size() == 0) return;
    for (const field& fl : batch.fields(e)) {
        if (fl.value.empty()) continue;
        const std::uint8_t kind = fl.id < m_kind_of.size() ? m_kind_of[fl.id] : 0;
        if (kind == 0) continue;
        const entry* en = nullptr;
        if (kind == 1) {
            en = db.match_ip_text(fl.value);
        } else if (kind == 2) {
            en = db.match_domain(fl.value);
        } else if (kind == 3) {
            en = db.match_url(fl.value);
        } else {
            en = db.match_hash(fl.value);
            if (!en && fl.value.find('=') != std::string_view::npos) {
                // Sysmon "SHA1=…,MD5=…,SHA256=…,IMPHASH=…": try each value.
                std::string_view v = fl.value;
                while (!v.empty() && !en) {
                    std::size_t comma = v.find(',');
                    std::string_view part = v.substr(0, comma);
                    std::size_t eq = part.find('=');
                    if (eq != std::string_view::npos) en = db.match_hash(part.substr(eq + 1));
                    if (comma == std::string_view::npos) break;
                    v.remove_prefix(comma + 1);
                }
            }
        }
        if (en) out.push_back(hit{en, fl.id, fl.value});
    }
}

void event_matcher::match_batch(const intel_db& db, const event_batch& batch,
                                std::vector<std::vector<hit>>& hits) const {
    hits.resize(batch.size());
    for (auto& h : hits) h.clear();
    if (db.size() == 0) return;
    struct pending {
        std::uint32_t event;
        const field* fl;
    };
    std::vector<std::uint32_t> ips;
    std::vector<pending> where;
    std::vector<hit> tmp;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const event& e = batch[i];
        bool other = false;
        for (const field& fl : batch.fields(e)) {
            const std::uint8_t kind = fl.id < m_kind_of.size() ? m_kind_of[fl.id] : 0;
            if (kind == 0 || fl.value.empty()) continue;
            std::uint32_t v4;
            if (kind == 1 && parse_ipv4(fl.value, v4)) {
                ips.push_back(v4);
                where.push_back({static_cast<std::uint32_t>(i), &fl});
            } else {
                other = true;
            }
        }
        if (other) {
            // Domains, URLs, hashes and IPv6: one lookup at a time (far fewer of them).
            tmp.clear();
            match(db, batch, e, tmp);
            for (const hit& h : tmp) {
                std::uint32_t v4;
                if (!(m_kind_of[h.field] == 1 && parse_ipv4(h.value, v4))) hits[i].push_back(h);
            }
        }
    }
    std::vector<const entry*> found(ips.size());
    db.match_ipv4_many(ips.data(), ips.size(), found.data());
    for (std::size_t k = 0; k < ips.size(); ++k)
        if (found[k]) hits[where[k].event].push_back(hit{found[k], where[k].fl->id, where[k].fl->value});
}

}  // namespace mimamori::intel
