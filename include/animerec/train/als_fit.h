#pragma once
// One ALS fit on this rank's blocks: both sides' factors, the two
// half-sweeps, the hybrid prior and the metrics of an iteration. It knows
// nothing of iteration counts, early stopping, checkpoints or files: the
// driver (train/driver.h) runs it. The main fit and the ranking part are two
// AlsFits over the same TrainingData, with their own FitOptions and blocks.

#include <Eigen/Dense>
#include <cstdint>
#include <memory>
#include <string>

#include "animerec/als/sweep.h"
#include "animerec/als/types.h"
#include "animerec/dist/comm.h"
#include "animerec/dist/metered_comm.h"
#include "animerec/train/factor_exchange.h"
#include "animerec/train/hybrid.h"
#include "animerec/train/training_data.h"

namespace animerec::train {

struct FitOptions {
  als::AlsOptions als;
  double init_scale = 0.1;
  uint64_t seed = 42;
  size_t blocks = kMainFit;            // which of TrainingData::local.fits it learns from
  std::string exchange = "allgather";  // the FactorExchange strategy (--exchange)
  float mu = 0;                        // global mean (explicit)
  std::string lambda_flag;             // named when the fit diverges ("--lambda")
  std::string init_scale_flag;         // named when the initial factors overflow
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

// Where one rank's time went in an iteration (docs/outputs.md, "per_rank"),
// on a monotonic clock. Measuring changes no value the fit computes.
struct IterationCost {
  double solve_seconds = 0;  // solving this rank's rows, both half-sweeps
  // The process's CPU time (all threads) in those solves: on a shared or
  // oversubscribed machine, what the work cost without the waits for a core.
  double solve_cpu_seconds = 0;
  double gram_seconds =
      0;  // Y^T Y (implicit): each rank its 1/P of the chunks, then their exchange
  double metrics_seconds = 0;  // the iteration's metrics, after the timed half-sweeps
  // The finite check right after each solve is the first collective after
  // it: its time is mostly waiting for the slowest rank (load imbalance).
  dist::Traffic wait;
  dist::Traffic exchange;  // the factor exchange of both sides (--exchange)
  dist::Traffic prior;     // the content prior's reductions (hybrid only)
};

class AlsFit {
 public:
  // `hybrid` (may be null) and everything referenced must outlive the fit.
  // The fit moves factors through its own FactorExchange (o.exchange).
  AlsFit(const FitOptions& o, const TrainingData& data, dist::Comm& comm,
         const HybridPrior* hybrid);

  // Initial factors (a hash of seed, side, id and column: the same for any
  // partition) or the resumed ones, then the hybrid's first map.
  void start(const FitState* resumed);
  // Solves this rank's rows of one side, checks them, and exchanges them.
  // `iteration` (1-based, the one in progress) is for messages.
  void half_sweep(bool users_side, int iteration);
  IterationMetrics metrics();
  // This rank's cost since start() or the previous call (not collective).
  IterationCost take_cost();
  // The hybrid's map fitted to `anime` (collective); empty without the prior.
  Eigen::MatrixXd refit_content(const als::SideState& anime) const;

  const FitState& state() const { return state_; }
  const FitOptions& options() const { return o_; }
  // The whole job's training entries of this fit (for the ratings/s line).
  int64_t train_entries() const { return data_.train_entries.at(o_.blocks); }
  const HybridPrior* hybrid() const { return hybrid_; }

 private:
  void check_finite(const als::SweepStats& stats, bool users_side, int iteration);
  void check_initial_factors() const;
  const Eigen::MatrixXd& timed_gram(const als::FactorMatrix& other);
  als::SweepStats timed_solve(const als::RatingBlock& block, const als::SideState& other,
                              const Eigen::MatrixXd* gram, als::SideState& self,
                              const als::BlockPrior* prior);
  Eigen::MatrixXd shared_gram(const als::FactorMatrix& y);

  FitOptions o_;
  const TrainingData& data_;
  const FitBlocks& blocks_;
  dist::Comm& comm_;
  // One meter per kind of communication, all over comm_ (declared before the
  // exchange that uses one).
  dist::MeteredComm exchange_comm_{comm_};
  dist::MeteredComm prior_comm_{comm_};
  dist::MeteredComm check_comm_{comm_};
  std::unique_ptr<FactorExchange> exchange_;
  IterationCost cost_;   // the clock-measured parts since the last take_cost()
  IterationCost taken_;  // the meters' readings at the last take_cost()
  const HybridPrior* hybrid_;
  FitState state_;
  Eigen::MatrixXd gram_;
  // gram_ holds Y^T Y of the current anime factors: the metrics of an
  // iteration compute it, and the next user half-sweep reuses it.
  bool gram_is_anime_ = false;
};

}  // namespace animerec::train
