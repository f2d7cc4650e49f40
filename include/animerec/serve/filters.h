#pragma once
// The filters of `animerec recommend` (--type, --exclude-genre, --min-year,
// --max-episodes): which anime a list may contain, decided from the
// dataset's anime metadata. They apply to every mode (known user, new user,
// popularity, similar anime).

#include <cstdint>
#include <string>
#include <vector>

#include "animerec/data/dataset.h"

namespace animerec::serve {

struct Filters {
  std::vector<std::string> types;           // keep only these types; empty = any
  std::vector<std::string> exclude_genres;  // drop anime with any of these genres
  int32_t min_year = 0;                     // 0 = no bound
  int32_t max_episodes = 0;                 // 0 = no bound
  bool any() const {
    return !types.empty() || !exclude_genres.empty() || min_year > 0 || max_episodes > 0;
  }
};

// A comma-separated option value as its trimmed, non-empty items.
std::vector<std::string> split_list(const std::string& text);

// One flag per anime: 1 = filtered out. Types and genres match ASCII
// case-insensitively. An anime whose year (episode count) is unknown is
// filtered out by --min-year (--max-episodes): it cannot be shown to satisfy
// the bound. Throws ConfigError for a type or genre no anime in `meta` has
// (a typo would otherwise silently filter everything or nothing), listing
// the values that exist, and for --min-year (--max-episodes) on a dataset
// that knows no anime's year (episode count).
std::vector<uint8_t> filtered_out(const Filters& f, const data::AnimeMeta& meta);

// Adds `more` to `excluded` (both one flag per anime; `excluded` may be empty).
void exclude_also(std::vector<uint8_t>& excluded, const std::vector<uint8_t>& more);

}  // namespace animerec::serve
