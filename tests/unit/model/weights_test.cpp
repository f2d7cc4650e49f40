#include <gtest/gtest.h>

#include "animerec/data/dataset.h"
#include "animerec/model/model.h"

namespace animerec::model {
namespace {

constexpr auto kCompleted = static_cast<uint8_t>(data::Status::kCompleted);
constexpr auto kDropped = static_cast<uint8_t>(data::Status::kDropped);

ImplicitWeights weights(double slope, double pivot) {
  ImplicitWeights w;
  w.scored = 1;
  w.by_status.at(kCompleted) = 1;
  w.by_status.at(kDropped) = 0.25;
  w.score_slope = slope;
  w.score_pivot = pivot;
  return w;
}

// Slope 0 (the default) is the rule of models written before the slope:
// status weight plus `scored`, whatever the score.
TEST(ImplicitWeightTest, ZeroSlopeIgnoresTheScoresValue) {
  const ImplicitWeights w = weights(0, 5);
  EXPECT_EQ(implicit_weight(w, 10, kCompleted), 2.0);
  EXPECT_EQ(implicit_weight(w, 3, kCompleted), 2.0);
  EXPECT_EQ(implicit_weight(w, 0, kCompleted), 1.0);  // unscored: the status alone
  EXPECT_EQ(ImplicitWeights{}.score_slope, 0.0);
}

// A 10 is a stronger signal than a 5: scored rows gain slope * (score - pivot).
TEST(ImplicitWeightTest, SlopeMakesHigherScoresWeighMore) {
  const ImplicitWeights w = weights(0.5, 6);
  EXPECT_DOUBLE_EQ(implicit_weight(w, 10, kCompleted), 1 + 1 + 0.5 * 4);
  EXPECT_DOUBLE_EQ(implicit_weight(w, 6, kCompleted), 2.0);
  EXPECT_DOUBLE_EQ(implicit_weight(w, 4, kCompleted), 1.0);
  EXPECT_GT(implicit_weight(w, 9, kDropped), implicit_weight(w, 5, kDropped));
  // Unscored rows have no score to weigh: the slope does not apply.
  EXPECT_DOUBLE_EQ(implicit_weight(w, 0, kDropped), 0.25);
  // Far enough below the pivot the weight is <= 0: the row is left out.
  EXPECT_LE(implicit_weight(w, 1, kDropped), 0.0);
}

}  // namespace
}  // namespace animerec::model
