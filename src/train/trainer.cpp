#include "animerec/train/trainer.h"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "animerec/core/atomic_file.h"
#include "animerec/core/build_info.h"
#include "animerec/core/error.h"
#include "animerec/core/manifest.h"
#include "animerec/core/run_lock.h"
#include "animerec/io/library_version.h"
#include "animerec/io/model_file.h"
#include "animerec/train/als_fit.h"
#include "animerec/train/cold_map.h"
#include "animerec/train/driver.h"
#include "animerec/train/factor_exchange.h"
#include "animerec/train/hybrid.h"
#include "animerec/train/popularity.h"
#include "animerec/train/training_data.h"

namespace animerec::train {

namespace {

// Bytes the rank holds for its ratings, per rating of its user block (the
// anime block holds the same number on average).
double storage_bytes_per_rating(const FitBlocks& f) {
  auto bytes = [](const als::RatingBlock& b) {
    return static_cast<double>(b.cols.size() * sizeof(int32_t) + b.values.size() * sizeof(float) +
                               b.offsets.size() * sizeof(int64_t));
  };
  double entries = static_cast<double>(f.user_block.nnz() + f.anime_block.nnz()) / 2.0;
  return entries > 0 ? (bytes(f.user_block) + bytes(f.anime_block)) / entries : 0.0;
}

// Rank 0 holds a lock on the model file and the checkpoint directory for the
// whole run, so a second run aimed at either is refused before any work.
std::vector<std::unique_ptr<RunLock>> lock_outputs(const TrainOptions& o) {
  std::vector<std::unique_ptr<RunLock>> locks;
  if (!o.out_path.empty()) {
    locks.push_back(std::make_unique<RunLock>(lock_path_for_file(o.out_path), "--out " + o.out_path,
                                              "wait for it or choose another --out"));
  }
  if (!o.checkpoint_dir.empty()) {
    locks.push_back(std::make_unique<RunLock>(lock_path_for_dir(o.checkpoint_dir),
                                              "--checkpoint-dir " + o.checkpoint_dir,
                                              "wait for it or choose another --checkpoint-dir"));
  }
  return locks;
}

FitOptions main_fit_options(const TrainOptions& o, const TrainingData& d) {
  FitOptions f;
  f.als = o.als;
  f.init_scale = o.init_scale;
  f.seed = o.seed;
  f.blocks = kMainFit;
  f.exchange = o.exchange;
  f.mu = d.mu;
  f.lambda_flag = "--lambda";
  f.init_scale_flag = "--init-scale";
  return f;
}

// The ranking part: implicit ALS on every interaction (confidence 1 + alpha *
// weight), solved by its own solver (CG by default, with the main fit's steps
// unless --ranking-cg-steps says otherwise), with the main fit's seed, initial
// scale and weights.
FitOptions ranking_fit_options(const TrainOptions& o) {
  FitOptions f;
  f.als = o.als;
  f.als.feedback = als::Feedback::kImplicit;
  f.als.factors = o.ranking_factors;
  f.als.alpha = o.ranking_alpha;
  f.als.lambda = o.ranking_lambda;
  f.als.lambda_exponent = o.ranking_lambda_exponent;
  f.als.alpha0 = o.ranking_alpha0;
  f.als.ridge_counts_unobserved = o.ranking_frequency_ridge;
  f.als.solver = o.ranking_solver;
  if (o.ranking_cg_steps > 0) f.als.cg_steps = o.ranking_cg_steps;
  f.init_scale = o.init_scale;
  f.seed = o.seed;
  f.blocks = kRankingFit;
  f.exchange = o.exchange;
  f.mu = 0;
  f.lambda_flag = "--ranking-lambda";
  f.init_scale_flag = "--init-scale";
  return f;
}

DriverOptions main_driver_options(const TrainOptions& o) {
  DriverOptions d;
  d.iterations = o.iterations;
  d.early_stop_patience = o.early_stop_patience;
  d.tolerance = o.tolerance;
  d.checkpoint_every = o.checkpoint_every;
  d.metrics_out = o.metrics_out;
  d.append_metrics = !o.resume_path.empty();
  d.quiet = o.quiet;
  d.stop_after_iterations = o.stop_after_iterations;
  return d;
}

// No checkpoints, no early stopping and no stop: a stop request that arrives
// now is honoured by finishing this short fit and writing the model. Its
// iterations follow the main fit's in --metrics-out, marked "part": "ranking"
// (their validation NDCG@10 lets scripts/tune prune on the ranking part).
DriverOptions ranking_driver_options(const TrainOptions& o) {
  DriverOptions d;
  d.iterations = o.ranking_iterations;
  d.keeps_best = false;
  d.stoppable = false;
  d.metrics_out = o.metrics_out;
  d.append_metrics = true;
  d.metrics_part = "ranking";
  d.stage = "ranking part: ";
  d.quiet = o.quiet;
  return d;
}

// A checkpoint accepted for --resume, as the fit and the driver take it.
struct Resumed {
  FitState state;
  DriverProgress progress;
};

// One `train` run: reads the data once, runs the main fit and the ranking
// part under the driver, and writes the model, its manifest and checkpoints.
class TrainingRun {
 public:
  TrainingRun(const TrainOptions& o, dist::Comm& comm) : o_(o), comm_(comm) {}
  int run();

 private:
  void say(const std::string& line) const;
  void check_resumable(const model::Checkpoint& c) const;
  std::optional<Resumed> read_resume() const;
  void describe_start() const;
  model::Model assemble_model(const AlsFit& fit, const DriverProgress& p, bool best,
                              bool with_content) const;
  model::ContentPart assemble_content(const Eigen::MatrixXd& w) const;
  model::Checkpoint assemble_checkpoint(const AlsFit& fit, const DriverProgress& p) const;
  void write_checkpoint(const AlsFit& fit, const DriverProgress& p, const std::string& why);
  model::RankingPart fit_ranking_part();
  void set_cold_map(model::RankingPart& r) const;
  void write_model(model::Model m);
  std::string run_manifest(const model::Model& m) const;

  const TrainOptions& o_;
  dist::Comm& comm_;
  int threads_ = 1;
  TrainingData data_;
  std::unique_ptr<HybridPrior> hybrid_;  // null for plain ALS
  std::string started_;                  // for the run manifest
  std::vector<std::string> hosts_;       // of every rank, for the run manifest
};

void TrainingRun::say(const std::string& line) const {
  if (comm_.rank() == 0 && !o_.quiet) std::fprintf(stderr, "%s\n", line.c_str());
}

int TrainingRun::run() {
  if (o_.threads > 0) omp_set_num_threads(o_.threads);
  threads_ = omp_get_max_threads();
  std::vector<std::unique_ptr<RunLock>> locks;
  if (comm_.rank() == 0) locks = lock_outputs(o_);
  started_ = utc_now_iso8601();
  refuse_existing(o_.out_path, o_.overwrite, "--out");
  refuse_existing(path_beside(o_.out_path, ".run"), o_.overwrite, "--out's run manifest");
  install_stop_handlers();
  // Each fit makes its own exchange; an unknown --exchange fails here, before any data is read.
  make_factor_exchange(o_.exchange, comm_);
  data_ = load_training_data(o_, threads_, comm_, [this](const std::string& l) { say(l); });
  if (o_.lambda_content > 0) {
    hybrid_ = std::make_unique<HybridPrior>(data_.meta, data_.local.fits[kMainFit].anime_block,
                                            data_.anime_bounds, o_.content, o_.lambda_content,
                                            o_.content_ridge, o_.als.factors, comm_);
  }
  hosts_ = comm_.allgather(host_name());
  const std::optional<Resumed> resumed = read_resume();
  describe_start();

  AlsFit fit(main_fit_options(o_, data_), data_, comm_, hybrid_.get());
  Driver::CheckpointWriter checkpoint;
  if (!o_.checkpoint_dir.empty()) {
    checkpoint = [this](const AlsFit& f, const DriverProgress& p, const std::string& why) {
      write_checkpoint(f, p, why);
    };
  }
  Driver driver(main_driver_options(o_), comm_, checkpoint);
  const DriverOutcome outcome =
      driver.run(fit, resumed ? &resumed->state : nullptr, resumed ? &resumed->progress : nullptr);
  if (outcome == DriverOutcome::kStoppedSaved) return kExitInterrupted;
  if (outcome == DriverOutcome::kStoppedUnsaved) return kExitStoppedUnsaved;

  model::Model m;
  if (comm_.rank() == 0) m = assemble_model(fit, driver.progress(), true, true);
  if (has_ranking_part(o_)) {
    data_.local.fits[kMainFit] = FitBlocks{};  // the main fit is done with its ratings
    model::RankingPart part = fit_ranking_part();
    if (comm_.rank() == 0) m.ranking = std::move(part);
  }
  write_model(std::move(m));
  return kExitOk;
}

void TrainingRun::describe_start() const {
  if (hybrid_) {
    say(fmt::format("hybrid prior: lambda-content {}, {} content features", o_.lambda_content,
                    hybrid_->vocabulary().size()));
  }
  say(fmt::format(
      "training {} ALS, k = {}, on {} ratings ({} users, {} anime), {} rank(s) x {} thread(s)",
      als::feedback_name(o_.als.feedback), o_.als.factors, data_.train_entries[kMainFit],
      data_.header.n_users(), data_.header.n_anime(), comm_.size(), threads_));
  say(fmt::format("rating storage on rank 0: {:.1f} bytes per rating (both orientations)",
                  storage_bytes_per_rating(data_.local.fits[kMainFit])));
  // A warning, not progress: shown under --quiet too.
  if (o_.early_stop_patience > 0 && data_.validation_rows == 0 && comm_.rank() == 0) {
    std::fprintf(stderr,
                 "animerec: warning: --early-stop-patience is set but the dataset has no "
                 "validation split; running all iterations\n");
  }
}

// A checkpoint is accepted only for the same dataset, the same model-shaping
// parameters and an iteration the run has not passed: a run resumed past its
// --iterations would write a model of more iterations than its manifest says.
void TrainingRun::check_resumable(const model::Checkpoint& c) const {
  if (c.current.dataset_sha256 != data_.sha256) {
    throw ConfigError(
        fmt::format("--resume {}: the checkpoint was made from another dataset (sha256 {}, "
                    "{} has {})",
                    o_.resume_path, c.current.dataset_sha256, o_.dataset_path, data_.sha256));
  }
  for (const auto& name : model_shaping_params()) {
    auto was = c.current.config.find(name);
    auto now = o_.config.find(name);
    std::string a = was == c.current.config.end() ? "(unset)" : was->second;
    std::string b = now == o_.config.end() ? "(unset)" : now->second;
    if (a != b) {
      throw ConfigError(
          fmt::format("--resume {}: --{} was {} in the checkpoint but is {} now; a resumed "
                      "run must use the parameters that shaped the checkpoint",
                      o_.resume_path, name, a, b));
    }
  }
  if (static_cast<size_t>(c.current.user_factors.rows()) != data_.header.n_users() ||
      static_cast<size_t>(c.current.anime_factors.rows()) != data_.header.n_anime()) {
    throw ConfigError(
        fmt::format("--resume {}: factor shapes do not match the dataset", o_.resume_path));
  }
  if (c.iteration > o_.iterations) {
    throw ConfigError(fmt::format(
        "--resume {}: the checkpoint is after iteration {}, past --iterations {}; resume with "
        "--iterations {} or more",
        o_.resume_path, c.iteration, o_.iterations, c.iteration));
  }
}

std::optional<Resumed> TrainingRun::read_resume() const {
  if (o_.resume_path.empty()) return std::nullopt;
  model::Checkpoint c = io::read_checkpoint(o_.resume_path);
  check_resumable(c);
  Resumed r;
  r.state.users = als::SideState{c.current.user_factors, c.current.user_bias};
  r.state.anime = als::SideState{c.current.anime_factors, c.current.anime_bias};
  r.progress.iteration = c.iteration;
  r.progress.best.users = als::SideState{c.best_user_factors, c.best_user_bias};
  r.progress.best.anime = als::SideState{c.best_anime_factors, c.best_anime_bias};
  r.progress.best_iteration = c.best_iteration;
  r.progress.best_metric = c.best_metric;
  r.progress.bad_iterations = c.bad_iterations;
  r.progress.history = c.current.history;
  say(fmt::format("resumed from {} after iteration {}", o_.resume_path, c.iteration));
  return r;
}

void TrainingRun::write_checkpoint(const AlsFit& fit, const DriverProgress& p,
                                   const std::string& why) {
  const std::string path = (std::filesystem::path(o_.checkpoint_dir) / "checkpoint.h5").string();
  if (comm_.rank() == 0) {
    io::write_checkpoint(assemble_checkpoint(fit, p), path);
    say(fmt::format("checkpoint after iteration {} ({}): {}", p.iteration, why, path));
  }
  comm_.barrier();
}

// Rank 0 builds every anime's content row here (build_content is pure, so
// the rows equal the ones the ranks trained with).
model::ContentPart TrainingRun::assemble_content(const Eigen::MatrixXd& w) const {
  const content::Vocabulary& v = hybrid_->vocabulary();
  const content::ContentMatrix rows = content::build_content(
      data_.meta, v, 0, static_cast<int32_t>(data_.header.n_anime()), o_.content);
  model::ContentPart c;
  c.lambda_content = o_.lambda_content;
  c.ridge = o_.content_ridge;
  c.names = v.names;
  c.groups = v.groups;
  c.idf = v.idf;
  c.offsets = rows.offsets;
  c.cols = rows.cols;
  c.values = rows.values;
  c.w = w.leftCols(o_.als.factors).cast<float>();
  c.w_bias.resize(static_cast<size_t>(w.rows()));
  for (Eigen::Index f = 0; f < w.rows(); ++f) {
    c.w_bias[static_cast<size_t>(f)] = static_cast<float>(w(f, o_.als.factors));
  }
  return c;
}

model::Model TrainingRun::assemble_model(const AlsFit& fit, const DriverProgress& p, bool best,
                                         bool with_content) const {
  model::Model m;
  const bool use_best = best && p.has_best();
  const FitState& s = use_best ? p.best : fit.state();
  m.feedback = o_.als.feedback;
  m.hyperparameters = model_hyperparameters(o_);
  m.factors = o_.als.factors;
  m.global_mean = data_.mu;
  m.score_min = data_.header.score_min;
  m.score_max = data_.header.score_max;
  m.user_ids = data_.header.user_ids;
  m.anime_ids = data_.header.anime_ids;
  m.anime_titles = data_.titles;
  m.user_factors = s.users.factors;
  m.anime_factors = s.anime.factors;
  m.user_bias = s.users.bias;
  m.anime_bias = s.anime.bias;
  m.history = p.history;
  m.best_iteration = use_best ? p.best_iteration : p.iteration;
  m.config = o_.config;
  m.seed = o_.seed;
  m.ranks = comm_.size();
  m.threads = threads_;
  m.dataset_sha256 = data_.sha256;
  m.program_version = program_version();
  m.build_commit = build_commit();
  m.created = utc_now_iso8601();
  // Checkpoints leave the content out: resuming recomputes W from the factors.
  if (hybrid_ && with_content) m.content = assemble_content(s.content_w);
  return m;
}

model::Checkpoint TrainingRun::assemble_checkpoint(const AlsFit& fit,
                                                   const DriverProgress& p) const {
  model::Checkpoint c;
  c.current = assemble_model(fit, p, false, false);
  c.iteration = p.iteration;
  const FitState& b = p.has_best() ? p.best : fit.state();
  c.best_user_factors = b.users.factors;
  c.best_anime_factors = b.anime.factors;
  c.best_user_bias = b.users.bias;
  c.best_anime_bias = b.anime.bias;
  c.best_iteration = p.best_iteration;
  c.best_metric = p.best_metric;
  c.bad_iterations = p.bad_iterations;
  return c;
}

// The ranking part of an explicit model: the same driver over an implicit
// fit of the blocks read with the main ones; writes nothing itself.
model::RankingPart TrainingRun::fit_ranking_part() {
  const FitOptions f = ranking_fit_options(o_);
  Driver driver(ranking_driver_options(o_), comm_);
  driver.say(fmt::format(
      "implicit ALS, k = {}, alpha {}, alpha0 {}, lambda {} ({}, exponent {}), {}, "
      "on {} interactions",
      f.als.factors, f.als.alpha, f.als.alpha0, f.als.lambda,
      f.als.ridge_counts_unobserved ? "frequency" : "count", f.als.lambda_exponent,
      f.als.solver == als::SolverKind::kCholesky ? std::string("Cholesky")
                                                 : fmt::format("{} CG steps", f.als.cg_steps),
      data_.train_entries[kRankingFit]));
  // The ranking prior maps the hybrid part's content vectors (one vocabulary
  // for both maps); "warm" here means having any training interaction.
  std::unique_ptr<HybridPrior> prior;
  if (o_.ranking_lambda_content > 0) {
    prior = std::make_unique<HybridPrior>(data_.meta, data_.local.fits[kRankingFit].anime_block,
                                          data_.anime_bounds, hybrid_->vocabulary(), o_.content,
                                          o_.ranking_lambda_content, o_.ranking_content_ridge,
                                          f.als.factors, comm_);
    driver.say(fmt::format("ranking prior: lambda-content {}, content-ridge {}",
                           o_.ranking_lambda_content, o_.ranking_content_ridge));
  }
  AlsFit fit(f, data_, comm_, prior.get());
  driver.run(fit, nullptr, nullptr);
  model::RankingPart r;
  r.alpha = f.als.alpha;
  r.lambda = f.als.lambda;
  r.alpha0 = f.als.alpha0;
  r.lambda_exponent = f.als.lambda_exponent;
  r.ridge_counts_unobserved = f.als.ridge_counts_unobserved;
  r.blend = o_.ranking_blend;
  r.user_factors = fit.state().users.factors;
  r.anime_factors = fit.state().anime.factors;
  if (prior) {
    r.lambda_content = o_.ranking_lambda_content;
    r.content_ridge = o_.ranking_content_ridge;
    r.content_w = fit.state().content_w.leftCols(f.als.factors).cast<float>();
    // After the fit, so the term never feeds back into the users' solves.
    if (o_.ranking_popularity_weight > 0) {
      r.popularity = fit_popularity_term(data_.meta.members, prior->warm(), r.anime_factors,
                                         o_.ranking_popularity_weight);
      add_popularity_to_cold(*r.popularity, data_.meta.members, prior->warm(), r.anime_factors);
    }
  }
  if (o_.ranking_cold_ridge > 0) set_cold_map(r);
  return r;
}

// The cold map replaces the cold anime's ranking factors (from the prior, or
// whatever the fit left without interactions) after the fit, so the warm
// factors are the fit's own.
void TrainingRun::set_cold_map(model::RankingPart& r) const {
  const std::vector<uint8_t> warm =
      gather_warm_flags(data_.local.fits[kRankingFit].anime_block, data_.anime_bounds, comm_);
  const content::ContentMatrix rows =
      content::build_content(data_.meta, hybrid_->vocabulary(), 0,
                             static_cast<int32_t>(data_.header.n_anime()), o_.content);
  ColdMapOptions c;
  c.ridge = o_.ranking_cold_ridge;
  c.popularity_exponent = o_.ranking_cold_popularity_exponent;
  c.blend = o_.ranking_cold_blend;
  bool members_used = false;
  r.cold_map = fit_cold_map(rows, data_.meta.members, warm, r.anime_factors, c, &members_used);
  set_cold_factors(*r.cold_map, rows, data_.meta.members, warm, r.anime_factors);
  r.cold.resize(warm.size());
  for (size_t i = 0; i < warm.size(); ++i) r.cold[i] = warm[i] ? 0 : 1;
  say(fmt::format("ranking cold map: ridge {}, popularity exponent {}, blend {}; {} cold anime{}",
                  c.ridge, c.popularity_exponent, c.blend,
                  std::count(r.cold.begin(), r.cold.end(), uint8_t{1}),
                  members_used ? "" : " (member counts unknown or all equal: from content alone)"));
}

// The manifest goes into the model and beside it (model.h5 -> model.run.json).
void TrainingRun::write_model(model::Model m) {
  if (comm_.rank() == 0) {
    m.manifest = run_manifest(m);
    io::write_model(m, o_.out_path, o_.overwrite);
    const std::string manifest_path = path_beside(o_.out_path, ".run");
    write_manifest_file(nlohmann::json::parse(m.manifest), manifest_path, o_.overwrite,
                        "--out's run manifest");
    say(fmt::format("wrote {} (iteration {}) and {}", o_.out_path, m.best_iteration,
                    manifest_path));
  }
  comm_.barrier();
}

std::string TrainingRun::run_manifest(const model::Model& m) const {
  RunRecord r;
  r.command = "train";
  r.command_line = o_.command_line;
  r.config = o_.config;
  r.dataset_path = o_.dataset_path;
  r.dataset_sha256 = data_.sha256;
  r.ranks = comm_.size();
  r.threads = threads_;
  r.seed = o_.seed;
  r.hosts = hosts_;
  r.started = started_;
  r.finished = utc_now_iso8601();
  r.runtime_libraries = {{"mpi", comm_.library_version()}, {"hdf5", io::hdf5_library_version()}};
  // The final metrics: the last iteration's line (the model may keep an
  // earlier, better iteration: /@best_iteration).
  if (!m.history.empty()) r.metrics = nlohmann::json::parse(m.history.back());
  return manifest_json(r).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

int run_training(const TrainOptions& options, dist::Comm& comm) {
  return TrainingRun(options, comm).run();
}

}  // namespace animerec::train
