#include "animerec/data/dataset.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "animerec/core/error.h"
#include "sample_dataset.h"

namespace animerec::data {
namespace {

using testing::sample_dataset;

TEST(DatasetTest, SampleIsValid) {
  Dataset d = sample_dataset();
  EXPECT_NO_THROW(validate(d, "sample"));
}

TEST(DatasetTest, EmptyDatasetIsValid) {
  Dataset d;
  d.user_offsets = {0};
  d.anime_offsets = {0};
  d.anime.resize(0);
  EXPECT_NO_THROW(validate(d, "empty"));
}

TEST(DatasetTest, StatusAndSplitNames) {
  EXPECT_STREQ(status_name(Status::kUnknown), "unknown");
  EXPECT_STREQ(status_name(Status::kWatching), "watching");
  EXPECT_STREQ(status_name(Status::kCompleted), "completed");
  EXPECT_STREQ(status_name(Status::kOnHold), "on_hold");
  EXPECT_STREQ(status_name(Status::kDropped), "dropped");
  EXPECT_STREQ(status_name(Status::kPlanToWatch), "plan_to_watch");
  EXPECT_STREQ(status_name(Status::kWatchedUnrated), "watched_unrated");
  EXPECT_STREQ(status_name(static_cast<Status>(5)), "invalid");
  EXPECT_STREQ(split_name(Split::kTrain), "train");
  EXPECT_STREQ(split_name(Split::kValidation), "validation");
  EXPECT_STREQ(split_name(Split::kTest), "test");
  EXPECT_STREQ(split_name(static_cast<Split>(3)), "invalid");
}

TEST(DatasetTest, RatingArraysResizeSizesEveryColumn) {
  RatingArrays r;
  r.resize(5);
  EXPECT_EQ(r.size(), 5u);
  EXPECT_EQ(r.anime.size(), 5u);
  EXPECT_EQ(r.score.size(), 5u);
  EXPECT_EQ(r.status.size(), 5u);
  EXPECT_EQ(r.split.size(), 5u);
}

TEST(DatasetTest, AnimeMetaResizeFillsUnknowns) {
  AnimeMeta m;
  m.resize(3);
  EXPECT_EQ(m.size(), 3u);
  for (size_t a = 0; a < 3; ++a) {
    EXPECT_EQ(m.has_metadata[a], 0);
    EXPECT_TRUE(m.title[a].empty());
    EXPECT_TRUE(m.synopsis[a].empty());
    EXPECT_EQ(m.episodes[a], -1);
    EXPECT_EQ(m.year[a], -1);
    EXPECT_EQ(m.duration_min[a], -1);
    EXPECT_EQ(m.members[a], -1);
    EXPECT_TRUE(std::isnan(m.community_score[a]));
  }
  EXPECT_EQ(m.genres.offsets, (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_EQ(m.studios.offsets, (std::vector<int64_t>{0, 0, 0, 0}));
  EXPECT_TRUE(m.genres.values.empty());
}

TEST(DatasetTest, AnimeMetaResizeKeepsExistingEntries) {
  Dataset d = sample_dataset();
  d.anime.resize(6);
  EXPECT_EQ(d.anime.title[1], "Steins;Gate");
  EXPECT_EQ(d.anime.title[5], "");
  EXPECT_EQ(d.anime.genres.offsets, (std::vector<int64_t>{0, 2, 3, 3, 4, 4, 4}));
  EXPECT_EQ(d.anime.genres.values.size(), 4u);
}

TEST(DatasetTest, BuildAnimeOrientationIsStableCountingSort) {
  Dataset d = sample_dataset();
  EXPECT_EQ(d.anime_offsets, (std::vector<int64_t>{0, 2, 4, 6, 8}));
  EXPECT_EQ(d.by_anime.anime, (std::vector<int32_t>{0, 0, 1, 1, 2, 2, 3, 3}));
  EXPECT_EQ(d.by_anime.user, (std::vector<int32_t>{0, 1, 0, 2, 0, 1, 1, 2}));
  EXPECT_EQ(d.by_anime.score, (std::vector<float>{8, 10, 0, 9, 6, 7, 4, 0}));
  EXPECT_EQ(d.by_anime.split, (std::vector<uint8_t>{0, 0, 0, 0, 1, 2, 2, 2}));
}

TEST(DatasetTest, BuildAnimeOrientationRejectsBadIndex) {
  Dataset d = sample_dataset();
  d.by_user.anime[2] = 9;
  try {
    build_anime_orientation(d);
    FAIL() << "expected IoError";
  } catch (const IoError& e) {
    EXPECT_STREQ(e.what(),
                 "build_anime_orientation: field by_user.anime: row 2 has anime 9, outside [0, 4)");
  }
}

struct Breakage {
  const char* name;
  std::function<void(Dataset&)> apply;
  const char* message;
};

class DatasetValidateTest : public ::testing::TestWithParam<Breakage> {};

TEST_P(DatasetValidateTest, ReportsTheBrokenField) {
  Dataset d = sample_dataset();
  GetParam().apply(d);
  try {
    validate(d, "f.h5");
    FAIL() << "validate accepted a dataset with a broken invariant";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), GetParam().message);
  }
}

const Breakage kBreakages[] = {
    {"user_ids_order", [](Dataset& d) { d.user_ids[1] = 10; },
     "f.h5: field user_ids: not strictly ascending at index 1 (10 after 10)"},
    {"anime_ids_order", [](Dataset& d) { d.anime_ids[3] = 6; },
     "f.h5: field anime_ids: not strictly ascending at index 3 (6 after 7)"},
    {"scale", [](Dataset& d) { d.score_min = 0; },
     "f.h5: field score_min/score_max: scale [0, 10] is invalid (need 0 < score_min < "
     "score_max)"},
    {"by_user_length", [](Dataset& d) { d.by_user.score.pop_back(); },
     "f.h5: field by_user.score: has 7 entries, expected 8 (rows in by_user.user)"},
    {"by_anime_length", [](Dataset& d) { d.by_anime.split.push_back(0); },
     "f.h5: field by_anime.split: has 9 entries, expected 8 (rows in by_user.user)"},
    {"user_offsets_length", [](Dataset& d) { d.user_offsets.pop_back(); },
     "f.h5: field user_offsets: has 3 entries, expected 4 (n_users + 1)"},
    {"user_offsets_start", [](Dataset& d) { d.user_offsets[0] = 1; },
     "f.h5: field user_offsets: starts at 1, not 0"},
    {"user_offsets_decrease", [](Dataset& d) { d.user_offsets[1] = 7; },
     "f.h5: field user_offsets: decreases at index 2 (6 after 7)"},
    {"user_offsets_end", [](Dataset& d) { d.user_offsets[3] = 7; },
     "f.h5: field user_offsets: ends at 7, expected n_ratings = 8"},
    {"anime_offsets_end", [](Dataset& d) { d.anime_offsets[4] = 9; },
     "f.h5: field anime_offsets: ends at 9, expected n_ratings = 8"},
    {"row_outside_its_user", [](Dataset& d) { d.user_offsets[1] = 4; },
     "f.h5: field by_user.user: row 3 has user 1, but the offsets put it in user 0"},
    {"anime_out_of_range", [](Dataset& d) { d.by_user.anime[1] = 4; },
     "f.h5: field by_user.anime: row 1 has anime 4, outside [0, 4)"},
    {"negative_anime", [](Dataset& d) { d.by_user.anime[0] = -1; },
     "f.h5: field by_user.anime: row 0 has anime -1, outside [0, 4)"},
    {"unsorted", [](Dataset& d) { std::swap(d.by_user.anime[0], d.by_user.anime[1]); },
     "f.h5: field by_user.anime: row 1 is out of order: user 0 has anime 0 after 1"},
    {"duplicate", [](Dataset& d) { d.by_user.anime[1] = 0; },
     "f.h5: field by_user.anime: row 1 repeats the pair (user 0, anime 0)"},
    {"by_anime_unsorted", [](Dataset& d) { std::swap(d.by_anime.user[0], d.by_anime.user[1]); },
     "f.h5: field by_anime.user: row 1 is out of order: anime 0 has user 0 after 1"},
    {"status_code", [](Dataset& d) { d.by_user.status[2] = 5; },
     "f.h5: field by_user.status: row 2 has unknown status code 5"},
    {"split_code", [](Dataset& d) { d.by_user.split[2] = 3; },
     "f.h5: field by_user.split: row 2 has unknown split code 3"},
    {"score_above", [](Dataset& d) { d.by_user.score[0] = 11; },
     "f.h5: field by_user.score: row 0 has score 11, neither 0 (unscored) nor within [1, 10]"},
    {"score_below", [](Dataset& d) { d.by_user.score[0] = 0.5f; },
     "f.h5: field by_user.score: row 0 has score 0.5, neither 0 (unscored) nor within [1, 10]"},
    {"score_nan", [](Dataset& d) { d.by_user.score[0] = std::nanf(""); },
     "f.h5: field by_user.score: row 0 has score nan, neither 0 (unscored) nor within [1, 10]"},
    {"orientations_differ", [](Dataset& d) { d.by_anime.score[0] = 9; },
     "f.h5: field by_anime: does not hold the same rows (score, status, split) as by_user"},
    {"orientations_differ_split", [](Dataset& d) { d.by_anime.split[0] = 2; },
     "f.h5: field by_anime: does not hold the same rows (score, status, split) as by_user"},
    {"cold_size", [](Dataset& d) { d.cold_anime.pop_back(); },
     "f.h5: field cold_anime: has 3 entries, expected 4 (n_anime)"},
    {"cold_value", [](Dataset& d) { d.cold_anime[0] = 2; },
     "f.h5: field cold_anime: anime 0 has value 2, expected 0 or 1"},
    {"cold_with_train_rows", [](Dataset& d) { d.cold_anime[0] = 1; },
     "f.h5: field cold_anime: anime 0 is cold but by_anime row 0 is in train, not test"},
    {"meta_size", [](Dataset& d) { d.anime.title.pop_back(); },
     "f.h5: field anime.title: has 3 entries, expected 4 (n_anime)"},
    {"meta_community_score_size", [](Dataset& d) { d.anime.community_score.push_back(1); },
     "f.h5: field anime.community_score: has 5 entries, expected 4 (n_anime)"},
    {"has_metadata_value", [](Dataset& d) { d.anime.has_metadata[2] = 7; },
     "f.h5: field anime.has_metadata: anime 2 has value 7, expected 0 or 1"},
    {"genres_offsets_size", [](Dataset& d) { d.anime.genres.offsets.pop_back(); },
     "f.h5: field anime.genres.offsets: has 4 entries, expected 5 (n_anime + 1)"},
    {"genres_offsets_end", [](Dataset& d) { d.anime.genres.values.pop_back(); },
     "f.h5: field anime.genres.offsets: ends at 4, but anime.genres.values has 3 entries"},
    {"genres_offsets_decrease", [](Dataset& d) { d.anime.genres.offsets[1] = 4; },
     "f.h5: field anime.genres.offsets: decreases at index 2 (3 after 4)"},
    {"studios_value", [](Dataset& d) { d.anime.studios.values[1] = 2; },
     "f.h5: field anime.studios.values: entry 1 is 2, outside the vocabulary [0, 2)"},
};

INSTANTIATE_TEST_SUITE_P(DatasetInvariants, DatasetValidateTest, ::testing::ValuesIn(kBreakages),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace animerec::data
