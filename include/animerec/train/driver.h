#pragma once
// The iteration loop of a fit: runs an AlsFit for its iterations, records
// each iteration's metrics (progress line, --metrics-out, history), keeps the
// best iteration and stops early, honours stop requests at iteration
// boundaries agreed by all ranks, and asks for checkpoints. The main fit and
// the ranking part run under the same driver with different DriverOptions.

#include <functional>
#include <string>
#include <vector>

#include "animerec/dist/comm.h"
#include "animerec/train/als_fit.h"

namespace animerec::train {

struct DriverOptions {
  int iterations = 15;
  int early_stop_patience = 0;  // 0 = off
  double tolerance = 1e-4;      // smallest improvement of the validation metric that counts
  bool keeps_best = true;       // keep a copy of the best iteration (for early stopping)
  bool stoppable = true;        // stop requests end the loop; else the fit runs to its end
  int checkpoint_every = 0;     // periodic checkpoints (needs a checkpoint writer)
  std::string metrics_out;      // JSON lines, one per iteration ("" = none)
  bool append_metrics = false;  // resumed: --metrics-out continues the file
  std::string metrics_part;     // "part" of its lines: "" (none) = the main fit
  std::string stage;            // prefix of progress lines
  bool quiet = false;
  int stop_after_iterations = 0;  // test hook: a stop request after N completed iterations
};

// What the driver knows beyond the fit's current factors: what a checkpoint stores.
struct DriverProgress {
  int iteration = 0;  // completed iterations
  FitState best;
  int best_iteration = 0;
  double best_metric = 0;
  int bad_iterations = 0;
  std::vector<std::string> history;  // one JSON line per iteration
  // Early stopping keeps a copy of the best iteration's factors once a
  // validation metric exists (the metric stays infinite without a validation
  // split, also after a resume, so stale copies from a checkpoint are never used).
  bool has_best() const;
};

enum class DriverOutcome {
  kFinished,        // all iterations, or stopped early on the validation metric
  kStoppedSaved,    // a stop request; checkpoint written
  kStoppedUnsaved,  // a stop request; no checkpoint writer, nothing saved
};

class Driver {
 public:
  // Writes a checkpoint of the fit and progress (rank 0 writes; every rank calls).
  using CheckpointWriter =
      std::function<void(const AlsFit&, const DriverProgress&, const std::string& why)>;

  Driver(const DriverOptions& o, dist::Comm& comm, CheckpointWriter checkpoint = {});

  // Starts `fit` (fresh, or from a checkpoint's factors and progress) and runs
  // its remaining iterations. Every rank calls it together.
  DriverOutcome run(AlsFit& fit, const FitState* resumed_state,
                    const DriverProgress* resumed_progress);
  const DriverProgress& progress() const { return p_; }
  void say(const std::string& line) const;

 private:
  bool stop_requested(int completed);
  double record_iteration(AlsFit& fit, double seconds);
  std::vector<IterationCost> gather_costs(const IterationCost& mine);
  void say_cost_summary() const;
  bool update_early_stopping(const AlsFit& fit, double metric, bool lower_is_better);

  DriverOptions o_;
  dist::Comm& comm_;
  CheckpointWriter checkpoint_;
  DriverProgress p_;
  bool lower_is_better_ = true;
  // Rank 0: each rank's cost summed over this run's iterations (not resumed ones).
  std::vector<IterationCost> cost_sums_;
  int cost_iterations_ = 0;
};

}  // namespace animerec::train
