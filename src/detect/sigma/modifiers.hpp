#pragma once
/// Value modifiers, one family per .cpp file (modifiers_<family>.cpp): string (wildcards,
/// windash, contains/startswith/endswith), regex, encoding (base64, base64offset, utf16*),
/// cidr, numeric, time, fieldref. The compiler applies them; both evaluators use the matching
/// functions here.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/sigma/ir.hpp"

namespace mimamori::sigma {

// ---- string family ------------------------------------------------------------------------

/// Read a Sigma value: `*` and `?` are wildcards; a backslash escapes `*`, `?` and itself and
/// is a plain backslash before anything else (so `C:\Windows` needs no doubling, `\*` is a
/// star, `\\*` is a backslash then a wildcard, `\\\\` is two backslashes).
glob parse_wildcards(std::string_view value);
/// A value with no wildcards at all (for modifiers that need plain text, like base64).
glob literal_glob(std::string_view text);
/// Merge adjacent literals and collapse runs of `*`.
void normalize(glob& g);
/// The text of a glob made only of literals, or nullopt.
std::optional<std::string> plain_text(const glob& g);
/// contains / startswith / endswith: put `*` where the modifier says.
void add_wildcards(glob& g, bool before, bool after);
/// windash: every `-` or `/` that starts a command-line flag (not after a word character,
/// followed by one) may be any of - / – — ―.
void apply_windash(glob& g);
/// Whole-value wildcard match, ASCII case folding unless `cased`.
bool glob_match(const glob& g, std::string_view value, bool cased);
/// True when the glob can match the empty value.
bool glob_matches_empty(const glob& g);
/// Glob as a Sigma value again (escaping wildcards), for messages and keys.
std::string glob_to_text(const glob& g);
/// Glob as a regular expression (Hyperscan/RE2 syntax) matching the whole value.
/// `\A`/`\z` anchors are left out where the glob starts/ends with `*`.
std::string glob_to_regex(const glob& g);

// ---- regex family -------------------------------------------------------------------------

/// Empty when RE2 compiles the pattern (with these flags), else RE2's reason.
std::string regex_check(const string_pattern& p);
/// Search the value (RE2, Latin-1 so that bytes behave as in Hyperscan). Compiled patterns are
/// cached per thread.
bool regex_search(const string_pattern& p, std::string_view value);

// ---- encoding family ----------------------------------------------------------------------

std::string encode_utf16le(std::string_view utf8);
std::string encode_utf16be(std::string_view utf8);
/// Byte order mark FF FE, then UTF-16LE.
std::string encode_utf16_bom(std::string_view utf8);
std::string encode_base64(std::string_view bytes);
/// The three forms `bytes` takes inside a longer base64 text, for offsets 0, 1 and 2: the
/// encoding with the characters that depend on neighbouring bytes cut off.
std::vector<std::string> encode_base64_offsets(std::string_view bytes);

// ---- cidr family --------------------------------------------------------------------------

/// "10.0.0.0/8", "fe80::/10", or a bare address (full-length prefix).
bool parse_cidr(std::string_view text, ip_net& out);
/// Parse an IPv4 or IPv6 address (IPv4-mapped IPv6 counts as IPv4).
bool parse_ip(std::string_view text, ip_net& out);
bool cidr_contains(const ip_net& net, const ip_net& ip);

// ---- numeric family -----------------------------------------------------------------------

/// Decimal integer or float, or 0x-prefixed hex; surrounding spaces allowed.
bool parse_number(std::string_view text, double& out);
bool compare(double value, cmp_op op, double rhs);
const char* op_name(cmp_op op);

// ---- time family --------------------------------------------------------------------------

/// The minute (0-59), hour (0-23), day (1-31), ISO week (1-53), month (1-12) or year of a date
/// written "YYYY-MM-DD[T ]hh:mm[:ss[.frac]][Z|±hh:mm]". No zone conversion (as the spec says).
bool time_part(std::string_view value, time_unit unit, int& out);
const char* unit_name(time_unit u);

// ---- fieldref family ----------------------------------------------------------------------

/// Does `value` relate to `other` as the mode says (ASCII case folding unless cased)?
bool fieldref_match(std::string_view value, std::string_view other, ref_mode mode, bool cased);

}  // namespace mimamori::sigma
