#pragma once
/// Cheap, [[nodiscard]] result types for the hot path (no exceptions across stages).
#include <string>
#include <utility>
#include <variant>

namespace mimamori {

/// An error with a short machine code and a sentence a person can act on.
struct error {
    std::string code;     ///< stable, e.g. "io.open", "parse.syslog.header"
    std::string message;  ///< human text: what is wrong and, where known, what to do
};

/// Either a value or an error. Deliberately tiny: std::expected is C++23.
template <typename T>
class [[nodiscard]] result {
public:
    result(T value) : m_v(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    result(error e) : m_v(std::move(e)) {}      // NOLINT(google-explicit-constructor)

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(m_v); }
    const T& value() const& { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const error& err() const { return std::get<1>(m_v); }

private:
    std::variant<T, error> m_v;
};

/// Result without a value.
class [[nodiscard]] status {
public:
    status() = default;
    status(error e) : m_err(std::move(e)), m_ok(false) {}  // NOLINT(google-explicit-constructor)
    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const error& err() const { return m_err; }

private:
    error m_err;
    bool m_ok = true;
};

}  // namespace mimamori
