#include "animerec/io/dataset_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "../data/sample_dataset.h"
#include "animerec/core/error.h"
#include "checksum_python.h"
#include "test_support.h"

namespace animerec::io {
namespace {

using animerec::testing::read_file;
using animerec::testing::sample_dataset;
using animerec::testing::TempDir;
using animerec::testing::write_file;

using animerec::testing::h5py_python;
using animerec::testing::have_h5py;
using animerec::testing::run_python;

void expect_io_error(const std::function<void()>& f, const std::string& message) {
  try {
    f();
    FAIL() << "expected IoError: " << message;
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

bool same_float(float a, float b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

void expect_same_ratings(const data::RatingArrays& a, const data::RatingArrays& b) {
  EXPECT_EQ(a.user, b.user);
  EXPECT_EQ(a.anime, b.anime);
  EXPECT_EQ(a.score, b.score);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.split, b.split);
}

void expect_same_multi(const data::MultiValued& a, const data::MultiValued& b) {
  EXPECT_EQ(a.vocab, b.vocab);
  EXPECT_EQ(a.offsets, b.offsets);
  EXPECT_EQ(a.values, b.values);
}

void expect_same_dataset(const data::Dataset& a, const data::Dataset& b) {
  EXPECT_EQ(a.user_ids, b.user_ids);
  EXPECT_EQ(a.anime_ids, b.anime_ids);
  EXPECT_EQ(a.score_min, b.score_min);
  EXPECT_EQ(a.score_max, b.score_max);
  expect_same_ratings(a.by_user, b.by_user);
  EXPECT_EQ(a.user_offsets, b.user_offsets);
  expect_same_ratings(a.by_anime, b.by_anime);
  EXPECT_EQ(a.anime_offsets, b.anime_offsets);
  EXPECT_EQ(a.cold_anime, b.cold_anime);
  const auto& m = a.anime;
  const auto& n = b.anime;
  EXPECT_EQ(m.has_metadata, n.has_metadata);
  EXPECT_EQ(m.title, n.title);
  EXPECT_EQ(m.type, n.type);
  EXPECT_EQ(m.source, n.source);
  EXPECT_EQ(m.age_rating, n.age_rating);
  EXPECT_EQ(m.season, n.season);
  EXPECT_EQ(m.synopsis, n.synopsis);
  EXPECT_EQ(m.episodes, n.episodes);
  EXPECT_EQ(m.year, n.year);
  EXPECT_EQ(m.duration_min, n.duration_min);
  EXPECT_EQ(m.members, n.members);
  ASSERT_EQ(m.community_score.size(), n.community_score.size());
  for (size_t i = 0; i < m.community_score.size(); ++i) {
    EXPECT_TRUE(same_float(m.community_score[i], n.community_score[i])) << "anime " << i;
  }
  expect_same_multi(m.genres, n.genres);
  expect_same_multi(m.studios, n.studios);
  const auto& p = a.provenance;
  const auto& q = b.provenance;
  EXPECT_EQ(p.command_line, q.command_line);
  EXPECT_EQ(p.program_version, q.program_version);
  EXPECT_EQ(p.build_commit, q.build_commit);
  ASSERT_EQ(p.inputs.size(), q.inputs.size());
  for (size_t i = 0; i < p.inputs.size(); ++i) {
    EXPECT_EQ(p.inputs[i].role, q.inputs[i].role);
    EXPECT_EQ(p.inputs[i].path, q.inputs[i].path);
    EXPECT_EQ(p.inputs[i].layout, q.inputs[i].layout);
    EXPECT_EQ(p.inputs[i].size_bytes, q.inputs[i].size_bytes);
    EXPECT_EQ(p.inputs[i].sha256, q.inputs[i].sha256);
  }
  EXPECT_EQ(p.counts, q.counts);
  EXPECT_EQ(p.params, q.params);
}

TEST(DatasetFileTest, RoundTripKeepsEveryField) {
  TempDir dir;
  std::string path = dir.file("d.h5");
  data::Dataset d = sample_dataset();
  write_dataset(d, path, false);
  expect_same_dataset(read_dataset(path), d);
}

TEST(DatasetFileTest, RoundTripEmptyDataset) {
  TempDir dir;
  std::string path = dir.file("empty.h5");
  data::Dataset d;
  d.user_offsets = {0};
  d.anime_offsets = {0};
  d.anime.resize(0);
  write_dataset(d, path, false);
  expect_same_dataset(read_dataset(path), d);
}

TEST(DatasetFileTest, RoundTripLargeChunkedArrays) {
  TempDir dir;
  std::string path = dir.file("big.h5");
  // About 300k rows: several compressed chunks per rating array.
  data::Dataset d = testing::random_dataset(1500, 400, 0.5, 11);
  ASSERT_GT(d.n_ratings(), 250000u);
  write_dataset(d, path, false);
  expect_same_dataset(read_dataset(path), d);
}

TEST(DatasetFileTest, WritingIsDeterministic) {
  TempDir dir;
  data::Dataset d = sample_dataset();
  data::Dataset big = testing::random_dataset(600, 300, 0.5, 3);
  write_dataset(d, dir.file("a.h5"), false);
  write_dataset(big, dir.file("big_a.h5"), false);
  // Object header timestamps have one-second resolution: wait past it so a
  // stray timestamp would show up as a difference.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write_dataset(d, dir.file("b.h5"), false);
  write_dataset(big, dir.file("big_b.h5"), false);
  EXPECT_TRUE(read_file(dir.file("a.h5")) == read_file(dir.file("b.h5")));
  EXPECT_TRUE(read_file(dir.file("big_a.h5")) == read_file(dir.file("big_b.h5")));
}

TEST(DatasetFileTest, OverwriteRefusedWithoutFlag) {
  TempDir dir;
  std::string path = dir.file("d.h5");
  data::Dataset d = sample_dataset();
  write_dataset(d, path, false);
  std::string before = read_file(path);
  data::Dataset other = testing::random_dataset(5, 5, 0.5, 1);
  expect_io_error([&] { write_dataset(other, path, false); },
                  "--out " + path + " exists; pass --overwrite to replace it");
  EXPECT_TRUE(read_file(path) == before);
  write_dataset(other, path, true);
  EXPECT_EQ(read_dataset(path).user_ids, other.user_ids);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            1);  // no temporary file left behind
}

TEST(DatasetFileTest, InvalidDatasetIsNotWritten) {
  TempDir dir;
  std::string path = dir.file("d.h5");
  data::Dataset d = sample_dataset();
  d.by_user.split[0] = 9;
  expect_io_error(
      [&] { write_dataset(d, path, false); },
      "dataset to write to " + path + ": field by_user.split: row 0 has unknown split code 9");
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(DatasetFileTest, MissingFile) {
  TempDir dir;
  std::string path = dir.file("nothing.h5");
  expect_io_error([&] { read_dataset(path); }, path + ": no such file");
}

TEST(DatasetFileTest, TextFileIsNotHdf5) {
  TempDir dir;
  std::string path = dir.file("ratings.csv");
  write_file(path, "user_id,anime_id,rating\n1,2,3\n");
  expect_io_error([&] { read_dataset(path); }, path + " is not an HDF5 file");
}

TEST(DatasetFileTest, TruncatedFileIsRejected) {
  TempDir dir;
  std::string path = dir.file("d.h5");
  write_dataset(sample_dataset(), path, false);
  std::string bytes = read_file(path);
  write_file(path, bytes.substr(0, bytes.size() / 2));
  expect_io_error([&] { read_dataset(path); },
                  path + ": HDF5 cannot open the file (truncated or damaged?)");
}

TEST(DatasetFileTest, ForeignHdf5FileIsNotADataset) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("foreign.h5");
  ASSERT_EQ(run_python(dir, "h5py.File(sys.argv[1], 'w')['x'] = np.arange(3)", path), 0);
  expect_io_error([&] { read_dataset(path); },
                  path + " is not an animerec dataset (no format attribute)");
}

TEST(DatasetFileTest, OtherFormatAttributeIsNotADataset) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  ASSERT_EQ(run_python(dir, "h5py.File(sys.argv[1], 'w').attrs['format'] = 'animerec-model'", path),
            0);
  expect_io_error([&] { read_dataset(path); },
                  path + " is not an animerec dataset (format attribute is \"animerec-model\")");
}

// Writes the sample, lets a python snippet damage it, expects `message`
// (with FILE standing for the path) from read_dataset.
void expect_damage_rejected(const std::string& python, const std::string& field_message) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("d.h5");
  write_dataset(sample_dataset(), path, false);
  ASSERT_EQ(run_python(dir, std::string(testing::kOpenWithRestampPython) + python, path), 0);
  expect_io_error([&] { read_dataset(path); }, path + field_message);
}

TEST(DatasetFileTest, OtherVersionIsRejected) {
  expect_damage_rejected("f.attrs['format_version'] = np.int64(2)",
                         ": field /@format_version: version 2 is not supported (this program "
                         "reads version 1)");
}

TEST(DatasetFileTest, TruncatedArrayIsRejected) {
  expect_damage_rejected(
      "del f['ratings/by_user/score']\n"
      "f['ratings/by_user/score'] = np.ones(7, dtype='<f4')",
      ": field /ratings/by_user/score: has 7 elements, expected 8 (the length of "
      "/ratings/by_user/anime)");
}

TEST(DatasetFileTest, ShortOffsetsAreRejected) {
  expect_damage_rejected(
      "del f['ratings/user_offsets']\n"
      "f['ratings/user_offsets'] = np.array([0, 3, 8], dtype='<i8')",
      ": field /ratings/user_offsets: has 3 elements, expected 4 (the number of users + 1)");
}

TEST(DatasetFileTest, WrongTypeIsRejected) {
  expect_damage_rejected(
      "del f['users/ids']\n"
      "f['users/ids'] = np.array([10.0, 20.0, 35.0])",
      ": field /users/ids: has type float64, expected int64");
}

TEST(DatasetFileTest, WrongRankIsRejected) {
  expect_damage_rejected(
      "del f['anime/has_metadata']\n"
      "f['anime/has_metadata'] = np.ones((2, 2), dtype='u1')",
      ": field /anime/has_metadata: has rank 2, expected a 1-D array");
}

// Found by fuzz/dataset_struct_fuzzer: arrays whose length only the file
// gives (ids, provenance names) were allocated at their declared size, so a
// few bytes declaring 2^38 strings made the reader allocate 8 TiB.
TEST(DatasetFileTest, HugeDeclaredStringArrayIsRejectedBeforeAllocating) {
  expect_damage_rejected(
      "del f['provenance/params/name']\n"
      "f.create_dataset('provenance/params/name', shape=(2**38,), dtype=h5py.string_dtype(),\n"
      "                 chunks=(1,))",
      ": field /provenance/params/name: declares 274877906944 elements of 8 bytes but the "
      "file stores only 0 bytes (damaged file?)");
}

TEST(DatasetFileTest, HugeDeclaredIdsAreRejectedBeforeAllocating) {
  expect_damage_rejected(
      "del f['users/ids']\n"
      "f.create_dataset('users/ids', shape=(2**37,), dtype='<i8', chunks=(1,))",
      ": field /users/ids: declares 137438953472 elements of 8 bytes but the file stores only 0 "
      "bytes (damaged file?)");
}

TEST(DatasetFileTest, MissingArrayIsRejected) {
  expect_damage_rejected("del f['anime/genres/values']",
                         ": field /anime/genres/values: is missing");
}

TEST(DatasetFileTest, InconsistentContentIsRejectedByValidate) {
  expect_damage_rejected("f['ratings/by_user/anime'][1] = 0\nrestamp('ratings/by_user/anime')",
                         ": field by_user.anime: row 1 repeats the pair (user 0, anime 0)");
}

TEST(DatasetFileTest, ReadableByH5py) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("d.h5");
  write_dataset(sample_dataset(), path, false);
  std::string check =
      "f = h5py.File(sys.argv[1], 'r')\n"
      "s = f['ratings/by_user/score'][:]\n"
      "assert list(s) == [8, 0, 6, 10, 7, 4, 9, 0], s\n"
      "assert f.attrs['format'] == 'animerec-dataset'\n"
      "assert f.attrs['format_version'] == 1\n"
      "assert f['anime/title'][3].decode('utf-8') == '\u9032\u6483\u306e\u5de8\u4eba'\n"
      "assert list(f['ratings/user_offsets'][:]) == [0, 3, 6, 8]\n";
  EXPECT_EQ(run_python(dir, check, path), 0);
}

TEST(DatasetFileTest, HeaderHasIdsOffsetsScaleAndProvenance) {
  TempDir dir;
  std::string path = dir.file("d.h5");
  data::Dataset d = sample_dataset();
  write_dataset(d, path, false);
  DatasetHeader h = read_dataset_header(path);
  EXPECT_EQ(h.format_version, data::Dataset::kFormatVersion);
  EXPECT_EQ(h.user_ids, d.user_ids);
  EXPECT_EQ(h.anime_ids, d.anime_ids);
  EXPECT_EQ(h.user_offsets, d.user_offsets);
  EXPECT_EQ(h.anime_offsets, d.anime_offsets);
  EXPECT_EQ(h.cold_anime, d.cold_anime);
  EXPECT_EQ(h.score_min, 1);
  EXPECT_EQ(h.score_max, 10);
  EXPECT_EQ(h.n_ratings, 8);
  EXPECT_EQ(h.provenance.counts, d.provenance.counts);
  EXPECT_EQ(h.provenance.command_line, d.provenance.command_line);
}

data::RatingArrays rows_of(const data::RatingArrays& r, size_t begin, size_t end) {
  data::RatingArrays out;
  for (size_t i = begin; i < end; ++i) {
    out.user.push_back(r.user[i]);
    out.anime.push_back(r.anime[i]);
    out.score.push_back(r.score[i]);
    out.status.push_back(r.status[i]);
    out.split.push_back(r.split[i]);
  }
  return out;
}

TEST(DatasetFileTest, RatingSliceReturnsTheRows) {
  TempDir dir;
  std::string path = dir.file("d.h5");
  data::Dataset d = sample_dataset();
  write_dataset(d, path, false);
  // Users 1..2 by user, anime 2 by anime.
  expect_same_ratings(read_rating_slice(path, Orientation::kByUser, 3, 8),
                      rows_of(d.by_user, 3, 8));
  expect_same_ratings(read_rating_slice(path, Orientation::kByAnime, 4, 6),
                      rows_of(d.by_anime, 4, 6));
  EXPECT_EQ(read_rating_slice(path, Orientation::kByUser, 8, 8).size(), 0u);
  expect_io_error([&] { read_rating_slice(path, Orientation::kByAnime, 2, 9); },
                  path + ": rows [2, 9) are outside /ratings/by_anime (8 rows)");
  expect_io_error([&] { read_rating_slice(path, Orientation::kByUser, -1, 2); },
                  path + ": rows [-1, 2) are outside /ratings/by_user (8 rows)");
}

TEST(DatasetFileTest, RatingSliceAcrossChunks) {
  TempDir dir;
  std::string path = dir.file("big.h5");
  data::Dataset d = testing::random_dataset(1500, 400, 0.5, 5);
  write_dataset(d, path, false);
  size_t n = d.n_ratings();
  for (auto [b, e] :
       {std::pair<size_t, size_t>{0, 1}, {1000, 270000}, {262143, 262145}, {n - 10, n}, {0, n}}) {
    SCOPED_TRACE(fmt::format("rows [{}, {})", b, e));
    expect_same_ratings(read_rating_slice(path, Orientation::kByUser, b, e),
                        rows_of(d.by_user, b, e));
    expect_same_ratings(read_rating_slice(path, Orientation::kByAnime, b, e),
                        rows_of(d.by_anime, b, e));
  }
}

// ---------------------------------------------------------------- hostile files
// Each damage keeps the checksums right (restamp), so the check behind them
// is what answers.

TEST(DatasetFileTest, IdsNotAscendingAreRejected) {
  expect_damage_rejected(
      "f['users/ids'][1] = 10\nrestamp('users/ids')",
      ": field /users/ids: is not strictly ascending (id 10 at index 1 after 10)");
  expect_damage_rejected("f['anime/ids'][3] = 6\nrestamp('anime/ids')",
                         ": field /anime/ids: is not strictly ascending (id 6 at index 3 after 7)");
}

TEST(DatasetFileTest, OffsetsNotMonotoneOrOutOfRangeAreRejected) {
  expect_damage_rejected("f['ratings/user_offsets'][1] = 7\nrestamp('ratings/user_offsets')",
                         ": field /ratings/user_offsets: decreases at index 2 (6 after 7)");
  expect_damage_rejected("f['ratings/anime_offsets'][4] = 100\nrestamp('ratings/anime_offsets')",
                         ": field /ratings/anime_offsets: ends at 100, expected the number of "
                         "ratings 8");
  expect_damage_rejected("f['ratings/user_offsets'][0] = -1\nrestamp('ratings/user_offsets')",
                         ": field /ratings/user_offsets: starts at -1, not 0");
}

TEST(DatasetFileTest, CodesOutOfRangeAreRejected) {
  expect_damage_rejected("f['ratings/by_user/status'][2] = 5\nrestamp('ratings/by_user/status')",
                         ": field by_user.status: row 2 has unknown status code 5");
  expect_damage_rejected("f['ratings/by_user/split'][0] = 3\nrestamp('ratings/by_user/split')",
                         ": field by_user.split: row 0 has unknown split code 3");
}

TEST(DatasetFileTest, AnimeIndexOutOfRangeIsRejected) {
  expect_damage_rejected("f['ratings/by_user/anime'][2] = 99\nrestamp('ratings/by_user/anime')",
                         ": field by_user.anime: row 2 has anime 99, outside [0, 4)");
  expect_damage_rejected("f['ratings/by_anime/user'][0] = -1\nrestamp('ratings/by_anime/user')",
                         ": field by_anime.user: row 0 has user -1, outside [0, 3)");
}

// A dataspace of 10^9 ids stored in no bytes: refused from metadata by the
// header reader every rank runs, before allocating 8 GB.
TEST(DatasetFileTest, HugeDeclaredSizesAreRejectedBeforeAllocating) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("d.h5");
  write_dataset(sample_dataset(), path, false);
  ASSERT_EQ(
      run_python(dir,
                 "f = h5py.File(sys.argv[1], 'r+')\n"
                 "del f['users/ids']\n"
                 "f.create_dataset('users/ids', shape=(10**9,), dtype='<i8', chunks=(2**20,))",
                 path),
      0);
  expect_io_error([&] { read_dataset_header(path); },
                  path +
                      ": field /users/ids: declares 1000000000 elements of 8 bytes but the file "
                      "stores only 0 bytes (damaged file?)");
}

}  // namespace
}  // namespace animerec::io
