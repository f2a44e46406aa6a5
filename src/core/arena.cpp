#include "core/arena.hpp"

#include <algorithm>

namespace mimamori {

void arena::grow(std::size_t at_least) {
    if (m_begin) m_used_before += static_cast<std::size_t>(m_cur - m_begin);
    // Reuse the next kept block when it is big enough (after clear()); otherwise add one.
    std::size_t next = m_begin ? m_current + 1 : 0;
    while (next < m_blocks.size() && m_sizes[next] < at_least) ++next;
    if (next >= m_blocks.size()) {
        std::size_t size = std::max(m_block_size, at_least);
        // Not make_unique<char[]>: that zero-fills, and the arena never reads what it has not
        // written.
        m_blocks.emplace_back(new char[size]);
        m_sizes.push_back(size);
        next = m_blocks.size() - 1;
    }
    m_current = next;
    m_begin = m_cur = m_blocks[next].get();
    m_end = m_begin + m_sizes[next];
}

void arena::clear() {
    if (m_blocks.empty()) return;
    m_current = 0;
    m_begin = m_cur = m_blocks.front().get();
    m_end = m_begin + m_sizes.front();
    m_used_before = 0;
}

}  // namespace mimamori
