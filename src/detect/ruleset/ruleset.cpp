// The compiled ruleset: buckets, Hyperscan databases, condition programs, on-disk cache.
#include "detect/ruleset/ruleset.hpp"

#include <hs/hs.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <unordered_map>

#include "detect/sigma/interpreter.hpp"
#include "detect/sigma/loader.hpp"
#include "detect/sigma/modifiers.hpp"

namespace mimamori::detect {

namespace fs = std::filesystem;
using sigma::expr_node;
using sigma::pred_kind;

// Bump when anything that shapes the compiled databases changes.
static constexpr std::string_view k_engine_version = "mimamori-sigma-ruleset-4";

std::string default_cache_dir() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/mimamori";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/mimamori";
    return {};
}

namespace {

enum class opc : std::uint8_t { pred, and_, or_, at_least, not_, t, f };
// Prefix-order program: a node, then its children; `size` counts the node's whole subtree, so
// and/or can stop at the first decisive child and jump past the rest.
struct instr {
    opc op;
    std::uint32_t a = 0;     // pred index / child count
    std::uint32_t b = 0;     // at_least threshold
    std::uint32_t size = 1;  // instructions in this subtree, this one included
};

struct bpred {
    const sigma::predicate* p = nullptr;
    bool direct = false;
    std::vector<field_id> ids, other;
};

struct accept {
    std::uint32_t source = 0;              // index into impl::sources
    std::vector<std::uint32_t> eids;       // empty = any
};

struct placement {
    std::uint32_t rule = 0;
    std::vector<accept> accepts;  // the sources (and EventIDs) this placement is for
    std::vector<instr> prog;
    std::vector<field_id> key_fields;
    std::vector<std::uint32_t> pmap;  // rule predicate → bucket predicate
};

// A literal pattern of a literal database: which predicate it stands for and where it must sit.
struct lit_info {
    std::uint32_t pred = 0;
    std::uint32_t len = 0;
    bool at_start = false, at_end = false;
    /// Set when the literal is only a required part of a wildcard pattern (a prefilter): a hit
    /// means "decide this pattern on the value now", with the wildcard matcher.
    const sigma::string_pattern* confirm = nullptr;
};

// A wildcard pattern whose longest literal part has at least this many bytes is found through
// that part in the literal database and confirmed directly, instead of a regex database scan.
constexpr std::size_t k_min_prefilter = 3;

// The five characters windash lets a flag start with, UTF-8 (as sigma/modifiers_string.cpp).
constexpr std::array<std::string_view, 5> k_dashes{"-", "/", "\xE2\x80\x93", "\xE2\x80\x94", "\xE2\x80\x95"};
// A pattern with up to this many windash positions is expanded into literals (5^n of them);
// more stay a regular expression.
constexpr std::size_t k_max_dash_expand = 2;

// One Hyperscan database: the patterns of every predicate on one field. Pure literals (the
// bulk: contains/startswith/endswith/equals without inner wildcards) go to a literal database,
// which compiles far faster than the same strings as regexes; anchors are checked on match.
struct pattern_job {
    field_id field = 0;  // k_no_field: the keyword database
    bool literal = false;
    std::vector<std::string> exprs;
    std::vector<unsigned> flags, ids;  // literal: ids[i] == i, one per distinct (text, flags)
    // literal: the patterns of id i are info[group[i] .. group[i + 1]) (many rules share a text)
    std::vector<lit_info> info;
    std::vector<std::uint32_t> group;
    /// A handful of literals is cheaper to compare directly than to hand to Hyperscan (whose
    /// per-scan set-up costs more than a few memcmp); such jobs have no database.
    bool small = false;
    std::vector<std::string> folded;  // small: the literals, ASCII-lowered where caseless
    std::vector<std::uint8_t> need;   // small: per literal, which positions its patterns want
    hs_database_t* db = nullptr;
};

constexpr std::size_t k_small_job = 16;
// Events matched together (see ruleset::match). Measured on the all-Windows-rules benchmark:
// 128-256 lose a fifth of the gain (each database is reused over fewer events), 1024 and 4096
// are equal; 1024 keeps the tile's values (~1 KB per Windows event) within L2.
constexpr std::uint32_t k_match_tile = 1024;
// Where the patterns of one small-job literal may sit (pattern_job::need).
constexpr std::uint8_t k_need_start = 1, k_need_end = 2, k_need_inside = 4, k_need_equal = 8;

struct bucket {
    std::vector<bpred> preds;
    std::vector<pattern_job> jobs;
    std::vector<std::array<std::int32_t, 2>> slot;  // field id → (regex job, literal job), -1 = none
    std::array<std::int32_t, 2> keyword_job{-1, -1};
    std::vector<std::uint32_t> placements;
    // Rules to wake: pred p wakes the placements trig[trig_off[p] .. trig_off[p + 1]).
    std::vector<std::uint32_t> trig_off, trig;
    std::vector<std::uint32_t> always;                 // placements that may match with no bit set
};

struct type_entry {
    std::unordered_map<std::uint32_t, std::uint32_t> by_eid;
    std::int32_t any = -1;
};

bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
    return true;
}

bool parse_u32(std::string_view s, std::uint32_t& out) {
    if (s.empty() || s.size() > 9) return false;
    std::uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<std::uint32_t>(c - '0');
    }
    out = v;
    return true;
}

// EventIDs the rule cannot match without (nullopt = not constrained).
std::optional<std::set<std::uint32_t>> required_eids(const sigma::rule_ir& r, std::uint32_t n) {
    const auto& x = r.nodes[n];
    switch (x.o) {
        case expr_node::op::pred: {
            const auto& p = r.preds[x.pred];
            if (p.kind != pred_kind::match || p.field != "EventID") return std::nullopt;
            std::set<std::uint32_t> s;
            for (const auto& pat : p.patterns) {
                if (pat.is_regex) return std::nullopt;
                auto t = sigma::plain_text(pat.tokens);
                std::uint32_t v;
                if (!t || !parse_u32(*t, v)) return std::nullopt;
                s.insert(v);
            }
            return s;
        }
        case expr_node::op::and_: {
            std::optional<std::set<std::uint32_t>> acc;
            for (auto k : x.kids) {
                auto s = required_eids(r, k);
                if (!s) continue;
                if (!acc) {
                    acc = std::move(s);
                } else {
                    std::set<std::uint32_t> both;
                    for (auto v : *acc)
                        if (s->count(v)) both.insert(v);
                    acc = std::move(both);
                }
            }
            return acc;
        }
        case expr_node::op::or_: {
            if (x.pred > 1) return std::nullopt;
            std::set<std::uint32_t> all;
            for (auto k : x.kids) {
                auto s = required_eids(r, k);
                if (!s) return std::nullopt;
                all.insert(s->begin(), s->end());
            }
            return all;
        }
        default: return std::nullopt;
    }
}

// Three-valued evaluation with every Hyperscan predicate false and direct ones unknown:
// 0 false, 1 unknown, 2 true. A placement that is not surely false must run on every event.
int tri(const sigma::rule_ir& r, std::uint32_t n, const std::vector<std::uint32_t>& pmap, const bucket& b) {
    const auto& x = r.nodes[n];
    switch (x.o) {
        case expr_node::op::const_true: return 2;
        case expr_node::op::const_false: return 0;
        case expr_node::op::pred: return b.preds[pmap[x.pred]].direct ? 1 : 0;
        case expr_node::op::not_: return 2 - tri(r, x.kids[0], pmap, b);
        case expr_node::op::and_: {
            int res = 2;
            for (auto k : x.kids) res = std::min(res, tri(r, k, pmap, b));
            return res;
        }
        case expr_node::op::or_: {
            std::uint32_t need = x.pred > 1 ? x.pred : 1, yes = 0, maybe = 0;
            for (auto k : x.kids) {
                int v = tri(r, k, pmap, b);
                yes += v == 2;
                maybe += v == 1;
            }
            if (yes >= need) return 2;
            if (yes + maybe < need) return 0;
            return 1;
        }
    }
    return 1;
}

// Rough cost of deciding a subtree: a Hyperscan bit is nearly free, a direct predicate is not.
std::uint32_t cost(const sigma::rule_ir& r, std::uint32_t n, const std::vector<std::uint32_t>& pmap, const std::vector<bpred>& preds) {
    const auto& x = r.nodes[n];
    if (x.o == expr_node::op::pred) return preds[pmap[x.pred]].direct ? 64 : 1;
    std::uint32_t c = 1;
    for (auto k : x.kids) c += cost(r, k, pmap, preds);
    return c;
}

void emit(const sigma::rule_ir& r, std::uint32_t n, const std::vector<std::uint32_t>& pmap, const std::vector<bpred>& preds,
          std::vector<instr>& out) {
    const auto& x = r.nodes[n];
    std::size_t at = out.size();
    switch (x.o) {
        case expr_node::op::const_true: out.push_back({opc::t}); return;
        case expr_node::op::const_false: out.push_back({opc::f}); return;
        case expr_node::op::pred: out.push_back({opc::pred, pmap[x.pred]}); return;
        case expr_node::op::not_:
            out.push_back({opc::not_});
            emit(r, x.kids[0], pmap, preds, out);
            break;
        case expr_node::op::and_:
        case expr_node::op::or_: {
            auto n_kids = static_cast<std::uint32_t>(x.kids.size());
            if (x.o == expr_node::op::and_) out.push_back({opc::and_, n_kids});
            else if (x.pred > 1) out.push_back({opc::at_least, n_kids, x.pred});
            else out.push_back({opc::or_, n_kids});
            // Cheapest children first: the result is the same, the first decisive one ends it.
            std::vector<std::pair<std::uint32_t, std::uint32_t>> kids;
            for (auto k : x.kids) kids.emplace_back(cost(r, k, pmap, preds), k);
            std::stable_sort(kids.begin(), kids.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
            for (const auto& [c, k] : kids) emit(r, k, pmap, preds, out);
            break;
        }
    }
    out[at].size = static_cast<std::uint32_t>(out.size() - at);
}

// Predicates one of which must be true (and found by Hyperscan) for the subtree to be true, or
// nullopt when no such set exists (negations, direct predicates, constants). An or-node needs
// all its children's sets; an and-node needs only one child's: the least popular one.
std::optional<std::vector<std::uint32_t>> triggers_of(const sigma::rule_ir& r, std::uint32_t n,
                                                      const std::vector<std::uint32_t>& pmap, const bucket& b,
                                                      const std::vector<std::uint32_t>& popularity) {
    const auto& x = r.nodes[n];
    switch (x.o) {
        case expr_node::op::pred: {
            auto p = pmap[x.pred];
            if (b.preds[p].direct) return std::nullopt;
            return std::vector<std::uint32_t>{p};
        }
        case expr_node::op::const_false: return std::vector<std::uint32_t>{};
        case expr_node::op::const_true:
        case expr_node::op::not_: return std::nullopt;
        case expr_node::op::or_: {
            std::vector<std::uint32_t> all;
            for (auto k : x.kids) {
                auto t = triggers_of(r, k, pmap, b, popularity);
                if (!t) return std::nullopt;
                all.insert(all.end(), t->begin(), t->end());
            }
            return all;
        }
        case expr_node::op::and_: {
            std::optional<std::vector<std::uint32_t>> best;
            std::uint64_t best_cost = ~0ull;
            for (auto k : x.kids) {
                auto t = triggers_of(r, k, pmap, b, popularity);
                if (!t) continue;
                std::uint64_t c = 0;
                for (auto p : *t) c += popularity[p];
                if (c < best_cost) {
                    best_cost = c;
                    best = std::move(t);
                }
            }
            return best;
        }
    }
    return std::nullopt;
}

unsigned hs_flags(const sigma::string_pattern& p) {
    unsigned f = HS_FLAG_SINGLEMATCH;
    if (!p.cased) f |= HS_FLAG_CASELESS;
    if (p.is_regex) {
        if (p.multiline) f |= HS_FLAG_MULTILINE;
        if (p.dotall) f |= HS_FLAG_DOTALL;
    } else {
        f |= HS_FLAG_DOTALL;
    }
    return f;
}

}  // namespace

struct ruleset::impl {
    std::vector<sigma::rule_ir> rules;
    std::vector<event_source> sources;
    std::vector<placement> placements;
    std::vector<bucket> buckets;
    std::unordered_map<std::string, type_entry> types;
    std::vector<bool> rule_mapped;
    hs_scratch_t* proto = nullptr;
    ruleset_stats stats;
    std::size_t max_preds = 0;
    field_id channel_id = 0, provider_id = 0, eventid_id = 0;

    ~impl() {
        for (auto& b : buckets)
            for (auto& j : b.jobs)
                if (j.db) hs_free_database(j.db);
        if (proto) hs_free_scratch(proto);
    }
};

struct ruleset::scratch::state {
    hs_scratch_t* hs = nullptr;
    std::uint32_t epoch = 0;        // one per (event, bucket) pass
    std::vector<std::uint32_t> bit_epoch;     // per bucket pred: == epoch → true (Hyperscan)
    std::vector<std::uint32_t> memo_epoch;    // per bucket pred: == epoch → direct value cached
    std::vector<std::uint8_t> memo_val;
    std::vector<std::uint32_t> mark;          // per placement: == epoch → already a candidate
    std::vector<std::uint32_t> cand;
    std::vector<std::uint8_t> stack;
    // Batch-major matching (see match()): per event its buckets, per bucket its events, the
    // scans grouped by database, and the predicate hits they produced.
    struct visit {
        std::int32_t bucket[2] = {-1, -1};
        std::uint32_t eid = 0;
        bool has_eid = false;
        std::uint32_t kw_begin = 0, kw_end = 0;  // this event's keyword text in kw_text
    };
    struct task {
        std::uint32_t local = 0;  // index into the bucket's event list
        std::string_view value;
    };
    struct hit {
        std::uint32_t local = 0, pred = 0;
    };
    std::vector<visit> visits;
    std::vector<std::vector<std::uint32_t>> bucket_events;  // bucket → events (batch indexes)
    std::vector<std::uint32_t> touched;                     // buckets with events, first-seen order
    std::vector<std::vector<task>> tasks;                   // job → scans, for the current bucket
    std::vector<hit> hits, sorted_hits;
    std::vector<std::uint32_t> hit_off, cursor;
    std::string kw_text;                                    // keyword texts, NUL-separated
    std::string folded;  // a value, ASCII-lowered, for small literal jobs
    const bucket* b = nullptr;
    ~state() {
        if (hs) hs_free_scratch(hs);
    }
};

ruleset::scratch::~scratch() = default;
ruleset::ruleset(std::unique_ptr<impl> p) : m_impl(std::move(p)) {}
ruleset::~ruleset() = default;
const std::vector<sigma::rule_ir>& ruleset::rules() const { return m_impl->rules; }
const ruleset_stats& ruleset::stats() const { return m_impl->stats; }
bool ruleset::mapped(std::uint32_t rule) const { return rule < m_impl->rule_mapped.size() && m_impl->rule_mapped[rule]; }

std::vector<field_id> ruleset::key_fields(const rule_match& m) const { return m_impl->placements[m.placement].key_fields; }

namespace {

// ---- the on-disk cache ----------------------------------------------------------------------

std::uint64_t jobs_key(const std::vector<bucket>& buckets) {
    std::uint64_t h = sigma::fnv1a(k_engine_version);
    h = sigma::fnv1a(hs_version(), h);
    for (const auto& b : buckets) {
        h = sigma::fnv1a("B", h);
        for (const auto& j : b.jobs) {
            h = sigma::fnv1a(std::string_view(reinterpret_cast<const char*>(&j.field), sizeof j.field), h);
            h = sigma::fnv1a(j.literal ? "L" : "R", h);
            for (std::size_t i = 0; i < j.exprs.size(); ++i) {
                h = sigma::fnv1a(j.exprs[i], h);
                unsigned fi[2] = {j.flags[i], j.ids[i]};
                h = sigma::fnv1a(std::string_view(reinterpret_cast<const char*>(fi), sizeof fi), h);
            }
        }
    }
    return h;
}

template <typename T>
void put(std::string& out, T v) {
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <typename T>
bool get(std::string_view& in, T& v) {
    if (in.size() < sizeof v) return false;
    std::memcpy(&v, in.data(), sizeof v);
    in.remove_prefix(sizeof v);
    return true;
}

bool load_cache(const std::string& file, std::uint64_t key, std::vector<bucket>& buckets) {
    std::ifstream f(file, std::ios::binary);
    if (!f) return false;
    std::stringstream ss;
    ss << f.rdbuf();
    std::string data = ss.str();
    std::string_view in(data);
    std::uint64_t k = 0;
    if (in.substr(0, 8) != std::string_view("MMSIGHS1", 8)) return false;
    in.remove_prefix(8);
    if (!get(in, k) || k != key) return false;
    std::vector<hs_database_t*> dbs;
    auto fail = [&] {
        for (auto* d : dbs)
            if (d) hs_free_database(d);
        return false;
    };
    std::vector<std::vector<std::uint32_t>> directs;
    for (auto& b : buckets) {
        std::uint32_t nd;
        if (!get(in, nd)) return fail();
        std::vector<std::uint32_t> d(nd);
        for (auto& x : d)
            if (!get(in, x)) return fail();
        directs.push_back(std::move(d));
        for (std::size_t j = 0; j < b.jobs.size(); ++j) {
            if (b.jobs[j].small) {
                dbs.push_back(nullptr);
                continue;
            }
            std::uint64_t sz;
            if (!get(in, sz) || in.size() < sz) return fail();
            hs_database_t* db = nullptr;
            if (hs_deserialize_database(in.data(), sz, &db) != HS_SUCCESS) return fail();
            dbs.push_back(db);
            in.remove_prefix(sz);
        }
    }
    std::size_t i = 0, bi = 0;
    for (auto& b : buckets) {
        for (auto x : directs[bi++])
            if (x < b.preds.size()) b.preds[x].direct = true;
        for (auto& j : b.jobs) j.db = dbs[i++];
    }
    return true;
}

void save_cache(const std::string& file, std::uint64_t key, const std::vector<bucket>& buckets) {
    std::string out("MMSIGHS1", 8);
    put(out, key);
    for (const auto& b : buckets) {
        std::vector<std::uint32_t> d;
        for (std::uint32_t i = 0; i < b.preds.size(); ++i)
            if (b.preds[i].direct) d.push_back(i);
        put(out, static_cast<std::uint32_t>(d.size()));
        for (auto x : d) put(out, x);
        for (const auto& j : b.jobs) {
            if (j.small) continue;
            char* bytes = nullptr;
            size_t len = 0;
            if (hs_serialize_database(j.db, &bytes, &len) != HS_SUCCESS) return;
            put(out, static_cast<std::uint64_t>(len));
            out.append(bytes, len);
            std::free(bytes);
        }
    }
    std::error_code ec;
    fs::create_directories(fs::path(file).parent_path(), ec);
    std::string tmp = file + ".tmp" + std::to_string(::getpid());
    {
        std::ofstream f(tmp, std::ios::binary);
        f.write(out.data(), static_cast<std::streamsize>(out.size()));
        if (!f) return;
    }
    fs::rename(tmp, file, ec);
}

// Compile one job; patterns Hyperscan rejects turn their predicate into a direct one.
bool compile_job(pattern_job& j, bucket& b, ruleset_stats& st) {
    if (j.small) {
        st.patterns += j.exprs.size();
        return true;
    }
    if (j.literal) {
        std::vector<const char*> ex;
        std::vector<std::size_t> lens;
        for (const auto& e : j.exprs) {
            ex.push_back(e.data());
            lens.push_back(e.size());
        }
        hs_compile_error_t* err = nullptr;
        auto t0 = std::chrono::steady_clock::now();
        auto rc = hs_compile_lit_multi(ex.data(), j.flags.data(), j.ids.data(), lens.data(),
                                       static_cast<unsigned>(ex.size()), HS_MODE_BLOCK, nullptr, &j.db, &err);
        if (std::getenv("MIMAMORI_SIGMA_DEBUG"))
            std::fprintf(stderr, "lit field=%s n=%zu %.3fs\n", j.field == k_no_field ? "(keywords)" : std::string(field_name(j.field)).c_str(),
                         ex.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (rc != HS_SUCCESS) {
            hs_free_compile_error(err);
            return false;
        }
        st.patterns += ex.size();
        return true;
    }
    for (;;) {
        std::vector<const char*> ex;
        std::vector<unsigned> flags, ids;
        for (std::size_t i = 0; i < j.exprs.size(); ++i) {
            if (b.preds[j.ids[i]].direct) continue;
            ex.push_back(j.exprs[i].c_str());
            flags.push_back(j.flags[i]);
            ids.push_back(j.ids[i]);
        }
        if (ex.empty()) {
            // Keep a database anyway so the cache layout stays fixed: a pattern that never matches.
            static const char* k_never = "\\A\\z\\x00never";
            unsigned f = 0, id = 0;
            hs_compile_error_t* err = nullptr;
            if (hs_compile_multi(&k_never, &f, &id, 1, HS_MODE_BLOCK, nullptr, &j.db, &err) != HS_SUCCESS) {
                hs_free_compile_error(err);
                return false;
            }
            return true;
        }
        hs_compile_error_t* err = nullptr;
        auto t0 = std::chrono::steady_clock::now();
        auto rc = hs_compile_multi(ex.data(), flags.data(), ids.data(), static_cast<unsigned>(ex.size()), HS_MODE_BLOCK,
                                   nullptr, &j.db, &err);
        if (std::getenv("MIMAMORI_SIGMA_DEBUG"))
            std::fprintf(stderr, "job field=%s n=%zu %.3fs\n", j.field == k_no_field ? "(keywords)" : std::string(field_name(j.field)).c_str(),
                         ex.size(), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        if (rc == HS_SUCCESS) {
            st.patterns += ex.size();
            return true;
        }
        int bad = err ? err->expression : -1;
        hs_free_compile_error(err);
        if (bad < 0) return false;
        b.preds[ids[static_cast<std::size_t>(bad)]].direct = true;
        ++st.re2_fallbacks;
    }
}

}  // namespace

result<std::unique_ptr<ruleset>> ruleset::build(std::vector<sigma::rule_ir> rules, const logsource_map& map,
                                                const ruleset_options& opts) {
    auto t0 = std::chrono::steady_clock::now();
    auto m = std::make_unique<impl>();
    m->rules = std::move(rules);
    m->stats.rules = m->rules.size();
    m->rule_mapped.assign(m->rules.size(), false);
    m->channel_id = intern("Channel");
    m->provider_id = intern("Provider_Name");
    m->eventid_id = intern("EventID");

    // Sources: copy each mapped entry's sources once.
    std::unordered_map<const event_source*, std::uint32_t> src_index;
    struct request {
        std::uint32_t rule, source;
        std::vector<std::uint32_t> eids;  // empty = any
    };
    std::vector<request> reqs;
    for (std::uint32_t r = 0; r < m->rules.size(); ++r) {
        const auto& rule = m->rules[r];
        const auto* srcs = map.find(rule.doc->ls);
        if (!srcs || srcs->empty()) {
            ++m->stats.unmapped_rules;
            continue;
        }
        auto req = required_eids(rule, rule.root);
        for (const auto& s : *srcs) {
            auto [it, fresh] = src_index.emplace(&s, static_cast<std::uint32_t>(m->sources.size()));
            if (fresh) m->sources.push_back(s);
            request q{r, it->second, {}};
            if (!s.event_ids.empty()) {
                for (auto id : s.event_ids)
                    if (!req || req->count(id)) q.eids.push_back(id);
                if (q.eids.empty()) continue;  // the rule asks for EventIDs this source never has
            } else if (req) {
                q.eids.assign(req->begin(), req->end());
            }
            m->rule_mapped[r] = true;
            reqs.push_back(std::move(q));
        }
    }

    // Keys are (source type, EventID) or (source type, any). Keys one rule needs are put into
    // one bucket (union-find, see below), so a rule is compiled once per bucket, not once per
    // key: process_creation rules share one bucket for Sysmon 1 and Security 4688.
    std::unordered_map<std::string, std::uint32_t> key_index;
    std::vector<std::uint32_t> parent;
    std::vector<std::pair<std::string, std::int64_t>> key_of;  // (type, eid or -1)
    auto key = [&](const std::string& type, std::int64_t eid) {
        std::string k = type + "#" + std::to_string(eid);
        auto [it, fresh] = key_index.emplace(k, static_cast<std::uint32_t>(parent.size()));
        if (fresh) {
            parent.push_back(it->second);
            key_of.emplace_back(type, eid);
        }
        return it->second;
    };
    std::function<std::uint32_t(std::uint32_t)> find = [&](std::uint32_t x) {
        while (parent[x] != x) x = parent[x] = parent[parent[x]];
        return x;
    };
    std::vector<std::uint32_t> req_first_key(reqs.size());
    std::vector<std::vector<std::uint32_t>> rule_keys(m->rules.size());
    for (std::size_t qi = 0; qi < reqs.size(); ++qi) {
        const auto& q = reqs[qi];
        const auto& type = m->sources[q.source].source_type;
        if (q.eids.empty()) rule_keys[q.rule].push_back(key(type, -1));
        for (auto e : q.eids) rule_keys[q.rule].push_back(key(type, e));
    }
    // Within one source type all keys of a rule must share a bucket (an event visits its
    // (type, EventID) and its (type, any) bucket; a rule in both would match it twice). Across
    // types only EventID keys are joined (Sysmon 1 + Security 4688): a rule for every Windows log
    // (product: windows, no service) would otherwise join the `any` buckets of all Windows types
    // into one, and every event would scan the patterns of every other type's `any` rules too.
    for (const auto& ks : rule_keys) {
        std::unordered_map<std::string_view, std::uint32_t> first_of_type;
        std::int64_t first_eid_key = -1;
        for (auto k : ks) {
            auto [it, fresh] = first_of_type.emplace(key_of[k].first, k);
            if (!fresh) parent[find(k)] = find(it->second);
            if (key_of[k].second < 0) continue;
            if (first_eid_key < 0) first_eid_key = k;
            else parent[find(k)] = find(static_cast<std::uint32_t>(first_eid_key));
        }
    }
    std::unordered_map<std::uint32_t, std::uint32_t> bucket_of_root;
    for (std::uint32_t k = 0; k < parent.size(); ++k) {
        auto [it, fresh] = bucket_of_root.emplace(find(k), static_cast<std::uint32_t>(m->buckets.size()));
        if (fresh) m->buckets.emplace_back();
        auto& te = m->types[key_of[k].first];
        if (key_of[k].second < 0) te.any = static_cast<std::int32_t>(it->second);
        else te.by_eid[static_cast<std::uint32_t>(key_of[k].second)] = it->second;
    }
    // Per bucket: rule → the requests (sources) that brought it there.
    std::vector<std::map<std::uint32_t, std::vector<std::uint32_t>>> members(m->buckets.size());
    for (std::uint32_t qi = 0; qi < reqs.size(); ++qi) {
        const auto& q = reqs[qi];
        const auto& type = m->sources[q.source].source_type;
        std::uint32_t k = q.eids.empty() ? key(type, -1) : key(type, q.eids[0]);
        members[bucket_of_root[find(k)]][q.rule].push_back(qi);
    }

    // Predicates and programs per bucket.
    for (std::uint32_t bi = 0; bi < m->buckets.size(); ++bi) {
        auto& b = m->buckets[bi];
        std::unordered_map<std::string, std::uint32_t> keys;
        for (const auto& [r, qis] : members[bi]) {
            const auto& rule = m->rules[r];
            placement pl;
            pl.rule = r;
            // Field names as every source of this rule in this bucket spells them.
            sigma::field_aliases aliases;
            for (auto qi : qis) {
                const auto& q = reqs[qi];
                pl.accepts.push_back({q.source, q.eids});
                for (const auto& [k, vs] : m->sources[q.source].aliases.renames) {
                    auto& dst = aliases.renames[k];
                    for (const auto& v : vs)
                        if (std::find(dst.begin(), dst.end(), v) == dst.end()) dst.push_back(v);
                }
            }
            std::vector<std::uint32_t> pmap(rule.preds.size());
            for (std::size_t pi = 0; pi < rule.preds.size(); ++pi) {
                const auto& p = rule.preds[pi];
                bpred bp;
                bp.p = &p;
                if (p.kind != pred_kind::keyword) bp.ids = sigma::resolve_field(p.field, &aliases);
                if (p.kind == pred_kind::fieldref) bp.other = sigma::resolve_field(p.other_field, &aliases);
                std::string k = p.key() + "@";
                for (auto id : bp.ids) k += std::to_string(id) + ",";
                k += "@";
                for (auto id : bp.other) k += std::to_string(id) + ",";
                auto [it, fresh] = keys.emplace(std::move(k), static_cast<std::uint32_t>(b.preds.size()));
                if (fresh) {
                    bool hs_ok = (p.kind == pred_kind::match || p.kind == pred_kind::keyword) &&
                                 !sigma::matches_empty(p.patterns);
                    bp.direct = !hs_ok;
                    b.preds.push_back(std::move(bp));
                }
                pmap[pi] = it->second;
            }
            emit(rule, rule.root, pmap, b.preds, pl.prog);
            pl.pmap = std::move(pmap);
            for (const auto& f : rule.key_fields) {
                auto ids = sigma::resolve_field(f, &aliases);
                pl.key_fields.insert(pl.key_fields.end(), ids.begin(), ids.end());
            }
            b.placements.push_back(static_cast<std::uint32_t>(m->placements.size()));
            m->placements.push_back(std::move(pl));
        }
        // Pattern jobs: per field (and for keywords) one regex and one literal database.
        std::map<std::pair<field_id, bool>, std::uint32_t> job_of;
        std::map<std::uint32_t, std::unordered_map<std::string, std::uint32_t>> lit_ids;  // job → text → id
        std::map<std::uint32_t, std::vector<std::pair<std::uint32_t, lit_info>>> lit_entries;
        for (std::uint32_t pi = 0; pi < b.preds.size(); ++pi) {
            const auto& bp = b.preds[pi];
            if (bp.direct) continue;
            std::vector<field_id> fields = bp.p->kind == pred_kind::keyword ? std::vector<field_id>{k_no_field} : bp.ids;
            for (auto fid : fields) {
                for (const auto& pat : bp.p->patterns) {
                    // Literal shape: [*] text [*], where text may hold up to k_max_dash_expand
                    // windash positions (expanded into one literal per dash combination).
                    const auto& tk = pat.tokens;
                    using gk = sigma::glob_token::kind;
                    std::size_t lo = 0, hi = tk.size();
                    if (lo < hi && tk[lo].k == gk::any_string) ++lo;
                    if (hi > lo && tk[hi - 1].k == gk::any_string) --hi;
                    std::size_t dashes = 0;
                    bool literal = !pat.is_regex && lo < hi;
                    for (std::size_t t = lo; literal && t < hi; ++t) {
                        if (tk[t].k == gk::dash) ++dashes;
                        else if (tk[t].k != gk::literal) literal = false;
                        else if (fid == k_no_field && tk[t].text.find('\0') != std::string::npos) literal = false;
                    }
                    literal = literal && dashes <= k_max_dash_expand;
                    // Not a literal: a wildcard pattern on a field may still be found through its
                    // longest literal part and confirmed on a hit.
                    std::size_t factor = tk.size();
                    if (!literal && !pat.is_regex && fid != k_no_field) {
                        for (std::size_t t = 0; t < tk.size(); ++t)
                            if (tk[t].k == gk::literal && tk[t].text.size() >= k_min_prefilter &&
                                (factor == tk.size() || tk[t].text.size() > tk[factor].text.size()))
                                factor = t;
                    }
                    bool prefilter = factor < tk.size();
                    literal = literal || prefilter;
                    auto [it, fresh] = job_of.emplace(std::make_pair(fid, literal), static_cast<std::uint32_t>(b.jobs.size()));
                    if (fresh) {
                        b.jobs.emplace_back();
                        b.jobs.back().field = fid;
                        b.jobs.back().literal = literal;
                    }
                    auto& j = b.jobs[it->second];
                    if (prefilter) {
                        lit_info li;
                        li.pred = pi;
                        li.confirm = &pat;
                        li.len = static_cast<std::uint32_t>(tk[factor].text.size());
                        unsigned f = (pat.cased ? 0 : HS_FLAG_CASELESS) | HS_FLAG_SINGLEMATCH;
                        auto [di, dfresh] = lit_ids[it->second].emplace(std::to_string(f) + ":" + tk[factor].text,
                                                                        static_cast<std::uint32_t>(j.exprs.size()));
                        if (dfresh) {
                            j.exprs.push_back(tk[factor].text);
                            j.flags.push_back(f);
                            j.ids.push_back(di->second);
                        }
                        lit_entries[it->second].emplace_back(di->second, li);
                    } else if (literal) {
                        lit_info li;
                        li.pred = pi;
                        li.at_start = lo == 0;
                        li.at_end = hi == tk.size();
                        unsigned f = pat.cased ? 0 : HS_FLAG_CASELESS;
                        if (!li.at_end) f |= HS_FLAG_SINGLEMATCH;  // the first hit decides
                        // Every combination of dash characters: choice[d] picks dash d's variant.
                        std::array<std::size_t, k_max_dash_expand> choice{};
                        for (;;) {
                            std::string text;
                            std::size_t d = 0;
                            for (std::size_t t = lo; t < hi; ++t)
                                text += tk[t].k == gk::dash ? std::string(k_dashes[choice[d++]]) : tk[t].text;
                            li.len = static_cast<std::uint32_t>(text.size());
                            std::string key = std::to_string(f) + ":" + text;
                            auto [di, dfresh] = lit_ids[it->second].emplace(std::move(key), static_cast<std::uint32_t>(j.exprs.size()));
                            if (dfresh) {
                                j.exprs.push_back(std::move(text));
                                j.flags.push_back(f);
                                j.ids.push_back(di->second);
                            }
                            lit_entries[it->second].emplace_back(di->second, li);
                            std::size_t k = 0;
                            while (k < dashes && ++choice[k] == k_dashes.size()) choice[k++] = 0;
                            if (k == dashes) break;
                        }
                    } else {
                        j.exprs.push_back(pat.is_regex ? pat.regex : sigma::glob_to_regex(pat.tokens));
                        j.flags.push_back(hs_flags(pat));
                        j.ids.push_back(pi);
                    }
                }
            }
        }
        // Group each literal job's patterns by their distinct text (one Hyperscan id each).
        for (auto& [ji, entries] : lit_entries) {
            auto& j = b.jobs[ji];
            std::stable_sort(entries.begin(), entries.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
            j.group.assign(j.exprs.size() + 1, 0);
            for (const auto& [id, li] : entries) {
                ++j.group[id + 1];
                j.info.push_back(li);
            }
            for (std::size_t i = 1; i < j.group.size(); ++i) j.group[i] += j.group[i - 1];
        }
        for (auto& j : b.jobs) {
            // Keyword texts are long (every value of the event): Hyperscan beats memcmp there.
            if (!j.literal || j.exprs.size() > k_small_job || j.field == k_no_field) continue;
            j.small = true;
            for (std::size_t i = 0; i < j.exprs.size(); ++i) {
                std::string t = j.exprs[i];
                if (j.flags[i] & HS_FLAG_CASELESS)
                    for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                j.folded.push_back(std::move(t));
                std::uint8_t need = 0;
                bool only_equal = true;
                for (std::uint32_t k = j.group[i]; k < j.group[i + 1]; ++k) {
                    const auto& li = j.info[k];
                    only_equal = only_equal && li.at_start && li.at_end && !li.confirm;
                    if (li.confirm || (!li.at_start && !li.at_end)) need |= k_need_inside;
                    if (li.at_start) need |= k_need_start;
                    if (li.at_end) need |= k_need_end;
                }
                j.need.push_back(only_equal ? k_need_equal : need);
            }
        }
        for (std::uint32_t ji = 0; ji < b.jobs.size(); ++ji) {
            auto fid = b.jobs[ji].field;
            int which = b.jobs[ji].literal ? 1 : 0;
            if (fid == k_no_field) {
                b.keyword_job[which] = static_cast<std::int32_t>(ji);
                continue;
            }
            if (b.slot.size() <= fid) b.slot.resize(fid + 1, {-1, -1});
            b.slot[fid][which] = static_cast<std::int32_t>(ji);
        }
    }

    // Compile (or load) the databases.
    std::uint64_t cache_key = jobs_key(m->buckets);
    std::string cache_file;
    if (!opts.cache_dir.empty()) {
        char name[64];
        std::snprintf(name, sizeof name, "/sigma-%016llx.hsdb", static_cast<unsigned long long>(cache_key));
        cache_file = opts.cache_dir + name;
        m->stats.cache_file = cache_file;
    }
    if (!cache_file.empty() && load_cache(cache_file, cache_key, m->buckets)) {
        m->stats.cache_hit = true;
        for (const auto& b : m->buckets)
            for (const auto& j : b.jobs) m->stats.patterns += j.exprs.size();
    } else {
        for (auto& b : m->buckets)
            for (auto& j : b.jobs)
                if (!compile_job(j, b, m->stats)) return error{"sigma.hyperscan", "Hyperscan could not compile a database"};
        if (!cache_file.empty()) save_cache(cache_file, cache_key, m->buckets);
    }

    // Scratch prototype, triggers, stats.
    for (auto& b : m->buckets) {
        for (auto& j : b.jobs) {
            if (!j.db) continue;
            if (hs_alloc_scratch(j.db, &m->proto) != HS_SUCCESS) return error{"sigma.hyperscan", "cannot allocate Hyperscan scratch"};
            ++m->stats.databases;
        }
        std::vector<std::vector<std::uint32_t>> triggers(b.preds.size());  // pred → placements woken by it
        // How many rules of the bucket use each predicate: popular ones (Image ends with
        // \powershell.exe) are poor triggers, so an and-node is woken through its rarest child.
        std::vector<std::uint32_t> popularity(b.preds.size(), 0);
        for (auto pl_index : b.placements) {
            std::set<std::uint32_t> used(m->placements[pl_index].pmap.begin(), m->placements[pl_index].pmap.end());
            for (auto p : used) ++popularity[p];
        }
        for (auto pl_index : b.placements) {
            const auto& pl = m->placements[pl_index];
            const auto& rule = m->rules[pl.rule];
            const auto& pmap = pl.pmap;
            std::optional<std::vector<std::uint32_t>> t;
            if (tri(rule, rule.root, pmap, b) == 0) t = triggers_of(rule, rule.root, pmap, b, popularity);
            if (!t) {
                b.always.push_back(pl_index);
            } else {
                std::sort(t->begin(), t->end());
                t->erase(std::unique(t->begin(), t->end()), t->end());
                for (auto p : *t) triggers[p].push_back(pl_index);
            }
        }
        b.trig_off.assign(1, 0);
        for (const auto& t : triggers) {
            b.trig.insert(b.trig.end(), t.begin(), t.end());
            b.trig_off.push_back(static_cast<std::uint32_t>(b.trig.size()));
        }
        for (const auto& bp : b.preds) m->stats.direct_predicates += bp.direct;
        if (std::getenv("MIMAMORI_SIGMA_DEBUG")) {
            std::size_t maxt = 0, maxp = 0;
            for (std::size_t p = 0; p < triggers.size(); ++p)
                if (triggers[p].size() > maxt) maxt = triggers[p].size(), maxp = p;
            std::fprintf(stderr, "bucket placements=%zu always=%zu preds=%zu jobs=%zu max_trigger=%zu (%s)\n", b.placements.size(),
                         b.always.size(), b.preds.size(), b.jobs.size(), maxt, maxt ? b.preds[maxp].p->describe().c_str() : "");
            for (auto a : b.always) std::fprintf(stderr, "   always: %s\n", m->rules[m->placements[a].rule].doc->title.c_str());
        }
        m->max_preds = std::max(m->max_preds, b.preds.size());
    }
    m->stats.buckets = m->buckets.size();
    m->stats.placements = m->placements.size();
    m->stats.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::unique_ptr<ruleset>(new ruleset(std::move(m)));
}

std::unique_ptr<ruleset::scratch> ruleset::make_scratch() const {
    auto s = std::make_unique<scratch>();
    s->m = std::make_unique<scratch::state>();
    if (m_impl->proto) hs_clone_scratch(m_impl->proto, &s->m->hs);
    s->m->bit_epoch.assign(m_impl->max_preds, 0);
    s->m->memo_epoch.assign(m_impl->max_preds, 0);
    s->m->memo_val.assign(m_impl->max_preds, 0);
    s->m->mark.assign(m_impl->placements.size(), 0);
    return s;
}

namespace {

// What the Hyperscan callback needs: where hits go and what is being scanned.
struct scan_ctx {
    ruleset::scratch::state* s;
    const pattern_job* lit = nullptr;  // set while scanning a literal database
    std::string_view value;            // the value scanned (anchors, prefilter confirmation)
    std::uint32_t local = 0;           // the event scanned (index into its bucket's event list)
};

int on_match(unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) {
    auto* c = static_cast<scan_ctx*>(ctx);
    if (c->lit) {
        const auto& g = c->lit->group;
        for (std::uint32_t k = g[id]; k < g[id + 1]; ++k) {
            const lit_info& li = c->lit->info[k];
            if ((li.at_start && to != li.len) || (li.at_end && to != c->value.size())) continue;
            if (li.confirm && !sigma::glob_match(li.confirm->tokens, c->value, li.confirm->cased)) continue;
            c->s->hits.push_back({c->local, li.pred});
        }
        return 0;
    }
    c->s->hits.push_back({c->local, id});
    return 0;
}

// Phase 3 of match(): a predicate of the current (event, bucket) holds; wake its rules.
inline void set_bit(unsigned id, ruleset::scratch::state& s, const bucket& b, ruleset::scratch::counters& cnt) {
    if (s.bit_epoch[id] == s.epoch) return;
    s.bit_epoch[id] = s.epoch;
    ++cnt.hits;
    for (std::uint32_t k = b.trig_off[id], end = b.trig_off[id + 1]; k < end; ++k) {
        auto pl = b.trig[k];
        if (s.mark[pl] != s.epoch) {
            s.mark[pl] = s.epoch;
            s.cand.push_back(pl);
        }
    }
}

// The direct path for small literal jobs: same decisions as the literal database would make.
// ASCII-lowered bytes of `hay` at `pos` equal `lit` (already lowered where caseless)?
inline bool eq_at(std::string_view hay, std::size_t pos, std::string_view lit, bool caseless) {
    if (!caseless) return std::memcmp(hay.data() + pos, lit.data(), lit.size()) == 0;
    for (std::size_t k = 0; k < lit.size(); ++k) {
        char c = hay[pos + k];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
        if (c != lit[k]) return false;
    }
    return true;
}

void small_scan(const pattern_job& j, std::string_view v, std::string& folded, scan_ctx& ctx) {
    bool have_folded = false;
    for (std::size_t i = 0; i < j.folded.size(); ++i) {
        std::string_view lit = j.folded[i];
        if (v.size() < lit.size()) continue;
        const std::uint8_t need = j.need[i];
        const bool caseless = j.flags[i] & HS_FLAG_CASELESS;
        if (need == k_need_equal) {  // only whole-value patterns: the sizes decide first
            if (v.size() == lit.size() && eq_at(v, 0, lit, caseless)) on_match(static_cast<unsigned>(i), 0, v.size(), 0, &ctx);
            continue;
        }
        // Report every place the text sits that some pattern of it cares about: at the start,
        // at the end, anywhere (the group's anchors decide in on_match).
        bool at_start = (need & (k_need_start | k_need_inside)) && eq_at(v, 0, lit, caseless);
        bool at_end = (need & (k_need_end | k_need_inside)) && eq_at(v, v.size() - lit.size(), lit, caseless);
        if (at_start) on_match(static_cast<unsigned>(i), 0, lit.size(), 0, &ctx);
        if (at_end) on_match(static_cast<unsigned>(i), 0, v.size(), 0, &ctx);
        if (!(need & k_need_inside) || at_start || at_end) continue;
        std::string_view hay = v;
        if (caseless) {
            if (!have_folded) {
                folded.assign(v);
                for (auto& c : folded)
                    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
                have_folded = true;
            }
            hay = folded;
        }
        // Only inside: an end offset that is neither the start's nor the value's, so only the
        // unanchored patterns of the group take it.
        if (hay.find(lit) != std::string_view::npos) on_match(static_cast<unsigned>(i), 0, ~0ULL, 0, &ctx);
    }
}

}  // namespace

namespace {

// Short-circuit evaluation of a prefix program over the predicate bits of one event.
struct prog_eval {
    const instr* prog;
    const bucket& b;
    ruleset::scratch::state& s;
    const event_batch& batch;
    const event& e;

    bool bit(std::uint32_t pi) {
        const auto& bp = b.preds[pi];
        if (!bp.direct) return s.bit_epoch[pi] == s.epoch;
        if (s.memo_epoch[pi] == s.epoch) return s.memo_val[pi];
        bool v = sigma::eval_predicate(*bp.p, batch, e, bp.ids, bp.other);
        s.memo_epoch[pi] = s.epoch;
        s.memo_val[pi] = v;
        return v;
    }

    bool eval(std::uint32_t i) {
        const instr& in = prog[i];
        switch (in.op) {
            case opc::pred: return bit(in.a);
            case opc::t: return true;
            case opc::f: return false;
            case opc::not_: return !eval(i + 1);
            case opc::and_: {
                std::uint32_t k = i + 1;
                for (std::uint32_t c = 0; c < in.a; ++c, k += prog[k].size)
                    if (!eval(k)) return false;
                return true;
            }
            case opc::or_: {
                std::uint32_t k = i + 1;
                for (std::uint32_t c = 0; c < in.a; ++c, k += prog[k].size)
                    if (eval(k)) return true;
                return false;
            }
            case opc::at_least: {
                std::uint32_t k = i + 1, yes = 0;
                for (std::uint32_t c = 0; c < in.a; ++c, k += prog[k].size)
                    if (eval(k) && ++yes >= in.b) return true;
                return false;
            }
        }
        return false;
    }
};

bool accepted(const ruleset::impl& m, const placement& pl, const event_batch& batch, const event& e, bool has_eid,
              std::uint32_t eid);

}  // namespace

// Batch-major: the events of a batch are first sorted into the buckets they visit; then, bucket
// by bucket, every scan of one database runs back to back over all the events that need it (a
// large database such as CommandLine's 11,000 literals stays in the CPU cache instead of being
// evicted by the next field's database on every event), collecting predicate hits; last, each
// event of the bucket sets its bits from its hits and runs the rules they wake.
void ruleset::match(const event_batch& batch, scratch& sc, std::vector<rule_match>& out) const {
    auto& s = *sc.m;
    if (s.bucket_events.size() < m_impl->buckets.size()) s.bucket_events.resize(m_impl->buckets.size());
    s.visits.assign(batch.size(), {});
    // In tiles: the values a tile's scans read stay in the CPU cache too.
    for (std::uint32_t t0 = 0; t0 < batch.size(); t0 += k_match_tile)
        match_range(batch, t0, std::min<std::uint32_t>(static_cast<std::uint32_t>(batch.size()), t0 + k_match_tile), sc, out);
}

void ruleset::match_range(const event_batch& batch, std::uint32_t first, std::uint32_t last, scratch& sc,
                          std::vector<rule_match>& out) const {
    auto& s = *sc.m;
    const impl& m = *m_impl;
    const std::size_t out_start = out.size();
    s.touched.clear();
    s.kw_text.clear();

    // 1. Which buckets each event visits (and its keyword text, where a bucket needs it).
    const type_entry* te = nullptr;
    std::string_view last_type;
    bool have_last = false;
    std::string type_key;
    for (std::uint32_t ei = first; ei < last; ++ei) {
        const event& e = batch[ei];
        if (!have_last || e.source_type != last_type) {
            type_key.assign(e.source_type);
            auto it = m.types.find(type_key);
            te = it == m.types.end() ? nullptr : &it->second;
            last_type = e.source_type;
            have_last = true;
        }
        if (!te) continue;
        auto& v = s.visits[ei];
        v.has_eid = parse_u32(batch.get(e, m.eventid_id), v.eid);
        std::int32_t by_eid = -1;
        if (v.has_eid && !te->by_eid.empty()) {
            auto it = te->by_eid.find(v.eid);
            if (it != te->by_eid.end()) by_eid = static_cast<std::int32_t>(it->second);
        }
        if (by_eid < 0 && te->any < 0) continue;
        ++sc.count.events;
        v.bucket[0] = by_eid;
        v.bucket[1] = te->any == by_eid ? -1 : te->any;
        bool needs_kw = false;
        for (auto bi : v.bucket) {
            if (bi < 0) continue;
            auto& list = s.bucket_events[static_cast<std::size_t>(bi)];
            if (list.empty()) s.touched.push_back(static_cast<std::uint32_t>(bi));
            list.push_back(ei);
            const auto& b = m.buckets[static_cast<std::size_t>(bi)];
            needs_kw = needs_kw || b.keyword_job[0] >= 0 || b.keyword_job[1] >= 0;
        }
        if (needs_kw) {
            // Keyword literals never contain a NUL byte, so one scan of every text joined by
            // NULs finds exactly what one scan per text would.
            v.kw_begin = static_cast<std::uint32_t>(s.kw_text.size());
            sigma::for_each_keyword_text(batch, e, [&](std::string_view t) {
                s.kw_text.append(t);
                s.kw_text.push_back('\0');
            });
            v.kw_end = static_cast<std::uint32_t>(s.kw_text.size());
        }
    }

    for (auto bi : s.touched) {
        const bucket& b = m.buckets[bi];
        auto& evs = s.bucket_events[bi];
        if (s.tasks.size() < b.jobs.size()) s.tasks.resize(b.jobs.size());
        for (std::size_t j = 0; j < b.jobs.size(); ++j) s.tasks[j].clear();

        // 2. The scans, grouped by database, each run over all events that need it.
        for (std::uint32_t li = 0; li < evs.size(); ++li) {
            const event& e = batch[evs[li]];
            for (const auto& fl : batch.fields(e)) {
                if (fl.id >= b.slot.size() || fl.value.empty()) continue;
                const auto& sl = b.slot[fl.id];
                // Bring the value into the cache now, in arena order (the scans below read
                // the values job by job, in an order the hardware prefetcher cannot follow).
                for (std::size_t off = 0; off < fl.value.size(); off += 64) __builtin_prefetch(fl.value.data() + off);
                if (sl[0] >= 0) s.tasks[static_cast<std::size_t>(sl[0])].push_back({li, fl.value});
                if (sl[1] >= 0) s.tasks[static_cast<std::size_t>(sl[1])].push_back({li, fl.value});
            }
            const auto& v = s.visits[evs[li]];
            if (v.kw_end > v.kw_begin) {
                std::string_view kw(s.kw_text.data() + v.kw_begin, v.kw_end - v.kw_begin);
                if (b.keyword_job[1] >= 0) s.tasks[static_cast<std::size_t>(b.keyword_job[1])].push_back({li, kw});
                if (b.keyword_job[0] >= 0)  // regex keyword patterns see each text alone
                    sigma::for_each_keyword_text(batch, e, [&](std::string_view t) {
                        if (!t.empty()) s.tasks[static_cast<std::size_t>(b.keyword_job[0])].push_back({li, t});
                    });
            }
        }
        s.hits.clear();
        scan_ctx ctx{&s, nullptr, {}, 0};
        for (std::size_t ji = 0; ji < b.jobs.size(); ++ji) {
            const auto& j = b.jobs[ji];
            ctx.lit = j.literal ? &j : nullptr;
            for (const auto& t : s.tasks[ji]) {
                ctx.value = t.value;
                ctx.local = t.local;
                ++sc.count.scans;
                sc.count.scanned_bytes += t.value.size();
                if (j.small) small_scan(j, t.value, s.folded, ctx);
                else hs_scan(j.db, t.value.data(), static_cast<unsigned>(t.value.size()), 0, s.hs, on_match, &ctx);
            }
        }

        // 3. Hits by event (a counting sort), then each event's bits and the rules they wake.
        s.hit_off.assign(evs.size() + 1, 0);
        for (const auto& h : s.hits) ++s.hit_off[h.local + 1];
        for (std::size_t i = 1; i < s.hit_off.size(); ++i) s.hit_off[i] += s.hit_off[i - 1];
        s.sorted_hits.resize(s.hits.size());
        s.cursor.assign(s.hit_off.begin(), s.hit_off.end() - 1);
        for (const auto& h : s.hits) s.sorted_hits[s.cursor[h.local]++] = h;
        for (std::uint32_t li = 0; li < evs.size(); ++li) {
            const std::uint32_t ei = evs[li];
            const event& e = batch[ei];
            const auto& v = s.visits[ei];
            if (++s.epoch == 0) {  // wrapped: forget every stamp
                std::fill(s.bit_epoch.begin(), s.bit_epoch.end(), 0);
                std::fill(s.memo_epoch.begin(), s.memo_epoch.end(), 0);
                std::fill(s.mark.begin(), s.mark.end(), 0);
                s.epoch = 1;
            }
            s.cand.clear();
            for (std::uint32_t k = s.hit_off[li]; k < s.hit_off[li + 1]; ++k) set_bit(s.sorted_hits[k].pred, s, b, sc.count);
            if (s.cand.empty() && b.always.empty()) continue;
            // A rule has one placement per bucket, and all its keys of one source type are in
            // one bucket; a placement in the event's other bucket (there for another type) fails
            // its source guard in accepted(). So a rule cannot match one event twice.
            auto run = [&](std::uint32_t pl_index) {
                const auto& pl = m.placements[pl_index];
                ++sc.count.evaluated;
                prog_eval pe{pl.prog.data(), b, s, batch, e};
                if (!pe.eval(0) || !accepted(m, pl, batch, e, v.has_eid, v.eid)) return;
                out.push_back({pl.rule, ei, pl_index});
            };
            for (auto pl : s.cand) run(pl);
            for (auto pl : b.always) run(pl);
        }
        evs.clear();
    }
    // Event order, as the contract says (an event's matches may come from two buckets).
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(out_start), out.end(),
                     [](const rule_match& x, const rule_match& y) { return x.event < y.event; });
}

namespace {

bool accepted(const ruleset::impl& m, const placement& pl, const event_batch& batch, const event& e, bool has_eid,
              std::uint32_t eid) {
    for (const auto& a : pl.accepts) {
        const auto& src = m.sources[a.source];
        if (src.source_type != e.source_type) continue;
        if (!a.eids.empty() && (!has_eid || std::find(a.eids.begin(), a.eids.end(), eid) == a.eids.end())) continue;
        if (!src.channels.empty()) {
            auto ch = batch.get(e, m.channel_id);
            bool ok = false;
            for (const auto& c : src.channels) ok = ok || ieq(c, ch);
            if (!ok) continue;
        }
        if (!src.providers.empty()) {
            auto pv = batch.get(e, m.provider_id);
            bool ok = false;
            for (const auto& c : src.providers) ok = ok || ieq(c, pv);
            if (!ok) continue;
        }
        return true;
    }
    return false;
}

}  // namespace

}  // namespace mimamori::detect
