// libFuzzer target: Windows event JSON bytes (evtx_dump, Winlogbeat, NXLog) →
// windows::read_event_json, events rendered to JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/event.hpp"
#include "ingest/windows.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mimamori;
    static const parse::options opts;
    event_batch batch;
    ingest::read_stats rs;
    std::string out;
    (void)ingest::windows::read_event_json(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json",
                                           opts, batch, [&](event_batch& b) {
                                               for (const auto& e : b.events()) {
                                                   out.clear();
                                                   write_event_json(b, e, out);
                                               }
                                           }, rs);
    return 0;
}
