#pragma once
/// Parsers for the message inside a syslog envelope ("sshd[123]: Failed password …").
/// The syslog parser (parse/syslog.cpp) reads the envelope — time, host, program, pid — and
/// then hands the message to the parsers registered here: first those registered for the
/// line's program name, then the content sniffers (program ""; CEF, LEEF, key=value bodies
/// that appliances send with any tag). A message parser that does not recognise the message
/// returns `not_mine` and adds nothing; the event then stays a plain syslog event with
/// `message` set, which is a valid, parsed event.
#include <string_view>
#include <vector>

#include "parse/parser.hpp"

namespace mimamori::parse {

/// Everything the envelope parser learnt, for message parsers that need it.
struct syslog_envelope {
    std::string_view host;
    std::string_view program;  ///< "sshd", "kernel", "" when the line had no tag
    std::string_view pid;
};

using message_parse_fn = parse_status (*)(const syslog_envelope& env, std::string_view msg,
                                          const context& ctx, event_batch& batch, event& e,
                                          std::string_view& why);

struct message_parser_info {
    std::string_view program;  ///< exact program name, or "" to be tried on every message
    int priority;              ///< lower first among sniffers
    message_parse_fn parse;
};

/// Registered message parsers (static registration as for line formats).
const std::vector<message_parser_info>& message_parsers();
bool register_message_parser(message_parser_info info);

#define MIMAMORI_REGISTER_MESSAGE_PARSER(ID, PROGRAM, PRIORITY, FN)                          \
    namespace {                                                                              \
    [[maybe_unused]] const bool k_registered_msg_##ID =                                      \
        ::mimamori::parse::register_message_parser({PROGRAM, PRIORITY, FN});                 \
    }

}  // namespace mimamori::parse
