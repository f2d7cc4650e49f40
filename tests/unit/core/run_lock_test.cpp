#include "animerec/core/run_lock.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

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

}  // namespace
}  // namespace animerec
