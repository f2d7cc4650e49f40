// `recommend` on a model the trainer really produced (hybrid, small synthetic
// dataset): every mode runs, lists the asked number of unseen anime in
// descending score order, and never the query anime itself.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/data/prepare.h"
#include "animerec/data/synth.h"
#include "animerec/dist/comm.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/serve/recommend.h"
#include "animerec/train/trainer.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::serve {
namespace {

using testing::TempDir;

TEST(TrainedModelTest, EveryModeRanksUnseenAnimeInScoreOrder) {
  TempDir dir;
  data::SynthOptions s;
  s.users = 200;
  s.anime = 80;
  s.ratings = 6000;
  s.seed = 3;
  const std::string ds = testing::synthetic_dataset(dir, s);

  train::TrainOptions o;
  o.dataset_path = ds;
  o.out_path = dir.file("m.h5");
  o.als.factors = 4;
  o.iterations = 3;
  o.quiet = true;
  o.lambda_content = 1.0;
  dist::SerialComm comm;
  ASSERT_EQ(train::run_training(o, comm), kExitOk);
  const model::Model m = io::read_model(o.out_path);
  const io::DatasetHeader h = io::read_dataset_header(ds);
  check_dataset_matches(m, h, o.out_path, ds);

  const int32_t u = find_user(m, m.user_ids[5]);
  const UserRows rows = read_user_rows(ds, h, u);
  ASSERT_FALSE(rows.anime.empty());
  for (UserMode mode : {UserMode::kModel, UserMode::kContent}) {
    auto items = recommend_for_user(m, u, rows, mode, false, 10);
    ASSERT_EQ(items.size(), 10u) << user_mode_name(mode);
    for (size_t i = 0; i < items.size(); ++i) {
      for (int32_t seen : rows.anime) EXPECT_NE(items[i].anime, seen);
      if (i > 0) {
        EXPECT_GE(items[i - 1].score, items[i].score);
      }
    }
    for (const Scored& it : items) {
      if (mode == UserMode::kModel) {
        EXPECT_GE(it.score, m.score_min);
        EXPECT_LE(it.score, m.score_max);
      }
    }
  }
  for (SimilarMode mode :
       {SimilarMode::kCowatch, SimilarMode::kCf, SimilarMode::kContent, SimilarMode::kHybrid}) {
    auto items = similar_anime(m, 7, mode, 0.5, 5);
    ASSERT_EQ(items.size(), 5u) << similar_mode_name(mode);
    for (size_t i = 0; i < items.size(); ++i) {
      EXPECT_NE(items[i].anime, 7);
      if (i > 0) {
        EXPECT_GE(items[i - 1].score, items[i].score);
      }
    }
  }
}

}  // namespace
}  // namespace animerec::serve
