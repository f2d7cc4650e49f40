// AtomicOutput: whole files or none, and the leftovers of killed writers.

#include "animerec/core/atomic_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec {
namespace {

using testing::read_file;
using testing::TempDir;
using testing::write_file;

std::string this_host() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// The pid of a child that has exited and been reaped: no process has it
// (until the kernel reuses it, which takes a full cycle of pids).
pid_t dead_pid() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

TEST(AtomicOutputTest, CommitPutsTheFileInPlaceAndLeavesNoTemporary) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  write_file(path, "old");
  {
    AtomicOutput out(path, true);
    EXPECT_EQ(std::filesystem::path(out.temp_path()).filename().string(),
              fmt::format(".out.h5.tmp.{}.{}", this_host(), getpid()));
    write_file(out.temp_path(), "new");
    EXPECT_EQ(read_file(path), "old");  // untouched until commit
    out.commit();
  }
  EXPECT_EQ(read_file(path), "new");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(AtomicOutputTest, AbandonedOutputIsRemovedAndTheOldFileKept) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  write_file(path, "old");
  std::string temp;
  {
    AtomicOutput out(path, true);
    temp = out.temp_path();
    write_file(temp, "half");
  }
  EXPECT_FALSE(std::filesystem::exists(temp));
  EXPECT_EQ(read_file(path), "old");
}

// A writer killed mid-file leaves ".NAME.tmp.HOST.PID"; the next writer of
// NAME removes it, but not files of live processes, other hosts or names.
TEST(AtomicOutputTest, NextWriterRemovesTemporariesOfDeadProcesses) {
  TempDir dir;
  std::string path = dir.file("checkpoint.h5");
  const std::string host = this_host();
  std::string dead = dir.file(fmt::format(".checkpoint.h5.tmp.{}.{}", host, dead_pid()));
  std::string live = dir.file(fmt::format(".checkpoint.h5.tmp.{}.{}", host, getppid()));
  std::string other_host = dir.file(fmt::format(".checkpoint.h5.tmp.{}x.{}", host, dead_pid()));
  std::string other_name = dir.file(fmt::format(".model.h5.tmp.{}.{}", host, dead_pid()));
  for (const auto& f : {dead, live, other_host, other_name}) write_file(f, "partial");
  {
    AtomicOutput out(path, true);
    write_file(out.temp_path(), "whole");
    out.commit();
  }
  EXPECT_FALSE(std::filesystem::exists(dead));
  EXPECT_TRUE(std::filesystem::exists(live));
  EXPECT_TRUE(std::filesystem::exists(other_host));
  EXPECT_TRUE(std::filesystem::exists(other_name));
  EXPECT_EQ(read_file(path), "whole");
}

TEST(AtomicOutputTest, ExistingFileIsRefusedWithoutOverwrite) {
  TempDir dir;
  std::string path = dir.file("out.h5");
  write_file(path, "old");
  try {
    AtomicOutput out(path, false, "--out");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "--out " + path + " exists; pass --overwrite to replace it");
  }
}

// latest.h5 -> runs/keep.h5: the file is replaced in its own directory and
// the link stays a link to it.
TEST(AtomicOutputTest, ASymlinkIsWrittenThroughAndKept) {
  TempDir dir;
  std::filesystem::create_directory(dir.file("runs"));
  write_file(dir.file("runs/keep.h5"), "old");
  std::filesystem::create_symlink("runs/keep.h5", dir.file("latest.h5"));
  {
    AtomicOutput out(dir.file("latest.h5"), true);
    EXPECT_EQ(std::filesystem::path(out.temp_path()).parent_path(),
              std::filesystem::canonical(dir.file("runs")));
    write_file(out.temp_path(), "new");
    out.commit();
  }
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("latest.h5")));
  EXPECT_EQ(std::filesystem::read_symlink(dir.file("latest.h5")), "runs/keep.h5");
  EXPECT_EQ(read_file(dir.file("runs/keep.h5")), "new");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.file("runs")), {}), 1);
}

// Renaming over a FIFO or a device would replace the special file itself.
TEST(AtomicOutputTest, ASpecialFileIsRefusedAndKept) {
  TempDir dir;
  ASSERT_EQ(mkfifo(dir.file("fifo").c_str(), 0644), 0);
  try {
    AtomicOutput out(dir.file("fifo"), true, "--out");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              "--out " + dir.file("fifo") +
                  " is a pipe (FIFO), not a regular file; outputs are written as regular "
                  "files only");
  }
  struct stat st {};
  ASSERT_EQ(lstat(dir.file("fifo").c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
}

}  // namespace
}  // namespace animerec
