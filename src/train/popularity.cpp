#include "animerec/train/popularity.h"

#include <fmt/format.h>

#include <cmath>

#include "animerec/core/error.h"

namespace animerec::train {

model::PopularityTerm fit_popularity_term(const std::vector<int64_t>& members,
                                          const std::vector<uint8_t>& warm,
                                          const als::FactorMatrix& anime, double weight) {
  // Mean and standard deviation of log(1 + members) over the warm anime.
  double n = 0, sum = 0, sq = 0;
  for (size_t i = 0; i < warm.size(); ++i) {
    if (!warm[i] || members[i] < 0) continue;
    const double l = std::log1p(static_cast<double>(members[i]));
    n += 1;
    sum += l;
    sq += l * l;
  }
  const double mean = n > 0 ? sum / n : 0;
  const double var = n > 0 ? sq / n - mean * mean : 0;
  if (!(var > 0)) {
    throw ConfigError(
        fmt::format("--ranking-popularity-weight {}: the popularity term needs member counts "
                    "that differ among the anime with training interactions ({} have one)",
                    weight, static_cast<int64_t>(n)));
  }
  model::PopularityTerm t;
  t.weight = weight;
  t.log_mean = mean;
  t.log_sd = std::sqrt(var);
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
