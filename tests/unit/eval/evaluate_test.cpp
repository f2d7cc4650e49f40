// `animerec evaluate` on a planted model whose predictions are exact: two
// taste groups of users and anime, so the model beats most-popular on NDCG and
// the bias baseline on RMSE.

#include "animerec/eval/evaluate.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../data/sample_dataset.h"
#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "test_support.h"

namespace animerec::eval {
namespace {

using data::Split;
using data::Status;

constexpr int kUsers = 20, kAnime = 12;
bool group_a_user(int u) { return u < kUsers / 2; }
bool group_a_anime(int a) { return a < kAnime / 2; }

// Score 9 within a group, 3 across: mu 6 +- x.y = 3.
model::Model planted_model(bool with_content) {
  model::Model m;
  m.factors = 2;
  m.global_mean = 6;
  for (int u = 0; u < kUsers; ++u) m.user_ids.push_back(100 + u);
  for (int a = 0; a < kAnime; ++a) {
    m.anime_ids.push_back(a + 1);
    m.anime_titles.push_back("Anime " + std::to_string(a));
  }
  m.user_factors.resize(kUsers, 2);
  for (int u = 0; u < kUsers; ++u)
    m.user_factors.row(u) << (group_a_user(u) ? 1.f : 0.f), (group_a_user(u) ? 0.f : 1.f);
  m.anime_factors.resize(kAnime, 2);
  for (int a = 0; a < kAnime; ++a)
    m.anime_factors.row(a) << (group_a_anime(a) ? 3.f : -3.f), (group_a_anime(a) ? -3.f : 3.f);
  m.user_bias.assign(kUsers, 0);
  m.anime_bias.assign(kAnime, 0);
  if (with_content) {
    model::ContentPart c;
    c.lambda_content = 1;
    c.names = {"A", "B"};
    c.groups = {"genre", "genre"};
    c.idf = {1, 1};
    for (int a = 0; a <= kAnime; ++a) c.offsets.push_back(a);
    for (int a = 0; a < kAnime; ++a) {
      c.cols.push_back(group_a_anime(a) ? 0 : 1);
      c.values.push_back(1);
    }
    c.w = als::FactorMatrix::Zero(2, 2);
    c.w_bias.assign(2, 0);
    m.content = c;
  }
  return m;
}

// Training: half of the own group's anime and a third of the other group's.
// Test: the rest of the own group (score 9) and two of the other (score 3).
// With cold, the last anime has no training rows and is marked cold.
data::Dataset planted_dataset(bool cold, int64_t first_user_id = 100) {
  data::Dataset d;
  for (int u = 0; u < kUsers; ++u) d.user_ids.push_back(first_user_id + u);
  for (int a = 0; a < kAnime; ++a) d.anime_ids.push_back(a + 1);
  std::vector<testing::SampleRow> rows;
  for (int u = 0; u < kUsers; ++u) {
    int other_test = 0;
    for (int a = 0; a < kAnime; ++a) {
      const bool own = group_a_user(u) == group_a_anime(a);
      const float score = own ? 9.f : 3.f;
      bool in_train = own ? (a + u) % 2 == 0 : (a + u) % 3 == 0;
      if (cold && a == kAnime - 1) in_train = false;
      if (in_train) {
        rows.push_back({u, a, score, Status::kCompleted, Split::kTrain});
      } else if (own || other_test++ < 2 || (cold && a == kAnime - 1)) {
        rows.push_back({u, a, score, Status::kCompleted, Split::kTest});
      }
    }
  }
  testing::set_rows(d, rows);
  d.cold_anime.assign(kAnime, 0);
  if (cold) d.cold_anime[kAnime - 1] = 1;
  d.anime.resize(kAnime);
  d.anime.has_metadata.assign(kAnime, 1);
  for (int a = 0; a < kAnime; ++a) {
    d.anime.title[a] = "Anime " + std::to_string(a);
    d.anime.members[a] = 1000 - a;
  }
  d.anime.genres.offsets.assign(kAnime + 1, 0);
  d.anime.studios.offsets.assign(kAnime + 1, 0);
  return d;
}

double at(const nlohmann::json& r, const char* method, const char* k, const char* metric) {
  return r["ranking"]["methods"][method][k][metric].get<double>();
}

TEST(EvaluateTest, PlantedModelBeatsBaselines) {
  const nlohmann::json r = evaluate(planted_model(false), planted_dataset(false), {});
  EXPECT_NEAR(r["rating"]["methods"]["model"]["rmse"].get<double>(), 0.0, 1e-5);
  EXPECT_GT(r["rating"]["methods"]["biases"]["rmse"].get<double>(), 1.0);
  EXPECT_NEAR(at(r, "model", "5", "ndcg"), 1.0, 1e-12);
  EXPECT_GT(at(r, "model", "5", "ndcg"), at(r, "most_popular", "5", "ndcg") + 0.05);
  EXPECT_EQ(r["ranking"]["users"].get<int>(), kUsers);
  EXPECT_FALSE(r.contains("cold_start"));
  EXPECT_FALSE(r["ranking"]["methods"].contains("content"));
}

TEST(EvaluateTest, ColdStartSectionOnlyWithColdAnime) {
  const nlohmann::json r = evaluate(planted_model(true), planted_dataset(true), {});
  ASSERT_TRUE(r.contains("cold_start"));
  EXPECT_EQ(r["cold_start"]["anime"].get<int>(), 1);
  EXPECT_EQ(r["cold_start"]["users"].get<int>(), kUsers / 2);  // group B rates it 9
  for (const char* m : {"global_mean", "biases", "most_popular", "best_rated", "content", "model"})
    EXPECT_DOUBLE_EQ(r["cold_start"]["methods"][m]["5"]["hit_rate"].get<double>(), 1.0) << m;
}

TEST(EvaluateTest, WarmSectionLeavesColdAnimeOutOfCandidatesAndRelevance) {
  // The cold anime (last row) scores highest for everyone: first in every
  // list among all candidates, where group A (who scored it 3) gets a miss at
  // the top; the warm section ranks the warm anime only, where the model is
  // perfect, and no user can miss the cold anime's relevant row there.
  model::Model m = planted_model(true);
  m.anime_factors.row(kAnime - 1) << 10.f, 10.f;
  const nlohmann::json r = evaluate(m, planted_dataset(true), {});
  ASSERT_TRUE(r.contains("warm"));
  EXPECT_EQ(r["warm"]["anime"].get<int>(), kAnime - 1);
  EXPECT_EQ(r["warm"]["users"].get<int>(), kUsers);
  EXPECT_LT(at(r, "model", "5", "ndcg"), 0.99);
  EXPECT_NEAR(r["warm"]["methods"]["model"]["5"]["ndcg"].get<double>(), 1.0, 1e-12);
  EXPECT_NEAR(r["warm"]["methods"]["model"]["5"]["recall"].get<double>(), 1.0, 1e-12);
  EXPECT_FALSE(evaluate(planted_model(false), planted_dataset(false), {}).contains("warm"));
}

// The planted dataset on a 1..5 scale (MovieLens): 5 within a group, 2 across.
data::Dataset five_star_dataset() {
  data::Dataset d = planted_dataset(false);
  for (float& score : d.by_user.score) score = score > 5 ? 5.f : 2.f;
  for (float& score : d.by_anime.score) score = score > 5 ? 5.f : 2.f;
  d.score_min = 1;
  d.score_max = 5;
  return d;
}

TEST(EvaluateTest, DefaultRelevanceIsTheTopOfTheScale) {
  EXPECT_EQ(default_relevance(1, 10), 8.0);
  EXPECT_EQ(default_relevance(1, 5), 4.0);
  EXPECT_EQ(default_relevance(0, 100), 70.0);
  EXPECT_EQ(default_relevance(0.5, 5), 4.0);         // MovieLens half stars
  EXPECT_NEAR(default_relevance(0, 1), 0.7, 1e-12);  // a narrow scale: not rounded
}

// Issue #16: on a 1..5 dataset the fixed threshold 8 made nothing relevant
// and every ranking metric 0. Unset, it follows the dataset's scale.
TEST(EvaluateTest, RelevanceFollowsAFiveStarScale) {
  const nlohmann::json r = evaluate(planted_model(false), five_star_dataset(), {});
  EXPECT_EQ(r["relevance"].get<double>(), 4.0);
  EXPECT_EQ(r["relevance_rule"].get<std::string>(),
            "score >= 4 (the top 30% of the scale 1..5; --relevance to change)");
  EXPECT_EQ(r["ranking"]["users"].get<int>(), kUsers);
  EXPECT_NEAR(at(r, "model", "5", "ndcg"), 1.0, 1e-12);
  EXPECT_NE(format_table(r).find("relevant = score >= 4 (the top 30% of the scale 1..5"),
            std::string::npos);
  EvaluateSettings given;
  given.relevance = 5;
  const nlohmann::json g = evaluate(planted_model(false), five_star_dataset(), given);
  EXPECT_EQ(g["relevance_rule"].get<std::string>(), "score >= 5 (--relevance)");
}

// Nothing relevant, or no held-out rows at all: an error, not a table of zeros.
TEST(EvaluateTest, NothingToEvaluateIsAnError) {
  EvaluateSettings too_high;
  too_high.relevance = 10;
  try {
    evaluate(planted_model(false), planted_dataset(false), too_high);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("none of the"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("test rows is relevant (score >= 10)"), std::string::npos)
        << e.what();
  }
  EvaluateSettings validation;
  validation.split = Split::kValidation;
  try {
    evaluate(planted_model(false), planted_dataset(false), validation);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("the dataset has no validation rows"), std::string::npos)
        << e.what();
  }
}

// Implicit data has no score scale: the report says what relevant means there
// instead of a threshold nothing uses.
TEST(EvaluateTest, ImplicitReportSaysEveryHeldOutRowIsRelevant) {
  model::Model m = planted_model(false);
  m.feedback = als::Feedback::kImplicit;
  EvaluateSettings s;
  s.relevance = 100;
  const nlohmann::json r = evaluate(m, planted_dataset(false), s);
  EXPECT_TRUE(r["relevance"].is_null());
  const std::string table = format_table(r);
  EXPECT_NE(table.find("relevant = every held-out interaction"), std::string::npos) << table;
  EXPECT_EQ(table.find(">= 100"), std::string::npos) << table;
}

TEST(EvaluateTest, ParsesKAndSplit) {
  EXPECT_EQ(parse_ks("20,5,10,5"), (std::vector<int>{5, 10, 20}));
  EXPECT_THROW(parse_ks("0"), ConfigError);
  EXPECT_THROW(parse_ks("5,,10"), ConfigError);
  EXPECT_THROW(parse_ks("x"), ConfigError);
  EXPECT_EQ(split_from_name("validation"), Split::kValidation);
  EXPECT_THROW(split_from_name("train"), ConfigError);
}

struct Files {
  testing::TempDir dir;
  std::string model = dir.file("model.h5"), dataset = dir.file("dataset.h5"),
              other = dir.file("other.h5");
  Files() {
    io::write_model(planted_model(true), model, false);
    io::write_dataset(planted_dataset(true), dataset, false);
    io::write_dataset(planted_dataset(false, 500), other, false);
  }
};

TEST(EvaluateTest, JsonHoldsEveryMethod) {
  Files f;
  EvaluateOptions o;
  o.model_path = f.model;
  o.dataset_path = f.dataset;
  o.format = "json";
  const nlohmann::json r = nlohmann::json::parse(run_evaluate(o));
  for (const char* m :
       {"global_mean", "biases", "most_popular", "best_rated", "content", "model"}) {
    for (const char* k : {"5", "10", "20"}) {
      for (const char* metric : {"precision", "recall", "ndcg", "map", "hit_rate", "coverage",
                                 "novelty", "popularity_rank"})
        EXPECT_TRUE(r["ranking"]["methods"][m][k].contains(metric)) << m << k << metric;
    }
    EXPECT_TRUE(r["cold_start"]["methods"].contains(m)) << m;
  }
  for (const char* m : {"global_mean", "biases", "model"})
    EXPECT_TRUE(r["rating"]["methods"][m].contains("rmse")) << m;
  // The similar-anime section ends with its query-blind floor.
  ASSERT_TRUE(r.contains("similar"));
  EXPECT_EQ(r["similar"]["method_order"].back(), "most_popular");
  for (const char* k : {"5", "10", "20"}) {
    const double hr = r["similar"]["methods"]["most_popular"][k]["hit_rate"].get<double>();
    EXPECT_GE(hr, 0.0) << k;
    EXPECT_LE(hr, 1.0) << k;
  }
}

TEST(EvaluateTest, CommandLine) {
  Files f;
  std::string out;
  ASSERT_EQ(testing::run_animerec(
                "evaluate --model " + f.model + " --dataset " + f.dataset + " --k 5,10", &out),
            0)
      << out;
  EXPECT_NE(out.find("Ranking @10"), std::string::npos) << out;
  EXPECT_NE(out.find("\nmodel "), std::string::npos) << out;
  EXPECT_NE(out.find("Cold start @5"), std::string::npos) << out;

  EXPECT_EQ(testing::run_animerec("evaluate --model " + f.model + " --dataset " + f.other, &out),
            2);
  EXPECT_NE(out.find("does not belong to"), std::string::npos) << out;
  EXPECT_EQ(testing::run_animerec(
                "evaluate --model " + f.model + " --dataset " + f.dataset + " --k 0", &out),
            2);
  EXPECT_NE(out.find("--k"), std::string::npos) << out;
  EXPECT_EQ(testing::run_animerec(
                "evaluate --model " + f.model + " --dataset " + f.dataset + " --split train", &out),
            2);
  EXPECT_EQ(
      testing::run_animerec(
          "evaluate --model " + f.model + " --dataset " + f.dataset + " --split validation", &out),
      2);
  EXPECT_NE(out.find("the dataset has no validation rows"), std::string::npos) << out;
  EXPECT_EQ(
      testing::run_animerec("evaluate --model " + f.dataset + " --dataset " + f.dataset, &out), 2);
}

}  // namespace
}  // namespace animerec::eval
