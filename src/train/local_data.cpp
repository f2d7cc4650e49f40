#include "animerec/train/local_data.h"

#include <fmt/format.h>

#include <cmath>

#include "animerec/core/error.h"
#include "animerec/data/dataset.h"

namespace animerec::train {

namespace {

using data::RatingArrays;
using data::Split;
using data::Status;

bool known_status(uint8_t s) { return s <= 4 || s == 6 || s == 7; }

// A slice is checked before use: a rank must reject a damaged file in the part
// only it reads, with a message that says where.
void check_slice(const std::string& path, io::Orientation o, const RatingArrays& r,
                 int64_t first_row, const std::vector<int64_t>& key_offsets, int64_t key_begin,
                 size_t n_other, const io::DatasetHeader& h) {
  const std::vector<int32_t>& other = o == io::Orientation::kByUser ? r.anime : r.user;
  auto fail = [&](size_t i, const std::string& what) {
    throw IoError(fmt::format("{}: /ratings/{} row {}: {}", path, io::orientation_name(o),
                              first_row + static_cast<int64_t>(i), what));
  };
  int64_t key = key_begin;
  for (size_t i = 0; i < r.size(); ++i) {
    int64_t row = first_row + static_cast<int64_t>(i);
    while (key_offsets[static_cast<size_t>(key) + 1] <= row) ++key;
    if (other[i] < 0 || static_cast<size_t>(other[i]) >= n_other) {
      fail(i, fmt::format("index {} outside [0, {})", other[i], n_other));
    }
    if (row > key_offsets[static_cast<size_t>(key)] && other[i] <= other[i - 1]) {
      fail(i, fmt::format("index {} not above the previous {} of the same row", other[i],
                          other[i - 1]));
    }
    float s = r.score[i];
    if (!std::isfinite(s) || (s != 0 && (s < h.score_min || s > h.score_max))) {
      fail(i, fmt::format("score {} outside the scale [{}, {}]", s, h.score_min, h.score_max));
    }
    if (!known_status(r.status[i])) fail(i, fmt::format("unknown status code {}", r.status[i]));
    if (r.split[i] > 2) fail(i, fmt::format("unknown split code {}", r.split[i]));
  }
}

// The entry row i of a slice gives under `rule`: its value, or 0 when it is
// not a training entry.
float entry_value(const RatingArrays& r, size_t i, const EntryRule& rule) {
  if (r.split[i] != static_cast<uint8_t>(Split::kTrain)) return 0;
  if (rule.feedback == als::Feedback::kExplicit) return r.score[i];
  return static_cast<float>(model::implicit_weight(rule.weights, r.score[i], r.status[i]));
}

// CSR of the training entries of rows [block.begin, block.end) from a slice
// sorted by that key. The entries are counted first so the arrays are
// allocated once at their size: a growing vector would hold its old and new
// buffers at once, up to 1.5x the block, at the moment memory peaks (the slice
// is still held); the memory check (core/resources.h) counts the block once.
als::RatingBlock training_block(const RatingArrays& r, const dist::Block& block,
                                const std::vector<int64_t>& key_offsets, io::Orientation o,
                                const EntryRule& rule) {
  const std::vector<int32_t>& other = o == io::Orientation::kByUser ? r.anime : r.user;
  const int64_t base = key_offsets[static_cast<size_t>(block.begin)];
  const int64_t end = key_offsets[static_cast<size_t>(block.end)];
  size_t entries = 0;
  for (int64_t row = base; row < end; ++row) {
    entries += entry_value(r, static_cast<size_t>(row - base), rule) > 0;
  }
  als::RatingBlock b;
  b.first_row = static_cast<int32_t>(block.begin);
  b.cols.reserve(entries);
  b.values.reserve(entries);
  b.offsets.reserve(static_cast<size_t>(block.size()) + 1);
  b.offsets.assign(1, 0);
  for (int64_t key = block.begin; key < block.end; ++key) {
    for (int64_t row = key_offsets[static_cast<size_t>(key)];
         row < key_offsets[static_cast<size_t>(key) + 1]; ++row) {
      auto i = static_cast<size_t>(row - base);
      const float value = entry_value(r, i, rule);
      if (value <= 0) continue;
      b.cols.push_back(other[i]);
      b.values.push_back(value);
    }
    b.offsets.push_back(static_cast<int64_t>(b.cols.size()));
  }
  return b;
}

RatingArrays read_checked(const std::string& path, io::Orientation o,
                          const std::vector<int64_t>& offsets, const dist::Block& block,
                          size_t n_other, const io::DatasetHeader& h) {
  int64_t begin = offsets[static_cast<size_t>(block.begin)];
  int64_t end = offsets[static_cast<size_t>(block.end)];
  RatingArrays r = io::read_rating_slice(path, o, begin, end);
  check_slice(path, o, r, begin, offsets, block.begin, n_other, h);
  return r;
}

}  // namespace

LocalData read_local_data(const std::string& dataset_path, const io::DatasetHeader& header,
                          const dist::Block& users, const dist::Block& anime,
                          const std::vector<EntryRule>& rules) {
  LocalData local;
  local.users = users;
  local.anime = anime;
  local.fits.resize(rules.size());
  {
    RatingArrays r = read_checked(dataset_path, io::Orientation::kByUser, header.user_offsets,
                                  users, header.n_anime(), header);
    for (size_t f = 0; f < rules.size(); ++f) {
      local.fits[f].user_block =
          training_block(r, users, header.user_offsets, io::Orientation::kByUser, rules[f]);
    }
    for (size_t i = 0; i < r.size(); ++i) {
      if (r.split[i] == static_cast<uint8_t>(Split::kTrain) && r.score[i] > 0) {
        local.train_score_sum_fixed += std::llround(static_cast<double>(r.score[i]) * kScoreScale);
        ++local.train_scored;
      }
      if (r.split[i] == static_cast<uint8_t>(Split::kValidation)) {
        local.validation.row.push_back(r.user[i]);
        local.validation.col.push_back(r.anime[i]);
        local.validation.score.push_back(r.score[i]);
      }
    }
  }
  RatingArrays r = read_checked(dataset_path, io::Orientation::kByAnime, header.anime_offsets,
                                anime, header.n_users(), header);
  for (size_t f = 0; f < rules.size(); ++f) {
    local.fits[f].anime_block =
        training_block(r, anime, header.anime_offsets, io::Orientation::kByAnime, rules[f]);
  }
  return local;
}

}  // namespace animerec::train
