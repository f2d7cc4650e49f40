#pragma once
// Recommendation metrics (docs/evaluate.md), as pure functions of rankings and
// counts. They follow bench/cold_start_eval.py and bench/split_rmse.py.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace animerec::eval {

// The ranking metrics of one user at one cutoff K.
struct RankingMetrics {
  double precision = 0;  // hits in the top K / K
  double recall = 0;     // hits in the top K / number of relevant items
  double ndcg = 0;       // DCG@K / ideal DCG@K, binary gains, log2(rank + 1) discount
  double map = 0;        // sum of precision@i at each hit i <= K / min(K, relevant)
  double hit_rate = 0;   // 1 when the top K holds at least one relevant item
};

// The ranking every ranking metric is computed on: the k best candidates by
// descending score, ties by ascending index (a total order, so the result
// never depends on the sort algorithm), skipping those with excluded[i] != 0
// (an empty `excluded` excludes nothing).
std::vector<int32_t> top_k(const std::vector<double>& scores, const std::vector<uint8_t>& excluded,
                           int k);

// `ranked` is the user's ranking, best first (only its first k entries
// count); relevant[a] != 0 marks a relevant anime; n_relevant is how many
// there are (> 0). Throws std::invalid_argument for k < 1 or n_relevant < 1.
// The one implementation of these metrics: evaluate reports them, and
// training's early stopping (train/metrics.h) takes its NDCG@10 from here.
RankingMetrics ranking_metrics(const std::vector<int32_t>& ranked,
                               const std::vector<uint8_t>& relevant, int64_t n_relevant, int k);

// Share of the n_items catalogue that appears in at least one list's top k.
double catalogue_coverage(const std::vector<std::vector<int32_t>>& lists, int k, size_t n_items);

// Mean over every recommended item (each list's top k) of -log2(share), with
// share = max(count, 1) / total: an item nobody interacted with counts as
// once. 0 when there is no item. Throws std::invalid_argument for total <= 0.
double novelty(const std::vector<std::vector<int32_t>>& lists, int k,
               const std::vector<int64_t>& counts, int64_t total);

// Popularity rank of each item: 1 for the largest count, ties by ascending index.
std::vector<int64_t> popularity_ranks(const std::vector<int64_t>& counts);

// Mean popularity rank over every list's top k (0 when there is no item).
double mean_popularity_rank(const std::vector<std::vector<int32_t>>& lists, int k,
                            const std::vector<int64_t>& ranks);

// The same list statistics from appearances[i] = how many lists hold item i
// in their top k: integer counts add up exactly across MPI ranks, so the
// results cannot depend on how users were split.
// Share of the n_items catalogue with appearances > 0.
double coverage_from_appearances(const std::vector<int64_t>& appearances, size_t n_items);
// As novelty(): mean -log2(max(count, 1) / total) over every appearance.
double novelty_from_appearances(const std::vector<int64_t>& appearances,
                                const std::vector<int64_t>& counts, int64_t total);
// As mean_popularity_rank(): mean rank over every appearance.
double popularity_rank_from_appearances(const std::vector<int64_t>& appearances,
                                        const std::vector<int64_t>& ranks);

// Accumulates squared and absolute errors.
struct ErrorSum {
  double squared = 0;
  double absolute = 0;
  int64_t n = 0;
  void add(double predicted, double actual) {
    const double e = predicted - actual;
    squared += e * e;
    absolute += e < 0 ? -e : e;
    ++n;
  }
  double rmse() const;  // NaN when n == 0
  double mae() const;
};

// Activity bucket of a user with n training ratings: "0", "1-9", "10-49",
// "50-199" or "200+".
const char* activity_bucket(int64_t n_training_ratings);

}  // namespace animerec::eval
