#pragma once
/// Reads a file line by line, plain or gzip-compressed (detected by magic bytes, any name),
/// in large blocks. Lines end at \n; a trailing \r is removed; a last line without a newline is
/// still a line. A line longer than `k_max_line` is cut there and flagged (the rest is skipped
/// up to the next newline), so one broken file cannot exhaust memory.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace mimamori::ingest {

class line_reader {
public:
    static constexpr std::size_t k_max_line = 1 << 20;

    /// Open `path`; "-" reads standard input.
    static result<std::unique_ptr<line_reader>> open(const std::string& path);
    ~line_reader();
    line_reader(const line_reader&) = delete;
    line_reader& operator=(const line_reader&) = delete;

    /// The next line, valid until the next call. False at end of input or on a read error
    /// (then `read_error()` is set).
    bool next(std::string_view& line);
    /// 1-based number of the line last returned.
    std::uint64_t line_number() const { return m_line_no; }
    /// Byte offset (in the decompressed stream) where the last line starts.
    std::uint64_t line_offset() const { return m_line_offset; }
    /// True when the last line was longer than k_max_line and was cut.
    bool truncated() const { return m_truncated; }
    bool compressed() const { return m_gz != nullptr; }
    /// A read error that ended the input early (empty when none).
    const std::string& read_error() const { return m_error; }

private:
    line_reader() = default;
    bool fill();

    int m_fd = -1;
    void* m_gz = nullptr;  // gzFile
    std::string m_path;
    std::unique_ptr<char[]> m_buf;
    std::size_t m_cap = 0, m_begin = 0, m_end = 0;
    bool m_eof = false;
    bool m_truncated = false;
    bool m_skip_rest = false;
    std::uint64_t m_line_no = 0;
    std::uint64_t m_consumed = 0;  // bytes before m_buf[0]
    std::uint64_t m_line_offset = 0;
    std::string m_error;
    std::string m_side;  // holds a cut over-long line
};

/// The first bytes of a file (decompressed when gzip), for sniffing. Empty on error.
std::string read_head(const std::string& path, std::size_t n = 4096);

}  // namespace mimamori::ingest
