#pragma once
// `animerec train`: distributed ALS over the ranks of a Comm.
//
// Each rank reads its user block and its anime block of the training ratings
// once (blocks balanced by rating count, dist/partition.h; train/training_data.h).
// A driver (train/driver.h: the loop, metrics, early stopping, stop requests,
// checkpoints) runs a fit (train/als_fit.h: the half-sweeps) for the main model
// and then, for an explicit model with --ranking-factors, for its ranking part.
// One iteration:
//   1. users:  every rank solves its users against the other side, then the
//              factor exchange (train/factor_exchange.h, --exchange) shares them;
//   2. anime:  the same with the sides swapped.
// Determinism: initial factors are a hash of (seed, side, external id, column);
// each row is solved from its own entries in column order; sums that decide
// anything (global mean, metrics for early stopping) are exact fixed-point
// integer sums. The model is therefore bit-identical for any rank or thread count.

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "animerec/als/types.h"
#include "animerec/config/params.h"
#include "animerec/content/content.h"
#include "animerec/dist/comm.h"
#include "animerec/train/local_data.h"

namespace animerec::train {

// The defaults are the parameter table's (config::default_*), so options built
// in code train the same model as an empty command line (train/options.h
// builds them from the command line).
struct TrainOptions {
  static int int_default(const char* name) {
    return static_cast<int>(config::default_int("train", name));
  }
  static double number_default(const char* name) { return config::default_double("train", name); }

  std::string dataset_path;
  std::string out_path;
  bool overwrite = config::default_bool("train", "overwrite");
  als::AlsOptions als;
  ImplicitWeights weights;
  // The hybrid prior (docs/content.md): 0 = plain ALS, the solver untouched.
  double lambda_content = number_default("lambda-content");
  double content_ridge = number_default("content-ridge");  // mu of the W regression
  content::ContentOptions content;
  int iterations = int_default("iterations");
  std::string exchange = config::default_text("train", "exchange");  // FactorExchange (--exchange)
  // The ranking part (model/model.h RankingPart) of an explicit model: after
  // the main fit, implicit ALS with these settings on every interaction.
  // 0 factors = no ranking part.
  int ranking_factors = int_default("ranking-factors");
  double ranking_alpha = number_default("ranking-alpha");
  double ranking_lambda = number_default("ranking-lambda");
  double ranking_lambda_exponent = number_default("ranking-lambda-exponent");
  double ranking_alpha0 = number_default("ranking-alpha0");
  bool ranking_frequency_ridge = false;  // --ranking-regularization frequency
  als::SolverKind ranking_solver =
      als::solver_from_name(config::default_text("train", "ranking-solver"));
  int ranking_cg_steps = int_default("ranking-cg-steps");  // 0 = the main fit's cg_steps
  int ranking_iterations = int_default("ranking-iterations");
  double ranking_blend = number_default("ranking-blend");
  // The ranking part's content prior (0 = none): its anime factors pulled
  // toward a map of the hybrid part's content vectors; needs lambda_content > 0.
  double ranking_lambda_content = number_default("ranking-lambda-content");
  double ranking_content_ridge = number_default("ranking-content-ridge");
  double ranking_popularity_weight = number_default("ranking-popularity-weight");
  double ranking_cold_ridge = number_default("ranking-cold-ridge");  // 0 = no cold map
  double ranking_cold_popularity_exponent = number_default("ranking-cold-popularity-exponent");
  double ranking_cold_blend = number_default("ranking-cold-blend");
  int early_stop_patience = int_default("early-stop-patience");  // 0 = off
  // Smallest improvement of the validation metric that counts.
  double tolerance = number_default("tolerance");
  int validation_users = int_default("validation-users");  // implicit: users for NDCG@10
  double init_scale = number_default("init-scale");
  uint64_t seed = static_cast<uint64_t>(config::default_int("train", "seed"));
  int threads = int_default("threads");                    // 0 = OpenMP's default (OMP_NUM_THREADS)
  int checkpoint_every = int_default("checkpoint-every");  // 0 = no periodic checkpoints
  std::string checkpoint_dir;
  std::string resume_path;
  std::string metrics_out;  // JSON lines, one per iteration ("" = none)
  // Bytes one rank may use (--memory-limit); 0 = detect (core/resources.h).
  uint64_t memory_limit = 0;
  bool quiet = config::default_bool("train", "quiet");
  std::string command_line;
  std::map<std::string, std::string> config;  // effective parameters, stored in the model
  // Test hook: stop as if SIGUSR1 arrived after this many completed
  // iterations (0 = never). Lets tests interrupt at an exact point.
  int stop_after_iterations = 0;
};

// Parameters that change the trained model: a checkpoint made with other
// values (or another dataset) is refused on --resume. The parameter table's
// kShapesModel rows of train (train/options.cpp).
const std::vector<std::string>& model_shaping_params();

// The hyperparameters a model trained with `o` stores for fold-in.
model::Hyperparameters model_hyperparameters(const TrainOptions& o);

// Makes SIGINT, SIGTERM and SIGUSR1 request a stop at the next iteration
// boundary instead of ending the process (a second SIGINT ends it at once).
// `train` installs them before MPI starts, so a signal that arrives while
// ranks start or read is not fatal.
void install_stop_handlers();

// Runs the whole training on every rank of `comm`; rank 0 writes the model.
// Returns kExitOk; after a stop request kExitInterrupted (checkpoint written)
// or kExitStoppedUnsaved (no --checkpoint-dir, nothing written).
int run_training(const TrainOptions& options, dist::Comm& comm);

}  // namespace animerec::train
