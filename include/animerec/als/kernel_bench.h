#pragma once
// Microbenchmark of the ALS kernels, for the train benchmark to print (no test
// calls it: it takes seconds). It builds a synthetic rating block with
// heavy-tailed row lengths and popularity-skewed columns, then times
//   (a) building every row's normal equations exactly as the Cholesky solver
//       does (gather, float rank-k updates, double system with the ridge),
//   (b) a plain Eigen dense float GEMM of the same shape, C (d x d) = A^T B
//       with A, B contiguous 4096 x d, d = k + 1,
//   (c) whole explicit half-sweeps (solve_block) with Cholesky and with CG.
// Every part runs on the same number of OpenMP threads, one row or one GEMM
// per thread at a time. (a) and (b) report the best of 3 runs after a warm-up,
// (c) a single run. About 3 s at the default size (k = 64, 2 threads).

#include <cstdint>

namespace animerec::als {

struct KernelBenchOptions {
  int factors = 64;
  int64_t rows = 27000;        // rows of the block (users of a rank, say)
  int64_t entries = 2000000;   // about this many ratings in the block
  int64_t other_rows = 25000;  // rows of the other side (columns of the block)
  int cg_steps = 3;
  int threads = 0;  // 0: omp_get_max_threads()
  uint64_t seed = 1;
};

struct KernelBenchResult {
  int factors = 0;
  int threads = 0;
  int64_t rows = 0;
  int64_t entries = 0;  // actual (duplicates of the sampling removed)

  // (a) GFLOP/s count the symmetric update actually needed, entries * d (d + 1)
  // flops with d = k + 1; *_full counts 2 entries d^2, the flops of a GEMM
  // forming the same d x d result, i.e. a time-to-solution comparison.
  double build_seconds = 0;
  double build_gflops = 0;
  double build_gflops_full = 0;
  // (b) 2 * 4096 * d^2 flops per product.
  double gemm_seconds = 0;
  double gemm_gflops = 0;
  // (c) one explicit half-sweep of the block, including the solves.
  double cholesky_sweep_seconds = 0;
  double cg_sweep_seconds = 0;

  double build_vs_gemm() const { return gemm_gflops > 0 ? build_gflops / gemm_gflops : 0; }
};

// Sets Eigen::setNbThreads(1) for its duration (restored on return) so the
// plain GEMM is not multithreaded by Eigen behind the benchmark's back.
KernelBenchResult benchmark_normal_equations(const KernelBenchOptions& options = {});

}  // namespace animerec::als
