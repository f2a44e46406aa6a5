#include "core/fields.hpp"

#include <deque>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace mimamori {
namespace {

struct registry {
    std::shared_mutex mu;
    std::deque<std::string> names;  // deque: stable addresses for the views handed out
    std::vector<value_kind> kinds;
    std::unordered_map<std::string_view, field_id> ids;

    registry() {
#define MIMAMORI_X(id, name, kind) add(name, value_kind::kind);
        MIMAMORI_ECS_FIELDS(MIMAMORI_X)
#undef MIMAMORI_X
    }
    field_id add(std::string_view name, value_kind kind) {
        names.emplace_back(name);
        kinds.push_back(kind);
        auto id = static_cast<field_id>(names.size() - 1);
        ids.emplace(names.back(), id);
        return id;
    }
};

registry& reg() {
    static registry r;
    return r;
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
    auto& r = reg();
    std::shared_lock lock(r.mu);
    return id < r.names.size() ? std::string_view(r.names[id]) : std::string_view("?");
}

value_kind field_kind(field_id id) {
    auto& r = reg();
    std::shared_lock lock(r.mu);
    return id < r.kinds.size() ? r.kinds[id] : value_kind::string;
}

std::size_t field_count() {
    auto& r = reg();
    std::shared_lock lock(r.mu);
    return r.names.size();
}

}  // namespace mimamori
