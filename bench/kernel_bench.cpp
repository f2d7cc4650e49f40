// Prints the ALS kernel microbenchmark (als/kernel_bench.h): GFLOP/s of the
// normal-equation build against a plain Eigen GEMM measured in the same run,
// and the time of explicit half-sweeps. Usage: animerec_kernel_bench [k] [threads]
#include "animerec/als/kernel_bench.h"

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  animerec::als::KernelBenchOptions o;
  if (argc > 1) o.factors = std::atoi(argv[1]);
  if (argc > 2) o.threads = std::atoi(argv[2]);
  animerec::als::KernelBenchResult r = animerec::als::benchmark_normal_equations(o);
  std::printf("k = %d, %d thread(s), %lld rows, %lld ratings\n", r.factors, r.threads,
              static_cast<long long>(r.rows), static_cast<long long>(r.entries));
  std::printf(
      "normal-equation build: %.3f s, %.1f GFLOP/s (symmetric flops), %.1f GFLOP/s "
      "(GEMM-equivalent)\n",
      r.build_seconds, r.build_gflops, r.build_gflops_full);
  std::printf("Eigen float GEMM:      %.3f s, %.1f GFLOP/s\n", r.gemm_seconds, r.gemm_gflops);
  std::printf("build / GEMM:          %.0f %%\n", 100.0 * r.build_vs_gemm());
  std::printf("explicit half-sweep:   Cholesky %.3f s, CG %.3f s\n", r.cholesky_sweep_seconds,
              r.cg_sweep_seconds);
  return 0;
}
