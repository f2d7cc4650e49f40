#include "animerec/train/popularity.h"

#include <fmt/format.h>

#include <cmath>

#include "animerec/core/error.h"

namespace animerec::train {

LogMembers log_members_of_warm(const std::vector<int64_t>& members,
                               const std::vector<uint8_t>& warm) {
  double n = 0, sum = 0, sq = 0;
  for (size_t i = 0; i < warm.size(); ++i) {
    if (!warm[i] || members[i] < 0) continue;
    const double l = std::log1p(static_cast<double>(members[i]));
    n += 1;
    sum += l;
    sq += l * l;
  }
  LogMembers out;
  out.anime = static_cast<int64_t>(n);
  out.mean = n > 0 ? sum / n : 0;
  const double var = n > 0 ? sq / n - out.mean * out.mean : 0;
  out.sd = var > 0 ? std::sqrt(var) : 0;
  return out;
}

model::PopularityTerm fit_popularity_term(const std::vector<int64_t>& members,
                                          const std::vector<uint8_t>& warm,
                                          const als::FactorMatrix& anime, double weight) {
  const LogMembers lm = log_members_of_warm(members, warm);
  if (!(lm.sd > 0)) {
    throw ConfigError(
        fmt::format("--ranking-popularity-weight {}: the popularity term needs member counts "
                    "that differ among the anime with training interactions ({} have one)",
                    weight, lm.anime));
  }
  model::PopularityTerm t;
  t.weight = weight;
  t.log_mean = lm.mean;
  t.log_sd = lm.sd;
  // d = sum z_i y_i / sum z_i^2: the least-squares slope of each factor on z.
  const auto k = anime.cols();
  Eigen::VectorXd zy = Eigen::VectorXd::Zero(k);
  double zz = 0;
  for (size_t i = 0; i < warm.size(); ++i) {
    if (!warm[i] || members[i] < 0) continue;
    const double z = t.z(members[i]);
    zz += z * z;
    for (Eigen::Index c = 0; c < k; ++c) {
      zy[c] += z * double{anime(static_cast<Eigen::Index>(i), c)};
    }
  }
  t.direction = (zy / zz).cast<float>();
  return t;
}

void add_popularity_to_cold(const model::PopularityTerm& term, const std::vector<int64_t>& members,
                            const std::vector<uint8_t>& warm, als::FactorMatrix& anime) {
  for (size_t i = 0; i < warm.size(); ++i) {
    if (warm[i]) continue;
    anime.row(static_cast<Eigen::Index>(i)) += term.cold_offset(members[i]).transpose();
  }
}

}  // namespace animerec::train
