#pragma once
/// The parser contract. A parser is a pure function of (line, context) → fields of one event.
/// It never throws and never drops: a line that is its format but broken is `malformed` with a
/// reason; a line of another format is `not_mine`, and detection tries the next parser.
///
/// The line handed to a parser already lives in the batch's arena, so a parser adds substrings
/// of it as values without copying; only values it builds (unescaped, joined) go through
/// `batch.copy()`.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace mimamori::parse {

/// Settings shared by all parsers of one run (from the command line or config).
struct options {
    /// Zone of timestamps that carry none (RFC 3164 syslog, Apache without %z, …).
    time_zone zone;
    /// Path of an NDJSON field mapping (YAML) to use instead of mappings/ndjson/default.yaml.
    std::string ndjson_mapping;
    /// Directory with the data files under mappings/ (found next to the binary when empty).
    std::string mappings_dir;
};

/// What a parser knows besides the line itself.
struct context {
    const options* opts = nullptr;
    /// Time the input was last written (file mtime, or now for network input): RFC 3164 lines
    /// carry no year, so the year is that of `reference_time`, minus one when the line's month
    /// lies ahead of the reference month (a December line read in January). See
    /// docs/time-inference.md.
    timestamp_ns reference_time = 0;
};

enum class parse_status : std::uint8_t {
    ok,         ///< fields added, event complete
    not_mine,   ///< not this parser's format; nothing was added
    malformed,  ///< this parser's format, but broken: `why` says how
};

class line_parser {
public:
    virtual ~line_parser() = default;
    /// The format's name as users see it in summaries and `--format`: "syslog", "web.access" …
    virtual std::string_view name() const = 0;
    /// Called once before use. Reject bad options with a clear error.
    virtual status configure(const options& /*opts*/) { return {}; }
    /// Parse one line (without its newline) into `e`, whose provenance and raw text are already
    /// set. Set e.ts and e.source_type, add fields. On `malformed`, set `why` to a short reason
    /// with static lifetime ("missing timestamp", …) and add nothing that must be trusted.
    virtual parse_status parse(std::string_view line, const context& ctx, event_batch& batch,
                               event& e, std::string_view& why) = 0;
};

/// A registered format: a factory and its detection priority (lower is tried first when two
/// formats both accept a sample equally well; specific formats before generic ones).
struct format_info {
    std::string_view name;
    int priority;
    std::function<std::unique_ptr<line_parser>()> make;
};

/// All formats, sorted by priority. Registration happens at static-initialization time through
/// MIMAMORI_REGISTER_FORMAT in each parser's .cpp (the library is an OBJECT library so that no
/// registrar is dropped by the linker).
const std::vector<format_info>& formats();
bool register_format(format_info info);

#define MIMAMORI_REGISTER_FORMAT(NAME, PRIORITY, TYPE)                                       \
    namespace {                                                                              \
    [[maybe_unused]] const bool k_registered_##TYPE = ::mimamori::parse::register_format( \
        {NAME, PRIORITY, [] { return std::unique_ptr<::mimamori::parse::line_parser>(new TYPE()); }}); \
    }

/// The parse error of a line on which a parser threw (a bug in that parser): the line is kept
/// and counted like any malformed line instead of stopping the scan or the daemon. The fuzz
/// targets treat it as a crash.
inline constexpr std::string_view k_parser_bug = "a parser failed on this line (an internal error: please report it)";

/// Every line format, instantiated and configured, in priority order, with per-input format
/// detection. One instance per thread.
class parser_set {
public:
    /// Instantiate every registered format (or only `only`, when given) and configure each.
    static result<parser_set> create(const options& opts, std::string_view only = {});

    /// Pick the format that parses most of the sample lines (ties by priority); returns its
    /// index. Call with the first lines of a file; -1 when none parses any.
    int detect(const std::vector<std::string_view>& sample, const context& ctx);

    /// Parse `line` into a new event of `batch`: with the preferred format first, then with
    /// each other format. A line no format accepts is kept as a malformed event
    /// (source_type "unknown") so nothing is lost. Returns the index of the format that took it
    /// (-1 when none did). `e` must be the event just begun.
    int parse(std::string_view line, int preferred, const context& ctx, event_batch& batch,
              event& e);

    std::size_t size() const { return m_parsers.size(); }
    std::string_view name(int i) const { return i < 0 ? "unknown" : m_parsers[i]->name(); }
    int index_of(std::string_view name) const;
    /// Times a parser threw (see k_parser_bug); the fuzz targets require 0.
    std::size_t parser_bugs() const { return m_bugs; }

private:
    std::vector<std::unique_ptr<line_parser>> m_parsers;
    std::size_t m_bugs = 0;
};

// Small helpers shared by parsers --------------------------------------------------------------

/// True when s is a syntactically valid IPv4 or IPv6 address (no zone id, no port).
bool is_ip(std::string_view s);
bool is_ipv4(std::string_view s);
bool is_ipv6(std::string_view s);
/// "::ffff:1.2.3.4" (an IPv4 address mapped into IPv6, as dual-stack daemons print it) →
/// "1.2.3.4"; anything else unchanged. A view into s: no copy.
std::string_view unmap_ipv4(std::string_view s);
/// True when s is a decimal integer within [lo, hi].
bool is_uint_in(std::string_view s, std::uint64_t lo, std::uint64_t hi);
/// "1.2.3.4:445", "[2001:db8::5]:25" or "2001:db8::5:1194" (the port after the last ':', as
/// many daemons print IPv6) → address and port. Sets them only when both are valid.
bool split_ip_port(std::string_view s, std::string_view& ip, std::string_view& port);
/// Leading/trailing spaces and tabs removed.
std::string_view trim(std::string_view s);

}  // namespace mimamori::parse
