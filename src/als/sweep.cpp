#include "animerec/als/sweep.h"

#include <omp.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "animerec/als/solver.h"

namespace animerec::als {

namespace {

// Gram: chunks of at least this many rows, and at most kGramMaxChunks of them
// (bounded memory for the per-chunk k x k partial sums). Both depend only on
// the row count, never on the thread count.
constexpr int64_t kGramMinChunk = 4096;
constexpr int64_t kGramMaxChunks = 64;
// Rows per double rank-k update inside a gram chunk (cache-sized).
constexpr int64_t kGramSubChunk = 512;
// Rows per partial sum of a loss.
constexpr int32_t kLossChunk = 1024;
// A row with more than this many times the block's mean entries is heavy:
// it is handed out before the others (see work_order).
constexpr int64_t kHeavyRowFactor = 4;
// Rows per grab of the dynamic schedule over the work order: small enough
// that the last grabs are short, large enough that grabbing costs nothing.
constexpr int kRowsPerGrab = 16;

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument("als::" + what);
}

void check_block(const RatingBlock& block, const SideState& self, const SideState& other,
                 const AlsOptions& opt, const char* function) {
  const std::string f(function);
  require(!block.offsets.empty() && block.offsets.front() == 0 &&
              block.cols.size() == static_cast<size_t>(block.nnz()) &&
              block.values.size() == static_cast<size_t>(block.nnz()),
          f + ": malformed rating block");
  require(block.first_row >= 0 && int64_t{block.first_row} + block.rows() <= self.rows(),
          f + ": block rows [" + std::to_string(block.first_row) + ", " +
              std::to_string(int64_t{block.first_row} + block.rows()) + ") exceed the side's " +
              std::to_string(self.rows()) + " rows");
  require(self.factors.cols() == opt.factors && other.factors.cols() == opt.factors,
          f + ": factor matrices must have " + std::to_string(opt.factors) + " columns");
  if (opt.feedback == Feedback::kExplicit) {
    require(self.bias.size() == static_cast<size_t>(self.rows()) &&
                other.bias.size() == static_cast<size_t>(other.rows()),
            f + ": explicit feedback needs one bias per row on both sides");
  } else {
    require(self.bias.empty() || self.bias.size() == static_cast<size_t>(self.rows()),
            f + ": bias size differs from the side's rows");
  }
}

void record(SweepStats& stats, const RowOutcome& outcome, int64_t row) {
  if (outcome.empty) {
    ++stats.empty_rows;
  } else {
    ++stats.rows_solved;
  }
  if (outcome.ldlt_fallback) ++stats.ldlt_fallbacks;
  if (!outcome.finite) {
    ++stats.nonfinite_rows;
    if (stats.first_nonfinite_row < 0 || row < stats.first_nonfinite_row)
      stats.first_nonfinite_row = row;
  }
}

// Sums f(first, last) over fixed chunks of [0, rows) in parallel, then adds
// the chunk results in chunk order, so the total does not depend on threads.
template <typename Result, typename ChunkFn>
Result reduce_chunks(int32_t rows, int32_t chunk, ChunkFn f) {
  const int32_t chunks = (rows + chunk - 1) / chunk;
  std::vector<Result> partial(static_cast<size_t>(chunks));
#pragma omp parallel for schedule(dynamic, 1)
  for (int32_t c = 0; c < chunks; ++c) {
    const int32_t first = c * chunk;
    partial[static_cast<size_t>(c)] = f(first, std::min(rows, first + chunk));
  }
  Result total;
  for (const Result& p : partial) total += p;
  return total;
}

struct ExplicitSums {
  double squared_error = 0, regularization = 0;
  int64_t count = 0;
  ExplicitSums& operator+=(const ExplicitSums& o) {
    squared_error += o.squared_error;
    regularization += o.regularization;
    count += o.count;
    return *this;
  }
};

struct ImplicitSums {
  double observed = 0, unobserved = 0, regularization = 0;
  int64_t count = 0;
  ImplicitSums& operator+=(const ImplicitSums& o) {
    observed += o.observed;
    unobserved += o.unobserved;
    regularization += o.regularization;
    count += o.count;
    return *this;
  }
};

// The order in which a block's rows are handed to the threads: the heavy
// rows first, heaviest first (ties by index), then the others in index order
// (their entries and factors in memory order). A heavy row started last
// would keep one thread busy while the others idle; started first, the light
// rows fill in around it. Only who computes a row changes, never its result.
std::vector<int32_t> work_order(const RatingBlock& block) {
  const int32_t rows = block.rows();
  std::vector<int32_t> order;
  order.reserve(static_cast<size_t>(rows));
  if (rows == 0) return order;
  const int64_t heavy = kHeavyRowFactor * std::max<int64_t>(1, block.nnz() / rows);
  auto entries = [&](int32_t r) { return block.offsets[r + 1] - block.offsets[r]; };
  for (int32_t r = 0; r < rows; ++r) {
    if (entries(r) > heavy) order.push_back(r);
  }
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return entries(a) != entries(b) ? entries(a) > entries(b) : a < b;
  });
  for (int32_t r = 0; r < rows; ++r) {
    if (entries(r) <= heavy) order.push_back(r);
  }
  return order;
}

}  // namespace

void SweepStats::merge(const SweepStats& other) {
  rows_solved += other.rows_solved;
  empty_rows += other.empty_rows;
  ldlt_fallbacks += other.ldlt_fallbacks;
  nonfinite_rows += other.nonfinite_rows;
  if (other.first_nonfinite_row >= 0 &&
      (first_nonfinite_row < 0 || other.first_nonfinite_row < first_nonfinite_row)) {
    first_nonfinite_row = other.first_nonfinite_row;
  }
}

SweepStats solve_block(const RatingBlock& block, const SideState& other, float global_mean,
                       const Eigen::MatrixXd* gram, const AlsOptions& opt, SideState& self,
                       const BlockPrior* prior) {
  check_block(block, self, other, opt, "solve_block");
  require(prior == nullptr ||
              (prior->means.rows() == block.rows() && prior->means.cols() == opt.factors + 1),
          "solve_block: prior means must have one row per block row and k + 1 columns");
  // Validates the rest (gram, bias sizes) before any thread starts: an
  // exception cannot leave an OpenMP parallel region.
  { RowSolver probe(other, global_mean, gram, opt); }

  SweepStats total;
  const int32_t rows = block.rows();
  const int k = opt.factors;
  const std::vector<int32_t> order = work_order(block);
#pragma omp parallel
  {
    RowSolver solver(other, global_mean, gram, opt);
    SweepStats local;
#pragma omp for schedule(dynamic, kRowsPerGrab) nowait
    for (int32_t i = 0; i < rows; ++i) {
      const int32_t r = order[static_cast<size_t>(i)];
      const int64_t row = int64_t{block.first_row} + r;
      float* factors = self.factors.data() + row * k;
      float* bias = self.bias.empty() ? nullptr : &self.bias[static_cast<size_t>(row)];
      RowPrior row_prior;
      if (prior != nullptr) row_prior = {prior->lambda, prior->means.data() + int64_t{r} * (k + 1)};
      record(local,
             solver.solve(row_entries(block, r), factors, bias,
                          prior != nullptr ? &row_prior : nullptr),
             row);
    }
#pragma omp critical(animerec_als_sweep_stats)
    total.merge(local);
  }
  return total;
}

std::vector<Eigen::MatrixXd> gram_chunks(const FactorMatrix& y, int part, int parts) {
  const int64_t n = y.rows();
  const auto k = static_cast<Eigen::Index>(y.cols());
  const int64_t chunk = std::max(kGramMinChunk, (n + kGramMaxChunks - 1) / kGramMaxChunks);
  const int64_t chunks = (n + chunk - 1) / chunk;
  std::vector<Eigen::MatrixXd> partial(static_cast<size_t>(chunks));
  const int64_t mine = chunks > part ? (chunks - part + parts - 1) / parts : 0;
#pragma omp parallel
  {
    Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> rows(kGramSubChunk, k);
#pragma omp for schedule(dynamic, 1)
    for (int64_t j = 0; j < mine; ++j) {
      const int64_t c = part + j * parts;
      Eigen::MatrixXd& p = partial[static_cast<size_t>(c)];
      p.setZero(k, k);
      const int64_t end = std::min(n, (c + 1) * chunk);
      for (int64_t begin = c * chunk; begin < end; begin += kGramSubChunk) {
        const int64_t m = std::min(kGramSubChunk, end - begin);
        rows.topRows(m) = y.middleRows(begin, m).cast<double>();
        p.selfadjointView<Eigen::Lower>().rankUpdate(rows.topRows(m).transpose());
      }
    }
  }
  return partial;
}

Eigen::MatrixXd gram_from_chunks(const std::vector<Eigen::MatrixXd>& partial, Eigen::Index k) {
  Eigen::MatrixXd lower = Eigen::MatrixXd::Zero(k, k);
  for (const Eigen::MatrixXd& p : partial) lower += p;
  return lower.selfadjointView<Eigen::Lower>();
}

Eigen::MatrixXd gram_matrix(const FactorMatrix& y) {
  return gram_from_chunks(gram_chunks(y, 0, 1), static_cast<Eigen::Index>(y.cols()));
}

ExplicitLoss explicit_block_loss(const RatingBlock& block, const SideState& self,
                                 const SideState& other, float global_mean, const AlsOptions& opt) {
  check_block(block, self, other, opt, "explicit_block_loss");
  require(opt.feedback == Feedback::kExplicit,
          "explicit_block_loss: options say implicit feedback");
  auto chunk_sums = [&](int32_t first, int32_t last) {
    ExplicitSums s;
    for (int32_t r = first; r < last; ++r) {
      const auto row = static_cast<Eigen::Index>(block.first_row) + r;
      const auto x = self.factors.row(row);
      const double b = self.bias[static_cast<size_t>(row)];
      const RowEntries e = row_entries(block, r);
      for (int64_t i = 0; i < e.count; ++i) {
        const int32_t j = e.cols[i];
        const double predicted = double{global_mean} + b + other.bias[static_cast<size_t>(j)] +
                                 double{x.dot(other.factors.row(j))};
        const double err = double{e.values[i]} - predicted;
        s.squared_error += err * err;
      }
      s.regularization +=
          factor_ridge(opt, e.count) * x.cast<double>().squaredNorm() + opt.lambda_bias * b * b;
      s.count += e.count;
    }
    return s;
  };
  const ExplicitSums s = reduce_chunks<ExplicitSums>(block.rows(), kLossChunk, chunk_sums);
  return {s.squared_error, s.count, s.regularization};
}

ImplicitLoss implicit_block_loss(const RatingBlock& block, const SideState& self,
                                 const SideState& other, const Eigen::MatrixXd& other_gram,
                                 const AlsOptions& opt) {
  check_block(block, self, other, opt, "implicit_block_loss");
  require(other_gram.rows() == opt.factors && other_gram.cols() == opt.factors,
          "implicit_block_loss: gram must be k x k");
  auto chunk_sums = [&](int32_t first, int32_t last) {
    ImplicitSums s;
    for (int32_t r = first; r < last; ++r) {
      const auto row = static_cast<Eigen::Index>(block.first_row) + r;
      const auto x = self.factors.row(row);
      const Eigen::VectorXd xd = x.cast<double>().transpose();
      s.unobserved += xd.dot(other_gram * xd);
      const RowEntries e = row_entries(block, r);
      for (int64_t i = 0; i < e.count; ++i) {
        const double score = x.dot(other.factors.row(e.cols[i]));
        const double c = 1.0 + std::max(opt.alpha * e.values[i], 0.0);
        s.observed += c * (1.0 - score) * (1.0 - score);
        s.unobserved -= score * score;
      }
      s.regularization += implicit_factor_ridge(opt, e.count, other.rows()) * xd.squaredNorm();
      s.count += e.count;
    }
    return s;
  };
  const ImplicitSums s = reduce_chunks<ImplicitSums>(block.rows(), kLossChunk, chunk_sums);
  return {s.observed, opt.alpha0 * s.unobserved, s.regularization, s.count};
}

}  // namespace animerec::als
