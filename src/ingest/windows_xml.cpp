// Windows event XML ("windows.xml"): what `wevtutil qe`, Get-WinEvent … ToXml(), Event Viewer's
// "Save All Events As… XML" and forwarded-event exports write — <Event> elements, one after the
// other or inside an <Events> root, UTF-8 or UTF-16 with a byte-order mark. Each <Event> goes
// through the same windows::flattener as EVTX records, so field names and values match.
//
// A small tokenizer reads the subset of XML these files use (elements, attributes, text, CDATA,
// character and the five predefined entity references, comments, processing instructions). An
// event that is not well formed becomes a malformed event with the reason, and reading resumes
// at the next "<Event".
#include <cstring>

#include "ingest/file_format.hpp"
#include "ingest/windows.hpp"

namespace mimamori::ingest::windows {

namespace {

constexpr int k_max_depth = 64;
constexpr std::string_view k_events_ns = "schemas.microsoft.com/win/2004/08/events/event";

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_name_end(char c) { return is_space(c) || c == '>' || c == '/' || c == '=' || c == '\0'; }

// UTF-16LE with BOM → UTF-8 (whole text), in place; a UTF-8 BOM is dropped.
void to_utf8(std::string& data) {
    const auto* u = reinterpret_cast<const unsigned char*>(data.data());
    if (data.size() >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
        std::string out;
        out.reserve(data.size());
        append_utf16(out, u + 2, (data.size() - 2) / 2);
        data.swap(out);
    } else if (data.size() >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
        data.erase(0, 3);
    }
}

// Skip white space, the XML declaration, comments and a doctype.
std::size_t skip_prolog(std::string_view s, std::size_t i) {
    for (;;) {
        while (i < s.size() && is_space(s[i])) ++i;
        if (s.compare(i, 2, "<?") == 0) {
            auto e = s.find("?>", i);
            if (e == std::string_view::npos) return s.size();
            i = e + 2;
        } else if (s.compare(i, 4, "<!--") == 0) {
            auto e = s.find("-->", i);
            if (e == std::string_view::npos) return s.size();
            i = e + 3;
        } else if (s.compare(i, 9, "<!DOCTYPE") == 0) {
            auto e = s.find('>', i);
            if (e == std::string_view::npos) return s.size();
            i = e + 1;
        } else {
            return i;
        }
    }
}

bool sniff_xml(std::string_view head, std::string_view /*path*/) {
    std::string text;
    if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0xFF && static_cast<unsigned char>(head[1]) == 0xFE) {
        append_utf16(text, reinterpret_cast<const std::uint8_t*>(head.data()) + 2, (head.size() - 2) / 2);
        head = text;
    } else if (head.size() >= 3 && head.compare(0, 3, "\xEF\xBB\xBF") == 0) {
        head.remove_prefix(3);
    }
    std::size_t i = skip_prolog(head, 0);
    if (head.compare(i, 7, "<Events") == 0 && i + 7 < head.size() && is_name_end(head[i + 7])) return true;
    if (head.compare(i, 6, "<Event") == 0 && i + 6 < head.size() && is_name_end(head[i + 6]))
        return head.find(k_events_ns) != std::string_view::npos || head.find("<System>") != std::string_view::npos;
    return false;
}

// Decode entity and character references of s[b, e) into out.
void append_decoded(std::string& out, std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto amp = s.find('&', i);
        if (amp == std::string_view::npos) {
            out.append(s.substr(i));
            return;
        }
        out.append(s.substr(i, amp - i));
        auto semi = s.find(';', amp);
        if (semi == std::string_view::npos || semi - amp > 12) {
            out.push_back('&');
            i = amp + 1;
            continue;
        }
        std::string_view ent = s.substr(amp + 1, semi - amp - 1);
        std::uint32_t cp = 0;
        bool ok = true;
        if (ent == "lt") cp = '<';
        else if (ent == "gt") cp = '>';
        else if (ent == "amp") cp = '&';
        else if (ent == "quot") cp = '"';
        else if (ent == "apos") cp = '\'';
        else if (ent.size() > 1 && ent[0] == '#') {
            bool hex = ent[1] == 'x' || ent[1] == 'X';
            for (std::size_t k = hex ? 2 : 1; k < ent.size() && ok; ++k) {
                char c = ent[k];
                int d = c >= '0' && c <= '9' ? c - '0'
                        : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                      : -1;
                if (d < 0 || cp > 0x10FFFF) ok = false;
                else cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(d);
            }
            if (ent.size() == (hex ? 2u : 1u) || cp > 0x10FFFF) ok = false;
        } else {
            ok = false;
        }
        if (!ok) {
            out.append(s.substr(amp, semi - amp + 1));
        } else if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
        i = semi + 1;
    }
}

std::string_view local_name(std::string_view n) {
    if (n.substr(0, 6) == "xmlns:") return n;
    auto colon = n.find(':');
    return colon == std::string_view::npos ? n : n.substr(colon + 1);
}

// Parses one element starting at s[i] == '<' into the flattener. Returns the index after it, or
// npos with `why` set.
class xml_event_parser {
public:
    xml_event_parser(std::string_view s, flattener& fl) : m_s(s), m_fl(fl) {}
    const char* why = nullptr;

    std::size_t element(std::size_t i, int depth) {
        if (depth > k_max_depth) return fail("elements nested too deeply");
        std::size_t p = i + 1;
        std::size_t ns = p;
        while (p < m_s.size() && !is_name_end(m_s[p])) ++p;
        if (p == ns || p >= m_s.size()) return fail("element cut or without a name");
        std::string_view name = m_s.substr(ns, p - ns);
        std::string_view local = local_name(name);
        m_fl.start_element(name_ref{local, classify(local)});
        // attributes
        for (;;) {
            while (p < m_s.size() && is_space(m_s[p])) ++p;
            if (p >= m_s.size()) return fail("start tag cut");
            if (m_s[p] == '/') {
                if (p + 1 >= m_s.size() || m_s[p + 1] != '>') return fail("bad empty-element tag");
                m_fl.end_element();
                return p + 2;
            }
            if (m_s[p] == '>') {
                ++p;
                break;
            }
            std::size_t an = p;
            while (p < m_s.size() && !is_name_end(m_s[p])) ++p;
            std::string_view aname = m_s.substr(an, p - an);
            while (p < m_s.size() && is_space(m_s[p])) ++p;
            if (aname.empty() || p >= m_s.size() || m_s[p] != '=') return fail("attribute without a value");
            ++p;
            while (p < m_s.size() && is_space(m_s[p])) ++p;
            if (p >= m_s.size() || (m_s[p] != '"' && m_s[p] != '\'')) return fail("attribute value not quoted");
            char q = m_s[p];
            auto close = m_s.find(q, p + 1);
            if (close == std::string_view::npos) return fail("attribute value cut");
            std::string_view alocal = local_name(aname);
            m_fl.start_attribute(name_ref{alocal, classify(aname)});
            if (m_fl.want_text()) {
                append_decoded(m_fl.text(), m_s.substr(p + 1, close - p - 1));
                m_fl.piece_done(false);
            }
            m_fl.end_attribute();
            p = close + 1;
        }
        // content
        for (;;) {
            auto lt = m_s.find('<', p);
            if (lt == std::string_view::npos) return fail("element not closed");
            if (lt > p && m_fl.want_text()) {
                std::string_view t = m_s.substr(p, lt - p);
                bool blank = true;
                for (char c : t) blank = blank && is_space(c);
                if (!blank) {
                    append_decoded(m_fl.text(), t);
                    m_fl.piece_done(false);
                }
            }
            p = lt;
            if (m_s.compare(p, 2, "</") == 0) {
                auto gt = m_s.find('>', p);
                if (gt == std::string_view::npos) return fail("end tag cut");
                std::string_view ename = m_s.substr(p + 2, gt - p - 2);
                while (!ename.empty() && is_space(ename.back())) ename.remove_suffix(1);
                if (ename != name) return fail("end tag does not match its start tag");
                m_fl.end_element();
                return gt + 1;
            }
            if (m_s.compare(p, 4, "<!--") == 0) {
                auto e = m_s.find("-->", p);
                if (e == std::string_view::npos) return fail("comment not closed");
                p = e + 3;
            } else if (m_s.compare(p, 9, "<![CDATA[") == 0) {
                auto e = m_s.find("]]>", p);
                if (e == std::string_view::npos) return fail("CDATA not closed");
                if (m_fl.want_text()) {
                    m_fl.text().append(m_s.substr(p + 9, e - p - 9));
                    m_fl.piece_done(false);
                }
                p = e + 3;
            } else if (m_s.compare(p, 2, "<?") == 0) {
                auto e = m_s.find("?>", p);
                if (e == std::string_view::npos) return fail("processing instruction not closed");
                p = e + 2;
            } else {
                p = element(p, depth + 1);
                if (p == std::string_view::npos) return p;
            }
        }
    }

private:
    std::size_t fail(const char* w) {
        if (!why) why = w;
        return std::string_view::npos;
    }
    std::string_view m_s;
    flattener& m_fl;
};

// Next "<Event" start tag (not "<Events") at or after i, or npos.
std::size_t next_event(std::string_view s, std::size_t i) {
    for (;;) {
        i = s.find("<Event", i);
        if (i == std::string_view::npos) return i;
        if (i + 6 < s.size() && is_name_end(s[i + 6]) && s[i + 6] != '=') return i;
        i += 6;
    }
}

status read_xml(const std::string& path, const parse::options& opts, event_batch& batch, const batch_sink& sink,
                read_stats& rs) {
    auto loaded = slurp(path);
    if (!loaded) return loaded.err();
    return read_event_xml(std::move(loaded.value()), path, opts, batch, sink, rs);
}

[[maybe_unused]] const bool k_registered = register_whole_file_format({"windows.xml", sniff_xml, read_xml});

}  // namespace

status read_event_xml(std::string data, std::string_view path, const parse::options& opts, event_batch& batch,
                      const batch_sink& sink, read_stats& rs) {
    to_utf8(data);
    const std::string_view s = data;
    const ecs_mapping& mapping = ecs_mapping::get(opts);
    flattener fl;
    std::string_view file_view;
    constexpr std::size_t k_batch = 4096;
    std::size_t i = next_event(s, 0);
    while (i != std::string_view::npos) {
        auto& e = batch.begin();
        if (file_view.empty()) file_view = batch.copy(path);
        e.file = file_view;
        e.offset = i;
        fl.begin(batch);
        xml_event_parser p(s, fl);
        std::size_t end = p.element(i, 1);
        fl.close_all();
        ++rs.records;
        if (end == std::string_view::npos) {
            std::size_t next = next_event(s, i + 6);
            std::size_t stop = next == std::string_view::npos ? s.size() : next;
            e.raw = batch.copy(s.substr(i, std::min<std::size_t>(stop - i, 65536)));
            e.parse_error = p.why ? p.why : "not well-formed XML";
            ++rs.malformed;
            finish_event(batch, e, fl.facts(), mapping);
            i = next;
        } else {
            e.raw = batch.copy(s.substr(i, end - i));
            finish_event(batch, e, fl.facts(), mapping);
            i = next_event(s, end);
        }
        if (batch.size() >= k_batch) {
            sink(batch);
            batch.clear();
            file_view = {};
        }
    }
    if (!batch.empty()) {
        sink(batch);
        batch.clear();
    }
    return {};
}

}  // namespace mimamori::ingest::windows
