// recommend --new-anime (serve/new_anime.h) on a model the trainer really
// produced from a synthetic dataset with cold anime: a metadata row of a cold
// anime given under a fresh id gets exactly the cold path's content vector,
// factors and users; bad files and option combinations are refused clearly.

#include "animerec/serve/new_anime.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/dist/comm.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/serve/cowatch.h"
#include "animerec/serve/recommend.h"
#include "animerec/train/trainer.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::serve {
namespace {

using testing::TempDir;

// One trained hybrid model with a ranking part and cold anime, shared by the
// tests (training is the slow part).
struct Trained {
  TempDir dir;
  std::string dataset, model_path, metadata;
  model::Model m;
  data::Dataset d;
  int32_t cold = -1;  // a cold anime with content features
  int64_t fresh_id = 0;
};

// How the ranking part places cold anime: not at all, by the content prior
// with the popularity term, or by the cold map.
enum class ColdRanking { kNone, kPriorAndPopularity, kColdMap };

std::unique_ptr<Trained> train_model(ColdRanking cold_ranking) {
  {
    auto t = std::make_unique<Trained>();
    data::SynthOptions s;
    s.users = 200;
    s.anime = 80;
    s.ratings = 6000;
    s.seed = 5;
    data::PrepareOptions p;
    p.cold_anime_fraction = 0.2;
    t->dataset = testing::synthetic_dataset(t->dir, s, p);
    t->metadata = t->dir.file("s/anime-dataset-2023.csv");
    train::TrainOptions o;
    o.dataset_path = t->dataset;
    o.out_path = t->dir.file("m.h5");
    o.als.factors = 4;
    o.iterations = 3;
    o.ranking_factors = 3;
    o.quiet = true;
    o.lambda_content = 1.0;
    if (cold_ranking == ColdRanking::kPriorAndPopularity) {
      o.ranking_lambda_content = 1.0;
      o.ranking_popularity_weight = 2.0;
    } else if (cold_ranking == ColdRanking::kColdMap) {
      o.ranking_cold_ridge = 1.0;
      o.ranking_cold_popularity_exponent = 0.5;
      o.ranking_cold_blend = 0.05;
    }
    dist::SerialComm comm;
    if (train::run_training(o, comm) != kExitOk) return t;
    t->model_path = o.out_path;
    t->m = io::read_model(o.out_path);
    t->d = io::read_dataset(t->dataset);
    for (size_t a = 0; a < t->d.n_anime() && t->cold < 0; ++a) {
      if (t->d.cold_anime[a] && !model_content_row(t->m, static_cast<int32_t>(a)).empty())
        t->cold = static_cast<int32_t>(a);
    }
    t->fresh_id = t->m.anime_ids.back() + 1000;
    return t;
  }
}

const Trained& trained() {
  static const std::unique_ptr<Trained> t = train_model(ColdRanking::kNone);
  return *t;
}

// The header and the row of anime `id` of the synthetic metadata file.
std::pair<std::string, std::string> header_and_row(const std::string& path, int64_t id) {
  std::ifstream in(path);
  std::string header, line;
  std::getline(in, header);
  const std::string prefix = std::to_string(id) + ",";
  while (std::getline(in, line))
    if (line.rfind(prefix, 0) == 0) return {header, line};
  return {header, ""};
}

// A metadata file holding the cold anime's row twice: under its own id and
// under an id the model does not have.
std::string cold_rows_file(const Trained& t, const TempDir& dir) {
  const int64_t id = t.m.anime_ids[static_cast<size_t>(t.cold)];
  const auto [header, row] = header_and_row(t.metadata, id);
  EXPECT_FALSE(row.empty());
  const std::string fresh = std::to_string(t.fresh_id) + row.substr(std::to_string(id).size());
  const std::string path = dir.file("new.csv");
  testing::write_file(path, header + "\n" + row + "\n" + fresh + "\n");
  return path;
}

std::vector<int32_t> users_of(const std::vector<ScoredUser>& l) {
  std::vector<int32_t> out;
  for (const ScoredUser& u : l) out.push_back(u.user);
  return out;
}

TEST(NewAnimeTest, ColdAnimeRowUnderAFreshIdEqualsTheColdPath) {
  const Trained& t = trained();
  ASSERT_FALSE(t.model_path.empty());
  ASSERT_GE(t.cold, 0);
  ASSERT_TRUE(t.m.ranking.has_value());
  TempDir dir;
  std::vector<std::string> notes;
  const std::vector<NewAnime> all = read_new_anime(t.m, cold_rows_file(t, dir), &notes);
  ASSERT_EQ(all.size(), 2u);
  const NewAnime& cold = all[0];  // ascending ids: the model's id first
  const NewAnime& fresh = all[1];
  EXPECT_EQ(cold.model_row, t.cold);
  EXPECT_EQ(fresh.model_row, -1);
  EXPECT_EQ(fresh.id, t.fresh_id);
  // The model's own anime is used, with a note; any other note is about
  // names outside the vocabulary (a cold anime's studio never shaped it).
  ASSERT_GE(notes.size(), 1u);
  EXPECT_NE(notes[0].find("already in the model"), std::string::npos) << notes[0];
  for (size_t i = 1; i < notes.size(); ++i)
    EXPECT_NE(notes[i].find("not in the model's content vocabulary"), std::string::npos)
        << notes[i];

  // The content vector training built for the cold anime, bit for bit.
  EXPECT_EQ(fresh.content.cols, cold.content.cols);
  EXPECT_EQ(fresh.content.values, cold.content.values);
  // Its factors: training predicted them from the map in double, the model
  // stores the map in float.
  ASSERT_EQ(fresh.factors.size(), cold.factors.size());
  for (Eigen::Index i = 0; i < fresh.factors.size(); ++i)
    EXPECT_NEAR(fresh.factors[i], cold.factors[i], 1e-5) << i;
  EXPECT_NEAR(fresh.bias, cold.bias, 1e-5);
  ASSERT_EQ(fresh.ranking.size(), cold.ranking.size());
  EXPECT_TRUE(fresh.ranking.isApprox(cold.ranking, 1e-5) || fresh.ranking.isZero(0));

  // The same users in the same order (the cold anime's held-out watchers aside).
  const int n = static_cast<int>(t.m.n_users());
  std::vector<uint8_t> watched(t.m.n_users(), 0);
  for (int64_t i = t.d.anime_offsets[static_cast<size_t>(t.cold)];
       i < t.d.anime_offsets[static_cast<size_t>(t.cold) + 1]; ++i)
    watched[static_cast<size_t>(t.d.by_anime.user[static_cast<size_t>(i)])] = 1;
  EXPECT_EQ(users_of(top_users(t.m, fresh, watched, 20)),
            users_of(top_users(t.m, cold, watched, 20)));

  // Through the command: the cold anime's list skips its watchers, the
  // fresh one's does not.
  RecommendOptions o;
  o.model_path = t.model_path;
  o.dataset_path = t.dataset;
  o.new_anime = cold_rows_file(t, dir);
  o.has_top_users = true;
  o.top_users = n;
  o.format = "json";
  const nlohmann::json j = nlohmann::json::parse(run_recommend(o));
  ASSERT_EQ(j["new_anime"].size(), 2u);
  std::vector<int64_t> cold_ids, fresh_unwatched;
  for (const auto& u : j["new_anime"][0]["users"]) cold_ids.push_back(u["user_id"]);
  for (const auto& u : j["new_anime"][1]["users"]) {
    const int32_t row = find_user(t.m, u["user_id"].get<int64_t>());
    if (!watched[static_cast<size_t>(row)]) fresh_unwatched.push_back(u["user_id"]);
  }
  EXPECT_EQ(j["new_anime"][1]["users"].size(), t.m.n_users());
  EXPECT_EQ(cold_ids, fresh_unwatched);
}

// With a ranking prior (RankingPart::content_w), a cold anime's ranking
// factors come from content on both paths, and cowatch lists by them.
// With the ranking prior and its popularity term trained in, a new anime
// gets the ranking factors the trainer gave the same anime when it was cold:
// W_r^T x plus the member-count offset.
TEST(NewAnimeTest, NewAnimeRankingFactorsEqualTheTrainedColdPathWithPopularity) {
  const std::unique_ptr<Trained> t = train_model(ColdRanking::kPriorAndPopularity);
  ASSERT_FALSE(t->model_path.empty());
  ASSERT_GE(t->cold, 0);
  ASSERT_TRUE(t->m.ranking.has_value());
  ASSERT_TRUE(t->m.ranking->popularity.has_value());
  TempDir dir;
  const std::vector<NewAnime> all = read_new_anime(t->m, cold_rows_file(*t, dir));
  ASSERT_EQ(all.size(), 2u);
  const Eigen::VectorXd stored =
      t->m.ranking->anime_factors.row(t->cold).cast<double>().transpose();
  ASSERT_FALSE(stored.isZero(0));
  const NewAnime& fresh = all[1];
  ASSERT_EQ(fresh.model_row, -1);
  EXPECT_TRUE(fresh.ranking.isApprox(stored, 1e-5)) << fresh.ranking.transpose() << "\n"
                                                    << stored.transpose();
  // Without the offset it would be W_r^T x alone, which is not what training stored.
  const Eigen::VectorXd content_only =
      factors_from_content(t->m.ranking->content_w, model_content_row(t->m, t->cold));
  EXPECT_FALSE(content_only.isApprox(stored, 1e-5));
}

// With the cold map, a new anime gets the cold map's factors for its content
// and member count, bit for bit what training gave the same anime when it was
// cold, and the same users in the same order (ranked with the cold blend).
TEST(NewAnimeTest, NewAnimeRankingFactorsEqualTheTrainedColdPathWithTheColdMap) {
  const std::unique_ptr<Trained> t = train_model(ColdRanking::kColdMap);
  ASSERT_FALSE(t->model_path.empty());
  ASSERT_GE(t->cold, 0);
  ASSERT_TRUE(t->m.ranking->cold_map.has_value());
  ASSERT_EQ(t->m.ranking->cold[static_cast<size_t>(t->cold)], 1);
  TempDir dir;
  const std::vector<NewAnime> all = read_new_anime(t->m, cold_rows_file(*t, dir));
  ASSERT_EQ(all.size(), 2u);
  const Eigen::VectorXd stored =
      t->m.ranking->anime_factors.row(t->cold).cast<double>().transpose();
  ASSERT_FALSE(stored.isZero(0));
  const NewAnime& fresh = all[1];
  ASSERT_EQ(fresh.model_row, -1);
  EXPECT_EQ(fresh.ranking, stored);
  EXPECT_EQ(all[0].ranking, stored);
  EXPECT_EQ(users_of(top_users(t->m, all[0], {}, 30)), users_of(top_users(t->m, fresh, {}, 30)));
}

TEST(NewAnimeTest, RankingFactorsFromTheRankingPrior) {
  const Trained& t = trained();
  ASSERT_GE(t.cold, 0);
  model::Model m = t.m;
  const auto f = static_cast<Eigen::Index>(m.content->n_features());
  m.ranking->content_w = als::FactorMatrix::Zero(f, m.ranking->factors());
  for (Eigen::Index r = 0; r < f; ++r)
    for (int c = 0; c < m.ranking->factors(); ++c)
      m.ranking->content_w(r, c) = static_cast<float>(((r * 7 + c * 3) % 11) - 5) / 10.0f;
  m.ranking->anime_factors.row(t.cold).setZero();  // a cold anime: nobody to fit it to
  TempDir dir;
  const std::vector<NewAnime> all = read_new_anime(m, cold_rows_file(t, dir));
  ASSERT_EQ(all.size(), 2u);
  const Eigen::VectorXd expected =
      factors_from_content(m.ranking->content_w, model_content_row(m, t.cold));
  ASSERT_FALSE(expected.isZero(0));
  EXPECT_TRUE(all[0].ranking.isApprox(expected));
  EXPECT_TRUE(all[1].ranking.isApprox(expected));
  EXPECT_EQ(users_of(top_users(m, all[0], {}, 30)), users_of(top_users(m, all[1], {}, 30)));

  const CoWatch cw(m);
  EXPECT_FALSE(cowatch_falls_back(m, t.cold));
  const std::vector<Scored> model_path = similar_anime(m, t.cold, SimilarMode::kCowatch, 0.5, 10);
  std::vector<uint8_t> self(m.n_anime(), 0);
  self[static_cast<size_t>(t.cold)] = 1;
  const std::vector<Scored> from_content = cowatch_list(cw, expected, self, 10);
  ASSERT_EQ(model_path.size(), 10u);
  ASSERT_EQ(from_content.size(), 10u);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(model_path[i].anime, from_content[i].anime) << i;
  // The new anime's list is the cold anime's, plus the cold anime itself.
  const std::vector<Scored> fresh = similar_to_new(m, all[1], SimilarMode::kCowatch, 0.5, 11, {});
  std::vector<int32_t> fresh_rows;
  for (const Scored& s : fresh)
    if (s.anime != t.cold) fresh_rows.push_back(s.anime);
  fresh_rows.resize(10);
  for (size_t i = 0; i < 10; ++i) EXPECT_EQ(fresh_rows[i], model_path[i].anime) << i;
}

// Without a ranking prior a cold anime has no ranking factors: cowatch
// lists it by content, as --similar-mode content does, and says so.
TEST(NewAnimeTest, CowatchFallsBackToContentWithoutFactors) {
  const Trained& t = trained();
  ASSERT_GE(t.cold, 0);
  model::Model m = t.m;
  m.ranking->content_w.resize(0, 0);
  m.ranking->anime_factors.row(t.cold).setZero();
  EXPECT_TRUE(cowatch_falls_back(m, t.cold));
  const std::vector<Scored> cw = similar_anime(m, t.cold, SimilarMode::kCowatch, 0.5, 8);
  const std::vector<Scored> content = similar_anime(m, t.cold, SimilarMode::kContent, 0.5, 8);
  ASSERT_EQ(cw.size(), content.size());
  for (size_t i = 0; i < cw.size(); ++i) EXPECT_EQ(cw[i].anime, content[i].anime) << i;
}

TEST(NewAnimeTest, UnknownGenresAreIgnoredWithANote) {
  const Trained& t = trained();
  ASSERT_GE(t.cold, 0);
  data::AnimeRecord r;
  r.title = "Brand new";
  r.genres = {"Action", "Underwater Basket Weaving"};
  r.studios = {"A Studio Nobody Knows"};
  std::vector<std::string> unknown;
  const ContentRow x = content_of_record(t.m, r, &unknown);
  EXPECT_FALSE(x.empty());
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_NE(unknown[0].find("Underwater Basket Weaving"), std::string::npos) << unknown[0];
  EXPECT_NE(unknown[1].find("A Studio Nobody Knows"), std::string::npos) << unknown[1];
  // The unknown genre adds nothing: the row equals the one without it.
  data::AnimeRecord known = r;
  known.genres = {"Action"};
  const ContentRow y = content_of_record(t.m, known);
  EXPECT_EQ(x.cols, y.cols);
  EXPECT_EQ(x.values, y.values);
}

// The exit code and output of `animerec recommend ARGS`.
int recommend(const Trained& t, const std::string& args, std::string* out) {
  return testing::run_animerec(
      "recommend --model '" + t.model_path + "' --dataset '" + t.dataset + "' " + args, out);
}

TEST(NewAnimeTest, BadFilesAreRefusedNamingTheFile) {
  const Trained& t = trained();
  ASSERT_FALSE(t.model_path.empty());
  TempDir dir;
  const auto [header, row] = header_and_row(t.metadata, t.m.anime_ids[0]);
  std::string out;

  const std::string empty = dir.file("empty.csv");
  testing::write_file(empty, header + "\n");
  EXPECT_EQ(recommend(t, "--new-anime '" + empty + "' --top-users 3", &out), 2) << out;
  EXPECT_NE(out.find(empty), std::string::npos) << out;
  EXPECT_NE(out.find("no anime rows"), std::string::npos) << out;

  const std::string odd = dir.file("odd.csv");
  testing::write_file(odd, "colour,shape\nred,round\n");
  EXPECT_EQ(recommend(t, "--new-anime '" + odd + "' --top-users 3", &out), 2) << out;
  EXPECT_NE(out.find(odd), std::string::npos) << out;

  const std::string missing = dir.file("missing.csv");
  EXPECT_EQ(recommend(t, "--new-anime '" + missing + "' --top-users 3", &out), 2) << out;
  EXPECT_NE(out.find(missing), std::string::npos) << out;

  // An id the model has: its own anime is used, with a note, not an error.
  const std::string known = dir.file("known.csv");
  testing::write_file(known, header + "\n" + row + "\n");
  EXPECT_EQ(recommend(t, "--new-anime '" + known + "' --top-users 3", &out), 0) << out;
  EXPECT_NE(out.find("already in the model"), std::string::npos) << out;
}

TEST(NewAnimeTest, OptionsWithoutTheirPartnerAreRefused) {
  const Trained& t = trained();
  ASSERT_FALSE(t.model_path.empty());
  TempDir dir;
  const std::string file = cold_rows_file(t, dir);
  std::string out;
  EXPECT_EQ(recommend(t, "--similar 1 --top-users 3", &out), 2) << out;
  EXPECT_NE(out.find("--top-users lists the users for a new anime"), std::string::npos) << out;
  EXPECT_EQ(recommend(t, "--new-anime '" + file + "'", &out), 2) << out;
  EXPECT_NE(out.find("exactly one of --top-users N"), std::string::npos) << out;
  EXPECT_EQ(recommend(t, "--new-anime '" + file + "' --top-users 3 --similar 1", &out), 2) << out;
  EXPECT_EQ(recommend(t, "--new-anime '" + file + "' --top-users 3 --user 1", &out), 2) << out;
  EXPECT_EQ(recommend(t, "--new-anime '" + file + "' --top-users 3 --explain", &out), 2) << out;
  EXPECT_NE(out.find("drop --explain"), std::string::npos) << out;
  EXPECT_EQ(testing::run_animerec(
                "recommend --model '" + t.model_path + "' --new-anime '" + file + "' --top-users 3",
                &out),
            2)
      << out;
  EXPECT_NE(out.find("--new-anime needs --dataset"), std::string::npos) << out;
  // --similar names an anime of the file.
  EXPECT_EQ(recommend(t, "--new-anime '" + file + "' --similar 'no such anime'", &out), 2) << out;
  EXPECT_NE(out.find(std::to_string(t.fresh_id)), std::string::npos) << out;
  EXPECT_EQ(recommend(t,
                      "--new-anime '" + file + "' --similar " + std::to_string(t.fresh_id) +
                          " --top 4 --format csv",
                      &out),
            0)
      << out;
}

// A new anime's content row is built with the options the model was trained
// with: every ContentOptions field is read back from the stored parameters.
TEST(NewAnimeTest, ContentOptionsComeFromTheModelsStoredParameters) {
  model::Model m;
  float weight = 0.125f;
  for (const auto& w : content::kContentWeightParams) {
    m.config[w.param] = std::to_string(weight);
    weight += 0.25f;
  }
  int32_t integer = 3;
  for (const auto& i : content::kContentIntegerParams)
    m.config[i.param] = std::to_string(integer++);
  for (const auto& f : content::kContentFlagParams) m.config[f.param] = "true";

  const content::ContentOptions o = content_options_of(m);
  weight = 0.125f;
  for (const auto& w : content::kContentWeightParams) {
    EXPECT_EQ(o.*w.field, weight) << w.param;
    weight += 0.25f;
  }
  integer = 3;
  for (const auto& i : content::kContentIntegerParams) EXPECT_EQ(o.*i.field, integer++) << i.param;
  for (const auto& f : content::kContentFlagParams) EXPECT_TRUE(o.*f.field) << f.param;

  // A model that stored none of them gets train's defaults.
  const content::ContentOptions defaults = content_options_of(model::Model{});
  EXPECT_EQ(defaults.genres_weight, content::ContentOptions{}.genres_weight);
  EXPECT_EQ(defaults.top_studios, content::ContentOptions{}.top_studios);
  EXPECT_FALSE(defaults.use_popularity);
}

}  // namespace
}  // namespace animerec::serve
