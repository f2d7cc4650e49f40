#pragma once
// What one rank holds: its block of users (their ratings, by user) and its
// block of anime (their ratings, by anime), read from dataset.h5 as two
// hyperslabs. No rank ever holds the whole rating matrix.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/dist/partition.h"
#include "animerec/io/dataset_file.h"
#include "animerec/model/model.h"

namespace animerec::train {

// The implicit weights and their rule live with the model, which stores
// them for fold-in (model/model.h).
using ImplicitWeights = model::ImplicitWeights;

// The held-out rows of a block, for validation metrics.
struct HeldOut {
  std::vector<int32_t> row;  // global row index (user)
  std::vector<int32_t> col;  // global column index (anime)
  std::vector<float> score;  // 0 when unscored
};

// Which training rows a fit learns from, and their values.
struct EntryRule {
  als::Feedback feedback = als::Feedback::kExplicit;
  ImplicitWeights weights;  // implicit only
};

// The training entries of one fit, both orientations.
struct FitBlocks {
  als::RatingBlock user_block;   // training entries of the rank's users, CSR by user
  als::RatingBlock anime_block;  // training entries of the rank's anime, CSR by anime
};

struct LocalData {
  dist::Block users;                  // this rank's user rows
  dist::Block anime;                  // this rank's anime rows
  std::vector<FitBlocks> fits;        // one per EntryRule, in the order given
  HeldOut validation;                 // validation rows of `users`
  int64_t train_score_sum_fixed = 0;  // sum of training scores in fixed point (kScoreScale)
  int64_t train_scored = 0;           // count of training scored rows of `users`
};

// Fixed-point scale for exact, order-independent sums of scores: every score
// of every supported layout (halves, integers, and triplets to 2^-20) is an
// exact multiple of 1 / kScoreScale.
inline constexpr double kScoreScale = 1048576.0;  // 2^20

// Reads this rank's two slices once and builds the blocks of every fit from
// them (the main fit and the ranking part read the file once). Explicit:
// training entries are the scored train rows (value = score). Implicit: every
// train row (value = weight per ImplicitWeights; rows of weight 0 are left
// out). Validates the slices (indices in range, sorted, scores on the scale,
// codes known) and throws IoError naming the dataset, the orientation and the row.
LocalData read_local_data(const std::string& dataset_path, const io::DatasetHeader& header,
                          const dist::Block& users, const dist::Block& anime,
                          const std::vector<EntryRule>& rules);

}  // namespace animerec::train
