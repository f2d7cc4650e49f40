#include "animerec/eval/held_out.h"

#include <algorithm>

namespace animerec::eval {

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
    } else if (r.split[row] == held && (!explicit_feedback || r.score[row] >= relevance)) {
      relevant[a] = 1;
      ++n_relevant;
    }
  }
  return n_relevant;
}

}  // namespace animerec::eval
