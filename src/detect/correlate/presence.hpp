#pragma once
/// Staff presence context for correlations: who is on leave or working from home on a given day,
/// whose badge is whose, and when each badge entered the building. Read from a folder of CSV
/// files an HR system and an access-control system can export:
///
///   roster.csv    header with at least `account` and `badge_id` (other columns ignored)
///   absences.csv  `date,account,kind` — kind `paid_leave`, `sick_leave`, `leave`… (away) or
///                 `remote_work` / `wfh` (working, but not in the building)
///   badge.csv     `time,badge_id,door,direction` — RFC 3339 time with offset; direction `in`/`out`
///
/// A correlation with `context: staff_presence` (Mimamori extension, see rule.hpp) counts only
/// the inputs whose account's owner is away at that moment (`check` below).
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.hpp"
#include "core/time.hpp"

namespace mimamori::correlate {

class presence_context {
public:
    enum class verdict : std::uint8_t {
        unknown,      ///< not in the roster, no badge, or no badge data for that day: no opinion
        present,      ///< badged in earlier that day, or working remotely (by the absence list)
        on_leave,     ///< the absence list has the owner on leave that day
        no_badge_in,  ///< badge data exists for that day, but this owner's badge never entered
    };
    static std::string_view describe(verdict v);

    /// Load the folder. Missing roster.csv is an error; missing absences or badge files only
    /// switch those checks off. `tz` is the zone of the absence dates and of "that day".
    static result<std::unique_ptr<presence_context>> load(const std::string& dir, const time_zone& tz);

    /// The owner of `account` (any of `user`, `DOMAIN\user`, `user@domain`; case-insensitive)
    /// at `ts`. A badge-in up to `grace_ns` after the logon still counts (clocks drift).
    verdict check(std::string_view account, timestamp_ns ts, timestamp_ns grace_ns = 10LL * 60 * 1'000'000'000) const;

    std::size_t accounts() const { return m_badge_of.size(); }
    std::size_t absences() const { return m_absent.size(); }
    std::size_t badge_days() const { return m_badge_days.size(); }

private:
    std::int64_t local_day(timestamp_ns ts) const;

    time_zone m_tz;
    std::unordered_map<std::string, std::string> m_badge_of;          // account → badge id
    std::map<std::pair<std::string, std::int64_t>, bool> m_absent;     // (account, day) → on leave (false = remote)
    std::map<std::pair<std::string, std::int64_t>, timestamp_ns> m_first_in;  // (badge, day) → first "in"
    std::set<std::int64_t> m_badge_days;                               // days with any badge record
};

/// Normalize an account name as `check` does: lower case, domain prefix/suffix removed.
std::string normalize_account(std::string_view a);

}  // namespace mimamori::correlate
