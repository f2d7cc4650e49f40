#include "animerec/train/metrics.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <random>
#include <vector>

#include "../als/random_side.h"
#include "animerec/als/types.h"

namespace animerec::train {
namespace {

using als::testing::random_side;

// A user block of `rows` users (from first_row) over `anime` anime, each
// user rating a random subset: uneven row lengths, as in real data.
als::RatingBlock random_block(int32_t first_row, int32_t rows, int32_t anime,
                              std::mt19937_64& rng) {
  std::uniform_real_distribution<float> score(1.0f, 10.0f);
  std::uniform_int_distribution<int32_t> step(1, 40);
  als::RatingBlock block;
  block.first_row = first_row;
  for (int32_t r = 0; r < rows; ++r) {
    for (int32_t a = step(rng) - 1; a < anime; a += step(rng)) {
      block.cols.push_back(a);
      block.values.push_back(score(rng));
    }
    block.offsets.push_back(static_cast<int64_t>(block.cols.size()));
  }
  return block;
}

class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ThreadCount() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

// The training RMSE's sum is the same integer for any thread count and is the
// sum of the rounded per-rating terms.
TEST(SquaredErrorsTest, BlockSumIsExactAndIndependentOfThreads) {
  std::mt19937_64 rng(5);
  const int k = 8;
  const als::SideState users = random_side(3000, k, rng, 0.5f);
  const als::SideState anime = random_side(700, k, rng, 0.5f);
  const als::RatingBlock block = random_block(1000, 1500, 700, rng);
  const float mu = 7.0f;

  ExactSum direct;
  for (int32_t r = 0; r < block.rows(); ++r) {
    for (int64_t e = block.offsets[r]; e < block.offsets[r + 1]; ++e) {
      const double err =
          block.values[e] - predict(users, anime, mu, block.first_row + r, block.cols[e]);
      direct.add(err * err);
    }
  }
  for (int threads : {1, 2, 3}) {
    ThreadCount t(threads);
    const ExactSum s = squared_errors(block, users, anime, mu);
    EXPECT_EQ(s.fixed, direct.fixed) << threads << " threads";
    EXPECT_EQ(s.count, block.nnz()) << threads << " threads";
  }
}

}  // namespace
}  // namespace animerec::train
