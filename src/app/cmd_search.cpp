// `mimamori search 'QUERY'`: run a query on the store (docs/search.md).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "app/cli.hpp"
#include "query/query.hpp"
#include "server/config.hpp"
#include "store/store.hpp"

namespace mimamori::app {

namespace {

struct search_args {
    std::string query;
    std::string config;
    std::string db;
    std::string from, to;
    std::int64_t limit = 100;
    bool json = false;
    bool sql = false;
};

int run_search(const search_args& a) {
    timestamp_ns now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    query::time_range tr;
    if (!a.from.empty() && !query::parse_time_spec(a.from, now, tr.from)) {
        std::cerr << "mimamori search: --from: '" << a.from << "' is not a time (use -24h, 2024-03-01 or RFC 3339)\n";
        return 2;
    }
    if (!a.to.empty() && !query::parse_time_spec(a.to, now, tr.to)) {
        std::cerr << "mimamori search: --to: '" << a.to << "' is not a time (use now, -1h, 2024-03-01 or RFC 3339)\n";
        return 2;
    }
    query::compile_options opts;
    opts.default_limit = a.limit;
    if (a.sql) {
        auto c = query::compile(a.query, tr, opts);
        if (!c) {
            std::cerr << "mimamori search: " << c.err().message << "\n";
            return 2;
        }
        std::cout << c.value().sql << "\n";
        return 0;
    }
    std::string path = a.db;
    if (path.empty()) {
        auto cfg = server::load_config(a.config.empty() ? std::string("mimamori.yaml") : a.config);
        if (!cfg) {
            std::cerr << "mimamori search: " << cfg.err().message << " (or give --db)\n";
            return 2;
        }
        path = cfg.value().store.path;
    }
    auto db = store::open_sqlite({.path = path, .read_only = true});
    if (!db) {
        std::cerr << "mimamori search: " << db.err().message << "\n";
        return 1;
    }
    query::query_error qe;
    auto r = query::run(*db.value(), a.query, tr, opts, &qe);
    if (!r) {
        std::cerr << "mimamori search: " << r.err().message << "\n";
        return r.err().code.rfind("query.", 0) == 0 ? 2 : 1;
    }
    const auto& res = r.value();
    if (a.json) {
        std::string out;
        for (const auto& j : res.json_rows) {
            out += j;
            out += '\n';
        }
        std::fwrite(out.data(), 1, out.size(), stdout);
    } else {
        std::cout << query::render_table(res);
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.3f", res.seconds);
        std::cerr << res.cells.size() << " row(s) in " << buf << " s\n";
    }
    return 0;
}

}  // namespace

void add_search_command(CLI::App& app) {
    auto a = std::make_shared<search_args>();
    auto* cmd = app.add_subcommand("search", "Search stored events: field:value, text, ranges, AND/OR/NOT, | stats … (docs/search.md)");
    cmd->add_option("query", a->query, "The query, e.g. 'event.outcome:failure | stats count() by source.ip'")->required();
    cmd->add_option("--from", a->from, "Start of the time range: -24h, -7d, 2024-03-01, RFC 3339");
    cmd->add_option("--to", a->to, "End of the time range (exclusive): now, -1h, 2024-03-02, RFC 3339");
    cmd->add_option("-c,--config", a->config, "Daemon configuration (for the store path)");
    cmd->add_option("--db", a->db, "Store file (instead of the configuration's)");
    cmd->add_option("--limit", a->limit, "Events to show when the query has no head")->capture_default_str();
    cmd->add_flag("--json", a->json, "One JSON object per row (NDJSON)");
    cmd->add_flag("--sql", a->sql, "Print the SQL the query compiles to and exit");
    cmd->callback([a] {
        int rc = run_search(*a);
        if (rc != 0) throw CLI::RuntimeError(rc);
    });
}

}  // namespace mimamori::app
