#pragma once
// `animerec cv` (docs/evaluate.md, Cross-validation): K-fold cross-validation
// of the training configuration on one dataset.h5. Every row eligible for
// holding out (explicit models: scored rows; implicit: every row) of a user
// with at least K such rows goes to fold hash(seed, user id, anime id) mod K;
// the other rows are always in training. For each fold the trainer runs (on
// the same ranks) on a copy of the dataset whose test split is that fold, and
// `evaluate` scores it; the report gives every fold and the mean and sample
// standard deviation over folds. Everything is a pure function of the
// dataset, the options and the seed: the same for any rank count.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/data/dataset.h"
#include "animerec/dist/comm.h"
#include "animerec/train/trainer.h"

namespace animerec::eval {

// fold[i] of every by_user row: 0..folds-1, or -1 for a row that always
// trains. explicit_rows: only scored rows are eligible.
std::vector<int32_t> fold_of_rows(const data::Dataset& d, int folds, uint64_t seed,
                                  bool explicit_rows);

// The dataset with fold `fold` as its test split and every other row in
// train (validation included); no anime is held out whole.
data::Dataset fold_dataset(const data::Dataset& d, int folds, uint64_t seed, bool explicit_rows,
                           int fold);

// Defaults: the parameter table's (config::default_*), as the command line has them.
struct CvOptions {
  std::string dataset_path;
  int folds = static_cast<int>(config::default_int("cv", "folds"));
  std::string k = config::default_text("cv", "k");
  std::optional<double> relevance;  // unset: eval::default_relevance of the dataset's scale
  std::string format = config::default_text("cv", "format");  // table | json
  std::string work_dir;  // fold datasets and models; empty = the system temp dir
  bool quiet = config::default_bool("cv", "quiet");
  train::TrainOptions train;  // dataset_path, out_path and overwrite are set per fold
};

// The summary of per-fold evaluate reports: methods x metrics (RMSE, MAE
// for explicit models; P, R, NDCG, HR at each K) per fold, mean, std.
nlohmann::json summarize_folds(const std::vector<nlohmann::json>& reports);
std::string format_cv_table(const nlohmann::json& summary);

// The whole command on every rank; returns the text for stdout (empty on
// ranks other than 0). Throws ConfigError for bad options, IoError for an
// unreadable dataset or work dir.
std::string run_cv(const CvOptions& o, dist::Comm& comm);

}  // namespace animerec::eval
