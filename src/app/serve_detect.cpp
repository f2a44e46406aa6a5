#include "app/serve_detect.hpp"

namespace mimamori::app {

result<std::unique_ptr<server::detect_stage>> make_serve_detect(const server::config& cfg) {
    (void)cfg;
    return std::unique_ptr<server::detect_stage>();
}

}  // namespace mimamori::app
