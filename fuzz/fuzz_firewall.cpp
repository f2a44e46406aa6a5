// libFuzzer target: host firewalls — the "netfilter" and "pf" (pflog via tcpdump) line formats,
// the kernel and filterlog message parsers and the sniffers (MikroTik RouterOS among them). Seeds:
// fuzz/corpus/firewall. Invariants: see netfmt_harness.hpp.
#include "netfmt_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static mimamori::fuzzing::netfmt_harness h({"netfilter", "pf"}, {"kernel", "filterlog", ""});
    h.run(data, size);
    return 0;
}
