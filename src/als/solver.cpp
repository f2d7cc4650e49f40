#include "animerec/als/solver.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include "animerec/core/memory.h"

namespace animerec::als {

namespace {

// Entries per rank-k update. Eigen's float SYRK runs at half speed for depths
// of roughly 600-1500 (its cache blocking), while 512 is at full speed, and a
// 512 x (k+1) float chunk stays in L2 between the gather and the update.
constexpr int64_t kChunk = 512;

// How many entries ahead the gather prefetches the other side's row: rows are
// scattered in a matrix that does not fit in cache on the anime side.
constexpr int64_t kPrefetchAhead = 16;

// Floats per cache line: the prefetch touches every line of a factor row.
constexpr int kLineFloats = 16;

// Grows a gather buffer to at least n rows, geometrically so a block of
// slowly growing rows reallocates rarely. The storage is advised to huge
// pages before its first touch: a CG buffer holds a whole row, 51 MB for
// the most popular anime of the heavy-skew benchmark set (200K users).
template <class Buffer>
void grow_rows(Buffer& b, int64_t n) {
  b.resize(std::max<int64_t>(n, 2 * b.rows()), b.cols());
  advise_huge_pages(b.data(), sizeof(float) * static_cast<size_t>(b.size()));
}

// Starts loading one factor row of k floats into cache.
void prefetch_row(const float* row, int k) {
  for (int c = 0; c < k; c += kLineFloats) __builtin_prefetch(row + c);
}

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("als::RowSolver: " + what);
}

// Rows per register block of the Cholesky panel update; leading dimensions
// of the matrices it factorises are rounded up to a multiple of it.
constexpr int kCholeskyRows = 8;
// Columns per panel of the Cholesky factorisation.
constexpr int kCholeskyPanel = 4;

int padded_rows(int n) { return (n + kCholeskyRows - 1) / kCholeskyRows * kCholeskyRows; }

// Subtracts from rows [first, ld) of the panel columns j0..j0+w-1 the products
// of the earlier columns 0..j0-1 (already factorised). Eight rows at a time,
// all four panel columns' sums held in registers while the earlier columns
// stream past: four multiply-adds per load, where updating one column at a
// time (left-looking) loads and stores its target on every pass.
void cholesky_panel_update(double* a, int ld, int j0, int w, int first) {
  double* t = a + static_cast<std::ptrdiff_t>(j0) * ld;
  for (int i = first; i < ld; i += kCholeskyRows) {
    double acc[kCholeskyPanel][kCholeskyRows];
    for (int c = 0; c < kCholeskyPanel; ++c) {
      for (int r = 0; r < kCholeskyRows; ++r) acc[c][r] = c < w ? t[c * ld + i + r] : 0.0;
    }
    for (int p = 0; p < j0; ++p) {
      const double* cp = a + static_cast<std::ptrdiff_t>(p) * ld;
      double s[kCholeskyPanel];
      for (int c = 0; c < kCholeskyPanel; ++c) s[c] = c < w ? cp[j0 + c] : 0.0;
      for (int c = 0; c < kCholeskyPanel; ++c) {
        for (int r = 0; r < kCholeskyRows; ++r) acc[c][r] -= s[c] * cp[i + r];
      }
    }
    for (int c = 0; c < w; ++c) {
      for (int r = 0; r < kCholeskyRows; ++r) t[c * ld + i + r] = acc[c][r];
    }
  }
}

// In-place Cholesky factorisation A = L L^T of the lower triangle of the
// n x n matrix `a`, column-major with leading dimension ld (a multiple of
// kCholeskyRows, >= n). Rows [n, ld) and the strict upper triangle are
// scratch: written with values nothing reads, never read into the result.
// Panels of four columns: first the update by all earlier columns
// (cholesky_panel_update, nearly all the flops), then the panel's own four
// columns left-looking; ~1.5x faster than one column at a time at n = 65
// and ~2x faster than Eigen::LLT. Returns false at the first pivot that is
// not > 0 (NaN included): not positive definite.
bool cholesky_in_place(double* a, int n, int ld) {
  for (int j0 = 0; j0 < n; j0 += kCholeskyPanel) {
    const int w = std::min(kCholeskyPanel, n - j0);
    if (j0 > 0) cholesky_panel_update(a, ld, j0, w, j0 - j0 % kCholeskyRows);
    double* t = a + static_cast<std::ptrdiff_t>(j0) * ld;
    for (int c = 0; c < w; ++c) {
      double* tc = t + static_cast<std::ptrdiff_t>(c) * ld;
      const int j = j0 + c;
      for (int q = 0; q < c; ++q) {
        const double* tq = t + static_cast<std::ptrdiff_t>(q) * ld;
        const double s = tq[j];
        for (int i = j; i < n; ++i) tc[i] -= s * tq[i];
      }
      if (!(tc[j] > 0.0)) return false;
      const double d = std::sqrt(tc[j]);
      tc[j] = d;
      const double inv = 1.0 / d;
      for (int i = j + 1; i < n; ++i) tc[i] *= inv;
    }
  }
  return true;
}

// Solves L L^T x = b in place, L from cholesky_in_place (leading dimension ld).
void cholesky_solve(const double* l, int n, int ld, double* b) {
  for (int j = 0; j < n; ++j) {
    const double* cj = l + static_cast<std::ptrdiff_t>(j) * ld;
    b[j] /= cj[j];
    const double v = b[j];
    for (int i = j + 1; i < n; ++i) b[i] -= v * cj[i];
  }
  // L^T x = y: a dot product per row, summed in four interleaved partial
  // sums (a single running sum cannot be vectorised).
  constexpr int kLanes = 4;
  for (int j = n - 1; j >= 0; --j) {
    const double* cj = l + static_cast<std::ptrdiff_t>(j) * ld;
    double partial[kLanes] = {0.0, 0.0, 0.0, 0.0};
    int i = j + 1;
    for (; i + kLanes <= n; i += kLanes) {
      for (int r = 0; r < kLanes; ++r) partial[r] += cj[i + r] * b[i + r];
    }
    for (; i < n; ++i) partial[0] += cj[i] * b[i];
    b[j] = (b[j] - ((partial[0] + partial[1]) + (partial[2] + partial[3]))) / cj[j];
  }
}

bool is_explicit(const AlsOptions& opt) { return opt.feedback == Feedback::kExplicit; }

// alpha w, clamped so the confidence c = 1 + alpha w is at least 1.
float extra_confidence(const AlsOptions& opt, float w) {
  return std::max(static_cast<float>(opt.alpha) * w, 0.0f);
}

// The prior's lambda * mean, added to a float right-hand side (or residual).
void add_prior_mean(const RowPrior* prior, Eigen::VectorXf& v) {
  if (prior == nullptr) return;
  for (Eigen::Index i = 0; i < v.size(); ++i)
    v[i] += static_cast<float>(prior->lambda) * prior->mean[i];
}

}  // namespace

RowEntries row_entries(const RatingBlock& block, int32_t local_row) {
  const int64_t begin = block.offsets[static_cast<size_t>(local_row)];
  const int64_t end = block.offsets[static_cast<size_t>(local_row) + 1];
  return {block.cols.data() + begin, block.values.data() + begin, end - begin};
}

int system_size(const AlsOptions& opt) { return is_explicit(opt) ? opt.factors + 1 : opt.factors; }

int64_t row_solve_cost(const AlsOptions& opt) {
  constexpr int64_t kExplicitCgRowCost = 5;
  constexpr int64_t kImplicitCgGramDivisor = 13;
  const int64_t k = std::max(opt.factors, 1);
  if (opt.solver == SolverKind::kCholesky) return k + k / 4;
  if (is_explicit(opt)) return kExplicitCgRowCost;
  return std::max<int64_t>(1, (std::max(opt.cg_steps, 0) + 1) * k / kImplicitCgGramDivisor);
}

bool solves_through_woodbury(const AlsOptions& opt, int64_t entries) {
  return opt.solver == SolverKind::kCholesky && is_explicit(opt) &&
         3 * entries < 2 * int64_t{system_size(opt)};
}

int64_t row_solve_cost(const AlsOptions& opt, int64_t entries) {
  return solves_through_woodbury(opt, entries) ? std::max<int64_t>(entries, 1)
                                               : row_solve_cost(opt);
}

RowSolver::RowSolver(const SideState& other, float global_mean, const Eigen::MatrixXd* gram,
                     const AlsOptions& opt)
    : y_(other.factors),
      other_bias_(other.bias),
      mu_(global_mean),
      gram_(gram),
      opt_(opt),
      k_(opt.factors),
      dim_(system_size(opt)),
      unobserved_gap_(static_cast<float>(1.0 - opt.alpha0)),
      ldlt_(std::max(dim_, 0)) {
  require(k_ > 0, "factors must be positive");
  require(y_.cols() == k_, "other side has " + std::to_string(y_.cols()) +
                               " factors, options say " + std::to_string(k_));
  if (is_explicit(opt)) {
    require(other_bias_.size() == static_cast<size_t>(y_.rows()),
            "other side's bias size differs from its rows");
  } else {
    require(gram != nullptr && gram->rows() == k_ && gram->cols() == k_,
            "implicit feedback needs the k x k gram matrix of the other side");
    require(opt.alpha0 > 0 && opt.alpha0 <= 1,
            "the weight of unobserved pairs alpha0 must lie in (0, 1], got " +
                std::to_string(opt.alpha0));
    gram_f_ = (opt.alpha0 * *gram).cast<float>();
  }
  require(opt.solver == SolverKind::kCholesky || opt.cg_steps >= 0, "cg_steps must be >= 0");
  if (is_explicit(opt)) {
    yk_.resize(kChunk, k_);
    ysum_.resize(k_);
  } else {
    buf_.resize(kChunk, dim_);
  }
  q_.resize(kChunk);
  af_.resize(dim_, dim_);
  bf_.resize(dim_);
  reg_.resize(dim_);
  a_.setZero(dim_, dim_);  // the strict upper triangle stays 0: never written or read
  b_.resize(dim_);
  z_.resize(dim_);
  l_.setZero(padded_rows(dim_), dim_);
  if (is_explicit(opt)) schur_.setZero(padded_rows(k_), k_);
  if (is_explicit(opt)) {  // solve_short_explicit's scratch: rows shorter than dim_
    short_dinv_.resize(dim_);
    short_c_.resize(dim_);
    short_u_.resize(dim_);
    short_v_.resize(dim_);
    short_g_.resize(dim_, dim_);
    short_h_.resize(dim_, dim_);
    short_m_.resize(static_cast<size_t>(padded_rows(dim_)) * static_cast<size_t>(dim_));
  }
  x_.resize(dim_);
  r_.resize(dim_);
  p_.resize(dim_);
  ap_.resize(dim_);
}

double RowSolver::row_ridge(int64_t n) const {
  return is_explicit(opt_) ? factor_ridge(opt_, n) : implicit_factor_ridge(opt_, n, y_.rows());
}

// CG gathers a whole row: grows this feedback's gather buffer (yk_ explicit,
// buf_ implicit) to at least n rows.
void RowSolver::ensure_rows(int64_t n) {
  Buffer& b = is_explicit(opt_) ? yk_ : buf_;
  if (b.rows() < n) grow_rows(b, n);
}

// Implicit: copies entries [begin, begin + count) of the row into buffer
// rows [0, count) as sqrt(c - alpha0) y_j, and adds c y_j to bf_ (the buffer
// cannot give it back when c = alpha0). With x0 (CG's warm start), bf_ gets
// the entries' part of the starting residual b - A x0 instead,
// (c - (c - alpha0) x0.y_j) y_j, while y_j is in cache: no separate pass to
// form A x0.
void RowSolver::gather(const RowEntries& row, int64_t begin, int64_t count,
                       const Eigen::VectorXf* x0) {
  const float* y = y_.data();
  for (int64_t i = 0; i < count; ++i) {
    const int64_t e = begin + i;
    if (e + kPrefetchAhead < row.count)
      prefetch_row(y + int64_t{row.cols[e + kPrefetchAhead]} * k_, k_);
    const int32_t j = row.cols[e];
    Eigen::Map<const Eigen::VectorXf> yj(y + static_cast<int64_t>(j) * k_, k_);
    const float extra = extra_confidence(opt_, row.values[e]);
    // c - alpha0: the entry's weight above the alpha0 Y^T Y already in A.
    const float weight = extra + unobserved_gap_;
    Eigen::Map<Eigen::VectorXf>(buf_.data() + i * dim_, k_) = std::sqrt(weight) * yj;
    if (x0 == nullptr) {
      bf_.noalias() += (1.0f + extra) * yj;
    } else {
      bf_.noalias() += ((1.0f + extra) - weight * yj.dot(*x0)) * yj;
    }
  }
}

// Explicit: copies y_j of entries [begin, begin + count) into yk_ rows
// [0, count): k floats a row, so every row starts on a vector boundary and
// the products run on k = 64 columns, where G = [Y 1]'s k + 1 left a ragged
// column to every kernel; the ones column is applied as numbers instead.
// While y_j is in cache it adds w_j (y_j, 1) to bf_ with w_j = t_j = r_uj -
// mu - c_j (the right-hand side b), or, given x0 (CG's warm start and bias),
// w_j = t_j - (x0.y_j + b0), the entries' part of the starting residual
// b - A x0 (no pass of its own; summing errors also avoids the cancellation
// of b - A x0 in float). Without x0 it also sums y_j into ysum_ (A's bias row).
void RowSolver::gather_explicit(const RowEntries& row, int64_t begin, int64_t count,
                                const Eigen::VectorXf* x0) {
  const float* y = y_.data();
  auto rhs = bf_.head(k_);
  float w_sum = 0.0f;
  for (int64_t i = 0; i < count; ++i) {
    const int64_t e = begin + i;
    if (e + kPrefetchAhead < row.count)
      prefetch_row(y + int64_t{row.cols[e + kPrefetchAhead]} * k_, k_);
    const int32_t j = row.cols[e];
    Eigen::Map<const Eigen::VectorXf> yj(y + static_cast<int64_t>(j) * k_, k_);
    float w = row.values[e] - mu_ - other_bias_[static_cast<size_t>(j)];
    if (x0 != nullptr) {
      w -= yj.dot(x0->head(k_)) + (*x0)[k_];
    } else {
      ysum_.noalias() += yj;
    }
    yk_.row(i) = yj.transpose();
    rhs.noalias() += w * yj;
    w_sum += w;
  }
  bf_[k_] += w_sum;
}

// af_ (lower) = sum over the row of g g^T, bf_ = right-hand side, in float.
void RowSolver::accumulate_lower(const RowEntries& row) {
  // Only the lower triangle is ever written or read.
  af_.triangularView<Eigen::Lower>().setZero();
  bf_.setZero();
  if (is_explicit(opt_)) {
    ysum_.setZero();
    for (int64_t begin = 0; begin < row.count; begin += kChunk) {
      const int64_t m = std::min(kChunk, row.count - begin);
      gather_explicit(row, begin, m, nullptr);
      af_.topLeftCorner(k_, k_).selfadjointView<Eigen::Lower>().rankUpdate(
          yk_.topRows(m).transpose());
    }
    // The ones column of G: sum y_j and n.
    af_.row(k_).head(k_) = ysum_.transpose();
    af_(k_, k_) = static_cast<float>(row.count);
    return;
  }
  for (int64_t begin = 0; begin < row.count; begin += kChunk) {
    const int64_t m = std::min(kChunk, row.count - begin);
    gather(row, begin, m);
    af_.selfadjointView<Eigen::Lower>().rankUpdate(buf_.topRows(m).transpose());
  }
}

// a_ (lower), b_ in double from the float sums, with Y^T Y and the ridge.
void RowSolver::form_system(int64_t n) {
  a_.triangularView<Eigen::Lower>() = af_.cast<double>();
  if (!is_explicit(opt_)) a_.triangularView<Eigen::Lower>() += opt_.alpha0 * *gram_;
  const double ridge = row_ridge(n);
  for (int i = 0; i < k_; ++i) a_(i, i) += ridge;
  if (is_explicit(opt_)) a_(k_, k_) += opt_.lambda_bias;  // a damped mean: not scaled by n
  b_ = bf_.cast<double>();
}

// The hybrid prior: lambda I on A and lambda * mean on b. Only called with a
// prior, so rows without one keep exactly the plain ALS arithmetic.
void RowSolver::add_prior(const RowPrior* prior) {
  if (prior == nullptr) return;
  for (int i = 0; i < dim_; ++i) {
    a_(i, i) += prior->lambda;
    b_[i] += prior->lambda * double{prior->mean[i]};
  }
}

RowSolver::NormalEquations RowSolver::build_normal_equations(const RowEntries& row,
                                                             const RowPrior* prior) {
  accumulate_lower(row);
  form_system(row.count);
  add_prior(prior);
  return {a_, b_};
}

RowOutcome RowSolver::solve(const RowEntries& row, float* factors, float* bias,
                            const RowPrior* prior) {
  if (row.count == 0) {
    std::fill(factors, factors + k_, 0.0f);
    if (bias != nullptr) *bias = 0.0f;
    RowOutcome out;
    out.empty = true;
    return out;
  }
  return opt_.solver == SolverKind::kCholesky ? solve_cholesky(row, factors, bias, prior)
                                              : solve_cg(row, factors, bias, prior);
}

namespace {

// Writes a solution (k factors, then the bias in explicit mode) and reports
// whether every written value is finite (a double beyond float range becomes inf).
template <typename Vector>
bool write_solution(const Vector& z, int k, bool explicit_fb, float* factors, float* bias) {
  bool finite = true;
  for (int i = 0; i < k; ++i) {
    factors[i] = static_cast<float>(z[i]);
    finite = finite && std::isfinite(factors[i]);
  }
  if (bias != nullptr) {
    *bias = explicit_fb ? static_cast<float>(z[k]) : 0.0f;
    finite = finite && std::isfinite(*bias);
  }
  return finite;
}

}  // namespace

// Explicit rows of n < 2/3 (k + 1) entries: A = D + G^T G with D
// the diagonal ridge (plus the prior's lambda) and G = [Y 1] the row's n
// gathered rows, so by the Woodbury identity
//   A^-1 c = D^-1 c - D^-1 G^T M^-1 G D^-1 c,   M = I_n + G D^-1 G^T,
// an n x n factorisation and O(n^2 k) products replace the (k + 1) x (k + 1)
// factorisation whose fixed cost dominates short rows (measured at k = 64,
// one thread, per row: 0.4 us against 13 us at n = 1, 11 us against 18 us at
// n = 32, even near n = 48 and slower above: hence the 2/3). In double throughout
// (G, c and M are summed in double). Returns false, having written nothing,
// when D has a zero (lambda = 0: A may be singular) or M is not positive
// definite (NaN inputs): the (k + 1) x (k + 1) path then decides.
bool RowSolver::solve_short_explicit(const RowEntries& row, const RowPrior* prior) {
  const int64_t n = row.count;
  const double prior_lambda = prior != nullptr ? prior->lambda : 0.0;
  const double ridge = factor_ridge(opt_, n);
  for (int i = 0; i < dim_; ++i) {
    const double d = (i < k_ ? ridge : opt_.lambda_bias) + prior_lambda;
    if (!(d > 0.0)) return false;
    short_dinv_[i] = 1.0 / d;
  }
  // G (n x (k + 1)) and c = G^T t (+ lambda * prior mean).
  const float* y = y_.data();
  short_c_.setZero();
  for (int64_t e = 0; e < n; ++e) {
    const int32_t j = row.cols[e];
    auto g = short_g_.row(e);
    g.head(k_) = Eigen::Map<const Eigen::VectorXf>(y + static_cast<int64_t>(j) * k_, k_)
                     .cast<double>()
                     .transpose();
    g[k_] = 1.0;
    const double t = double{row.values[e]} - mu_ - other_bias_[static_cast<size_t>(j)];
    short_c_.noalias() += t * g.transpose();
  }
  if (prior != nullptr) {
    for (int i = 0; i < dim_; ++i) short_c_[i] += prior->lambda * double{prior->mean[i]};
  }
  const auto g = short_g_.topRows(n);
  // u = D^-1 c, v = G u, M = I + (G D^-1/2)(G D^-1/2)^T (lower triangle).
  short_u_ = short_dinv_.cwiseProduct(short_c_);
  Eigen::Map<Eigen::VectorXd> v(short_v_.data(), n);
  v.noalias() = g * short_u_;
  auto h = short_h_.topRows(n);
  h = g * short_dinv_.cwiseSqrt().asDiagonal();
  const int ld = padded_rows(static_cast<int>(n));
  Eigen::Map<Eigen::MatrixXd, 0, Eigen::OuterStride<>> m(short_m_.data(), n, n,
                                                         Eigen::OuterStride<>(ld));
  m.triangularView<Eigen::Lower>() = h * h.transpose();
  m.diagonal().array() += 1.0;
  if (!cholesky_in_place(m.data(), static_cast<int>(n), ld)) return false;
  cholesky_solve(m.data(), static_cast<int>(n), ld, v.data());  // v = M^-1 G u
  z_.noalias() = g.transpose() * v;
  z_ = short_u_ - short_dinv_.cwiseProduct(z_);
  return true;
}

// The explicit system [[M, s], [s^T, d]] (x, c) = (r, r_b), with the bias
// c eliminated: (M - s s^T / d) x = r - s r_b / d, then c = (r_b - s.x) / d.
// The Schur complement of a positive definite matrix is positive definite,
// so a k x k factorisation replaces the (k + 1) x (k + 1) one; at k = 64
// that is also 8 row blocks of the panel update instead of 9. Solves a_,
// b_ into z_; false, having written nothing, when the k x k factor fails
// (the (k + 1) x (k + 1) path then decides, with its LDLT fallback).
bool RowSolver::solve_explicit_by_schur() {
  const double d = a_(k_, k_);
  if (!(d > 0.0)) return false;
  const int ld = static_cast<int>(schur_.rows());
  const auto s = a_.row(k_).head(k_);
  for (int j = 0; j < k_; ++j) {
    const double sj = s[j] / d;
    for (int i = j; i < k_; ++i) schur_(i, j) = a_(i, j) - s[i] * sj;
  }
  if (!cholesky_in_place(schur_.data(), k_, ld)) return false;
  const double rb = b_[k_];
  for (int i = 0; i < k_; ++i) z_[i] = b_[i] - s[i] * (rb / d);
  cholesky_solve(schur_.data(), k_, ld, z_.data());
  z_[k_] = (rb - s.dot(z_.head(k_))) / d;
  return true;
}

RowOutcome RowSolver::solve_cholesky(const RowEntries& row, float* factors, float* bias,
                                     const RowPrior* prior) {
  if (solves_through_woodbury(opt_, row.count) && solve_short_explicit(row, prior)) {
    RowOutcome out;
    out.finite = write_solution(z_, k_, true, factors, bias);
    return out;
  }
  accumulate_lower(row);
  form_system(row.count);
  add_prior(prior);
  RowOutcome out;
  const int ld = static_cast<int>(l_.rows());
  if (is_explicit(opt_) && solve_explicit_by_schur()) {
    out.finite = write_solution(z_, k_, true, factors, bias);
    return out;
  }
  l_.topRows(dim_).triangularView<Eigen::Lower>() = a_;
  if (cholesky_in_place(l_.data(), dim_, ld)) {
    z_ = b_;
    cholesky_solve(l_.data(), dim_, ld, z_.data());
  } else {
    // Only without regularisation (lambda = 0) on a rank-deficient row, or
    // with NaN inputs (then the result is NaN and reported): LDLT with
    // pivoting zeroes the null-space components instead of failing.
    ldlt_.compute(a_);
    z_ = ldlt_.solve(b_);
    out.ldlt_fallback = true;
  }
  out.finite = write_solution(z_, k_, is_explicit(opt_), factors, bias);
  return out;
}

// out = A p without forming A: reg p (+ Y^T Y p) + G^T (G p), the gathered
// buffer walked in the same 512-row chunks as the Cholesky build.
void RowSolver::apply_cg_matrix(int64_t n, const Eigen::VectorXf& p, Eigen::VectorXf& out) {
  out = reg_.cwiseProduct(p);
  if (!is_explicit(opt_)) out.noalias() += gram_f_ * p;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t m = std::min(kChunk, n - begin);
    auto g = buf_.middleRows(begin, m);
    auto q = q_.head(m);
    q.noalias() = g * p;
    out.noalias() += g.transpose() * q;
  }
}

// out = A p for explicit CG: reg p + G^T (G p) with G = [Y 1] and the ones
// column applied as numbers (q = Y p_k + p_b; out_k += Y^T q, out_b += sum q).
void RowSolver::apply_explicit_cg_matrix(int64_t n, const Eigen::VectorXf& p,
                                         Eigen::VectorXf& out) {
  out = reg_.cwiseProduct(p);
  auto out_k = out.head(k_);
  const auto p_k = p.head(k_);
  const float p_b = p[k_];
  float q_sum = 0.0f;
  for (int64_t begin = 0; begin < n; begin += kChunk) {
    const int64_t m = std::min(kChunk, n - begin);
    auto g = yk_.middleRows(begin, m);
    auto q = q_.head(m);
    q.noalias() = g * p_k;
    q.array() += p_b;
    out_k.noalias() += g.transpose() * q;
    q_sum += q.sum();
  }
  out[k_] += q_sum;
}

void RowSolver::apply_cg_system(int64_t n, const Eigen::VectorXf& p, Eigen::VectorXf& out) {
  if (is_explicit(opt_)) {
    apply_explicit_cg_matrix(n, p, out);
  } else {
    apply_cg_matrix(n, p, out);
  }
}

RowOutcome RowSolver::solve_cg(const RowEntries& row, float* factors, float* bias,
                               const RowPrior* prior) {
  const int64_t n = row.count;
  const bool explicit_fb = is_explicit(opt_);
  x_.head(k_) = Eigen::Map<const Eigen::VectorXf>(factors, k_);
  reg_.setConstant(static_cast<float>(row_ridge(n)));
  if (explicit_fb) {
    x_[k_] = bias != nullptr ? *bias : 0.0f;
    reg_[k_] = static_cast<float>(opt_.lambda_bias);
  }
  if (prior != nullptr) reg_.array() += static_cast<float>(prior->lambda);
  // The gather leaves in bf_ the entries' part of the starting residual b - A x0.
  ensure_rows(n);
  bf_.setZero();
  if (explicit_fb) {
    gather_explicit(row, 0, n, &x_);
    r_ = bf_ - reg_.cwiseProduct(x_);
  } else {
    gather(row, 0, n, &x_);
    r_ = bf_ - gram_f_ * x_ - reg_.cwiseProduct(x_);
  }
  add_prior_mean(prior, r_);
  p_ = r_;
  float rs = r_.squaredNorm();
  // A NaN or inf among the inputs shows up in a residual or curvature: the
  // row's result is then NaN (not the warm start) so the sweep reports it.
  bool poisoned = !std::isfinite(rs);
  for (int step = 0; step < opt_.cg_steps && !poisoned && rs > 0.0f; ++step) {
    apply_cg_system(n, p_, ap_);
    const float pap = p_.dot(ap_);
    poisoned = !std::isfinite(pap);
    // pap <= 0 only when p is (numerically) zero: converged, and dividing would give NaN.
    if (poisoned || pap <= 0.0f) break;
    const float step_size = rs / pap;
    x_.noalias() += step_size * p_;
    r_.noalias() -= step_size * ap_;
    const float rs_next = r_.squaredNorm();
    p_ = r_ + (rs_next / rs) * p_;
    rs = rs_next;
    poisoned = !std::isfinite(rs);
  }
  if (poisoned) x_.setConstant(std::numeric_limits<float>::quiet_NaN());
  RowOutcome out;
  out.finite = write_solution(x_, k_, is_explicit(opt_), factors, bias);
  return out;
}

}  // namespace animerec::als
