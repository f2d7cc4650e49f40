// Which held-out rows the ranking protocols count (eval/held_out.h): one rule
// for evaluate's ranking and similar-anime sections and EASE's tuning.

#include "animerec/eval/held_out.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "../data/sample_dataset.h"

namespace animerec::eval {
namespace {

using data::Split;
using data::Status;

// User 0: a low-scored test row only. User 1: a high-scored test row beside a
// validation row. User 2: an unscored test row. User 3: training rows only.
data::Dataset held_out_dataset() {
  data::Dataset d;
  d.user_ids = {1, 2, 3, 4};
  d.anime_ids = {1, 2, 3};
  testing::set_rows(d, {{0, 0, 9, Status::kCompleted, Split::kTrain},
                        {0, 1, 4, Status::kCompleted, Split::kTest},
                        {1, 0, 8, Status::kCompleted, Split::kValidation},
                        {1, 2, 9, Status::kCompleted, Split::kTest},
                        {2, 1, 0, Status::kWatchedUnrated, Split::kTest},
                        {3, 0, 7, Status::kCompleted, Split::kTrain},
                        {3, 2, 8, Status::kCompleted, Split::kTrain}});
  return d;
}

TEST(HeldOutTest, ExplicitRelevanceNeedsTheScore) {
  const data::Dataset d = held_out_dataset();
  EXPECT_EQ(relevant_users(d, Split::kTest, true, 7.0), (std::vector<int32_t>{1}));
  EXPECT_EQ(relevant_users(d, Split::kTest, true, 4.0), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(relevant_users(d, Split::kValidation, true, 7.0), (std::vector<int32_t>{1}));
  EXPECT_FALSE(has_relevant_row(d, 2, Split::kTest, true, 1.0));
}

TEST(HeldOutTest, ImplicitCountsEveryHeldOutRow) {
  const data::Dataset d = held_out_dataset();
  EXPECT_EQ(relevant_users(d, Split::kTest, false, 7.0), (std::vector<int32_t>{0, 1, 2}));
  EXPECT_FALSE(has_relevant_row(d, 3, Split::kTest, false, 7.0));
}

TEST(HeldOutTest, RelevantUsersAreThoseMarkUserAnimeFindsRelevantAnimeFor) {
  const data::Dataset d = held_out_dataset();
  std::vector<uint8_t> excluded(d.n_anime()), relevant(d.n_anime());
  const std::vector<int32_t> users = relevant_users(d, Split::kTest, true, 7.0);
  for (size_t u = 0; u < d.n_users(); ++u) {
    const bool listed =
        std::find(users.begin(), users.end(), static_cast<int32_t>(u)) != users.end();
    EXPECT_EQ(mark_user_anime(d, u, Split::kTest, true, 7.0, excluded, relevant) > 0, listed) << u;
  }
}

}  // namespace
}  // namespace animerec::eval
