#pragma once
// The hybrid prior (docs/content.md): anime factors are pulled toward a linear
// map of their content vectors, y_i ~ W^T x_i and c_i ~ w_b . x_i, and the map
// [W | w_b] (F x (k+1)) is refit after every anime half-sweep by ridge
// regression over the anime with training ratings:
//   [W | w_b] = (X^T X + mu I)^-1 X^T [Y | c].
//
// Determinism: each rank holds the content rows of its anime block only. The
// sums X^T X and X^T [Y | c] are accumulated per rank in fixed point
// (kContentFixedScale) and combined with the exact int64 allreduce, so every
// rank gets the same integers whatever the partition; the double solve that
// follows runs single-threaded and identically on every rank.
//
// Overflow: every term is checked against max_fixed_term() before it is added:
// |term| * scale * n_anime < 2^63, so no partial or total sum of at most
// n_anime terms per matrix entry can overflow. With the 2^32 scale and 25,000
// anime the bound is |x_f y_c| < 85,899 (content entries are <= the largest
// group weight, factors are O(1)); a term beyond it throws an Error that says so.

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/content/content.h"
#include "animerec/dist/comm.h"
#include "animerec/dist/partition.h"

namespace animerec::train {

inline constexpr double kContentFixedScale = 4294967296.0;  // 2^32

// For every anime, 1 when it has rows in `block` on some rank ("has training
// ratings" or interactions); every rank gets the whole vector.
std::vector<uint8_t> gather_warm_flags(const als::RatingBlock& block,
                                       const std::vector<int64_t>& bounds, dist::Comm& comm);

// The largest |term| that may enter a fixed-point sum over n_anime anime.
double max_fixed_term(int64_t n_anime);

class HybridPrior {
 public:
  // Builds the vocabulary from the anime with training ratings (non-empty rows
  // of every rank's anime block, gathered so every rank sees all flags), this
  // rank's content rows, and the reduced X^T X + ridge I, factorised once.
  HybridPrior(const data::AnimeMeta& meta, const als::RatingBlock& anime_block,
              const std::vector<int64_t>& anime_bounds, const content::ContentOptions& options,
              double lambda, double ridge, int factors, dist::Comm& comm);
  // The same over a given vocabulary (the ranking part's prior reuses the main
  // fit's, so one stored set of content vectors serves both maps); `warm` still
  // comes from `anime_block`, the anime this fit has interactions for.
  HybridPrior(const data::AnimeMeta& meta, const als::RatingBlock& anime_block,
              const std::vector<int64_t>& anime_bounds, const content::Vocabulary& vocabulary,
              const content::ContentOptions& options, double lambda, double ridge, int factors,
              dist::Comm& comm);

  // [W | w_b] (F x (k+1)) fitted to the warm anime rows of `anime` (the
  // rank's own block is read; every rank must call this together).
  Eigen::MatrixXd refit(const als::SideState& anime, dist::Comm& comm) const;

  // Prior means of the block's rows under the map w.
  als::BlockPrior block_prior(const Eigen::MatrixXd& w) const;

  // Sets every cold row of the rank's block (no training ratings) to its
  // content prediction: factors W^T x, and bias w_b . x when explicit.
  void set_cold_rows(const Eigen::MatrixXd& w, bool explicit_feedback, als::SideState& anime) const;

  const content::Vocabulary& vocabulary() const { return vocab_; }
  const std::vector<uint8_t>& warm() const { return warm_; }
  double lambda() const { return lambda_; }
  double ridge() const { return ridge_; }

 private:
  Eigen::VectorXd row_prediction(const Eigen::MatrixXd& w, int32_t local_row) const;
  // Content rows of this rank's block and the factorised X^T X + ridge I.
  void build_system(const data::AnimeMeta& meta, const als::RatingBlock& anime_block,
                    const content::ContentOptions& options, dist::Comm& comm);

  double lambda_;
  double ridge_;
  int k_;
  int64_t n_anime_;
  std::vector<uint8_t> warm_;  // all anime: 1 = has training ratings
  content::Vocabulary vocab_;
  content::ContentMatrix rows_;  // this rank's anime block
  // X^T X + ridge I (F x F) factorised once: LLT, LDLT when not positive
  // definite (only possible with ridge 0).
  Eigen::LLT<Eigen::MatrixXd> llt_;
  Eigen::LDLT<Eigen::MatrixXd> ldlt_;
  bool use_ldlt_ = false;
};

}  // namespace animerec::train
