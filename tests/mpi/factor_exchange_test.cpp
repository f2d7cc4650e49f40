// Every --exchange strategy at 1-4 ranks: after each rank solved (here: wrote)
// its own block of a side, every rank holds every row exactly as its owner
// left it, also with an empty block and uneven blocks.
#include "animerec/train/factor_exchange.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "mpi_env.h"

namespace animerec::train {
namespace {

using animerec::testing::world;

// Row i, column c of the side as its owner solves it.
float owner_value(int64_t row, int64_t col) {
  return static_cast<float>(row) * 0.5f + static_cast<float>(col) * 0.125f + 1.0f;
}

// Blocks of 0, 3, 5, 7 ... rows: rank 0 owns none.
std::vector<int64_t> uneven_boundaries(int size) {
  std::vector<int64_t> b{0};
  for (int r = 0; r < size; ++r) b.push_back(b.back() + (r == 0 ? 0 : 2 * r + 1));
  return b;
}

TEST(FactorExchangeMpiTest, EveryStrategyReplicatesTheOwnersRows) {
  dist::Comm& comm = world();
  const std::vector<int64_t> bounds = uneven_boundaries(comm.size());
  const int64_t rows = bounds.back();
  const int k = 4;
  const dist::Block mine{bounds[static_cast<size_t>(comm.rank())],
                         bounds[static_cast<size_t>(comm.rank()) + 1]};
  for (const ExchangeStrategy& strategy : exchange_strategies()) {
    auto exchange = strategy.make(comm);
    als::SideState side;
    side.factors = als::FactorMatrix::Constant(rows, k, -1.0f);  // stale everywhere else
    side.bias.assign(static_cast<size_t>(rows), -1.0f);
    for (int64_t r = mine.begin; r < mine.end; ++r) {
      for (int c = 0; c < k; ++c) side.factors(r, c) = owner_value(r, c);
      side.bias[static_cast<size_t>(r)] = owner_value(r, k);
    }
    exchange->exchange(side, bounds, mine);
    for (int64_t r = 0; r < rows; ++r) {
      for (int c = 0; c < k; ++c) {
        EXPECT_EQ(side.factors(r, c), owner_value(r, c)) << strategy.name << " row " << r;
      }
      EXPECT_EQ(side.bias[static_cast<size_t>(r)], owner_value(r, k)) << strategy.name;
    }
  }
}

}  // namespace
}  // namespace animerec::train
