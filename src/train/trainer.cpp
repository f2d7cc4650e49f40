#include "animerec/train/trainer.h"

#include <fmt/format.h>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <memory>

#include "animerec/als/sweep.h"
#include "animerec/core/atomic_file.h"
#include "animerec/core/build_info.h"
#include "animerec/core/error.h"
#include "animerec/core/hash.h"
#include "animerec/core/manifest.h"
#include "animerec/core/resources.h"
#include "animerec/core/run_lock.h"
#include "animerec/core/sha256.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/library_version.h"
#include "animerec/io/model_file.h"
#include "animerec/train/hybrid.h"
#include "animerec/train/metrics.h"

namespace animerec::train {

namespace {

using als::FactorMatrix;
using als::SideState;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kSaltUsers = 0x7573657273ULL;       // "users"
constexpr uint64_t kSaltAnime = 0x616e696d65ULL;       // "anime"
constexpr uint64_t kSaltValidation = 0x76616c6964ULL;  // "valid"

volatile std::sig_atomic_t g_stop_signal = 0;
extern "C" void on_stop_signal(int sig) { g_stop_signal = sig; }

// Uniform in [-scale, scale] / sqrt(k) from a hash of the row's external id:
// the same values whatever the partition.
FactorMatrix initial_factors(const std::vector<int64_t>& ids, int k, uint64_t seed, uint64_t salt,
                             double scale) {
  FactorMatrix f(static_cast<Eigen::Index>(ids.size()), k);
  double s = scale / std::sqrt(static_cast<double>(k));
  for (size_t i = 0; i < ids.size(); ++i) {
    for (int c = 0; c < k; ++c) {
      uint64_t h =
          hash_combine(seed, salt, static_cast<uint64_t>(ids[i]), static_cast<uint64_t>(c));
      f(static_cast<Eigen::Index>(i), c) = static_cast<float>((2.0 * unit_interval(h) - 1.0) * s);
    }
  }
  return f;
}

SideState initial_side(const std::vector<int64_t>& ids, const TrainOptions& o, uint64_t salt) {
  SideState s;
  s.factors = initial_factors(ids, o.als.factors, o.seed, salt, o.init_scale);
  s.bias.assign(ids.size(), 0.0f);
  return s;
}

// Bytes the rank holds for its ratings, per rating of its user block (the
// anime block holds the same number on average).
double storage_bytes_per_rating(const LocalData& l) {
  auto bytes = [](const als::RatingBlock& b) {
    return static_cast<double>(b.cols.size() * sizeof(int32_t) + b.values.size() * sizeof(float) +
                               b.offsets.size() * sizeof(int64_t));
  };
  double entries = static_cast<double>(l.user_block.nnz() + l.anime_block.nnz()) / 2.0;
  return entries > 0 ? (bytes(l.user_block) + bytes(l.anime_block)) / entries : 0.0;
}

// The longest row of a block: the CG solver gathers a whole row at once.
int64_t longest_row(const std::vector<int64_t>& offsets, const dist::Block& b) {
  int64_t longest = 0;
  for (int64_t r = b.begin; r < b.end; ++r) {
    longest =
        std::max(longest, offsets[static_cast<size_t>(r) + 1] - offsets[static_cast<size_t>(r)]);
  }
  return longest;
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

// Everything that changes from iteration to iteration.
struct State {
  SideState users, anime;
  int iteration = 0;  // completed iterations
  SideState best_users, best_anime;
  int best_iteration = 0;
  double best_metric = 0;
  int bad_iterations = 0;
  std::vector<std::string> history;
  // Hybrid only: [W | w_b] refit from `anime` (and from `best_anime`).
  Eigen::MatrixXd content_w, best_content_w;
};

class Trainer {
 public:
  Trainer(const TrainOptions& o, dist::Comm& comm) : o_(o), comm_(comm) {}
  int run();
  // Fits an implicit model from scratch with these options, for the ranking
  // part of another model; writes nothing.
  model::RankingPart fit_ranking_part();

 private:
  void load();
  void check_memory(const dist::Block& users, const dist::Block& anime);
  void start_or_resume();
  void start_hybrid();
  void anime_half_sweep_hybrid(const Eigen::MatrixXd* gram);
  model::ContentPart assemble_content(bool use_best) const;
  void half_sweep(bool users_side);
  void exchange(SideState& side, const std::vector<int64_t>& boundaries, const dist::Block& mine);
  bool stop_requested(int completed);
  double record_iteration(double seconds);
  bool update_early_stopping(double metric);
  void write_checkpoint(const std::string& why);
  model::Model assemble_model(bool best, bool with_content) const;
  model::Checkpoint assemble_checkpoint() const;
  bool has_best() const;
  std::string checkpoint_path() const;
  void check_finite(const als::SweepStats& stats, bool users_side);
  void say(const std::string& line) const;
  void write_model(model::Model m);
  std::string run_manifest(const model::Model& m) const;

  const TrainOptions& o_;
  dist::Comm& comm_;
  io::DatasetHeader header_;
  std::string dataset_sha256_;
  std::vector<int64_t> user_bounds_, anime_bounds_;
  LocalData local_;
  float mu_ = 0;
  int64_t total_train_entries_ = 0;
  int64_t validation_rows_ = 0;
  std::vector<uint8_t> sampled_users_;
  Eigen::MatrixXd gram_;
  // gram_ holds Y^T Y of the current anime factors: the metrics of an
  // iteration compute it, and the next user half-sweep reuses it.
  bool gram_is_anime_ = false;
  std::vector<std::string> titles_;  // rank 0: for every model and checkpoint written
  State st_;
  int threads_ = 1;
  data::AnimeMeta meta_;                 // hybrid only
  std::unique_ptr<HybridPrior> hybrid_;  // null for plain ALS
  std::string stage_;                    // prefix of progress lines
  std::string started_;                  // for the run manifest
  std::vector<std::string> hosts_;       // of every rank, for the run manifest
};

// The options of the ranking part's implicit fit: the main run's data,
// seed, threads and implicit weights, none of its outputs.
TrainOptions ranking_options(const TrainOptions& o) {
  TrainOptions r = o;
  r.als.feedback = als::Feedback::kImplicit;
  r.als.factors = o.ranking_factors;
  r.als.alpha = o.ranking_alpha;
  r.als.lambda = o.ranking_lambda;
  r.als.lambda_exponent = 1.0;
  r.als.solver = als::SolverKind::kConjugateGradient;
  r.iterations = o.ranking_iterations;
  r.ranking_factors = 0;
  r.lambda_content = 0;
  r.early_stop_patience = 0;
  r.checkpoint_every = 0;
  r.checkpoint_dir.clear();
  r.resume_path.clear();
  r.metrics_out.clear();
  r.out_path.clear();
  r.stop_after_iterations = 0;
  return r;
}

void Trainer::say(const std::string& line) const {
  if (comm_.rank() == 0 && !o_.quiet) std::fprintf(stderr, "%s%s\n", stage_.c_str(), line.c_str());
}

void Trainer::load() {
  header_ = io::read_dataset_header(o_.dataset_path);
  std::string sha = comm_.rank() == 0 ? sha256_file(o_.dataset_path) : std::string();
  comm_.broadcast(sha, 0);
  dataset_sha256_ = sha;
  user_bounds_ = dist::balanced_blocks(header_.user_offsets, comm_.size());
  anime_bounds_ = dist::balanced_blocks(header_.anime_offsets, comm_.size());
  const dist::Block my_users = dist::block_of(user_bounds_, comm_.rank());
  const dist::Block my_anime = dist::block_of(anime_bounds_, comm_.rank());
  check_memory(my_users, my_anime);
  local_ =
      read_local_data(o_.dataset_path, header_, my_users, my_anime, o_.als.feedback, o_.weights);

  std::vector<int64_t> sums{local_.train_score_sum_fixed, local_.train_scored,
                            local_.user_block.nnz(),
                            static_cast<int64_t>(local_.validation.row.size())};
  comm_.allreduce_sum(sums);
  if (o_.als.feedback == als::Feedback::kExplicit) {
    if (sums[1] == 0) throw Error(fmt::format("{}: no scored training ratings", o_.dataset_path));
    mu_ = static_cast<float>(static_cast<double>(sums[0]) / kScoreScale /
                             static_cast<double>(sums[1]));
  }
  total_train_entries_ = sums[2];
  validation_rows_ = sums[3];
  if (total_train_entries_ == 0)
    throw Error(fmt::format("{}: no training ratings", o_.dataset_path));

  // Implicit validation ranks every anime for a user: sample about
  // validation_users users by a hash of their id, so the sample is the same
  // for any rank count.
  sampled_users_.assign(header_.n_users(), 0);
  double share = std::min(1.0, static_cast<double>(o_.validation_users) /
                                   std::max<double>(1.0, static_cast<double>(header_.n_users())));
  for (size_t u = 0; u < header_.n_users(); ++u) {
    uint64_t h = hash_combine(o_.seed, kSaltValidation, static_cast<uint64_t>(header_.user_ids[u]));
    sampled_users_[u] = unit_interval(h) < share;
  }
  if (o_.lambda_content > 0) {
    meta_ = io::read_anime_meta(o_.dataset_path);
    if (comm_.rank() == 0) titles_ = meta_.title;
    hybrid_ =
        std::make_unique<HybridPrior>(meta_, local_.anime_block, anime_bounds_, o_.content,
                                      o_.lambda_content, o_.content_ridge, o_.als.factors, comm_);
  } else if (comm_.rank() == 0) {
    titles_ = io::read_anime_titles(o_.dataset_path);
  }
}

// Before any rating is read or factor allocated: every rank estimates its own
// peak and compares it with what it may use; if any rank cannot fit, every
// rank throws the same message (that of the rank short of the most), so the
// job ends with exit 2 whichever rank aborts first.
void Trainer::check_memory(const dist::Block& users, const dist::Block& anime) {
  TrainMemoryInputs in;
  in.users = static_cast<int64_t>(header_.n_users());
  in.anime = static_cast<int64_t>(header_.n_anime());
  in.user_block_rows = users.size();
  in.anime_block_rows = anime.size();
  in.user_block_ratings = header_.user_offsets[static_cast<size_t>(users.end)] -
                          header_.user_offsets[static_cast<size_t>(users.begin)];
  in.anime_block_ratings = header_.anime_offsets[static_cast<size_t>(anime.end)] -
                           header_.anime_offsets[static_cast<size_t>(anime.begin)];
  in.max_row_ratings =
      std::max(longest_row(header_.user_offsets, users), longest_row(header_.anime_offsets, anime));
  in.factors = o_.als.factors;
  in.threads = threads_;
  in.implicit = o_.als.feedback == als::Feedback::kImplicit;
  in.conjugate_gradient = o_.als.solver == als::SolverKind::kConjugateGradient;
  // Shares of the rows from the counts prepare recorded (all rows if absent).
  auto share = [&](const char* name, double otherwise) {
    auto it = header_.provenance.counts.find(name);
    if (it == header_.provenance.counts.end() || header_.n_ratings <= 0) return otherwise;
    return static_cast<double>(it->second) / static_cast<double>(header_.n_ratings);
  };
  in.train_share = share("split_train_rows", 1.0);
  in.validation_share = share("split_validation_rows", 0.1);
  in.keeps_best = in.validation_share > 0;
  in.writes_files = comm_.rank() == 0;
  in.checkpoints = !o_.checkpoint_dir.empty();
  in.resumes = !o_.resume_path.empty();
  if (o_.als.feedback == als::Feedback::kExplicit) in.ranking_factors = o_.ranking_factors;
  if (o_.lambda_content > 0) {
    // An upper bound: the studios and words kept plus the small fixed groups.
    in.content_features = o_.content.top_studios + o_.content.synopsis_vocabulary + 256;
  }
  const MemoryEstimate need = estimate_train_memory(in);
  const MemoryLimit limit =
      o_.memory_limit > 0
          ? MemoryLimit{o_.memory_limit, "--memory-limit " + format_bytes(o_.memory_limit)}
          : detect_memory_limit(comm_.size());
  const std::string breakdown = fmt::format(
      "about {} per rank (ratings {} + {} while reading, factors {}, workspace {})",
      format_bytes(need.total()), format_bytes(need.ratings), format_bytes(need.reading),
      format_bytes(need.factors), format_bytes(need.workspace + need.process));

  std::vector<int64_t> mine{static_cast<int64_t>(need.total()),
                            static_cast<int64_t>(std::min<uint64_t>(limit.bytes, INT64_MAX))};
  std::vector<int64_t> all(2 * static_cast<size_t>(comm_.size()));
  comm_.allgatherv(std::span<const int64_t>(mine), all, std::vector<int64_t>(all.size() / 2, 2));
  int worst = -1;
  double worst_ratio = 1.0;
  for (int r = 0; r < comm_.size(); ++r) {
    double ratio = static_cast<double>(all[2 * r]) / static_cast<double>(all[2 * r + 1]);
    if (ratio > worst_ratio) worst = r, worst_ratio = ratio;
  }
  if (worst < 0) {
    say(fmt::format("memory: {} on rank 0; {} available ({})", breakdown, format_bytes(limit.bytes),
                    limit.source));
    return;
  }
  std::string message = fmt::format(
      "train needs {}{} but only {} is available ({}); use more ranks (on more nodes), fewer "
      "--factors or fewer --threads, or set --memory-limit if the detected limit is wrong",
      breakdown, comm_.size() > 1 ? fmt::format(" on rank {}", comm_.rank()) : std::string(),
      format_bytes(limit.bytes), limit.source);
  comm_.broadcast(message, worst);
  throw Error(message);
}

// The map used by the first anime half-sweep is the refit of the anime
// factors we start from. On --resume the checkpoint's factors give the W of
// its last iteration again, bit for bit, so checkpoints need not store W.
void Trainer::start_hybrid() {
  if (!hybrid_) return;
  st_.content_w = hybrid_->refit(st_.anime, comm_);
  if (st_.best_anime.factors.size() > 0) st_.best_content_w = hybrid_->refit(st_.best_anime, comm_);
  say(fmt::format("hybrid prior: lambda-content {}, {} content features", o_.lambda_content,
                  hybrid_->vocabulary().size()));
}

// Solve with the prior of the current map, refit the map, then give the cold
// anime of this block their content prediction before the exchange.
void Trainer::anime_half_sweep_hybrid(const Eigen::MatrixXd* gram) {
  const als::BlockPrior prior = hybrid_->block_prior(st_.content_w);
  als::SweepStats stats =
      als::solve_block(local_.anime_block, st_.users, mu_, gram, o_.als, st_.anime, &prior);
  check_finite(stats, false);
  st_.content_w = hybrid_->refit(st_.anime, comm_);
  hybrid_->set_cold_rows(st_.content_w, o_.als.feedback == als::Feedback::kExplicit, st_.anime);
  exchange(st_.anime, anime_bounds_, local_.anime);
}

void Trainer::start_or_resume() {
  st_.users = initial_side(header_.user_ids, o_, kSaltUsers);
  st_.anime = initial_side(header_.anime_ids, o_, kSaltAnime);
  st_.best_metric = o_.als.feedback == als::Feedback::kExplicit ? INFINITY : -INFINITY;
  if (o_.resume_path.empty()) return;

  model::Checkpoint c = io::read_checkpoint(o_.resume_path);
  if (c.current.dataset_sha256 != dataset_sha256_) {
    throw ConfigError(
        fmt::format("--resume {}: the checkpoint was made from another dataset (sha256 {}, "
                    "{} has {})",
                    o_.resume_path, c.current.dataset_sha256, o_.dataset_path, dataset_sha256_));
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
  if (c.current.user_factors.rows() != st_.users.factors.rows() ||
      c.current.anime_factors.rows() != st_.anime.factors.rows()) {
    throw ConfigError(
        fmt::format("--resume {}: factor shapes do not match the dataset", o_.resume_path));
  }
  st_.users = SideState{c.current.user_factors, c.current.user_bias};
  st_.anime = SideState{c.current.anime_factors, c.current.anime_bias};
  st_.iteration = c.iteration;
  st_.best_users = SideState{c.best_user_factors, c.best_user_bias};
  st_.best_anime = SideState{c.best_anime_factors, c.best_anime_bias};
  st_.best_iteration = c.best_iteration;
  st_.best_metric = c.best_metric;
  st_.bad_iterations = c.bad_iterations;
  st_.history = c.current.history;
  say(fmt::format("resumed from {} after iteration {}", o_.resume_path, c.iteration));
}

void Trainer::exchange(SideState& side, const std::vector<int64_t>& boundaries,
                       const dist::Block& mine) {
  const int k = o_.als.factors;
  std::vector<int64_t> counts = dist::block_counts(boundaries, k);
  std::vector<float> gathered(static_cast<size_t>(side.factors.size()));
  comm_.allgatherv(std::span<const float>(side.factors.data() + mine.begin * k,
                                          static_cast<size_t>(mine.size() * k)),
                   gathered, counts);
  std::copy(gathered.begin(), gathered.end(), side.factors.data());
  std::vector<int64_t> bias_counts = dist::block_counts(boundaries, 1);
  std::vector<float> bias(side.bias.size());
  comm_.allgatherv(
      std::span<const float>(side.bias.data() + mine.begin, static_cast<size_t>(mine.size())), bias,
      bias_counts);
  side.bias = std::move(bias);
}

void Trainer::check_finite(const als::SweepStats& stats, bool users_side) {
  // The first non-finite row of the whole job: every rank contributes its own.
  std::vector<int64_t> firsts(static_cast<size_t>(comm_.size()), -1);
  std::vector<int64_t> mine{stats.first_nonfinite_row};
  comm_.allgatherv(std::span<const int64_t>(mine), firsts, std::vector<int64_t>(firsts.size(), 1));
  for (int64_t row : firsts) {
    if (row < 0) continue;
    const auto& ids = users_side ? header_.user_ids : header_.anime_ids;
    throw Error(
        fmt::format("training diverged: a non-finite factor or bias in iteration {}, {} side, "
                    "row {} (external id {}); try a larger --lambda",
                    st_.iteration + 1, users_side ? "user" : "anime", row,
                    ids[static_cast<size_t>(row)]),
        kExitInternal);
  }
  std::vector<int64_t> fallbacks{stats.ldlt_fallbacks};
  if (stats.ldlt_fallbacks > 0 && !o_.quiet) {
    std::fprintf(
        stderr,
        "animerec: warning (rank %d): %lld %s rows were not positive definite; solved with LDLT\n",
        comm_.rank(), static_cast<long long>(stats.ldlt_fallbacks), users_side ? "user" : "anime");
  }
}

void Trainer::half_sweep(bool users_side) {
  SideState& self = users_side ? st_.users : st_.anime;
  const SideState& other = users_side ? st_.anime : st_.users;
  const als::RatingBlock& block = users_side ? local_.user_block : local_.anime_block;
  const Eigen::MatrixXd* gram = nullptr;
  if (o_.als.feedback == als::Feedback::kImplicit) {
    if (!(users_side && gram_is_anime_)) gram_ = als::gram_matrix(other.factors);
    gram_is_anime_ = false;  // users' gram now, or the anime factors are about to change
    gram = &gram_;
  }
  if (!users_side && hybrid_) return anime_half_sweep_hybrid(gram);
  als::SweepStats stats = als::solve_block(block, other, mu_, gram, o_.als, self);
  check_finite(stats, users_side);
  exchange(self, users_side ? user_bounds_ : anime_bounds_,
           users_side ? local_.users : local_.anime);
}

bool Trainer::stop_requested(int completed) {
  int local =
      g_stop_signal != 0 || (o_.stop_after_iterations > 0 && completed >= o_.stop_after_iterations);
  return comm_.allreduce_max(local) != 0;
}

// Metrics of the iteration just finished, summed exactly across ranks.
double Trainer::record_iteration(double seconds) {
  bool explicit_fb = o_.als.feedback == als::Feedback::kExplicit;
  ExactSum train, valid;
  if (explicit_fb) {
    train = squared_errors(local_.user_block, st_.users, st_.anime, mu_);
    valid = squared_errors(local_.validation, st_.users, st_.anime, mu_);
  } else {
    gram_ = als::gram_matrix(st_.anime.factors);
    gram_is_anime_ = true;
    // The implicit objective of this rank's users (it decides nothing, so one
    // rounded term per rank is exact enough).
    train.add(
        als::implicit_block_loss(local_.user_block, st_.users, st_.anime, gram_, o_.als).total());
    valid = ndcg_at_10(local_.validation, local_.user_block, st_.users, st_.anime, sampled_users_);
  }
  std::vector<int64_t> sums{train.fixed, train.count, valid.fixed, valid.count};
  comm_.allreduce_sum(sums);
  train = ExactSum{sums[0], sums[1]};
  valid = ExactSum{sums[2], sums[3]};
  double train_metric = explicit_fb ? std::sqrt(train.mean()) : train.value();
  double valid_metric =
      valid.count == 0 ? NAN : (explicit_fb ? std::sqrt(valid.mean()) : valid.mean());
  double rate = 2.0 * static_cast<double>(total_train_entries_) / seconds;
  int remaining = o_.iterations - st_.iteration;
  const char* train_name = explicit_fb ? "train_rmse" : "train_loss";
  const char* valid_name = explicit_fb ? "validation_rmse" : "validation_ndcg10";
  std::string json = fmt::format(
      "{{\"iteration\": {}, \"{}\": {:.6f}, \"{}\": {}, \"seconds\": {:.3f}, "
      "\"ratings_per_second\": {:.0f}, "
      "\"eta_seconds\": {:.1f}}}",
      st_.iteration, train_name, train_metric, valid_name,
      std::isnan(valid_metric) ? std::string("null") : fmt::format("{:.6f}", valid_metric), seconds,
      rate, remaining * seconds);
  st_.history.push_back(json);
  std::string valid_text = std::isnan(valid_metric) ? "-" : fmt::format("{:.4f}", valid_metric);
  say(fmt::format("iter {:>3}/{}  {} {:.4f}  {} {}  {:.2f} s  {:.1f}M ratings/s  ETA {:.0f} s",
                  st_.iteration, o_.iterations, train_name, train_metric, valid_name, valid_text,
                  seconds, rate / 1e6, remaining * seconds));
  if (comm_.rank() == 0 && !o_.metrics_out.empty()) {
    FILE* f = std::fopen(o_.metrics_out.c_str(),
                         st_.iteration == 1 && o_.resume_path.empty() ? "w" : "a");
    if (f == nullptr) throw IoError(fmt::format("--metrics-out {}: cannot write", o_.metrics_out));
    std::fprintf(f, "%s\n", json.c_str());
    std::fclose(f);
  }
  return valid_metric;
}

// Returns true when training should stop early.
bool Trainer::update_early_stopping(double metric) {
  bool explicit_fb = o_.als.feedback == als::Feedback::kExplicit;
  if (std::isnan(metric)) {
    st_.best_iteration = st_.iteration;
    return false;
  }
  double gain = explicit_fb ? st_.best_metric - metric : metric - st_.best_metric;
  if (st_.best_iteration == 0 || gain > o_.tolerance) {
    st_.best_users = st_.users;
    st_.best_anime = st_.anime;
    st_.best_content_w = st_.content_w;
    st_.best_iteration = st_.iteration;
    st_.best_metric = metric;
    st_.bad_iterations = 0;
    return false;
  }
  ++st_.bad_iterations;
  return o_.early_stop_patience > 0 && st_.bad_iterations >= o_.early_stop_patience;
}

std::string Trainer::checkpoint_path() const {
  return (std::filesystem::path(o_.checkpoint_dir) / "checkpoint.h5").string();
}

void Trainer::write_checkpoint(const std::string& why) {
  if (o_.checkpoint_dir.empty()) return;
  if (comm_.rank() == 0) {
    io::write_checkpoint(assemble_checkpoint(), checkpoint_path());
    say(fmt::format("checkpoint after iteration {} ({}): {}", st_.iteration, why,
                    checkpoint_path()));
  }
  comm_.barrier();
}

// Rank 0 builds every anime's content row here (build_content is pure, so
// the rows equal the ones the ranks trained with).
model::ContentPart Trainer::assemble_content(bool use_best) const {
  const content::Vocabulary& v = hybrid_->vocabulary();
  const content::ContentMatrix rows =
      content::build_content(meta_, v, 0, static_cast<int32_t>(header_.n_anime()), o_.content);
  const Eigen::MatrixXd& w = use_best ? st_.best_content_w : st_.content_w;
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

// Early stopping keeps a copy of the best iteration's factors once a
// validation metric exists (the metric stays infinite without a validation
// split, also after a resume, so stale copies from a checkpoint are never used).
bool Trainer::has_best() const {
  return std::isfinite(st_.best_metric) && st_.best_users.factors.size() > 0;
}

model::Model Trainer::assemble_model(bool best, bool with_content) const {
  model::Model m;
  bool use_best = best && has_best();
  m.feedback = o_.als.feedback;
  m.hyperparameters = model_hyperparameters(o_);
  m.factors = o_.als.factors;
  m.global_mean = mu_;
  m.score_min = header_.score_min;
  m.score_max = header_.score_max;
  m.user_ids = header_.user_ids;
  m.anime_ids = header_.anime_ids;
  m.anime_titles = titles_;
  const SideState& u = use_best ? st_.best_users : st_.users;
  const SideState& a = use_best ? st_.best_anime : st_.anime;
  m.user_factors = u.factors;
  m.anime_factors = a.factors;
  m.user_bias = u.bias;
  m.anime_bias = a.bias;
  m.history = st_.history;
  m.best_iteration = use_best ? st_.best_iteration : st_.iteration;
  m.config = o_.config;
  m.seed = o_.seed;
  m.ranks = comm_.size();
  m.threads = threads_;
  m.dataset_sha256 = dataset_sha256_;
  m.program_version = program_version();
  m.build_commit = build_commit();
  m.created = utc_now_iso8601();
  // Checkpoints leave the content out: resuming recomputes W from the factors.
  if (hybrid_ && with_content) m.content = assemble_content(use_best);
  return m;
}

model::Checkpoint Trainer::assemble_checkpoint() const {
  model::Checkpoint c;
  c.current = assemble_model(false, false);
  c.iteration = st_.iteration;
  const SideState& bu = has_best() ? st_.best_users : st_.users;
  const SideState& ba = has_best() ? st_.best_anime : st_.anime;
  c.best_user_factors = bu.factors;
  c.best_anime_factors = ba.factors;
  c.best_user_bias = bu.bias;
  c.best_anime_bias = ba.bias;
  c.best_iteration = st_.best_iteration;
  c.best_metric = st_.best_metric;
  c.bad_iterations = st_.bad_iterations;
  return c;
}

int Trainer::run() {
  if (o_.threads > 0) omp_set_num_threads(o_.threads);
  threads_ = omp_get_max_threads();
  std::vector<std::unique_ptr<RunLock>> locks;
  if (comm_.rank() == 0) locks = lock_outputs(o_);
  started_ = utc_now_iso8601();
  refuse_existing(o_.out_path, o_.overwrite, "--out");
  refuse_existing(path_beside(o_.out_path, ".run"), o_.overwrite, "--out's run manifest");
  install_stop_handlers();
  load();
  hosts_ = comm_.allgather(host_name());
  start_or_resume();
  start_hybrid();
  say(fmt::format(
      "training {} ALS, k = {}, on {} ratings ({} users, {} anime), {} rank(s) x {} thread(s)",
      als::feedback_name(o_.als.feedback), o_.als.factors, total_train_entries_, header_.n_users(),
      header_.n_anime(), comm_.size(), threads_));
  say(fmt::format("rating storage on rank 0: {:.1f} bytes per rating (both orientations)",
                  storage_bytes_per_rating(local_)));
  if (o_.early_stop_patience > 0 && validation_rows_ == 0) {
    say("warning: --early-stop-patience is set but the dataset has no validation split; running "
        "all iterations");
  }
  while (st_.iteration < o_.iterations) {
    auto start = Clock::now();
    half_sweep(true);
    bool stop =
        stop_requested(st_.iteration);  // after a user half-sweep: finish the iteration first
    half_sweep(false);
    ++st_.iteration;
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    bool converged = update_early_stopping(record_iteration(seconds));
    stop = stop_requested(st_.iteration) || stop;
    if (stop && st_.iteration < o_.iterations && !converged) {
      if (o_.checkpoint_dir.empty()) {
        say("stop requested; no --checkpoint-dir, so nothing is saved");
      } else {
        write_checkpoint("stop requested");
      }
      return kExitInterrupted;
    }
    if (converged) {
      say(fmt::format("early stop: no gain over {} for {} iterations; keeping iteration {}",
                      o_.tolerance, st_.bad_iterations, st_.best_iteration));
      break;
    }
    if (o_.checkpoint_every > 0 && st_.iteration % o_.checkpoint_every == 0 &&
        st_.iteration < o_.iterations) {
      write_checkpoint("periodic");
    }
  }
  model::Model m;
  if (comm_.rank() == 0) m = assemble_model(true, true);
  if (o_.ranking_factors > 0 && o_.als.feedback == als::Feedback::kExplicit) {
    local_ = LocalData{};  // the ranking fit reads its own copy of the ratings
    const TrainOptions ranking = ranking_options(o_);
    model::RankingPart part = Trainer(ranking, comm_).fit_ranking_part();
    if (comm_.rank() == 0) m.ranking = std::move(part);
  }
  write_model(std::move(m));
  return kExitOk;
}

// The manifest goes into the model and beside it (model.h5 -> model.run.json).
void Trainer::write_model(model::Model m) {
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

std::string Trainer::run_manifest(const model::Model& m) const {
  RunRecord r;
  r.command = "train";
  r.command_line = o_.command_line;
  r.config = o_.config;
  r.dataset_path = o_.dataset_path;
  r.dataset_sha256 = dataset_sha256_;
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

// No checkpoints and no stop: a stop request that arrives now is honoured
// by finishing this short fit and writing the model (the main fit is done).
model::RankingPart Trainer::fit_ranking_part() {
  if (o_.threads > 0) omp_set_num_threads(o_.threads);
  threads_ = omp_get_max_threads();
  stage_ = "ranking part: ";
  load();
  start_or_resume();
  say(fmt::format("implicit ALS, k = {}, alpha {}, lambda {}, on {} interactions", o_.als.factors,
                  o_.als.alpha, o_.als.lambda, total_train_entries_));
  while (st_.iteration < o_.iterations) {
    auto start = Clock::now();
    half_sweep(true);
    half_sweep(false);
    ++st_.iteration;
    record_iteration(std::chrono::duration<double>(Clock::now() - start).count());
  }
  model::RankingPart r;
  r.alpha = o_.als.alpha;
  r.lambda = o_.als.lambda;
  r.blend = o_.ranking_blend;
  r.user_factors = std::move(st_.users.factors);
  r.anime_factors = std::move(st_.anime.factors);
  return r;
}

}  // namespace

// SIGTERM (scancel, mpirun's shutdown) and SIGUSR1 (SLURM --signal before the
// time limit) ask for a checkpoint and a clean exit, not an abrupt death.
void install_stop_handlers() {
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGUSR1, on_stop_signal);
}

int run_training(const TrainOptions& options, dist::Comm& comm) {
  return Trainer(options, comm).run();
}

}  // namespace animerec::train
