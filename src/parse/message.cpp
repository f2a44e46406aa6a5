#include "parse/message.hpp"

#include <algorithm>

namespace mimamori::parse {

namespace {
std::vector<message_parser_info>& reg() {
    static std::vector<message_parser_info> r;
    return r;
}
}  // namespace

const std::vector<message_parser_info>& message_parsers() { return reg(); }

bool register_message_parser(message_parser_info info) {
    auto& r = reg();
    r.push_back(info);
    std::stable_sort(r.begin(), r.end(), [](const auto& a, const auto& b) {
        return a.priority < b.priority;
    });
    return true;
}

}  // namespace mimamori::parse
