// Fold-in of new users on models the trainer really produced (through the
// CLI, so the model's recorded config is the real one): the solve is the
// trainer's row solve, a new user's taste is recovered from planted structure,
// and --explain's shares add up to the score.

#include "animerec/serve/fold_in.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "animerec/als/solver.h"
#include "animerec/als/sweep.h"
#include "animerec/data/synth.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/model/scoring.h"
#include "animerec/serve/recommend.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::serve {
namespace {

using testing::TempDir;

data::SynthOptions synth_options() {
  data::SynthOptions s;
  s.users = 300;
  s.anime = 120;
  s.ratings = 15000;
  s.seed = 11;
  s.noise = 0.3;
  return s;
}

// The explicit training options every test here trains with (also given to
// the solver directly below, independently of the model's config map).
constexpr double kLambda = 0.1, kLambdaExponent = 0.5, kLambdaBias = 2;
constexpr double kRankingAlpha = 5, kRankingLambda = 0.05;
// 80 iterations: ALS has converged (the fold-in test below measures it).
const std::string kTrainArgs =
    " --factors 8 --lambda 0.1 --lambda-exponent 0.5 --lambda-bias 2 --iterations 80 --quiet";

// Trains a model through the CLI; returns its path.
std::string train(const TempDir& dir, const std::string& dataset, const std::string& name,
                  const std::string& extra) {
  const std::string out = dir.file(name);
  std::string log;
  const int code = testing::run_animerec(
      "train --dataset " + dataset + " --out " + out + kTrainArgs + extra, &log);
  EXPECT_EQ(code, 0) << log;
  return out;
}

// The synthetic dataset, made once per process (CTest runs each test in its
// own process, so each test trains only the models it uses).
struct Synthetic {
  TempDir dir;
  std::string dataset = testing::synthetic_dataset(dir, synth_options());
};

const Synthetic& synthetic() {
  static const Synthetic s;
  return s;
}

// An explicit model with a ranking part.
const std::string& ranking_model() {
  static const std::string path =
      train(synthetic().dir, synthetic().dataset, "m.h5",
            " --ranking-factors 6 --ranking-alpha 5 --ranking-lambda 0.05 --ranking-iterations 25");
  return path;
}

// A ranking part fit with Rendle et al.'s options and the score confidence.
const std::string kRendleArgs =
    " --ranking-factors 6 --ranking-alpha 5 --ranking-lambda 0.05 --ranking-iterations 25"
    " --ranking-alpha0 0.2 --ranking-regularization frequency --ranking-lambda-exponent 0.8"
    " --weight-score-slope 0.3 --weight-score-pivot 5";
const std::string& rendle_model() {
  static const std::string path =
      train(synthetic().dir, synthetic().dataset, "rendle.h5", kRendleArgs);
  return path;
}

// An explicit model without one.
const std::string& plain_model() {
  static const std::string path = train(synthetic().dir, synthetic().dataset, "plain.h5", "");
  return path;
}

// The trainer's explicit user-row solve, set up here from the options the
// model was trained with, against the model's final anime side.
void solver_row(const model::Model& m, const UserHistory& h, als::FactorMatrix& x, float& bias) {
  als::AlsOptions opt;
  opt.factors = m.factors;
  opt.lambda = kLambda;
  opt.lambda_exponent = kLambdaExponent;
  opt.lambda_bias = kLambdaBias;
  const als::SideState anime{m.anime_factors, m.anime_bias};
  std::vector<int32_t> cols;
  std::vector<float> values;
  for (size_t i = 0; i < h.size(); ++i) {
    if (h.score[i] > 0) {
      cols.push_back(h.anime[i]);
      values.push_back(h.score[i]);
    }
  }
  als::RowSolver solver(anime, m.global_mean, nullptr, opt);
  x = als::FactorMatrix::Zero(1, m.factors);
  solver.solve({cols.data(), values.data(), static_cast<int64_t>(cols.size())}, x.data(), &bias);
}

UserRows rows_of_user(const std::string& dataset, int32_t u) {
  return read_user_rows(dataset, io::read_dataset_header(dataset), u);
}

TEST(FoldInTest, ExplicitFoldInIsTheTrainersRowSolveAndNearTheStoredUser) {
  const Synthetic& t = synthetic();
  const model::Model m = io::read_model(ranking_model());
  double worst_score_gap = 0;
  for (int32_t u : {0, 17, 123, 250}) {
    const UserHistory h = history_of_rows(m, rows_of_user(t.dataset, u));
    const model::UserVectors v = fold_in(m, h);
    als::FactorMatrix x;
    float bias = 0;
    solver_row(m, h, x, bias);
    // The same system solved the same way: identical to the bit.
    EXPECT_EQ(v.factors, x) << "user row " << u;
    EXPECT_EQ(v.bias[0], bias) << "user row " << u;
    // The stored row was solved against the anime side one half-sweep
    // earlier: the largest gap in any prediction is 0.31 after 10
    // iterations, 0.09 after 25, 0.003 after 80 (measured), so the two agree
    // once ALS has converged.
    const model::UserScores fold = model::score_user(m, v);
    const model::UserScores stored = model::score_user(m, model::model_users(m, u, 1));
    for (size_t a = 0; a < m.n_anime(); ++a)
      worst_score_gap =
          std::max(worst_score_gap, std::abs(fold.predicted[a] - stored.predicted[a]));
  }
  EXPECT_LT(worst_score_gap, 0.01);
}

TEST(FoldInTest, RankingPartIsTheImplicitRowSolveOfEveryInteraction) {
  const Synthetic& t = synthetic();
  const model::Model m = io::read_model(ranking_model());
  ASSERT_TRUE(m.ranking.has_value());
  const int32_t u = 42;
  const UserHistory h = history_of_rows(m, rows_of_user(t.dataset, u));
  const model::UserVectors v = fold_in(m, h);

  als::AlsOptions opt;
  opt.factors = 6;
  opt.feedback = als::Feedback::kImplicit;
  opt.alpha = kRankingAlpha;
  opt.lambda = kRankingLambda;
  const als::SideState anime{m.ranking->anime_factors, std::vector<float>(m.n_anime(), 0.0f)};
  const Eigen::MatrixXd gram = als::gram_matrix(anime.factors);
  // Every training row of a mal2023 user is a scored one: weight-scored = 1.
  std::vector<float> ones(h.size(), 1.0f);
  als::RowSolver solver(anime, 0.0f, &gram, opt);
  als::FactorMatrix p = als::FactorMatrix::Zero(1, 6);
  solver.solve({h.anime.data(), ones.data(), static_cast<int64_t>(h.size())}, p.data(), nullptr);
  EXPECT_EQ(v.ranking, p);
  // The trainer fit the ranking part by warm-started CG steps, not exact
  // solves: the fold-in still orders anime like the stored user does.
  const als::FactorMatrix stored = m.ranking->user_factors.row(u);
  const double cosine = v.ranking.row(0).cast<double>().dot(stored.row(0).cast<double>()) /
                        (v.ranking.norm() * stored.norm());
  EXPECT_GT(cosine, 0.95);
}

// The stored alpha0, ridge rule and score weights are the ones fold-in solves with.
TEST(FoldInTest, RankingPartRepeatsTheFrequencyRidgeAlpha0AndScoreWeights) {
  const Synthetic& t = synthetic();
  const model::Model m = io::read_model(rendle_model());
  ASSERT_TRUE(m.ranking.has_value());
  EXPECT_EQ(m.ranking->alpha0, 0.2);
  EXPECT_EQ(m.ranking->lambda_exponent, 0.8);
  EXPECT_TRUE(m.ranking->ridge_counts_unobserved);
  const int32_t u = 42;
  const UserHistory h = history_of_rows(m, rows_of_user(t.dataset, u));
  const model::UserVectors v = fold_in(m, h);

  als::AlsOptions opt;
  opt.factors = 6;
  opt.feedback = als::Feedback::kImplicit;
  opt.alpha = kRankingAlpha;
  opt.lambda = kRankingLambda;
  opt.alpha0 = 0.2;
  opt.lambda_exponent = 0.8;
  opt.ridge_counts_unobserved = true;
  const als::SideState anime{m.ranking->anime_factors, std::vector<float>(m.n_anime(), 0.0f)};
  const Eigen::MatrixXd gram = als::gram_matrix(anime.factors);
  // Every training row of a mal2023 user is scored: weight 1 + 0.3 (score - 5),
  // and a row whose weight is <= 0 (a score of 1) is no interaction.
  std::vector<int32_t> cols;
  std::vector<float> weights;
  for (size_t i = 0; i < h.size(); ++i) {
    const double w = 1 + 0.3 * (h.score[i] - 5.0);
    if (w <= 0) continue;
    cols.push_back(h.anime[i]);
    weights.push_back(static_cast<float>(w));
  }
  als::RowSolver solver(anime, 0.0f, &gram, opt);
  als::FactorMatrix p = als::FactorMatrix::Zero(1, 6);
  solver.solve({cols.data(), weights.data(), static_cast<int64_t>(cols.size())}, p.data(), nullptr);
  EXPECT_EQ(v.ranking, p);
  const als::FactorMatrix stored = m.ranking->user_factors.row(u);
  const double cosine = v.ranking.row(0).cast<double>().dot(stored.row(0).cast<double>()) /
                        (v.ranking.norm() * stored.norm());
  EXPECT_GT(cosine, 0.95);
}

// The genre of the synthetic data with the most anime, and its anime rows.
std::vector<int32_t> rows_with_genre(const data::AnimeMeta& meta, const std::string& genre) {
  std::vector<int32_t> out;
  for (size_t a = 0; a < meta.size(); ++a) {
    for (int64_t i = meta.genres.offsets[a]; i < meta.genres.offsets[a + 1]; ++i) {
      if (meta.genres.vocab[static_cast<size_t>(meta.genres.values[static_cast<size_t>(i)])] ==
          genre)
        out.push_back(static_cast<int32_t>(a));
    }
  }
  return out;
}

TEST(FoldInTest, NewUserWhoLovesOnePlantedGenreGetsThatGenre) {
  const Synthetic& t = synthetic();
  const model::Model m = io::read_model(plain_model());
  const data::AnimeMeta meta = io::read_anime_meta(t.dataset);
  // The synthetic anime factors are the mean of 2-3 random genre directions
  // plus noise, so a genre's direction is learnt best where it has many
  // anime: take the most common genre that is still on at most 40% of them
  // (a top 10 full of it cannot then be chance).
  std::string genre;
  std::vector<int32_t> with;
  for (const std::string& g : meta.genres.vocab) {
    std::vector<int32_t> rows = rows_with_genre(meta, g);
    if (rows.size() <= meta.size() * 2 / 5 && rows.size() > with.size()) {
      genre = g;
      with = rows;
    }
  }
  ASSERT_GE(with.size(), 20u);
  const std::set<int32_t> in_genre(with.begin(), with.end());
  // Eight anime of the genre rated 10, eight without it rated 3.
  std::vector<Rating> ratings;
  for (size_t i = 0; i < 8; ++i) ratings.push_back({with[i], 10.0f});
  for (int32_t a = 0; ratings.size() < 16; ++a)
    if (!in_genre.count(a)) ratings.push_back({a, 3.0f});
  std::vector<uint8_t> rated(m.n_anime(), 0);
  for (const Rating& r : ratings) rated[static_cast<size_t>(r.anime)] = 1;

  const std::vector<Scored> top =
      recommend_for_vectors(m, fold_in(m, history_of_ratings(m, ratings)), rated, 10);
  ASSERT_EQ(top.size(), 10u);
  int hits = 0;
  for (const Scored& s : top) hits += in_genre.count(s.anime) ? 1 : 0;
  const double base_rate = static_cast<double>(with.size() - 8) / (m.n_anime() - 16);
  // Chance would give 10 * base_rate (about 3); ask for twice that.
  EXPECT_GE(hits, 7) << genre << ": base rate " << base_rate;
  EXPECT_LT(10 * base_rate, 3.5) << genre;
}

TEST(FoldInTest, ExplainSharesSumToTheRankingScore) {
  const Synthetic& t = synthetic();
  const model::Model m = io::read_model(ranking_model());
  const UserHistory h = history_of_rows(m, rows_of_user(t.dataset, 7));
  const model::UserScores s = model::score_user(m, fold_in(m, h));
  const ScoreExplainer explainer(m, h);
  for (int32_t a : {0, 5, 60, 119}) {
    const std::vector<double> shares = explainer.shares(a);
    ASSERT_EQ(shares.size(), h.size());
    const double sum = std::accumulate(shares.begin(), shares.end(), 0.0);
    // ranking = p.q + blend (b_u + b_i + x.y): every term but blend * b_i
    // is a sum over the user's entries.
    const double unexplained = m.ranking->blend * m.anime_bias[static_cast<size_t>(a)];
    EXPECT_NEAR(sum + unexplained, s.ranking[static_cast<size_t>(a)], 1e-4) << "anime row " << a;
  }
}

TEST(FoldInTest, ExplainSharesOfAColdAnimeCountTheColdMapsBlend) {
  const Synthetic& t = synthetic();
  model::Model m = io::read_model(ranking_model());
  // Anime row 5 placed by a cold map whose blend differs from the part's: the
  // served score counts the main part with the cold blend, so must the shares.
  model::ColdMap c;
  c.blend = 4 * m.ranking->blend;
  m.ranking->cold_map = c;
  m.ranking->cold.assign(m.n_anime(), 0);
  m.ranking->cold[5] = 1;
  const UserHistory h = history_of_rows(m, rows_of_user(t.dataset, 7));
  const model::UserScores s = model::score_user(m, fold_in(m, h));
  const ScoreExplainer explainer(m, h);
  for (int32_t a : {0, 5}) {
    const std::vector<double> shares = explainer.shares(a);
    const double sum = std::accumulate(shares.begin(), shares.end(), 0.0);
    const double blend = a == 5 ? c.blend : m.ranking->blend;
    EXPECT_NEAR(sum + blend * m.anime_bias[static_cast<size_t>(a)],
                s.ranking[static_cast<size_t>(a)], 1e-4)
        << "anime row " << a;
  }
}

TEST(FoldInTest, ExplainSharesOfAPlainModelSumToThePredictedScore) {
  const Synthetic& t = synthetic();
  const model::Model m = io::read_model(plain_model());
  const UserHistory h = history_of_rows(m, rows_of_user(t.dataset, 3));
  const model::UserScores s = model::score_user(m, fold_in(m, h));
  const ScoreExplainer explainer(m, h);
  for (int32_t a : {1, 77}) {
    const std::vector<double> shares = explainer.shares(a);
    const double sum = std::accumulate(shares.begin(), shares.end(), 0.0);
    EXPECT_NEAR(sum + m.global_mean + m.anime_bias[static_cast<size_t>(a)],
                s.predicted[static_cast<size_t>(a)], 1e-4);
  }
}

TEST(FoldInTest, ImplicitModelFoldInIsTheImplicitRowSolve) {
  const Synthetic& t = synthetic();
  const model::Model m =
      io::read_model(train(t.dir, t.dataset, "implicit.h5", " --feedback implicit --alpha 3"));
  const UserHistory h = history_of_rows(m, rows_of_user(t.dataset, 9));
  als::AlsOptions opt;
  opt.factors = m.factors;
  opt.feedback = als::Feedback::kImplicit;
  opt.alpha = 3;
  opt.lambda = kLambda;
  opt.lambda_exponent = kLambdaExponent;
  const als::SideState anime{m.anime_factors, std::vector<float>(m.n_anime(), 0.0f)};
  const Eigen::MatrixXd gram = als::gram_matrix(anime.factors);
  als::RowSolver solver(anime, 0.0f, &gram, opt);
  als::FactorMatrix x = als::FactorMatrix::Zero(1, m.factors);
  solver.solve({h.anime.data(), h.weight.data(), static_cast<int64_t>(h.size())}, x.data(),
               nullptr);
  EXPECT_EQ(fold_in(m, h).factors, x);
  EXPECT_TRUE(std::all_of(h.weight.begin(), h.weight.end(), [](float w) { return w == 1.0f; }));
}

}  // namespace
}  // namespace animerec::serve
