#include "animerec/core/input_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec {
namespace {

using testing::TempDir;
using testing::write_file;

std::string error_of(const auto& call) {
  try {
    call();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(InputFileTest, RegularFileOpensWithItsSize) {
  TempDir dir;
  write_file(dir.file("a.csv"), "user,item,rating\n");
  uint64_t size = 0;
  InputFd fd = open_regular_file(dir.file("a.csv"), "--ratings", &size);
  EXPECT_GE(fd.get(), 0);
  EXPECT_EQ(size, 17u);
}

TEST(InputFileTest, MissingFileSaysWhy) {
  EXPECT_EQ(error_of([] { open_regular_file("/nonexistent/r.csv", "--ratings", nullptr); }),
            "cannot open --ratings /nonexistent/r.csv: No such file or directory");
  EXPECT_EQ(error_of([] { read_bounded_text("/nonexistent/c.ini", 100, "config file"); }),
            "cannot open config file /nonexistent/c.ini: No such file or directory");
}

TEST(InputFileTest, DirectoryIsRefused) {
  TempDir dir;
  EXPECT_EQ(error_of([&] { open_regular_file(dir.path().string(), "", nullptr); }),
            "cannot read " + dir.path().string() + ": it is a directory");
  EXPECT_EQ(error_of([&] { read_bounded_text(dir.path().string(), 100, ""); }),
            "cannot read " + dir.path().string() + ": it is a directory");
}

// A device never ends and a pipe is gone after one read: both are refused
// before reading (a named pipe without a writer would block the open).
TEST(InputFileTest, DevicesAndPipesAreNotRegularFiles) {
  EXPECT_NE(error_of([] {
              open_regular_file("/dev/zero", "", nullptr);
            }).find("cannot read /dev/zero: it is a character device, not a regular file"),
            std::string::npos);
  TempDir dir;
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  EXPECT_NE(error_of([&] {
              open_regular_file(dir.file("fifo"), "", nullptr);
            }).find("it is a pipe (FIFO), not a regular file"),
            std::string::npos);
}

TEST(InputFileTest, BoundedReadStopsOnEndlessInput) {
  EXPECT_EQ(error_of([] { read_bounded_text("/dev/zero", 1000, "config file"); }),
            "cannot read config file /dev/zero: it is longer than 1000 bytes (a character device)");
  TempDir dir;
  write_file(dir.file("c.ini"), "seed = 3\n");
  EXPECT_EQ(read_bounded_text(dir.file("c.ini"), 9, "config file"), "seed = 3\n");
  EXPECT_EQ(error_of([&] { read_bounded_text(dir.file("c.ini"), 8, "config file"); }),
            "cannot read config file " + dir.file("c.ini") + ": it is longer than 8 bytes");
}

}  // namespace
}  // namespace animerec
