#pragma once
// Small hand-built datasets shared by the dataset, file, summary and export
// tests. Header-only: the test target globs only *_test.cpp files.

#include <cmath>
#include <cstdint>
#include <random>
#include <tuple>
#include <vector>

#include "animerec/data/dataset.h"

namespace animerec::testing {

struct SampleRow {
  int32_t user;
  int32_t anime;
  float score;
  data::Status status;
  data::Split split;
};

// Fills by_user (rows must be given sorted by (user, anime)), user_offsets
// and the by_anime orientation.
inline void set_rows(data::Dataset& d, const std::vector<SampleRow>& rows) {
  d.by_user.resize(rows.size());
  d.user_offsets.assign(d.n_users() + 1, 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    d.by_user.user[i] = rows[i].user;
    d.by_user.anime[i] = rows[i].anime;
    d.by_user.score[i] = rows[i].score;
    d.by_user.status[i] = static_cast<uint8_t>(rows[i].status);
    d.by_user.split[i] = static_cast<uint8_t>(rows[i].split);
    ++d.user_offsets[rows[i].user + 1];
  }
  for (size_t u = 0; u < d.n_users(); ++u) d.user_offsets[u + 1] += d.user_offsets[u];
  data::build_anime_orientation(d);
}

// 3 users, 4 anime (the last one cold), 8 rows mixing scored and unscored
// rows, metadata with unknowns and non-ASCII text, and full provenance.
inline data::Dataset sample_dataset() {
  using data::Split;
  using data::Status;
  data::Dataset d;
  d.user_ids = {10, 20, 35};
  d.anime_ids = {1, 5, 7, 100};
  d.score_min = 1;
  d.score_max = 10;
  set_rows(d, {
                  {0, 0, 8, Status::kCompleted, Split::kTrain},
                  {0, 1, 0, Status::kPlanToWatch, Split::kTrain},
                  {0, 2, 6, Status::kDropped, Split::kValidation},
                  {1, 0, 10, Status::kCompleted, Split::kTrain},
                  {1, 2, 7, Status::kWatching, Split::kTest},
                  {1, 3, 4, Status::kCompleted, Split::kTest},
                  {2, 1, 9, Status::kOnHold, Split::kTrain},
                  {2, 3, 0, Status::kWatchedUnrated, Split::kTest},
              });
  d.cold_anime = {0, 0, 0, 1};

  data::AnimeMeta& m = d.anime;
  m.resize(4);
  m.has_metadata = {1, 1, 0, 1};
  m.title = {"Cowboy Bebop", "Steins;Gate", "", "進撃の巨人"};
  m.type = {"TV", "TV", "", "Movie"};
  m.source = {"Original", "Visual novel", "", "Manga"};
  m.age_rating = {"R - 17+ (violence & profanity)", "PG-13 - Teens 13 or older", "", ""};
  m.season = {"spring", "spring", "", ""};
  m.synopsis = {"Space bounty hunters, \"jazz\",\nand a dog.", "", "", "Titans."};
  m.episodes = {26, 24, -1, 1};
  m.year = {1998, 2011, -1, 2015};
  m.duration_min = {24, 24, -1, 98};
  m.members = {1'000'000, 2'500'000, -1, 30};
  m.community_score = {8.75f, 9.07f, std::nanf(""), 6.5f};
  m.genres.vocab = {"Action", "Drama", "Sci-Fi"};
  m.genres.offsets = {0, 2, 3, 3, 4};
  m.genres.values = {0, 2, 1, 0};
  m.studios.vocab = {"Sunrise", "White Fox"};
  m.studios.offsets = {0, 1, 2, 2, 2};
  m.studios.values = {0, 1};

  data::Provenance& p = d.provenance;
  p.command_line = "animerec prepare --ratings animelist.csv --anime anime.csv --seed 7";
  p.program_version = "0.1.0";
  p.build_commit = "abc123def456";
  p.inputs = {
      {"ratings", "animelist.csv", "mal2023", 1234567, std::string(64, 'a')},
      {"anime", "anime.csv", "anime2023", 4321, std::string(64, 'b')},
  };
  p.counts = {{"rows_read", 10}, {"dropped_duplicate", 1}, {"dropped_min_user_ratings", 1}};
  p.params = {{"seed", "7"}, {"test_fraction", "0.2"}, {"min_user_ratings", "1"}};
  return d;
}

// A random valid dataset of about n_users * n_anime * density rows, for
// paths that only large arrays take (chunking, multi-chunk hyperslabs).
inline data::Dataset random_dataset(int32_t n_users, int32_t n_anime, double density,
                                    uint32_t seed) {
  using data::Split;
  using data::Status;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> coin(0, 1);
  data::Dataset d;
  for (int32_t u = 0; u < n_users; ++u) d.user_ids.push_back(3 * int64_t{u} + 1);
  for (int32_t a = 0; a < n_anime; ++a) d.anime_ids.push_back(7 * int64_t{a} + 2);
  std::vector<SampleRow> rows;
  for (int32_t u = 0; u < n_users; ++u) {
    for (int32_t a = 0; a < n_anime; ++a) {
      if (coin(rng) >= density) continue;
      bool scored = coin(rng) < 0.8;
      float score = scored ? static_cast<float>(1 + rng() % 10) : 0.0f;
      auto status = scored ? Status::kCompleted : Status::kPlanToWatch;
      auto split = static_cast<Split>(rng() % 3);
      rows.push_back({u, a, score, status, split});
    }
  }
  set_rows(d, rows);
  d.cold_anime.assign(d.n_anime(), 0);
  d.anime.resize(d.n_anime());
  return d;
}

}  // namespace animerec::testing
