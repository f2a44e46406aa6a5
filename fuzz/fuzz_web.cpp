// libFuzzer target: web server logs — the "web.access", "web.error" and "iis" (W3C) line formats and the
// message parsers for nginx/apache inside syslog (and the access-log sniffer). Seeds:
// fuzz/corpus/web. Invariants: see netfmt_harness.hpp.
#include "netfmt_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static mimamori::fuzzing::netfmt_harness h({"web.access", "web.error", "iis"},
                                               {"nginx", "apache2", ""});
    h.run(data, size);
    return 0;
}
