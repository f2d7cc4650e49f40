// `animerec recommend` on a hand-made model whose answers are known: planted
// factors (x_u.y_i), planted content rows (genres), and a matching dataset.

#include "animerec/serve/recommend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "../data/sample_dataset.h"
#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/serve/output.h"
#include "test_support.h"

namespace animerec::serve {
namespace {

using data::Split;
using data::Status;
using testing::TempDir;

// 5 anime; k = 2. Anime rows 2 and 4 share the title "Clannad".
//   row  id   title         factors     genres (content)
//   0    1    Cowboy Bebop  (1, 0)      Action
//   1    6    Trigun        (0.9, 0.1)  Action, Sci-Fi
//   2    30   Clannad       (0, 1)      Romance
//   3    32   Steins;Gate   (0.5, 0.5)  Romance, Sci-Fi
//   4    100  Clannad       (-1, 0)     (none)
// Users: 10 = (1, 0), 20 = (0, 2), 30 = (10, 0); mu = 5, no biases.
model::Model planted_model(bool with_content) {
  model::Model m;
  m.factors = 2;
  m.global_mean = 5;
  m.user_ids = {10, 20, 30};
  m.anime_ids = {1, 6, 30, 32, 100};
  m.anime_titles = {"Cowboy Bebop", "Trigun", "Clannad", "Steins;Gate", "Clannad"};
  m.user_factors.resize(3, 2);
  m.user_factors << 1, 0, 0, 2, 10, 0;
  m.anime_factors.resize(5, 2);
  m.anime_factors << 1, 0, 0.9f, 0.1f, 0, 1, 0.5f, 0.5f, -1, 0;
  m.user_bias.assign(3, 0);
  m.anime_bias.assign(5, 0);
  if (with_content) {
    model::ContentPart c;
    c.lambda_content = 1;
    c.names = {"Action", "Romance", "Sci-Fi"};
    c.groups = {"genre", "genre", "genre"};
    c.idf = {1, 1, 1};
    const float h = std::sqrt(0.5f);
    c.offsets = {0, 1, 3, 4, 6, 6};
    c.cols = {0, 0, 2, 1, 1, 2};
    c.values = {1, h, h, 1, h, h};
    c.w = als::FactorMatrix::Zero(3, 2);
    c.w_bias.assign(3, 0);
    m.content = c;
  }
  return m;
}

// User 10 scored Cowboy Bebop 9 and Clannad (row 2) 2 in training and plans
// to watch row 4; user 20 has Clannad (row 2) in the test split only; user 30
// rated row 4.
data::Dataset planted_dataset(std::vector<int64_t> user_ids = {10, 20, 30}) {
  data::Dataset d;
  d.user_ids = std::move(user_ids);
  d.anime_ids = {1, 6, 30, 32, 100};
  testing::set_rows(d, {
                           {0, 0, 9, Status::kCompleted, Split::kTrain},
                           {0, 2, 2, Status::kCompleted, Split::kTrain},
                           {0, 4, 0, Status::kPlanToWatch, Split::kTrain},
                           {1, 2, 8, Status::kCompleted, Split::kTest},
                           {2, 4, 1, Status::kCompleted, Split::kTrain},
                       });
  d.cold_anime.assign(5, 0);
  data::AnimeMeta& a = d.anime;
  a.resize(5);
  a.has_metadata.assign(5, 1);
  a.title = {"Cowboy Bebop", "Trigun", "Clannad", "Steins;Gate", "Clannad"};
  a.type = {"TV", "TV", "TV", "TV", "Movie"};
  a.year = {1998, 1998, 2007, 2011, 2007};
  a.genres.vocab = {"Action", "Romance", "Sci-Fi"};
  a.genres.offsets = {0, 1, 3, 4, 6, 6};
  a.genres.values = {0, 0, 2, 1, 1, 2};
  a.studios.offsets.assign(6, 0);
  return d;
}

struct Files {
  TempDir dir;
  std::string model, plain_model, dataset;
  Files() {
    model = dir.file("model.h5");
    plain_model = dir.file("plain.h5");
    dataset = dir.file("dataset.h5");
    io::write_model(planted_model(true), model, false);
    io::write_model(planted_model(false), plain_model, false);
    io::write_dataset(planted_dataset(), dataset, false);
  }
};

std::vector<int64_t> ids(const model::Model& m, const std::vector<Scored>& items) {
  std::vector<int64_t> out;
  for (const Scored& s : items) out.push_back(m.anime_ids[static_cast<size_t>(s.anime)]);
  return out;
}

// The message of the Error that f throws ("" when none is thrown).
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    return e.what();
  }
  return "";
}

UserRows rows_of(const data::Dataset& d, int32_t u) {
  UserRows r;
  for (int64_t i = d.user_offsets[u]; i < d.user_offsets[u + 1]; ++i) {
    r.anime.push_back(d.by_user.anime[i]);
    r.score.push_back(d.by_user.score[i]);
    r.split.push_back(d.by_user.split[i]);
  }
  return r;
}

TEST(RecommendTest, PlantedTopPickComesFirstAndIsClippedToTheScale) {
  const model::Model m = planted_model(false);
  const data::Dataset d = planted_dataset();
  // User 30 = (10, 0): Cowboy Bebop predicts 5 + 10 = 15, shown as 10.
  auto items = recommend_for_user(m, find_user(m, 30), rows_of(d, 2), UserMode::kModel, false, 3);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(ids(m, items), (std::vector<int64_t>{1, 6, 32}));
  EXPECT_DOUBLE_EQ(items[0].score, 10.0);
  EXPECT_NEAR(items[2].score, 10.0, 1e-6);  // 5 + 10 * 0.5 = 10, exactly at the top
}

TEST(RecommendTest, SeenAnimeAreExcludedInEverySplitUnlessIncludeSeen) {
  const model::Model m = planted_model(false);
  const data::Dataset d = planted_dataset();
  // User 20 = (0, 2): Clannad (row 2, 7.0) is best but only in their test split.
  const int32_t u = find_user(m, 20);
  auto unseen = recommend_for_user(m, u, rows_of(d, 1), UserMode::kModel, false, 10);
  EXPECT_EQ(ids(m, unseen), (std::vector<int64_t>{32, 6, 1, 100}));
  EXPECT_NEAR(unseen[0].score, 6.0, 1e-6);
  auto all = recommend_for_user(m, u, rows_of(d, 1), UserMode::kModel, true, 10);
  EXPECT_EQ(ids(m, all), (std::vector<int64_t>{30, 32, 6, 1, 100}));
  // User 10 has rows 0 and 2 scored and row 4 planned: all three are skipped.
  auto u10 = recommend_for_user(m, find_user(m, 10), rows_of(d, 0), UserMode::kModel, false, 10);
  EXPECT_EQ(ids(m, u10), (std::vector<int64_t>{6, 32}));
}

TEST(RecommendTest, TopNBreaksTiesByAnimeIndex) {
  std::vector<Scored> items = top_n({1.0, 2.0, 2.0, 0.5, 2.0}, {0, 0, 1, 0, 0}, 3);
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0].anime, 1);
  EXPECT_EQ(items[1].anime, 4);
  EXPECT_EQ(items[2].anime, 0);
  EXPECT_TRUE(top_n({1.0}, {}, 0).empty());
}

TEST(RecommendTest, ContentModeRanksTheFavouriteGenreFirst) {
  const model::Model m = planted_model(true);
  const data::Dataset d = planted_dataset();
  // User 10 loved the Action anime (9) and disliked the Romance one (2):
  // Trigun (Action, Sci-Fi) beats Steins;Gate (Romance, Sci-Fi).
  auto items = recommend_for_user(m, 0, rows_of(d, 0), UserMode::kContent, false, 10);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(ids(m, items), (std::vector<int64_t>{6, 32}));
  EXPECT_NEAR(items[0].score, 0.5, 1e-5);
  EXPECT_NEAR(items[1].score, -0.5, 1e-5);
  // Only training rows count: user 20 has none.
  EXPECT_NE(error_of([&] {
              recommend_for_user(m, 1, rows_of(d, 1), UserMode::kContent, false, 10);
            }).find("no scored training ratings"),
            std::string::npos);
}

TEST(RecommendTest, ContentModeOnAPlainModelSaysHowToGetOne) {
  const model::Model m = planted_model(false);
  const data::Dataset d = planted_dataset();
  std::string msg =
      error_of([&] { recommend_for_user(m, 0, rows_of(d, 0), UserMode::kContent, false, 10); });
  EXPECT_NE(msg.find("no content vectors"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--lambda-content > 0"), std::string::npos) << msg;
  EXPECT_NE(
      error_of([&] { similar_anime(m, 0, SimilarMode::kHybrid, 0.5, 3); }).find("--lambda-content"),
      std::string::npos);
}

TEST(SimilarTest, CfNeighbourByFactors) {
  const model::Model m = planted_model(false);
  auto items = similar_anime(m, find_anime(m, "1"), SimilarMode::kCf, 0.5, 10);
  // Cowboy Bebop (1, 0): Trigun 0.99, Steins;Gate 0.71, Clannad 0, Clannad -1; never itself.
  EXPECT_EQ(ids(m, items), (std::vector<int64_t>{6, 32, 30, 100}));
  EXPECT_NEAR(items[1].score, std::sqrt(0.5), 1e-6);
  EXPECT_NEAR(items[3].score, -1.0, 1e-6);
}

TEST(SimilarTest, ContentNeighbourByContentRows) {
  const model::Model m = planted_model(true);
  // Row 2 (Clannad, Romance): only Steins;Gate shares a genre; the zeros tie by index.
  auto items = similar_anime(m, 2, SimilarMode::kContent, 0.5, 10);
  EXPECT_EQ(ids(m, items), (std::vector<int64_t>{32, 1, 6, 100}));
  EXPECT_NEAR(items[0].score, std::sqrt(0.5), 1e-6);
}

TEST(SimilarTest, HybridBlendsCfAndContent) {
  const model::Model m = planted_model(true);
  const int32_t sg = find_anime(m, "steins;gate");
  // By factors Trigun (0.78) beats Clannad (0.71); by content Clannad (0.71)
  // beats Trigun (0.5). Blend 1 is cf, blend 0 is content, 0.5 averages.
  EXPECT_EQ(ids(m, similar_anime(m, sg, SimilarMode::kHybrid, 1.0, 1)), (std::vector<int64_t>{6}));
  EXPECT_EQ(ids(m, similar_anime(m, sg, SimilarMode::kHybrid, 0.0, 1)), (std::vector<int64_t>{30}));
  auto half = similar_anime(m, sg, SimilarMode::kHybrid, 0.5, 2);
  EXPECT_EQ(ids(m, half), (std::vector<int64_t>{30, 6}));
  auto cf = similar_anime(m, sg, SimilarMode::kCf, 0.5, 10);
  auto content = similar_anime(m, sg, SimilarMode::kContent, 0.5, 10);
  auto score_of = [&](const std::vector<Scored>& v, int32_t a) {
    for (const Scored& s : v)
      if (s.anime == a) return s.score;
    return std::nan("");
  };
  EXPECT_NEAR(half[1].score, 0.5 * score_of(cf, 1) + 0.5 * score_of(content, 1), 1e-9);
}

TEST(LookupTest, TitlesExactAmbiguousAndUnknown) {
  const model::Model m = planted_model(false);
  EXPECT_EQ(find_anime(m, "COWBOY bebop"), 0);
  EXPECT_EQ(find_anime(m, "32"), 3);

  std::string ambiguous = error_of([&] { find_anime(m, "clannad"); });
  EXPECT_NE(ambiguous.find("ambiguous"), std::string::npos) << ambiguous;
  EXPECT_NE(ambiguous.find("30  Clannad"), std::string::npos) << ambiguous;
  EXPECT_NE(ambiguous.find("100  Clannad"), std::string::npos) << ambiguous;

  std::string typo = error_of([&] { find_anime(m, "Cowboy Bebopp"); });
  EXPECT_NE(typo.find("no anime titled 'Cowboy Bebopp'"), std::string::npos) << typo;
  EXPECT_NE(typo.find("did you mean"), std::string::npos) << typo;
  // Closest first: one edit away.
  EXPECT_NE(typo.find("did you mean:\n  1  Cowboy Bebop"), std::string::npos) << typo;

  std::string part = error_of([&] { find_anime(m, "steins"); });
  EXPECT_NE(part.find("did you mean:\n  32  Steins;Gate"), std::string::npos) << part;

  std::string id = error_of([&] { find_anime(m, "999"); });
  EXPECT_NE(id.find("no anime with id or title '999'"), std::string::npos) << id;
}

TEST(LookupTest, UnknownUserPointsToRatings) {
  const model::Model m = planted_model(false);
  std::string msg = error_of([&] { find_user(m, 11); });
  EXPECT_NE(msg.find("unknown user id 11"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--ratings"), std::string::npos) << msg;
}

TEST(RunRecommendTest, ReadsOnlyTheUsersRowsAndFormatsTheTable) {
  Files f;
  const io::DatasetHeader h = io::read_dataset_header(f.dataset);
  UserRows r = read_user_rows(f.dataset, h, 0);
  EXPECT_EQ(r.anime, (std::vector<int32_t>{0, 2, 4}));

  RecommendOptions o;
  o.model_path = f.model;
  o.dataset_path = f.dataset;
  o.has_user = true;
  o.user_id = 20;
  std::string out = run_recommend(o);
  EXPECT_NE(out.find("user: 20"), std::string::npos) << out;
  EXPECT_NE(out.find("rank  anime_id  title         score  type   year  genres"), std::string::npos)
      << out;
  EXPECT_NE(out.find("   1        32  Steins;Gate    6.00  TV     2011  Romance, Sci-Fi"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("Clannad    7.00"), std::string::npos) << out;  // seen (test split)
}

TEST(RunRecommendTest, JsonAndCsv) {
  Files f;
  RecommendOptions o;
  o.model_path = f.model;
  o.dataset_path = f.dataset;
  o.similar = "Trigun";
  o.top = 2;
  o.format = "json";
  nlohmann::json j = nlohmann::json::parse(run_recommend(o));
  EXPECT_EQ(j["query"]["similar"], 6);
  EXPECT_EQ(j["query"]["similar_mode"], "cf");
  ASSERT_EQ(j["recommendations"].size(), 2u);
  EXPECT_EQ(j["recommendations"][0]["anime_id"], 1);
  EXPECT_EQ(j["recommendations"][0]["genres"][0], "Action");
  EXPECT_EQ(j["recommendations"][0]["year"], 1998);

  o.format = "csv";
  std::string csv = run_recommend(o);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "rank,anime_id,title,score,type,year,genres");
  EXPECT_NE(csv.find("\n1,1,Cowboy Bebop,0.99,TV,1998,Action\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",\"Romance, Sci-Fi\"\n"), std::string::npos) << csv;
  EXPECT_EQ(csv_field("say \"hi\", twice"), "\"say \"\"hi\"\", twice\"");

  // Without a dataset: no metadata columns.
  o.dataset_path.clear();
  csv = run_recommend(o);
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "rank,anime_id,title,score");
}

TEST(RunRecommendTest, DatasetOfAnotherModelAndNotAModelAreRefused) {
  Files f;
  const std::string other = f.dir.file("other.h5");
  io::write_dataset(planted_dataset({10, 20, 31}), other, false);
  RecommendOptions o;
  o.model_path = f.model;
  o.dataset_path = other;
  o.has_user = true;
  o.user_id = 10;
  std::string msg = error_of([&] { run_recommend(o); });
  EXPECT_NE(msg.find("does not belong to"), std::string::npos) << msg;
  EXPECT_NE(msg.find("users: the model has 3, the dataset 3; first difference at row 2: model id "
                     "30, dataset id 31"),
            std::string::npos)
      << msg;

  o.model_path = f.dataset;  // a dataset is not a model
  o.dataset_path = f.dataset;
  msg = error_of([&] { run_recommend(o); });
  EXPECT_NE(msg.find("not an animerec model"), std::string::npos) << msg;

  o.model_path = f.model;
  o.dataset_path.clear();
  EXPECT_THROW(run_recommend(o), ConfigError);  // --user without --dataset
}

TEST(RecommendCliTest, TableForAUserAndExitCode2ForAnUnknownOne) {
  Files f;
  std::string out;
  int code = testing::run_animerec(
      "recommend --model " + f.model + " --dataset " + f.dataset + " --user 10", &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Trigun"), std::string::npos) << out;
  EXPECT_EQ(out.find("Cowboy Bebop"), std::string::npos) << out;  // seen

  code = testing::run_animerec(
      "recommend --model " + f.plain_model + " --similar 'cowboy bebop' --top 1", &out);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("Trigun"), std::string::npos) << out;

  code = testing::run_animerec(
      "recommend --model " + f.model + " --dataset " + f.dataset + " --user 99", &out);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("unknown user id 99"), std::string::npos) << out;
}

}  // namespace
}  // namespace animerec::serve
