// The ranking part's content prior, popularity term and cold map on planted
// data where watching is driven by genres and by member counts: a cold anime's
// ranking factors from content put it first for its genre's fans, and the
// popularity term or the cold map's member-count features rank a popular cold
// anime above an unpopular one with equal content.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/core/error.h"
#include "animerec/core/hash.h"
#include "animerec/data/bad_rows.h"
#include "animerec/data/prepare.h"
#include "animerec/dist/comm.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/model/scoring.h"
#include "animerec/train/cold_map.h"
#include "animerec/train/options.h"
#include "animerec/train/trainer.h"
#include "test_support.h"

namespace animerec::train {
namespace {

using testing::TempDir;
using testing::write_file;

constexpr int kGenres = 3;
constexpr int kWarmPerGenre = 8;  // the first half popular, the second half niche
constexpr int kFansPerGenre = 40;
constexpr int64_t kPopular = 2000000, kNiche = 500;

// Anime ids: warm anime 100 * (genre + 1) + j; cold anime 1000 + 10 * genre
// (popular) and 1001 + 10 * genre (niche).
int64_t warm_id(int g, int j) { return 100 * (g + 1) + j; }
int64_t cold_id(int g, bool popular) { return 1000 + 10 * g + (popular ? 0 : 1); }

// Fans of genre g watch its popular anime, about half of its niche ones and
// a popular anime of the next genre; the cold anime are rated only in the
// test file, so they have no training interaction.
std::string make_planted_dataset(const TempDir& dir) {
  std::string anime = "anime_id,name,genre,type,episodes,rating,members\n";
  const char* genre_names[kGenres] = {"Action", "Romance", "Horror"};
  for (int g = 0; g < kGenres; ++g) {
    for (int j = 0; j < kWarmPerGenre; ++j) {
      const int64_t members = j < kWarmPerGenre / 2 ? kPopular : kNiche;
      anime +=
          fmt::format("{},W{}-{},{},TV,12,7.5,{}\n", warm_id(g, j), g, j, genre_names[g], members);
    }
    anime += fmt::format("{},Cold popular {},{},TV,12,7.5,{}\n", cold_id(g, true), g,
                         genre_names[g], kPopular - 1000);
    anime += fmt::format("{},Cold niche {},{},TV,12,7.5,{}\n", cold_id(g, false), g, genre_names[g],
                         kNiche + 100);
  }
  std::string train = "user_id,anime_id,rating\n", test = "user_id,anime_id,rating\n";
  for (int g = 0; g < kGenres; ++g) {
    for (int f = 0; f < kFansPerGenre; ++f) {
      const int64_t user = 1 + g * kFansPerGenre + f;
      for (int j = 0; j < kWarmPerGenre; ++j) {
        const bool popular = j < kWarmPerGenre / 2;
        const uint64_t h = hash_combine(7, static_cast<uint64_t>(user), static_cast<uint64_t>(j));
        if (popular || unit_interval(h) < 0.4) {
          train += fmt::format("{},{},{}\n", user, warm_id(g, j), 7 + static_cast<int>(h % 3));
        }
      }
      train += fmt::format("{},{},7\n", user, warm_id((g + 1) % kGenres, f % 4));
      test += fmt::format("{},{},9\n{},{},8\n", user, cold_id(g, true), user, cold_id(g, false));
    }
  }
  write_file(dir.file("anime.csv"), anime);
  write_file(dir.file("train.csv"), train);
  write_file(dir.file("test.csv"), test);
  data::PrepareOptions p;
  p.ratings_path = dir.file("train.csv");
  p.test_ratings_path = dir.file("test.csv");
  p.anime_path = dir.file("anime.csv");
  p.quiet = true;
  data::BadRowLog log(data::BadRowPolicy::kError);
  const std::string path = dir.file("d.h5");
  io::write_dataset(data::prepare_dataset(p, log), path, false);
  return path;
}

TrainOptions planted_options(const std::string& dataset, const std::string& out,
                             bool popularity_in_content) {
  TrainOptions o;
  o.dataset_path = dataset;
  o.out_path = out;
  o.quiet = true;
  o.threads = 1;
  o.als.factors = 4;
  o.als.lambda = 0.1;
  o.iterations = 6;
  o.lambda_content = 1;
  o.ranking_factors = 4;
  o.ranking_alpha = 2;
  o.ranking_lambda = 0.05;
  o.ranking_iterations = 10;
  o.ranking_lambda_content = 10;
  // Only genres (and, when asked, the member buckets) describe an anime here.
  content::ContentOptions& c = o.content;
  c.type_weight = c.source_weight = c.studios_weight = c.episodes_weight = 0;
  c.year_weight = c.season_weight = c.age_rating_weight = c.duration_weight = 0;
  c.community_score_weight = 0;
  c.synopsis_vocabulary = 0;
  c.use_popularity = popularity_in_content;
  return o;
}

int64_t index_of(const std::vector<int64_t>& ids, int64_t id) {
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] == id) return static_cast<int64_t>(i);
  }
  ADD_FAILURE() << "id " << id << " not in the model";
  return 0;
}

// The ranking preference u . y of a user (by external id) for an anime.
float preference(const model::Model& m, int64_t user, int64_t anime) {
  const model::RankingPart& r = *m.ranking;
  return r.user_factors.row(index_of(m.user_ids, user))
      .dot(r.anime_factors.row(index_of(m.anime_ids, anime)));
}

// How many fans' best cold anime (by the ranking preference alone) is one of
// their own genre's two.
int fans_whose_best_cold_anime_is_their_genres(const model::Model& m) {
  int first = 0;
  for (int g = 0; g < kGenres; ++g) {
    for (int f = 0; f < kFansPerGenre; ++f) {
      const int64_t user = 1 + g * kFansPerGenre + f;
      int best_genre = -1;
      float best = 0;
      for (int h = 0; h < kGenres; ++h) {
        for (bool popular : {true, false}) {
          const float p = preference(m, user, cold_id(h, popular));
          if (best_genre < 0 || p > best) {
            best = p;
            best_genre = h;
          }
        }
      }
      first += best_genre == g;
    }
  }
  return first;
}

TEST(RankingPriorTest, ColdAnimeComeFirstForTheirGenresFans) {
  TempDir dir;
  const std::string ds = make_planted_dataset(dir);
  dist::SerialComm comm;
  const TrainOptions o = planted_options(ds, dir.file("m.h5"), true);
  ASSERT_EQ(run_training(o, comm), kExitOk);
  const model::Model m = io::read_model(o.out_path);
  ASSERT_TRUE(m.ranking.has_value());
  ASSERT_TRUE(m.content.has_value());
  ASSERT_EQ(m.ranking->content_w.rows(), static_cast<Eigen::Index>(m.content->n_features()));

  // Each fan's best cold anime (by the ranking preference alone) is one of
  // their genre's two.
  EXPECT_EQ(fans_whose_best_cold_anime_is_their_genres(m), kGenres * kFansPerGenre);

  // The cold anime's ranking factors are the stored map applied to the stored content.
  const model::ContentPart& c = *m.content;
  for (int g = 0; g < kGenres; ++g) {
    const int64_t a = index_of(m.anime_ids, cold_id(g, true));
    Eigen::VectorXf y = Eigen::VectorXf::Zero(m.ranking->factors());
    for (int64_t i = c.offsets[a]; i < c.offsets[a + 1]; ++i) {
      y += c.values[i] * m.ranking->content_w.row(c.cols[i]).transpose();
    }
    EXPECT_LT((y - m.ranking->anime_factors.row(a).transpose()).norm(), 1e-4f * (1 + y.norm()));
  }
}

TEST(RankingPriorTest, WithoutThePriorColdAnimeHaveNoRankingFactors) {
  TempDir dir;
  const std::string ds = make_planted_dataset(dir);
  dist::SerialComm comm;
  TrainOptions o = planted_options(ds, dir.file("m.h5"), true);
  o.ranking_lambda_content = 0;
  ASSERT_EQ(run_training(o, comm), kExitOk);
  const model::Model m = io::read_model(o.out_path);
  EXPECT_EQ(m.ranking->content_w.size(), 0);
  for (int g = 0; g < kGenres; ++g) {
    EXPECT_EQ(m.ranking->anime_factors.row(index_of(m.anime_ids, cold_id(g, true))).norm(), 0);
  }
}

// Content without the member buckets: the two cold anime of a genre have
// equal content, so the prior alone ties them; the popularity term puts the
// popular one above for every fan.
TEST(RankingPriorTest, PopularityTermRanksThePopularColdAnimeAbove) {
  TempDir dir;
  const std::string ds = make_planted_dataset(dir);
  dist::SerialComm comm;
  TrainOptions tie = planted_options(ds, dir.file("tie.h5"), false);
  ASSERT_EQ(run_training(tie, comm), kExitOk);
  TrainOptions pop = planted_options(ds, dir.file("pop.h5"), false);
  pop.ranking_popularity_weight = 1;
  ASSERT_EQ(run_training(pop, comm), kExitOk);
  const model::Model a = io::read_model(tie.out_path);
  const model::Model b = io::read_model(pop.out_path);
  ASSERT_FALSE(a.ranking->popularity.has_value());
  ASSERT_TRUE(b.ranking->popularity.has_value());
  int ties = 0, above = 0;
  for (int g = 0; g < kGenres; ++g) {
    for (int f = 0; f < kFansPerGenre; ++f) {
      const int64_t user = 1 + g * kFansPerGenre + f;
      ties += preference(a, user, cold_id(g, true)) == preference(a, user, cold_id(g, false));
      above += preference(b, user, cold_id(g, true)) > preference(b, user, cold_id(g, false));
    }
  }
  EXPECT_EQ(ties, kGenres * kFansPerGenre);
  EXPECT_EQ(above, kGenres * kFansPerGenre);
  // Warm anime keep their fitted factors: the term moves cold rows only.
  for (int g = 0; g < kGenres; ++g) {
    const int64_t w = index_of(a.anime_ids, warm_id(g, 0));
    EXPECT_EQ(a.ranking->anime_factors.row(w), b.ranking->anime_factors.row(w));
  }
}

// The cold map (--ranking-cold-ridge) without the prior inside the fit: the
// cold anime's ranking factors come from the refit map alone and still put
// each cold anime first for its genre's fans.
TEST(RankingPriorTest, ColdMapPutsColdAnimeFirstForTheirGenresFans) {
  TempDir dir;
  const std::string ds = make_planted_dataset(dir);
  dist::SerialComm comm;
  TrainOptions plain = planted_options(ds, dir.file("plain.h5"), false);
  plain.ranking_lambda_content = 0;
  ASSERT_EQ(run_training(plain, comm), kExitOk);
  TrainOptions o = plain;
  o.out_path = dir.file("m.h5");
  o.ranking_cold_ridge = 0.1;
  o.ranking_cold_popularity_exponent = 0.5;
  ASSERT_EQ(run_training(o, comm), kExitOk);
  const model::Model a = io::read_model(plain.out_path);
  const model::Model m = io::read_model(o.out_path);
  ASSERT_FALSE(a.ranking->cold_map.has_value());
  ASSERT_TRUE(m.ranking->cold_map.has_value());
  ASSERT_EQ(m.ranking->cold_map->w.rows(), static_cast<Eigen::Index>(m.content->n_features() + 3));
  EXPECT_EQ(fans_whose_best_cold_anime_is_their_genres(m), kGenres * kFansPerGenre);
  // Only cold anime are flagged and moved; they hold the stored map's factors.
  const model::ContentPart& c = *m.content;
  for (int g = 0; g < kGenres; ++g) {
    const int64_t w = index_of(m.anime_ids, warm_id(g, 0));
    EXPECT_EQ(m.ranking->cold[static_cast<size_t>(w)], 0);
    EXPECT_EQ(a.ranking->anime_factors.row(w), m.ranking->anime_factors.row(w));
    for (bool popular : {true, false}) {
      const int64_t i = index_of(m.anime_ids, cold_id(g, popular));
      EXPECT_EQ(m.ranking->cold[static_cast<size_t>(i)], 1);
      const auto n = static_cast<size_t>(c.offsets[i + 1] - c.offsets[i]);
      const Eigen::VectorXf y =
          m.ranking->cold_map->factors(std::span<const int32_t>(c.cols.data() + c.offsets[i], n),
                                       std::span<const float>(c.values.data() + c.offsets[i], n),
                                       popular ? kPopular - 1000 : kNiche + 100);
      EXPECT_EQ(y, m.ranking->anime_factors.row(i).transpose());
    }
  }
}

// Content without the member buckets, so a genre's two cold anime have equal
// content: the cold map's log-member features rank the popular one above for
// every fan, in the ranking score the model serves (scored with the cold
// blend, 0 here: the ranking preference alone).
TEST(RankingPriorTest, ColdMapRanksThePopularColdAnimeAbove) {
  TempDir dir;
  const std::string ds = make_planted_dataset(dir);
  dist::SerialComm comm;
  TrainOptions o = planted_options(ds, dir.file("m.h5"), false);
  o.ranking_lambda_content = 0;
  o.ranking_cold_ridge = 0.1;
  o.ranking_blend = 0.5;
  ASSERT_EQ(run_training(o, comm), kExitOk);
  const model::Model m = io::read_model(o.out_path);
  ASSERT_TRUE(m.ranking->cold_map.has_value());
  EXPECT_EQ(m.ranking->cold_map->blend, 0);
  std::vector<int32_t> users;
  for (int32_t u = 0; u < static_cast<int32_t>(m.n_users()); ++u) users.push_back(u);
  const model::UserVectors uv = model::model_users(m, users);
  const model::ScoreMatrix predicted = model::predicted_scores(m, uv);
  const model::ScoreMatrix ranked = model::ranking_scores(m, uv, predicted);
  int above = 0, blended = 0;
  for (int g = 0; g < kGenres; ++g) {
    const int64_t p = index_of(m.anime_ids, cold_id(g, true));
    const int64_t n = index_of(m.anime_ids, cold_id(g, false));
    const int64_t w = index_of(m.anime_ids, warm_id(g, 0));
    for (int f = 0; f < kFansPerGenre; ++f) {
      const int64_t user = 1 + g * kFansPerGenre + f;
      const int64_t u = index_of(m.user_ids, user);
      above += ranked(u, p) > ranked(u, n);
      EXPECT_NEAR(ranked(u, p), preference(m, user, cold_id(g, true)), 1e-5f);
      // Warm anime keep the ranking part's blend.
      const float warm_score =
          preference(m, user, warm_id(g, 0)) + 0.5f * (predicted(u, w) - m.global_mean);
      EXPECT_NEAR(ranked(u, w), warm_score, 1e-4f);
      blended += std::abs(predicted(u, w) - m.global_mean) > 1e-3f;
    }
  }
  EXPECT_EQ(above, kGenres * kFansPerGenre);
  EXPECT_EQ(blended, kGenres * kFansPerGenre);
}

// Without member counts (a layout that has none) the cold map is content
// alone: its z rows are 0 and a cold anime's factors are its genre's mean.
TEST(RankingPriorTest, ColdMapWithoutMemberCountsUsesContentAlone) {
  content::ContentMatrix x;
  x.n_features = 2;
  x.offsets = {0, 1, 2, 3, 4, 5};
  x.cols = {0, 0, 1, 1, 0};
  x.values = {1, 1, 1, 1, 1};
  als::FactorMatrix y(5, 2);
  y << 1, 0, 3, 0, 0, 2, 0, 4, 9, 9;  // the last anime is cold: its row is replaced
  const std::vector<uint8_t> warm = {1, 1, 1, 1, 0};
  ColdMapOptions o;
  o.ridge = 1e-9;
  o.popularity_exponent = 0.5;
  bool used = true;
  const std::vector<int64_t> unknown(5, -1);
  const model::ColdMap map = fit_cold_map(x, unknown, warm, y, o, &used);
  EXPECT_FALSE(used);
  EXPECT_EQ(map.w.row(2).norm(), 0.0f);  // z
  EXPECT_EQ(map.w.row(3).norm(), 0.0f);  // z^2
  set_cold_factors(map, x, unknown, warm, y);
  EXPECT_NEAR(y(4, 0), 2.0f, 1e-4f);  // the mean of genre 0's warm anime
  EXPECT_NEAR(y(4, 1), 0.0f, 1e-4f);
  // With counts that differ, the member terms are fitted.
  const model::ColdMap with = fit_cold_map(x, {10, 1000, 10, 1000, 100}, warm, y, o, &used);
  EXPECT_TRUE(used);
  EXPECT_GT(with.w.row(2).norm(), 0.1f);
}

TEST(RankingPriorTest, OptionsNeedTheHybridPartAndARankingPart) {
  auto refused = [](const std::vector<std::string>& args, const std::string& needle) {
    std::vector<std::string> all = {"--dataset", "d.h5", "--out", "m.h5"};
    all.insert(all.end(), args.begin(), args.end());
    try {
      train_options(config::parse_command("train", all).params, "");
      ADD_FAILURE() << "expected a ConfigError for " << needle;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  refused({"--ranking-factors", "4", "--ranking-lambda-content", "3"},
          "--ranking-lambda-content 3 needs --lambda-content > 0");
  refused({"--lambda-content", "1", "--ranking-lambda-content", "3"},
          "--ranking-lambda-content 3 needs a ranking part");
  refused({"--lambda-content", "1", "--ranking-factors", "4", "--ranking-popularity-weight", "2"},
          "--ranking-popularity-weight 2 needs --ranking-lambda-content > 0");
  refused({"--ranking-factors", "4", "--ranking-cold-ridge", "1"},
          "--ranking-cold-ridge 1 needs --lambda-content > 0");
  refused({"--lambda-content", "1", "--ranking-cold-ridge", "1"},
          "--ranking-cold-ridge 1 needs a ranking part");
  refused({"--lambda-content", "1", "--ranking-factors", "4", "--ranking-lambda-content", "1",
           "--ranking-popularity-weight", "1", "--ranking-cold-ridge", "1"},
          "use one");
}

}  // namespace
}  // namespace animerec::train
