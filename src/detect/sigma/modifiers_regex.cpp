// Regular expressions (`re` with its i/m/s flags), decided by RE2 in the reference interpreter
// and wherever Hyperscan cannot compile a pattern. Latin-1 mode keeps RE2 byte-oriented, as
// Hyperscan is, so both evaluators agree on every input.
#include <memory>
#include <string>
#include <unordered_map>

#include <re2/re2.h>

#include "detect/sigma/modifiers.hpp"

namespace mimamori::sigma {

namespace {

std::unique_ptr<RE2> build(const string_pattern& p) {
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_case_sensitive(p.cased);
    o.set_dot_nl(p.dotall);
    o.set_log_errors(false);
    o.set_max_mem(64 << 20);
    std::string text = p.is_regex ? p.regex : glob_to_regex(p.tokens);
    if (!p.is_regex) o.set_dot_nl(true);
    if (p.multiline) text = "(?m)" + text;
    return std::make_unique<RE2>(text, o);
}

}  // namespace

std::string regex_check(const string_pattern& p) {
    auto re = build(p);
    return re->ok() ? std::string() : re->error();
}

bool regex_search(const string_pattern& p, std::string_view value) {
    thread_local std::unordered_map<std::string, std::unique_ptr<RE2>> cache;
    auto key = p.key();
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, build(p)).first;
    if (!it->second->ok()) return false;
    return RE2::PartialMatch(re2::StringPiece(value.data(), value.size()), *it->second);
}

}  // namespace mimamori::sigma
