#pragma once
// A synthetic MyAnimeList-2023-shaped set written into DIR/s and prepared into
// DIR/d.h5, for tests that need a real dataset file to train on.

#include <string>

#include "animerec/data/prepare.h"
#include "animerec/data/synth.h"
#include "animerec/io/dataset_file.h"
#include "test_support.h"

namespace animerec::testing {

// `prepare` gives the split options; its input paths are filled in here.
inline std::string synthetic_dataset(const TempDir& dir, data::SynthOptions synth,
                                     data::PrepareOptions prepare = {}) {
  synth.quiet = true;
  data::write_synthetic(synth, dir.file("s"), false);
  prepare.ratings_path = dir.file("s/users-score-2023.csv");
  prepare.anime_path = dir.file("s/anime-dataset-2023.csv");
  prepare.quiet = true;
  data::BadRowLog log(data::BadRowPolicy::kError);
  std::string path = dir.file("d.h5");
  io::write_dataset(data::prepare_dataset(prepare, log), path, false);
  return path;
}

}  // namespace animerec::testing
