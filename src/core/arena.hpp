#pragma once
/// A bump allocator for the bytes of one batch. Values in events point into it; clearing the
/// arena ends the life of every view taken from it, so an arena lives exactly as long as its batch.
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace mimamori {

class arena {
public:
    explicit arena(std::size_t block_size = 64 * 1024) : m_block_size(block_size) {}
    arena(const arena&) = delete;
    arena& operator=(const arena&) = delete;
    arena(arena&&) noexcept = default;
    arena& operator=(arena&&) noexcept = default;

    /// Uninitialized storage for n bytes (1-byte aligned; we only store text).
    char* allocate(std::size_t n) {
        if (static_cast<std::size_t>(m_end - m_cur) < n) grow(n);
        char* p = m_cur;
        m_cur += n;
        return p;
    }

    /// Copy s into the arena and return a view of the copy.
    std::string_view copy(std::string_view s) {
        if (s.empty()) return {};
        char* p = allocate(s.size());
        std::memcpy(p, s.data(), s.size());
        return {p, s.size()};
    }

    /// Forget every allocation but keep the blocks: steady-state batches allocate nothing.
    void clear();

    /// Bytes handed out since the last clear.
    std::size_t used() const { return m_used_before + static_cast<std::size_t>(m_cur - m_begin); }

private:
    void grow(std::size_t at_least);

    std::vector<std::unique_ptr<char[]>> m_blocks;
    std::vector<std::size_t> m_sizes;
    std::size_t m_block_size;
    std::size_t m_used_before = 0;
    std::size_t m_current = 0;  // index of the block m_cur points into
    char* m_begin = nullptr;
    char* m_cur = nullptr;
    char* m_end = nullptr;
};

}  // namespace mimamori
