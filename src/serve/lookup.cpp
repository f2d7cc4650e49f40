// Turning what the user typed (an external id, a title) into model rows, and
// checking that a dataset belongs to a model.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/core/sha256.h"
#include "animerec/serve/recommend.h"

namespace animerec::serve {
namespace {

constexpr size_t kMaxSuggestions = 5;

std::string lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::optional<int64_t> parse_id(const std::string& s) {
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Row of `id` in ascending `ids`, or -1.
int32_t row_of(const std::vector<int64_t>& ids, int64_t id) {
  auto it = std::lower_bound(ids.begin(), ids.end(), id);
  if (it == ids.end() || *it != id) return -1;
  return static_cast<int32_t>(it - ids.begin());
}

// Only this many letters of an unknown title are compared with the titles:
// the longest MyAnimeList title is about 150 letters, so a longer query has no
// close title anyway, and the bound keeps a pasted megabyte from costing
// minutes of edit distances.
constexpr size_t kMaxComparedLetters = 256;
// At most this many edits make a title "close", whatever the query's length.
constexpr size_t kMaxEdits = 32;
// How much of an unknown title an error message repeats.
constexpr size_t kMaxEchoedLetters = 120;

// Levenshtein distance of a and b when it is at most `bound`, else bound + 1.
// Only the diagonal band |i - j| <= bound of the table can hold a distance
// within the bound (Ukkonen), so the work is O(min(|a|, |b|) * bound), and it
// stops as soon as a whole row exceeds the bound.
size_t bounded_edit_distance(const std::string& a, const std::string& b, size_t bound) {
  const size_t over = bound + 1;
  const size_t diff = a.size() > b.size() ? a.size() - b.size() : b.size() - a.size();
  if (diff > bound) return over;
  // Cells outside the band stay `over`: each row writes only its band and the
  // cell just left of it, and the band moves right by one per row.
  std::vector<size_t> prev(b.size() + 1, over), cur(b.size() + 1, over);
  for (size_t j = 0; j <= std::min(b.size(), bound); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    const size_t lo = i > bound ? i - bound : 1;
    const size_t hi = std::min(b.size(), i + bound);
    cur[lo - 1] = lo == 1 && i <= bound ? i : over;
    size_t row_min = cur[lo - 1];
    for (size_t j = lo; j <= hi; ++j) {
      const size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub, over});
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > bound) return over;
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Up to kMaxSuggestions rows: titles containing the query (shortest first, as
// the closest), then the smallest edit distances within max_distance. Ties by row, so the message
// is deterministic.
std::vector<int32_t> suggest_titles(const model::Model& m, const std::string& q) {
  // Beyond about a third of the query's letters wrong, a "close" title is
  // noise (every short title is 4 edits from "zzzz"), so it is not offered.
  const size_t max_distance = std::min(kMaxEdits, std::max<size_t>(2, q.size() / 3));
  const bool compare = q.size() <= kMaxComparedLetters;
  std::vector<std::pair<size_t, int32_t>> contains, distance;
  for (size_t a = 0; a < m.anime_titles.size(); ++a) {
    const std::string t = lower(m.anime_titles[a]);
    if (t.empty()) continue;
    if (!q.empty() && t.find(q) != std::string::npos) {
      contains.emplace_back(t.size(), static_cast<int32_t>(a));
      continue;
    }
    if (!compare) continue;
    // Once five are found, only a closer title can still enter the list.
    const size_t bound = distance.size() >= kMaxSuggestions
                             ? std::min(max_distance, distance[kMaxSuggestions - 1].first)
                             : max_distance;
    const size_t d = bounded_edit_distance(q, t, bound);
    if (d > bound) continue;
    distance.emplace_back(d, static_cast<int32_t>(a));
    std::sort(distance.begin(), distance.end());
    if (distance.size() > kMaxSuggestions) distance.resize(kMaxSuggestions);
  }
  std::sort(contains.begin(), contains.end());
  std::vector<int32_t> out;
  for (const auto& c : contains) out.push_back(c.second);
  for (const auto& d : distance) out.push_back(d.second);
  if (out.size() > kMaxSuggestions) out.resize(kMaxSuggestions);
  return out;
}

// The query in quotes as an error message repeats it: a pasted megabyte is
// cut short.
std::string quoted(const std::string& query) {
  if (query.size() <= kMaxEchoedLetters) return fmt::format("'{}'", query);
  return fmt::format("'{}...' ({} bytes)", query.substr(0, kMaxEchoedLetters), query.size());
}

std::string list_anime(const model::Model& m, const std::vector<int32_t>& rows) {
  std::string out;
  for (int32_t a : rows) {
    out += fmt::format("\n  {}  {}", m.anime_ids[static_cast<size_t>(a)],
                       m.anime_titles[static_cast<size_t>(a)]);
  }
  return out;
}

// "users: the model has 3, the dataset 4; first difference at row 1: model id
// 20, dataset id 21", or "" when the lists are equal.
std::string id_difference(const char* what, const std::vector<int64_t>& model_ids,
                          const std::vector<int64_t>& dataset_ids) {
  if (model_ids == dataset_ids) return "";
  size_t n = std::min(model_ids.size(), dataset_ids.size());
  size_t i = 0;
  while (i < n && model_ids[i] == dataset_ids[i]) ++i;
  std::string where =
      i < n ? fmt::format("model id {}, dataset id {}", model_ids[i], dataset_ids[i])
      : i < model_ids.size() ? fmt::format("model id {}, dataset has no more", model_ids[i])
                             : fmt::format("dataset id {}, model has no more", dataset_ids[i]);
  return fmt::format("{}: the model has {}, the dataset {}; first difference at row {}: {}", what,
                     model_ids.size(), dataset_ids.size(), i, where);
}

}  // namespace

int32_t find_user(const model::Model& m, int64_t user_id) {
  int32_t u = row_of(m.user_ids, user_id);
  if (u < 0) {
    throw Error(fmt::format(
        "unknown user id {}: the model knows {} users, those of the dataset it was trained on; "
        "for a new user, give their ratings instead: --ratings \"ANIME:SCORE,...\" or "
        "--ratings-file FILE",
        user_id, m.n_users()));
  }
  return u;
}

int32_t find_anime(const model::Model& m, const std::string& query, std::string* note) {
  const std::string q = lower(query);
  std::vector<int32_t> matches;
  for (size_t a = 0; a < m.anime_titles.size(); ++a) {
    if (!m.anime_titles[a].empty() && m.anime_titles[a].size() == q.size() &&
        lower(m.anime_titles[a]) == q)
      matches.push_back(static_cast<int32_t>(a));
  }
  const std::optional<int64_t> id = parse_id(query);
  const int32_t by_id = id ? row_of(m.anime_ids, *id) : -1;
  if (by_id >= 0) {
    // "2010" is an anime id and another anime's title: the id wins (as it
    // always did), and the user is told what the title would have given.
    std::vector<int32_t> others;
    for (int32_t a : matches)
      if (a != by_id) others.push_back(a);
    if (!others.empty() && note != nullptr) {
      std::string titled;
      for (int32_t a : others)
        titled +=
            fmt::format("{}{}", titled.empty() ? "" : ", ", m.anime_ids[static_cast<size_t>(a)]);
      *note = fmt::format(
          "'{}' is the id of {} and also the title of anime {}: used the id (give {} for the "
          "title)",
          query, m.anime_titles[static_cast<size_t>(by_id)], titled, titled);
    }
    return by_id;
  }
  if (matches.size() == 1) return matches[0];
  if (matches.size() > 1) {
    throw Error(fmt::format("anime {} is ambiguous: {} anime have this title; give one by id:{}",
                            quoted(query), matches.size(), list_anime(m, matches)));
  }
  // A number that is no id gets no title suggestions: edit distances between
  // numbers and titles mean nothing.
  std::vector<int32_t> close = id ? std::vector<int32_t>{} : suggest_titles(m, q);
  std::string what = id ? "no anime with id or title" : "no anime titled";
  if (close.empty()) throw Error(fmt::format("{} {} in the model", what, quoted(query)));
  throw Error(fmt::format("{} {} in the model; did you mean:{}", what, quoted(query),
                          list_anime(m, close)));
}

void check_dataset_matches(const model::Model& m, const io::DatasetHeader& h,
                           const std::string& model_path, const std::string& dataset_path) {
  // The checksum settles it when the model records one (every trained model
  // does); the id comparison below still names what differs for models
  // without one.
  if (!m.dataset_sha256.empty()) {
    const std::string sha = sha256_file(dataset_path);
    if (sha != m.dataset_sha256) {
      throw IoError(fmt::format(
          "{} is not the dataset {} was trained on: the dataset's sha256 is {}, the model "
          "records {}; give the dataset.h5 that `animerec train --dataset` read for this model",
          dataset_path, model_path, sha, m.dataset_sha256));
    }
  }
  std::string users = id_difference("users", m.user_ids, h.user_ids);
  std::string anime = id_difference("anime", m.anime_ids, h.anime_ids);
  if (users.empty() && anime.empty()) return;
  std::string detail = users.empty() ? anime : anime.empty() ? users : users + "; " + anime;
  throw IoError(fmt::format(
      "{} does not belong to {}: its ids differ from the model's ({}); give the dataset the "
      "model was trained on",
      dataset_path, model_path, detail));
}

}  // namespace animerec::serve
