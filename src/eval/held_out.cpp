#include "animerec/eval/held_out.h"

#include <algorithm>

namespace animerec::eval {
namespace {

// The one rule: a held-out row of the split, and with explicit feedback a
// score at or above the relevance threshold.
bool is_relevant_row(const data::RatingArrays& r, size_t row, uint8_t held, bool explicit_feedback,
                     double relevance) {
  return r.split[row] == held && (!explicit_feedback || r.score[row] >= relevance);
}

}  // namespace

int64_t mark_user_anime(const data::Dataset& d, size_t u, data::Split split, bool explicit_feedback,
                        double relevance, std::vector<uint8_t>& excluded,
                        std::vector<uint8_t>& relevant) {
  std::fill(excluded.begin(), excluded.end(), 0);
  std::fill(relevant.begin(), relevant.end(), 0);
  const auto& r = d.by_user;
  const auto train = static_cast<uint8_t>(data::Split::kTrain);
  const auto held = static_cast<uint8_t>(split);
  int64_t n_relevant = 0;
  for (int64_t i = d.user_offsets[u]; i < d.user_offsets[u + 1]; ++i) {
    const auto row = static_cast<size_t>(i);
    const auto a = static_cast<size_t>(r.anime[row]);
    if (r.split[row] == train) {
      excluded[a] = 1;
    } else if (is_relevant_row(r, row, held, explicit_feedback, relevance)) {
      relevant[a] = 1;
      ++n_relevant;
    }
  }
  return n_relevant;
}

bool has_relevant_row(const data::Dataset& d, size_t u, data::Split split, bool explicit_feedback,
                      double relevance) {
  const auto& r = d.by_user;
  const auto held = static_cast<uint8_t>(split);
  for (int64_t i = d.user_offsets[u]; i < d.user_offsets[u + 1]; ++i) {
    const auto row = static_cast<size_t>(i);
    if (is_relevant_row(r, row, held, explicit_feedback, relevance)) return true;
  }
  return false;
}

std::vector<int32_t> relevant_users(const data::Dataset& d, data::Split split,
                                    bool explicit_feedback, double relevance) {
  std::vector<int32_t> users;
  for (size_t u = 0; u < d.n_users(); ++u) {
    if (has_relevant_row(d, u, split, explicit_feedback, relevance)) {
      users.push_back(static_cast<int32_t>(u));
    }
  }
  return users;
}

}  // namespace animerec::eval
