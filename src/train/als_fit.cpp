#include "animerec/train/als_fit.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>

#include "animerec/als/sweep.h"
#include "animerec/core/error.h"
#include "animerec/core/hash.h"
#include "animerec/core/memory.h"
#include "animerec/train/metrics.h"

namespace animerec::train {

namespace {

using als::FactorMatrix;
using als::SideState;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// User and system CPU seconds of the whole process (every thread) so far.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6;
  };
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

constexpr uint64_t kSaltUsers = 0x7573657273ULL;  // "users"
constexpr uint64_t kSaltAnime = 0x616e696d65ULL;  // "anime"

// Every row solve reads the other side's factor rows at random (a user
// matrix of 51 MB on the heavy-skew set): with 4 KiB pages nearly every
// read also misses the TLB. Sizes `f` in fresh storage advised to huge pages
// before its first touch. Measured on the heavy-skew set of
// bench/train_bench.sh (k = 64, 1 rank x 2 threads): explicit CG 1.08 ->
// 0.88 s per iteration. Where THP is off the advice does nothing.
void resize_on_huge_pages(FactorMatrix& f, Eigen::Index rows, Eigen::Index cols) {
  f = FactorMatrix();  // frees the old storage first: no second copy at the peak
  f.resize(rows, cols);
  advise_huge_pages(f.data(), sizeof(float) * static_cast<size_t>(f.size()));
}

// Uniform in [-scale, scale] / sqrt(k) from a hash of the row's external id:
// the same values whatever the partition.
FactorMatrix initial_factors(const std::vector<int64_t>& ids, int k, uint64_t seed, uint64_t salt,
                             double scale) {
  FactorMatrix f;
  resize_on_huge_pages(f, static_cast<Eigen::Index>(ids.size()), k);
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

void resume_side(const SideState& from, SideState& to) {
  resize_on_huge_pages(to.factors, from.factors.rows(), from.factors.cols());
  to.factors = from.factors;  // same size: copies into the advised storage
  to.bias = from.bias;
}

SideState initial_side(const std::vector<int64_t>& ids, const FitOptions& o, uint64_t salt) {
  SideState s;
  s.factors = initial_factors(ids, o.als.factors, o.seed, salt, o.init_scale);
  s.bias.assign(ids.size(), 0.0f);
  return s;
}

}  // namespace

AlsFit::AlsFit(const FitOptions& o, const TrainingData& data, dist::Comm& comm,
               const HybridPrior* hybrid)
    : o_(o),
      data_(data),
      blocks_(data.local.fits.at(o.blocks)),
      comm_(comm),
      exchange_(make_factor_exchange(o.exchange, exchange_comm_)),
      hybrid_(hybrid) {}

void AlsFit::start(const FitState* resumed) {
  if (resumed != nullptr) {
    resume_side(resumed->users, state_.users);
    resume_side(resumed->anime, state_.anime);
  } else {
    state_.users = initial_side(data_.header.user_ids, o_, kSaltUsers);
    state_.anime = initial_side(data_.header.anime_ids, o_, kSaltAnime);
    check_initial_factors();
  }
  // The map used by the first anime half-sweep is the refit of the anime
  // factors we start from. On --resume the checkpoint's factors give the W of
  // its last iteration again, bit for bit, so checkpoints need not store W.
  if (hybrid_ != nullptr) state_.content_w = hybrid_->refit(state_.anime, prior_comm_);
  take_cost();  // the first iteration's cost starts here
}

IterationCost AlsFit::take_cost() {
  IterationCost c = cost_;
  c.wait = check_comm_.traffic() - taken_.wait;
  c.exchange = exchange_comm_.traffic() - taken_.exchange;
  c.prior = prior_comm_.traffic() - taken_.prior;
  cost_ = IterationCost{};
  taken_.wait = check_comm_.traffic();
  taken_.exchange = exchange_comm_.traffic();
  taken_.prior = prior_comm_.traffic();
  return c;
}

// Every rank holds every factor, so each could form Y^T Y alone; instead rank
// r forms the chunks c with c % P == r, the ranks exchange them (P x 64 k x k
// doubles at most), and every rank adds all chunks in chunk order: the same
// matrix, bit for bit, as one rank forming it, for 1/P of the flops.
Eigen::MatrixXd AlsFit::shared_gram(const als::FactorMatrix& y) {
  const int parts = comm_.size();
  const auto k = static_cast<Eigen::Index>(y.cols());
  const auto kk = static_cast<size_t>(k * k);
  std::vector<Eigen::MatrixXd> chunks = als::gram_chunks(y, comm_.rank(), parts);
  const auto n = static_cast<int64_t>(chunks.size());
  std::vector<int64_t> counts(static_cast<size_t>(parts), 0);
  for (int64_t c = 0; c < n; ++c)
    counts[static_cast<size_t>(c % parts)] += static_cast<int64_t>(kk);
  std::vector<double> mine;
  mine.reserve(static_cast<size_t>(counts[static_cast<size_t>(comm_.rank())]));
  for (int64_t c = comm_.rank(); c < n; c += parts)
    mine.insert(mine.end(), chunks[static_cast<size_t>(c)].data(),
                chunks[static_cast<size_t>(c)].data() + kk);
  std::vector<double> all(static_cast<size_t>(n) * kk);
  comm_.allgatherv(std::span<const double>(mine), std::span<double>(all), counts);
  std::vector<int64_t> first(static_cast<size_t>(parts) + 1, 0);
  for (size_t r = 0; r < counts.size(); ++r) first[r + 1] = first[r] + counts[r];
  for (int64_t c = 0; c < n; ++c) {
    const double* at = all.data() + first[static_cast<size_t>(c % parts)] +
                       static_cast<int64_t>(c / parts) * static_cast<int64_t>(kk);
    chunks[static_cast<size_t>(c)] = Eigen::Map<const Eigen::MatrixXd>(at, k, k);
  }
  return als::gram_from_chunks(chunks, k);
}

const Eigen::MatrixXd& AlsFit::timed_gram(const als::FactorMatrix& other) {
  const auto start = Clock::now();
  gram_ = comm_.size() == 1 ? als::gram_matrix(other) : shared_gram(other);
  cost_.gram_seconds += seconds_since(start);
  return gram_;
}

// A scale whose factors do not fit a float would surface as a diverged first
// iteration; name the parameter that caused it instead.
void AlsFit::check_initial_factors() const {
  const double largest = o_.init_scale / std::sqrt(static_cast<double>(o_.als.factors));
  if (!std::isfinite(static_cast<float>(largest))) {
    throw ConfigError(fmt::format(
        "{} {}: the initial factors (up to {} / sqrt({}) = {:g}) do not fit a float; use a "
        "small scale such as the default 0.1",
        o_.init_scale_flag, o_.init_scale, o_.init_scale, o_.als.factors, largest));
  }
}

Eigen::MatrixXd AlsFit::refit_content(const als::SideState& anime) const {
  return hybrid_ != nullptr ? hybrid_->refit(anime, comm_) : Eigen::MatrixXd();
}

void AlsFit::check_finite(const als::SweepStats& stats, bool users_side, int iteration) {
  // The first non-finite row of the whole job: every rank contributes its own.
  std::vector<int64_t> firsts(static_cast<size_t>(comm_.size()), -1);
  std::vector<int64_t> mine{stats.first_nonfinite_row};
  check_comm_.allgatherv(std::span<const int64_t>(mine), firsts,
                         std::vector<int64_t>(firsts.size(), 1));
  for (int64_t row : firsts) {
    if (row < 0) continue;
    const auto& ids = users_side ? data_.header.user_ids : data_.header.anime_ids;
    // Huge initial factors overflow in the first products: name both causes then.
    std::string advice = iteration == 1
                             ? fmt::format("try a larger {} or a smaller {} (now {})",
                                           o_.lambda_flag, o_.init_scale_flag, o_.init_scale)
                             : fmt::format("try a larger {}", o_.lambda_flag);
    throw Error(fmt::format("training diverged: a non-finite factor or bias in iteration {}, {} "
                            "side, row {} (external id {}); {}",
                            iteration, users_side ? "user" : "anime", row,
                            ids[static_cast<size_t>(row)], advice),
                kExitInternal);
  }
  // A warning, not progress: shown under --quiet too.
  if (stats.ldlt_fallbacks > 0) {
    std::fprintf(
        stderr,
        "animerec: warning (rank %d): %lld %s rows were not positive definite; solved with LDLT\n",
        comm_.rank(), static_cast<long long>(stats.ldlt_fallbacks), users_side ? "user" : "anime");
  }
}

// solve_block, its wall and CPU seconds added to the iteration's cost.
als::SweepStats AlsFit::timed_solve(const als::RatingBlock& block, const SideState& other,
                                    const Eigen::MatrixXd* gram, SideState& self,
                                    const als::BlockPrior* prior) {
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  const als::SweepStats stats = als::solve_block(block, other, o_.mu, gram, o_.als, self, prior);
  cost_.solve_seconds += seconds_since(start);
  cost_.solve_cpu_seconds += process_cpu_seconds() - cpu_start;
  return stats;
}

void AlsFit::half_sweep(bool users_side, int iteration) {
  SideState& self = users_side ? state_.users : state_.anime;
  const SideState& other = users_side ? state_.anime : state_.users;
  const als::RatingBlock& block = users_side ? blocks_.user_block : blocks_.anime_block;
  const Eigen::MatrixXd* gram = nullptr;
  if (o_.als.feedback == als::Feedback::kImplicit) {
    if (!(users_side && gram_is_anime_)) timed_gram(other.factors);
    gram_is_anime_ = false;  // users' gram now, or the anime factors are about to change
    gram = &gram_;
  }
  if (!users_side && hybrid_ != nullptr) {
    // Solve with the prior of the current map, refit the map, then give the
    // cold anime of this block their content prediction before the exchange.
    const als::BlockPrior prior = hybrid_->block_prior(state_.content_w);
    check_finite(timed_solve(block, other, gram, self, &prior), false, iteration);
    state_.content_w = hybrid_->refit(self, prior_comm_);
    hybrid_->set_cold_rows(state_.content_w, o_.als.feedback == als::Feedback::kExplicit, self);
  } else {
    check_finite(timed_solve(block, other, gram, self, nullptr), users_side, iteration);
  }
  exchange_->exchange(self, users_side ? data_.user_bounds : data_.anime_bounds,
                      users_side ? data_.local.users : data_.local.anime);
}

// Metrics of the iteration just finished, summed exactly across ranks.
IterationMetrics AlsFit::metrics() {
  const auto start = Clock::now();
  const double gram_before = cost_.gram_seconds;
  const bool explicit_fb = o_.als.feedback == als::Feedback::kExplicit;
  const SideState& users = state_.users;
  const SideState& anime = state_.anime;
  ExactSum train, valid;
  if (explicit_fb) {
    train = squared_errors(blocks_.user_block, users, anime, o_.mu);
    valid = squared_errors(data_.local.validation, users, anime, o_.mu);
  } else {
    timed_gram(anime.factors);
    gram_is_anime_ = true;
    // The implicit objective of this rank's users (it decides nothing, so one
    // rounded term per rank is exact enough).
    train.add(als::implicit_block_loss(blocks_.user_block, users, anime, gram_, o_.als).total());
    valid =
        ndcg_at_10(data_.local.validation, blocks_.user_block, users, anime, data_.sampled_users);
  }
  std::vector<int64_t> sums{train.fixed, train.count, valid.fixed, valid.count};
  comm_.allreduce_sum(sums);
  train = ExactSum{sums[0], sums[1]};
  valid = ExactSum{sums[2], sums[3]};
  IterationMetrics m;
  m.train = explicit_fb ? std::sqrt(train.mean()) : train.value();
  m.validation = valid.count == 0 ? NAN : (explicit_fb ? std::sqrt(valid.mean()) : valid.mean());
  m.train_name = explicit_fb ? "train_rmse" : "train_loss";
  m.validation_name = explicit_fb ? "validation_rmse" : "validation_ndcg10";
  m.lower_is_better = explicit_fb;
  cost_.metrics_seconds += seconds_since(start) - (cost_.gram_seconds - gram_before);
  return m;
}

}  // namespace animerec::train
