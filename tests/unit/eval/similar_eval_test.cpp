// evaluate's similar-anime section (eval/similar_eval.h) on a planted case
// whose lists are known: anime 0 and 1 share a factor direction, 2 and 3
// another.

#include "animerec/eval/similar_eval.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "../data/sample_dataset.h"

namespace animerec::eval {
namespace {

using data::Split;
using data::Status;

model::Model planted_model() {
  model::Model m;
  m.factors = 2;
  m.global_mean = 5;
  m.user_ids = {1, 2, 3};
  m.anime_ids = {1, 2, 3, 4};
  m.anime_titles = {"a", "b", "c", "d"};
  m.user_factors = als::FactorMatrix::Zero(3, 2);
  m.anime_factors.resize(4, 2);
  m.anime_factors << 1, 0.1f, 2, 0.2f, 0.1f, 1, 0.2f, 3;
  m.user_bias.assign(3, 0);
  m.anime_bias.assign(4, 0);
  return m;
}

// User 0: training 0 (score 10) and 2 (5), relevant test anime 1.
// User 1: training 0 and 1 (both 9: the query is the smaller index, 0),
// relevant test anime 3. User 2: no scored training row, so no query.
data::Dataset planted_dataset() {
  data::Dataset d;
  d.user_ids = {1, 2, 3};
  d.anime_ids = {1, 2, 3, 4};
  testing::set_rows(d, {{0, 0, 10, Status::kCompleted, Split::kTrain},
                        {0, 1, 9, Status::kCompleted, Split::kTest},
                        {0, 2, 5, Status::kCompleted, Split::kTrain},
                        {0, 3, 3, Status::kCompleted, Split::kTest},
                        {1, 0, 9, Status::kCompleted, Split::kTrain},
                        {1, 1, 9, Status::kCompleted, Split::kTrain},
                        {1, 3, 8, Status::kCompleted, Split::kTest},
                        {2, 0, 0, Status::kPlanToWatch, Split::kTrain},
                        {2, 1, 9, Status::kCompleted, Split::kTest}});
  d.cold_anime.assign(4, 0);
  return d;
}

TEST(SimilarEvalTest, QueryIsTheHighestScoredTrainingAnime) {
  const data::Dataset d = planted_dataset();
  EXPECT_EQ(similar_query(d, 0), 0);
  EXPECT_EQ(similar_query(d, 1), 0);  // a tie: the smaller index
  EXPECT_EQ(similar_query(d, 2), -1);
}

TEST(SimilarEvalTest, PlantedHitsAndNdcg) {
  const data::Dataset d = planted_dataset();
  const model::Model m = planted_model();
  dist::SerialComm comm;
  const nlohmann::json r =
      similar_section(d, similar_methods(m, nullptr), {1, 2}, Split::kTest, 8, true, comm);
  EXPECT_EQ(r["users"].get<int>(), 2);
  ASSERT_EQ(r["method_order"], nlohmann::json::array({"cowatch", "cf"}));
  // User 0: list [1, 3], relevant {1}: hit at rank 1. User 1: list [2, 3]
  // (cos(0, 2) = 0.198 > cos(0, 3) = 0.166), relevant {3}: hit at rank 2.
  const nlohmann::json& cf = r["methods"]["cf"];
  EXPECT_DOUBLE_EQ(cf["1"]["hit_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(cf["1"]["ndcg"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(cf["2"]["hit_rate"].get<double>(), 1.0);
  EXPECT_NEAR(cf["2"]["ndcg"].get<double>(), (1.0 + 1.0 / std::log2(3.0)) / 2, 1e-6);
}

TEST(SimilarEvalTest, ItemKnnAndRankingFactorsAreMethods) {
  const data::Dataset d = planted_dataset();
  model::Model m = planted_model();
  model::RankingPart rp;
  rp.user_factors = als::FactorMatrix::Zero(3, 2);
  rp.anime_factors.resize(4, 2);
  rp.anime_factors << 1, 0, 0, 1, 0, 1, 1, 0;  // ranking part: 0 is nearest 3
  m.ranking = rp;
  dist::SerialComm comm;
  const TrainingGram g = training_gram(d, comm);
  const ItemKnn knn(g);
  const nlohmann::json r =
      similar_section(d, similar_methods(m, &knn), {1}, Split::kTest, 8, true, comm);
  ASSERT_EQ(r["method_order"],
            nlohmann::json::array({"cowatch", "cf", "ranking_factors", "item_knn"}));
  // Ranking factors: user 0's list [3, 1] misses 1; user 1's list [3, 2] hits 3.
  EXPECT_DOUBLE_EQ(r["methods"]["ranking_factors"]["1"]["hit_rate"].get<double>(), 0.5);
  // Training co-occurrence: anime 0 with 1 (user 1, and user 2's unscored row)
  // and with 2 (user 0); user 0 (0 and 2 excluded): 1 first, a hit; user 1
  // (0 and 1 excluded): 2 (cos 1/sqrt(3)) before 3 (no training row), a miss.
  EXPECT_DOUBLE_EQ(r["methods"]["item_knn"]["1"]["hit_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["methods"]["item_knn"]["1"]["ndcg"].get<double>(), 0.5);
}

// Co-watching (the default --similar-mode) on a ranking part whose users are
// known: users 0 and 1 watch direction e1, user 2 direction e2, so P^T P =
// diag(2, 1). From anime 0 = (1, 0): anime 3 = (1, 1) scores 2, anime 1 =
// (0.5, 0) scores 1, anime 2 = (0, 1) scores 0: [3, 1, 2], where the cosine of
// the same factors says [1, 3, 2] (anime 1 points exactly like anime 0).
TEST(SimilarEvalTest, CowatchPlantedHitsAndNdcg) {
  const data::Dataset d = planted_dataset();
  model::Model m = planted_model();
  model::RankingPart rp;
  rp.user_factors.resize(3, 2);
  rp.user_factors << 1, 0, 1, 0, 0, 1;
  rp.anime_factors.resize(4, 2);
  rp.anime_factors << 1, 0, 0.5f, 0, 0, 1, 1, 1;
  m.ranking = rp;
  dist::SerialComm comm;
  const nlohmann::json r =
      similar_section(d, similar_methods(m, nullptr), {1, 2}, Split::kTest, 8, true, comm);
  // User 0 (0 and 2 excluded): [3, 1], relevant {1}: a hit at rank 2 only.
  // User 1 (0 and 1 excluded): [3, 2], relevant {3}: a hit at rank 1.
  const nlohmann::json& cw = r["methods"]["cowatch"];
  EXPECT_DOUBLE_EQ(cw["1"]["hit_rate"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(cw["1"]["ndcg"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(cw["2"]["hit_rate"].get<double>(), 1.0);
  EXPECT_NEAR(cw["2"]["ndcg"].get<double>(), (1.0 / std::log2(3.0) + 1.0) / 2, 1e-6);
  // The cosine of the same factors lists [1, 3] for user 0 and [3, 2] for
  // user 1: both hit at rank 1, so the two methods really rank differently.
  const nlohmann::json& rf = r["methods"]["ranking_factors"];
  EXPECT_DOUBLE_EQ(rf["1"]["hit_rate"].get<double>(), 1.0);
}

// No user with a query (implicit data has no scores): the text report says the
// section was not measured rather than printing a table of zeros.
TEST(SimilarTable, NoQueryUsersIsNotMeasuredNotZero) {
  const nlohmann::json empty = {
      {"k", {10}},
      {"similar",
       {{"users", 0},
        {"methods", {{"cowatch", {{"10", {{"hit_rate", 0.0}, {"ndcg", 0.0}}}}}}},
        {"method_order", {"cowatch"}}}}};
  const std::string text = similar_table(empty);
  EXPECT_NE(text.find("not measured"), std::string::npos) << text;
  EXPECT_EQ(text.find("HR@10"), std::string::npos) << text;

  nlohmann::json measured = empty;
  measured["similar"]["users"] = 3;
  const std::string table = similar_table(measured);
  EXPECT_NE(table.find("HR@10"), std::string::npos) << table;
  EXPECT_EQ(table.find("not measured"), std::string::npos) << table;
}

}  // namespace
}  // namespace animerec::eval
