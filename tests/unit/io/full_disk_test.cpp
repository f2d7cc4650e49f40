// A full disk while writing a model or checkpoint: simulated with a file
// size limit (RLIMIT_FSIZE) in a child process, so a write() fails with
// EFBIG the way it fails with ENOSPC on a full disk. The previous file must
// stay intact, the temporary file go away, and the error name the file and
// the operating system's reason.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>

#include "animerec/core/error.h"
#include "animerec/io/model_file.h"
#include "test_support.h"

namespace animerec::io {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

// By default 3000 users x 32 factors: about 400 KB, several times the limits below.
model::Model big_model(float fill, int users = 3000) {
  model::Model m;
  m.feedback = als::Feedback::kExplicit;
  m.factors = 32;
  m.global_mean = 7.0f;
  for (int u = 0; u < users; ++u) m.user_ids.push_back(u + 1);
  m.anime_ids = {1, 2};
  m.anime_titles = {"a", "b"};
  m.user_factors = als::FactorMatrix::Constant(users, 32, fill);
  m.anime_factors = als::FactorMatrix::Constant(2, 32, fill);
  m.user_bias.assign(users, 0.0f);
  m.anime_bias = {0.0f, 0.0f};
  return m;
}

model::Checkpoint big_checkpoint(float fill) {
  model::Checkpoint c;
  c.current = big_model(fill);
  c.iteration = 1;
  c.best_user_factors = c.current.user_factors;
  c.best_anime_factors = c.current.anime_factors;
  c.best_user_bias = c.current.user_bias;
  c.best_anime_bias = c.current.anime_bias;
  return c;
}

// Runs `write` in a child limited to `limit_bytes` per file; returns what it
// threw ("" if nothing), via a file, since the child's memory dies with it.
std::string error_under_file_size_limit(const TempDir& dir, rlim_t limit_bytes,
                                        const std::function<void()>& write) {
  const std::string report = dir.file("child-report.txt");
  pid_t pid = fork();
  if (pid == 0) {
    rlimit limit{limit_bytes, limit_bytes};
    setrlimit(RLIMIT_FSIZE, &limit);
    std::string what;
    try {
      write();
    } catch (const IoError& e) {
      what = e.what();
    } catch (const std::exception& e) {
      what = std::string("not an IoError: ") + e.what();
    }
    // The report is far below the limit.
    FILE* f = std::fopen(report.c_str(), "w");
    if (f != nullptr) {
      std::fputs(what.c_str(), f);
      std::fclose(f);
    }
    // exit(), not _exit(): the library's exit handlers run too, as in the program.
    std::exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status)) << "child killed by signal " << WTERMSIG(status);
  std::string what = read_file(report);
  std::filesystem::remove(report);
  return what;
}

size_t entries_in(const TempDir& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir.path()),
                                           std::filesystem::directory_iterator()));
}

TEST(FullDiskTest, CheckpointWriteFailsAndKeepsThePreviousCheckpoint) {
  TempDir dir;
  std::string path = dir.file("checkpoint.h5");
  write_checkpoint(big_checkpoint(0.5f), path);
  const std::string before = read_file(path);
  std::string error = error_under_file_size_limit(
      dir, 64 * 1024, [&] { write_checkpoint(big_checkpoint(0.25f), path); });
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find("File too large"), std::string::npos) << error;
  EXPECT_TRUE(read_file(path) == before);
  EXPECT_EQ(read_checkpoint(path).current.user_factors(0, 0), 0.5f);
  EXPECT_EQ(entries_in(dir), 1u);  // the temporary file was removed
}

TEST(FullDiskTest, ModelWriteFailsAndKeepsThePreviousModel) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(big_model(0.5f), path, false);
  const std::string before = read_file(path);
  std::string error = error_under_file_size_limit(
      dir, 64 * 1024, [&] { write_model(big_model(0.25f), path, true); });
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find("File too large"), std::string::npos) << error;
  EXPECT_TRUE(read_file(path) == before);
  EXPECT_EQ(entries_in(dir), 1u);
}

// A model small enough for HDF5 to keep in its buffers until the file is
// closed: the failure surfaces when the file is finished, reported the same way.
TEST(FullDiskTest, LimitHitWhileFinishingTheFileIsReported) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  model::Model small = big_model(0.5f, 2);
  std::string error =
      error_under_file_size_limit(dir, 2048, [&] { write_model(small, path, false); });
  EXPECT_EQ(error.rfind(path + ": ", 0), 0u) << error;
  EXPECT_NE(error.find("File too large"), std::string::npos) << error;
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_EQ(entries_in(dir), 0u);
}

}  // namespace
}  // namespace animerec::io
