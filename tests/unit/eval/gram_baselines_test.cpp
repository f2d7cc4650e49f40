// item-kNN and EASE (eval/item_knn.h, eval/ease.h, eval/gram_baselines.h)
// against brute-force computations on a tiny random dataset.

#include "animerec/eval/gram_baselines.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <cmath>
#include <random>
#include <vector>

#include "../data/sample_dataset.h"
#include "animerec/core/error.h"
#include "animerec/eval/ease.h"
#include "animerec/eval/evaluate.h"
#include "animerec/eval/item_knn.h"

namespace animerec::eval {
namespace {

using data::Split;
using data::Status;

constexpr int kUsers = 40, kAnime = 10;  // anime 9 has no training row

// Random rows: about half of the pairs; training rows, a fifth unscored; a
// quarter held out, alternately validation and test.
data::Dataset random_dataset(bool with_validation) {
  data::Dataset d;
  for (int u = 0; u < kUsers; ++u) d.user_ids.push_back(1000 + u);
  for (int a = 0; a < kAnime; ++a) d.anime_ids.push_back(a + 1);
  std::mt19937 rng(7);
  std::vector<testing::SampleRow> rows;
  for (int u = 0; u < kUsers; ++u) {
    for (int a = 0; a < kAnime; ++a) {
      if (rng() % 2 == 0) continue;
      Split split = rng() % 4 == 0 ? Split::kTest : Split::kTrain;
      if (split == Split::kTest && with_validation && rng() % 2 == 0) split = Split::kValidation;
      if (a == kAnime - 1) split = Split::kTest;
      const float score = split == Split::kTrain && rng() % 5 == 0
                              ? 0.f
                              : static_cast<float>(1 + static_cast<int>(rng() % 10));
      rows.push_back({u, a, score, Status::kCompleted, split});
    }
  }
  testing::set_rows(d, rows);
  d.cold_anime.assign(kAnime, 0);
  d.anime.resize(kAnime);
  return d;
}

// X: users x anime, 1 for every training row (scored or not).
Eigen::MatrixXd binary_training(const data::Dataset& d) {
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(kUsers, kAnime);
  for (size_t i = 0; i < d.by_user.size(); ++i) {
    if (d.by_user.split[i] == static_cast<uint8_t>(Split::kTrain))
      x(d.by_user.user[i], d.by_user.anime[i]) = 1;
  }
  return x;
}

TEST(GramBaselinesTest, GramIsTheCooccurrenceOfEveryTrainingRow) {
  const data::Dataset d = random_dataset(true);
  dist::SerialComm comm;
  const TrainingGram g = training_gram(d, comm);
  const Eigen::MatrixXd x = binary_training(d);
  const Eigen::MatrixXd expected = x.transpose() * x;
  ASSERT_EQ(g.n, kAnime);
  for (int i = 0; i < kAnime; ++i) {
    for (int j = 0; j < kAnime; ++j) EXPECT_EQ(g.at(i, j), expected(i, j)) << i << "," << j;
  }
  EXPECT_EQ(g.at(kAnime - 1, kAnime - 1), 0);
  EXPECT_GT(x.sum(), 100);  // the random dataset is not trivially small
}

TEST(GramBaselinesTest, ItemKnnIsTheSumOfCosines) {
  const data::Dataset d = random_dataset(true);
  dist::SerialComm comm;
  const TrainingGram g = training_gram(d, comm);
  const ItemKnn knn(g);
  const Eigen::MatrixXd x = binary_training(d);
  for (int u : {0, 7, 23}) {
    const std::vector<int32_t> mine = training_anime(d, u);
    ASSERT_FALSE(mine.empty());
    const std::vector<double> s = knn.scores(mine);
    for (int j = 0; j < kAnime; ++j) {
      double expected = 0;
      for (int32_t i : mine) {
        const double norms = x.col(i).norm() * x.col(j).norm();
        if (norms > 0) expected += x.col(i).dot(x.col(j)) / norms;
      }
      EXPECT_NEAR(s[static_cast<size_t>(j)], expected, 1e-12) << u << "," << j;
    }
  }
}

// Brute force: each column j of B minimizes ||X_j - X B_j||^2 + lambda
// ||B_j||^2 with B(j, j) = 0, i.e. the ridge regression of X_j on the other
// columns: (G_-j,-j + lambda I) b = G_-j,j.
Eigen::MatrixXd brute_force_ease(const Eigen::MatrixXd& x, double lambda) {
  const Eigen::MatrixXd g = x.transpose() * x;
  const Eigen::Index n = g.rows();
  Eigen::MatrixXd b = Eigen::MatrixXd::Zero(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    std::vector<Eigen::Index> others;
    for (Eigen::Index i = 0; i < n; ++i) {
      if (i != j) others.push_back(i);
    }
    const auto m = static_cast<Eigen::Index>(others.size());
    Eigen::MatrixXd a(m, m);
    Eigen::VectorXd rhs(m);
    for (Eigen::Index p = 0; p < m; ++p) {
      rhs[p] = g(others[p], j);
      for (Eigen::Index q = 0; q < m; ++q) a(p, q) = g(others[p], others[q]);
      a(p, p) += lambda;
    }
    const Eigen::VectorXd sol = a.colPivHouseholderQr().solve(rhs);
    for (Eigen::Index p = 0; p < m; ++p) b(others[p], j) = sol[p];
  }
  return b;
}

TEST(GramBaselinesTest, EaseMatchesTheBruteForceSolve) {
  const data::Dataset d = random_dataset(true);
  dist::SerialComm comm;
  const TrainingGram g = training_gram(d, comm);
  const Eigen::MatrixXd x = binary_training(d);
  for (double lambda : {0.5, 3.0, 40.0}) {
    const EaseModel e = fit_ease(g, lambda);
    EXPECT_EQ(e.items.size(), static_cast<size_t>(kAnime - 1));
    const Eigen::MatrixXd b = brute_force_ease(x, lambda);
    for (int u = 0; u < kUsers; ++u) {
      const std::vector<int32_t> mine = training_anime(d, u);
      const std::vector<double> s = e.scores(mine);
      Eigen::VectorXd expected = Eigen::VectorXd::Zero(kAnime);
      for (int32_t i : mine) expected += b.row(i).transpose();
      for (int j = 0; j < kAnime; ++j)
        EXPECT_NEAR(s[static_cast<size_t>(j)], expected[j], 1e-10) << lambda << "," << u;
    }
  }
  EXPECT_THROW(fit_ease(g, 0), std::invalid_argument);
}

// The blocked Cholesky inverse works in panels of 256: a matrix of several
// panels against the formula with Eigen's dense inverse.
TEST(GramBaselinesTest, EaseOverSeveralPanelsMatchesTheFormula) {
  constexpr int kUsersBig = 300, kAnimeBig = 600;
  std::mt19937 rng(11);
  Eigen::MatrixXd x = Eigen::MatrixXd::Zero(kUsersBig, kAnimeBig);
  for (int u = 0; u < kUsersBig; ++u) {
    for (int a = 0; a < kAnimeBig - 1; ++a) x(u, a) = rng() % 20 == 0 ? 1 : 0;
  }
  TrainingGram g;
  g.n = kAnimeBig;
  const Eigen::MatrixXd gram = x.transpose() * x;
  for (int i = 0; i < kAnimeBig; ++i) {
    for (int j = 0; j < kAnimeBig; ++j) g.counts.push_back(static_cast<int32_t>(gram(i, j)));
  }
  const double lambda = 5;
  const EaseModel e = fit_ease(g, lambda);
  std::vector<int32_t> items;
  for (int a = 0; a < kAnimeBig; ++a) {
    if (gram(a, a) > 0) items.push_back(a);
  }
  ASSERT_EQ(e.items, items);
  ASSERT_GT(items.size(), 512u);
  const auto n = static_cast<Eigen::Index>(items.size());
  Eigen::MatrixXd a(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) a(i, j) = gram(items[i], items[j]) + (i == j ? lambda : 0);
  }
  const Eigen::MatrixXd p = a.inverse();
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      const double b = i == j ? 0.0 : -p(i, j) / p(j, j);
      ASSERT_NEAR(e.weights(j, i), b, 1e-12) << i << "," << j;
    }
  }
}

TEST(GramBaselinesTest, LambdaIsTheBestOfTheGridOnValidation) {
  dist::SerialComm comm;
  const data::Dataset d = random_dataset(true);
  const TrainingGram g = training_gram(d, comm);
  const EaseChoice c = choose_ease(d, g, 0, 8, true, comm);
  EXPECT_EQ(c.chosen_on, "validation");
  ASSERT_EQ(c.grid.size(), std::size(kEaseLambdaGrid));
  size_t best = 0;
  for (size_t i = 0; i < c.grid.size(); ++i) {
    const double direct =
        ease_split_ndcg10(d, fit_ease(g, c.grid[i]), Split::kValidation, 8, true, comm);
    EXPECT_DOUBLE_EQ(c.grid_ndcg10[i], direct);
    if (c.grid_ndcg10[i] > c.grid_ndcg10[best]) best = i;
  }
  EXPECT_EQ(c.model.lambda, c.grid[best]);

  const data::Dataset no_validation = random_dataset(false);
  const EaseChoice dflt =
      choose_ease(no_validation, training_gram(no_validation, comm), 0, 8, true, comm);
  EXPECT_EQ(dflt.chosen_on, "default");
  EXPECT_EQ(dflt.model.lambda, kEaseDefaultLambda);
  const EaseChoice given = choose_ease(d, g, 42, 8, true, comm);
  EXPECT_EQ(given.chosen_on, "option");
  EXPECT_EQ(given.model.lambda, 42);
}

TEST(GramBaselinesTest, SplitNdcgOfAPerfectRanker) {
  // One user, training anime 0; validation anime 1 scored 9: EASE's only
  // positive score (B(0, 1) > 0, the other anime never co-occur) puts it first.
  data::Dataset d;
  d.user_ids = {1, 2};
  d.anime_ids = {1, 2, 3};
  testing::set_rows(d, {{0, 0, 9, Status::kCompleted, Split::kTrain},
                        {0, 1, 9, Status::kCompleted, Split::kValidation},
                        {1, 0, 9, Status::kCompleted, Split::kTrain},
                        {1, 1, 9, Status::kCompleted, Split::kTrain},
                        {1, 2, 9, Status::kCompleted, Split::kTest}});
  d.cold_anime.assign(3, 0);
  dist::SerialComm comm;
  const EaseModel e = fit_ease(training_gram(d, comm), 1);
  EXPECT_DOUBLE_EQ(ease_split_ndcg10(d, e, Split::kValidation, 8, true, comm), 1.0);
  EXPECT_DOUBLE_EQ(ease_split_ndcg10(d, e, Split::kValidation, 10, true, comm), 0.0);  // none
}

TEST(GramBaselinesTest, RefusesMatricesAboveTheMemoryLimit) {
  const data::Dataset d = random_dataset(true);
  dist::SerialComm comm;
  GramBaselineSettings s;
  s.memory_limit = gram_bytes(kAnime) + 100;  // the Gram fits, EASE's solve does not
  try {
    GramBaselines refused(d, s, comm);
    FAIL() << "EASE above the memory limit was not refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("--ease-lambda off"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--memory-limit"), std::string::npos) << e.what();
  }
  s.ease_lambda = -1;  // off: the item-kNN alone fits
  const GramBaselines knn_only(d, s, comm);
  EXPECT_EQ(knn_only.methods(), std::vector<std::string>{"item_knn"});
  EXPECT_TRUE(knn_only.report().empty());
  s.item_knn = false;
  s.memory_limit = 1;  // nothing to allocate: nothing refused
  EXPECT_TRUE(GramBaselines(d, s, comm).methods().empty());
}

// A model with zero factors and biases, for the random dataset.
model::Model flat_model() {
  model::Model m;
  m.factors = 1;
  m.global_mean = 5;
  for (int u = 0; u < kUsers; ++u) m.user_ids.push_back(1000 + u);
  for (int a = 0; a < kAnime; ++a) {
    m.anime_ids.push_back(a + 1);
    m.anime_titles.push_back("Anime " + std::to_string(a));
  }
  m.user_factors = als::FactorMatrix::Zero(kUsers, 1);
  m.anime_factors = als::FactorMatrix::Zero(kAnime, 1);
  m.user_bias.assign(kUsers, 0);
  m.anime_bias.assign(kAnime, 0);
  return m;
}

TEST(GramBaselinesTest, EvaluateReportsBothBesideTheOthers) {
  const data::Dataset d = random_dataset(true);
  EvaluateSettings s;
  s.ks = {3};
  s.relevance = 6;
  nlohmann::json r = evaluate(flat_model(), d, s);
  const auto methods = r["methods"].get<std::vector<std::string>>();
  EXPECT_EQ(methods, (std::vector<std::string>{"global_mean", "biases", "most_popular",
                                               "best_rated", "item_knn", "ease", "model"}));
  for (const char* m : {"item_knn", "ease"})
    EXPECT_TRUE(r["ranking"]["methods"][m]["3"].contains("ndcg")) << m;
  EXPECT_EQ(r["ease"]["chosen_on"], "validation");
  EXPECT_EQ(r["ease"]["grid"].size(), std::size(kEaseLambdaGrid));
  EXPECT_NE(format_table(r).find("EASE lambda"), std::string::npos);

  s.item_knn = false;
  s.ease_lambda = -1;
  r = evaluate(flat_model(), d, s);
  EXPECT_FALSE(r["ranking"]["methods"].contains("item_knn"));
  EXPECT_FALSE(r["ranking"]["methods"].contains("ease"));
  EXPECT_FALSE(r.contains("ease"));
}

TEST(GramBaselinesTest, ParsesEaseLambda) {
  EXPECT_EQ(parse_ease_lambda("auto"), 0);
  EXPECT_EQ(parse_ease_lambda("off"), -1);
  EXPECT_EQ(parse_ease_lambda("250"), 250);
  EXPECT_EQ(parse_ease_lambda("0.5"), 0.5);
  for (const char* bad : {"", "0", "-3", "x", "100x", "nan", "inf"})
    EXPECT_THROW(parse_ease_lambda(bad), ConfigError) << bad;
}

}  // namespace
}  // namespace animerec::eval
