#include "animerec/als/kernel_bench.h"

#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "animerec/als/solver.h"
#include "animerec/als/sweep.h"
#include "animerec/als/types.h"

namespace animerec::als {

namespace {

using Clock = std::chrono::steady_clock;

// Depth of the plain GEMM: deep enough to run at Eigen's full speed.
constexpr int64_t kGemmDepth = 4096;
// Timed runs of the build and of the GEMM (the best is kept).
constexpr int kRuns = 3;
// Log-normal spread of row lengths: a median about half the mean and a long
// tail, like ratings per user (and per anime) on MyAnimeList.
constexpr double kRowLengthSigma = 1.2;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Row lengths (at least 1, at most other_rows) with the requested mean, and
// columns drawn with a popularity skew over a shuffled order, sorted, distinct.
RatingBlock synthetic_block(const KernelBenchOptions& o, std::mt19937_64& rng) {
  const double mean = static_cast<double>(o.entries) / static_cast<double>(o.rows);
  std::lognormal_distribution<double> length(std::log(mean) - kRowLengthSigma * kRowLengthSigma / 2,
                                             kRowLengthSigma);
  std::vector<int32_t> order(static_cast<size_t>(o.other_rows));
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_real_distribution<float> score(1.0f, 10.0f);

  RatingBlock block;
  std::vector<int32_t> cols;
  for (int64_t r = 0; r < o.rows; ++r) {
    const auto n = std::clamp<int64_t>(std::llround(length(rng)), 1, o.other_rows);
    cols.clear();
    for (int64_t i = 0; i < n; ++i) {
      // Density ~ 1/sqrt(rank): the most popular tenth gets about a third of the entries.
      const double u = unit(rng);
      cols.push_back(order[static_cast<size_t>(u * u * static_cast<double>(o.other_rows))]);
    }
    std::sort(cols.begin(), cols.end());
    cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
    for (int32_t c : cols) {
      block.cols.push_back(c);
      block.values.push_back(std::round(score(rng)));
    }
    block.offsets.push_back(static_cast<int64_t>(block.cols.size()));
  }
  return block;
}

SideState random_side(int64_t rows, int k, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f / std::sqrt(static_cast<float>(k)));
  SideState side;
  side.factors.resize(rows, k);
  for (Eigen::Index i = 0; i < side.factors.size(); ++i) side.factors.data()[i] = normal(rng);
  side.bias.assign(static_cast<size_t>(rows), 0.0f);
  return side;
}

double time_build(const RatingBlock& block, const SideState& other, const AlsOptions& opt,
                  int threads) {
  const auto start = Clock::now();
#pragma omp parallel num_threads(threads)
  {
    RowSolver solver(other, 7.0f, nullptr, opt);
#pragma omp for schedule(dynamic, 64)
    for (int32_t r = 0; r < block.rows(); ++r) solver.build_normal_equations(row_entries(block, r));
  }
  return seconds_since(start);
}

// Each thread multiplies its own pair of matrices, made before the clock starts.
double time_gemm(int d, int64_t products, int threads) {
  std::vector<Eigen::MatrixXf> lhs, rhs;
  for (int t = 0; t < threads; ++t) {
    lhs.push_back(Eigen::MatrixXf::Random(kGemmDepth, d));
    rhs.push_back(Eigen::MatrixXf::Random(kGemmDepth, d));
  }
  const auto start = Clock::now();
#pragma omp parallel num_threads(threads)
  {
    const auto t = static_cast<size_t>(omp_get_thread_num());
    Eigen::MatrixXf c(d, d);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < products; ++i) c.noalias() = lhs[t].transpose() * rhs[t];
  }
  return seconds_since(start);
}

double time_sweep(const RatingBlock& block, const SideState& other, AlsOptions opt, SolverKind kind,
                  int k, int threads) {
  opt.solver = kind;
  SideState self;
  self.factors = FactorMatrix::Zero(block.rows(), k);
  self.bias.assign(static_cast<size_t>(block.rows()), 0.0f);
  const int saved = omp_get_max_threads();
  omp_set_num_threads(threads);
  const auto start = Clock::now();
  solve_block(block, other, 7.0f, nullptr, opt, self);
  const double seconds = seconds_since(start);
  omp_set_num_threads(saved);
  return seconds;
}

}  // namespace

KernelBenchResult benchmark_normal_equations(const KernelBenchOptions& options) {
  // 0 restores Eigen's default (follow omp_get_max_threads) when it was not set.
  const int saved_eigen_threads =
      Eigen::nbThreads() == omp_get_max_threads() ? 0 : Eigen::nbThreads();
  Eigen::setNbThreads(1);
  KernelBenchResult res;
  res.factors = options.factors;
  res.threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  res.rows = options.rows;

  std::mt19937_64 rng(options.seed);
  const RatingBlock block = synthetic_block(options, rng);
  const SideState other = random_side(options.other_rows, options.factors, rng);
  res.entries = block.nnz();

  AlsOptions opt;
  opt.factors = options.factors;
  opt.feedback = Feedback::kExplicit;
  opt.solver = SolverKind::kCholesky;
  opt.cg_steps = options.cg_steps;

  const double d = options.factors + 1.0;
  const double entries = static_cast<double>(res.entries);
  // Best of a few runs after a warm-up (pages in the buffers and the data):
  // the minimum is the least disturbed by other load on the machine.
  time_build(block, other, opt, res.threads);
  res.build_seconds = INFINITY;
  for (int run = 0; run < kRuns; ++run) {
    res.build_seconds = std::min(res.build_seconds, time_build(block, other, opt, res.threads));
  }
  res.build_gflops = entries * d * (d + 1) / res.build_seconds / 1e9;
  res.build_gflops_full = 2 * entries * d * d / res.build_seconds / 1e9;

  // As many GEMM flops as the build's full-equivalent count, at least 16 products per thread.
  const auto products =
      std::max<int64_t>(16 * res.threads, std::llround(entries / static_cast<double>(kGemmDepth)));
  time_gemm(options.factors + 1, products, res.threads);
  res.gemm_seconds = INFINITY;
  for (int run = 0; run < kRuns; ++run) {
    res.gemm_seconds =
        std::min(res.gemm_seconds, time_gemm(options.factors + 1, products, res.threads));
  }
  res.gemm_gflops = 2.0 * static_cast<double>(kGemmDepth) * d * d * static_cast<double>(products) /
                    res.gemm_seconds / 1e9;

  res.cholesky_sweep_seconds =
      time_sweep(block, other, opt, SolverKind::kCholesky, options.factors, res.threads);
  res.cg_sweep_seconds =
      time_sweep(block, other, opt, SolverKind::kConjugateGradient, options.factors, res.threads);
  Eigen::setNbThreads(saved_eigen_threads);
  return res;
}

}  // namespace animerec::als
