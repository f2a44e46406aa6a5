// The fieldref modifier: compare a field with another field of the same event.
#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

namespace {
inline unsigned char fold(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }
bool eq_at(std::string_view hay, std::size_t at, std::string_view needle, bool cased) {
    for (std::size_t i = 0; i < needle.size(); ++i) {
        auto a = static_cast<unsigned char>(hay[at + i]), b = static_cast<unsigned char>(needle[i]);
        if (cased ? a != b : fold(a) != fold(b)) return false;
    }
    return true;
}
}  // namespace

bool fieldref_match(std::string_view value, std::string_view other, ref_mode mode, bool cased) {
    if (other.size() > value.size()) return false;
    switch (mode) {
        case ref_mode::equals: return value.size() == other.size() && eq_at(value, 0, other, cased);
        case ref_mode::startswith: return eq_at(value, 0, other, cased);
        case ref_mode::endswith: return eq_at(value, value.size() - other.size(), other, cased);
        case ref_mode::contains:
            for (std::size_t i = 0; i + other.size() <= value.size(); ++i)
                if (eq_at(value, i, other, cased)) return true;
            return false;
    }
    return false;
}

}  // namespace mimamori::sigma
