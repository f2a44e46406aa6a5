#include "core/arena.hpp"

#include <algorithm>

namespace mimamori {

void arena::grow(std::size_t at_least) {
    m_used_before += static_cast<std::size_t>(m_cur - m_begin);
    std::size_t size = std::max(m_block_size, at_least);
    m_blocks.push_back(std::make_unique<char[]>(size));
    m_sizes.push_back(size);
    m_begin = m_cur = m_blocks.back().get();
    m_end = m_begin + size;
}

void arena::clear() {
    if (m_blocks.empty()) return;
    // Keep only the first block: steady-state batches then allocate nothing.
    m_blocks.resize(1);
    m_sizes.resize(1);
    m_begin = m_cur = m_blocks.front().get();
    m_end = m_begin + m_sizes.front();
    m_used_before = 0;
}

}  // namespace mimamori
