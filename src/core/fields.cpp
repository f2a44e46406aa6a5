#include "core/fields.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace mimamori {
namespace {

struct entry {
    std::string name;
    value_kind kind;
};

// Readers (field_name, field_kind: every field of every event written out) take no lock: an id
// is looked up in a two-level table of atomic pointers, published once an entry is complete.
// Entries live in a deque (stable addresses) and are never removed.
constexpr std::size_t k_chunk_bits = 12;
constexpr std::size_t k_chunk = std::size_t{1} << k_chunk_bits;  // ids per chunk
constexpr std::size_t k_chunks = std::size_t{1} << 14;           // 64 M ids in all

struct registry {
    std::shared_mutex mu;  // guards entries and ids; readers of names do not need it
    std::deque<entry> entries;
    std::unordered_map<std::string_view, field_id> ids;
    std::atomic<std::atomic<const entry*>*> chunks[k_chunks] = {};

    registry() {
#define MIMAMORI_X(id, name, kind) add(name, value_kind::kind);
        MIMAMORI_ECS_FIELDS(MIMAMORI_X)
#undef MIMAMORI_X
    }
    // Under the unique lock.
    field_id add(std::string_view name, value_kind kind) {
        const std::size_t id = entries.size();
        if (id >= k_chunk * k_chunks) throw std::length_error("too many distinct field names");
        entries.push_back({std::string(name), kind});
        auto& slot = chunks[id >> k_chunk_bits];
        auto* chunk = slot.load(std::memory_order_relaxed);
        if (!chunk) {
            chunk = new std::atomic<const entry*>[k_chunk]();
            slot.store(chunk, std::memory_order_release);
        }
        chunk[id & (k_chunk - 1)].store(&entries.back(), std::memory_order_release);
        ids.emplace(entries.back().name, static_cast<field_id>(id));
        return static_cast<field_id>(id);
    }
    const entry* get(field_id id) const {
        if ((id >> k_chunk_bits) >= k_chunks) return nullptr;
        const auto* chunk = chunks[id >> k_chunk_bits].load(std::memory_order_acquire);
        return chunk ? chunk[id & (k_chunk - 1)].load(std::memory_order_acquire) : nullptr;
    }
};

registry& reg() {
    static registry* r = new registry;  // never destroyed: threads may still name fields at exit
    return *r;
}

}  // namespace

field_id intern(std::string_view name) {
    auto& r = reg();
    {
        std::shared_lock lock(r.mu);
        if (auto it = r.ids.find(name); it != r.ids.end()) return it->second;
    }
    std::unique_lock lock(r.mu);
    if (auto it = r.ids.find(name); it != r.ids.end()) return it->second;
    return r.add(name, value_kind::string);
}

field_id find_field(std::string_view name) {
    auto& r = reg();
    std::shared_lock lock(r.mu);
    auto it = r.ids.find(name);
    return it == r.ids.end() ? k_no_field : it->second;
}

std::string_view field_name(field_id id) {
    const entry* e = reg().get(id);
    return e ? std::string_view(e->name) : std::string_view("?");
}

value_kind field_kind(field_id id) {
    const entry* e = reg().get(id);
    return e ? e->kind : value_kind::string;
}

std::size_t field_count() {
    auto& r = reg();
    std::shared_lock lock(r.mu);
    return r.entries.size();
}

}  // namespace mimamori
