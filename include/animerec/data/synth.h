#pragma once
// A synthetic MyAnimeList-shaped data generator for tests and benchmarks at
// scale. It writes the same files, columns and quirks as the published Kaggle
// datasets, so `animerec prepare` reads them through the real loaders.

#include <cstdint>
#include <string>
#include <vector>

#include "animerec/config/params.h"

namespace animerec::data {

// Defaults: the parameter table's (config::default_*), as the command line has them.
struct SynthOptions {
  int64_t users = config::default_int("synth", "users");
  int64_t anime = config::default_int("synth", "anime");
  // Total rating rows (distinct user-anime pairs).
  int64_t ratings = config::default_int("synth", "ratings");
  uint64_t seed = static_cast<uint64_t>(config::default_int("synth", "seed"));
  // mal2023 | mal2016 | movielens (u.data only, 1..5 stars).
  std::string layout = config::default_text("synth", "layout");
  // Rank of the planted taste structure.
  int factors = static_cast<int>(config::default_int("synth", "factors"));
  double noise = config::default_double("synth", "noise");  // std dev of score noise
  // mal2016 only: share of -1 rows.
  double unrated_fraction = config::default_double("synth", "unrated-fraction");
  // Zipf exponents of anime popularity and user activity; 0 keeps the
  // built-in shapes (offset Zipf 1.05 and a Lomax tail), so existing seeds
  // give the same bytes.
  double popularity_skew = config::default_double("synth", "popularity-skew");
  double activity_skew = config::default_double("synth", "activity-skew");
  bool quiet = config::default_bool("synth", "quiet");
};

struct SynthResult {
  std::vector<std::string> files;  // paths written, metadata file first
  int64_t rows = 0;                // rating rows written
};

// Throws ConfigError naming the first bad option and its value, e.g.
// "--ratings 10 is less than --users 20 (every user rates at least one anime)".
void validate_synth_options(const SynthOptions& options);

// The planted structure behind a synthetic dataset. Indices are dense
// (0..n-1, in increasing id order); ids are the ones written to the files.
// Exposed so tests (and experiments) can check the structure is recoverable.
// Score of user u for anime a before noise: mu + user_bias[u] + anime_bias[a]
// + affinity(u, a), clamped and rounded into 1..10. Which anime a user rated:
// drawn by anime_popularity x sigmoid(affinity), distinct, so implicit
// feedback (what was watched) carries taste as well as popularity.
struct SynthModel {
  int factors = 0;
  double mu = 0;
  std::vector<std::string> genre_names;      // the layout's genre list
  std::vector<float> genre_factors;          // genres x factors, row-major
  std::vector<int64_t> anime_ids;            // increasing, from 1, with gaps
  std::vector<std::string> anime_titles;     // raw text (mal2016 writes HTML entities)
  std::vector<int64_t> anime_genre_offsets;  // CSR, anime + 1 entries
  std::vector<int32_t> anime_genre_values;   // indices into genre_names, sorted by name
  std::vector<float> anime_factors;          // anime x factors: mean of genres + noise
  std::vector<float> anime_bias;
  std::vector<double> anime_popularity;  // sampling weight (Zipf over a random order)
  std::vector<float> community_score;    // MyAnimeList-style mean score
  std::vector<int64_t> user_ids;         // increasing, from 1, with gaps
  std::vector<float> user_factors;       // users x factors
  std::vector<float> user_bias;
  std::vector<int64_t> user_rating_counts;  // heavy tailed, >= 1, sums to options.ratings

  int64_t users() const { return static_cast<int64_t>(user_ids.size()); }
  int64_t anime() const { return static_cast<int64_t>(anime_ids.size()); }
  // x_u . y_a, the planted taste match.
  float affinity(int64_t user, int64_t anime) const;
};

// Validates the options and builds the model (no files). Same options -> same model.
SynthModel build_synth_model(const SynthOptions& options);

// Writes into out_dir (created if missing). Each file goes through
// AtomicOutput; existing files are refused unless overwrite. Same options ->
// same bytes.
SynthResult write_synthetic(const SynthOptions& options, const std::string& out_dir,
                            bool overwrite);

}  // namespace animerec::data
