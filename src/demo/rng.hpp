#pragma once
/// The demo generator's random numbers. Output must be byte-identical for a seed on every
/// platform and library version, so nothing here uses <random>'s distributions (their results
/// are implementation-defined) or floating-point maths beyond + - * /: xoshiro256** seeded
/// through splitmix64, and integer helpers on top.
#include <cstdint>
#include <string_view>
#include <vector>

namespace mimamori::demo {

class rng {
public:
    explicit rng(std::uint64_t seed) {
        for (auto& w : m_s) w = splitmix(seed);
    }

    std::uint64_t next() {
        const std::uint64_t result = rotl(m_s[1] * 5, 7) * 9;
        const std::uint64_t t = m_s[1] << 17;
        m_s[2] ^= m_s[0];
        m_s[3] ^= m_s[1];
        m_s[1] ^= m_s[2];
        m_s[0] ^= m_s[3];
        m_s[2] ^= t;
        m_s[3] = rotl(m_s[3], 45);
        return result;
    }
    /// Uniform in [0, n); 0 when n == 0. Rejection keeps it unbiased.
    std::uint64_t below(std::uint64_t n) {
        if (n == 0) return 0;
        const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % n);
        std::uint64_t v;
        do v = next();
        while (v >= limit);
        return v % n;
    }
    /// Uniform in [lo, hi] (inclusive); lo when hi < lo.
    std::int64_t range(std::int64_t lo, std::int64_t hi) {
        if (hi <= lo) return lo;
        return lo + static_cast<std::int64_t>(below(static_cast<std::uint64_t>(hi - lo) + 1));
    }
    /// True with probability per_mille / 1000.
    bool chance(int per_mille) { return static_cast<int>(below(1000)) < per_mille; }
    /// A value around `mean` with spread roughly `sd` (sum of four uniforms: bell-shaped,
    /// bounded by mean ± 2·sd, integer-only so every platform agrees).
    std::int64_t around(std::int64_t mean, std::int64_t sd) {
        if (sd <= 0) return mean;
        std::int64_t s = 0;
        for (int i = 0; i < 4; ++i) s += range(-sd, sd);
        return mean + s / 2;
    }
    template <typename T>
    const T& pick(const std::vector<T>& v) {
        return v[below(v.size())];
    }
    template <typename T, std::size_t N>
    const T& pick(const T (&a)[N]) {
        return a[below(N)];
    }
    /// Fisher-Yates.
    template <typename T>
    void shuffle(std::vector<T>& v) {
        for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitmix(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    std::uint64_t m_s[4];
};

/// A generator of its own for one part of the output (a tag and up to two numbers, e.g.
/// ("pc", person, day)), so that changing how one part draws numbers leaves the others as
/// they were.
inline rng derive(std::uint64_t seed, std::string_view tag, std::uint64_t a = 0, std::uint64_t b = 0) {
    std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a over the tag
    for (unsigned char c : tag) h = (h ^ c) * 0x100000001b3ULL;
    h ^= seed * 0x9E3779B97F4A7C15ULL;
    h ^= (a + 1) * 0xC2B2AE3D27D4EB4FULL;
    h ^= (b + 7) * 0x165667B19E3779F9ULL;
    return rng(h);
}

}  // namespace mimamori::demo
