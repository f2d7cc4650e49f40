// Array checksums (docs/model-format.md, "Checksums"): a flipped byte in any
// stored array of a model, checkpoint or dataset is reported as a checksum
// mismatch naming the file and the array; the checksum is the documented
// SHA-256, so other tools can verify it; files cut short fail cleanly.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "../data/sample_dataset.h"
#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "test_support.h"

namespace animerec::io {
namespace {

using animerec::testing::have_h5py;
using animerec::testing::read_file;
using animerec::testing::run_python;
using animerec::testing::TempDir;
using animerec::testing::write_file;
using model::Checkpoint;
using model::Model;

// 2 users, 3 anime, k = 2, a content part (int64 offsets, int32 columns,
// float values, a 4 x 2 matrix) and a ranking part of k = 3: every kind of
// array a model file holds. Strings are distinctive so tests can find them.
Model full_model() {
  Model m;
  m.feedback = als::Feedback::kExplicit;
  m.factors = 2;
  m.global_mean = 7.0f;
  m.user_ids = {1, 2};
  m.anime_ids = {10, 11, 12};
  m.anime_titles = {"Cowboy Bebop", "Mushishi", "Steins;Gate"};
  m.user_factors = als::FactorMatrix::Constant(2, 2, 0.25f);
  m.anime_factors = als::FactorMatrix::Constant(3, 2, -0.5f);
  m.user_bias = {0.1f, 0.2f};
  m.anime_bias = {0.3f, 0.4f, 0.5f};
  m.history = {R"({"iteration":1,"train_rmse":1.5})"};
  m.best_iteration = 1;
  m.config = {{"lambda", "0.0625"}};
  m.dataset_sha256 = std::string(64, 'a');
  model::ContentPart c;
  c.lambda_content = 2.5;
  c.ridge = 1.0;
  c.names = {"Action", "Drama", "TV", "synopsis: mecha"};
  c.groups = {"genre", "genre", "type", "synopsis"};
  c.idf = {1.0f, 1.0f, 1.0f, 2.75f};
  c.offsets = {0, 3, 3, 5};
  c.cols = {0, 2, 3, 1, 2};
  c.values = {0.7071f, 0.5f, 1.0f, 1.0f, 0.5f};
  c.w = als::FactorMatrix::Constant(4, 2, 0.125f);
  c.w_bias = {0.05f, -0.25f, 0.0f, 1.0f};
  m.content = c;
  model::RankingPart r;
  r.alpha = 4;
  r.lambda = 0.5;
  r.blend = 0.1;
  r.user_factors = als::FactorMatrix::Constant(2, 3, 0.75f);
  r.anime_factors = als::FactorMatrix::Constant(3, 3, -0.75f);
  m.ranking = r;
  return m;
}

Checkpoint full_checkpoint() {
  Checkpoint c;
  c.current = full_model();
  c.iteration = 2;
  c.best_iteration = 1;
  c.current.best_iteration = 1;
  c.best_user_factors = als::FactorMatrix::Constant(2, 2, 1.5f);
  c.best_anime_factors = als::FactorMatrix::Constant(3, 2, -1.5f);
  c.best_user_bias = {0.5f, 0.25f};
  c.best_anime_bias = {0.0f, 0.125f, 0.25f};
  c.best_metric = 1.25;
  c.bad_iterations = 1;
  return c;
}

struct StoredArray {
  std::string name;  // "/anime/factors"
  size_t offset = 0;
  size_t bytes = 0;
};

// Every non-empty numeric array of the file with where its raw bytes lie
// (writers store them contiguous and uncompressed by default).
std::vector<StoredArray> numeric_arrays(const TempDir& dir, const std::string& path) {
  std::string list = path + ".arrays";
  EXPECT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r')\n"
                       "rows = []\n"
                       "def visit(name, obj):\n"
                       "    if isinstance(obj, h5py.Dataset) and obj.size > 0 and\\\n"
                       "            h5py.check_string_dtype(obj.dtype) is None:\n"
                       "        rows.append(f'/{name} {obj.id.get_offset()} "
                       "{obj.id.get_storage_size()}\\n')\n"
                       "f.visititems(visit)\n"
                       "open(sys.argv[1] + '.arrays', 'w').write(''.join(rows))\n",
                       path),
            0);
  std::vector<StoredArray> arrays;
  std::istringstream in(read_file(list));
  StoredArray a;
  while (in >> a.name >> a.offset >> a.bytes) arrays.push_back(a);
  std::filesystem::remove(list);
  return arrays;
}

void expect_io_error(const std::function<void()>& f, const std::string& message) {
  try {
    f();
    ADD_FAILURE() << "expected IoError: " << message;
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

// Flips one bit of byte `at` of a copy of `original` at `path`.
void write_flipped(const std::string& original, size_t at, const std::string& path) {
  std::string bytes = original;
  bytes.at(at) = static_cast<char>(bytes[at] ^ 0x10);
  write_file(path, bytes);
}

// For each numeric array: a copy with one byte in the middle of its data
// flipped is refused by `read` as a checksum mismatch in that array.
void expect_every_flip_detected(const TempDir& dir, const std::string& path,
                                const std::function<void(const std::string&)>& read,
                                const std::vector<std::string>& must_cover) {
  auto arrays = numeric_arrays(dir, path);
  for (const std::string& name : must_cover) {
    EXPECT_TRUE(std::any_of(arrays.begin(), arrays.end(),
                            [&](const StoredArray& a) { return a.name == name; }))
        << name << " not among the arrays of " << path;
  }
  std::string original = read_file(path);
  std::string victim = dir.file("victim.h5");
  for (const StoredArray& a : arrays) {
    SCOPED_TRACE(a.name);
    write_flipped(original, a.offset + a.bytes / 2, victim);
    expect_io_error([&] { read(victim); },
                    victim + ": checksum mismatch in " + a.name + ": the file is corrupt");
  }
}

TEST(ChecksumTest, FlippedByteInAnyModelArrayIsDetected) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(full_model(), path, false);
  expect_every_flip_detected(
      dir, path, [](const std::string& p) { read_model(p); },
      {"/users/ids", "/users/factors", "/users/bias", "/anime/ids", "/anime/factors", "/anime/bias",
       "/content/idf", "/content/offsets", "/content/cols", "/content/values", "/content/w",
       "/content/w_bias", "/ranking/user_factors", "/ranking/anime_factors"});
}

TEST(ChecksumTest, FlippedByteInAnyCheckpointArrayIsDetected) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("checkpoint.h5");
  write_checkpoint(full_checkpoint(), path);
  expect_every_flip_detected(dir, path, [](const std::string& p) { read_checkpoint(p); },
                             {"/users/factors", "/anime/factors", "/best/user_factors",
                              "/best/anime_factors", "/best/user_bias", "/best/anime_bias"});
}

TEST(ChecksumTest, FlippedByteInAnyDatasetArrayIsDetected) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("dataset.h5");
  write_dataset(testing::sample_dataset(), path, false);
  expect_every_flip_detected(
      dir, path, [](const std::string& p) { read_dataset(p); },
      {"/users/ids", "/anime/ids", "/anime/cold", "/anime/members", "/anime/community_score",
       "/anime/genres/values", "/ratings/by_user/anime", "/ratings/by_user/score",
       "/ratings/by_user/status", "/ratings/by_user/split", "/ratings/by_anime/user",
       "/ratings/user_offsets", "/ratings/anime_offsets", "/provenance/counts/value"});
  // A rank reading the whole by_user orientation verifies it too.
  auto arrays = numeric_arrays(dir, path);
  auto score = std::find_if(arrays.begin(), arrays.end(), [](const StoredArray& a) {
    return a.name == "/ratings/by_user/score";
  });
  ASSERT_NE(score, arrays.end());
  std::string victim = dir.file("victim.h5");
  write_flipped(read_file(path), score->offset, victim);
  auto n = read_dataset_header(path).n_ratings;
  expect_io_error([&] { read_rating_slice(victim, Orientation::kByUser, 0, n); },
                  victim + ": checksum mismatch in /ratings/by_user/score: the file is corrupt");
}

// Strings live in HDF5's global heap; a changed character in one is caught too.
TEST(ChecksumTest, ChangedCharacterInAStringArrayIsDetected) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(full_model(), path, false);
  const std::string original = read_file(path);
  const std::pair<std::string, std::string> strings[] = {
      {"Mushishi", "/anime/titles"},
      {"train_rmse", "/training/history"},
      {"0.0625", "/config/value"},
      {"synopsis: mecha", "/content/names"},
  };
  std::string victim = dir.file("victim.h5");
  for (const auto& [text, name] : strings) {
    SCOPED_TRACE(name);
    size_t at = original.find(text);
    ASSERT_NE(at, std::string::npos);
    ASSERT_EQ(original.find(text, at + 1), std::string::npos) << "not unique in the file";
    write_flipped(original, at + 1, victim);
    expect_io_error([&] { read_model(victim); },
                    victim + ": checksum mismatch in " + name + ": the file is corrupt");
  }
}

TEST(ChecksumTest, CleanFilesStillLoad) {
  TempDir dir;
  write_model(full_model(), dir.file("model.h5"), false);
  write_checkpoint(full_checkpoint(), dir.file("checkpoint.h5"));
  EXPECT_EQ(read_model(dir.file("model.h5")).anime_titles, full_model().anime_titles);
  EXPECT_EQ(read_checkpoint(dir.file("checkpoint.h5")).iteration, 2);
}

// The attribute is exactly what docs/model-format.md says, so a user can
// check a file with nothing but h5py and hashlib.
TEST(ChecksumTest, ChecksumsFollowTheDocumentedDefinition) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  write_checkpoint(full_checkpoint(), dir.file("checkpoint.h5"));
  write_dataset(testing::sample_dataset(), dir.file("dataset.h5"), false);
  const std::string check =
      "import hashlib\n"
      "f = h5py.File(sys.argv[1], 'r')\n"
      "seen = []\n"
      "def visit(name, d):\n"
      "    if not isinstance(d, h5py.Dataset): return\n"
      "    if h5py.check_string_dtype(d.dtype) is not None:\n"
      "        raw = b''.join(s + b'\\0' for s in d[()])\n"
      "    else:\n"
      "        raw = d[()].astype(d.dtype.newbyteorder('<')).tobytes()\n"
      "    assert d.attrs['sha256'] == hashlib.sha256(raw).hexdigest(), name\n"
      "    seen.append(name)\n"
      "f.visititems(visit)\n"
      "assert len(seen) >= 20, seen\n";
  EXPECT_EQ(run_python(dir, check, dir.file("checkpoint.h5")), 0);
  EXPECT_EQ(run_python(dir, check, dir.file("dataset.h5")), 0);
}

TEST(ChecksumTest, ModelArrayWithoutChecksumIsRefused) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(full_model(), path, false);
  ASSERT_EQ(run_python(dir, "del h5py.File(sys.argv[1], 'r+')['anime/bias'].attrs['sha256']", path),
            0);
  expect_io_error([&] { read_model(path); },
                  path + ": field /anime/bias: has no sha256 checksum attribute (damaged file?)");
}

TEST(ChecksumTest, ChecksumOfTheWrongKindIsRefused) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(full_model(), path, false);
  ASSERT_EQ(run_python(dir, "h5py.File(sys.argv[1], 'r+')['users/bias'].attrs['sha256'] = 5", path),
            0);
  expect_io_error([&] { read_model(path); },
                  path +
                      ": field /users/bias: has an unreadable sha256 checksum attribute (damaged "
                      "file?)");
}

// Datasets written before checksums existed stay readable (format version 1).
TEST(ChecksumTest, DatasetWithoutChecksumsIsAccepted) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("dataset.h5");
  write_dataset(testing::sample_dataset(), path, false);
  ASSERT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r+')\n"
                       "f.visititems(lambda n, d: d.attrs.__delitem__('sha256')\n"
                       "             if isinstance(d, h5py.Dataset) else None)\n",
                       path),
            0);
  EXPECT_EQ(read_dataset(path).n_ratings(), testing::sample_dataset().n_ratings());
}

TEST(ChecksumTest, VersionOneModelsAreRefusedWithAReason) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(full_model(), path, false);
  ASSERT_EQ(
      run_python(dir, "h5py.File(sys.argv[1], 'r+').attrs['format_version'] = np.int64(1)", path),
      0);
  expect_io_error([&] { read_model(path); },
                  path +
                      ": field /@format_version: version 1 is not supported (this program reads "
                      "version 2; version 1 files carry no checksums: train again to rewrite it)");
}

// A file cut anywhere is an IoError naming it, never a crash or a partial read.
TEST(ChecksumTest, FilesCutShortAreRejected) {
  TempDir dir;
  write_model(full_model(), dir.file("model.h5"), false);
  write_checkpoint(full_checkpoint(), dir.file("checkpoint.h5"));
  write_dataset(testing::sample_dataset(), dir.file("dataset.h5"), false);
  const std::pair<std::string, std::function<void(const std::string&)>> files[] = {
      {"model.h5", [](const std::string& p) { read_model(p); }},
      {"checkpoint.h5", [](const std::string& p) { read_checkpoint(p); }},
      {"dataset.h5", [](const std::string& p) { read_dataset(p); }},
  };
  std::string cut = dir.file("cut.h5");
  for (const auto& [name, read] : files) {
    std::string bytes = read_file(dir.file(name));
    std::vector<size_t> lengths = {0, 7, 100, 1000};
    for (int eighth = 1; eighth < 8; ++eighth) lengths.push_back(bytes.size() * eighth / 8);
    lengths.push_back(bytes.size() - 1);
    for (size_t n : lengths) {
      SCOPED_TRACE(fmt::format("{} cut to {} of {} bytes", name, n, bytes.size()));
      write_file(cut, bytes.substr(0, n));
      try {
        read(cut);
        ADD_FAILURE() << "no error";
      } catch (const IoError& e) {
        EXPECT_EQ(std::string(e.what()).rfind(cut, 0), 0u) << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace animerec::io
