#pragma once
/// Writing a batch scan's results into the store: every event as it is read (the store's
/// `append`), then — after detection has seen all input — the alerts with the stored ids of
/// their evidence events, and the incidents with their alert links.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "alert/alert.hpp"
#include "core/event.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace mimamori::report {

/// Where each stored event came from (file and line, or offset for records that are not
/// lines) → its stored id. Consecutive lines with consecutive ids are kept as one run, so a
/// month of logs costs a few bytes per file run, not per event.
class evidence_index {
public:
    /// Record a batch that `append` stored with ids first_event_id + index.
    void add_batch(const event_batch& b, std::int64_t first_event_id);
    /// The stored id of the event at file:line (line > 0) or file@offset; 0 when unknown.
    std::int64_t find(std::string_view file, std::uint64_t line, std::uint64_t offset) const;
    std::size_t runs() const;

private:
    struct run {
        std::uint64_t key;  ///< line (or offset) of the first event of the run
        std::int64_t id;    ///< its stored id
        std::uint32_t n;    ///< events in the run (key, key+1, …) ↔ (id, id+1, …)
        bool by_line;
    };
    // Sorted lazily by find() when a file's records did not arrive in order.
    mutable std::unordered_map<std::string, std::vector<run>> m_files;
    mutable bool m_sorted = true;
};

struct stored_counts {
    std::uint64_t alerts = 0, incidents = 0;
    std::uint64_t evidence_linked = 0, evidence_missing = 0;  ///< evidence refs found / not found in the index
};

/// The alert as stored: the scan's JSON plus the rule's texts a report needs (name,
/// description and advice in both languages).
std::string stored_alert_json(const alert::alert& a);

/// Store the alerts (with their evidence event ids) and the incidents (with links to the
/// stored alerts).
result<stored_counts> store_results(store::store& st, const std::vector<alert::alert>& alerts,
                                    const std::vector<alert::incident>& incidents, const evidence_index& index);

}  // namespace mimamori::report
