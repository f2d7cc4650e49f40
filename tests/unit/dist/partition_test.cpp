// balanced_blocks: the documented rule on hand-made CSR offsets, and the
// Block / owner / counts helpers built on it.
#include "animerec/dist/partition.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "animerec/core/error.h"

namespace animerec::dist {
namespace {

using Offsets = std::vector<int64_t>;

// CSR offsets for the given per-row rating counts.
Offsets offsets_of(const std::vector<int64_t>& per_row) {
  Offsets offsets = {0};
  for (int64_t c : per_row) offsets.push_back(offsets.back() + c);
  return offsets;
}

// Weight of rows [begin, end) under the rule: ratings + 1 per row.
int64_t weight(const Offsets& offsets, int64_t begin, int64_t end) {
  return offsets[end] - offsets[begin] + (end - begin);
}

TEST(Partition, EqualRowsSplitEvenly) {
  const Offsets offsets = offsets_of({3, 3, 3, 3});
  EXPECT_EQ(balanced_blocks(offsets, 2), (Offsets{0, 2, 4}));
  EXPECT_EQ(balanced_blocks(offsets, 4), (Offsets{0, 1, 2, 3, 4}));
  // W = 16, targets round(16/3) = 5 and round(32/3) = 11: nearest C are 4 and 12.
  EXPECT_EQ(balanced_blocks(offsets, 3), (Offsets{0, 1, 3, 4}));
}

TEST(Partition, BalancesByRatingsNotRows) {
  // Weights 11, 1, 1, 1, 1, 1, 11, 1: W = 28, target 14 lies between C(2) = 12
  // and C(6) = 16... C = 0 11 12 13 14 15 16 27 28, so C(4) = 14 exactly.
  const Offsets offsets = offsets_of({10, 0, 0, 0, 0, 0, 10, 0});
  EXPECT_EQ(balanced_blocks(offsets, 2), (Offsets{0, 4, 8}));
  // Targets round(28/3) = 9 and round(56/3) = 19: C(1) = 11 and C(6) = 16.
  EXPECT_EQ(balanced_blocks(offsets, 3), (Offsets{0, 1, 6, 8}));
}

TEST(Partition, EmptyRowsAreSpreadToo) {
  EXPECT_EQ(balanced_blocks(offsets_of({0, 0, 0, 0, 0, 0}), 3), (Offsets{0, 2, 4, 6}));
  // One heavy row then nine empty ones: the empty rows go to the second block.
  EXPECT_EQ(balanced_blocks(offsets_of({10, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 2), (Offsets{0, 1, 10}));
}

TEST(Partition, TiesGoToTheSmallerBoundary) {
  // C = 0 2 4, target round(4/2) = 2 exact; for 4 parts targets 1, 2, 3 sit
  // halfway between boundaries or on one.
  const Offsets offsets = offsets_of({1, 1});
  EXPECT_EQ(balanced_blocks(offsets, 4), (Offsets{0, 0, 1, 1, 2}));
}

TEST(Partition, MorePartsThanRowsLeavesBlocksEmpty) {
  // W = 4, targets round(4r/5) = 1 2 2 3 -> boundaries 0 1 1 1 (ties lower).
  const Offsets offsets = offsets_of({1, 1});
  const Offsets bounds = balanced_blocks(offsets, 5);
  EXPECT_EQ(bounds, (Offsets{0, 0, 1, 1, 1, 2}));
  EXPECT_EQ(block_counts(bounds, 1), (Offsets{0, 1, 0, 0, 1}));
  EXPECT_EQ(balanced_blocks(offsets_of({}), 3), (Offsets{0, 0, 0, 0}));
}

TEST(Partition, OnePartIsEverything) {
  EXPECT_EQ(balanced_blocks(offsets_of({5, 0, 2}), 1), (Offsets{0, 3}));
  EXPECT_EQ(balanced_blocks(offsets_of({}), 1), (Offsets{0, 0}));
}

TEST(Partition, OnlyDifferencesOfOffsetsMatter) {
  Offsets shifted = offsets_of({10, 0, 0, 0, 0, 0, 10, 0});
  for (int64_t& o : shifted) o += 1000;
  EXPECT_EQ(balanced_blocks(shifted, 3), (Offsets{0, 1, 6, 8}));
}

TEST(Partition, RandomRowsStayWithinOneRowOfTheMean) {
  std::mt19937_64 rng(42);
  for (int trial = 0; trial < 50; ++trial) {
    const int64_t rows = static_cast<int64_t>(rng() % 2000);
    std::vector<int64_t> per_row(static_cast<size_t>(rows));
    for (int64_t& c : per_row) c = rng() % 7 == 0 ? static_cast<int64_t>(rng() % 500) : 0;
    const Offsets offsets = offsets_of(per_row);
    const int parts = 1 + static_cast<int>(rng() % 40);
    const Offsets bounds = balanced_blocks(offsets, parts);
    ASSERT_EQ(bounds.size(), static_cast<size_t>(parts) + 1);
    EXPECT_EQ(bounds.front(), 0);
    EXPECT_EQ(bounds.back(), rows);
    EXPECT_TRUE(std::is_sorted(bounds.begin(), bounds.end()));
    EXPECT_EQ(bounds, balanced_blocks(offsets, parts)) << "deterministic";
    int64_t max_w = 0;
    for (int64_t c : per_row) max_w = std::max(max_w, c + 1);
    const double mean = static_cast<double>(weight(offsets, 0, rows)) / parts;
    for (int r = 0; r < parts; ++r) {
      const Block b = block_of(bounds, r);
      EXPECT_LT(std::abs(static_cast<double>(weight(offsets, b.begin, b.end)) - mean), max_w + 1)
          << "trial " << trial << " part " << r << " of " << parts;
    }
  }
}

// A per-row cost c > 1 weighs the rows as ratings + c: a block of many short
// rows then takes fewer rows than by ratings alone. Rows 0..7 hold 1 rating
// each, row 8 holds 16: by ratings + 1 the halves are rows [0, 8) (16) and
// [8, 9) (17); with c = 10 the weights are 11 x 8 = 88 and 26, so the cut
// moves into the short rows: [0, 5) (55) and [5, 9) (33 + 26 = 59).
TEST(Partition, RowCostWeighsEachRowAsRatingsPlusCost) {
  const Offsets offsets = offsets_of({1, 1, 1, 1, 1, 1, 1, 1, 16});
  EXPECT_EQ(balanced_blocks(offsets, 2), (Offsets{0, 8, 9}));
  EXPECT_EQ(balanced_blocks(offsets, 2, 1), (Offsets{0, 8, 9}));
  EXPECT_EQ(balanced_blocks(offsets, 2, 10), (Offsets{0, 5, 9}));
  // Rows without ratings: the cost alone spreads them evenly.
  EXPECT_EQ(balanced_blocks(offsets_of({0, 0, 0, 0, 0, 0}), 3, 7), (Offsets{0, 2, 4, 6}));
  EXPECT_THROW(balanced_blocks(offsets, 2, 0), Error);
}

// A cost that depends on the row's ratings: rows of 1 rating cost 1 more
// (a cheap solve), the 16-rating row 10 more. Weights 2 x 8 = 16 and 26, W =
// 42, target 21: C(8) = 16 and C(9) = 42, so the cut stays at 8, where a
// constant cost of 10 moves it to 5 (above). The constant overload is the
// per-row one with a constant.
TEST(Partition, PerRowCostDependsOnTheRowsRatings) {
  const Offsets offsets = offsets_of({1, 1, 1, 1, 1, 1, 1, 1, 16});
  auto cheap_short_rows = [](int64_t ratings) -> int64_t { return ratings < 4 ? 1 : 10; };
  EXPECT_EQ(balanced_blocks(offsets, 2, cheap_short_rows), (Offsets{0, 8, 9}));
  auto ten = [](int64_t) -> int64_t { return 10; };
  EXPECT_EQ(balanced_blocks(offsets, 2, ten), balanced_blocks(offsets, 2, 10));
  std::mt19937_64 rng(5);
  std::uniform_int_distribution<int64_t> ratings(0, 40);
  std::vector<int64_t> per_row(300);
  for (int64_t& r : per_row) r = ratings(rng);
  const Offsets random_offsets = offsets_of(per_row);
  for (int parts : {1, 2, 3, 7}) {
    EXPECT_EQ(balanced_blocks(random_offsets, parts, ten),
              balanced_blocks(random_offsets, parts, 10));
  }
  auto zero_for_empty = [](int64_t ratings) -> int64_t { return ratings; };
  EXPECT_THROW(balanced_blocks(offsets_of({1, 0, 1}), 2, zero_for_empty), Error);
}

TEST(Partition, BlockOwnerAndCounts) {
  const Offsets bounds = {0, 3, 3, 7};
  EXPECT_EQ(block_of(bounds, 0).begin, 0);
  EXPECT_EQ(block_of(bounds, 0).end, 3);
  EXPECT_EQ(block_of(bounds, 1).size(), 0);
  EXPECT_TRUE(block_of(bounds, 2).contains(6));
  EXPECT_FALSE(block_of(bounds, 2).contains(7));
  EXPECT_EQ(owner_of(bounds, 0), 0);
  EXPECT_EQ(owner_of(bounds, 2), 0);
  EXPECT_EQ(owner_of(bounds, 3), 2);  // block 1 is empty
  EXPECT_EQ(owner_of(bounds, 6), 2);
  EXPECT_EQ(block_counts(bounds, 64), (Offsets{192, 0, 256}));
}

TEST(Partition, BadArgumentsThrow) {
  EXPECT_THROW(balanced_blocks({}, 2), Error);
  EXPECT_THROW(balanced_blocks({0, 5, 3}, 2), Error);
  EXPECT_THROW(balanced_blocks({0, 5}, 0), Error);
  EXPECT_THROW(block_of({0, 3}, 1), Error);
  EXPECT_THROW(block_of({0, 3}, -1), Error);
  EXPECT_THROW(owner_of({0, 3}, 3), Error);
  EXPECT_THROW(owner_of({0, 3}, -1), Error);
}

}  // namespace
}  // namespace animerec::dist
