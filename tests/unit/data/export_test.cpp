#include "animerec/data/export.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "animerec/core/error.h"
#include "sample_dataset.h"
#include "test_support.h"

namespace animerec::data {
namespace {

using testing::read_file;
using testing::TempDir;

TEST(ExportTest, AllRowsWithExternalIds) {
  TempDir dir;
  std::string out = dir.file("all.csv");
  export_triplets(testing::sample_dataset(), "all", true, out, false);
  EXPECT_EQ(read_file(out),
            "user_id,anime_id,rating,status\n"
            "10,1,8,completed\n"
            "10,5,0,plan_to_watch\n"
            "10,7,6,dropped\n"
            "20,1,10,completed\n"
            "20,7,7,watching\n"
            "20,100,4,completed\n"
            "35,5,9,on_hold\n"
            "35,100,0,watched_unrated\n");
}

TEST(ExportTest, OneSplitWithIndexIds) {
  TempDir dir;
  std::string out = dir.file("train.csv");
  export_triplets(testing::sample_dataset(), "train", false, out, false);
  EXPECT_EQ(read_file(out),
            "user_id,anime_id,rating,status\n"
            "0,0,8,completed\n"
            "0,1,0,plan_to_watch\n"
            "1,0,10,completed\n"
            "2,1,9,on_hold\n");
}

TEST(ExportTest, HalfPointScoresKeepTheirFraction) {
  TempDir dir;
  Dataset d = testing::sample_dataset();
  d.score_min = 0.5f;
  d.score_max = 5;
  for (auto& s : d.by_user.score) s /= 2;
  build_anime_orientation(d);
  std::string out = dir.file("test.csv");
  export_triplets(d, "test", true, out, false);
  EXPECT_EQ(read_file(out),
            "user_id,anime_id,rating,status\n"
            "20,7,3.5,watching\n"
            "20,100,2,completed\n"
            "35,100,0,watched_unrated\n");
}

// Parses an export back and compares it with the rows of the split.
TEST(ExportTest, RoundTripsEverySplit) {
  TempDir dir;
  Dataset d = testing::random_dataset(60, 50, 0.3, 9);
  for (const std::string split : {"train", "validation", "test", "all"}) {
    SCOPED_TRACE(split);
    std::string out = dir.file(split + ".csv");
    export_triplets(d, split, false, out, false);
    std::istringstream in(read_file(out));
    std::string line;
    std::getline(in, line);
    EXPECT_EQ(line, "user_id,anime_id,rating,status");
    size_t row = 0;
    for (size_t i = 0; i < d.n_ratings(); ++i) {
      if (split != "all" && split_name(static_cast<Split>(d.by_user.split[i])) != split) continue;
      ASSERT_TRUE(std::getline(in, line));
      int user = 0, anime = 0;
      float score = -1;
      char status[32] = {};
      ASSERT_EQ(std::sscanf(line.c_str(), "%d,%d,%f,%31s", &user, &anime, &score, status), 4);
      EXPECT_EQ(user, d.by_user.user[i]);
      EXPECT_EQ(anime, d.by_user.anime[i]);
      EXPECT_EQ(score, d.by_user.score[i]);
      EXPECT_STREQ(status, status_name(static_cast<Status>(d.by_user.status[i])));
      ++row;
    }
    EXPECT_FALSE(std::getline(in, line)) << "extra line: " << line;
    EXPECT_GT(row, 0u);
  }
}

TEST(ExportTest, UnknownSplitIsAConfigError) {
  TempDir dir;
  std::string out = dir.file("x.csv");
  try {
    export_triplets(testing::sample_dataset(), "training", false, out, false);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "--split training: unknown split (expected train, validation, test or all)");
  }
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(ExportTest, OverwriteRefusedWithoutFlag) {
  TempDir dir;
  std::string out = dir.file("x.csv");
  testing::write_file(out, "keep me\n");
  EXPECT_THROW(export_triplets(testing::sample_dataset(), "all", false, out, false), IoError);
  EXPECT_EQ(read_file(out), "keep me\n");
  export_triplets(testing::sample_dataset(), "all", false, out, true);
  EXPECT_EQ(read_file(out).substr(0, 31), "user_id,anime_id,rating,status\n");
}

}  // namespace
}  // namespace animerec::data
