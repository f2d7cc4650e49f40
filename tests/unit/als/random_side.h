#pragma once
// Shared by the ALS tests: a side with normal(0, scale) factors and biases.

#include <random>

#include "animerec/als/types.h"

namespace animerec::als::testing {

inline SideState random_side(int rows, int k, std::mt19937_64& rng, float scale = 1.0f) {
  std::normal_distribution<float> normal(0.0f, scale);
  SideState side;
  side.factors.resize(rows, k);
  for (Eigen::Index i = 0; i < side.factors.size(); ++i) side.factors.data()[i] = normal(rng);
  side.bias.resize(static_cast<size_t>(rows));
  for (float& b : side.bias) b = normal(rng);
  return side;
}

}  // namespace animerec::als::testing
