#include "animerec/als/sweep.h"

#include <gtest/gtest.h>
#include <omp.h>

#include <Eigen/Dense>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "animerec/als/types.h"
#include "random_side.h"

namespace animerec::als {
namespace {

struct Entry {
  int32_t row, col;
  float value;
};

// CSR of `entries` by row (by_col: by column), rows [0, rows).
RatingBlock make_block(const std::vector<Entry>& entries, int32_t rows, bool by_col) {
  std::vector<std::vector<std::pair<int32_t, float>>> lists(static_cast<size_t>(rows));
  for (const Entry& e : entries) {
    lists[static_cast<size_t>(by_col ? e.col : e.row)].emplace_back(by_col ? e.row : e.col,
                                                                    e.value);
  }
  RatingBlock block;
  for (auto& list : lists) {
    std::sort(list.begin(), list.end());
    for (const auto& [c, v] : list) {
      block.cols.push_back(c);
      block.values.push_back(v);
    }
    block.offsets.push_back(static_cast<int64_t>(block.cols.size()));
  }
  return block;
}

using testing::random_side;

// Restores the OpenMP thread count at scope exit.
class ThreadCount {
 public:
  explicit ThreadCount(int n) : saved_(omp_get_max_threads()) { omp_set_num_threads(n); }
  ~ThreadCount() { omp_set_num_threads(saved_); }

 private:
  int saved_;
};

bool bit_identical(const SideState& a, const SideState& b) {
  return a.factors.size() == b.factors.size() && a.bias == b.bias &&
         std::memcmp(a.factors.data(), b.factors.data(), sizeof(float) * a.factors.size()) == 0;
}

// A planted explicit problem: r = mu + b_u + c_j + x_u.y_j + noise, a random
// share observed; each observed entry goes to train (90%) or held out.
struct Planted {
  int users = 300, anime = 200, k = 4;
  float mu = 7.0f;
  std::vector<Entry> train, held_out;
  RatingBlock by_user, by_anime;
};

Planted planted_explicit(double observed, float noise, uint64_t seed) {
  Planted p;
  std::mt19937_64 rng(seed);
  const SideState users = random_side(p.users, p.k, rng, 0.7f);
  const SideState anime = random_side(p.anime, p.k, rng, 0.7f);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<float> eps(0.0f, noise);
  for (int32_t u = 0; u < p.users; ++u) {
    for (int32_t a = 0; a < p.anime; ++a) {
      if (unit(rng) >= observed) continue;
      const float r = p.mu + users.bias[static_cast<size_t>(u)] +
                      anime.bias[static_cast<size_t>(a)] +
                      users.factors.row(u).dot(anime.factors.row(a)) + eps(rng);
      (unit(rng) < 0.9 ? p.train : p.held_out).push_back({u, a, r});
    }
  }
  p.by_user = make_block(p.train, p.users, false);
  p.by_anime = make_block(p.train, p.anime, true);
  return p;
}

double rmse(const std::vector<Entry>& entries, const SideState& users, const SideState& anime,
            float mu) {
  double sse = 0;
  for (const Entry& e : entries) {
    const double predicted = mu + users.bias[static_cast<size_t>(e.row)] +
                             anime.bias[static_cast<size_t>(e.col)] +
                             users.factors.row(e.row).dot(anime.factors.row(e.col));
    sse += (e.value - predicted) * (e.value - predicted);
  }
  return std::sqrt(sse / static_cast<double>(entries.size()));
}

double explicit_objective(const Planted& p, const SideState& users, const SideState& anime,
                          const AlsOptions& o) {
  const ExplicitLoss u = explicit_block_loss(p.by_user, users, anime, p.mu, o);
  const ExplicitLoss a = explicit_block_loss(p.by_anime, anime, users, p.mu, o);
  return u.squared_error + u.regularization + a.regularization;
}

AlsOptions explicit_options(SolverKind kind) {
  AlsOptions o;
  o.factors = 4;
  o.solver = kind;
  o.cg_steps = 3;
  o.lambda = 0.005;
  o.lambda_bias = 0.001;
  return o;
}

class AlsPlantedTest : public ::testing::TestWithParam<SolverKind> {};

// Alternating full user and full anime half-sweeps recover a planted rank-4
// matrix to about the noise level on held-out entries.
TEST_P(AlsPlantedTest, RecoversPlantedLowRankMatrix) {
  const float noise = 0.05f;
  const Planted p = planted_explicit(0.3, noise, 7);
  const AlsOptions o = explicit_options(GetParam());
  std::mt19937_64 rng(8);
  SideState users = random_side(p.users, p.k, rng, 0.1f);
  SideState anime = random_side(p.anime, p.k, rng, 0.1f);
  const int sweeps = GetParam() == SolverKind::kCholesky ? 15 : 25;
  for (int it = 0; it < sweeps; ++it) {
    SweepStats su = solve_block(p.by_user, anime, p.mu, nullptr, o, users);
    SweepStats sa = solve_block(p.by_anime, users, p.mu, nullptr, o, anime);
    ASSERT_EQ(su.first_nonfinite_row, -1);
    ASSERT_EQ(sa.first_nonfinite_row, -1);
    EXPECT_EQ(su.rows_solved + su.empty_rows, p.users);
  }
  const double held = rmse(p.held_out, users, anime, p.mu);
  EXPECT_LT(held, 1.5 * noise) << "held-out RMSE";
  EXPECT_LT(rmse(p.train, users, anime, p.mu), 1.1 * noise) << "training RMSE";
}

INSTANTIATE_TEST_SUITE_P(Solvers, AlsPlantedTest,
                         ::testing::Values(SolverKind::kCholesky, SolverKind::kConjugateGradient));

// Each Cholesky half-sweep minimises the objective exactly over one side, so
// the objective cannot go up (beyond float rounding of the solves).
TEST(AlsObjectiveTest, ExplicitObjectiveNeverIncreases) {
  const Planted p = planted_explicit(0.3, 0.3f, 9);
  AlsOptions o = explicit_options(SolverKind::kCholesky);
  o.lambda = 0.05;
  o.lambda_bias = 0.02;
  std::mt19937_64 rng(10);
  SideState users = random_side(p.users, p.k, rng, 0.1f);
  SideState anime = random_side(p.anime, p.k, rng, 0.1f);
  double previous = explicit_objective(p, users, anime, o);
  for (int half = 0; half < 30; ++half) {
    if (half % 2 == 0) {
      solve_block(p.by_user, anime, p.mu, nullptr, o, users);
    } else {
      solve_block(p.by_anime, users, p.mu, nullptr, o, anime);
    }
    const double now = explicit_objective(p, users, anime, o);
    EXPECT_LE(now, previous * (1 + 1e-6)) << "half-sweep " << half;
    previous = now;
  }
}

TEST(SweepLossTest, ExplicitLossMatchesDirectSums) {
  const Planted p = planted_explicit(0.2, 0.3f, 13);
  const AlsOptions o = explicit_options(SolverKind::kCholesky);
  std::mt19937_64 rng(14);
  const SideState users = random_side(p.users, p.k, rng, 0.5f);
  const SideState anime = random_side(p.anime, p.k, rng, 0.5f);
  const ExplicitLoss loss = explicit_block_loss(p.by_user, users, anime, p.mu, o);
  const double r = rmse(p.train, users, anime, p.mu);
  EXPECT_EQ(loss.count, static_cast<int64_t>(p.train.size()));
  EXPECT_NEAR(loss.squared_error, r * r * static_cast<double>(p.train.size()),
              1e-6 * loss.squared_error);
  double reg = 0;
  for (int32_t u = 0; u < p.users; ++u) {
    const double n = static_cast<double>(p.by_user.offsets[u + 1] - p.by_user.offsets[u]);
    const double b = users.bias[static_cast<size_t>(u)];
    reg += n * o.lambda * users.factors.row(u).cast<double>().squaredNorm() + o.lambda_bias * b * b;
  }
  EXPECT_NEAR(loss.regularization, reg, 1e-9 * reg);
}

TEST(SweepLossTest, ImplicitLossMatchesSumOverEveryColumn) {
  std::mt19937_64 rng(15);
  const int users = 30, anime = 25, k = 3;
  std::vector<Entry> entries;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int32_t u = 0; u < users; ++u) {
    for (int32_t a = 0; a < anime; ++a) {
      if (unit(rng) < 0.2) entries.push_back({u, a, static_cast<float>(1 + 3 * unit(rng))});
    }
  }
  const RatingBlock block = make_block(entries, users, false);
  const SideState x = random_side(users, k, rng, 0.5f);
  const SideState y = random_side(anime, k, rng, 0.5f);
  AlsOptions o;
  o.factors = k;
  o.feedback = Feedback::kImplicit;
  o.alpha = 2.0;
  o.lambda = 0.1;
  const ImplicitLoss loss = implicit_block_loss(block, x, y, gram_matrix(y.factors), o);

  double all = 0, reg = 0;
  for (int32_t u = 0; u < users; ++u) {
    std::vector<double> c(anime, 1.0), pref(anime, 0.0);
    for (int64_t e = block.offsets[u]; e < block.offsets[u + 1]; ++e) {
      c[static_cast<size_t>(block.cols[e])] = 1 + o.alpha * block.values[e];
      pref[static_cast<size_t>(block.cols[e])] = 1;
    }
    for (int32_t a = 0; a < anime; ++a) {
      const double s = x.factors.row(u).cast<double>().dot(y.factors.row(a).cast<double>());
      all += c[static_cast<size_t>(a)] * (pref[static_cast<size_t>(a)] - s) *
             (pref[static_cast<size_t>(a)] - s);
    }
    reg += o.lambda * static_cast<double>(block.offsets[u + 1] - block.offsets[u]) *
           x.factors.row(u).cast<double>().squaredNorm();
  }
  EXPECT_NEAR(loss.observed + loss.unobserved, all, 1e-5 * all);
  EXPECT_NEAR(loss.regularization, reg, 1e-9 * reg);
  EXPECT_EQ(loss.count, static_cast<int64_t>(entries.size()));

  // Rendle et al.: unobserved pairs weigh alpha0, the ridge counts them.
  o.alpha0 = 0.1;
  o.ridge_counts_unobserved = true;
  o.lambda_exponent = 0.5;
  const ImplicitLoss rendle = implicit_block_loss(block, x, y, gram_matrix(y.factors), o);
  double weighted = 0, frequency_reg = 0;
  for (int32_t u = 0; u < users; ++u) {
    std::vector<double> c(anime, o.alpha0), pref(anime, 0.0);
    for (int64_t e = block.offsets[u]; e < block.offsets[u + 1]; ++e) {
      c[static_cast<size_t>(block.cols[e])] = 1 + o.alpha * block.values[e];
      pref[static_cast<size_t>(block.cols[e])] = 1;
    }
    for (int32_t a = 0; a < anime; ++a) {
      const double s = x.factors.row(u).cast<double>().dot(y.factors.row(a).cast<double>());
      weighted += c[static_cast<size_t>(a)] * (pref[static_cast<size_t>(a)] - s) *
                  (pref[static_cast<size_t>(a)] - s);
    }
    const double n = static_cast<double>(block.offsets[u + 1] - block.offsets[u]);
    frequency_reg +=
        o.lambda * std::sqrt(n + o.alpha0 * anime) * x.factors.row(u).cast<double>().squaredNorm();
  }
  EXPECT_NEAR(rendle.observed + rendle.unobserved, weighted, 1e-5 * weighted);
  EXPECT_NEAR(rendle.regularization, frequency_reg, 1e-9 * frequency_reg);
}

// Two taste clusters; every cluster-0 user but one watched anime 0. That
// user's best unwatched anime must be anime 0.
TEST(AlsImplicitTest, RanksPlantedPreferredItemFirst) {
  const int users = 120, anime = 40, k = 4;
  const int32_t target = 5;
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Entry> entries;
  for (int32_t u = 0; u < users; ++u) {
    const int cluster = u < users / 2 ? 0 : 1;
    for (int32_t a = 0; a < anime; ++a) {
      const bool in_cluster = (a < anime / 2) == (cluster == 0);
      const bool watched =
          a == 0 ? (cluster == 0 && u != target) : unit(rng) < (in_cluster ? 0.4 : 0.03);
      if (watched) entries.push_back({u, a, 1.0f});
    }
  }
  const RatingBlock by_user = make_block(entries, users, false);
  const RatingBlock by_anime = make_block(entries, anime, true);
  for (SolverKind kind : {SolverKind::kCholesky, SolverKind::kConjugateGradient}) {
    AlsOptions o;
    o.factors = k;
    o.feedback = Feedback::kImplicit;
    o.solver = kind;
    o.alpha = 10.0;
    o.lambda = 0.01;
    SideState x = random_side(users, k, rng, 0.1f);
    SideState y = random_side(anime, k, rng, 0.1f);
    for (int it = 0; it < 10; ++it) {
      Eigen::MatrixXd gram = gram_matrix(y.factors);
      EXPECT_EQ(solve_block(by_user, y, 0.0f, &gram, o, x).first_nonfinite_row, -1);
      gram = gram_matrix(x.factors);
      EXPECT_EQ(solve_block(by_anime, x, 0.0f, &gram, o, y).first_nonfinite_row, -1);
    }
    std::vector<bool> seen(anime, false);
    for (int64_t e = by_user.offsets[target]; e < by_user.offsets[target + 1]; ++e) {
      seen[static_cast<size_t>(by_user.cols[e])] = true;
    }
    int32_t best = -1;
    float best_score = -INFINITY;
    for (int32_t a = 0; a < anime; ++a) {
      const float s = x.factors.row(target).dot(y.factors.row(a));
      if (!seen[static_cast<size_t>(a)] && s > best_score) {
        best = a;
        best_score = s;
      }
    }
    EXPECT_EQ(best, 0) << (kind == SolverKind::kCholesky ? "cholesky" : "cg");
    for (float b : x.bias) EXPECT_EQ(b, 0.0f);
  }
}

// A block of users with heavy-tailed row lengths (some past the 512-entry
// chunk, some empty) and first_row > 0 inside a larger side.
struct DeterminismFixture {
  RatingBlock block;
  SideState other, self;
  Eigen::MatrixXd gram;
};

DeterminismFixture determinism_fixture(int k) {
  DeterminismFixture f;
  std::mt19937_64 rng(19);
  const int other_rows = 1500, rows = 700;
  f.other = random_side(other_rows, k, rng, 0.3f);
  f.self = random_side(rows + 100, k, rng, 0.3f);
  f.gram = gram_matrix(f.other.factors);
  f.block.first_row = 60;
  std::lognormal_distribution<double> length(2.5, 1.3);
  std::uniform_int_distribution<int32_t> col(0, other_rows - 1);
  std::uniform_real_distribution<float> value(1.0f, 10.0f);
  for (int r = 0; r < rows; ++r) {
    std::vector<int32_t> cols;
    const int64_t n = r % 17 == 0 ? 0
                      : r == 1    ? 900
                                  : std::clamp<int64_t>(std::llround(length(rng)), 1, other_rows);
    for (int64_t i = 0; i < n; ++i) cols.push_back(col(rng));
    std::sort(cols.begin(), cols.end());
    cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
    for (int32_t c : cols) {
      f.block.cols.push_back(c);
      f.block.values.push_back(std::round(value(rng)));
    }
    f.block.offsets.push_back(static_cast<int64_t>(f.block.cols.size()));
  }
  return f;
}

TEST(SweepTest, BitIdenticalForOneAndTwoThreads) {
  const int k = 16;
  const DeterminismFixture f = determinism_fixture(k);
  for (Feedback feedback : {Feedback::kExplicit, Feedback::kImplicit}) {
    for (SolverKind kind : {SolverKind::kCholesky, SolverKind::kConjugateGradient}) {
      AlsOptions o;
      o.factors = k;
      o.feedback = feedback;
      o.solver = kind;
      o.alpha = 3.0;
      // Implicit: Hu-Koren-Volinsky, then Rendle et al.'s alpha0 and frequency ridge.
      for (bool rendle : {false, true}) {
        if (rendle && feedback == Feedback::kExplicit) continue;
        o.alpha0 = rendle ? 0.05 : 1.0;
        o.ridge_counts_unobserved = rendle;
        o.lambda_exponent = rendle ? 0.8 : 1.0;
        SideState one = f.self, two = f.self;
        SweepStats s1, s2;
        {
          ThreadCount threads(1);
          s1 = solve_block(f.block, f.other, 7.0f, &f.gram, o, one);
        }
        {
          ThreadCount threads(2);
          s2 = solve_block(f.block, f.other, 7.0f, &f.gram, o, two);
        }
        EXPECT_TRUE(bit_identical(one, two));
        EXPECT_EQ(s1.rows_solved, s2.rows_solved);
        EXPECT_EQ(s1.empty_rows, 700 / 17 + 1);
        EXPECT_EQ(s1.rows_solved + s1.empty_rows, f.block.rows());
        EXPECT_EQ(s1.first_nonfinite_row, -1);
      }
    }
  }
}

TEST(SweepTest, GramMatrixBitIdenticalAndExact) {
  std::mt19937_64 rng(23);
  const SideState y = random_side(20000, 12, rng, 1.0f);  // several 4096-row chunks
  Eigen::MatrixXd one, two;
  {
    ThreadCount threads(1);
    one = gram_matrix(y.factors);
  }
  {
    ThreadCount threads(2);
    two = gram_matrix(y.factors);
  }
  EXPECT_EQ(std::memcmp(one.data(), two.data(), sizeof(double) * one.size()), 0);
  const Eigen::MatrixXd yd = y.factors.cast<double>();
  const Eigen::MatrixXd expected = yd.transpose() * yd;
  EXPECT_TRUE(one.isApprox(expected, 1e-12));
  EXPECT_EQ(one, one.transpose());
  EXPECT_EQ(gram_matrix(FactorMatrix(0, 5)), Eigen::MatrixXd::Zero(5, 5));
}

TEST(SweepTest, GramChunksSplitOverPartsSumToTheSameMatrix) {
  std::mt19937_64 rng(29);
  const SideState y = random_side(30000, 9, rng, 1.0f);  // 8 chunks of 4096 rows
  const Eigen::MatrixXd whole = gram_matrix(y.factors);
  for (int parts : {2, 3, 5, 9}) {
    // As ranks would: each part forms its chunks, then they are put together.
    std::vector<Eigen::MatrixXd> together;
    for (int part = 0; part < parts; ++part) {
      std::vector<Eigen::MatrixXd> mine = gram_chunks(y.factors, part, parts);
      together.resize(mine.size());
      for (size_t c = 0; c < mine.size(); ++c) {
        EXPECT_EQ(mine[c].size() > 0, static_cast<int>(c) % parts == part) << parts << " " << c;
        if (mine[c].size() > 0) together[c] = mine[c];
      }
    }
    const Eigen::MatrixXd sum = gram_from_chunks(together, 9);
    EXPECT_EQ(std::memcmp(sum.data(), whole.data(), sizeof(double) * whole.size()), 0) << parts;
  }
}

TEST(SweepTest, LossesBitIdenticalForOneAndTwoThreads) {
  const int k = 16;
  const DeterminismFixture f = determinism_fixture(k);
  AlsOptions o;
  o.factors = k;
  ExplicitLoss e1, e2;
  ImplicitLoss i1, i2;
  {
    ThreadCount threads(1);
    e1 = explicit_block_loss(f.block, f.self, f.other, 7.0f, o);
    o.feedback = Feedback::kImplicit;
    i1 = implicit_block_loss(f.block, f.self, f.other, f.gram, o);
    o.feedback = Feedback::kExplicit;
  }
  {
    ThreadCount threads(2);
    e2 = explicit_block_loss(f.block, f.self, f.other, 7.0f, o);
    o.feedback = Feedback::kImplicit;
    i2 = implicit_block_loss(f.block, f.self, f.other, f.gram, o);
  }
  EXPECT_EQ(e1.squared_error, e2.squared_error);
  EXPECT_EQ(e1.regularization, e2.regularization);
  EXPECT_EQ(i1.total(), i2.total());
}

TEST(SweepTest, WritesOnlyTheBlockRowsAndZerosEmptyRows) {
  const int k = 8;
  const DeterminismFixture f = determinism_fixture(k);
  AlsOptions o;
  o.factors = k;
  SideState self = f.self;
  solve_block(f.block, f.other, 7.0f, nullptr, o, self);
  const int first = f.block.first_row, last = first + f.block.rows();
  for (int r = 0; r < self.rows(); ++r) {
    if (r < first || r >= last) {
      EXPECT_EQ(self.factors.row(r), f.self.factors.row(r)) << r;
      EXPECT_EQ(self.bias[static_cast<size_t>(r)], f.self.bias[static_cast<size_t>(r)]) << r;
    } else if ((r - first) % 17 == 0) {
      EXPECT_TRUE(self.factors.row(r).isZero(0)) << r;
      EXPECT_EQ(self.bias[static_cast<size_t>(r)], 0.0f) << r;
    }
  }
}

TEST(SweepTest, ReportsFirstNonFiniteRow) {
  const int k = 4;
  DeterminismFixture f = determinism_fixture(k);
  // A NaN in one column of the other side poisons every row that rates it.
  const int32_t poisoned = f.block.cols[static_cast<size_t>(f.block.offsets[3])];
  f.other.factors(poisoned, 0) = NAN;
  AlsOptions o;
  o.factors = k;
  for (SolverKind kind : {SolverKind::kCholesky, SolverKind::kConjugateGradient}) {
    o.solver = kind;
    SideState self = f.self;
    const SweepStats s = solve_block(f.block, f.other, 7.0f, nullptr, o, self);
    int64_t first = -1, count = 0;
    for (int32_t r = 0; r < f.block.rows(); ++r) {
      for (int64_t e = f.block.offsets[r]; e < f.block.offsets[r + 1]; ++e) {
        if (f.block.cols[e] == poisoned) {
          if (first < 0) first = f.block.first_row + r;
          ++count;
        }
      }
    }
    EXPECT_EQ(s.first_nonfinite_row, first);
    EXPECT_EQ(s.nonfinite_rows, count);
  }
}

TEST(SweepTest, LdltFallbackCountedWithoutNaN) {
  // lambda = 0, k = 3 and a user with one entry: the 4 x 4 system has rank 1.
  std::vector<Entry> entries = {{0, 0, 8.0f}, {1, 0, 6.0f}, {1, 1, 7.0f}, {1, 2, 9.0f},
                                {1, 3, 5.0f}, {1, 4, 7.5f}, {1, 5, 6.5f}};
  const RatingBlock block = make_block(entries, 2, false);
  SideState other;
  other.factors.resize(6, 3);
  other.factors << 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 0, 1;
  other.bias.assign(6, 0.0f);
  SideState self;
  self.factors = FactorMatrix::Zero(2, 3);
  self.bias.assign(2, 0.0f);
  AlsOptions o;
  o.factors = 3;
  o.lambda = 0;
  o.lambda_bias = 0;
  const SweepStats s = solve_block(block, other, 7.0f, nullptr, o, self);
  EXPECT_EQ(s.ldlt_fallbacks, 1);
  EXPECT_EQ(s.first_nonfinite_row, -1);
  EXPECT_TRUE(self.factors.allFinite());
}

TEST(SweepTest, RejectsBlocksOutsideTheSide) {
  AlsOptions o;
  o.factors = 2;
  SideState self, other;
  self.factors = FactorMatrix::Zero(3, 2);
  self.bias.assign(3, 0.0f);
  other = self;
  RatingBlock block;
  block.first_row = 2;
  block.offsets = {0, 0, 0};
  EXPECT_THROW(solve_block(block, other, 0.0f, nullptr, o, self), std::invalid_argument);
  block.first_row = 1;
  EXPECT_NO_THROW(solve_block(block, other, 0.0f, nullptr, o, self));
  o.feedback = Feedback::kImplicit;
  EXPECT_THROW(solve_block(block, other, 0.0f, nullptr, o, self), std::invalid_argument);
}

}  // namespace
}  // namespace animerec::als
