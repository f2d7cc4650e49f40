#pragma once
// Per-row ALS solves: one row's normal equations, solved by Cholesky (LDLT
// fallback) or by a few warm-started conjugate-gradient steps. No MPI, no
// threads: sweep.h runs one RowSolver per OpenMP thread over a block.
//
// Notation for a row u with entries j (n_u = their count), the other side's
// factor rows y_j (k floats), biases c_j, global mean mu:
//
// Explicit (ALS-WR with biases). Unknowns z = (x_u, b_u), dimension k + 1:
//   minimise  sum_j (r_uj - mu - c_j - b_u - x_u.y_j)^2
//             + lambda n_u^e |x_u|^2 + lambda_bias b_u^2      (e = lambda_exponent, 1 = ALS-WR)
//   A = sum_j (y_j,1)(y_j,1)^T + diag(lambda n_u^e [k times], lambda_bias)
// The bias penalty is not scaled by n_u: with factors at zero the bias is the
// damped mean sum(residual) / (n_u + lambda_bias), which shrinks rows with few
// ratings toward zero and leaves well-rated rows alone. (Scaled by n_u it
// would shrink every row by the same factor 1 / (1 + lambda_bias).)
//   b = sum_j (r_uj - mu - c_j) (y_j,1)
//
// Implicit (Hu, Koren & Volinsky 2008, with Rendle et al. 2022's alpha0).
// Unknowns x_u, dimension k. Preference 1 on every entry of the row, 0
// elsewhere; confidence c_uj = 1 + alpha w_uj on the row's entries, alpha0
// (opt.alpha0, in (0, 1]; 1 = HKV) on every other column:
//   minimise  sum_{j in row} c_uj (1 - x_u.y_j)^2 + alpha0 sum_{j not in row} (x_u.y_j)^2
//             + R(n_u) |x_u|^2
//   A = alpha0 Y^T Y + sum_{j in row} (c_uj - alpha0) y_j y_j^T + R(n_u) I
//   b = sum_{j in row} c_uj y_j
// Regularisation scaling R(n_u): lambda n_u^e, ALS-WR at e = 1 (the same rule
// as explicit, so one --lambda means the same thing per entry in both modes;
// an empty row has x = 0 either way), or with opt.ridge_counts_unobserved
// Rendle's frequency scaling lambda (n_u + alpha0 n_other)^e, n_other = the
// other side's rows: the weight of everything the row is fit to (types.h
// implicit_factor_ridge). With alpha0 = 1 every term is the HKV one bit for
// bit (1 - alpha0 = 0 is added, Y^T Y scaled by 1). Y^T Y is the precomputed gram
// matrix (gram_matrix() in sweep.h), so a row costs O(n_u k^2 + k^3). Weights
// must make alpha w >= 0 (confidence >= 1); a negative product counts as 0.
// Biases are not used in implicit mode (the row's bias is written as 0).
//
// Solvers:
//  kCholesky: forms A and b (gather the row's y_j into a contiguous buffer,
//    one float rank-k update per 512 entries; explicit rows gather y_j alone,
//    k wide, and sum A's bias row and b during the gather), factorises A in
//    double with an in-place Cholesky in panels of four columns (faster than Eigen::LLT at
//    k ~ 64; same test: a pivot <= 0 means not positive definite) and falls back to
//    Eigen::LDLT, counted in RowOutcome (only possible with lambda = 0).
//    Explicit rows eliminate the bias first and factorise the k x k Schur
//    complement M - s s^T / d of A = [[M, s], [s^T, d]] (4-5% faster at
//    k = 64 than the (k + 1) x (k + 1) factor; the same floats in practice).
//    Explicit rows with fewer than 2/3 (k + 1) entries are solved through
//    the n x n system of the Woodbury identity instead, in double (the
//    (k + 1)^3 factorisation would dominate them); same solution up to
//    rounding.
//  kConjugateGradient: opt.cg_steps CG iterations warm-started from the
//    row's current values, never forming A: A p = reg p (+ Y^T Y p) +
//    G^T (G p) with G the gathered buffer, O(n_u k) per step. Explicit CG
//    gathers y_j alone (k wide, vector-aligned rows) and applies G's column
//    of ones as numbers. Both feedbacks sum the starting residual b - A x0
//    during the gather, each entry's term from its prediction x0.y_j, so it
//    costs no pass of its own over the gathered rows. It stops early
//    on an exactly zero residual; a NaN/inf residual makes the row NaN so the
//    sweep reports it rather than keeping the warm start.
//
// Precision: the other side's rows are gathered as float and the sum over the
// row's entries is accumulated in float (one Eigen rank-k update per chunk of
// 512 entries, always in entry order); the system is then formed and solved in
// double. CG works in float throughout.
//
// Determinism: a row's result depends only on the row, the other side and the
// options: entries are summed in column order in fixed 512-entry chunks, and
// the only Eigen products used (rank-k updates, matrix-vector) are ones Eigen
// never multithreads, so no result depends on the OpenMP thread count.

#include <Eigen/Cholesky>
#include <Eigen/Core>
#include <cstdint>
#include <vector>

#include "animerec/als/types.h"

namespace animerec::als {

// One row's training entries: a view into a RatingBlock (cols ascending).
struct RowEntries {
  const int32_t* cols = nullptr;
  const float* values = nullptr;
  int64_t count = 0;
};

// The entries of local row `local_row` of `block`.
RowEntries row_entries(const RatingBlock& block, int32_t local_row);

// Size of a row's linear system: k + 1 (factors and bias) for explicit
// feedback, k for implicit.
int system_size(const AlsOptions& opt);

// The cost of solving a row that does not grow with its entries, in units
// of the cost of one entry: what a rank or thread pays per row on top of its
// ratings (dist::balanced_blocks' row_cost). Measured per row at k = 64 on
// one thread (AVX2 build), fitted as time = per-entry x n + fixed:
// Cholesky's k x k factorisation and system forming cost ~80 entries (either
// feedback), so k + k / 4; implicit CG's Y^T Y p per step ~19, so
// (cg_steps + 1) k / 13; explicit CG's vector updates ~5.
int64_t row_solve_cost(const AlsOptions& opt);

// Whether a row of `entries` entries is solved through the Woodbury identity
// (explicit Cholesky rows of fewer than 2/3 (k + 1) entries).
bool solves_through_woodbury(const AlsOptions& opt, int64_t entries);

// row_solve_cost for a row of `entries` entries: a row solved through the
// Woodbury identity pays no factorisation of the k x k system, only about
// its entries again (measured at k = 64: 0.4 us at 1 entry, 3.1 us at 16,
// 7.2 us at 32, against 0.1 us per entry of a long row), so max(entries, 1);
// any other row row_solve_cost(opt).
int64_t row_solve_cost(const AlsOptions& opt, int64_t entries);

struct RowOutcome {
  bool empty = false;          // no entries: factors and bias set to 0
  bool ldlt_fallback = false;  // Cholesky: A was not positive definite, LDLT used
  bool finite = true;          // every written value is finite
};

// Solves rows against one fixed other side. Holds per-thread scratch (gather
// buffer, k x k matrices, factorisations) reused across rows, so solving a row
// allocates nothing once the buffers have grown to the longest row (CG) or to
// 512 entries (Cholesky). Not thread-safe: use one per thread. `other` and
// `gram` are referenced and must outlive the solver; `opt` is copied.
class RowSolver {
 public:
  // gram: Y^T Y of other.factors (k x k), required for implicit feedback and
  // ignored for explicit. Throws std::invalid_argument on mismatched sizes.
  RowSolver(const SideState& other, float global_mean, const Eigen::MatrixXd* gram,
            const AlsOptions& opt);

  // The row's normal equations A z = b (dimension system_size), regularisation
  // included, exactly as solve() forms them for kCholesky, in the solver's
  // scratch: valid until the next call. Only the lower triangle of `a` is
  // meaningful (nothing reads more); a.selfadjointView<Eigen::Lower>() is A.
  struct NormalEquations {
    const Eigen::MatrixXd& a;
    const Eigen::VectorXd& b;
  };
  // With a prior, its ridge and mean are included (see RowPrior).
  NormalEquations build_normal_equations(const RowEntries& row, const RowPrior* prior = nullptr);

  // Solves one row. `factors` (k floats) and `*bias` hold the current values on
  // entry (the CG warm start) and the solution on return. Implicit mode sets
  // the bias to 0. `bias` may be null: no bias is written (explicit CG then
  // starts the bias at 0). `prior` (may be null) adds the hybrid prior; an
  // empty row is still set to 0 with or without one (the trainer sets cold
  // rows from their content itself).
  RowOutcome solve(const RowEntries& row, float* factors, float* bias,
                   const RowPrior* prior = nullptr);

 private:
  using Buffer = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  void gather(const RowEntries& row, int64_t begin, int64_t count,
              const Eigen::VectorXf* x0 = nullptr);
  void accumulate_lower(const RowEntries& row);
  void form_system(int64_t n);
  void add_prior(const RowPrior* prior);
  RowOutcome solve_cholesky(const RowEntries& row, float* factors, float* bias,
                            const RowPrior* prior);
  RowOutcome solve_cg(const RowEntries& row, float* factors, float* bias, const RowPrior* prior);
  bool solve_short_explicit(const RowEntries& row, const RowPrior* prior);
  bool solve_explicit_by_schur();
  void apply_cg_matrix(int64_t n, const Eigen::VectorXf& p, Eigen::VectorXf& out);
  void gather_explicit(const RowEntries& row, int64_t begin, int64_t count,
                       const Eigen::VectorXf* x0);
  void apply_explicit_cg_matrix(int64_t n, const Eigen::VectorXf& p, Eigen::VectorXf& out);
  void apply_cg_system(int64_t n, const Eigen::VectorXf& p, Eigen::VectorXf& out);
  void ensure_rows(int64_t n);
  double row_ridge(int64_t n) const;

  const FactorMatrix& y_;
  const std::vector<float>& other_bias_;
  const float mu_;
  const Eigen::MatrixXd* gram_;
  const AlsOptions opt_;
  const int k_;
  const int dim_;
  const float unobserved_gap_;  // implicit: 1 - alpha0 (0 for Hu-Koren-Volinsky)

  Buffer buf_;             // implicit: gathered rows sqrt(c - alpha0) y_j
  Buffer yk_;              // explicit: gathered y_j (k wide; CG: the whole row)
  Eigen::VectorXf ysum_;   // explicit Cholesky: sum of the row's y_j
  Eigen::MatrixXf af_;     // float sum over entries (lower triangle)
  Eigen::VectorXf bf_;     // float right-hand side
  Eigen::VectorXf reg_;    // the diagonal regularisation of the current row
  Eigen::MatrixXd a_;      // the system, lower triangle
  Eigen::VectorXd b_, z_;  // right-hand side and solution
  Eigen::MatrixXd l_;      // its Cholesky factor (lower; rows padded to a multiple of 8)
  Eigen::MatrixXd schur_;  // explicit: the factor of A's k x k Schur complement (padded too)
  Eigen::LDLT<Eigen::MatrixXd> ldlt_;
  Eigen::MatrixXf gram_f_;  // implicit CG: Y^T Y in float
  Eigen::VectorXf x_, r_, p_, ap_, q_;
  // solve_short_explicit (Woodbury, rows of n < 2/3 (k + 1) entries), in double.
  using DoubleRows = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  Eigen::VectorXd short_dinv_, short_c_, short_u_, short_v_;
  DoubleRows short_g_, short_h_;  // G and G D^-1/2, n rows used
  std::vector<double> short_m_;   // M = I + G D^-1 G^T, n x n column-major
};

}  // namespace animerec::als
