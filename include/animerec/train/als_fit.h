#pragma once
// One ALS fit on this rank's blocks: both sides' factors, the two
// half-sweeps, the hybrid prior and the metrics of an iteration. It knows
// nothing of iteration counts, early stopping, checkpoints or files: the
// driver (train/driver.h) runs it. The main fit and the ranking part are two
// AlsFits over the same TrainingData, with their own FitOptions and blocks.

#include <Eigen/Dense>
#include <cstdint>
#include <string>

#include "animerec/als/sweep.h"
#include "animerec/als/types.h"
#include "animerec/dist/comm.h"
#include "animerec/train/factor_exchange.h"
#include "animerec/train/hybrid.h"
#include "animerec/train/training_data.h"

namespace animerec::train {

struct FitOptions {
  als::AlsOptions als;
  double init_scale = 0.1;
  uint64_t seed = 42;
  size_t blocks = kMainFit;     // which of TrainingData::local.fits it learns from
  float mu = 0;                 // global mean (explicit)
  std::string lambda_flag;      // named when the fit diverges ("--lambda")
  std::string init_scale_flag;  // named when the initial factors overflow
};

// What a fit restarts from: both sides and, with the hybrid prior, its map.
struct FitState {
  als::SideState users, anime;
  Eigen::MatrixXd content_w;  // hybrid only: [W | w_b] refit from `anime`
};

// An iteration's metrics, summed exactly over the ranks. The validation
// metric is RMSE (explicit, lower is better) or NDCG@10 (implicit), NaN
// without a validation split.
struct IterationMetrics {
  double train = 0, validation = 0;
  const char* train_name = "";
  const char* validation_name = "";
  bool lower_is_better = true;
};

class AlsFit {
 public:
  // `hybrid` (may be null) and everything referenced must outlive the fit.
  AlsFit(const FitOptions& o, const TrainingData& data, FactorExchange& exchange, dist::Comm& comm,
         const HybridPrior* hybrid);

  // Initial factors (a hash of seed, side, id and column: the same for any
  // partition) or the resumed ones, then the hybrid's first map.
  void start(const FitState* resumed);
  // Solves this rank's rows of one side, checks them, and exchanges them.
  // `iteration` (1-based, the one in progress) is for messages.
  void half_sweep(bool users_side, int iteration);
  IterationMetrics metrics();
  // The hybrid's map fitted to `anime` (collective); empty without the prior.
  Eigen::MatrixXd refit_content(const als::SideState& anime) const;

  const FitState& state() const { return state_; }
  const FitOptions& options() const { return o_; }
  // The whole job's training entries of this fit (for the ratings/s line).
  int64_t train_entries() const { return data_.train_entries.at(o_.blocks); }
  const HybridPrior* hybrid() const { return hybrid_; }

 private:
  void check_finite(const als::SweepStats& stats, bool users_side, int iteration) const;
  void check_initial_factors() const;

  FitOptions o_;
  const TrainingData& data_;
  const FitBlocks& blocks_;
  FactorExchange& exchange_;
  dist::Comm& comm_;
  const HybridPrior* hybrid_;
  FitState state_;
  Eigen::MatrixXd gram_;
  // gram_ holds Y^T Y of the current anime factors: the metrics of an
  // iteration compute it, and the next user half-sweep reuses it.
  bool gram_is_anime_ = false;
};

}  // namespace animerec::train
