#include "animerec/train/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace animerec::train {

float predict(const als::SideState& users, const als::SideState& anime, float mu, int32_t u,
              int32_t a) {
  return mu + users.bias[u] + anime.bias[a] + users.factors.row(u).dot(anime.factors.row(a));
}

ExactSum squared_errors(const als::RatingBlock& block, const als::SideState& rows,
                        const als::SideState& cols, float mu) {
  ExactSum s;
  for (int32_t r = 0; r < block.rows(); ++r) {
    int32_t row = block.first_row + r;
    for (int64_t e = block.offsets[r]; e < block.offsets[r + 1]; ++e) {
      double err = block.values[e] - predict(rows, cols, mu, row, block.cols[e]);
      s.add(err * err);
    }
  }
  return s;
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

// NDCG@10 of one user: rank all anime by score, skipping training entries.
double user_ndcg(int32_t u, const std::vector<int32_t>& relevant, const als::RatingBlock& train,
                 const als::SideState& users, const als::SideState& anime) {
  Eigen::VectorXf scores = anime.factors * users.factors.row(u).transpose();
  int32_t local = u - train.first_row;
  for (int64_t e = train.offsets[local]; e < train.offsets[local + 1]; ++e) {
    scores[train.cols[e]] = -std::numeric_limits<float>::infinity();
  }
  constexpr int kTop = 10;
  int n = std::min<int>(kTop, static_cast<int>(scores.size()));
  std::vector<int32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  // Ties broken by index: the ranking is a pure function of the scores.
  std::partial_sort(order.begin(), order.begin() + n, order.end(), [&](int32_t a, int32_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  });
  double dcg = 0, ideal = 0;
  for (int i = 0; i < n; ++i) {
    if (std::binary_search(relevant.begin(), relevant.end(), order[i]))
      dcg += 1.0 / std::log2(i + 2.0);
  }
  for (int i = 0; i < std::min<int>(n, static_cast<int>(relevant.size())); ++i)
    ideal += 1.0 / std::log2(i + 2.0);
  return ideal > 0 ? dcg / ideal : 0.0;
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
