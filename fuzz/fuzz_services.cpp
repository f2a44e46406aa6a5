// libFuzzer target: server software's own logs — Samba's authentication audit and log.smbd
// headers ("samba") and OpenVPN's log file ("openvpn"), as line formats and as the message
// parsers behind their syslog tags. Seeds: fuzz/corpus/services. Invariants: see
// netfmt_harness.hpp.
#include "netfmt_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static mimamori::fuzzing::netfmt_harness h({"samba", "openvpn"}, {"smbd", "openvpn"});
    h.run(data, size);
    return 0;
}
