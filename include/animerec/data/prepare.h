#pragma once
// `animerec prepare`: rating files (+ optional metadata) -> Dataset.
// Steps, in order: stream and validate rows, map external ids, sort by
// (user, anime) and drop duplicates (the last row wins), apply the
// min-ratings filters until stable, split, attach metadata, record provenance.

#include <cstdint>
#include <map>
#include <string>

#include "animerec/config/params.h"
#include "animerec/data/anime_source.h"
#include "animerec/data/bad_rows.h"
#include "animerec/data/dataset.h"
#include "animerec/data/ratings_source.h"

namespace animerec::data {

// Defaults: the parameter table's (config::default_*), as the command line has them.
struct PrepareOptions {
  std::string ratings_path;
  std::string anime_path;         // optional
  std::string synopsis_path;      // optional
  std::string test_ratings_path;  // optional predefined test split
  RatingsLayout ratings_layout = RatingsLayout::kAuto;
  AnimeLayout anime_layout = AnimeLayout::kAuto;
  uint64_t seed = static_cast<uint64_t>(config::default_int("prepare", "seed"));
  double test_fraction = config::default_double("prepare", "test-fraction");
  double validation_fraction = config::default_double("prepare", "validation-fraction");
  double cold_anime_fraction = config::default_double("prepare", "cold-anime-fraction");
  int64_t min_ratings_to_split = config::default_int("prepare", "min-ratings-to-split");
  int64_t min_user_ratings = config::default_int("prepare", "min-user-ratings");
  int64_t min_anime_ratings = config::default_int("prepare", "min-anime-ratings");
  BadRowPolicy on_bad_row = BadRowPolicy::kError;
  bool quiet = config::default_bool("prepare", "quiet");
  // Ratings files at least this large are parsed in two halves on two
  // threads (the result is identical; tests lower it to exercise that path).
  uint64_t parallel_parse_min_bytes = uint64_t{64} << 20;
  std::string command_line;                   // for provenance
  std::map<std::string, std::string> params;  // for provenance
};

// Builds the dataset in memory; throws InputError/IoError/ConfigError. Rows
// skipped under --on-bad-row=skip are counted in `log`.
Dataset prepare_dataset(const PrepareOptions& options, BadRowLog& log);

// The split rule, exposed for tests: which of a user's scored rows (given by
// anime external ids) go to test and validation.
struct SplitCounts {
  int64_t test = 0;
  int64_t validation = 0;
};
SplitCounts holdout_sizes(int64_t n_scored, double test_fraction, double validation_fraction,
                          int64_t min_ratings_to_split);

}  // namespace animerec::data
