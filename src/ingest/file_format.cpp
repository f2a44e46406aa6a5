#include "ingest/file_format.hpp"

namespace mimamori::ingest {

namespace {
std::vector<whole_file_format>& reg() {
    static std::vector<whole_file_format> r;
    return r;
}
}  // namespace

const std::vector<whole_file_format>& whole_file_formats() { return reg(); }

bool register_whole_file_format(whole_file_format f) {
    reg().push_back(std::move(f));
    return true;
}

}  // namespace mimamori::ingest
