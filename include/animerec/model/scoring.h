#pragma once
// How a model scores anime for users: the one definition that recommend,
// batch recommendations and evaluate share (docs/recommend.md).
//
// Two numbers per (user, anime):
//   predicted score  mu + b_u + b_i + x_u . y_i  (explicit; x_u . y_i implicit), unclipped;
//   ranking score    what recommendations are ordered by: the predicted score,
//                    or, for a model with a ranking part,
//                    p_u . q_i + blend * (predicted score - mu),
//                    where p, q are the ranking part's implicit factors.
// Both are computed for a block of users at once as a matrix product, so a
// caller can score many users with one GEMM.

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/model/model.h"

namespace animerec::model {

// Users x anime, row-major like the factor matrices.
using ScoreMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The user side of the scores for a block of users: rows of the model, or
// users folded in from their ratings (serve/fold_in.h).
struct UserVectors {
  als::FactorMatrix factors;  // n x k
  std::vector<float> bias;    // n (zeros for implicit models)
  als::FactorMatrix ranking;  // n x ranking k; 0 x 0 without a ranking part
  size_t size() const { return bias.size(); }
};

// Rows [first, first + count) of the model's users.
UserVectors model_users(const Model& m, int32_t first, int32_t count);
// The given rows of the model's users, in that order (evaluate scores the
// users that have held-out items, which are not contiguous).
UserVectors model_users(const Model& m, std::span<const int32_t> rows);

// Predicted scores of every anime for every user in `u` (unclipped).
ScoreMatrix predicted_scores(const Model& m, const UserVectors& u);

// Ranking scores from the predicted scores of the same users (which they
// equal without a ranking part).
ScoreMatrix ranking_scores(const Model& m, const UserVectors& u, const ScoreMatrix& predicted);

// How much anime's (predicted - mean) counts in its ranking score: the ranking
// part's blend, or the cold map's own blend for a cold anime. Needs m.ranking.
double ranking_blend_of(const Model& m, int32_t anime);

// Both at once for one user, as doubles (the serial recommend path).
struct UserScores {
  std::vector<double> predicted;
  std::vector<double> ranking;
};
UserScores score_user(const Model& m, const UserVectors& u, size_t row = 0);

}  // namespace animerec::model
