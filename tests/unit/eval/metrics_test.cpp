// Metric functions on hand-made rankings with exact expected values.

#include "animerec/eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace animerec::eval {
namespace {

TEST(MetricsTest, RankingMetricsAtThreeAndFive) {
  const std::vector<int32_t> ranked = {3, 1, 4, 0, 2};
  const std::vector<uint8_t> relevant = {0, 1, 1, 0, 0};
  RankingMetrics r3 = ranking_metrics(ranked, relevant, 2, 3);
  EXPECT_DOUBLE_EQ(r3.precision, 1.0 / 3);
  EXPECT_DOUBLE_EQ(r3.recall, 0.5);
  EXPECT_DOUBLE_EQ(r3.ndcg, (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0)));
  EXPECT_DOUBLE_EQ(r3.map, 0.5 / 2);
  EXPECT_DOUBLE_EQ(r3.hit_rate, 1.0);

  RankingMetrics r5 = ranking_metrics(ranked, relevant, 2, 5);
  EXPECT_DOUBLE_EQ(r5.precision, 0.4);
  EXPECT_DOUBLE_EQ(r5.recall, 1.0);
  EXPECT_DOUBLE_EQ(r5.ndcg, (1 / std::log2(3.0) + 1 / std::log2(6.0)) / (1 + 1 / std::log2(3.0)));
  EXPECT_DOUBLE_EQ(r5.map, (0.5 + 0.4) / 2);
  EXPECT_DOUBLE_EQ(r5.hit_rate, 1.0);
}

TEST(MetricsTest, PerfectAndEmptyRankings) {
  const std::vector<uint8_t> relevant = {1, 1, 0, 0};
  RankingMetrics p = ranking_metrics({0, 1, 2, 3}, relevant, 2, 2);
  EXPECT_DOUBLE_EQ(p.precision, 1.0);
  EXPECT_DOUBLE_EQ(p.ndcg, 1.0);
  EXPECT_DOUBLE_EQ(p.map, 1.0);
  // Precision divides by K even when the list is shorter; MAP by min(K, relevant).
  RankingMetrics q = ranking_metrics({0}, relevant, 2, 4);
  EXPECT_DOUBLE_EQ(q.precision, 0.25);
  EXPECT_DOUBLE_EQ(q.map, 0.5);
  RankingMetrics z = ranking_metrics({2, 3}, relevant, 2, 2);
  EXPECT_DOUBLE_EQ(z.precision, 0.0);
  EXPECT_DOUBLE_EQ(z.ndcg, 0.0);
  EXPECT_DOUBLE_EQ(z.hit_rate, 0.0);
  EXPECT_THROW(ranking_metrics({0}, relevant, 0, 2), std::invalid_argument);
  EXPECT_THROW(ranking_metrics({0}, relevant, 1, 0), std::invalid_argument);
}

TEST(MetricsTest, CoverageNoveltyAndPopularityRank) {
  const std::vector<std::vector<int32_t>> lists = {{0, 1, 2}, {1, 3, 4}};
  EXPECT_DOUBLE_EQ(catalogue_coverage(lists, 2, 10), 0.3);
  EXPECT_DOUBLE_EQ(catalogue_coverage(lists, 3, 10), 0.5);
  // Shares 4/8, 2/8 and (0 counted as 1) 1/8: -log2 = 1, 2, 3.
  const std::vector<int64_t> counts = {4, 2, 0, 1, 1};
  EXPECT_DOUBLE_EQ(novelty({{0, 1}, {2}}, 2, counts, 8), 2.0);
  EXPECT_DOUBLE_EQ(novelty({}, 2, counts, 8), 0.0);
  EXPECT_EQ(popularity_ranks({5, 9, 5, 0}), (std::vector<int64_t>{2, 1, 3, 4}));
  EXPECT_DOUBLE_EQ(mean_popularity_rank({{1, 0}, {3}}, 2, {2, 1, 3, 4}), 7.0 / 3);
}

TEST(MetricsTest, ErrorsAndActivityBuckets) {
  ErrorSum e;
  EXPECT_TRUE(std::isnan(e.rmse()));
  e.add(3, 1);
  e.add(1, 1);
  EXPECT_DOUBLE_EQ(e.rmse(), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(e.mae(), 1.0);
  EXPECT_STREQ(activity_bucket(0), "0");
  EXPECT_STREQ(activity_bucket(1), "1-9");
  EXPECT_STREQ(activity_bucket(9), "1-9");
  EXPECT_STREQ(activity_bucket(10), "10-49");
  EXPECT_STREQ(activity_bucket(199), "50-199");
  EXPECT_STREQ(activity_bucket(200), "200+");
}

}  // namespace
}  // namespace animerec::eval

namespace animerec::eval {
namespace {

// The appearance-count forms (what evaluate sums across MPI ranks) equal the
// list forms.
TEST(MetricsTest, AppearanceCountsGiveTheListStatistics) {
  const std::vector<std::vector<int32_t>> lists = {{4, 1, 2}, {1, 0}, {5, 1, 3}, {}};
  const std::vector<int64_t> counts = {9, 50, 0, 7, 3, 20};
  const std::vector<int64_t> ranks = popularity_ranks(counts);
  for (int k : {1, 2, 3}) {
    std::vector<int64_t> appearances(counts.size(), 0);
    for (const auto& l : lists) {
      for (size_t i = 0; i < l.size() && i < static_cast<size_t>(k); ++i) ++appearances[l[i]];
    }
    EXPECT_DOUBLE_EQ(coverage_from_appearances(appearances, counts.size()),
                     catalogue_coverage(lists, k, counts.size()))
        << k;
    EXPECT_NEAR(novelty_from_appearances(appearances, counts, 89), novelty(lists, k, counts, 89),
                1e-12)
        << k;
    EXPECT_DOUBLE_EQ(popularity_rank_from_appearances(appearances, ranks),
                     mean_popularity_rank(lists, k, ranks))
        << k;
  }
  EXPECT_EQ(coverage_from_appearances({0, 0}, 2), 0.0);
  EXPECT_EQ(novelty_from_appearances({0, 0}, {1, 1}, 2), 0.0);
  EXPECT_THROW(novelty_from_appearances({1}, {1}, 0), std::invalid_argument);
}

}  // namespace
}  // namespace animerec::eval
