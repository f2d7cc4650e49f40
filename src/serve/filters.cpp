#include "animerec/serve/filters.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <vector>

#include "animerec/core/error.h"

namespace animerec::serve {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string join(const std::set<std::string>& values) {
  std::string out;
  for (const std::string& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

// The lowercased `wanted` values, each checked to be one of `existing`.
std::set<std::string> checked_values(const char* option, const std::vector<std::string>& wanted,
                                     const std::set<std::string>& existing) {
  std::set<std::string> known;
  for (const std::string& e : existing) known.insert(lower(e));
  std::set<std::string> out;
  for (const std::string& w : wanted) {
    if (!known.count(lower(w))) {
      throw ConfigError(fmt::format("--{} {}: no anime in the dataset has this value; it has: {}",
                                    option, w, join(existing)));
    }
    out.insert(lower(w));
  }
  return out;
}

std::set<std::string> types_of(const data::AnimeMeta& meta) {
  std::set<std::string> out;
  for (const std::string& t : meta.type)
    if (!t.empty()) out.insert(t);
  return out;
}

bool has_genre(const data::AnimeMeta& meta, size_t a, const std::set<std::string>& genres) {
  const data::MultiValued& g = meta.genres;
  for (int64_t i = g.offsets[a]; i < g.offsets[a + 1]; ++i) {
    if (genres.count(lower(g.vocab.at(static_cast<size_t>(g.values[static_cast<size_t>(i)])))))
      return true;
  }
  return false;
}

// A numeric bound needs the field to be known for some anime: a dataset
// without it (MyAnimeList 2016's anime.csv has no air dates) would filter
// everything out without saying why.
void check_known(const char* option, const char* field, const std::vector<int32_t>& values) {
  if (std::none_of(values.begin(), values.end(), [](int32_t v) { return v > 0; })) {
    throw ConfigError(
        fmt::format("--{}: the dataset knows no anime's {} (its anime file has no such column)",
                    option, field));
  }
}

}  // namespace

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    std::string item = trim(text.substr(start, end - start));
    if (!item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

std::vector<uint8_t> filtered_out(const Filters& f, const data::AnimeMeta& meta) {
  const std::set<std::string> types = checked_values("type", f.types, types_of(meta));
  const std::set<std::string> vocab(meta.genres.vocab.begin(), meta.genres.vocab.end());
  const std::set<std::string> genres = checked_values("exclude-genre", f.exclude_genres, vocab);
  if (f.min_year > 0) check_known("min-year", "year", meta.year);
  if (f.max_episodes > 0) check_known("max-episodes", "episode count", meta.episodes);
  std::vector<uint8_t> out(meta.size(), 0);
  for (size_t a = 0; a < out.size(); ++a) {
    bool drop = !types.empty() && !types.count(lower(meta.type[a]));
    drop = drop || (!genres.empty() && has_genre(meta, a, genres));
    drop = drop || (f.min_year > 0 && (meta.year[a] <= 0 || meta.year[a] < f.min_year));
    drop = drop ||
           (f.max_episodes > 0 && (meta.episodes[a] <= 0 || meta.episodes[a] > f.max_episodes));
    out[a] = drop ? 1 : 0;
  }
  return out;
}

void exclude_also(std::vector<uint8_t>& excluded, const std::vector<uint8_t>& more) {
  if (more.empty()) return;
  if (excluded.empty()) excluded.assign(more.size(), 0);
  for (size_t a = 0; a < excluded.size(); ++a) excluded[a] = excluded[a] || more.at(a) ? 1 : 0;
}

}  // namespace animerec::serve
