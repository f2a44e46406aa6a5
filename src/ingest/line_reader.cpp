#include "ingest/line_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

namespace mimamori::ingest {

namespace {
constexpr std::size_t k_block = 1 << 20;

bool has_gzip_magic(int fd) {
    unsigned char m[2];
    ssize_t n = pread(fd, m, 2, 0);
    return n == 2 && m[0] == 0x1f && m[1] == 0x8b;
}
}  // namespace

result<std::unique_ptr<line_reader>> line_reader::open(const std::string& path) {
    std::unique_ptr<line_reader> r(new line_reader());
    r->m_path = path;
    if (path == "-") {
        r->m_fd = 0;
    } else {
        r->m_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (r->m_fd < 0)
            return error{"io.open", "cannot open " + path + ": " + std::strerror(errno)};
        if (has_gzip_magic(r->m_fd)) {
            int dup_fd = ::dup(r->m_fd);
            r->m_gz = gzdopen(dup_fd, "rb");
            if (!r->m_gz) {
                ::close(dup_fd);
                return error{"io.open", "cannot open gzip stream in " + path};
            }
            gzbuffer(static_cast<gzFile>(r->m_gz), 256 * 1024);
        }
    }
    r->m_cap = 2 * k_block;
    r->m_buf = std::make_unique<char[]>(r->m_cap);
    return r;
}

line_reader::~line_reader() {
    if (m_gz) gzclose(static_cast<gzFile>(m_gz));
    if (m_fd > 0) ::close(m_fd);
}

bool line_reader::fill() {
    if (m_eof) return false;
    // Move the unread tail to the front, grow if a single line fills the buffer.
    if (m_begin > 0) {
        std::memmove(m_buf.get(), m_buf.get() + m_begin, m_end - m_begin);
        m_consumed += m_begin;
        m_end -= m_begin;
        m_begin = 0;
    }
    if (m_end + k_block > m_cap) {
        std::size_t cap = m_cap * 2;
        auto nb = std::make_unique<char[]>(cap);
        std::memcpy(nb.get(), m_buf.get(), m_end);
        m_buf = std::move(nb);
        m_cap = cap;
    }
    long n;
    if (m_gz) {
        n = gzread(static_cast<gzFile>(m_gz), m_buf.get() + m_end, static_cast<unsigned>(k_block));
        if (n < 0) {
            int code = 0;
            const char* msg = gzerror(static_cast<gzFile>(m_gz), &code);
            m_error = "gzip stream broken in " + m_path + ": " + (msg ? msg : "unknown error");
            m_eof = true;
            return false;
        }
        // A truncated .gz ends without error from gzread; zlib reports it through gzerror.
        if (n == 0) {
            int code = 0;
            const char* msg = gzerror(static_cast<gzFile>(m_gz), &code);
            if (code != Z_OK && code != Z_STREAM_END)
                m_error = "gzip stream broken in " + m_path + ": " + (msg ? msg : "unknown");
        }
    } else {
        do {
            n = ::read(m_fd, m_buf.get() + m_end, k_block);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            m_error = "read error in " + m_path + ": " + std::strerror(errno);
            m_eof = true;
            return false;
        }
    }
    if (n == 0) {
        m_eof = true;
        return false;
    }
    m_end += static_cast<std::size_t>(n);
    return true;
}

bool line_reader::next(std::string_view& line) {
    m_truncated = false;
    if (m_skip_rest) {
        // Drop the remainder of a line that was cut at k_max_line.
        for (;;) {
            const void* nl = std::memchr(m_buf.get() + m_begin, '\n', m_end - m_begin);
            if (nl) {
                m_begin = static_cast<std::size_t>(static_cast<const char*>(nl) - m_buf.get()) + 1;
                break;
            }
            m_begin = m_end;
            if (!fill()) break;
        }
        m_skip_rest = false;
    }
    for (;;) {
        const char* start = m_buf.get() + m_begin;
        std::size_t avail = m_end - m_begin;
        const void* nl = avail ? std::memchr(start, '\n', std::min(avail, k_max_line + 1)) : nullptr;
        if (!nl && avail > k_max_line) {
            m_truncated = true;
            m_skip_rest = true;
            m_line_offset = m_consumed + m_begin;
            ++m_line_no;
            m_side.assign(start, k_max_line);
            m_begin += k_max_line;
            line = m_side;
            return true;
        }
        if (nl || (m_eof && avail > 0)) {
            std::size_t len =
                nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : avail;
            m_line_offset = m_consumed + m_begin;
            line = {start, len};
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            m_begin += nl ? len + 1 : len;
            ++m_line_no;
            return true;
        }
        if (!fill() && m_end == m_begin) return false;
    }
}

std::string read_head(const std::string& path, std::size_t n) {
    gzFile g = gzopen(path.c_str(), "rb");  // reads plain files transparently too
    if (!g) return {};
    std::string out(n, '\0');
    int got = gzread(g, out.data(), static_cast<unsigned>(n));
    gzclose(g);
    out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return out;
}

}  // namespace mimamori::ingest
