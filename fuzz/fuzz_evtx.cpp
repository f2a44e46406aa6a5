// libFuzzer target: whole EVTX file bytes → our reader (from memory), every event rendered to
// JSON so every field value is touched. Seeds: fuzz/corpus/evtx (real samples, some trimmed).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/event.hpp"
#include "ingest/evtx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace mimamori;
    static const parse::options opts;
    event_batch batch;
    ingest::evtx::file_stats st;
    ingest::evtx::reader_options ro;
    ro.batch_size = 256;
    std::string out;
    (void)ingest::evtx::read_buffer(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.evtx", opts,
                                    ro, batch, [&](event_batch& b) {
                                        for (const auto& e : b.events()) {
                                            out.clear();
                                            write_event_json(b, e, out);
                                        }
                                    }, st);
    return 0;
}
