#include "animerec/eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace animerec::eval {

std::vector<int32_t> top_k(const std::vector<double>& scores, const std::vector<uint8_t>& excluded,
                           int k) {
  std::vector<int32_t> rows;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (excluded.empty() || !excluded[i]) rows.push_back(static_cast<int32_t>(i));
  }
  const size_t n = std::min(rows.size(), static_cast<size_t>(std::max(k, 0)));
  std::partial_sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(n), rows.end(),
                    [&](int32_t a, int32_t b) {
                      if (scores[a] != scores[b]) return scores[a] > scores[b];
                      return a < b;
                    });
  rows.resize(n);
  return rows;
}

RankingMetrics ranking_metrics(const std::vector<int32_t>& ranked,
                               const std::vector<uint8_t>& relevant, int64_t n_relevant, int k) {
  if (k < 1) throw std::invalid_argument("ranking_metrics: k must be >= 1");
  if (n_relevant < 1) throw std::invalid_argument("ranking_metrics: no relevant item");
  const size_t n = std::min(ranked.size(), static_cast<size_t>(k));
  double dcg = 0, ap = 0;
  int64_t hits = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto a = static_cast<size_t>(ranked[i]);
    if (a < relevant.size() && relevant[a]) {
      ++hits;
      dcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
      ap += static_cast<double>(hits) / static_cast<double>(i + 1);
    }
  }
  const int64_t ideal_hits = std::min<int64_t>(k, n_relevant);
  double idcg = 0;
  for (int64_t i = 0; i < ideal_hits; ++i) idcg += 1.0 / std::log2(static_cast<double>(i) + 2.0);
  RankingMetrics r;
  r.precision = static_cast<double>(hits) / k;
  r.recall = static_cast<double>(hits) / static_cast<double>(n_relevant);
  r.ndcg = dcg / idcg;
  r.map = ap / static_cast<double>(ideal_hits);
  r.hit_rate = hits > 0 ? 1.0 : 0.0;
  return r;
}

double catalogue_coverage(const std::vector<std::vector<int32_t>>& lists, int k, size_t n_items) {
  if (n_items == 0) return 0.0;
  std::vector<uint8_t> seen(n_items, 0);
  size_t distinct = 0;
  for (const auto& l : lists) {
    const size_t n = std::min(l.size(), static_cast<size_t>(std::max(k, 0)));
    for (size_t i = 0; i < n; ++i) {
      auto a = static_cast<size_t>(l[i]);
      if (a < n_items && !seen[a]) {
        seen[a] = 1;
        ++distinct;
      }
    }
  }
  return static_cast<double>(distinct) / static_cast<double>(n_items);
}

double novelty(const std::vector<std::vector<int32_t>>& lists, int k,
               const std::vector<int64_t>& counts, int64_t total) {
  if (total <= 0) throw std::invalid_argument("novelty: total must be > 0");
  double sum = 0;
  int64_t n_items = 0;
  for (const auto& l : lists) {
    const size_t n = std::min(l.size(), static_cast<size_t>(std::max(k, 0)));
    for (size_t i = 0; i < n; ++i) {
      const int64_t c = std::max<int64_t>(counts.at(static_cast<size_t>(l[i])), 1);
      sum += -std::log2(static_cast<double>(c) / static_cast<double>(total));
      ++n_items;
    }
  }
  return n_items ? sum / static_cast<double>(n_items) : 0.0;
}

std::vector<int64_t> popularity_ranks(const std::vector<int64_t>& counts) {
  std::vector<int32_t> order(counts.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return counts[a] > counts[b]; });
  std::vector<int64_t> rank(counts.size());
  for (size_t i = 0; i < order.size(); ++i) rank[static_cast<size_t>(order[i])] = int64_t(i) + 1;
  return rank;
}

double mean_popularity_rank(const std::vector<std::vector<int32_t>>& lists, int k,
                            const std::vector<int64_t>& ranks) {
  double sum = 0;
  int64_t n_items = 0;
  for (const auto& l : lists) {
    const size_t n = std::min(l.size(), static_cast<size_t>(std::max(k, 0)));
    for (size_t i = 0; i < n; ++i) {
      sum += static_cast<double>(ranks.at(static_cast<size_t>(l[i])));
      ++n_items;
    }
  }
  return n_items ? sum / static_cast<double>(n_items) : 0.0;
}

double coverage_from_appearances(const std::vector<int64_t>& appearances, size_t n_items) {
  if (n_items == 0) return 0.0;
  int64_t distinct = 0;
  for (int64_t a : appearances) distinct += a > 0 ? 1 : 0;
  return static_cast<double>(distinct) / static_cast<double>(n_items);
}

double novelty_from_appearances(const std::vector<int64_t>& appearances,
                                const std::vector<int64_t>& counts, int64_t total) {
  if (total <= 0) throw std::invalid_argument("novelty: total must be > 0");
  double sum = 0;
  int64_t n = 0;
  for (size_t i = 0; i < appearances.size(); ++i) {
    if (appearances[i] == 0) continue;
    const int64_t c = std::max<int64_t>(counts.at(i), 1);
    sum += static_cast<double>(appearances[i]) *
           -std::log2(static_cast<double>(c) / static_cast<double>(total));
    n += appearances[i];
  }
  return n ? sum / static_cast<double>(n) : 0.0;
}

double popularity_rank_from_appearances(const std::vector<int64_t>& appearances,
                                        const std::vector<int64_t>& ranks) {
  int64_t sum = 0, n = 0;  // exact: ranks and counts are integers
  for (size_t i = 0; i < appearances.size(); ++i) {
    sum += appearances[i] * ranks.at(i);
    n += appearances[i];
  }
  return n ? static_cast<double>(sum) / static_cast<double>(n) : 0.0;
}

double ErrorSum::rmse() const {
  return n ? std::sqrt(squared / static_cast<double>(n)) : std::numeric_limits<double>::quiet_NaN();
}

double ErrorSum::mae() const {
  return n ? absolute / static_cast<double>(n) : std::numeric_limits<double>::quiet_NaN();
}

const char* activity_bucket(int64_t n) {
  if (n <= 0) return "0";
  if (n < 10) return "1-9";
  if (n < 50) return "10-49";
  if (n < 200) return "50-199";
  return "200+";
}

}  // namespace animerec::eval
