#pragma once
// A synthetic MyAnimeList-shaped data generator for tests and benchmarks at
// scale. It writes the same files, columns and quirks as the published Kaggle
// datasets, so `animerec prepare` reads them through the real loaders.

#include <cstdint>
#include <string>
#include <vector>

namespace animerec::data {

struct SynthOptions {
  int64_t users = 2000;
  int64_t anime = 500;
  int64_t ratings = 100000;  // total rating rows (distinct user-anime pairs)
  uint64_t seed = 42;
  std::string layout = "mal2023";  // mal2023 | mal2016
  int factors = 8;                 // rank of the planted taste structure
  double noise = 0.8;              // std dev of score noise before rounding
  double unrated_fraction = 0.15;  // mal2016 only: share of -1 rows
  bool quiet = false;
};

struct SynthResult {
  std::vector<std::string> files;  // paths written, metadata file first
  int64_t rows = 0;                // rating rows written
};

// Writes into out_dir (created if missing). Each file goes through
// AtomicOutput; existing files are refused unless overwrite. Same options ->
// same bytes.
SynthResult write_synthetic(const SynthOptions& options, const std::string& out_dir, bool overwrite);

}  // namespace animerec::data
