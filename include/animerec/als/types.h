#pragma once
// Types shared by the ALS solvers and the trainer. Factor matrices are
// row-major float (one row per user or anime), so a row is contiguous, the
// rows of a block are a contiguous slice for MPI_Allgatherv, and the layout
// matches the n x k datasets of model.h5.

#include <fmt/format.h>

#include <Eigen/Core>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/core/error.h"

namespace animerec::als {

using FactorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// The training ratings of a contiguous block of rows (the users of one rank,
// or its anime) in CSR form. Row r (local) is global row first_row + r; its
// entries are [offsets[r], offsets[r+1]), with cols ascending (global indices
// on the other side).
struct RatingBlock {
  int32_t first_row = 0;
  std::vector<int64_t> offsets{0};  // rows() + 1
  std::vector<int32_t> cols;
  // Explicit feedback: the score. Implicit feedback: the weight w of the
  // interaction (confidence c = 1 + alpha * w, preference 1).
  std::vector<float> values;
  int32_t rows() const { return static_cast<int32_t>(offsets.size()) - 1; }
  int64_t nnz() const { return offsets.back(); }
};

// What a model is fit to: explicit scores (with biases) or implicit
// interactions (Hu-Koren-Volinsky confidence weights). --feedback, and the
// /@feedback attribute of model.h5, spell it "explicit" or "implicit".
enum class Feedback { kExplicit, kImplicit };
enum class SolverKind { kCholesky, kConjugateGradient };

inline const char* feedback_name(Feedback f) {
  return f == Feedback::kImplicit ? "implicit" : "explicit";
}

// The feedback kind named `name`, or nullopt for any other text.
inline std::optional<Feedback> feedback_from_name_if(const std::string& name) {
  if (name == "explicit") return Feedback::kExplicit;
  if (name == "implicit") return Feedback::kImplicit;
  return std::nullopt;
}

// As feedback_from_name_if; throws ConfigError for another name.
inline Feedback feedback_from_name(const std::string& name) {
  if (auto f = feedback_from_name_if(name)) return *f;
  throw ConfigError(
      fmt::format("invalid value for --feedback: '{}' (must be one of: explicit, implicit)",
                  config::echoed(name)));
}

inline SolverKind solver_from_name(const std::string& name) {
  return name == "cg" ? SolverKind::kConjugateGradient : SolverKind::kCholesky;
}

// The defaults are train's (the parameter table's), so options built in code
// fit the same model as an empty command line.
struct AlsOptions {
  int factors = static_cast<int>(config::default_int("train", "factors"));
  Feedback feedback = feedback_from_name(config::default_text("train", "feedback"));
  SolverKind solver = solver_from_name(config::default_text("train", "solver"));
  int cg_steps = static_cast<int>(config::default_int("train", "cg-steps"));
  // The factor penalty of a row with n ratings is lambda * n^lambda_exponent * |x|^2:
  // exponent 1 is ALS-WR (Zhou et al. 2008); 0.5 shrinks heavy raters less.
  double lambda = config::default_double("train", "lambda");
  double lambda_exponent = config::default_double("train", "lambda-exponent");
  // Explicit only: the bias penalty is lambda_bias * b^2, not scaled by the
  // rating count, so a bias is a damped mean (lambda_bias pseudo-ratings at 0).
  double lambda_bias = config::default_double("train", "lambda-bias");
  // Implicit only: confidence c = 1 + alpha * w.
  double alpha = config::default_double("train", "alpha");
  // Implicit only (Rendle et al. 2022): every pair the row has no entry for
  // weighs alpha0 (the gram term Y^T Y scaled by it); the row's entries keep
  // confidence c. 1 = Hu-Koren-Volinsky. Must lie in (0, 1] so c - alpha0 >= 0.
  double alpha0 = 1.0;
  // Implicit only: frequency-scaled regularisation, the ridge of a row with n
  // entries is lambda * (n + alpha0 * n_other)^lambda_exponent (n_other = rows
  // of the other side, i.e. every pair the row is fit to) instead of
  // lambda * n^lambda_exponent.
  bool ridge_counts_unobserved = false;
};

// lambda * count^lambda_exponent.
inline double scaled_ridge(const AlsOptions& opt, double count) {
  return opt.lambda * (opt.lambda_exponent == 1.0 ? count : std::pow(count, opt.lambda_exponent));
}

// lambda * n^lambda_exponent: the factor ridge of a row with n entries.
inline double factor_ridge(const AlsOptions& opt, int64_t n) {
  return scaled_ridge(opt, static_cast<double>(n));
}

// The factor ridge of an implicit row with n entries against an other side of
// n_other rows: factor_ridge, or with ridge_counts_unobserved
// lambda * (n + alpha0 * n_other)^lambda_exponent.
inline double implicit_factor_ridge(const AlsOptions& opt, int64_t n, int64_t n_other) {
  if (!opt.ridge_counts_unobserved) return factor_ridge(opt, n);
  return scaled_ridge(opt, static_cast<double>(n) + opt.alpha0 * static_cast<double>(n_other));
}

// The hybrid prior of one row (docs/content.md): the row's penalty gains
// lambda * |z - mean|^2 over the whole system z (k factors, then the bias in
// explicit mode), i.e. lambda on A's diagonal and lambda * mean added to b.
// `mean` holds system_size(opt) floats. A null prior (the default everywhere)
// leaves the solver's path untouched, so plain ALS is bit-identical.
struct RowPrior {
  double lambda = 0;
  const float* mean = nullptr;
};

// Prior means of a block's rows for solve_block: row r of `means` (k + 1
// columns: factors, then the bias, 0 in implicit mode) belongs to local row r.
struct BlockPrior {
  double lambda = 0;
  FactorMatrix means;
};

// One side's parameters for all its rows (replicated on every rank).
struct SideState {
  FactorMatrix factors;     // n x k
  std::vector<float> bias;  // n (explicit); all zero in implicit mode
  int32_t rows() const { return static_cast<int32_t>(factors.rows()); }
};

}  // namespace animerec::als
