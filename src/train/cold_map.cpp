#include "animerec/train/cold_map.h"

#include <Eigen/Cholesky>
#include <cmath>
#include <span>

#include "animerec/als/single_threaded_eigen.h"
#include "animerec/train/popularity.h"

namespace animerec::train {

namespace {

// Mean and standard deviation of log(1 + members) over the warm anime with a
// known count, into map.log_mean / log_sd. False when the counts do not differ
// (or none is known): then sd is 1 and every warm anime has z = 0, so the z
// rows of the map fit to 0 and the map is content alone.
bool fit_log_members(const std::vector<int64_t>& members, const std::vector<uint8_t>& warm,
                     model::ColdMap& map) {
  const LogMembers lm = log_members_of_warm(members, warm);
  map.log_mean = lm.mean;
  map.log_sd = lm.sd > 0 ? lm.sd : 1.0;
  return lm.sd > 0;
}

std::span<const int32_t> row_cols(const content::ContentMatrix& c, size_t i) {
  return {c.cols.data() + c.offsets[i], static_cast<size_t>(c.offsets[i + 1] - c.offsets[i])};
}

std::span<const float> row_values(const content::ContentMatrix& c, size_t i) {
  return {c.values.data() + c.offsets[i], static_cast<size_t>(c.offsets[i + 1] - c.offsets[i])};
}

}  // namespace

model::ColdMap fit_cold_map(const content::ContentMatrix& content,
                            const std::vector<int64_t>& members, const std::vector<uint8_t>& warm,
                            const als::FactorMatrix& anime, const ColdMapOptions& options,
                            bool* members_used) {
  model::ColdMap map;
  map.ridge = options.ridge;
  map.popularity_exponent = options.popularity_exponent;
  map.blend = options.blend;
  const bool used = fit_log_members(members, warm, map);
  if (members_used) *members_used = used;

  const Eigen::Index f = content.n_features;
  const Eigen::Index dim = f + 3;  // content features, z, z^2, 1
  const Eigen::Index k = anime.cols();
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(dim, dim);
  Eigen::MatrixXd rhs = Eigen::MatrixXd::Zero(dim, k);
  std::vector<Eigen::Index> idx;
  std::vector<double> val;
  for (size_t i = 0; i < warm.size(); ++i) {
    if (!warm[i]) continue;
    const double z = map.z(members[i]);
    const double weight = std::exp(options.popularity_exponent * z);
    // The anime's feature vector as (index, value) pairs in ascending index.
    idx.clear();
    val.clear();
    const auto cols = row_cols(content, i);
    const auto values = row_values(content, i);
    for (size_t e = 0; e < cols.size(); ++e) {
      idx.push_back(cols[e]);
      val.push_back(double{values[e]});
    }
    idx.insert(idx.end(), {f, f + 1, f + 2});
    val.insert(val.end(), {z, z * z, 1.0});
    const auto y = anime.row(static_cast<Eigen::Index>(i));
    for (size_t a = 0; a < idx.size(); ++a) {
      const double wa = weight * val[a];
      for (size_t b = 0; b <= a; ++b) gram(idx[a], idx[b]) += wa * val[b];
      for (Eigen::Index c = 0; c < k; ++c) rhs(idx[a], c) += wa * double{y(c)};
    }
  }
  for (Eigen::Index a = 0; a < dim; ++a) {
    for (Eigen::Index b = 0; b < a; ++b) gram(b, a) = gram(a, b);
    gram(a, a) += options.ridge;
  }
  als::SingleThreadedEigen one_thread;
  const Eigen::LLT<Eigen::MatrixXd> llt(gram);
  map.w = llt.solve(rhs).cast<float>();
  return map;
}

void set_cold_factors(const model::ColdMap& map, const content::ContentMatrix& content,
                      const std::vector<int64_t>& members, const std::vector<uint8_t>& warm,
                      als::FactorMatrix& anime) {
  for (size_t i = 0; i < warm.size(); ++i) {
    if (warm[i]) continue;
    anime.row(static_cast<Eigen::Index>(i)) =
        map.factors(row_cols(content, i), row_values(content, i), members[i]).transpose();
  }
}

}  // namespace animerec::train
