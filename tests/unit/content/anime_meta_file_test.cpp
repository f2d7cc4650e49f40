// io::read_anime_meta: the /anime group of dataset.h5 on its own.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "../data/sample_dataset.h"
#include "../io/checksum_python.h"
#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "test_support.h"

namespace animerec::io {
namespace {

using animerec::testing::TempDir;

void expect_same_multi(const data::MultiValued& a, const data::MultiValued& b) {
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.values, b.values);
}

TEST(AnimeMetaFileTest, RoundTrip) {
  TempDir dir;
  data::Dataset d = testing::sample_dataset();
  std::string path = dir.file("dataset.h5");
  write_dataset(d, path, false);
  data::AnimeMeta m = read_anime_meta(path);
  const data::AnimeMeta& e = d.anime;
  ASSERT_EQ(m.size(), e.size());
  EXPECT_EQ(m.has_metadata, e.has_metadata);
  EXPECT_EQ(m.title, e.title);
  EXPECT_EQ(m.type, e.type);
  EXPECT_EQ(m.source, e.source);
  EXPECT_EQ(m.age_rating, e.age_rating);
  EXPECT_EQ(m.season, e.season);
  EXPECT_EQ(m.synopsis, e.synopsis);
  EXPECT_EQ(m.episodes, e.episodes);
  EXPECT_EQ(m.year, e.year);
  EXPECT_EQ(m.duration_min, e.duration_min);
  EXPECT_EQ(m.members, e.members);
  for (size_t a = 0; a < e.size(); ++a) {
    if (std::isnan(e.community_score[a])) {
      EXPECT_TRUE(std::isnan(m.community_score[a])) << a;
    } else {
      EXPECT_EQ(m.community_score[a], e.community_score[a]) << a;
    }
  }
  expect_same_multi(m.genres, e.genres);
  expect_same_multi(m.studios, e.studios);
}

// Writes the sample dataset, applies `python` to it (f open read-write) and
// expects read_anime_meta to fail with a message containing `message`.
void expect_damage_rejected(const std::string& python, const std::string& message) {
  const std::string& interpreter = testing::h5py_python();
  if (interpreter.empty()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("d.h5");
  write_dataset(testing::sample_dataset(), path, false);
  std::string script = dir.file("damage.py");
  testing::write_file(script, std::string("import sys\nimport h5py\n") +
                                  testing::kOpenWithRestampPython + python + "\nf.close()\n");
  ASSERT_EQ(std::system(fmt::format("{} '{}' '{}'", interpreter, script, path).c_str()), 0);
  try {
    read_anime_meta(path);
    ADD_FAILURE() << "no error for: " << python;
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(AnimeMetaFileTest, RejectsGenreOutsideItsVocabulary) {
  expect_damage_rejected("f['anime/genres/values'][0] = 99\nrestamp('anime/genres/values')",
                         "/anime/genres/values: entry 0 is 99, outside the vocabulary [0, 3)");
}

TEST(AnimeMetaFileTest, RejectsDecreasingStudioOffsets) {
  expect_damage_rejected("f['anime/studios/offsets'][2] = 0\nrestamp('anime/studios/offsets')",
                         "/anime/studios/offsets: decreases at index 2");
}

TEST(AnimeMetaFileTest, RejectsFilesThatAreNotDatasets) {
  TempDir dir;
  std::string path = dir.file("not.h5");
  testing::write_file(path, "anime_id,name\n1,Cowboy Bebop\n");
  EXPECT_THROW(read_anime_meta(path), IoError);
  EXPECT_THROW(read_anime_meta(dir.file("missing.h5")), IoError);
}

}  // namespace
}  // namespace animerec::io
