#include "animerec/als/solver.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "animerec/als/sweep.h"
#include "animerec/als/types.h"
#include "random_side.h"

namespace animerec::als {
namespace {

using testing::random_side;

// One row: `count` distinct ascending columns of [0, other_rows) and values.
struct Row {
  std::vector<int32_t> cols;
  std::vector<float> values;
  RowEntries entries() const {
    return {cols.data(), values.data(), static_cast<int64_t>(cols.size())};
  }
};

Row random_row(int count, int other_rows, std::mt19937_64& rng, float low, float high) {
  std::vector<int32_t> all(static_cast<size_t>(other_rows));
  for (int i = 0; i < other_rows; ++i) all[static_cast<size_t>(i)] = i;
  std::shuffle(all.begin(), all.end(), rng);
  Row row;
  row.cols.assign(all.begin(), all.begin() + count);
  std::sort(row.cols.begin(), row.cols.end());
  std::uniform_real_distribution<float> value(low, high);
  for (int i = 0; i < count; ++i) row.values.push_back(value(rng));
  return row;
}

AlsOptions options(int k, Feedback feedback, SolverKind solver) {
  AlsOptions o;
  o.factors = k;
  o.feedback = feedback;
  o.solver = solver;
  o.cg_steps = 4 * (k + 1);  // float CG needs some steps beyond the exact k + 1
  o.lambda = 0.1;
  o.lambda_bias = 0.03;
  o.alpha = 5.0;
  return o;
}

// Explicit reference: least squares on the augmented design [Y_u 1] with the
// ridge as extra rows sqrt(reg) e_i, solved by QR in double.
Eigen::VectorXd explicit_reference(const Row& row, const SideState& other, float mu,
                                   const AlsOptions& o) {
  const int k = o.factors;
  const auto n = static_cast<Eigen::Index>(row.cols.size());
  Eigen::MatrixXd design = Eigen::MatrixXd::Zero(n + k + 1, k + 1);
  Eigen::VectorXd target = Eigen::VectorXd::Zero(n + k + 1);
  for (Eigen::Index i = 0; i < n; ++i) {
    const int32_t j = row.cols[static_cast<size_t>(i)];
    design.row(i).head(k) = other.factors.row(j).cast<double>();
    design(i, k) = 1.0;
    target(i) =
        double{row.values[static_cast<size_t>(i)]} - mu - other.bias[static_cast<size_t>(j)];
  }
  const double ridge = o.lambda * std::pow(static_cast<double>(n), o.lambda_exponent);
  for (int i = 0; i < k; ++i) design(n + i, i) = std::sqrt(ridge);
  design(n + k, k) = std::sqrt(o.lambda_bias);
  return design.colPivHouseholderQr().solve(target);
}

// Implicit reference: the dense Hu-Koren-Volinsky formula over every column,
// x = (Y^T C Y + lambda n I)^-1 Y^T C p.
Eigen::VectorXd implicit_reference(const Row& row, const SideState& other, const AlsOptions& o) {
  const Eigen::MatrixXd y = other.factors.cast<double>();
  Eigen::VectorXd confidence = Eigen::VectorXd::Ones(y.rows());
  Eigen::VectorXd preference = Eigen::VectorXd::Zero(y.rows());
  for (size_t i = 0; i < row.cols.size(); ++i) {
    confidence(row.cols[i]) = 1.0 + o.alpha * row.values[i];
    preference(row.cols[i]) = 1.0;
  }
  Eigen::MatrixXd a = y.transpose() * confidence.asDiagonal() * y;
  a.diagonal().array() +=
      o.lambda * std::pow(static_cast<double>(row.cols.size()), o.lambda_exponent);
  const Eigen::VectorXd b = y.transpose() * confidence.cwiseProduct(preference);
  return a.ldlt().solve(b);
}

struct Solved {
  Eigen::VectorXf factors;
  float bias = 0;
  RowOutcome outcome;
};

Solved solve_row(const Row& row, const SideState& other, float mu, const Eigen::MatrixXd* gram,
                 const AlsOptions& o, float warm = 0.3f) {
  RowSolver solver(other, mu, gram, o);
  Solved s;
  s.factors = Eigen::VectorXf::Constant(o.factors, warm);
  s.bias = warm;
  s.outcome = solver.solve(row.entries(), s.factors.data(), &s.bias);
  return s;
}

void expect_close(const Eigen::VectorXf& actual, const Eigen::VectorXd& expected,
                  double tolerance) {
  ASSERT_EQ(actual.size(), expected.size());
  const double scale = std::max(1.0, expected.cwiseAbs().maxCoeff());
  for (Eigen::Index i = 0; i < actual.size(); ++i) {
    EXPECT_NEAR(actual(i), expected(i), tolerance * scale) << "component " << i;
  }
}

class SolverExplicitTest : public ::testing::TestWithParam<SolverKind> {};

TEST_P(SolverExplicitTest, MatchesDenseLeastSquaresOfAugmentedSystem) {
  std::mt19937_64 rng(11);
  const int k = 6;
  const SideState other = random_side(40, k, rng);
  const AlsOptions o = options(k, Feedback::kExplicit, GetParam());
  const Row row = random_row(25, 40, rng, 1.0f, 10.0f);
  const Eigen::VectorXd expected = explicit_reference(row, other, 7.0f, o);
  const Solved s = solve_row(row, other, 7.0f, nullptr, o);
  EXPECT_FALSE(s.outcome.ldlt_fallback);
  EXPECT_TRUE(s.outcome.finite);
  EXPECT_FALSE(s.outcome.empty);
  Eigen::VectorXf got(k + 1);
  got << s.factors, s.bias;
  expect_close(got, expected, 1e-4);
}

// The penalty lambda * n^e with e < 1 (lambda_exponent) is the one solved.
TEST_P(SolverExplicitTest, LambdaExponentScalesTheRidge) {
  std::mt19937_64 rng(13);
  const int k = 6;
  const SideState other = random_side(40, k, rng);
  AlsOptions o = options(k, Feedback::kExplicit, GetParam());
  o.lambda = 1.5;
  o.lambda_exponent = 0.5;
  const Row row = random_row(25, 40, rng, 1.0f, 10.0f);
  const Solved s = solve_row(row, other, 7.0f, nullptr, o);
  Eigen::VectorXf got(k + 1);
  got << s.factors, s.bias;
  expect_close(got, explicit_reference(row, other, 7.0f, o), 1e-4);
  o.lambda_exponent = 1.0;  // and it matters
  const Solved wr = solve_row(row, other, 7.0f, nullptr, o);
  EXPECT_GT((wr.factors - s.factors).norm(), 1e-3);
}

// Rows longer than the 512-entry accumulation chunk (and the initial CG buffer).
TEST_P(SolverExplicitTest, LongRowSpanningSeveralChunks) {
  std::mt19937_64 rng(12);
  const int k = 8;
  const SideState other = random_side(3000, k, rng, 0.5f);
  const AlsOptions o = options(k, Feedback::kExplicit, GetParam());
  const Row row = random_row(1300, 3000, rng, 1.0f, 10.0f);
  const Solved s = solve_row(row, other, 7.0f, nullptr, o);
  Eigen::VectorXf got(k + 1);
  got << s.factors, s.bias;
  expect_close(got, explicit_reference(row, other, 7.0f, o), 2e-4);
}

// Rows with fewer entries than 2/3 (k + 1) (Cholesky solves them through the
// n x n Woodbury system) give the least-squares solution, down to a single
// entry and across the threshold, with the bias, and the ridge exponent applied.
TEST_P(SolverExplicitTest, ShortRowsMatchDenseLeastSquares) {
  std::mt19937_64 rng(31);
  const int k = 16;
  const SideState other = random_side(200, k, rng, 0.5f);
  AlsOptions o = options(k, Feedback::kExplicit, GetParam());
  o.lambda_exponent = 0.6;
  for (int count : {1, 2, 5, 11, 12, 16, 17}) {
    const Row row = random_row(count, 200, rng, 1.0f, 10.0f);
    const Solved s = solve_row(row, other, 7.0f, nullptr, o);
    EXPECT_FALSE(s.outcome.ldlt_fallback);
    EXPECT_TRUE(s.outcome.finite);
    Eigen::VectorXf got(k + 1);
    got << s.factors, s.bias;
    SCOPED_TRACE(count);
    expect_close(got, explicit_reference(row, other, 7.0f, o), 2e-4);
  }
}

// One solver reused over rows whose lengths grow past its buffers in steps
// (600, 1000, 1100, 2300 entries: the buffers grow geometrically, so some
// rows fit the grown capacity and some do not) gives each row bit for bit
// what a fresh solver gives it: a row's result never depends on the rows the
// thread solved before.
TEST_P(SolverExplicitTest, ReusedSolverMatchesFreshSolverAsRowsGrow) {
  std::mt19937_64 rng(21);
  const int k = 8;
  const SideState other = random_side(3000, k, rng, 0.5f);
  AlsOptions o = options(k, Feedback::kExplicit, GetParam());
  o.cg_steps = 3;  // the trainer's default: the warm start matters
  RowSolver reused(other, 7.0f, nullptr, o);
  for (int count : {600, 1000, 1100, 2300, 700}) {
    const Row row = random_row(count, 3000, rng, 1.0f, 10.0f);
    const Solved fresh = solve_row(row, other, 7.0f, nullptr, o);
    Eigen::VectorXf factors = Eigen::VectorXf::Constant(k, 0.3f);
    float bias = 0.3f;
    reused.solve(row.entries(), factors.data(), &bias);
    EXPECT_EQ(0, std::memcmp(factors.data(), fresh.factors.data(), sizeof(float) * k))
        << count << " entries";
    EXPECT_EQ(0, std::memcmp(&bias, &fresh.bias, sizeof(float))) << count << " entries";
  }
}

INSTANTIATE_TEST_SUITE_P(Solvers, SolverExplicitTest,
                         ::testing::Values(SolverKind::kCholesky, SolverKind::kConjugateGradient));

class SolverImplicitTest : public ::testing::TestWithParam<SolverKind> {};

TEST_P(SolverImplicitTest, MatchesDenseHuKorenVolinskyFormula) {
  std::mt19937_64 rng(21);
  const int k = 5;
  const SideState other = random_side(60, k, rng, 0.7f);
  const Eigen::MatrixXd gram = gram_matrix(other.factors);
  const AlsOptions o = options(k, Feedback::kImplicit, GetParam());
  const Row row = random_row(12, 60, rng, 0.5f, 2.0f);
  const Solved s = solve_row(row, other, 7.0f, &gram, o);
  EXPECT_TRUE(s.outcome.finite);
  EXPECT_EQ(s.bias, 0.0f);
  expect_close(s.factors, implicit_reference(row, other, o), 1e-4);
}

// Brute force of Rendle et al.'s row objective, straight from its definition:
//   sum_{j in row} c_j (1 - x.y_j)^2 + alpha0 sum_{j not in row} (x.y_j)^2
//   + lambda (n + alpha0 N)^nu |x|^2   (lambda n^nu |x|^2 without ridge_counts_unobserved)
// as weighted least squares over every column (rows sqrt(weight) y_j, targets
// sqrt(weight) preference) plus sqrt(ridge) I, solved by QR in double. With a
// prior (the ranking part's content prior), + prior_lambda |x - prior_mean|^2:
// k more rows sqrt(prior_lambda) e_i with targets sqrt(prior_lambda) mean_i.
Eigen::VectorXd rendle_reference(const Row& row, const SideState& other, const AlsOptions& o,
                                 double prior_lambda = 0, const float* prior_mean = nullptr) {
  const auto n_other = static_cast<Eigen::Index>(other.rows());
  const int k = o.factors;
  const Eigen::Index prior_rows = prior_mean != nullptr ? k : 0;
  Eigen::MatrixXd design = Eigen::MatrixXd::Zero(n_other + k + prior_rows, k);
  Eigen::VectorXd target = Eigen::VectorXd::Zero(n_other + k + prior_rows);
  for (Eigen::Index j = 0; j < n_other; ++j) {
    design.row(j) = std::sqrt(o.alpha0) * other.factors.row(j).cast<double>();
  }
  for (size_t i = 0; i < row.cols.size(); ++i) {
    const double c = 1.0 + o.alpha * row.values[i];
    design.row(row.cols[i]) = std::sqrt(c) * other.factors.row(row.cols[i]).cast<double>();
    target(row.cols[i]) = std::sqrt(c);
  }
  const double count = static_cast<double>(row.cols.size()) +
                       (o.ridge_counts_unobserved ? o.alpha0 * static_cast<double>(n_other) : 0.0);
  const double ridge = o.lambda * std::pow(count, o.lambda_exponent);
  for (int i = 0; i < k; ++i) design(n_other + i, i) = std::sqrt(ridge);
  for (Eigen::Index i = 0; i < prior_rows; ++i) {
    design(n_other + k + i, i) = std::sqrt(prior_lambda);
    target(n_other + k + i) = std::sqrt(prior_lambda) * double{prior_mean[i]};
  }
  return design.colPivHouseholderQr().solve(target);
}

// alpha0 scales the gram term, and the ridge counts alpha0 N unobserved pairs.
TEST_P(SolverImplicitTest, MatchesBruteForceOfRendleObjective) {
  std::mt19937_64 rng(23);
  const int k = 5;
  const SideState other = random_side(60, k, rng, 0.7f);
  const Eigen::MatrixXd gram = gram_matrix(other.factors);
  AlsOptions o = options(k, Feedback::kImplicit, GetParam());
  o.alpha0 = 0.05;
  o.ridge_counts_unobserved = true;
  o.lambda_exponent = 0.7;
  o.lambda = 0.3;
  const Row row = random_row(12, 60, rng, 0.5f, 2.0f);
  const Solved s = solve_row(row, other, 7.0f, &gram, o);
  EXPECT_TRUE(s.outcome.finite);
  expect_close(s.factors, rendle_reference(row, other, o), 1e-4);
  // alpha0 on its own (the ridge by the entry count) is the one solved too.
  o.ridge_counts_unobserved = false;
  expect_close(solve_row(row, other, 7.0f, &gram, o).factors, rendle_reference(row, other, o),
               1e-4);
}

// The ranking part's row at its tuned shape, solved by either --ranking-solver:
// many factors against a ridge far smaller than the gram term (frequency
// scaling, lambda 0.005), alpha0 < 1, and the content prior. The exact
// (Cholesky) solve and a CG run to convergence both give the brute-force
// minimiser of the whole objective.
TEST_P(SolverImplicitTest, MatchesBruteForceOfRankingPartObjectiveWithPrior) {
  std::mt19937_64 rng(37);
  const int k = 24;
  const int n_other = 90;
  const SideState other = random_side(n_other, k, rng, 0.3f);
  const Eigen::MatrixXd gram = gram_matrix(other.factors);
  AlsOptions o = options(k, Feedback::kImplicit, GetParam());
  o.alpha = 1.0;
  o.alpha0 = 0.5;
  o.ridge_counts_unobserved = true;
  o.lambda = 0.005;
  o.lambda_exponent = 1.0;
  const Row row = random_row(40, n_other, rng, 0.5f, 2.5f);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<float> mean(static_cast<size_t>(k));
  for (float& v : mean) v = normal(rng);
  const RowPrior prior{0.3, mean.data()};
  RowSolver solver(other, 0.0f, &gram, o);
  Eigen::VectorXf factors = Eigen::VectorXf::Constant(k, 0.1f);
  EXPECT_TRUE(solver.solve(row.entries(), factors.data(), nullptr, &prior).finite);
  expect_close(factors, rendle_reference(row, other, o, prior.lambda, mean.data()), 1e-4);
}

TEST(SolverTest, RejectsAlpha0OutsideZeroToOne) {
  std::mt19937_64 rng(29);
  const SideState other = random_side(10, 3, rng);
  const Eigen::MatrixXd gram = gram_matrix(other.factors);
  AlsOptions o = options(3, Feedback::kImplicit, SolverKind::kCholesky);
  for (double bad : {0.0, -0.5, 1.5}) {
    o.alpha0 = bad;
    EXPECT_THROW(RowSolver(other, 0.0f, &gram, o), std::invalid_argument) << bad;
  }
  o.alpha0 = 1.0;
  EXPECT_NO_THROW(RowSolver(other, 0.0f, &gram, o));
}

INSTANTIATE_TEST_SUITE_P(Solvers, SolverImplicitTest,
                         ::testing::Values(SolverKind::kCholesky, SolverKind::kConjugateGradient));

TEST(SolverTest, NormalEquationsAreTheAugmentedSystem) {
  std::mt19937_64 rng(31);
  const int k = 4;
  const SideState other = random_side(20, k, rng);
  const AlsOptions o = options(k, Feedback::kExplicit, SolverKind::kCholesky);
  const Row row = random_row(9, 20, rng, 1.0f, 10.0f);
  RowSolver solver(other, 6.5f, nullptr, o);
  const RowSolver::NormalEquations ne = solver.build_normal_equations(row.entries());
  const Eigen::MatrixXd a = ne.a.selfadjointView<Eigen::Lower>();
  const Eigen::VectorXd b = ne.b;

  Eigen::MatrixXd expected_a = Eigen::MatrixXd::Zero(k + 1, k + 1);
  Eigen::VectorXd expected_b = Eigen::VectorXd::Zero(k + 1);
  for (size_t i = 0; i < row.cols.size(); ++i) {
    Eigen::VectorXd g(k + 1);
    g << other.factors.row(row.cols[i]).cast<double>().transpose(), 1.0;
    expected_a += g * g.transpose();
    expected_b += (row.values[i] - 6.5 - other.bias[static_cast<size_t>(row.cols[i])]) * g;
  }
  expected_a.diagonal().head(k).array() += o.lambda * 9;
  expected_a(k, k) += o.lambda_bias;
  EXPECT_TRUE(a.isApprox(expected_a, 1e-5));
  EXPECT_TRUE(b.isApprox(expected_b, 1e-5));
  EXPECT_EQ(system_size(o), k + 1);
}

TEST(SolverTest, EmptyRowGivesZeroFactorsAndBias) {
  std::mt19937_64 rng(41);
  const int k = 3;
  const SideState other = random_side(10, k, rng);
  const Eigen::MatrixXd gram = gram_matrix(other.factors);
  for (Feedback f : {Feedback::kExplicit, Feedback::kImplicit}) {
    for (SolverKind kind : {SolverKind::kCholesky, SolverKind::kConjugateGradient}) {
      const Solved s = solve_row(Row{}, other, 7.0f, &gram, options(k, f, kind), 0.9f);
      EXPECT_TRUE(s.outcome.empty);
      EXPECT_TRUE(s.outcome.finite);
      EXPECT_EQ(s.factors, Eigen::VectorXf::Zero(k));
      EXPECT_EQ(s.bias, 0.0f);
    }
  }
}

// lambda = 0 and a single entry: the augmented 3 x 3 system has rank 1, so
// LLT meets an exactly zero pivot. LDLT must give a finite solution that still
// fits the entry exactly.
TEST(SolverTest, RankDeficientRowFallsBackToLdltWithoutNaN) {
  SideState other;
  other.factors.resize(2, 2);
  other.factors << 1.0f, 0.0f, 0.0f, 1.0f;
  other.bias = {0.5f, 0.0f};
  AlsOptions o = options(2, Feedback::kExplicit, SolverKind::kCholesky);
  o.lambda = 0;
  o.lambda_bias = 0;
  Row row;
  row.cols = {0};
  row.values = {8.0f};
  const Solved s = solve_row(row, other, 7.0f, nullptr, o);
  EXPECT_TRUE(s.outcome.ldlt_fallback);
  EXPECT_TRUE(s.outcome.finite);
  EXPECT_TRUE(s.factors.allFinite());
  EXPECT_NEAR(7.0f + 0.5f + s.bias + s.factors(0), 8.0f, 1e-5);
}

TEST(SolverTest, RejectsMismatchedShapes) {
  std::mt19937_64 rng(51);
  const SideState other = random_side(10, 4, rng);
  EXPECT_THROW(
      RowSolver(other, 0.0f, nullptr, options(5, Feedback::kExplicit, SolverKind::kCholesky)),
      std::invalid_argument);
  EXPECT_THROW(
      RowSolver(other, 0.0f, nullptr, options(4, Feedback::kImplicit, SolverKind::kCholesky)),
      std::invalid_argument);
}

// ---------------------------------------------------------------- the hybrid prior

// A prior mean for every unknown of the system (k factors, then the bias).
std::vector<float> prior_mean(int dim, std::mt19937_64& rng) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> m(static_cast<size_t>(dim));
  for (float& v : m) v = normal(rng);
  return m;
}

// The dense closed form with the prior: the normal equations of the plain
// row plus lambda I, and lambda * mean on the right-hand side.
Eigen::VectorXd prior_reference(const Row& row, const SideState& other, float mu,
                                const AlsOptions& o, double lambda,
                                const std::vector<float>& mean) {
  const int k = o.factors;
  const int dim = system_size(o);
  const auto n = static_cast<Eigen::Index>(row.cols.size());
  Eigen::MatrixXd a = Eigen::MatrixXd::Zero(dim, dim);
  Eigen::VectorXd b = Eigen::VectorXd::Zero(dim);
  const double ridge = o.lambda * std::pow(static_cast<double>(n), o.lambda_exponent);
  if (o.feedback == Feedback::kExplicit) {
    for (Eigen::Index i = 0; i < n; ++i) {
      const int32_t j = row.cols[static_cast<size_t>(i)];
      Eigen::VectorXd g(dim);
      g.head(k) = other.factors.row(j).cast<double>().transpose();
      g(k) = 1.0;
      a += g * g.transpose();
      b += (double{row.values[static_cast<size_t>(i)]} - mu - other.bias[static_cast<size_t>(j)]) *
           g;
    }
    a.diagonal().head(k).array() += ridge;
    a(k, k) += o.lambda_bias;
  } else {
    const Eigen::MatrixXd y = other.factors.cast<double>();
    a = y.transpose() * y;
    for (size_t i = 0; i < row.cols.size(); ++i) {
      const Eigen::VectorXd yj = y.row(row.cols[i]).transpose();
      const double c = 1.0 + o.alpha * row.values[i];
      a += (c - 1.0) * yj * yj.transpose();
      b += c * yj;
    }
    a.diagonal().array() += ridge;
  }
  for (int i = 0; i < dim; ++i) {
    a(i, i) += lambda;
    b(i) += lambda * double{mean[static_cast<size_t>(i)]};
  }
  return a.ldlt().solve(b);
}

class SolverPriorTest : public ::testing::TestWithParam<std::tuple<Feedback, SolverKind>> {};

TEST_P(SolverPriorTest, RowWithPriorEqualsDenseClosedForm) {
  const auto [feedback, solver_kind] = GetParam();
  std::mt19937_64 rng(71);
  const int k = 5;
  const SideState other = random_side(30, k, rng);
  const AlsOptions o = options(k, feedback, solver_kind);
  const Row row = feedback == Feedback::kExplicit ? random_row(12, 30, rng, 1.0f, 10.0f)
                                                  : random_row(12, 30, rng, 0.0f, 1.0f);
  const std::vector<float> mean = prior_mean(k + 1, rng);
  const double lambda = 2.5;
  const Eigen::MatrixXd gram = gram_matrix(other.factors);
  RowSolver solver(other, 7.0f, &gram, o);
  Eigen::VectorXf factors = Eigen::VectorXf::Constant(k, 0.3f);
  float bias = 0.3f;
  const RowPrior prior{lambda, mean.data()};
  const RowOutcome out = solver.solve(row.entries(), factors.data(), &bias, &prior);
  EXPECT_TRUE(out.finite);
  const Eigen::VectorXd expected = prior_reference(row, other, 7.0f, o, lambda, mean);
  if (feedback == Feedback::kExplicit) {
    Eigen::VectorXf got(k + 1);
    got << factors, bias;
    expect_close(got, expected, 1e-4);
  } else {
    expect_close(factors, expected, 1e-4);
  }
}

// A huge prior weight puts the row on its prior mean: the pull is real.
// Short explicit rows with the prior (Cholesky's Woodbury path
// takes the prior's lambda into its diagonal and its mean into c).
TEST(SolverPriorTest, ShortExplicitRowWithPriorEqualsDenseClosedForm) {
  std::mt19937_64 rng(73);
  const int k = 12;
  const SideState other = random_side(30, k, rng);
  for (SolverKind kind : {SolverKind::kCholesky, SolverKind::kConjugateGradient}) {
    const AlsOptions o = options(k, Feedback::kExplicit, kind);
    for (int count : {1, 4, 8}) {
      const Row row = random_row(count, 30, rng, 1.0f, 10.0f);
      const std::vector<float> mean = prior_mean(k + 1, rng);
      RowSolver solver(other, 7.0f, nullptr, o);
      Eigen::VectorXf factors = Eigen::VectorXf::Constant(k, 0.3f);
      float bias = 0.3f;
      const RowPrior prior{2.5, mean.data()};
      EXPECT_TRUE(solver.solve(row.entries(), factors.data(), &bias, &prior).finite);
      Eigen::VectorXf got(k + 1);
      got << factors, bias;
      SCOPED_TRACE(count);
      expect_close(got, prior_reference(row, other, 7.0f, o, 2.5, mean), 1e-4);
    }
  }
}

TEST_P(SolverPriorTest, StrongPriorGivesThePriorMean) {
  const auto [feedback, solver_kind] = GetParam();
  std::mt19937_64 rng(73);
  const int k = 4;
  const SideState other = random_side(20, k, rng);
  const AlsOptions o = options(k, feedback, solver_kind);
  const Row row = random_row(8, 20, rng, 1.0f, 2.0f);
  const std::vector<float> mean = prior_mean(k + 1, rng);
  const Eigen::MatrixXd gram = gram_matrix(other.factors);
  RowSolver solver(other, 1.0f, &gram, o);
  Eigen::VectorXf factors = Eigen::VectorXf::Zero(k);
  float bias = 0;
  const RowPrior prior{1e6, mean.data()};
  solver.solve(row.entries(), factors.data(), &bias, &prior);
  for (int i = 0; i < k; ++i) EXPECT_NEAR(factors(i), mean[static_cast<size_t>(i)], 1e-3);
  if (feedback == Feedback::kExplicit) {
    EXPECT_NEAR(bias, mean[static_cast<size_t>(k)], 1e-3);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Solvers, SolverPriorTest,
    ::testing::Combine(::testing::Values(Feedback::kExplicit, Feedback::kImplicit),
                       ::testing::Values(SolverKind::kCholesky, SolverKind::kConjugateGradient)));

bool same_bits(const SideState& a, const SideState& b) {
  return a.factors.size() == b.factors.size() &&
         std::memcmp(a.factors.data(), b.factors.data(), sizeof(float) * a.factors.size()) == 0 &&
         a.bias.size() == b.bias.size() &&
         std::memcmp(a.bias.data(), b.bias.data(), sizeof(float) * a.bias.size()) == 0;
}

// lambda_content = 0 never reaches the solver (the trainer passes no prior);
// and even a prior of weight 0 leaves every bit as plain ALS computes it.
TEST(SolverPriorTest, NoPriorAndZeroWeightPriorAreBitIdenticalToPlainAls) {
  for (SolverKind kind : {SolverKind::kCholesky, SolverKind::kConjugateGradient}) {
    std::mt19937_64 rng(79);
    const int k = 6;
    const SideState other = random_side(50, k, rng);
    RatingBlock block;
    block.first_row = 0;
    for (int r = 0; r < 20; ++r) {
      const Row row = random_row(1 + r % 9, 50, rng, 1.0f, 10.0f);
      block.cols.insert(block.cols.end(), row.cols.begin(), row.cols.end());
      block.values.insert(block.values.end(), row.values.begin(), row.values.end());
      block.offsets.push_back(static_cast<int64_t>(block.cols.size()));
    }
    const AlsOptions o = options(k, Feedback::kExplicit, kind);
    SideState plain = random_side(20, k, rng);
    SideState none = plain, zero = plain;
    solve_block(block, other, 6.0f, nullptr, o, plain);
    solve_block(block, other, 6.0f, nullptr, o, none, nullptr);
    BlockPrior prior;
    prior.lambda = 0.0;
    prior.means = FactorMatrix::Constant(20, k + 1, 0.5f);
    solve_block(block, other, 6.0f, nullptr, o, zero, &prior);
    EXPECT_TRUE(same_bits(plain, none));
    EXPECT_TRUE(same_bits(plain, zero));
  }
}

// The factorisation works on panels of four columns and register blocks of
// eight rows: every remainder of the system size against both (k = 1..13,
// 31, 33, 64 for implicit; k + 1 for explicit) solves A z = b as a dense
// LDLT of the same normal equations does.
TEST(SolverCholesky, MatchesDenseSolveForEverySystemSize) {
  std::mt19937_64 rng(77);
  for (Feedback feedback : {Feedback::kImplicit, Feedback::kExplicit}) {
    for (int k : {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 31, 33, 64}) {
      SCOPED_TRACE(::testing::Message()
                   << "k " << k << " explicit " << (feedback == Feedback::kExplicit));
      const SideState other = random_side(400, k, rng, 0.5f);
      const Eigen::MatrixXd gram = gram_matrix(other.factors);
      const AlsOptions o = options(k, feedback, SolverKind::kCholesky);
      // Long enough for the full (not the Woodbury) path in explicit mode.
      const Row row = random_row(2 * k + 40, 400, rng, 1.0f, 10.0f);
      RowSolver solver(other, 7.0f, &gram, o);
      const RowSolver::NormalEquations eq = solver.build_normal_equations(row.entries());
      const Eigen::MatrixXd a = eq.a.selfadjointView<Eigen::Lower>();
      const Eigen::VectorXd want = a.ldlt().solve(eq.b);
      Eigen::VectorXf factors = Eigen::VectorXf::Zero(k);
      float bias = 0;
      const RowOutcome out = solver.solve(row.entries(), factors.data(), &bias);
      EXPECT_FALSE(out.ldlt_fallback);
      EXPECT_TRUE(out.finite);
      for (int i = 0; i < k; ++i) EXPECT_NEAR(factors[i], want[i], 1e-5 * (1 + std::abs(want[i])));
      if (feedback == Feedback::kExplicit) {
        EXPECT_NEAR(bias, want[k], 1e-5 * (1 + std::abs(want[k])));
      }
    }
  }
}

// Rows solved through the Woodbury identity cost about their entries, not a
// factorisation; every other row (and every other solver) the constant cost.
TEST(RowSolveCost, ShortExplicitCholeskyRowsCostTheirEntries) {
  AlsOptions o = options(64, Feedback::kExplicit, SolverKind::kCholesky);
  EXPECT_EQ(row_solve_cost(o), 64 + 16);
  EXPECT_TRUE(solves_through_woodbury(o, 1));
  EXPECT_TRUE(solves_through_woodbury(o, 43));  // 3 * 43 = 129 < 130 = 2 (k + 1)
  EXPECT_FALSE(solves_through_woodbury(o, 44));
  EXPECT_EQ(row_solve_cost(o, 0), 1);
  EXPECT_EQ(row_solve_cost(o, 1), 1);
  EXPECT_EQ(row_solve_cost(o, 43), 43);
  EXPECT_EQ(row_solve_cost(o, 44), row_solve_cost(o));
  EXPECT_EQ(row_solve_cost(o, 100000), row_solve_cost(o));
  for (AlsOptions other : {options(64, Feedback::kImplicit, SolverKind::kCholesky),
                           options(64, Feedback::kExplicit, SolverKind::kConjugateGradient),
                           options(64, Feedback::kImplicit, SolverKind::kConjugateGradient)}) {
    EXPECT_FALSE(solves_through_woodbury(other, 1));
    EXPECT_EQ(row_solve_cost(other, 1), row_solve_cost(other));
  }
}

}  // namespace
}  // namespace animerec::als
