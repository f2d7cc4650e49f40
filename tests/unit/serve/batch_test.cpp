// `recommend --all-users`: block boundaries, and on a model the trainer really
// produced, every user's batch list is the single-user list (ids, and scores
// up to float rounding of the product), seen anime are skipped unless asked,
// both output formats hold the same lists, an existing --out is refused.

#include "animerec/serve/batch.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/dist/comm.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/io/recs_file.h"
#include "animerec/serve/recommend.h"
#include "animerec/train/trainer.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::serve {
namespace {

using testing::TempDir;

TEST(BatchBoundariesTest, WholeBlocksCoverEveryUserOnce) {
  EXPECT_EQ(user_block_boundaries(10, 4, 1), (std::vector<int64_t>{0, 10}));
  // 3 blocks (4, 4, 2 users) over 2 ranks: one gets one block, the other two.
  EXPECT_EQ(user_block_boundaries(10, 4, 2), (std::vector<int64_t>{0, 4, 10}));
  EXPECT_EQ(user_block_boundaries(10, 4, 3), (std::vector<int64_t>{0, 4, 8, 10}));
  // More ranks than blocks: some ranks get no user.
  EXPECT_EQ(user_block_boundaries(5, 4, 4), (std::vector<int64_t>{0, 0, 4, 4, 5}));
  for (int ranks = 1; ranks <= 7; ++ranks) {
    const auto b = user_block_boundaries(1000, 64, ranks);
    ASSERT_EQ(b.size(), static_cast<size_t>(ranks) + 1);
    EXPECT_EQ(b.front(), 0);
    EXPECT_EQ(b.back(), 1000);
    for (int r = 0; r < ranks; ++r) {
      EXPECT_LE(b[r], b[r + 1]);
      EXPECT_EQ(b[r] % 64, 0) << "rank " << r << " does not start on a block";
    }
  }
}

TEST(BatchFormatTest, FromFormatOrExtension) {
  EXPECT_EQ(batch_format("", "a/recs.h5"), "h5");
  EXPECT_EQ(batch_format("", "recs.hdf5"), "h5");
  EXPECT_EQ(batch_format("", "recs.csv"), "csv");
  EXPECT_EQ(batch_format("csv", "recs.txt"), "csv");
  EXPECT_THROW(batch_format("", "recs.txt"), ConfigError);
  EXPECT_THROW(batch_format("json", "recs.h5"), ConfigError);
}

class BatchTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    data::SynthOptions s;
    s.users = 300;
    s.anime = 90;
    s.ratings = 9000;
    s.seed = 5;
    dataset_ = testing::synthetic_dataset(*dir_, s);
    train::TrainOptions o;
    o.dataset_path = dataset_;
    o.out_path = dir_->file("m.h5");
    o.als.factors = 6;
    o.iterations = 3;
    o.ranking_factors = 4;  // the ranking part orders the lists
    o.quiet = true;
    dist::SerialComm comm;
    ASSERT_EQ(train::run_training(o, comm), kExitOk);
    model_ = o.out_path;
  }
  static void TearDownTestSuite() { delete dir_; }

  BatchOptions options(const std::string& out) const {
    BatchOptions o;
    o.model_path = model_;
    o.dataset_path = dataset_;
    o.out_path = dir_->file(out);
    o.top = 7;
    o.block_users = 64;  // several blocks, the last one partial
    o.quiet = true;
    return o;
  }

  static TempDir* dir_;
  static std::string dataset_, model_;
};
TempDir* BatchTest::dir_ = nullptr;
std::string BatchTest::dataset_, BatchTest::model_;

TEST_F(BatchTest, EveryUserGetsTheSingleUserList) {
  dist::SerialComm comm;
  for (bool include_seen : {false, true}) {
    BatchOptions o = options(include_seen ? "seen.h5" : "recs.h5");
    o.include_seen = include_seen;
    run_batch_recommend(o, comm);
    const io::Recommendations r = io::read_recommendations(o.out_path);
    const model::Model m = io::read_model(model_);
    ASSERT_TRUE(m.ranking.has_value());
    const io::DatasetHeader h = io::read_dataset_header(dataset_);
    ASSERT_EQ(r.user_ids, m.user_ids);
    ASSERT_EQ(r.top, 7);
    int64_t lists_with_seen = 0, full_lists = 0;
    for (size_t u = 0; u < m.n_users(); u += 13) {
      const UserRows rows = read_user_rows(dataset_, h, static_cast<int32_t>(u));
      const auto single = recommend_for_user(m, static_cast<int32_t>(u), rows, UserMode::kModel,
                                             include_seen, o.top);
      bool has_seen = false;
      // A user who has seen almost everything gets a short list, padded.
      for (size_t k = single.size(); k < 7; ++k) {
        EXPECT_EQ(r.anime_ids[u * 7 + k], -1);
        EXPECT_TRUE(std::isnan(r.scores[u * 7 + k]));
      }
      full_lists += single.size() == 7u ? 1 : 0;
      for (size_t k = 0; k < single.size(); ++k) {
        const size_t i = u * 7 + k;
        EXPECT_EQ(r.anime_ids[i], m.anime_ids[static_cast<size_t>(single[k].anime)])
            << "user row " << u << " rank " << k + 1;
        // A block product sums the k terms in another order than one user's: last bits only.
        EXPECT_NEAR(r.scores[i], single[k].score, 1e-5 * std::fabs(single[k].score) + 1e-6);
        for (int32_t a : rows.anime) has_seen |= a == single[k].anime;
      }
      lists_with_seen += has_seen ? 1 : 0;
    }
    EXPECT_GT(full_lists, 10);
    if (include_seen) {
      EXPECT_GT(lists_with_seen, 0) << "--include-seen never listed a seen anime";
    } else {
      EXPECT_EQ(lists_with_seen, 0);
    }
  }
}

TEST_F(BatchTest, CsvHoldsTheSameListsAsHdf5) {
  dist::SerialComm comm;
  run_batch_recommend(options("same.h5"), comm);
  run_batch_recommend(options("same.csv"), comm);
  const io::Recommendations r = io::read_recommendations(dir_->file("same.h5"));
  std::istringstream csv(testing::read_file(dir_->file("same.csv")));
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  EXPECT_EQ(line, "user_id,rank,anime_id,score");
  size_t rows = 0, entries = 0;
  auto skip_padding = [&] {
    while (entries < r.anime_ids.size() && r.anime_ids[entries] < 0) ++entries;
  };
  while (std::getline(csv, line)) {
    long long user = 0, anime = 0;
    int rank = 0;
    float score = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lld,%d,%lld,%f", &user, &rank, &anime, &score), 4)
        << line;
    skip_padding();  // padding (short lists) is not written to CSV
    ASSERT_LT(entries, r.anime_ids.size());
    const size_t u = entries / 7, k = entries % 7;
    EXPECT_EQ(user, r.user_ids[u]);
    EXPECT_EQ(rank, static_cast<int>(k) + 1);
    EXPECT_EQ(anime, r.anime_ids[entries]);
    EXPECT_EQ(score, r.scores[entries]);  // shortest round-trip text: exact
    ++rows;
    ++entries;
  }
  skip_padding();
  EXPECT_EQ(entries, r.anime_ids.size());
  EXPECT_GT(rows, 0u);
}

TEST_F(BatchTest, BlockSizeDoesNotChangeTheLists) {
  dist::SerialComm comm;
  BatchOptions small = options("b64.h5");
  BatchOptions one_block = options("b1000.h5");
  one_block.block_users = 1000;
  run_batch_recommend(small, comm);
  run_batch_recommend(one_block, comm);
  EXPECT_EQ(io::read_recommendations(small.out_path).anime_ids,
            io::read_recommendations(one_block.out_path).anime_ids);
}

TEST_F(BatchTest, RefusesAnExistingOutWithoutOverwrite) {
  dist::SerialComm comm;
  BatchOptions o = options("exists.csv");
  testing::write_file(o.out_path, "keep me\n");
  EXPECT_THROW(run_batch_recommend(o, comm), IoError);
  EXPECT_EQ(testing::read_file(o.out_path), "keep me\n");
  o.overwrite = true;
  run_batch_recommend(o, comm);
  EXPECT_NE(testing::read_file(o.out_path), "keep me\n");
}

TEST_F(BatchTest, MissingDatasetOrOutIsAConfigError) {
  dist::SerialComm comm;
  BatchOptions o = options("x.h5");
  o.dataset_path.clear();
  EXPECT_THROW(run_batch_recommend(o, comm), ConfigError);
  o = options("");
  o.out_path.clear();
  EXPECT_THROW(run_batch_recommend(o, comm), ConfigError);
}

}  // namespace
}  // namespace animerec::serve
