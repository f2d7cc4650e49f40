#pragma once
// What every fit of one `train` run shares, read once per run: the dataset's
// header and checksum, the rank blocks, this rank's ratings (the blocks of the
// main fit and of the ranking part built from one read of the two slices),
// the exact global mean and the validation sample.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "animerec/data/dataset.h"
#include "animerec/dist/comm.h"
#include "animerec/io/dataset_file.h"
#include "animerec/train/local_data.h"
#include "animerec/train/trainer.h"

namespace animerec::train {

// Indices of LocalData::fits.
inline constexpr size_t kMainFit = 0;
inline constexpr size_t kRankingFit = 1;  // present when the run has a ranking part

struct TrainingData {
  std::string dataset_path;
  io::DatasetHeader header;
  std::string sha256;                              // of the dataset file, for models and --resume
  std::vector<int64_t> user_bounds, anime_bounds;  // dist::balanced_blocks of both sides
  LocalData local;
  float mu = 0;                        // exact mean of the training scores (explicit main fit)
  std::vector<int64_t> train_entries;  // whole job, per fit
  int64_t validation_rows = 0;         // whole job
  // Users whose validation NDCG@10 is computed (implicit fits): a hash of
  // (seed, id), so the same users for any rank count.
  std::vector<uint8_t> sampled_users;
  std::vector<std::string> titles;  // rank 0: for every model and checkpoint written
  data::AnimeMeta meta;             // hybrid only
};

// True when the run trains a ranking part after its main fit.
bool has_ranking_part(const TrainOptions& o);

using Say = std::function<void(const std::string&)>;

// Reads the header, checksums the file (rank 0, broadcast), splits the blocks,
// checks that every rank's estimated peak fits its memory (before any rating
// is read) and reads this rank's ratings. Every rank calls it together.
TrainingData load_training_data(const TrainOptions& o, int threads, dist::Comm& comm,
                                const Say& say);

}  // namespace animerec::train
