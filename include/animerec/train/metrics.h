#pragma once
// Training and validation metrics of one rank's blocks, as exact fixed-point
// integer sums: adding them up across ranks gives the same total in any order,
// so decisions taken on them (early stopping) cannot depend on the rank count.

#include <cstdint>

#include "animerec/als/types.h"
#include "animerec/train/local_data.h"

namespace animerec::train {

// 2^24: squared errors and NDCG terms are rounded to 6e-8 before summing,
// which keeps 10^9 terms of up to 81 inside int64.
inline constexpr double kMetricScale = 16777216.0;

struct ExactSum {
  int64_t fixed = 0;  // sum of round(term * kMetricScale)
  int64_t count = 0;
  void add(double term) {
    fixed += static_cast<int64_t>(term * kMetricScale + (term >= 0 ? 0.5 : -0.5));
    ++count;
  }
  double value() const { return static_cast<double>(fixed) / kMetricScale; }
  double mean() const { return count > 0 ? value() / static_cast<double>(count) : 0.0; }
};

float predict(const als::SideState& users, const als::SideState& anime, float mu, int32_t u,
              int32_t a);

// Explicit: squared errors of the block's training entries (rows = users).
ExactSum squared_errors(const als::RatingBlock& block, const als::SideState& rows,
                        const als::SideState& cols, float mu);

// Explicit: squared errors of held-out scored rows.
ExactSum squared_errors(const HeldOut& held, const als::SideState& users,
                        const als::SideState& anime, float mu);

// Implicit: NDCG@10 of the held-out users selected by `sampled(user)`, ranking
// every anime not in the user's training entries; relevant = held out. Each
// user's value is eval::ranking_metrics' (the one NDCG implementation), so an
// implicit model's validation NDCG@10 equals evaluate's on the validation split
// when every user is sampled.
ExactSum ndcg_at_10(const HeldOut& held, const als::RatingBlock& user_block,
                    const als::SideState& users, const als::SideState& anime,
                    const std::vector<uint8_t>& sampled_user);

}  // namespace animerec::train
