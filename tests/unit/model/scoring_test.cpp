#include "animerec/model/scoring.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

namespace animerec::model {
namespace {

// 2 users, 3 anime, k = 2, with hand-checkable numbers.
Model small_model() {
  Model m;
  m.feedback = als::Feedback::kExplicit;
  m.factors = 2;
  m.global_mean = 7;
  m.user_ids = {1, 2};
  m.anime_ids = {10, 11, 12};
  m.user_factors.resize(2, 2);
  m.user_factors << 1, 0, 0, 2;
  m.anime_factors.resize(3, 2);
  m.anime_factors << 1, 1, -1, 0, 0, 0.5f;
  m.user_bias = {0.5f, -1};
  m.anime_bias = {0.25f, 0, 1};
  return m;
}

TEST(ScoringTest, PredictedScoresAreMeanPlusBiasesPlusDotProduct) {
  Model m = small_model();
  ScoreMatrix p = predicted_scores(m, model_users(m, 0, 2));
  ASSERT_EQ(p.rows(), 2);
  ASSERT_EQ(p.cols(), 3);
  EXPECT_FLOAT_EQ(p(0, 0), 7 + 0.5f + 0.25f + 1);
  EXPECT_FLOAT_EQ(p(0, 1), 7 + 0.5f + 0 - 1);
  EXPECT_FLOAT_EQ(p(1, 2), 7 - 1 + 1 + 1);
  // Without a ranking part, recommendations follow the predicted scores.
  EXPECT_TRUE(ranking_scores(m, model_users(m, 0, 2), p) == p);
}

TEST(ScoringTest, ImplicitScoresAreTheDotProductOnly) {
  Model m = small_model();
  m.feedback = als::Feedback::kImplicit;
  ScoreMatrix p = predicted_scores(m, model_users(m, 1, 1));
  ASSERT_EQ(p.rows(), 1);
  EXPECT_FLOAT_EQ(p(0, 0), 2);
  EXPECT_FLOAT_EQ(p(0, 1), 0);
  EXPECT_FLOAT_EQ(p(0, 2), 1);
}

TEST(ScoringTest, RankingPartAddsTheBlendedCentredPrediction) {
  Model m = small_model();
  RankingPart r;
  r.alpha = 5;
  r.blend = 0.5;
  r.user_factors.resize(2, 1);
  r.user_factors << 2, 1;
  r.anime_factors.resize(3, 1);
  r.anime_factors << 0.1f, 0.9f, 0;
  m.ranking = r;
  const UserVectors u = model_users(m, 0, 2);
  ASSERT_EQ(u.ranking.rows(), 2);
  ScoreMatrix p = predicted_scores(m, u);
  ScoreMatrix s = ranking_scores(m, u, p);
  for (int a = 0; a < 3; ++a) {
    EXPECT_FLOAT_EQ(s(0, a), 2 * r.anime_factors(a, 0) + 0.5f * (p(0, a) - 7));
  }
  // Anime 11 is predicted below the mean but is what user 1 watches.
  EXPECT_LT(p(0, 1), p(0, 0));
  EXPECT_GT(s(0, 1), s(0, 0));
  UserScores one = score_user(m, u, 1);
  EXPECT_DOUBLE_EQ(one.predicted[2], p(1, 2));
  EXPECT_DOUBLE_EQ(one.ranking[2], s(1, 2));
}

TEST(ScoringTest, ScatteredRowsScoreLikeTheirOwnRows) {
  Model m = small_model();
  RankingPart r;
  r.alpha = 1;
  r.blend = 0.25;
  r.user_factors.resize(2, 1);
  r.user_factors << 0.5f, -1;
  r.anime_factors.resize(3, 1);
  r.anime_factors << 1, 2, 3;
  m.ranking = r;
  const std::vector<int32_t> rows = {1, 0, 1};
  const UserVectors u = model_users(m, rows);
  ASSERT_EQ(u.size(), 3u);
  const ScoreMatrix p = predicted_scores(m, u);
  const ScoreMatrix s = ranking_scores(m, u, p);
  for (size_t i = 0; i < rows.size(); ++i) {
    const UserScores one = score_user(m, model_users(m, rows[i], 1));
    for (Eigen::Index a = 0; a < 3; ++a) {
      EXPECT_FLOAT_EQ(p(static_cast<Eigen::Index>(i), a), one.predicted[a]);
      EXPECT_FLOAT_EQ(s(static_cast<Eigen::Index>(i), a), one.ranking[a]);
    }
  }
}

TEST(ScoringTest, RowsOutsideTheModelAreRefused) {
  Model m = small_model();
  EXPECT_THROW(model_users(m, 1, 2), std::out_of_range);
  EXPECT_THROW(model_users(m, -1, 1), std::out_of_range);
  const std::vector<int32_t> rows = {0, 2};
  EXPECT_THROW(model_users(m, rows), std::out_of_range);
}

}  // namespace
}  // namespace animerec::model
