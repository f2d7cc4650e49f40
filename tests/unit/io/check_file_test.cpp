// io::check_file and `animerec check`: any animerec file verified in full.

#include "animerec/io/check_file.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "../data/sample_dataset.h"
#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/io/recs_file.h"
#include "test_support.h"

namespace animerec::io {
namespace {

using testing::have_h5py;
using testing::read_file;
using testing::run_python;
using testing::TempDir;
using testing::write_file;

// 2 users, 3 anime, k = 2: 10 arrays (users: ids, factors, bias; anime: ids, titles,
// factors, bias; /training/history; /config name and value); a checkpoint adds 4 in /best.
model::Model small_model() {
  model::Model m;
  m.factors = 2;
  m.user_ids = {1, 2};
  m.anime_ids = {10, 11, 12};
  m.anime_titles = {"a", "b", "c"};
  m.user_factors = als::FactorMatrix::Constant(2, 2, 0.25f);
  m.anime_factors = als::FactorMatrix::Constant(3, 2, 0.5f);
  m.user_bias = {0.0f, 0.0f};
  m.anime_bias = {0.0f, 0.0f, 0.0f};
  return m;
}

TEST(CheckFileTest, SummarisesEachKindOfFile) {
  TempDir dir;
  write_model(small_model(), dir.file("model.h5"), false);
  model::Checkpoint c;
  c.current = small_model();
  c.iteration = 4;
  c.best_user_factors = c.current.user_factors;
  c.best_anime_factors = c.current.anime_factors;
  c.best_user_bias = c.current.user_bias;
  c.best_anime_bias = c.current.anime_bias;
  write_checkpoint(c, dir.file("checkpoint.h5"));
  write_dataset(testing::sample_dataset(), dir.file("dataset.h5"), false);
  EXPECT_EQ(check_file(dir.file("model.h5")),
            dir.file("model.h5") +
                ": ok: model, 2 users, 3 anime, k = 2; all 10 arrays match their checksums\n");
  EXPECT_EQ(check_file(dir.file("checkpoint.h5")),
            dir.file("checkpoint.h5") +
                ": ok: checkpoint after iteration 4, 2 users, 3 anime, k = 2; all 14 arrays match "
                "their checksums\n");
  std::string summary = check_file(dir.file("dataset.h5"));
  EXPECT_EQ(
      summary.rfind(dir.file("dataset.h5") + ": ok: dataset, 3 users, 4 anime, 8 ratings; all ", 0),
      0u)
      << summary;
}

// recs.h5 of `recommend --all-users` is the project's own file too: check
// reads it like the other kinds instead of calling it foreign.
TEST(CheckFileTest, SummarisesRecommendationFiles) {
  TempDir dir;
  Recommendations r;
  r.top = 2;
  r.user_ids = {1, 2, 3};
  r.anime_ids = {10, 11, 12, 10, 11, -1};
  r.scores = {9.0f, 8.5f, 7.0f, 6.0f, 5.0f, std::numeric_limits<float>::quiet_NaN()};
  r.model_path = "model.h5";
  r.dataset_path = "dataset.h5";
  const std::string path = dir.file("recs.h5");
  write_recommendations(r, path, false);
  const std::string summary = check_file(path);
  EXPECT_EQ(summary.rfind(path + ": ok: recommendations, top 2 for 3 users; all ", 0), 0u)
      << summary;
  EXPECT_EQ(summary.find("not an animerec file"), std::string::npos) << summary;
}

TEST(CheckFileTest, DamagedFileFailsWithTheReadersMessage) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(small_model(), path, false);
  std::string bytes = read_file(path);
  // The anime titles are the only "b" string; its heap copy is changed.
  size_t at = bytes.find(std::string("b\0", 2));
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'x';
  write_file(path, bytes);
  try {
    check_file(path);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              path + ": checksum mismatch in /anime/titles: the file is corrupt");
  }
}

TEST(CheckFileTest, OlderDatasetsWithoutChecksumsAreCounted) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("dataset.h5");
  write_dataset(testing::sample_dataset(), path, false);
  ASSERT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r+')\n"
                       "del f['users/ids'].attrs['sha256']\n"
                       "del f['anime/ids'].attrs['sha256']\n",
                       path),
            0);
  std::string summary = check_file(path);
  EXPECT_NE(summary.find("arrays match their checksums; 2 have none (written before checksums "
                         "existed)"),
            std::string::npos)
      << summary;
}

TEST(CheckFileTest, CommandExitsTwoOnAForeignFile) {
  TempDir dir;
  std::string path = dir.file("notes.txt");
  write_file(path, "not hdf5\n");
  std::string output;
  EXPECT_EQ(testing::run_animerec("check '" + path + "'", &output), 2);
  EXPECT_NE(output.find(path + " is not an HDF5 file"), std::string::npos) << output;
}

}  // namespace
}  // namespace animerec::io
