#include "animerec/data/prepare.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <set>

#include "animerec/core/error.h"
#include "animerec/data/export.h"
#include "test_support.h"

namespace animerec::data {
namespace {

using testing::TempDir;
using testing::write_file;

Dataset prepare(PrepareOptions o) {
  o.quiet = true;
  BadRowLog log(o.on_bad_row);
  Dataset d = prepare_dataset(o, log);
  validate(d, "prepared");
  return d;
}

TEST(PrepareTest, IdsAreAscendingAndBothOrientationsAgree) {
  TempDir dir;
  write_file(dir.file("r.csv"), "user_id,anime_id,rating\n50,7,8\n3,9,-1\n3,7,10\n50,2,5\n");
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.test_fraction = 0;
  Dataset d = prepare(o);
  EXPECT_EQ(d.user_ids, (std::vector<int64_t>{3, 50}));
  EXPECT_EQ(d.anime_ids, (std::vector<int64_t>{2, 7, 9}));
  EXPECT_EQ(d.by_user.anime, (std::vector<int32_t>{1, 2, 0, 1}));
  EXPECT_EQ(d.by_user.score, (std::vector<float>{10, 0, 5, 8}));
  EXPECT_EQ(d.by_anime.user, (std::vector<int32_t>{1, 0, 1, 0}));
  EXPECT_EQ(d.anime_offsets, (std::vector<int64_t>{0, 1, 3, 4}));
  EXPECT_EQ(d.provenance.counts.at("scored_rows"), 3);
  EXPECT_EQ(d.provenance.counts.at("unscored_rows"), 1);
}

TEST(PrepareTest, DuplicatesKeepTheLastRow) {
  TempDir dir;
  write_file(dir.file("r.csv"), "user_id,anime_id,rating\n1,7,8\n1,8,3\n1,7,2\n");
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.test_fraction = 0;
  Dataset d = prepare(o);
  EXPECT_EQ(d.n_ratings(), 2u);
  EXPECT_EQ(d.by_user.score[0], 2);
  EXPECT_EQ(d.provenance.counts.at("duplicates_dropped"), 1);
}

TEST(PrepareTest, MinFiltersRepeatUntilStable) {
  // User 3 has 2 ratings; anime 30 is rated by users 1 and 3 only. With
  // min-user 3: user 3 goes, then anime 30 has 1 rating < 2 and goes, which
  // leaves user 1 with 2 ratings < 3: it goes too (a third round).
  TempDir dir;
  write_file(dir.file("r.csv"),
             "user_id,anime_id,rating\n"
             "1,10,5\n1,20,5\n1,30,5\n"
             "2,10,5\n2,20,5\n2,40,5\n"
             "3,30,5\n3,40,5\n"
             "4,10,5\n4,20,5\n4,40,5\n");
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.test_fraction = 0;
  o.min_user_ratings = 3;
  o.min_anime_ratings = 2;
  Dataset d = prepare(o);
  EXPECT_EQ(d.user_ids, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(d.anime_ids, (std::vector<int64_t>{10, 20, 40}));
  EXPECT_EQ(d.provenance.counts.at("filter_dropped_rows"), 5);
  EXPECT_EQ(d.provenance.counts.at("filter_rounds"), 3);
  EXPECT_EQ(d.provenance.counts.at("filter_dropped_users"), 2);
}

TEST(PrepareTest, HoldoutSizes) {
  EXPECT_EQ(holdout_sizes(10, 0.2, 0.1, 5).test, 2);
  EXPECT_EQ(holdout_sizes(10, 0.2, 0.1, 5).validation, 1);
  EXPECT_EQ(holdout_sizes(4, 0.2, 0.1, 5).test, 0);  // too few: stays whole
  SplitCounts tiny = holdout_sizes(2, 0.6, 0.4, 2);  // always one left to train
  EXPECT_EQ(tiny.test + tiny.validation, 1);
}

std::string many_users_file() {
  std::string s = "user_id,anime_id,rating\n";
  for (int u = 1; u <= 40; ++u) {
    for (int a = 1; a <= 25; ++a) {
      s += std::to_string(u) + "," + std::to_string(a * 3) + "," +
           std::to_string(1 + (u * a) % 10) + "\n";
    }
    s += std::to_string(u) + ",999," + "-1\n";
  }
  s += "41,3,7\n41,6,8\n";  // a user below min-ratings-to-split
  return s;
}

TEST(PrepareTest, PerUserSplitIsSeededAndLeavesSmallUsersWhole) {
  TempDir dir;
  write_file(dir.file("r.csv"), many_users_file());
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.test_fraction = 0.2;
  o.validation_fraction = 0.12;
  Dataset a = prepare(o);
  for (size_t u = 0; u < 40; ++u) {
    int test = 0, val = 0;
    for (auto i = a.user_offsets[u]; i < a.user_offsets[u + 1]; ++i) {
      test += a.by_user.split[i] == static_cast<uint8_t>(Split::kTest);
      val += a.by_user.split[i] == static_cast<uint8_t>(Split::kValidation);
      if (a.by_user.score[i] == 0) {
        EXPECT_EQ(a.by_user.split[i], 0) << "unscored rows stay in train";
      }
    }
    EXPECT_EQ(test, 5);
    EXPECT_EQ(val, 3);
  }
  for (auto i = a.user_offsets[40]; i < a.user_offsets[41]; ++i) EXPECT_EQ(a.by_user.split[i], 0);

  Dataset same = prepare(o);
  EXPECT_EQ(a.by_user.split, same.by_user.split);
  o.seed = 7;
  Dataset other = prepare(o);
  EXPECT_NE(a.by_user.split, other.by_user.split);
}

TEST(PrepareTest, ColdAnimeMoveWholeToTest) {
  TempDir dir;
  write_file(dir.file("r.csv"), many_users_file());
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.cold_anime_fraction = 0.2;
  Dataset d = prepare(o);
  size_t cold = 0;
  for (size_t a = 0; a < d.n_anime(); ++a) {
    if (!d.cold_anime[a]) continue;
    ++cold;
    for (auto i = d.anime_offsets[a]; i < d.anime_offsets[a + 1]; ++i) {
      EXPECT_EQ(d.by_anime.split[i], static_cast<uint8_t>(Split::kTest));
    }
  }
  EXPECT_EQ(cold, 5u);  // 20% of 26 anime, rounded
}

TEST(PrepareTest, PredefinedTestFile) {
  TempDir dir;
  write_file(dir.file("u1.base"), "1\t10\t5\t0\n1\t20\t3\t0\n2\t10\t4\t0\n");
  write_file(dir.file("u1.test"), "1\t30\t2\t0\n2\t20\t1\t0\n");
  PrepareOptions o;
  o.ratings_path = dir.file("u1.base");
  o.test_ratings_path = dir.file("u1.test");
  o.min_ratings_to_split = 2;
  Dataset d = prepare(o);
  EXPECT_EQ(d.n_ratings(), 5u);
  EXPECT_EQ(d.score_max, 5);
  EXPECT_EQ(d.provenance.counts.at("split_test_rows"), 2);
  EXPECT_EQ(d.provenance.counts.at("split_train_rows"), 3);
  EXPECT_EQ(d.provenance.inputs.size(), 2u);
  EXPECT_EQ(d.provenance.inputs[0].layout, "movielens-udata");
}

// The same file as --ratings and --test-ratings put every row in test and
// exited 0 with a dataset nothing can be trained on.
TEST(PrepareTest, EmptyTrainingSplitIsAnError) {
  TempDir dir;
  write_file(dir.file("r.csv"), "user_id,anime_id,rating\n1,5,9\n1,6,8\n2,5,7\n2,6,3\n");
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.test_ratings_path = dir.file("r.csv");
  try {
    prepare(o);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "the training split is empty (all 4 rows are test or validation rows): "
              "--test-ratings " +
                  dir.file("r.csv") +
                  " repeats 4 (user, anime) pair(s) of "
                  "--ratings " +
                  dir.file("r.csv") +
                  " and a pair in both files is a test row: give "
                  "it only the held-out rows");
  }
  o.test_ratings_path.clear();
  o.cold_anime_fraction = 1;
  EXPECT_THROW(prepare(o), ConfigError);
}

TEST(PrepareTest, OverlapOfTheTestFileIsCounted) {
  TempDir dir;
  write_file(dir.file("r.csv"), "user_id,anime_id,rating\n1,5,9\n1,6,8\n2,5,7\n");
  write_file(dir.file("t.csv"), "user_id,anime_id,rating\n1,6,2\n2,7,4\n");
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.test_ratings_path = dir.file("t.csv");
  ::testing::internal::CaptureStderr();
  Dataset d = prepare(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.provenance.counts.at("test_pairs_also_in_ratings"), 1);
  EXPECT_EQ(d.provenance.counts.at("split_test_rows"), 2);
  EXPECT_EQ(d.provenance.counts.at("split_train_rows"), 2);
  EXPECT_NE(err.find("warning: 1 (user, anime) pair(s) of --test-ratings " + dir.file("t.csv") +
                     " are also in --ratings"),
            std::string::npos)
      << err;
}

// Implicit data (every score 1) failed after the whole read with "field
// score_min/score_max: scale [1, 1] is invalid".
TEST(PrepareTest, OneScoreEverywhereIsImplicitFeedback) {
  TempDir dir;
  std::string text = "user,item,rating\n";
  for (int u = 1; u <= 10; ++u) {
    for (int a = 1; a <= 6; ++a) text += fmt::format("{},{},1\n", u, a);
  }
  write_file(dir.file("ones.csv"), text);
  PrepareOptions o;
  o.ratings_path = dir.file("ones.csv");
  ::testing::internal::CaptureStderr();
  Dataset d = prepare(o);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(d.score_min, 1);
  EXPECT_EQ(d.score_max, 2);
  EXPECT_EQ(d.provenance.counts.at("scored_rows"), 60);
  EXPECT_GT(d.provenance.counts.at("split_test_rows"), 0);
  EXPECT_NE(err.find("note: every score in " + dir.file("ones.csv") +
                     " is 1; reading it as implicit feedback"),
            std::string::npos)
      << err;
}

// export wrote "user_id,anime_id,rating,status", which prepare refused.
TEST(PrepareTest, ExportOutputPreparesToTheSameDataset) {
  TempDir dir;
  std::string text = "user_id,anime_id,rating\n";
  for (int u = 1; u <= 12; ++u) {
    for (int a = 1; a <= 9; ++a) {
      int score = (u * 7 + a * 3) % 12 - 1;  // -1..10: -1 is watched, 0 skipped
      if (score != 0) text += fmt::format("{},{},{}\n", u * 10, a, score);
    }
  }
  text += "1000,1,1\n1000,2,10\n";
  write_file(dir.file("r.csv"), text);
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.validation_fraction = 0.1;
  Dataset first = prepare(o);
  export_triplets(first, "all", true, dir.file("all.csv"), false);
  o.ratings_path = dir.file("all.csv");
  Dataset second = prepare(o);
  EXPECT_EQ(second.provenance.inputs[0].layout, "triplets");
  EXPECT_EQ(second.user_ids, first.user_ids);
  EXPECT_EQ(second.anime_ids, first.anime_ids);
  EXPECT_EQ(second.score_min, first.score_min);
  EXPECT_EQ(second.score_max, first.score_max);
  EXPECT_EQ(second.user_offsets, first.user_offsets);
  EXPECT_EQ(second.by_user.anime, first.by_user.anime);
  EXPECT_EQ(second.by_user.score, first.by_user.score);
  EXPECT_EQ(second.by_user.status, first.by_user.status);
  EXPECT_EQ(second.by_user.split, first.by_user.split);
  EXPECT_EQ(second.by_anime.user, first.by_anime.user);
  EXPECT_GT(first.provenance.counts.at("unscored_rows"), 0);
}

TEST(PrepareTest, MetadataIsAttachedAndMissingAnimeCounted) {
  TempDir dir;
  write_file(dir.file("r.csv"), "user_id,anime_id,rating\n1,5114,10\n1,77777,6\n2,5114,9\n");
  write_file(dir.file("anime.csv"),
             "anime_id,name,genre,type,episodes,rating,members\n"
             "5114,Fullmetal Alchemist: Brotherhood,\"Action, Adventure\",TV,64,9.26,793665\n"
             "1,Unrated,Comedy,TV,1,5,1\n");
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.anime_path = dir.file("anime.csv");
  o.test_fraction = 0;
  Dataset d = prepare(o);
  ASSERT_EQ(d.n_anime(), 2u);
  EXPECT_EQ(d.anime.title[0], "Fullmetal Alchemist: Brotherhood");
  EXPECT_EQ(d.anime.has_metadata[1], 0);
  EXPECT_EQ(d.anime.genres.vocab, (std::vector<std::string>{"Action", "Adventure"}));
  EXPECT_EQ(d.anime.genres.offsets, (std::vector<int64_t>{0, 2, 2}));
  EXPECT_EQ(d.provenance.counts.at("anime_without_metadata"), 1);
  EXPECT_EQ(d.provenance.counts.at("rows_of_anime_without_metadata"), 1);
  EXPECT_EQ(d.provenance.inputs[1].role, "anime");
}

TEST(PrepareTest, SkippedRowsAreCountedInProvenance) {
  TempDir dir;
  write_file(dir.file("r.csv"), "user_id,anime_id,rating\n1,2,8\n1,x,8\n2,2,99\n");
  PrepareOptions o;
  o.ratings_path = dir.file("r.csv");
  o.on_bad_row = BadRowPolicy::kSkip;
  o.test_fraction = 0;
  Dataset d = prepare(o);
  EXPECT_EQ(d.n_ratings(), 1u);
  EXPECT_EQ(d.provenance.counts.at("skipped_non_numeric_id"), 1);
  EXPECT_EQ(d.provenance.counts.at("skipped_score_out_of_range"), 1);
}

}  // namespace
}  // namespace animerec::data

namespace animerec::data {
namespace {

// A ratings file parsed in two halves on two threads gives the same dataset
// as one sequential pass, including skipped-row reports and line numbers.
PrepareOptions two_ways(const std::string& path, bool parallel) {
  PrepareOptions o;
  o.ratings_path = path;
  o.quiet = true;
  o.on_bad_row = BadRowPolicy::kSkip;
  o.parallel_parse_min_bytes = parallel ? 0 : UINT64_MAX;
  return o;
}

void expect_same(const Dataset& a, const Dataset& b) {
  EXPECT_EQ(a.user_ids, b.user_ids);
  EXPECT_EQ(a.anime_ids, b.anime_ids);
  EXPECT_EQ(a.by_user.anime, b.by_user.anime);
  EXPECT_EQ(a.by_user.score, b.by_user.score);
  EXPECT_EQ(a.by_user.split, b.by_user.split);
  EXPECT_EQ(a.provenance.counts, b.provenance.counts);
  EXPECT_EQ(a.provenance.inputs[0].sha256, b.provenance.inputs[0].sha256);
}

TEST(PrepareParallelTest, TwoHalvesEqualOnePass) {
  TempDir dir;
  std::string s = "user_id,Username,anime_id,Anime Title,rating\n";
  for (int u = 1; u <= 60; ++u) {
    for (int a = 1; a <= 30; ++a) {
      s += std::to_string(u) + ",\"user, " + std::to_string(u) + "\"," + std::to_string(a * 7) +
           ",T," + std::to_string(1 + (u * a) % 10) + "\n";
    }
    if (u % 17 == 0) s += "x,bad,1,T,5\n";  // skipped rows in both halves
    if (u == 10) s += "10,u,7,\"T\",8\n";   // a duplicate: the last one wins
  }
  write_file(dir.file("r.csv"), s);
  BadRowLog seq_log(BadRowPolicy::kSkip), par_log(BadRowPolicy::kSkip);
  Dataset seq = prepare_dataset(two_ways(dir.file("r.csv"), false), seq_log);
  Dataset par = prepare_dataset(two_ways(dir.file("r.csv"), true), par_log);
  expect_same(seq, par);
  EXPECT_EQ(seq_log.entries().at("non_numeric_id").first,
            par_log.entries().at("non_numeric_id").first);
  EXPECT_EQ(par_log.entries().at("non_numeric_id").count, 3);
}

TEST(PrepareParallelTest, ErrorInTheSecondHalfNamesTheFileLine) {
  TempDir dir;
  std::string s = "user_id,anime_id,rating\n";
  for (int i = 0; i < 1000; ++i) s += std::to_string(i) + ",5,7\n";
  s += "1,2,eleven\n";  // line 1002
  write_file(dir.file("r.csv"), s);
  PrepareOptions o = two_ways(dir.file("r.csv"), true);
  o.on_bad_row = BadRowPolicy::kError;
  BadRowLog log(BadRowPolicy::kError);
  try {
    prepare_dataset(o, log);
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("r.csv") + ":1002: non-numeric rating (eleven)");
  }
}

TEST(PrepareParallelTest, AMidpointInsideAQuotedNewlineFallsBackToOnePass) {
  TempDir dir;
  // One row whose quoted title spans most of the file: wherever the midpoint
  // falls, it is inside that field.
  std::string title(4000, 'a');
  for (size_t i = 100; i < title.size(); i += 100) title[i] = '\n';
  std::string s =
      "user_id,Username,anime_id,Anime Title,rating\n1,u,5,\"" + title + "\",9\n2,v,5,T,8\n";
  write_file(dir.file("r.csv"), s);
  BadRowLog seq_log(BadRowPolicy::kSkip), par_log(BadRowPolicy::kSkip);
  Dataset seq = prepare_dataset(two_ways(dir.file("r.csv"), false), seq_log);
  Dataset par = prepare_dataset(two_ways(dir.file("r.csv"), true), par_log);
  expect_same(seq, par);
  EXPECT_EQ(par.n_ratings(), 2u);
  EXPECT_EQ(par_log.total(), 0);
}

}  // namespace
}  // namespace animerec::data
