#include "animerec/train/hybrid.h"

#include <fmt/format.h>

#include <cmath>
#include <span>

#include "animerec/als/single_threaded_eigen.h"
#include "animerec/core/error.h"

namespace animerec::train {

namespace {

using als::SingleThreadedEigen;

// Rounds one term to fixed point after checking the overflow bound.
int64_t to_fixed(double term, double limit, const char* what) {
  if (!(std::fabs(term) <= limit)) {
    throw Error(
        fmt::format("hybrid prior: a term of {} is {}, beyond the fixed-point bound {:.6g} "
                    "(2^63 / (2^32 x anime)); lower the content group weights or raise --lambda",
                    what, term, limit));
  }
  // Half away from zero, like llround, but inline: this runs once per content
  // entry and factor column every iteration, where a libm call showed in profiles.
  const double scaled = term * kContentFixedScale;
  return static_cast<int64_t>(scaled + (scaled >= 0 ? 0.5 : -0.5));
}

}  // namespace

// "Has training ratings" for every anime: each rank knows its own block.
std::vector<uint8_t> gather_warm_flags(const als::RatingBlock& block,
                                       const std::vector<int64_t>& bounds, dist::Comm& comm) {
  std::vector<int64_t> mine(static_cast<size_t>(block.rows()));
  for (int32_t r = 0; r < block.rows(); ++r) {
    mine[static_cast<size_t>(r)] = block.offsets[r + 1] > block.offsets[r] ? 1 : 0;
  }
  std::vector<int64_t> all(static_cast<size_t>(bounds.back() - bounds.front()));
  comm.allgatherv(std::span<const int64_t>(mine), all, dist::block_counts(bounds, 1));
  return {all.begin(), all.end()};
}

double max_fixed_term(int64_t n_anime) {
  return 9223372036854775807.0 / kContentFixedScale / static_cast<double>(n_anime + 1);
}

HybridPrior::HybridPrior(const data::AnimeMeta& meta, const als::RatingBlock& anime_block,
                         const std::vector<int64_t>& anime_bounds,
                         const content::ContentOptions& options, double lambda, double ridge,
                         int factors, dist::Comm& comm)
    : lambda_(lambda), ridge_(ridge), k_(factors), n_anime_(anime_bounds.back()) {
  warm_ = gather_warm_flags(anime_block, anime_bounds, comm);
  vocab_ = content::build_vocabulary(meta, warm_, options);
  build_system(meta, anime_block, options, comm);
}

HybridPrior::HybridPrior(const data::AnimeMeta& meta, const als::RatingBlock& anime_block,
                         const std::vector<int64_t>& anime_bounds,
                         const content::Vocabulary& vocabulary,
                         const content::ContentOptions& options, double lambda, double ridge,
                         int factors, dist::Comm& comm)
    : lambda_(lambda), ridge_(ridge), k_(factors), n_anime_(anime_bounds.back()) {
  warm_ = gather_warm_flags(anime_block, anime_bounds, comm);
  vocab_ = vocabulary;
  build_system(meta, anime_block, options, comm);
}

void HybridPrior::build_system(const data::AnimeMeta& meta, const als::RatingBlock& anime_block,
                               const content::ContentOptions& options, dist::Comm& comm) {
  rows_ = content::build_content(meta, vocab_, anime_block.first_row,
                                 anime_block.first_row + anime_block.rows(), options);

  // X^T X over this rank's warm rows, lower triangle packed row by row.
  const auto f = static_cast<int64_t>(vocab_.size());
  std::vector<int64_t> packed(static_cast<size_t>(f * (f + 1) / 2), 0);
  const double limit = max_fixed_term(n_anime_);
  for (int32_t r = 0; r < rows_.n_rows(); ++r) {
    if (!warm_[static_cast<size_t>(rows_.first_row + r)]) continue;
    for (int64_t i = rows_.offsets[r]; i < rows_.offsets[r + 1]; ++i) {
      const int64_t a = rows_.cols[i];
      for (int64_t j = rows_.offsets[r]; j <= i; ++j) {
        const double term = double{rows_.values[i]} * double{rows_.values[j]};
        packed[static_cast<size_t>(a * (a + 1) / 2 + rows_.cols[j])] +=
            to_fixed(term, limit, "X^T X");
      }
    }
  }
  comm.allreduce_sum(packed);

  Eigen::MatrixXd system(f, f);
  for (int64_t a = 0; a < f; ++a) {
    for (int64_t b = 0; b <= a; ++b) {
      const double v = static_cast<double>(packed[static_cast<size_t>(a * (a + 1) / 2 + b)]) /
                       kContentFixedScale;
      system(a, b) = v;
      system(b, a) = v;
    }
    system(a, a) += ridge_;
  }
  SingleThreadedEigen one_thread;
  llt_.compute(system);
  use_ldlt_ = llt_.info() != Eigen::Success;
  if (use_ldlt_) ldlt_.compute(system);
}

Eigen::MatrixXd HybridPrior::refit(const als::SideState& anime, dist::Comm& comm) const {
  const auto f = static_cast<int64_t>(vocab_.size());
  const int64_t cols = k_ + 1;
  std::vector<int64_t> sums(static_cast<size_t>(f * cols), 0);
  const double limit = max_fixed_term(n_anime_);
  const bool has_bias = !anime.bias.empty();
  for (int32_t r = 0; r < rows_.n_rows(); ++r) {
    const int64_t row = int64_t{rows_.first_row} + r;
    if (!warm_[static_cast<size_t>(row)]) continue;
    const float* y = anime.factors.data() + row * k_;
    const double c = has_bias ? double{anime.bias[static_cast<size_t>(row)]} : 0.0;
    for (int64_t i = rows_.offsets[r]; i < rows_.offsets[r + 1]; ++i) {
      const double x = rows_.values[i];
      int64_t* out = sums.data() + int64_t{rows_.cols[i]} * cols;
      for (int c2 = 0; c2 < k_; ++c2) out[c2] += to_fixed(x * double{y[c2]}, limit, "X^T Y");
      out[k_] += to_fixed(x * c, limit, "X^T c");
    }
  }
  comm.allreduce_sum(sums);

  Eigen::MatrixXd rhs(f, cols);
  for (int64_t a = 0; a < f; ++a) {
    for (int64_t c = 0; c < cols; ++c) {
      rhs(a, c) = static_cast<double>(sums[static_cast<size_t>(a * cols + c)]) / kContentFixedScale;
    }
  }
  SingleThreadedEigen one_thread;
  if (f == 0) return rhs;
  return use_ldlt_ ? Eigen::MatrixXd(ldlt_.solve(rhs)) : Eigen::MatrixXd(llt_.solve(rhs));
}

// (W^T x, w_b . x) of a local row, summed in column order.
Eigen::VectorXd HybridPrior::row_prediction(const Eigen::MatrixXd& w, int32_t local_row) const {
  Eigen::VectorXd out = Eigen::VectorXd::Zero(k_ + 1);
  for (int64_t i = rows_.offsets[local_row]; i < rows_.offsets[local_row + 1]; ++i) {
    out += double{rows_.values[i]} * w.row(rows_.cols[i]).transpose();
  }
  return out;
}

als::BlockPrior HybridPrior::block_prior(const Eigen::MatrixXd& w) const {
  als::BlockPrior prior;
  prior.lambda = lambda_;
  prior.means.resize(rows_.n_rows(), k_ + 1);
  for (int32_t r = 0; r < rows_.n_rows(); ++r) {
    prior.means.row(r) = row_prediction(w, r).cast<float>().transpose();
  }
  return prior;
}

void HybridPrior::set_cold_rows(const Eigen::MatrixXd& w, bool explicit_feedback,
                                als::SideState& anime) const {
  for (int32_t r = 0; r < rows_.n_rows(); ++r) {
    const int64_t row = int64_t{rows_.first_row} + r;
    if (warm_[static_cast<size_t>(row)]) continue;
    const Eigen::VectorXf p = row_prediction(w, r).cast<float>();
    anime.factors.row(row) = p.head(k_).transpose();
    if (!anime.bias.empty())
      anime.bias[static_cast<size_t>(row)] = explicit_feedback ? p[k_] : 0.0f;
  }
}

}  // namespace animerec::train
