#pragma once
/// Fast 64-bit hashing and a flat open-addressing index (64-bit key → 32-bit value) shared by
/// the indicator sets (intel/) and the correlation state (correlate/). Both hold millions of
/// keys, so the layout is one contiguous slot array with linear probing: one cache miss per
/// lookup in the common case and no per-entry allocation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

#include <sys/mman.h>
#include <string_view>

namespace mimamori::detect {

/// 64×64 → 128-bit multiply, folded. The core mixing step of the string hash.
inline std::uint64_t mul_fold(std::uint64_t a, std::uint64_t b) {
    const unsigned __int128 r = static_cast<unsigned __int128>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

/// A bijective 64-bit finalizer: distinct inputs give distinct outputs, so exact integer keys
/// (IPv4 prefixes) hashed with it can never collide.
inline std::uint64_t mix64(std::uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/// Hash of a byte string. Not cryptographic; stable across runs and builds (state files and
/// alert ids depend on it), so never change the constants.
inline std::uint64_t hash_bytes(const void* data, std::size_t n, std::uint64_t seed = 0) {
    constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
                            k2 = 0x8ebc6af09c88c6e3ULL;
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint64_t h = seed ^ k0 ^ (static_cast<std::uint64_t>(n) * k2);
    while (n >= 16) {
        std::uint64_t a, b;
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + 8, 8);
        h = mul_fold(a ^ k1 ^ h, b ^ k2);
        p += 16;
        n -= 16;
    }
    std::uint64_t a = 0, b = 0;
    if (n >= 8) {
        std::memcpy(&a, p, 8);
        std::memcpy(&b, p + n - 8, 8);
    } else if (n > 0) {
        std::memcpy(&a, p, n);
    }
    h = mul_fold(a ^ k1 ^ h, b ^ k2 ^ n);
    return mul_fold(h ^ k0, k1);
}

inline std::uint64_t hash_str(std::string_view s, std::uint64_t seed = 0) {
    return hash_bytes(s.data(), s.size(), seed);
}

/// Combine two hashes (order matters).
inline std::uint64_t hash_combine(std::uint64_t h, std::uint64_t v) {
    return mul_fold(h ^ 0x2d358dccaa6c78a5ULL, v ^ 0x8bb84b93962eacc9ULL);
}

/// Open-addressing map from 64-bit keys to 32-bit values. Key 0 is reserved (callers never see
/// it: `fix_key` maps it to 1). Grows at 3/4 load; erase uses backward-shift deletion so there
/// are no tombstones and lookups stay short under churn (correlation keys come and go).
class flat_index {
public:
    static constexpr std::uint32_t k_none = ~std::uint32_t{0};

    flat_index() = default;
    flat_index(const flat_index&) = delete;
    flat_index& operator=(const flat_index&) = delete;
    flat_index(flat_index&&) noexcept = default;
    flat_index& operator=(flat_index&&) noexcept = default;

    static std::uint64_t fix_key(std::uint64_t k) { return k ? k : 1; }

    /// The value for key, or k_none.
    std::uint32_t find(std::uint64_t key) const {
        if (!m_slots) return k_none;
        key = fix_key(key);
        std::size_t i = key & m_mask;
        for (;;) {
            const slot& s = m_slots[i];
            if (s.key == key) return s.value;
            if (s.key == 0) return k_none;
            i = (i + 1) & m_mask;
        }
    }

    /// Bring the slot a lookup of key starts at into cache (batch lookups prefetch ahead).
    void prefetch(std::uint64_t key) const {
        if (m_slots) __builtin_prefetch(&m_slots[fix_key(key) & m_mask]);
    }

    /// Insert key → value unless present; returns the value now stored for key.
    std::uint32_t insert(std::uint64_t key, std::uint32_t value) {
        if ((m_size + 1) * 4 > capacity() * 3) grow();
        key = fix_key(key);
        std::size_t i = key & m_mask;
        for (;;) {
            slot& s = m_slots[i];
            if (s.key == key) return s.value;
            if (s.key == 0) {
                s.key = key;
                s.value = value;
                ++m_size;
                return value;
            }
            i = (i + 1) & m_mask;
        }
    }

    /// Overwrite the value of a present key (no-op when absent).
    void set(std::uint64_t key, std::uint32_t value) {
        if (!m_slots) return;
        key = fix_key(key);
        std::size_t i = key & m_mask;
        for (;;) {
            slot& s = m_slots[i];
            if (s.key == key) {
                s.value = value;
                return;
            }
            if (s.key == 0) return;
            i = (i + 1) & m_mask;
        }
    }

    /// Remove key; returns whether it was present.
    bool erase(std::uint64_t key) {
        if (!m_slots) return false;
        key = fix_key(key);
        std::size_t i = key & m_mask;
        for (;;) {
            if (m_slots[i].key == key) break;
            if (m_slots[i].key == 0) return false;
            i = (i + 1) & m_mask;
        }
        // Backward-shift: pull later members of the probe run into the hole.
        std::size_t hole = i;
        std::size_t j = (i + 1) & m_mask;
        while (m_slots[j].key != 0) {
            const std::size_t home = m_slots[j].key & m_mask;
            // Move j into the hole when its home is not in (hole, j] cyclically.
            const bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!between) {
                m_slots[hole] = m_slots[j];
                hole = j;
            }
            j = (j + 1) & m_mask;
        }
        m_slots[hole].key = 0;
        --m_size;
        return true;
    }

    void reserve(std::size_t n) {
        std::size_t cap = 16;
        while (cap * 3 < n * 4) cap <<= 1;
        if (cap > capacity()) rehash(cap);
    }
    void clear() {
        m_slots.reset();
        m_mask = 0;
        m_size = 0;
    }
    std::size_t size() const { return m_size; }
    std::size_t capacity() const { return m_slots ? m_mask + 1 : 0; }
    std::size_t memory_bytes() const { return capacity() * sizeof(slot); }

    /// Visit every (key, value).
    template <typename F>
    void for_each(F&& f) const {
        for (std::size_t i = 0; i < capacity(); ++i)
            if (m_slots[i].key) f(m_slots[i].key, m_slots[i].value);
    }

private:
    struct slot {
        std::uint64_t key = 0;
        std::uint32_t value = 0;
    };
    struct free_deleter {
        void operator()(void* p) const { std::free(p); }
    };
    using slot_ptr = std::unique_ptr<slot[], free_deleter>;
    // Big tables are probed at random: back them with huge pages where the kernel allows, so a
    // lookup costs one cache miss instead of a cache miss plus a page walk.
    static slot_ptr allocate(std::size_t cap) {
        const std::size_t bytes = cap * sizeof(slot);
        void* p = nullptr;
        if (bytes >= (std::size_t{4} << 20)) {
            if (posix_memalign(&p, std::size_t{2} << 20, bytes) != 0) p = nullptr;
            if (p) madvise(p, bytes, MADV_HUGEPAGE);
        } else {
            p = std::malloc(bytes);
        }
        if (!p) throw std::bad_alloc();
        std::memset(p, 0, bytes);
        return slot_ptr(static_cast<slot*>(p));
    }
    void grow() { rehash(capacity() ? capacity() * 2 : 16); }
    void rehash(std::size_t cap) {
        const std::size_t old_cap = capacity();
        auto old = std::move(m_slots);
        m_slots = allocate(cap);
        m_mask = cap - 1;
        for (std::size_t i = 0; i < old_cap; ++i) {
            if (!old[i].key) continue;
            std::size_t j = old[i].key & m_mask;
            while (m_slots[j].key) j = (j + 1) & m_mask;
            m_slots[j] = old[i];
        }
    }

    slot_ptr m_slots;
    std::size_t m_mask = 0;
    std::size_t m_size = 0;
};

}  // namespace mimamori::detect
