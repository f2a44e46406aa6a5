// Line format "ndjson": one JSON object per line (CloudTrail via CloudWatch/S3 exports, Suricata
// EVE, GCP and Microsoft 365 audit exports, Kubernetes audit, Caddy/Traefik access logs, and any
// application that logs JSON). Flattening and ECS mapping live in json_map.cpp; the mapping is
// data: mappings/ndjson/default.yaml, or the file given with --ndjson-mapping.
#include "parse/json_map.hpp"
#include "parse/parser.hpp"

namespace mimamori::parse {

namespace {

class ndjson_parser final : public line_parser {
public:
    std::string_view name() const override { return "ndjson"; }

    status configure(const options& opts) override { return m_mapper.configure(opts); }

    parse_status parse(std::string_view line, const context& ctx, event_batch& batch, event& e,
                       std::string_view& why) override {
        std::size_t i = 0;
        if (line.size() >= 3 && line[0] == '\xEF' && line[1] == '\xBB' && line[2] == '\xBF') i = 3;  // BOM
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        if (i >= line.size() || line[i] != '{') return parse_status::not_mine;
        return m_mapper.map_object(line.substr(i), ctx, batch, e, why);
    }

private:
    json_mapper m_mapper;
};

}  // namespace

MIMAMORI_REGISTER_FORMAT("ndjson", 5, ndjson_parser)

}  // namespace mimamori::parse
