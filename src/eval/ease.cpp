#include "animerec/eval/ease.h"

#include <fmt/format.h>

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <algorithm>
#include <stdexcept>

#include "animerec/als/single_threaded_eigen.h"
#include "animerec/eval/held_out.h"
#include "animerec/eval/metrics.h"
#include "animerec/serve/batch.h"
#include "animerec/serve/recommend.h"
#include "animerec/train/metrics.h"

namespace animerec::eval {
namespace {

// L^-1 of a lower-triangular L, in place of the identity in `inv`: column
// block [c, c + w) of L^-1 is zero above row c, so each block solves only
// the trailing triangle (n^3 / 3 instead of n^3).
void lower_inverse(const Eigen::MatrixXd& l, Eigen::MatrixXd& inv) {
  const Eigen::Index n = l.rows();
  constexpr Eigen::Index kBlock = 256;
  inv.setIdentity(n, n);
  for (Eigen::Index c = 0; c < n; c += kBlock) {
    const Eigen::Index w = std::min(kBlock, n - c);
    l.bottomRightCorner(n - c, n - c)
        .triangularView<Eigen::Lower>()
        .solveInPlace(inv.block(c, c, n - c, w));
  }
}

// a = m^T m (lower triangle) for a lower-triangular m: row panel [c, c + w)
// of m is zero right of column c + w, so each panel updates only the
// leading (c + w) square (n^3 / 3 instead of n^3).
void lower_gram(const Eigen::MatrixXd& m, Eigen::MatrixXd& a) {
  const Eigen::Index n = m.rows();
  constexpr Eigen::Index kBlock = 256;
  a.setZero(n, n);
  for (Eigen::Index c = 0; c < n; c += kBlock) {
    const Eigen::Index w = std::min(kBlock, n - c);
    a.topLeftCorner(c + w, c + w)
        .selfadjointView<Eigen::Lower>()
        .rankUpdate(m.block(c, 0, w, c + w).transpose());
  }
}

}  // namespace

std::vector<double> EaseModel::scores(const std::vector<int32_t>& train_anime) const {
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(weights.rows());
  for (int32_t a : train_anime) {
    const int32_t i = compact_[static_cast<size_t>(a)];
    if (i >= 0) sum += weights.col(i);
  }
  std::vector<double> out(static_cast<size_t>(n_anime), 0.0);
  for (size_t j = 0; j < items.size(); ++j)
    out[static_cast<size_t>(items[j])] = sum[static_cast<Eigen::Index>(j)];
  return out;
}

int64_t ease_items(const TrainingGram& g) {
  int64_t n = 0;
  for (int64_t i = 0; i < g.n; ++i) n += g.at(i, i) > 0 ? 1 : 0;
  return n;
}

uint64_t ease_bytes(int64_t n_items, bool grid_search) {
  const uint64_t matrix = static_cast<uint64_t>(n_items) * static_cast<uint64_t>(n_items) * 8;
  return matrix * (grid_search ? 3 : 2);
}

EaseModel fit_ease(const TrainingGram& g, double lambda) {
  if (!(lambda > 0)) throw std::invalid_argument(fmt::format("EASE lambda {} must be > 0", lambda));
  // Eigen may split a product over OpenMP threads, and another split can
  // change rounding: the solve runs on one thread, as evaluate's products.
  als::SingleThreadedEigen one_thread;
  EaseModel e;
  e.lambda = lambda;
  e.n_anime = g.n;
  e.compact_.assign(static_cast<size_t>(g.n), -1);
  for (int64_t a = 0; a < g.n; ++a) {
    if (g.at(a, a) > 0) {
      e.compact_[static_cast<size_t>(a)] = static_cast<int32_t>(e.items.size());
      e.items.push_back(static_cast<int32_t>(a));
    }
  }
  const auto n = static_cast<Eigen::Index>(e.items.size());
  Eigen::MatrixXd a(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    for (Eigen::Index i = 0; i < n; ++i) a(i, j) = g.at(e.items[i], e.items[j]);
    a(j, j) += lambda;
  }
  // G + lambda I is symmetric positive definite (G = X^T X, lambda > 0):
  // Cholesky in place, then P = (L L^T)^-1 = L^-T L^-1.
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXd>> llt(a);
  if (llt.info() != Eigen::Success)
    throw std::runtime_error(fmt::format("EASE: Cholesky of G + {} I failed", lambda));
  Eigen::MatrixXd inv;
  lower_inverse(a, inv);
  lower_gram(inv, a);
  inv.resize(0, 0);
  a.triangularView<Eigen::StrictlyUpper>() = a.transpose();
  // B(i, j) = -P(i, j) / P(j, j) off the diagonal, 0 on it; weights(j, i) =
  // B(i, j) = -P(j, i) / P(j, j): row j of P scaled by -1 / P(j, j).
  const Eigen::VectorXd diag = a.diagonal();
  for (Eigen::Index j = 0; j < n; ++j) a.row(j) *= -1.0 / diag[j];
  a.diagonal().setZero();
  e.weights = std::move(a);
  return e;
}

double ease_split_ndcg10(const data::Dataset& d, const EaseModel& e, data::Split split,
                         double relevance, bool explicit_feedback, dist::Comm& comm) {
  const std::vector<int32_t> users = relevant_users(d, split, explicit_feedback, relevance);
  if (users.empty()) return 0.0;
  constexpr int64_t kBlock = 256;
  const std::vector<int64_t> bounds =
      serve::user_block_boundaries(static_cast<int64_t>(users.size()), kBlock, comm.size());
  std::vector<uint8_t> excluded(d.n_anime()), relevant(d.n_anime());
  train::ExactSum sum;
  for (auto j = static_cast<size_t>(bounds[static_cast<size_t>(comm.rank())]);
       j < static_cast<size_t>(bounds[static_cast<size_t>(comm.rank()) + 1]); ++j) {
    const auto u = static_cast<size_t>(users[j]);
    const int64_t n_rel =
        mark_user_anime(d, u, split, explicit_feedback, relevance, excluded, relevant);
    std::vector<int32_t> top;
    for (const serve::Scored& s :
         serve::top_n(e.scores(training_anime(d, static_cast<int64_t>(u))), excluded, 10))
      top.push_back(s.anime);
    sum.add(ranking_metrics(top, relevant, n_rel, 10).ndcg);
  }
  std::vector<int64_t> total = {sum.fixed};
  comm.allreduce_sum(total);
  return static_cast<double>(total[0]) / train::kMetricScale / static_cast<double>(users.size());
}

EaseChoice choose_ease(const data::Dataset& d, const TrainingGram& g, double lambda,
                       double relevance, bool explicit_feedback, dist::Comm& comm) {
  EaseChoice c;
  if (lambda > 0) {
    c.model = fit_ease(g, lambda);
    c.chosen_on = "option";
    return c;
  }
  if (relevant_users(d, data::Split::kValidation, explicit_feedback, relevance).empty()) {
    c.model = fit_ease(g, kEaseDefaultLambda);
    c.chosen_on = "default";
    return c;
  }
  c.chosen_on = "validation";
  double best = -1;
  for (double l : kEaseLambdaGrid) {
    EaseModel m = fit_ease(g, l);
    const double ndcg =
        ease_split_ndcg10(d, m, data::Split::kValidation, relevance, explicit_feedback, comm);
    c.grid.push_back(l);
    c.grid_ndcg10.push_back(ndcg);
    if (ndcg > best) {  // strictly better: ties keep the smaller lambda
      best = ndcg;
      c.model = std::move(m);
    }
  }
  return c;
}

}  // namespace animerec::eval
