// read_local_data: the blocks it builds hold exactly their entries, allocated
// once (the memory check counts each block once; a vector grown by doubling
// holds its old and new buffers together at the moment memory peaks).
#include "animerec/train/local_data.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::train {
namespace {

void expect_exact(const als::RatingBlock& b, const char* what) {
  EXPECT_GT(b.cols.size(), 0u) << what;
  EXPECT_EQ(b.cols.capacity(), b.cols.size()) << what;
  EXPECT_EQ(b.values.capacity(), b.values.size()) << what;
  EXPECT_EQ(b.offsets.capacity(), b.offsets.size()) << what;
}

TEST(LocalData, BlocksAreAllocatedOnceAtTheirSize) {
  testing::TempDir dir;
  data::SynthOptions s;
  s.users = 300;
  s.anime = 120;
  s.ratings = 15000;
  s.seed = 5;
  const std::string path = testing::synthetic_dataset(dir, s);
  const io::DatasetHeader h = io::read_dataset_header(path);
  // The second half of the users and the first half of the anime, for an
  // explicit and an implicit fit.
  const dist::Block users{static_cast<int64_t>(h.n_users() / 2), static_cast<int64_t>(h.n_users())};
  const dist::Block anime{0, static_cast<int64_t>(h.n_anime() / 2)};
  const std::vector<EntryRule> rules{EntryRule{als::Feedback::kExplicit, {}},
                                     EntryRule{als::Feedback::kImplicit, {}}};
  const LocalData d = read_local_data(path, h, users, anime, rules);
  ASSERT_EQ(d.fits.size(), 2u);
  for (const FitBlocks& f : d.fits) {
    expect_exact(f.user_block, "user block");
    expect_exact(f.anime_block, "anime block");
    EXPECT_EQ(f.user_block.offsets.size(), static_cast<size_t>(users.size()) + 1);
    EXPECT_EQ(f.anime_block.offsets.size(), static_cast<size_t>(anime.size()) + 1);
  }
}

}  // namespace
}  // namespace animerec::train
