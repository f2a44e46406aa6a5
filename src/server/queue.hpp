#pragma once
/// A bounded multi-producer queue with weights (a chunk of 500 messages weighs 500), so the
/// bound is in messages however inputs group them. Producers choose how to meet a full queue:
/// TCP readers and file followers wait (backpressure reaches the sender), UDP drops and counts.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>

namespace mimamori::server {

template <typename T>
class bounded_queue {
public:
    explicit bounded_queue(std::size_t capacity) : m_capacity(capacity) {}

    /// Add without waiting; false when it does not fit (or the queue is closed). An item
    /// heavier than the whole capacity is let in when the queue is empty, so it cannot starve.
    bool try_push(T&& item, std::size_t weight) {
        std::lock_guard lk(m_mu);
        if (m_closed || !fits(weight)) return false;
        put(std::move(item), weight);
        return true;
    }

    /// Add, waiting while the queue is full; false only when the queue was closed.
    bool push(T&& item, std::size_t weight) {
        std::unique_lock lk(m_mu);
        m_not_full.wait(lk, [&] { return m_closed || fits(weight); });
        if (m_closed) return false;
        put(std::move(item), weight);
        return true;
    }

    /// Take one item, waiting up to `timeout`; false on timeout, or when closed and empty.
    template <typename Rep, typename Period>
    bool pop(T& out, std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lk(m_mu);
        if (!m_not_empty.wait_for(lk, timeout, [&] { return m_closed || !m_items.empty(); })) return false;
        if (m_items.empty()) return false;
        out = std::move(m_items.front().first);
        m_weight -= m_items.front().second;
        m_items.pop_front();
        lk.unlock();
        m_not_full.notify_all();
        return true;
    }

    /// Refuse new items; waiting producers return false, consumers drain what is left.
    void close() {
        {
            std::lock_guard lk(m_mu);
            m_closed = true;
        }
        m_not_full.notify_all();
        m_not_empty.notify_all();
    }
    bool closed() const {
        std::lock_guard lk(m_mu);
        return m_closed;
    }
    bool drained() const {
        std::lock_guard lk(m_mu);
        return m_closed && m_items.empty();
    }
    std::size_t weight() const {
        std::lock_guard lk(m_mu);
        return m_weight;
    }
    std::size_t capacity() const { return m_capacity; }

private:
    bool fits(std::size_t w) const { return m_weight + w <= m_capacity || m_items.empty(); }
    void put(T&& item, std::size_t w) {
        m_items.emplace_back(std::move(item), w);
        m_weight += w;
        m_not_empty.notify_one();
    }

    mutable std::mutex m_mu;
    std::condition_variable m_not_full, m_not_empty;
    std::deque<std::pair<T, std::size_t>> m_items;
    std::size_t m_capacity;
    std::size_t m_weight = 0;
    bool m_closed = false;
};

}  // namespace mimamori::server
