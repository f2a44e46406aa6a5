// Correlation engine: routing, reorder buffer, per-type window state, memory cap, save/restore.
#include "detect/correlate/engine.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <istream>
#include <map>
#include <mutex>
#include <ostream>
#include <queue>
#include <unordered_map>

#include "detect/correlate/presence.hpp"
#include "detect/intel/hash.hpp"

namespace mimamori::correlate {

namespace {

using detect::flat_index;
using detect::hash_str;

constexpr char k_sep = '\x1f';  // between group-by values in a key
constexpr std::uint32_t k_no_file = ~std::uint32_t{0};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

// ---- per-group state ---------------------------------------------------------------------

// The first input's position in 32 bits (the state per group is fixed-size): its line, or for
// records without one (whole-file formats such as CloudTrail, EVTX) its byte offset with the
// top bit set. Both saturate at 2^31-1.
constexpr std::uint32_t k_offset_flag = 0x80000000u;
inline std::uint32_t pack_position(std::uint64_t line, std::uint64_t offset) {
    if (line == 0 && offset != 0) return k_offset_flag | static_cast<std::uint32_t>(std::min<std::uint64_t>(offset, 0x7fffffffu));
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(line, 0x7fffffffu));
}
inline std::uint64_t position_line(std::uint32_t packed) { return packed & k_offset_flag ? 0 : packed; }
inline std::uint64_t position_offset(std::uint32_t packed) { return packed & k_offset_flag ? packed & ~k_offset_flag : 0; }

struct key_base {
    std::uint64_t key_hash = 0;
    std::string key_text;             // only for rules whose condition is checked at window close
    timestamp_ns last_ts = k_no_time;  // newest input
    timestamp_ns first_ts = k_no_time; // first input of the current episode (gap > timespan resets)
    std::uint32_t first_file = k_no_file;
    std::uint32_t first_line = 0;      // see pack_position: a line, or a byte offset (top bit set)
    std::uint32_t episode_events = 0;  // inputs since first_ts
    bool firing = false;               // condition held at the previous update
};

struct count_state : key_base {
    std::int64_t head = std::numeric_limits<std::int64_t>::min();
    std::uint16_t c[16] = {};
};
struct vc_entry {
    std::uint32_t h;
    std::uint32_t b;  // bucket index (mod 2^32) of the value's latest sighting
};
struct values_state : key_base {
    std::int64_t head = std::numeric_limits<std::int64_t>::min();
    std::vector<vc_entry> v;
};
struct sum_state : key_base {
    std::int64_t head = std::numeric_limits<std::int64_t>::min();
    double s[8] = {};
    std::uint32_t n[8] = {};
};
struct pct_entry {
    std::uint32_t h, count, b;
};
struct pct_state : key_base {
    std::int64_t head = std::numeric_limits<std::int64_t>::min();
    std::uint32_t total[8] = {};
    std::vector<pct_entry> v;
};
struct temporal_state : key_base {
    std::vector<timestamp_ns> t;  // temporal: last sighting per rule; ordered: latest chain start per prefix
};

template <typename S>
std::size_t dyn_bytes(const S& s) {
    std::size_t n = s.key_text.capacity() > 15 ? s.key_text.capacity() + 1 : 0;
    if constexpr (std::is_same_v<S, values_state>) n += s.v.capacity() * sizeof(vc_entry);
    if constexpr (std::is_same_v<S, pct_state>) n += s.v.capacity() * sizeof(pct_entry);
    if constexpr (std::is_same_v<S, temporal_state>) n += s.t.capacity() * sizeof(timestamp_ns);
    return n;
}

// Dense chunked storage of states + an index from key hash to slot. Erase moves the last state
// into the hole, so storage stays dense and iteration is a plain loop.
template <typename S>
struct table {
    static constexpr std::size_t k_chunk = 1024;
    flat_index index;
    std::vector<std::unique_ptr<S[]>> chunks;
    std::uint32_t n = 0;
    std::size_t dyn = 0;

    S& at(std::uint32_t i) { return chunks[i / k_chunk][i % k_chunk]; }
    const S& at(std::uint32_t i) const { return chunks[i / k_chunk][i % k_chunk]; }
    S* find(std::uint64_t h) {
        const std::uint32_t i = index.find(h);
        return i == flat_index::k_none ? nullptr : &at(i);
    }
    S& insert(std::uint64_t h) {
        if (n == chunks.size() * k_chunk) chunks.push_back(std::make_unique<S[]>(k_chunk));
        S& s = at(n);
        s = S{};
        s.key_hash = h;
        index.insert(h, n);
        ++n;
        return s;
    }
    void erase_at(std::uint32_t i) {
        dyn -= dyn_bytes(at(i));
        index.erase(at(i).key_hash);
        if (i != n - 1) {
            at(i) = std::move(at(n - 1));
            index.set(at(i).key_hash, i);
        }
        at(n - 1) = S{};
        --n;
        // Give back whole chunks when the table shrank a lot.
        while (chunks.size() > 1 && (chunks.size() - 1) * k_chunk >= n + k_chunk) chunks.pop_back();
    }
    std::size_t bytes() const { return index.memory_bytes() + chunks.size() * k_chunk * sizeof(S) + dyn; }
    void clear() {
        index.clear();
        chunks.clear();
        n = 0;
        dyn = 0;
    }
};

// ---- binary state file -------------------------------------------------------------------

constexpr char k_magic[8] = {'M', 'M', 'C', 'O', 'R', 'R', '1', 0};
constexpr std::uint32_t k_version = 1;

struct writer {
    std::string buf;
    template <typename T>
    void pod(const T& v) {
        static_assert(std::is_trivially_copyable_v<T>);
        buf.append(reinterpret_cast<const char*>(&v), sizeof v);
    }
    void str(std::string_view s) {
        pod(static_cast<std::uint32_t>(s.size()));
        buf.append(s);
    }
};

struct reader {
    std::string_view in;
    bool ok = true;
    template <typename T>
    T pod() {
        T v{};
        if (in.size() < sizeof v) {
            ok = false;
            return v;
        }
        std::memcpy(&v, in.data(), sizeof v);
        in.remove_prefix(sizeof v);
        return v;
    }
    void raw(void* dst, std::size_t n) {
        if (in.size() < n) {
            ok = false;
            return;
        }
        std::memcpy(dst, in.data(), n);
        in.remove_prefix(n);
    }
    std::string str() {
        auto n = pod<std::uint32_t>();
        if (!ok || in.size() < n) {
            ok = false;
            return {};
        }
        std::string s(in.substr(0, n));
        in.remove_prefix(n);
        return s;
    }
};

void write_base(writer& w, const key_base& s) {
    w.pod(s.key_hash);
    w.str(s.key_text);
    w.pod(s.last_ts);
    w.pod(s.first_ts);
    w.pod(s.first_file);
    w.pod(s.first_line);
    w.pod(s.episode_events);
    w.pod(static_cast<std::uint8_t>(s.firing));
}
void read_base(reader& r, key_base& s) {
    s.key_hash = r.pod<std::uint64_t>();
    s.key_text = r.str();
    s.last_ts = r.pod<timestamp_ns>();
    s.first_ts = r.pod<timestamp_ns>();
    s.first_file = r.pod<std::uint32_t>();
    s.first_line = r.pod<std::uint32_t>();
    s.episode_events = r.pod<std::uint32_t>();
    s.firing = r.pod<std::uint8_t>() != 0;
}
template <typename T>
void write_vec(writer& w, const std::vector<T>& v) {
    w.pod(static_cast<std::uint32_t>(v.size()));
    for (const auto& x : v) w.pod(x);
}
template <typename T>
void read_vec(reader& r, std::vector<T>& v, std::size_t max = 1u << 24) {
    const auto n = r.pod<std::uint32_t>();
    if (!r.ok || n > max) {
        r.ok = false;
        return;
    }
    v.resize(n);
    for (auto& x : v) x = r.pod<T>();
}

void write_state(writer& w, const count_state& s) {
    write_base(w, s);
    w.pod(s.head);
    w.pod(s.c);
}
void read_state(reader& r, count_state& s) {
    read_base(r, s);
    s.head = r.pod<std::int64_t>();
    r.raw(s.c, sizeof s.c);
}
void write_state(writer& w, const values_state& s) {
    write_base(w, s);
    w.pod(s.head);
    write_vec(w, s.v);
}
void read_state(reader& r, values_state& s) {
    read_base(r, s);
    s.head = r.pod<std::int64_t>();
    read_vec(r, s.v);
}
void write_state(writer& w, const sum_state& s) {
    write_base(w, s);
    w.pod(s.head);
    w.pod(s.s);
    w.pod(s.n);
}
void read_state(reader& r, sum_state& s) {
    read_base(r, s);
    s.head = r.pod<std::int64_t>();
    r.raw(s.s, sizeof s.s);
    r.raw(s.n, sizeof s.n);
}
void write_state(writer& w, const pct_state& s) {
    write_base(w, s);
    w.pod(s.head);
    w.pod(s.total);
    write_vec(w, s.v);
}
void read_state(reader& r, pct_state& s) {
    read_base(r, s);
    s.head = r.pod<std::int64_t>();
    r.raw(s.total, sizeof s.total);
    read_vec(r, s.v);
}
void write_state(writer& w, const temporal_state& s) {
    write_base(w, s);
    write_vec(w, s.t);
}
void read_state(reader& r, temporal_state& s) {
    read_base(r, s);
    read_vec(r, s.t, 64);
}

}  // namespace

// ---- engine internals --------------------------------------------------------------------

struct engine::impl {
    struct subscription {
        std::uint32_t rule = 0, pos = 0;
        std::vector<std::string> group_names;  // field names after alias resolution
        std::vector<field_id> group_ids;
        std::vector<std::string> value_names;
        std::vector<field_id> value_ids;
    };
    struct input {
        std::vector<subscription> subs;
    };
    struct pending {
        timestamp_ns ts = 0;
        std::uint64_t seq = 0;
        std::uint32_t rule = 0, pos = 0;
        std::uint64_t key_hash = 0;
        std::string key_text;
        std::uint64_t vhash = 0;
        double vnum = 0;
        std::string sample;
        std::uint32_t file = k_no_file;
        std::uint64_t line = 0, offset = 0;
        std::vector<std::pair<std::uint8_t, std::string>> context;  // index into context_ids
    };
    struct later {
        bool operator()(const pending& a, const pending& b) const {
            return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq;
        }
    };
    struct close_item {
        timestamp_ns at;
        std::uint32_t rule;
        std::uint64_t key;
        bool operator>(const close_item& o) const { return at > o.at; }
    };
    struct rule_rt {
        corr_rule def;
        bool on_update = true;
        std::int64_t w16 = 1, w8 = 1;  // bucket widths
        std::size_t value_cap = 0;
        rule_stats st;
        // Exactly one of these is used, by type.
        table<count_state> counts;
        table<values_state> values;
        table<sum_state> sums;
        table<pct_state> pcts;
        table<temporal_state> temporals;
        std::vector<subscription> chained;  // correlations fed by this rule's hits
        bool emits = true;
        std::shared_ptr<const presence_context> presence;  // context: staff_presence (null = inert)
        std::size_t bytes() const {
            return counts.bytes() + values.bytes() + sums.bytes() + pcts.bytes() + temporals.bytes();
        }
        std::uint32_t groups() const { return counts.n + values.n + sums.n + pcts.n + temporals.n; }
    };

    options opt;
    std::vector<rule_rt> rules;
    std::vector<corr_rule> defs;  // copy for rules()
    // Base-rule references → subscriptions, resolved lazily per (id, name).
    std::map<std::string, std::vector<std::pair<std::uint32_t, std::uint32_t>>, std::less<>> refs;
    mutable std::vector<input> inputs;
    mutable std::map<std::string, input_handle, std::less<>> input_by_pair;

    std::priority_queue<pending, std::vector<pending>, later> buffer;
    std::size_t buffer_bytes = 0;
    std::priority_queue<close_item, std::vector<close_item>, std::greater<>> closes;
    std::uint64_t seq = 0;
    timestamp_ns max_seen = k_no_time;   // newest input time seen
    timestamp_ns processed = k_no_time;  // newest input time processed
    engine_stats counters;
    std::vector<std::string> files;
    std::unordered_map<std::string, std::uint32_t> file_ids;
    std::string_view last_file_view;
    std::uint32_t last_file_id = k_no_file;
    std::size_t state_bytes = 0;  // cached sum of rule bytes (refreshed on growth)
    std::vector<field_id> context_ids;
    std::string scratch;

    std::uint32_t file_id(std::string_view f) {
        if (f.empty()) return k_no_file;
        // Compare contents, not the view's address: readers reuse one path buffer, and files
        // whose names have the same length (one CloudTrail file per day) would share an id.
        if (last_file_id != k_no_file && f == files[last_file_id]) return last_file_id;
        auto it = file_ids.find(std::string(f));
        std::uint32_t id;
        if (it != file_ids.end()) {
            id = it->second;
        } else {
            id = static_cast<std::uint32_t>(files.size());
            files.emplace_back(f);
            file_ids.emplace(files.back(), id);
        }
        last_file_view = f;
        last_file_id = id;
        return id;
    }
    std::string_view file_name(std::uint32_t id) const {
        return id == k_no_file || id >= files.size() ? std::string_view{} : files[id];
    }

    subscription make_sub(std::uint32_t rule, std::uint32_t pos, std::initializer_list<std::string_view> names) {
        subscription s;
        s.rule = rule;
        s.pos = pos;
        const corr_rule& d = rules[rule].def;
        auto resolve = [&](const std::string& g) {
            auto it = d.aliases.find(g);
            if (it != d.aliases.end())
                for (std::string_view n : names) {
                    if (n.empty()) continue;
                    auto jt = it->second.find(std::string(n));
                    if (jt != it->second.end()) return jt->second;
                }
            return g;
        };
        for (const auto& g : d.group_by) {
            s.group_names.push_back(resolve(g));
            s.group_ids.push_back(intern(s.group_names.back()));
        }
        for (const auto& v : d.fields) {
            s.value_names.push_back(resolve(v));
            s.value_ids.push_back(intern(s.value_names.back()));
        }
        return s;
    }

    // ---- input ---------------------------------------------------------------------------

    template <typename Get>
    void route(const subscription& sub, timestamp_ns ts, Get&& get, std::uint32_t file, std::uint64_t line,
               std::uint64_t offset, std::vector<hit>& out) {
        rule_rt& r = rules[sub.rule];
        ++r.st.matches;
        pending p;
        p.ts = ts;
        p.seq = seq++;
        p.rule = sub.rule;
        p.pos = sub.pos;
        p.file = file;
        p.line = line;
        p.offset = offset;
        for (std::size_t i = 0; i < sub.group_ids.size(); ++i) {
            std::string_view v = get(sub.group_ids[i], sub.group_names[i]);
            if (v.empty()) {
                ++r.st.missing_group;
                return;
            }
            if (i) p.key_text.push_back(k_sep);
            p.key_text.append(v);
        }
        p.key_hash = hash_str(p.key_text, 0x5eed);
        for (std::size_t i = 0; i < context_ids.size(); ++i) {
            std::string_view v = get(context_ids[i], opt.context_fields[i]);
            if (!v.empty()) p.context.emplace_back(static_cast<std::uint8_t>(i), std::string(v));
        }
        const corr_type t = r.def.type;
        if (t != corr_type::event_count && t != corr_type::temporal && t != corr_type::temporal_ordered) {
            std::string& val = scratch;
            val.clear();
            for (std::size_t i = 0; i < sub.value_ids.size(); ++i) {
                std::string_view v = get(sub.value_ids[i], sub.value_names[i]);
                if (i) val.push_back(k_sep);
                val.append(v);
            }
            if (val.empty() || (sub.value_ids.size() > 1 && val.size() == sub.value_ids.size() - 1)) {
                ++r.st.missing_value;
                return;
            }
            if (t == corr_type::value_sum || t == corr_type::value_avg) {
                double d = 0;
                auto [ptr, ec] = std::from_chars(val.data(), val.data() + val.size(), d);
                if (ec != std::errc() || !std::isfinite(d)) {
                    ++r.st.missing_value;
                    return;
                }
                p.vnum = d;
            } else {
                p.vhash = hash_str(val, 0x7a1e);
            }
            if (val.size() <= 128) p.sample = val;
        }
        ++counters.inputs;
        if (max_seen == k_no_time || ts > max_seen) max_seen = ts;
        if (collect) {  // on_matches: processed in a prefetching loop by the caller
            collected.push_back(std::move(p));
            return;
        }
        if (opt.lateness == 0) {
            process(p, out);
            return;
        }
        buffer_bytes += pending_bytes(p);
        buffer.push(std::move(p));
        release(out, false);
        if (buffer_bytes > opt.memory_cap / 2) {
            // The buffer may use half of the cap; past that the oldest half is processed now.
            const std::size_t target = buffer.size() / 2;
            while (buffer.size() > target) pop_and_process(out);
            ++counters.buffer_forced;
        }
    }

    static std::size_t pending_bytes(const pending& p) {
        std::size_t n = sizeof(pending) + (p.key_text.capacity() > 15 ? p.key_text.capacity() : 0) +
                        (p.sample.capacity() > 15 ? p.sample.capacity() : 0);
        for (const auto& c : p.context) n += sizeof(c) + (c.second.capacity() > 15 ? c.second.capacity() : 0);
        return n;
    }

    void pop_and_process(std::vector<hit>& out) {
        pending p = std::move(const_cast<pending&>(buffer.top()));
        buffer.pop();
        buffer_bytes -= std::min(buffer_bytes, pending_bytes(p));
        process(p, out);
    }

    // Process buffered matches whose time is at or before the watermark (max_seen - lateness).
    void release(std::vector<hit>& out, bool all) {
        if (opt.lateness == options::k_unbounded && !all) return;
        while (!buffer.empty()) {
            const timestamp_ns t = buffer.top().ts;
            if (!all && !(max_seen - t >= opt.lateness)) break;
            pop_and_process(out);
        }
    }

    // ---- processing ----------------------------------------------------------------------

    int depth = 0;  // > 0 while a chained hit is being processed inside another update
    bool collect = false;  // route() appends to `collected` instead of processing
    std::vector<pending> collected;

    // Hints only: a stale slot or state address (after an insert or erase) costs nothing.
    template <typename F>
    void with_table(const pending& p, F&& f) {
        rule_rt& r = rules[p.rule];
        switch (r.def.type) {
            case corr_type::event_count: f(r.counts); break;
            case corr_type::value_count: f(r.values); break;
            case corr_type::value_sum:
            case corr_type::value_avg: f(r.sums); break;
            case corr_type::value_percentile: f(r.pcts); break;
            default: f(r.temporals); break;
        }
    }
    void prefetch_slot(const pending& p) {
        with_table(p, [&](auto& t) { t.index.prefetch(p.key_hash); });
    }
    void prefetch_state(const pending& p) {
        with_table(p, [&](auto& t) {
            const std::uint32_t i = t.index.find(p.key_hash);
            if (i != flat_index::k_none) {
                const char* a = reinterpret_cast<const char*>(&t.at(i));
                __builtin_prefetch(a);
                __builtin_prefetch(a + 64);
            }
        });
    }

    void process(pending& p, std::vector<hit>& out) {
        ++depth;
        process_one(p, out);
        if (--depth == 0 && cap_check_due) {
            cap_check_due = false;
            if (total_bytes() > opt.memory_cap) enforce_cap(out);
        }
    }

    void process_one(pending& p, std::vector<hit>& out) {
        if (processed != k_no_time && p.ts < processed) ++counters.late;
        // Windows of lt/lte conditions that ended before this input close first.
        run_closes(p.ts, out);
        if (processed == k_no_time || p.ts > processed) processed = p.ts;
        rule_rt& r = rules[p.rule];
        if (!r.def.context.empty()) {
            // staff_presence: only inputs whose account's owner is away count at all.
            if (!r.presence) return;
            const std::string_view account = std::string_view(p.key_text).substr(0, p.key_text.find(k_sep));
            const auto v = r.presence->check(account, p.ts);
            if (v != presence_context::verdict::on_leave && v != presence_context::verdict::no_badge_in) return;
            p.sample = std::string(presence_context::describe(v));
        }
        switch (r.def.type) {
            case corr_type::event_count: update(r, r.counts, p, out); break;
            case corr_type::value_count: update(r, r.values, p, out); break;
            case corr_type::value_sum:
            case corr_type::value_avg: update(r, r.sums, p, out); break;
            case corr_type::value_percentile: update(r, r.pcts, p, out); break;
            case corr_type::temporal:
            case corr_type::temporal_ordered: update(r, r.temporals, p, out); break;
        }
    }

    // Advance a bucket ring to bucket k; false when k is older than the ring (too late).
    template <int B, typename Clear>
    static bool ring_to(std::int64_t& head, std::int64_t k, Clear&& clear) {
        if (head == std::numeric_limits<std::int64_t>::min()) {
            head = k;
            for (int i = 0; i < B; ++i) clear(i);
            return true;
        }
        if (k > head) {
            const std::int64_t shift = k - head;
            if (shift >= B) {
                for (int i = 0; i < B; ++i) clear(i);
            } else {
                for (std::int64_t b = head + 1; b <= k; ++b) clear(static_cast<int>(((b % B) + B) % B));
            }
            head = k;
            return true;
        }
        return head - k < B;
    }
    static int slot(std::int64_t k, int B) { return static_cast<int>(((k % B) + B) % B); }

    template <typename S>
    void update(rule_rt& r, table<S>& tbl, pending& p, std::vector<hit>& out) {
        const timestamp_ns T = r.def.timespan;
        S* sp = tbl.find(p.key_hash);
        bool created = false;
        if (!sp) {
            sp = &tbl.insert(p.key_hash);
            created = true;
            if constexpr (std::is_same_v<S, temporal_state>)
                sp->t.assign(r.def.rules.size(), k_no_time);
        }
        S& s = *sp;
        const std::size_t dyn0 = created ? 0 : dyn_bytes(s);
        // A gap longer than the window starts a new episode.
        if (created || (s.last_ts != k_no_time && p.ts - s.last_ts > T)) {
            s.first_ts = p.ts;
            s.first_file = p.file;
            s.first_line = pack_position(p.line, p.offset);
            s.episode_events = 0;
            s.firing = false;
            if (!r.on_update) {
                s.key_text = p.key_text;
                closes.push({p.ts + T, static_cast<std::uint32_t>(&r - rules.data()), p.key_hash});
            }
        } else if (p.ts < s.first_ts) {
            s.first_ts = p.ts;  // out-of-order input older than the episode's first
            s.first_file = p.file;
            s.first_line = pack_position(p.line, p.offset);
        }
        bool fire = false;
        double value = 0;
        timestamp_ns first = s.first_ts;
        bool too_late = false;

        if constexpr (std::is_same_v<S, count_state>) {
            const std::int64_t k = floor_div(p.ts, r.w16);
            if (!ring_to<16>(s.head, k, [&](int i) { s.c[i] = 0; })) {
                too_late = true;
            } else {
                auto& c = s.c[slot(k, 16)];
                if (c != 0xffff) ++c;
                std::uint32_t sum = 0;
                for (auto x : s.c) sum += x;
                value = sum;
                for (std::int64_t b = s.head - 15; b <= s.head; ++b)
                    if (s.c[slot(b, 16)]) {
                        first = std::max(first, b * r.w16);
                        break;
                    }
            }
        } else if constexpr (std::is_same_v<S, values_state>) {
            const std::int64_t k = floor_div(p.ts, r.w16);
            if (!ring_to<16>(s.head, k, [](int) {})) {
                too_late = true;
            } else {
                const auto head32 = static_cast<std::uint32_t>(s.head);
                const auto k32 = static_cast<std::uint32_t>(k);
                const auto h = static_cast<std::uint32_t>(p.vhash);
                bool found = false;
                for (std::size_t i = 0; i < s.v.size();) {
                    vc_entry& e = s.v[i];
                    if (e.h == h) {
                        found = true;
                        if (static_cast<std::int32_t>(k32 - e.b) > 0) e.b = k32;
                    }
                    if (head32 - e.b >= 16) {  // out of the window
                        e = s.v.back();
                        s.v.pop_back();
                        continue;
                    }
                    ++i;
                }
                if (!found) s.v.push_back({h, k32});
                if (s.v.size() > r.value_cap) {
                    // Keep the most recent values: enough to decide the condition exactly.
                    std::size_t oldest = 0;
                    for (std::size_t i = 1; i < s.v.size(); ++i)
                        if (head32 - s.v[i].b > head32 - s.v[oldest].b) oldest = i;
                    s.v[oldest] = s.v.back();
                    s.v.pop_back();
                }
                value = static_cast<double>(s.v.size());
                std::uint32_t oldest_age = 0;
                for (const auto& e : s.v) oldest_age = std::max(oldest_age, head32 - e.b);
                first = std::max(first, (s.head - oldest_age) * r.w16);
            }
        } else if constexpr (std::is_same_v<S, sum_state>) {
            const std::int64_t k = floor_div(p.ts, r.w8);
            if (!ring_to<8>(s.head, k, [&](int i) {
                    s.s[i] = 0;
                    s.n[i] = 0;
                })) {
                too_late = true;
            } else {
                s.s[slot(k, 8)] += p.vnum;
                ++s.n[slot(k, 8)];
                double sum = 0;
                std::uint64_t n = 0;
                for (int i = 0; i < 8; ++i) {
                    sum += s.s[i];
                    n += s.n[i];
                }
                value = r.def.type == corr_type::value_avg ? (n ? sum / static_cast<double>(n) : 0) : sum;
            }
        } else if constexpr (std::is_same_v<S, pct_state>) {
            const std::int64_t k = floor_div(p.ts, r.w8);
            if (!ring_to<8>(s.head, k, [&](int i) { s.total[i] = 0; })) {
                too_late = true;
            } else {
                ++s.total[slot(k, 8)];
                std::uint64_t total = 0;
                for (auto x : s.total) total += x;
                const auto head32 = static_cast<std::uint32_t>(s.head);
                const auto h = static_cast<std::uint32_t>(p.vhash);
                pct_entry* e = nullptr;
                for (auto& x : s.v)
                    if (x.h == h) e = &x;
                if (!e) {
                    if (s.v.size() >= r.value_cap) {
                        std::size_t oldest = 0;
                        for (std::size_t i = 1; i < s.v.size(); ++i)
                            if (head32 - s.v[i].b > head32 - s.v[oldest].b) oldest = i;
                        s.v[oldest] = s.v.back();
                        s.v.pop_back();
                    }
                    s.v.push_back({h, 0, static_cast<std::uint32_t>(k)});
                    e = &s.v.back();
                }
                if (head32 - e->b >= 8) e->count = 0;  // not seen within the window: start over
                ++e->count;
                if (static_cast<std::int32_t>(static_cast<std::uint32_t>(k) - e->b) > 0) e->b = static_cast<std::uint32_t>(k);
                value = std::min(100.0, 100.0 * e->count / static_cast<double>(std::max<std::uint64_t>(total, 1)));
            }
        } else {  // temporal types
            const std::size_t n = s.t.size();
            if (r.def.type == corr_type::temporal) {
                if (s.t[p.pos] == k_no_time || p.ts > s.t[p.pos]) s.t[p.pos] = p.ts;
                timestamp_ns now = p.ts;
                for (auto x : s.t)
                    if (x != k_no_time) now = std::max(now, x);
                std::size_t seen = 0;
                timestamp_ns earliest = now;
                for (auto x : s.t)
                    if (x != k_no_time && now - x <= T) {
                        ++seen;
                        earliest = std::min(earliest, x);
                    }
                value = static_cast<double>(seen);
                first = earliest;
                if (r.def.cond.empty()) {
                    fire = seen == n;
                    value = static_cast<double>(seen);
                }
            } else {
                // t[i]: start (time of the rule-0 input) of the latest chain that completed rules 0..i.
                if (p.pos == 0) {
                    if (s.t[0] == k_no_time || p.ts > s.t[0]) s.t[0] = p.ts;
                } else if (s.t[p.pos - 1] != k_no_time && p.ts >= s.t[p.pos - 1] &&
                           p.ts - s.t[p.pos - 1] <= T) {
                    if (s.t[p.pos] == k_no_time || s.t[p.pos - 1] > s.t[p.pos]) s.t[p.pos] = s.t[p.pos - 1];
                }
                std::size_t done = 0;
                while (done < n && s.t[done] != k_no_time && p.ts - s.t[done] <= T) ++done;
                value = static_cast<double>(done);
                if (p.pos == n - 1 && s.t[n - 1] != k_no_time && p.ts - s.t[n - 1] <= T) {
                    first = s.t[n - 1];
                    if (r.def.cond.empty()) fire = true;
                    value = static_cast<double>(n);
                } else if (r.def.cond.empty()) {
                    fire = false;
                }
            }
        }

        if (too_late) {
            ++r.st.too_late;
        } else {
            ++s.episode_events;
            if (s.last_ts == k_no_time || p.ts > s.last_ts) s.last_ts = p.ts;
            if (r.on_update) {
                // temporal_ordered decides in its branch (the chain completed); others test the condition.
                if (!r.def.cond.empty() && r.def.type != corr_type::temporal_ordered)
                    fire = r.def.cond.test(value);
                if (fire) emit(r, s, p.key_text, p.ts, first, value, p, out);
                s.firing = fire;
            }
        }
        tbl.dyn += dyn_bytes(s) - dyn0;
        if (created) {
            ++r.st.groups;
            maybe_enforce_cap(out);
        }
    }

    void emit(rule_rt& r, key_base& s, std::string_view key_text, timestamp_ns ts, timestamp_ns first,
              double value, const pending& p, std::vector<hit>& out) {
        hit h;
        h.rule = static_cast<std::uint32_t>(&r - rules.data());
        h.ts = ts;
        h.first_ts = first;
        h.value = value;
        h.continuation = s.firing;
        h.events = s.firing ? 1 : s.episode_events;
        h.sample = p.sample;
        for (const auto& [idx, v] : p.context) h.context.emplace_back(opt.context_fields[idx], v);
        std::size_t i = 0;
        std::string_view rest = key_text;
        for (const auto& g : r.def.group_by) {
            const std::size_t sep = rest.find(k_sep);
            h.group.emplace_back(g, std::string(rest.substr(0, sep)));
            rest = sep == std::string_view::npos ? std::string_view{} : rest.substr(sep + 1);
            ++i;
        }
        h.first.file = std::string(file_name(s.first_file));
        h.first.line = position_line(s.first_line);
        h.first.offset = position_offset(s.first_line);
        h.first.ts = s.first_ts;
        h.last.file = std::string(file_name(p.file));
        h.last.line = p.line;
        h.last.offset = p.offset;
        h.last.ts = ts;
        ++r.st.hits;
        out.push_back(h);
        // Chains: this hit is an input of the correlations that reference this one.
        if (r.chained.empty()) return;
        const auto group = out.back().group;
        const auto context = out.back().context;
        for (const subscription& sub : r.chained) {
            auto get = [&](field_id, const std::string& name) -> std::string_view {
                for (const auto& [k, v] : group)
                    if (k == name) return v;
                for (const auto& [k, v] : context)
                    if (k == name) return v;
                return {};
            };
            const timestamp_ns saved_lateness = opt.lateness;
            opt.lateness = 0;  // already in time order: process at once
            std::vector<hit> more;
            route(sub, ts, get, p.file, p.line, p.offset, more);
            opt.lateness = saved_lateness;
            for (auto& m2 : more) out.push_back(std::move(m2));
        }
    }

    // ---- windows that close (lt / lte conditions) ----------------------------------------

    void run_closes(timestamp_ns upto, std::vector<hit>& out) {
        while (!closes.empty() && closes.top().at <= upto) {
            close_item c = closes.top();
            closes.pop();
            rule_rt& r = rules[c.rule];
            auto done = [&](auto& tbl) {
                const std::uint32_t i = tbl.index.find(c.key);
                if (i == flat_index::k_none) return;
                auto& s = tbl.at(i);
                if (s.first_ts + r.def.timespan != c.at) return;  // a later episode
                double value = s.episode_events;
                using S = std::decay_t<decltype(s)>;
                if constexpr (std::is_same_v<S, values_state>) value = static_cast<double>(s.v.size());
                if constexpr (std::is_same_v<S, sum_state>) {
                    double sum = 0;
                    std::uint64_t n = 0;
                    for (int k = 0; k < 8; ++k) {
                        sum += s.s[k];
                        n += s.n[k];
                    }
                    value = r.def.type == corr_type::value_avg ? (n ? sum / static_cast<double>(n) : 0) : sum;
                }
                if constexpr (std::is_same_v<S, temporal_state>) {
                    value = 0;
                    for (auto x : s.t) value += x != k_no_time;
                }
                if (r.def.cond.test(value)) {
                    pending p;
                    p.file = s.first_file;
                    p.line = position_line(s.first_line);
                    p.offset = position_offset(s.first_line);
                    s.firing = false;
                    const std::string key = s.key_text;
                    emit(r, s, key, c.at, s.first_ts, value, p, out);
                }
                tbl.erase_at(i);
                ++r.st.expired;
            };
            switch (r.def.type) {
                case corr_type::event_count: done(r.counts); break;
                case corr_type::value_count: done(r.values); break;
                case corr_type::value_sum:
                case corr_type::value_avg: done(r.sums); break;
                case corr_type::value_percentile: done(r.pcts); break;
                default: done(r.temporals); break;
            }
        }
    }

    // ---- memory cap ----------------------------------------------------------------------

    std::size_t total_bytes() const {
        std::size_t b = buffer_bytes;
        for (const auto& r : rules) b += r.bytes();
        return b;
    }

    std::uint64_t inserts_since_check = 0;
    bool cap_check_due = false;
    // Summing every table's bytes costs a little: check every 256 new groups, and only once
    // the outermost update is done (eviction moves states that an update may still hold).
    void maybe_enforce_cap(std::vector<hit>&) {
        if ((++inserts_since_check & 255) == 0) cap_check_due = true;
    }

    template <typename S>
    void drop_expired(rule_rt& r, table<S>& tbl, timestamp_ns now) {
        if (!r.on_update) return;  // closing windows report and drop themselves
        for (std::uint32_t i = 0; i < tbl.n;) {
            if (tbl.at(i).last_ts != k_no_time && now - tbl.at(i).last_ts > r.def.timespan) {
                tbl.erase_at(i);
                ++r.st.expired;
            } else {
                ++i;
            }
        }
    }

    void enforce_cap(std::vector<hit>& out) {
        const timestamp_ns now = processed;
        for (auto& r : rules) {
            drop_expired(r, r.counts, now);
            drop_expired(r, r.values, now);
            drop_expired(r, r.sums, now);
            drop_expired(r, r.pcts, now);
            drop_expired(r, r.temporals, now);
        }
        std::size_t total = total_bytes();
        if (total <= opt.memory_cap) return;
        // Evict the least recently updated groups until 80 % of the cap is used.
        const std::size_t target = opt.memory_cap / 10 * 8;
        std::vector<timestamp_ns> ages;
        std::size_t groups = 0;
        auto collect = [&](auto& tbl) {
            for (std::uint32_t i = 0; i < tbl.n; ++i) ages.push_back(tbl.at(i).last_ts);
            groups += tbl.n;
        };
        for (auto& r : rules) {
            collect(r.counts);
            collect(r.values);
            collect(r.sums);
            collect(r.pcts);
            collect(r.temporals);
        }
        if (ages.empty()) return;
        const double frac = std::min(1.0, static_cast<double>(total - target) / static_cast<double>(total) + 0.05);
        auto nth = ages.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(ages.size() - 1, static_cast<std::size_t>(frac * static_cast<double>(ages.size()))));
        std::nth_element(ages.begin(), nth, ages.end());
        const timestamp_ns cutoff = *nth;
        auto evict = [&](rule_rt& r, auto& tbl) {
            for (std::uint32_t i = 0; i < tbl.n;) {
                if (tbl.at(i).last_ts <= cutoff) {
                    tbl.erase_at(i);
                    ++r.st.evicted;
                } else {
                    ++i;
                }
            }
        };
        for (auto& r : rules) {
            evict(r, r.counts);
            evict(r, r.values);
            evict(r, r.sums);
            evict(r, r.pcts);
            evict(r, r.temporals);
        }
        (void)out;
    }
};


// ---- public API --------------------------------------------------------------------------

engine::engine(std::unique_ptr<impl> p) : m(std::move(p)) {}
engine::~engine() = default;

namespace {

// The staff context folder: options::context_dir (`scan --context`), else the environment
// (MIMAMORI_CONTEXT), so the daemon and `demo evaluate` can share it without a flag. Without
// either, staff_presence rules count nothing; a folder that cannot be read is an error. One
// load per (folder, time zone).
result<std::shared_ptr<const presence_context>> load_presence(const std::string& configured, const std::string& tz_spec) {
    static std::mutex mu;
    static std::map<std::string, std::shared_ptr<const presence_context>> cache;
    std::lock_guard<std::mutex> lock(mu);
    std::string dir = configured;
    if (dir.empty())
        if (const char* env = std::getenv("MIMAMORI_CONTEXT")) dir = env;
    if (dir.empty()) return std::shared_ptr<const presence_context>();
    const std::string key = dir + '\n' + tz_spec;
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    auto tz = time_zone::load(tz_spec.empty() ? "UTC" : tz_spec);
    if (!tz.ok()) return error{"correlate.context", "time zone " + tz_spec + ": " + tz.err().message};
    auto loaded = presence_context::load(dir, tz.value());
    if (!loaded.ok()) return error{"correlate.context", "staff context " + dir + ": " + loaded.err().message};
    return cache[key] = std::shared_ptr<const presence_context>(std::move(loaded.value()));
}

}  // namespace

result<std::unique_ptr<engine>> engine::create(std::vector<corr_rule> defs, options opts) {
    auto p = std::make_unique<impl>();
    p->opt = opts;
    if (p->opt.context_fields.size() > 255) p->opt.context_fields.resize(255);
    for (const auto& n : p->opt.context_fields) p->context_ids.push_back(intern(n));
    p->defs = defs;
    p->rules.resize(defs.size());
    std::map<std::string, std::uint32_t, std::less<>> by_ref;  // correlation id / name → index
    for (std::uint32_t i = 0; i < defs.size(); ++i) {
        auto& r = p->rules[i];
        r.def = std::move(defs[i]);
        const bool ordered = r.def.type == corr_type::temporal_ordered;
        r.on_update = ordered || r.def.type == corr_type::value_percentile || r.def.cond.checked_on_update();
        r.w16 = std::max<std::int64_t>(1, r.def.timespan / 16);
        r.w8 = std::max<std::int64_t>(1, r.def.timespan / 8);
        const double mb = r.def.cond.max_bound();
        r.value_cap = r.def.type == corr_type::value_count
                          ? static_cast<std::size_t>(std::clamp(std::ceil(mb), 1.0, static_cast<double>(opts.max_values)))
                          : opts.max_values;
        if (!r.def.id.empty()) by_ref[r.def.id] = i;
        if (!r.def.name.empty()) by_ref[r.def.name] = i;
        if (r.def.context == "staff_presence") {
            auto ctx = load_presence(opts.context_dir, r.def.context_timezone);
            if (!ctx) return ctx.err();
            r.presence = std::move(ctx.value());
        }
    }
    // References: to another correlation (a chain) or to a base rule (fed from outside).
    std::vector<std::vector<std::uint32_t>> children(p->rules.size());
    for (std::uint32_t i = 0; i < p->rules.size(); ++i) {
        const auto& d = p->rules[i].def;
        for (std::uint32_t pos = 0; pos < d.rules.size(); ++pos) {
            auto it = by_ref.find(d.rules[pos]);
            if (it != by_ref.end()) {
                if (it->second == i)
                    return error{"correlate.cycle", "correlation '" + d.title + "' references itself"};
                const auto& inner = p->rules[it->second].def;
                p->rules[it->second].chained.push_back(p->make_sub(i, pos, {d.rules[pos], inner.name, inner.id}));
                children[i].push_back(it->second);
            } else {
                p->refs[d.rules[pos]].push_back({i, pos});
            }
        }
    }
    // Cycles through chains would feed hits back forever.
    std::vector<int> mark(p->rules.size(), 0);
    std::function<bool(std::uint32_t)> cyclic = [&](std::uint32_t i) {
        if (mark[i] == 1) return true;
        if (mark[i] == 2) return false;
        mark[i] = 1;
        for (auto c : children[i])
            if (cyclic(c)) return true;
        mark[i] = 2;
        return false;
    };
    for (std::uint32_t i = 0; i < p->rules.size(); ++i)
        if (cyclic(i))
            return error{"correlate.cycle", "correlation '" + p->rules[i].def.title + "' is part of a reference cycle"};
    // A correlation's own hits are alerts unless another correlation references it without generate.
    for (std::uint32_t i = 0; i < p->rules.size(); ++i) {
        bool referenced = false, generate = false;
        for (std::uint32_t j = 0; j < p->rules.size(); ++j)
            for (auto c : children[j])
                if (c == i) {
                    referenced = true;
                    generate |= p->rules[j].def.generate;
                }
        p->rules[i].emits = !referenced || generate;
    }
    return std::unique_ptr<engine>(new engine(std::move(p)));
}

const std::vector<corr_rule>& engine::rules() const { return m->defs; }

engine::input_handle engine::input_for(std::string_view id, std::string_view name) const {
    std::string key;
    key.append(id).push_back('\0');
    key.append(name);
    if (auto it = m->input_by_pair.find(key); it != m->input_by_pair.end()) return it->second;
    impl::input in;
    for (std::string_view ref : {id, name}) {
        if (ref.empty() || (ref == name && name == id)) continue;
        auto it = m->refs.find(ref);
        if (it == m->refs.end()) continue;
        for (auto [rule, pos] : it->second) {
            bool dup = false;
            for (const auto& s : in.subs) dup |= s.rule == rule && s.pos == pos;
            if (!dup) in.subs.push_back(m->make_sub(rule, pos, {std::string_view(it->first), name, id}));
        }
    }
    input_handle h = k_no_input;
    if (!in.subs.empty()) {
        h = static_cast<input_handle>(m->inputs.size());
        m->inputs.push_back(std::move(in));
    }
    m->input_by_pair.emplace(std::move(key), h);
    return h;
}

bool engine::emits_alerts(std::string_view id, std::string_view name) const {
    for (const auto& r : m->rules)
        if ((!id.empty() && r.def.id == id) || (!name.empty() && r.def.name == name)) return r.emits;
    bool referenced = false;
    for (const auto& r : m->rules)
        for (const auto& ref : r.def.rules)
            if ((!id.empty() && ref == id) || (!name.empty() && ref == name)) {
                referenced = true;
                if (r.def.generate) return true;
            }
    return !referenced;
}

void engine::on_match(input_handle in, const event_batch& batch, const event& e, std::vector<hit>& out) {
    if (in == k_no_input || in >= m->inputs.size() || e.ts == k_no_time) return;
    const std::uint32_t file = m->file_id(e.file);
    for (const auto& sub : m->inputs[in].subs) {
        auto get = [&](field_id id, const std::string&) { return batch.get(e, id); };
        m->route(sub, e.ts, get, file, e.line, e.offset, out);
    }
}

void engine::on_matches(const event_batch& batch, const std::vector<std::pair<input_handle, std::uint32_t>>& matches,
                        std::vector<hit>& out) {
    if (m->opt.lateness != 0) {  // buffered anyway: no gain from prefetching here
        for (const auto& [in, ev] : matches)
            if (ev < batch.size()) on_match(in, batch, batch[ev], out);
        return;
    }
    auto& c = m->collected;
    c.clear();
    m->collect = true;
    for (const auto& [in, ev] : matches) {
        if (in == k_no_input || in >= m->inputs.size() || ev >= batch.size()) continue;
        const event& e = batch[ev];
        if (e.ts == k_no_time) continue;
        const std::uint32_t file = m->file_id(e.file);
        for (const auto& sub : m->inputs[in].subs) {
            auto get = [&](field_id id, const std::string&) { return batch.get(e, id); };
            m->route(sub, e.ts, get, file, e.line, e.offset, out);
        }
    }
    m->collect = false;
    // Software pipeline: slot of i+8 and state of i+4 are on their way while i is processed.
    constexpr std::size_t k_slot_ahead = 8, k_state_ahead = 4;
    for (std::size_t i = 0; i < c.size() && i < k_slot_ahead; ++i) m->prefetch_slot(c[i]);
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (i + k_slot_ahead < c.size()) m->prefetch_slot(c[i + k_slot_ahead]);
        if (i + k_state_ahead < c.size()) m->prefetch_state(c[i + k_state_ahead]);
        m->process(c[i], out);
    }
    c.clear();
}

void engine::on_match(input_handle in, timestamp_ns ts, const field_values& fields, const evidence_ref& ev,
                      std::vector<hit>& out) {
    if (in == k_no_input || in >= m->inputs.size() || ts == k_no_time) return;
    const std::uint32_t file = m->file_id(ev.file);
    for (const auto& sub : m->inputs[in].subs) {
        auto get = [&](field_id, const std::string& name) { return fields.get(name); };
        m->route(sub, ts, get, file, ev.line, ev.offset, out);
    }
}

void engine::advance(timestamp_ns now, std::vector<hit>& out) {
    if (m->max_seen == k_no_time || now > m->max_seen) m->max_seen = now;
    m->release(out, false);
    const timestamp_ns wm = m->opt.lateness == options::k_unbounded ? k_no_time : now - m->opt.lateness;
    if (wm != k_no_time) {
        m->run_closes(wm, out);
        if (m->processed == k_no_time || wm > m->processed) m->processed = wm;
    }
}

void engine::flush(std::vector<hit>& out) {
    m->release(out, true);
    m->run_closes(std::numeric_limits<timestamp_ns>::max(), out);
}

engine_stats engine::stats() const {
    engine_stats st = m->counters;
    st.buffered = m->buffer.size();
    st.bytes = m->total_bytes();
    for (const auto& r : m->rules) {
        rule_stats rs = r.st;
        rs.groups = r.groups();
        rs.bytes = r.bytes();
        st.rules.push_back(rs);
    }
    return st;
}

namespace {
std::string rule_key(const corr_rule& d) { return d.id.empty() ? d.title : d.id; }
}  // namespace

void engine::save(std::ostream& os) const {
    writer w;
    w.buf.append(k_magic, sizeof k_magic);
    w.pod(k_version);
    w.pod(m->max_seen);
    w.pod(m->processed);
    w.pod(m->seq);
    w.pod(m->counters.inputs);
    w.pod(m->counters.late);
    w.pod(m->counters.buffer_forced);
    w.pod(static_cast<std::uint32_t>(m->files.size()));
    for (const auto& f : m->files) w.str(f);
    w.pod(static_cast<std::uint32_t>(m->rules.size()));
    for (const auto& r : m->rules) {
        w.str(rule_key(r.def));
        w.pod(r.def.fingerprint());
        // Each rule's section is length-prefixed so a reader can skip rules it no longer has.
        writer sec;
        sec.pod(r.st);
        auto dump = [&](const auto& tbl) {
            sec.pod(tbl.n);
            for (std::uint32_t i = 0; i < tbl.n; ++i) write_state(sec, tbl.at(i));
        };
        switch (r.def.type) {
            case corr_type::event_count: dump(r.counts); break;
            case corr_type::value_count: dump(r.values); break;
            case corr_type::value_sum:
            case corr_type::value_avg: dump(r.sums); break;
            case corr_type::value_percentile: dump(r.pcts); break;
            default: dump(r.temporals); break;
        }
        w.pod(static_cast<std::uint64_t>(sec.buf.size()));
        w.buf.append(sec.buf);
    }
    // Reorder buffer, in time order.
    auto copy = m->buffer;
    w.pod(static_cast<std::uint64_t>(copy.size()));
    while (!copy.empty()) {
        const auto& p = copy.top();
        w.pod(p.ts);
        w.pod(p.seq);
        w.str(rule_key(m->rules[p.rule].def));
        w.pod(p.pos);
        w.pod(p.key_hash);
        w.str(p.key_text);
        w.pod(p.vhash);
        w.pod(p.vnum);
        w.str(p.sample);
        w.pod(p.file);
        w.pod(p.line);
        w.pod(p.offset);
        w.pod(static_cast<std::uint32_t>(p.context.size()));
        for (const auto& [i, v] : p.context) {
            w.pod(i);
            w.str(v);
        }
        copy.pop();
    }
    os.write(w.buf.data(), static_cast<std::streamsize>(w.buf.size()));
}

status engine::restore(std::istream& is, std::size_t* skipped) {
    std::string data((std::istreambuf_iterator<char>(is)), std::istreambuf_iterator<char>());
    reader r{data};
    if (data.size() < sizeof k_magic || std::memcmp(data.data(), k_magic, sizeof k_magic) != 0)
        return error{"correlate.state", "not a Mimamori correlation state file"};
    r.in.remove_prefix(sizeof k_magic);
    if (r.pod<std::uint32_t>() != k_version)
        return error{"correlate.state", "correlation state file of another version; start fresh"};
    auto fresh = std::make_unique<impl>();  // parse into a scratch copy: all or nothing
    impl& s = *m;
    const timestamp_ns max_seen = r.pod<timestamp_ns>();
    const timestamp_ns processed = r.pod<timestamp_ns>();
    const std::uint64_t seq = r.pod<std::uint64_t>();
    engine_stats counters;
    counters.inputs = r.pod<std::uint64_t>();
    counters.late = r.pod<std::uint64_t>();
    counters.buffer_forced = r.pod<std::uint64_t>();
    const auto nfiles = r.pod<std::uint32_t>();
    std::vector<std::string> files;
    for (std::uint32_t i = 0; r.ok && i < nfiles; ++i) files.push_back(r.str());
    std::map<std::string, std::uint32_t> by_key;
    for (std::uint32_t i = 0; i < s.rules.size(); ++i) by_key[rule_key(s.rules[i].def)] = i;
    struct loaded {
        std::uint32_t rule;
        std::string section;
    };
    std::vector<loaded> sections;
    std::size_t skip = 0;
    const auto nrules = r.pod<std::uint32_t>();
    for (std::uint32_t i = 0; r.ok && i < nrules; ++i) {
        const std::string key = r.str();
        const auto fp = r.pod<std::uint64_t>();
        const auto len = r.pod<std::uint64_t>();
        if (!r.ok || r.in.size() < len) {
            r.ok = false;
            break;
        }
        std::string section(r.in.substr(0, len));
        r.in.remove_prefix(len);
        auto it = by_key.find(key);
        if (it == by_key.end() || s.rules[it->second].def.fingerprint() != fp) {
            ++skip;
            continue;
        }
        sections.push_back({it->second, std::move(section)});
    }
    std::vector<impl::pending> pend;
    const auto npend = r.pod<std::uint64_t>();
    for (std::uint64_t i = 0; r.ok && i < npend; ++i) {
        impl::pending p;
        p.ts = r.pod<timestamp_ns>();
        p.seq = r.pod<std::uint64_t>();
        const std::string key = r.str();
        p.pos = r.pod<std::uint32_t>();
        p.key_hash = r.pod<std::uint64_t>();
        p.key_text = r.str();
        p.vhash = r.pod<std::uint64_t>();
        p.vnum = r.pod<double>();
        p.sample = r.str();
        p.file = r.pod<std::uint32_t>();
        p.line = r.pod<std::uint64_t>();
        p.offset = r.pod<std::uint64_t>();
        const auto nctx = r.pod<std::uint32_t>();
        for (std::uint32_t c = 0; r.ok && c < nctx && c < 256; ++c) {
            const auto i = r.pod<std::uint8_t>();
            std::string v = r.str();
            if (i < s.opt.context_fields.size()) p.context.emplace_back(i, std::move(v));
        }
        auto it = by_key.find(key);
        if (it == by_key.end() || p.pos >= s.rules[it->second].def.rules.size()) continue;
        p.rule = it->second;
        pend.push_back(std::move(p));
    }
    if (!r.ok) return error{"correlate.state", "correlation state file is truncated or corrupt"};
    // Decode the sections into fresh tables, then swap them in.
    for (auto& r2 : s.rules) {
        r2.counts.clear();
        r2.values.clear();
        r2.sums.clear();
        r2.pcts.clear();
        r2.temporals.clear();
        r2.st = rule_stats{};
    }
    s.closes = {};
    bool ok = true;
    for (auto& sec : sections) {
        reader rr{sec.section};
        auto& rt = s.rules[sec.rule];
        rt.st = rr.pod<rule_stats>();
        auto load = [&](auto& tbl) {
            const auto n = rr.pod<std::uint32_t>();
            for (std::uint32_t i = 0; rr.ok && i < n; ++i) {
                using S = std::decay_t<decltype(tbl.at(0))>;
                S st;
                read_state(rr, st);
                if (!rr.ok) break;
                S& dst = tbl.insert(st.key_hash);
                dst = std::move(st);
                tbl.dyn += dyn_bytes(dst);
                if (!rt.on_update) s.closes.push({dst.first_ts + rt.def.timespan, sec.rule, dst.key_hash});
            }
        };
        switch (rt.def.type) {
            case corr_type::event_count: load(rt.counts); break;
            case corr_type::value_count: load(rt.values); break;
            case corr_type::value_sum:
            case corr_type::value_avg: load(rt.sums); break;
            case corr_type::value_percentile: load(rt.pcts); break;
            default: load(rt.temporals); break;
        }
        ok &= rr.ok;
    }
    s.buffer = {};
    s.buffer_bytes = 0;
    for (auto& p : pend) {
        s.buffer_bytes += impl::pending_bytes(p);
        s.buffer.push(std::move(p));
    }
    s.max_seen = max_seen;
    s.processed = processed;
    s.seq = seq;
    s.counters = counters;
    s.files = std::move(files);
    s.file_ids.clear();
    for (std::uint32_t i = 0; i < s.files.size(); ++i) s.file_ids.emplace(s.files[i], i);
    s.last_file_view = {};
    s.last_file_id = k_no_file;
    if (skipped) *skipped = skip;
    if (!ok) return error{"correlate.state", "correlation state file is corrupt in a rule section"};
    return {};
}

}  // namespace mimamori::correlate
