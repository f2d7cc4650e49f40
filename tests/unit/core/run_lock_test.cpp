#include "animerec/core/run_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec {
namespace {

TEST(RunLock, ASecondHolderIsRefusedWithTheFirstOnesPid) {
  testing::TempDir dir;
  const std::string out = dir.file("model.h5");
  RunLock first(lock_path_for_file(out), "--out " + out, "wait for it or choose another --out");
  EXPECT_EQ(first.path(), out + ".lock");
  try {
    RunLock second(lock_path_for_file(out), "--out " + out, "wait for it or choose another --out");
    FAIL() << "a second lock on the same file was granted";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(message.find("--out " + out + " is being written by another animerec run (pid " +
                           std::to_string(getpid()) + " on host "),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("started "), std::string::npos) << message;
    EXPECT_NE(message.find("wait for it or choose another --out"), std::string::npos) << message;
  }
}

TEST(RunLock, ReleasedWhenTheHolderEnds) {
  testing::TempDir dir;
  const std::string lock = lock_path_for_dir(dir.path().string());
  EXPECT_EQ(lock, dir.file("lock"));
  { RunLock first(lock, "--checkpoint-dir x", "choose another"); }
  EXPECT_FALSE(std::filesystem::exists(lock)) << "the lock file outlived its run";
  RunLock again(lock, "--checkpoint-dir x", "choose another");  // must not throw
  // The new holder rewrote the description: one line about this process.
  EXPECT_EQ(testing::read_file(lock).rfind("pid " + std::to_string(getpid()) + " on host ", 0), 0u);
}

TEST(RunLock, OtherOutputsDoNotConflict) {
  testing::TempDir dir;
  RunLock a(lock_path_for_file(dir.file("a.h5")), "--out a.h5", "");
  RunLock b(lock_path_for_file(dir.file("b.h5")), "--out b.h5", "");
  SUCCEED();
}

TEST(RunLock, AMissingDirectoryIsNamed) {
  testing::TempDir dir;
  try {
    RunLock lock(lock_path_for_file(dir.file("no/such/m.h5")), "--out m.h5", "");
    FAIL() << "locked in a missing directory";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("--out m.h5: directory " + dir.file("no/such") +
                                         " does not exist"),
              std::string::npos)
        << e.what();
  }
}

// A lock held by another process (a train still running) makes `train`
// and `prepare` refuse at once with exit 2.
TEST(RunLock, CommandsRefuseALockedOutput) {
  testing::TempDir dir;
  const std::string out = dir.file("m.h5");
  RunLock held(lock_path_for_file(out), "--out " + out, "");
  std::string log;
  testing::write_file(dir.file("r.csv"), "user_id,anime_id,rating\n1,1,5\n");
  int rc = testing::run_animerec("prepare --ratings " + dir.file("r.csv") + " --out " + out, &log);
  EXPECT_EQ(rc, 2) << log;
  EXPECT_NE(log.find("is being written by another animerec run (pid " + std::to_string(getpid())),
            std::string::npos)
      << log;
  rc = testing::run_animerec("train --dataset " + dir.file("r.csv") + " --out " + out, &log);
  EXPECT_EQ(rc, 2) << log;
  EXPECT_NE(log.find("is being written by another animerec run"), std::string::npos) << log;
}

// A run that ends (here by an exception unwinding it) leaves nothing beside
// its output.
TEST(RunLock, LeavesNoFileBehind) {
  testing::TempDir dir;
  const std::string out = dir.file("model.h5");
  try {
    RunLock lock(lock_path_for_file(out), "--out " + out, "");
    EXPECT_TRUE(std::filesystem::exists(out + ".lock"));
    throw IoError("the run fails");
  } catch (const IoError&) {
  }
  EXPECT_FALSE(std::filesystem::exists(out + ".lock"));
}

// A holder killed by SIGKILL leaves its file; the next run takes it over.
TEST(RunLock, TheFileOfAKilledRunDoesNotBlock) {
  testing::TempDir dir;
  const std::string lock = dir.file("m.h5.lock");
  testing::write_file(lock, "pid 999999 on host elsewhere, started 2026-01-01 00:00:00 UTC\n");
  {
    RunLock taken(lock, "--out m.h5", "");
    EXPECT_EQ(testing::read_file(lock).rfind("pid " + std::to_string(getpid()), 0), 0u);
  }
  EXPECT_FALSE(std::filesystem::exists(lock));
}

// A symbolic link at the lock's name was followed and its target truncated.
TEST(RunLock, ASymlinkIsNotFollowed) {
  testing::TempDir dir;
  testing::write_file(dir.file("precious.txt"), "precious\n");
  std::filesystem::create_symlink("precious.txt", dir.file("m.h5.lock"));
  try {
    RunLock lock(dir.file("m.h5.lock"), "--out m.h5", "");
    FAIL() << "locked through a symbolic link";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("is a symbolic link; it is not followed"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(testing::read_file(dir.file("precious.txt")), "precious\n");
  EXPECT_TRUE(std::filesystem::is_symlink(dir.file("m.h5.lock")));
}

// A file of the user's that happens to have the lock's name is neither
// truncated nor removed; nor is a FIFO opened for long.
TEST(RunLock, AForeignFileIsLeftAlone) {
  testing::TempDir dir;
  testing::write_file(dir.file("lock"), "my notes\n");
  EXPECT_THROW(RunLock(dir.file("lock"), "--checkpoint-dir x", ""), IoError);
  EXPECT_EQ(testing::read_file(dir.file("lock")), "my notes\n");
  ASSERT_EQ(mkfifo(dir.file("fifo.lock").c_str(), 0644), 0);
  EXPECT_THROW(RunLock(dir.file("fifo.lock"), "--out fifo", ""), IoError);
}

// Locks through a symbolic link and through its file are one lock.
TEST(RunLock, ASymlinkedOutputSharesItsFilesLock) {
  testing::TempDir dir;
  testing::write_file(dir.file("keep.h5"), "model");
  std::filesystem::create_symlink("keep.h5", dir.file("latest.h5"));
  EXPECT_EQ(lock_path_for_file(dir.file("latest.h5")),
            std::filesystem::canonical(dir.file("keep.h5")).string() + ".lock");
  RunLock first(lock_path_for_file(dir.file("keep.h5")), "--out keep.h5", "");
  EXPECT_THROW(RunLock(lock_path_for_file(dir.file("latest.h5")), "--out latest.h5", ""),
               ConfigError);
}

// SIGTERM to a command without its own handlers (prepare) removes the file.
TEST(RunLock, ASignalRemovesTheFile) {
  testing::TempDir dir;
  const std::string lock = dir.file("d.h5.lock");
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  if (child == 0) {
    std::signal(SIGTERM, SIG_DFL);
    RunLock held(lock, "--out d.h5", "");
    (void)!write(ready[1], "x", 1);
    for (;;) pause();
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  EXPECT_TRUE(std::filesystem::exists(lock));
  kill(child, SIGTERM);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
  EXPECT_FALSE(std::filesystem::exists(lock));
}

// Processes taking and releasing one lock in a loop: never two holders at
// once, although each release removes the file another may have open.
TEST(RunLock, RemovalDoesNotLetTwoRunsIn) {
  testing::TempDir dir;
  const std::string lock = dir.file("m.h5.lock");
  const std::string inside = dir.file("inside");
  std::vector<pid_t> children;
  for (int c = 0; c < 4; ++c) {
    pid_t pid = fork();
    if (pid == 0) {
      int held = 0;
      for (int i = 0; i < 5000 && held < 150; ++i) {
        try {
          RunLock l(lock, "--out m.h5", "");
          int fd = open(inside.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0644);
          if (fd < 0) _exit(1);  // someone else holds the lock too
          close(fd);
          usleep(100);
          unlink(inside.c_str());
          ++held;
        } catch (const ConfigError&) {
        }
      }
      _exit(0);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "two holders at once";
  }
  EXPECT_FALSE(std::filesystem::exists(lock));
}

}  // namespace
}  // namespace animerec
