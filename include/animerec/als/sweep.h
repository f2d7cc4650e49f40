#pragma once
// A block half-sweep of ALS (every row of a RatingBlock solved against the
// other side's replicated factors), the gram matrix Y^T Y for implicit
// feedback, and the loss of a block. The model and the per-row systems are
// documented in solver.h. No MPI and no file I/O: the trainer owns both.
//
// Determinism: every function here gives bit-identical results for any
// OpenMP thread count. Rows are solved independently (a row sums its entries
// in column order), and every reduction over rows (gram, losses) sums fixed
// chunks of rows and then adds the chunk results in chunk order.

#include <Eigen/Core>
#include <cstdint>

#include "animerec/als/types.h"

namespace animerec::als {

struct SweepStats {
  int64_t rows_solved = 0;           // rows with at least one entry
  int64_t empty_rows = 0;            // rows without entries: factors and bias set to 0
  int64_t ldlt_fallbacks = 0;        // Cholesky rows whose system was not positive definite
  int64_t nonfinite_rows = 0;        // rows with a NaN or infinite factor or bias
  int64_t first_nonfinite_row = -1;  // smallest global row index of those, -1 if none

  // Adds another block's (or thread's) counts; keeps the smaller first row.
  void merge(const SweepStats& other);
};

// Solves every row of `block` and writes rows [block.first_row,
// block.first_row + block.rows()) of self.factors and self.bias; other rows of
// `self` are untouched. self's current values there are the CG warm start.
// `other` is the other side in full; `gram` = gram_matrix(other.factors) for
// implicit feedback (may be null for explicit). Explicit uses
// other.bias and global_mean; implicit ignores both and writes self.bias = 0
// (when self.bias is not empty). Rows run in parallel (OpenMP, dynamic
// schedule of 16 rows per grab, rows over 4x the block's mean entries first,
// heaviest first, then the rest in index order). Throws
// std::invalid_argument on mismatched sizes; block.cols must index rows of
// `other` (not checked: O(nnz)).
// `prior` (may be null: plain ALS) adds the hybrid prior to every non-empty
// row; its means must have block.rows() rows and k + 1 columns.
SweepStats solve_block(const RatingBlock& block, const SideState& other, float global_mean,
                       const Eigen::MatrixXd* gram, const AlsOptions& opt, SideState& self,
                       const BlockPrior* prior = nullptr);

// Y^T Y in double (k x k, symmetric). Rows are cast to double and summed in
// fixed chunks (at least 4096 rows, at most 64 chunks) whose results are
// added in chunk order: bit-identical for any thread count.
Eigen::MatrixXd gram_matrix(const FactorMatrix& y);

// The same in parts, for ranks that share the work: the lower-triangle
// partials of the chunks c with c % parts == part (the others left empty),
// and their sum in chunk order, which equals gram_matrix(y) bit for bit
// whoever computed each chunk.
std::vector<Eigen::MatrixXd> gram_chunks(const FactorMatrix& y, int part, int parts);
Eigen::MatrixXd gram_from_chunks(const std::vector<Eigen::MatrixXd>& partial, Eigen::Index k);

// Explicit loss of a block, to check the objective. With the user block and
// then the anime block:
//   objective = users.squared_error + users.regularization + anime.regularization
// (squared_error is the same sum seen from either side, up to rounding).
struct ExplicitLoss {
  double squared_error = 0;   // sum over the block's entries of (r - mu - b_u - c_j - x_u.y_j)^2
  int64_t count = 0;          // entries
  double regularization = 0;  // sum over the block's rows of lambda n_u |x_u|^2 + lambda_bias b_u^2
  double objective() const { return squared_error + regularization; }
};
ExplicitLoss explicit_block_loss(const RatingBlock& block, const SideState& self,
                                 const SideState& other, float global_mean, const AlsOptions& opt);

// Implicit (Hu-Koren-Volinsky) loss of a block's rows u against every column j
// of the other side, s_uj = x_u.y_j, c_uj = 1 + alpha w_uj (alpha w clamped at 0):
//   observed     = sum over the block's entries of c_uj (1 - s_uj)^2
//   unobserved   = alpha0 (sum over the block's rows of x_u^T (Y^T Y) x_u
//                  - sum over the block's entries of s_uj^2)
//                  (= alpha0 times the sum of s_uj^2 over every column the row
//                  has no entry in)
//   regularization = sum over the block's rows of R(n_u) |x_u|^2 (solver.h)
// so total() is the part of the objective that the block's rows solve for,
// plus their penalty; the full objective adds the other side's regularization.
// other_gram = gram_matrix(other.factors). Products in double.
struct ImplicitLoss {
  double observed = 0;
  double unobserved = 0;
  double regularization = 0;
  int64_t count = 0;  // entries
  double total() const { return observed + unobserved + regularization; }
};
ImplicitLoss implicit_block_loss(const RatingBlock& block, const SideState& self,
                                 const SideState& other, const Eigen::MatrixXd& other_gram,
                                 const AlsOptions& opt);

}  // namespace animerec::als
