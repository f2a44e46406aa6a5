#pragma once
/// Syslog over a byte stream (RFC 6587): octet counting ("LEN SP MSG") and non-transparent
/// framing (messages end at LF; a trailing CR is dropped). In `automatic` mode each frame
/// decides for itself: a frame that starts with a digit 1-9 followed by digits and a space is
/// octet-counted, anything else runs to the next LF — the way rsyslog and syslog-ng accept
/// both on one port. A message longer than the limit is cut there and counted, never fatal.
#include <algorithm>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <string>
#include <string_view>

namespace mimamori::server {

enum class framing_mode : std::uint8_t { automatic, newline, octet };

class stream_framer {
public:
    stream_framer(framing_mode mode, std::size_t max_message) : m_mode(mode), m_max(max_message) {}

    /// Feed bytes; `emit(std::string_view msg)` is called for every complete message (the view
    /// is valid during the call). Returns the number of messages emitted.
    template <typename Emit>
    std::size_t feed(std::string_view data, Emit&& emit);

    /// End of stream: a last message without its LF is still a message.
    template <typename Emit>
    std::size_t finish(Emit&& emit) {
        std::size_t n = 0;
        if (m_state == state::newline_body && !m_buf.empty() && !m_skipping) {
            std::string_view m(m_buf);
            if (!m.empty() && m.back() == '\r') m.remove_suffix(1);
            if (!m.empty()) {
                emit(m);
                ++n;
            }
        } else if (m_state == state::octet_body && !m_buf.empty()) {
            ++m_errors;  // the sender promised more bytes than it sent
            emit(std::string_view(m_buf));
            ++n;
        } else if (m_state == state::octet_len && !m_len_text.empty()) {
            ++m_errors;
        }
        reset();
        return n;
    }

    std::uint64_t errors() const { return m_errors; }      ///< bad lengths, truncated frames
    std::uint64_t truncated() const { return m_truncated; }  ///< messages cut at the limit
    std::size_t buffered() const { return m_buf.size(); }

private:
    enum class state : std::uint8_t { frame_start, octet_len, octet_body, newline_body };

    void reset() {
        m_state = state::frame_start;
        m_buf.clear();
        m_len_text.clear();
        m_need = 0;
        m_skipping = false;
    }

    framing_mode m_mode;
    std::size_t m_max;
    state m_state = state::frame_start;
    std::string m_buf;
    std::string m_len_text;
    std::size_t m_need = 0;
    bool m_skipping = false;  // after a cut: drop bytes up to the next LF
    std::uint64_t m_errors = 0, m_truncated = 0;
};

template <typename Emit>
std::size_t stream_framer::feed(std::string_view data, Emit&& emit) {
    std::size_t n = 0, i = 0;
    while (i < data.size()) {
        switch (m_state) {
            case state::frame_start: {
                char c = data[i];
                if (m_mode == framing_mode::octet || (m_mode == framing_mode::automatic && c >= '1' && c <= '9')) {
                    m_state = state::octet_len;
                } else if (c == '\n' || (c == '\r' && m_mode != framing_mode::octet)) {
                    ++i;  // empty line / stray CR between frames
                } else {
                    m_state = state::newline_body;
                }
                break;
            }
            case state::octet_len: {
                char c = data[i];
                if (c >= '0' && c <= '9' && m_len_text.size() < 10) {
                    m_len_text.push_back(c);
                    ++i;
                    break;
                }
                if (c == ' ' && !m_len_text.empty()) {
                    ++i;
                    m_need = std::stoull(m_len_text);
                    m_len_text.clear();
                    if (m_need == 0) {
                        m_state = state::frame_start;
                        break;
                    }
                    if (m_need > m_max) {
                        ++m_truncated;
                        m_skipping = true;
                    }
                    m_state = state::octet_body;
                    break;
                }
                // Not a length after all: in auto mode the digits begin a newline-framed message.
                if (m_mode == framing_mode::automatic) {
                    m_buf = m_len_text;
                    m_len_text.clear();
                    m_state = state::newline_body;
                } else {
                    ++m_errors;
                    m_len_text.clear();
                    m_state = state::frame_start;
                    ++i;
                }
                break;
            }
            case state::octet_body: {
                std::size_t take = std::min(m_need, data.size() - i);
                if (!m_skipping) {
                    if (m_buf.empty() && take == m_need) {
                        // Whole message in this read: no copy.
                        std::string_view m = data.substr(i, take);
                        if (!m.empty() && m.back() == '\n') m.remove_suffix(1);
                        emit(m);
                        ++n;
                        i += take;
                        m_need = 0;
                        m_state = state::frame_start;
                        break;
                    }
                    m_buf.append(data.data() + i, take);
                } else if (m_buf.size() < m_max) {
                    m_buf.append(data.data() + i, std::min(take, m_max - m_buf.size()));
                }
                i += take;
                m_need -= take;
                if (m_need == 0) {
                    std::string_view m(m_buf);
                    if (!m.empty() && m.back() == '\n') m.remove_suffix(1);
                    emit(m);
                    ++n;
                    m_buf.clear();
                    m_skipping = false;
                    m_state = state::frame_start;
                }
                break;
            }
            case state::newline_body: {
                const char* nl = static_cast<const char*>(std::memchr(data.data() + i, '\n', data.size() - i));
                std::size_t end = nl ? static_cast<std::size_t>(nl - data.data()) : data.size();
                if (!m_skipping) {
                    if (m_buf.empty() && nl && end - i <= m_max) {
                        std::string_view m = data.substr(i, end - i);
                        if (!m.empty() && m.back() == '\r') m.remove_suffix(1);
                        emit(m);
                        ++n;
                        i = end + 1;
                        m_state = state::frame_start;
                        break;
                    }
                    std::size_t room = m_max - std::min(m_max, m_buf.size());
                    std::size_t take = std::min(room, end - i);
                    m_buf.append(data.data() + i, take);
                    if (take < end - i) {
                        // Over the limit: emit the cut message now and drop the rest of the line.
                        ++m_truncated;
                        emit(std::string_view(m_buf));
                        ++n;
                        m_buf.clear();
                        m_skipping = true;
                    }
                }
                if (!nl) {
                    i = data.size();
                    break;
                }
                if (!m_skipping) {
                    std::string_view m(m_buf);
                    if (!m.empty() && m.back() == '\r') m.remove_suffix(1);
                    emit(m);
                    ++n;
                }
                m_buf.clear();
                m_skipping = false;
                i = end + 1;
                m_state = state::frame_start;
                break;
            }
        }
    }
    return n;
}

}  // namespace mimamori::server
