// `animerec cv`: the folds partition the eligible rows (each held out exactly
// once, both orientations alike), do not depend on row order, and the command
// reports per-fold results whose mean and standard deviation are those of
// the folds.

#include "animerec/eval/cv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/dist/comm.h"
#include "animerec/io/dataset_file.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::eval {
namespace {

using testing::TempDir;

std::string tiny_dataset(const TempDir& dir) {
  data::SynthOptions s;
  s.users = 150;
  s.anime = 60;
  s.ratings = 4500;
  s.seed = 8;
  return testing::synthetic_dataset(dir, s);
}

TEST(CvTest, FoldsPartitionTheEligibleRows) {
  TempDir dir;
  const data::Dataset d = io::read_dataset(tiny_dataset(dir));
  constexpr int kFolds = 3;
  const std::vector<int32_t> fold = fold_of_rows(d, kFolds, 42, /*explicit_rows=*/true);
  std::vector<int64_t> per_fold(kFolds, 0);
  int64_t always_train = 0;
  for (size_t i = 0; i < fold.size(); ++i) {
    if (fold[i] < 0) {
      ++always_train;
    } else {
      ASSERT_LT(fold[i], kFolds);
      EXPECT_GT(d.by_user.score[i], 0) << "an unscored row was held out";
      ++per_fold[fold[i]];
    }
  }
  int64_t held = 0;
  for (int f = 0; f < kFolds; ++f) {
    EXPECT_GT(per_fold[f], 0);
    held += per_fold[f];
    const data::Dataset fd = fold_dataset(d, kFolds, 42, true, f);
    data::validate(fd, "fold dataset");  // both orientations hold the same rows and splits
    int64_t test = 0;
    for (size_t i = 0; i < fold.size(); ++i) {
      const bool in_test = fd.by_user.split[i] == static_cast<uint8_t>(data::Split::kTest);
      EXPECT_EQ(in_test, fold[i] == f);
      test += in_test;
      if (!in_test) {
        EXPECT_EQ(fd.by_user.split[i], static_cast<uint8_t>(data::Split::kTrain));
      }
    }
    int64_t test_by_anime = 0;
    for (uint8_t s : fd.by_anime.split)
      test_by_anime += s == static_cast<uint8_t>(data::Split::kTest);
    EXPECT_EQ(test, per_fold[f]);
    EXPECT_EQ(test_by_anime, per_fold[f]);
  }
  EXPECT_EQ(held + always_train, static_cast<int64_t>(d.n_ratings()));
  // Roughly a third each: the hash spreads rows evenly.
  for (int f = 0; f < kFolds; ++f) EXPECT_NEAR(per_fold[f], held / 3.0, held * 0.05);
  // Another seed, other folds; the same seed, the same folds.
  EXPECT_EQ(fold_of_rows(d, kFolds, 42, true), fold);
  EXPECT_NE(fold_of_rows(d, kFolds, 43, true), fold);
  // Implicit mode may hold out any row (this synthetic set has only scored
  // rows, so at least as many as explicit mode).
  const std::vector<int32_t> implicit = fold_of_rows(d, kFolds, 42, false);
  int64_t held_implicit = 0;
  for (int32_t f : implicit) held_implicit += f >= 0;
  EXPECT_GE(held_implicit, held);
}

TEST(CvTest, ReportsEveryFoldAndTheirMeanAndStd) {
  TempDir dir;
  CvOptions o;
  o.dataset_path = tiny_dataset(dir);
  o.folds = 3;
  o.k = "5,10";
  o.format = "json";
  o.work_dir = dir.path().string();
  o.quiet = true;
  o.train.als.factors = 4;
  o.train.iterations = 3;
  dist::SerialComm comm;
  const nlohmann::json s = nlohmann::json::parse(run_cv(o, comm));
  ASSERT_EQ(s["folds"].get<int>(), 3);
  ASSERT_EQ(s["per_fold"].size(), 3u);
  const std::vector<std::string> cols = s["metrics"];
  EXPECT_EQ(cols, (std::vector<std::string>{"RMSE", "MAE", "P@5", "R@5", "NDCG@5", "HR@5", "P@10",
                                            "R@10", "NDCG@10", "HR@10"}));
  int64_t test_rows = 0;
  for (const auto& f : s["per_fold"]) test_rows += f["test_rows"].get<int64_t>();
  const data::Dataset d = io::read_dataset(o.dataset_path);
  int64_t eligible = 0;
  for (int32_t f : fold_of_rows(d, 3, o.train.seed, true)) eligible += f >= 0;
  EXPECT_EQ(test_rows, eligible);
  for (const std::string method : {"global_mean", "biases", "model"}) {
    for (const std::string& col : cols) {
      std::vector<double> v;
      for (const auto& f : s["per_fold"]) v.push_back(f["metrics"][method][col].get<double>());
      const double mean = (v[0] + v[1] + v[2]) / 3;
      double sq = 0;
      for (double x : v) sq += (x - mean) * (x - mean);
      EXPECT_NEAR(s["mean"][method][col].get<double>(), mean, 1e-12) << method << " " << col;
      EXPECT_NEAR(s["std"][method][col].get<double>(), std::sqrt(sq / 2), 1e-12)
          << method << " " << col;
    }
  }
  // The model learned something in every fold: better RMSE than the global mean.
  for (const auto& f : s["per_fold"]) {
    EXPECT_LT(f["metrics"]["model"]["RMSE"].get<double>(),
              f["metrics"]["global_mean"]["RMSE"].get<double>());
  }
  // The fold files are gone.
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().rfind("animerec-cv.", 0), std::string::npos);
}

TEST(CvTest, RejectsOneFold) {
  TempDir dir;
  CvOptions o;
  o.dataset_path = tiny_dataset(dir);
  o.folds = 1;
  dist::SerialComm comm;
  EXPECT_THROW(run_cv(o, comm), ConfigError);
}

}  // namespace
}  // namespace animerec::eval
