#pragma once
/// Field names, interned once. Every field of every event is a (field_id, value) pair; the id
/// turns comparisons and lookups into integer work. The ECS fields that Mimamori itself fills
/// are predeclared below with fixed ids; any other name (a source's native field such as
/// `EventID` or `srcip`) is interned on first use and keeps its id for the process' life.
#include <cstdint>
#include <string_view>

namespace mimamori {

using field_id = std::uint32_t;

/// How a value is written out (JSON) and compared (numbers by value). Values are always stored
/// as text: parsers never pay for conversions that nobody asks for.
enum class value_kind : std::uint8_t {
    string,   ///< text
    number,   ///< decimal integer or float as text; written unquoted in JSON
    boolean,  ///< "true" / "false"
};

// X(identifier, "ecs.name", kind) — the ECS fields Mimamori fills. Order = id.
#define MIMAMORI_ECS_FIELDS(X)                                   \
    X(message, "message", string)                                \
    X(event_kind, "event.kind", string)                          \
    X(event_category, "event.category", string)                  \
    X(event_type, "event.type", string)                          \
    X(event_action, "event.action", string)                      \
    X(event_outcome, "event.outcome", string)                    \
    X(event_reason, "event.reason", string)                      \
    X(event_code, "event.code", string)                          \
    X(event_provider, "event.provider", string)                  \
    X(event_severity, "event.severity", number)                  \
    X(event_duration, "event.duration", number)                  \
    X(source_ip, "source.ip", string)                            \
    X(source_port, "source.port", number)                        \
    X(source_mac, "source.mac", string)                          \
    X(source_domain, "source.domain", string)                    \
    X(source_bytes, "source.bytes", number)                      \
    X(source_packets, "source.packets", number)                  \
    X(source_user_name, "source.user.name", string)              \
    X(source_nat_ip, "source.nat.ip", string)                    \
    X(source_nat_port, "source.nat.port", number)                \
    X(destination_ip, "destination.ip", string)                  \
    X(destination_port, "destination.port", number)              \
    X(destination_mac, "destination.mac", string)                \
    X(destination_domain, "destination.domain", string)          \
    X(destination_bytes, "destination.bytes", number)            \
    X(destination_packets, "destination.packets", number)        \
    X(destination_nat_ip, "destination.nat.ip", string)          \
    X(destination_nat_port, "destination.nat.port", number)      \
    X(network_transport, "network.transport", string)            \
    X(network_protocol, "network.protocol", string)              \
    X(network_direction, "network.direction", string)            \
    X(network_bytes, "network.bytes", number)                    \
    X(network_packets, "network.packets", number)                \
    X(network_iana_number, "network.iana_number", number)        \
    X(observer_name, "observer.name", string)                    \
    X(observer_vendor, "observer.vendor", string)                \
    X(observer_product, "observer.product", string)              \
    X(observer_ingress_interface, "observer.ingress.interface.name", string) \
    X(observer_egress_interface, "observer.egress.interface.name", string)   \
    X(rule_name, "rule.name", string)                            \
    X(rule_id, "rule.id", string)                                \
    X(user_name, "user.name", string)                            \
    X(user_id, "user.id", string)                                \
    X(user_domain, "user.domain", string)                        \
    X(user_effective_name, "user.effective.name", string)        \
    X(user_target_name, "user.target.name", string)              \
    X(group_name, "group.name", string)                          \
    X(host_name, "host.name", string)                            \
    X(host_ip, "host.ip", string)                                \
    X(process_name, "process.name", string)                      \
    X(process_pid, "process.pid", number)                        \
    X(process_command_line, "process.command_line", string)      \
    X(process_executable, "process.executable", string)          \
    X(process_working_directory, "process.working_directory", string) \
    X(process_parent_name, "process.parent.name", string)        \
    X(url_original, "url.original", string)                      \
    X(url_path, "url.path", string)                              \
    X(url_query, "url.query", string)                            \
    X(url_domain, "url.domain", string)                          \
    X(http_request_method, "http.request.method", string)        \
    X(http_request_referrer, "http.request.referrer", string)    \
    X(http_response_status_code, "http.response.status_code", number) \
    X(http_response_body_bytes, "http.response.body.bytes", number)   \
    X(http_version, "http.version", string)                      \
    X(user_agent_original, "user_agent.original", string)        \
    X(log_level, "log.level", string)                            \
    X(log_syslog_facility_code, "log.syslog.facility.code", number) \
    X(log_syslog_severity_code, "log.syslog.severity.code", number) \
    X(log_syslog_appname, "log.syslog.appname", string)          \
    X(log_syslog_msgid, "log.syslog.msgid", string)              \
    X(log_syslog_version, "log.syslog.version", number)          \
    X(file_path, "file.path", string)                            \
    X(file_name, "file.name", string)                            \
    X(file_hash_sha256, "file.hash.sha256", string)              \
    X(dns_question_name, "dns.question.name", string)            \
    X(email_from, "email.from.address", string)                  \
    X(email_to, "email.to.address", string)                      \
    X(email_message_id, "email.message_id", string)              \
    X(error_message, "error.message", string)                    \
    X(service_name, "service.name", string)                      \
    X(cloud_provider, "cloud.provider", string)                  \
    X(cloud_region, "cloud.region", string)                      \
    X(cloud_account_id, "cloud.account.id", string)              \
    X(tags, "tags", string)

namespace f {
enum : field_id {
#define MIMAMORI_X(id, name, kind) id,
    MIMAMORI_ECS_FIELDS(MIMAMORI_X)
#undef MIMAMORI_X
    k_first_dynamic
};
}  // namespace f

namespace detail {
inline constexpr value_kind k_ecs_kinds[] = {
#define MIMAMORI_X(id, name, kind) value_kind::kind,
    MIMAMORI_ECS_FIELDS(MIMAMORI_X)
#undef MIMAMORI_X
};
}  // namespace detail

/// The kind a value of this field is written as unless the parser says otherwise. Lock-free.
constexpr value_kind default_kind(field_id id) {
    return id < f::k_first_dynamic ? detail::k_ecs_kinds[id] : value_kind::string;
}

/// The interned id for a name (registers it on first use). Thread-safe; take it once, outside
/// hot loops (`static const field_id k = intern("srcip");`).
field_id intern(std::string_view name);

/// The id for a name if it is known, or `k_no_field`. Never registers.
inline constexpr field_id k_no_field = ~field_id{0};
field_id find_field(std::string_view name);

/// The name of an interned id. Views stay valid for the process' life. Lock-free.
std::string_view field_name(field_id id);

/// The declared kind of a predeclared ECS field; `string` for dynamic ones unless they were
/// interned with a kind.
value_kind field_kind(field_id id);

/// Number of ids handed out so far.
std::size_t field_count();

}  // namespace mimamori
