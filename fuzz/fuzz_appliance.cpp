// libFuzzer target: appliance formats — the "kv" (FortiGate and other key=value UTMs), "cef" and
// "leef" line formats, PAN-OS CSV ("panos"), their message parsers (tags "CEF", "LEEF") and the
// sniffers. Seeds: fuzz/corpus/appliance. Invariants: see netfmt_harness.hpp.
#include "netfmt_harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static mimamori::fuzzing::netfmt_harness h({"kv", "cef", "leef", "panos"}, {"CEF", "LEEF", ""});
    h.run(data, size);
    return 0;
}
