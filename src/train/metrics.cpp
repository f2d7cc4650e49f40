#include "animerec/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "animerec/eval/metrics.h"

namespace animerec::train {

namespace {

// The prediction from its user part: (mu + b_u) + b_a + x_u.y_a, summed in
// that order, so a pass that takes the user part once per user gets the
// same floats as predict().
template <class FactorRow>
float predict_from_user_part(float mu_plus_bias, const FactorRow& x, const als::SideState& anime,
                             int32_t a) {
  return mu_plus_bias + anime.bias[a] + x.dot(anime.factors.row(a));
}

}  // namespace

float predict(const als::SideState& users, const als::SideState& anime, float mu, int32_t u,
              int32_t a) {
  return predict_from_user_part(mu + users.bias[u], users.factors.row(u), anime, a);
}

// On the threads of the sweep: run serially it was the one single-threaded
// pass of an explicit iteration (a dot product per training rating). Each
// term is rounded to a fixed-point integer first and integer sums are exact,
// so the total is the same for any split over threads.
ExactSum squared_errors(const als::RatingBlock& block, const als::SideState& rows,
                        const als::SideState& cols, float mu) {
  int64_t fixed = 0, count = 0;
#pragma omp parallel for schedule(dynamic, 256) reduction(+ : fixed, count)
  for (int32_t r = 0; r < block.rows(); ++r) {
    const int32_t row = block.first_row + r;
    // The user's part once per user, not once per rating.
    const auto x = rows.factors.row(row);
    const float mu_plus_bias = mu + rows.bias[row];
    ExactSum s;
    for (int64_t e = block.offsets[r]; e < block.offsets[r + 1]; ++e) {
      const double err =
          block.values[e] - predict_from_user_part(mu_plus_bias, x, cols, block.cols[e]);
      s.add(err * err);
    }
    fixed += s.fixed;
    count += s.count;
  }
  return ExactSum{fixed, count};
}

ExactSum squared_errors(const HeldOut& held, const als::SideState& users,
                        const als::SideState& anime, float mu) {
  ExactSum s;
  for (size_t i = 0; i < held.row.size(); ++i) {
    if (held.score[i] <= 0) continue;
    double err = held.score[i] - predict(users, anime, mu, held.row[i], held.col[i]);
    s.add(err * err);
  }
  return s;
}

namespace {

// NDCG@10 of one user as evaluate computes it (eval/metrics.h): every anime
// but the user's training entries ranked by score, relevant = held out.
double user_ndcg(int32_t u, const std::vector<int32_t>& relevant, const als::RatingBlock& train,
                 const als::SideState& users, const als::SideState& anime) {
  constexpr int kTop = 10;
  const Eigen::VectorXf scores = anime.factors * users.factors.row(u).transpose();
  // Doubles hold every float exactly, so the order is the float scores' order.
  const std::vector<double> ranked_by(scores.data(), scores.data() + scores.size());
  std::vector<uint8_t> excluded(ranked_by.size(), 0), is_relevant(ranked_by.size(), 0);
  const int32_t local = u - train.first_row;
  for (int64_t e = train.offsets[local]; e < train.offsets[local + 1]; ++e) {
    excluded[static_cast<size_t>(train.cols[e])] = 1;
  }
  for (int32_t a : relevant) is_relevant[static_cast<size_t>(a)] = 1;
  return eval::ranking_metrics(eval::top_k(ranked_by, excluded, kTop), is_relevant,
                               static_cast<int64_t>(relevant.size()), kTop)
      .ndcg;
}

}  // namespace

ExactSum ndcg_at_10(const HeldOut& held, const als::RatingBlock& user_block,
                    const als::SideState& users, const als::SideState& anime,
                    const std::vector<uint8_t>& sampled_user) {
  ExactSum s;
  size_t i = 0;
  while (i < held.row.size()) {
    int32_t u = held.row[i];
    std::vector<int32_t> relevant;
    for (; i < held.row.size() && held.row[i] == u; ++i) relevant.push_back(held.col[i]);
    if (!sampled_user[u]) continue;
    std::sort(relevant.begin(), relevant.end());
    s.add(user_ndcg(u, relevant, user_block, users, anime));
  }
  return s;
}

}  // namespace animerec::train
