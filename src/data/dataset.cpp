#include "animerec/data/dataset.h"

#include <fmt/format.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <string_view>

#include "animerec/core/error.h"
#include "animerec/core/memory.h"

namespace animerec::data {

const char* status_name(Status s) {
  switch (s) {
    case Status::kUnknown:
      return "unknown";
    case Status::kWatching:
      return "watching";
    case Status::kCompleted:
      return "completed";
    case Status::kOnHold:
      return "on_hold";
    case Status::kDropped:
      return "dropped";
    case Status::kPlanToWatch:
      return "plan_to_watch";
    case Status::kWatchedUnrated:
      return "watched_unrated";
  }
  return "invalid";
}

const char* split_name(Split s) {
  switch (s) {
    case Split::kTrain:
      return "train";
    case Split::kValidation:
      return "validation";
    case Split::kTest:
      return "test";
  }
  return "invalid";
}

void RatingArrays::resize(size_t n) {
  resize_huge(user, n);
  resize_huge(anime, n);
  resize_huge(score, n);
  resize_huge(status, n);
  resize_huge(split, n);
}

namespace {

// Grows (or shrinks) a CSR attribute; new anime get no values.
void resize_multi_valued(MultiValued& m, size_t n_anime) {
  if (m.offsets.empty()) m.offsets.push_back(0);
  int64_t end = m.offsets.back();
  m.offsets.resize(n_anime + 1, end);
  m.values.resize(static_cast<size_t>(m.offsets.back()));
}

}  // namespace

void AnimeMeta::resize(size_t n_anime) {
  has_metadata.resize(n_anime, 0);
  title.resize(n_anime);
  type.resize(n_anime);
  source.resize(n_anime);
  age_rating.resize(n_anime);
  season.resize(n_anime);
  synopsis.resize(n_anime);
  episodes.resize(n_anime, -1);
  year.resize(n_anime, -1);
  duration_min.resize(n_anime, -1);
  members.resize(n_anime, -1);
  community_score.resize(n_anime, std::numeric_limits<float>::quiet_NaN());
  resize_multi_valued(genres, n_anime);
  resize_multi_valued(studios, n_anime);
}

namespace {

bool valid_status(uint8_t code) {
  switch (static_cast<Status>(code)) {
    case Status::kUnknown:
    case Status::kWatching:
    case Status::kCompleted:
    case Status::kOnHold:
    case Status::kDropped:
    case Status::kPlanToWatch:
    case Status::kWatchedUnrated:
      return true;
  }
  return false;
}

bool valid_split(uint8_t code) { return code <= static_cast<uint8_t>(Split::kTest); }

// Reports the first violated invariant as "<where>: field F: what".
class Checker {
 public:
  Checker(const Dataset& d, const std::string& where) : d_(d), where_(where) {}

  void run() {
    check_ids("user_ids", d_.user_ids);
    check_ids("anime_ids", d_.anime_ids);
    check_scale();
    check_lengths("by_user", d_.by_user, d_.n_ratings());
    check_lengths("by_anime", d_.by_anime, d_.n_ratings());
    check_offsets("user_offsets", d_.user_offsets, d_.n_users(), "n_users");
    check_offsets("anime_offsets", d_.anime_offsets, d_.n_anime(), "n_anime");
    check_rows(d_.by_user, "by_user", "user", "anime", d_.by_user.user, d_.by_user.anime,
               d_.user_offsets, d_.n_anime());
    check_rows(d_.by_anime, "by_anime", "anime", "user", d_.by_anime.anime, d_.by_anime.user,
               d_.anime_offsets, d_.n_users());
    check_same_rows();
    check_cold();
    check_meta();
  }

 private:
  [[noreturn]] void fail(std::string_view field, const std::string& what) const {
    throw IoError(fmt::format("{}: field {}: {}", where_, field, what));
  }

  void check_size(std::string_view field, size_t size, size_t expected,
                  std::string_view expected_name) const {
    if (size != expected) {
      fail(field, fmt::format("has {} entries, expected {} ({})", size, expected, expected_name));
    }
  }

  void check_ids(std::string_view field, const std::vector<int64_t>& ids) const {
    for (size_t i = 1; i < ids.size(); ++i) {
      if (ids[i] <= ids[i - 1]) {
        fail(field, fmt::format("not strictly ascending at index {} ({} after {})", i, ids[i],
                                ids[i - 1]));
      }
    }
  }

  void check_scale() const {
    // Scored rows are those with score > 0, so the scale must lie above 0.
    float lo = d_.score_min, hi = d_.score_max;
    if (!(std::isfinite(lo) && std::isfinite(hi) && lo > 0 && lo < hi)) {
      fail("score_min/score_max",
           fmt::format("scale [{}, {}] is invalid (need 0 < score_min < score_max)", lo, hi));
    }
  }

  void check_lengths(std::string_view name, const RatingArrays& r, size_t n) const {
    check_size(fmt::format("{}.user", name), r.user.size(), n, "rows in by_user.user");
    check_size(fmt::format("{}.anime", name), r.anime.size(), n, "rows in by_user.user");
    check_size(fmt::format("{}.score", name), r.score.size(), n, "rows in by_user.user");
    check_size(fmt::format("{}.status", name), r.status.size(), n, "rows in by_user.user");
    check_size(fmt::format("{}.split", name), r.split.size(), n, "rows in by_user.user");
  }

  void check_offsets(std::string_view field, const std::vector<int64_t>& offsets, size_t n_keys,
                     std::string_view keys) const {
    check_size(field, offsets.size(), n_keys + 1, fmt::format("{} + 1", keys));
    if (offsets.front() != 0) fail(field, fmt::format("starts at {}, not 0", offsets.front()));
    for (size_t i = 1; i < offsets.size(); ++i) {
      if (offsets[i] < offsets[i - 1]) {
        fail(field,
             fmt::format("decreases at index {} ({} after {})", i, offsets[i], offsets[i - 1]));
      }
    }
    auto n = static_cast<int64_t>(d_.n_ratings());
    if (offsets.back() != n) {
      fail(field, fmt::format("ends at {}, expected n_ratings = {}", offsets.back(), n));
    }
  }

  // One orientation: rows of key k are exactly [offsets[k], offsets[k+1]),
  // and within them the other index is in range and strictly ascending
  // (sorted, no duplicate pair). Also checks the per-row codes.
  void check_rows(const RatingArrays& r, std::string_view name, std::string_view key_name,
                  std::string_view other_name, const std::vector<int32_t>& key,
                  const std::vector<int32_t>& other, const std::vector<int64_t>& offsets,
                  size_t n_other) const {
    std::string key_field = fmt::format("{}.{}", name, key_name);
    std::string other_field = fmt::format("{}.{}", name, other_name);
    for (size_t k = 0; k + 1 < offsets.size(); ++k) {
      for (auto row = offsets[k]; row < offsets[k + 1]; ++row) {
        auto i = static_cast<size_t>(row);
        if (key[i] != static_cast<int32_t>(k)) {
          fail(key_field, fmt::format("row {} has {} {}, but the offsets put it in {} {}", row,
                                      key_name, key[i], key_name, k));
        }
        if (other[i] < 0 || static_cast<size_t>(other[i]) >= n_other) {
          fail(other_field, fmt::format("row {} has {} {}, outside [0, {})", row, other_name,
                                        other[i], n_other));
        }
        if (row > offsets[k] && other[i] <= other[i - 1]) {
          fail(other_field,
               other[i] == other[i - 1]
                   ? fmt::format("row {} repeats the pair ({} {}, {} {})", row, key_name, k,
                                 other_name, other[i])
                   : fmt::format("row {} is out of order: {} {} has {} {} after {}", row, key_name,
                                 k, other_name, other[i], other[i - 1]));
        }
      }
    }
    check_codes(r, name);
  }

  void check_codes(const RatingArrays& r, std::string_view name) const {
    for (size_t i = 0; i < r.size(); ++i) {
      if (!valid_status(r.status[i])) {
        fail(fmt::format("{}.status", name),
             fmt::format("row {} has unknown status code {}", i, r.status[i]));
      }
      if (!valid_split(r.split[i])) {
        fail(fmt::format("{}.split", name),
             fmt::format("row {} has unknown split code {}", i, r.split[i]));
      }
      float s = r.score[i];
      if (s != 0 && !(s >= d_.score_min && s <= d_.score_max)) {
        fail(fmt::format("{}.score", name),
             fmt::format("row {} has score {}, neither 0 (unscored) nor within [{}, {}]", i, s,
                         d_.score_min, d_.score_max));
      }
    }
  }

  static uint64_t mix(uint64_t x) {  // splitmix64 finalizer
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
  }

  // An order-independent fingerprint of the rows (sum and xor of per-row
  // hashes): both orientations must hold the same multiset of rows.
  static std::pair<uint64_t, uint64_t> fingerprint(const RatingArrays& r) {
    uint64_t sum = 0, x = 0;
    for (size_t i = 0; i < r.size(); ++i) {
      uint64_t pair = (static_cast<uint64_t>(static_cast<uint32_t>(r.user[i])) << 32) |
                      static_cast<uint32_t>(r.anime[i]);
      // + 0.0f folds -0 into 0 so the same score always hashes the same.
      uint64_t rest = std::bit_cast<uint32_t>(r.score[i] + 0.0f) |
                      (static_cast<uint64_t>(r.status[i]) << 32) |
                      (static_cast<uint64_t>(r.split[i]) << 40);
      uint64_t h = mix(mix(pair) ^ rest);
      sum += h;
      x ^= mix(h);
    }
    return {sum, x};
  }

  void check_same_rows() const {
    if (fingerprint(d_.by_user) != fingerprint(d_.by_anime)) {
      fail("by_anime", "does not hold the same rows (score, status, split) as by_user");
    }
  }

  void check_cold() const {
    check_size("cold_anime", d_.cold_anime.size(), d_.n_anime(), "n_anime");
    for (size_t a = 0; a < d_.n_anime(); ++a) {
      if (d_.cold_anime[a] > 1) {
        fail("cold_anime",
             fmt::format("anime {} has value {}, expected 0 or 1", a, d_.cold_anime[a]));
      }
      if (d_.cold_anime[a] == 0) continue;
      for (auto row = d_.anime_offsets[a]; row < d_.anime_offsets[a + 1]; ++row) {
        if (d_.by_anime.split[row] != static_cast<uint8_t>(Split::kTest)) {
          fail("cold_anime", fmt::format("anime {} is cold but by_anime row {} is in {}, not test",
                                         a, row, split_name(Split(d_.by_anime.split[row]))));
        }
      }
    }
  }

  void check_multi_valued(std::string_view name, const MultiValued& m) const {
    std::string offsets_field = fmt::format("anime.{}.offsets", name);
    check_size(offsets_field, m.offsets.size(), d_.n_anime() + 1, "n_anime + 1");
    if (m.offsets.front() != 0) {
      fail(offsets_field, fmt::format("starts at {}, not 0", m.offsets.front()));
    }
    for (size_t i = 1; i < m.offsets.size(); ++i) {
      if (m.offsets[i] < m.offsets[i - 1]) {
        fail(offsets_field,
             fmt::format("decreases at index {} ({} after {})", i, m.offsets[i], m.offsets[i - 1]));
      }
    }
    if (m.offsets.back() != static_cast<int64_t>(m.values.size())) {
      fail(offsets_field, fmt::format("ends at {}, but anime.{}.values has {} entries",
                                      m.offsets.back(), name, m.values.size()));
    }
    for (size_t i = 0; i < m.values.size(); ++i) {
      if (m.values[i] < 0 || static_cast<size_t>(m.values[i]) >= m.vocab.size()) {
        fail(fmt::format("anime.{}.values", name),
             fmt::format("entry {} is {}, outside the vocabulary [0, {})", i, m.values[i],
                         m.vocab.size()));
      }
    }
  }

  void check_meta() const {
    const AnimeMeta& m = d_.anime;
    size_t n = d_.n_anime();
    check_size("anime.has_metadata", m.has_metadata.size(), n, "n_anime");
    check_size("anime.title", m.title.size(), n, "n_anime");
    check_size("anime.type", m.type.size(), n, "n_anime");
    check_size("anime.source", m.source.size(), n, "n_anime");
    check_size("anime.age_rating", m.age_rating.size(), n, "n_anime");
    check_size("anime.season", m.season.size(), n, "n_anime");
    check_size("anime.synopsis", m.synopsis.size(), n, "n_anime");
    check_size("anime.episodes", m.episodes.size(), n, "n_anime");
    check_size("anime.year", m.year.size(), n, "n_anime");
    check_size("anime.duration_min", m.duration_min.size(), n, "n_anime");
    check_size("anime.members", m.members.size(), n, "n_anime");
    check_size("anime.community_score", m.community_score.size(), n, "n_anime");
    for (size_t a = 0; a < n; ++a) {
      if (m.has_metadata[a] > 1) {
        fail("anime.has_metadata",
             fmt::format("anime {} has value {}, expected 0 or 1", a, m.has_metadata[a]));
      }
    }
    check_multi_valued("genres", m.genres);
    check_multi_valued("studios", m.studios);
  }

  const Dataset& d_;
  const std::string& where_;
};

}  // namespace

void validate(const Dataset& d, const std::string& where) { Checker(d, where).run(); }

void build_anime_orientation(Dataset& d) {
  const RatingArrays& src = d.by_user;
  size_t n_anime = d.n_anime();
  std::vector<int64_t> offsets(n_anime + 1, 0);
  for (size_t i = 0; i < src.size(); ++i) {
    int32_t a = src.anime[i];
    if (a < 0 || static_cast<size_t>(a) >= n_anime) {
      throw IoError(
          fmt::format("build_anime_orientation: field by_user.anime: row {} has anime {}, "
                      "outside [0, {})",
                      i, a, n_anime));
    }
    ++offsets[a + 1];
  }
  for (size_t a = 0; a < n_anime; ++a) offsets[a + 1] += offsets[a];

  // Stable placement in by_user order keeps each anime's rows sorted by user.
  // The destinations are computed once; the five columns are then scattered
  // independently (in parallel: each writes only its own array).
  std::vector<int64_t> next(offsets.begin(), offsets.end() - 1);
  std::vector<uint32_t> dest32;
  std::vector<int64_t> dest64;
  bool narrow = src.size() <= UINT32_MAX;
  if (narrow) {
    resize_huge(dest32, src.size());
  } else {
    resize_huge(dest64, src.size());
  }
  for (size_t i = 0; i < src.size(); ++i) {
    int64_t p = next[src.anime[i]]++;
    if (narrow) {
      dest32[i] = static_cast<uint32_t>(p);
    } else {
      dest64[i] = p;
    }
  }
  auto scatter = [&](const auto& from, auto& to) {
    resize_huge(to, from.size());
    for (size_t i = 0; i < from.size(); ++i) {
      to[narrow ? dest32[i] : static_cast<size_t>(dest64[i])] = from[i];
    }
  };
  RatingArrays dst;
#pragma omp parallel for schedule(static, 1)
  for (int column = 0; column < 5; ++column) {
    switch (column) {
      case 0:
        scatter(src.user, dst.user);
        break;
      case 1:
        scatter(src.anime, dst.anime);
        break;
      case 2:
        scatter(src.score, dst.score);
        break;
      case 3:
        scatter(src.status, dst.status);
        break;
      default:
        scatter(src.split, dst.split);
        break;
    }
  }
  d.by_anime = std::move(dst);
  d.anime_offsets = std::move(offsets);
}

}  // namespace animerec::data
