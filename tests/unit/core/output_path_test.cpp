// The output rule: regular files only, --overwrite, symlinks written through,
// room for the temporary and lock names, never an input or another output.

#include "animerec/core/output_path.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;
using testing::write_file;

// The message of the IoError or ConfigError `f` throws; fails the test if
// it throws nothing.
template <class F>
std::string refusal(F f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "accepted";
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(OutputPath, ANewFileInAnExistingDirectoryIsAccepted) {
  TempDir dir;
  EXPECT_EQ(check_output(dir.file("m.h5"), false, "--out"), dir.file("m.h5"));
}

TEST(OutputPath, AnExistingFileNeedsOverwrite) {
  TempDir dir;
  write_file(dir.file("m.h5"), "model");
  EXPECT_TRUE(
      contains(refusal([&] { check_output(dir.file("m.h5"), false, "--metrics-out"); }),
               "--metrics-out " + dir.file("m.h5") + " exists; pass --overwrite to replace it"));
  EXPECT_EQ(check_output(dir.file("m.h5"), true, "--out"), dir.file("m.h5"));
}

TEST(OutputPath, SpecialFilesAreRefusedEvenWithOverwrite) {
  TempDir dir;
  fs::create_directory(dir.file("d"));
  ASSERT_EQ(mkfifo(dir.file("fifo").c_str(), 0644), 0);
  EXPECT_TRUE(contains(refusal([&] { check_output(dir.file("d"), true, "--out"); }),
                       "--out " + dir.file("d") + " is a directory, not a regular file"));
  EXPECT_TRUE(contains(refusal([&] { check_output(dir.file("fifo"), true, "--out"); }),
                       " is a pipe (FIFO), not a regular file"));
  EXPECT_TRUE(contains(refusal([&] { check_output("/dev/null", true, "--manifest"); }),
                       "--manifest /dev/null is a character device, not a regular file"));
  // A socket (sun_path is short: bind relative to the directory).
  const fs::path here = fs::current_path();
  fs::current_path(dir.path());
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, "sock");
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  fs::current_path(here);
  EXPECT_TRUE(contains(refusal([&] { check_output(dir.file("sock"), true, "--out"); }),
                       " is a socket, not a regular file"));
  close(s);
}

TEST(OutputPath, ASymlinkIsWrittenThroughToItsFile) {
  TempDir dir;
  fs::create_directory(dir.file("runs"));
  write_file(dir.file("runs/keep.h5"), "kept");
  fs::create_symlink("runs/keep.h5", dir.file("latest.h5"));
  EXPECT_EQ(output_target(dir.file("latest.h5")), fs::canonical(dir.file("runs/keep.h5")).string());
  EXPECT_EQ(check_output(dir.file("latest.h5"), true, "--out"),
            fs::canonical(dir.file("runs/keep.h5")).string());
  // Its file exists, so without --overwrite it is refused like the file.
  EXPECT_TRUE(contains(refusal([&] { check_output(dir.file("latest.h5"), false, "--out"); }),
                       " exists; pass --overwrite"));
}

TEST(OutputPath, ASymlinkToNothingOrToASpecialFileIsRefused) {
  TempDir dir;
  fs::create_symlink("nowhere/new.h5", dir.file("dangling.h5"));
  fs::create_symlink("/dev/null", dir.file("null.h5"));
  EXPECT_TRUE(contains(refusal([&] { check_output(dir.file("dangling.h5"), true, "--out"); }),
                       " is a symbolic link to nowhere/new.h5, which cannot be written through"));
  EXPECT_TRUE(contains(refusal([&] { check_output(dir.file("null.h5"), true, "--out"); }),
                       " is a symbolic link to /dev/null, a character device"));
}

TEST(OutputPath, AMissingDirectoryIsNamed) {
  TempDir dir;
  EXPECT_TRUE(contains(
      refusal([&] { check_output(dir.file("no/m.h5"), false, "--out"); }),
      "--out " + dir.file("no/m.h5") + ": directory " + dir.file("no") + " does not exist"));
}

// ".NAME.tmp.HOST.PID" (the pid counted with 7 digits) must fit in 255
// bytes, although NAME alone would.
TEST(OutputPath, ANameWithoutRoomForTheTemporaryFileIsRefused) {
  TempDir dir;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  const size_t longest =
      255 - (std::strlen(".") + std::strlen(".tmp.") + std::strlen(host) + std::strlen(".") + 7);
  const std::string fits = std::string(longest - 3, 'a') + ".h5";
  const std::string too_long = std::string(longest - 2, 'a') + ".h5";
  EXPECT_NO_THROW(check_output(dir.file(fits), false, "--out"));
  const std::string message = refusal([&] { check_output(dir.file(too_long), false, "--out"); });
  EXPECT_TRUE(contains(
      message, fmt::format("the file name is {} bytes, too long to write", too_long.size())))
      << message;
  EXPECT_TRUE(contains(message, fmt::format("choose a name of at most {} bytes", longest)))
      << message;
}

TEST(OutputPath, AnOutputThatIsAnInputIsRefused) {
  TempDir dir;
  write_file(dir.file("d.h5"), "dataset");
  const fs::path here = fs::current_path();
  fs::current_path(dir.path());
  // The same file by another spelling, by a symbolic link, by a hard link.
  fs::create_symlink("d.h5", "link.h5");
  fs::create_hard_link("d.h5", "hard.h5");
  for (const std::string& out :
       std::vector<std::string>{"./d.h5", "link.h5", "hard.h5", dir.file("d.h5")}) {
    const std::string message = refusal([&] {
      check_outputs({{out, "--out", true}}, {{"d.h5", "--dataset"}});
    });
    EXPECT_TRUE(contains(message, "--out " + out +
                                      " is the same file as --dataset d.h5: writing "
                                      "it would destroy the input; choose another --out"))
        << message;
  }
  fs::current_path(here);
}

TEST(OutputPath, TwoOutputsOfOneFileAreRefused) {
  TempDir dir;
  fs::create_directory(dir.file("sub"));
  const std::string message = refusal([&] {
    check_outputs(
        {{dir.file("m.h5"), "--out", false}, {dir.file("sub/../m.h5"), "--metrics-out", false}},
        {});
  });
  EXPECT_TRUE(contains(message, "are the same file")) << message;
}

TEST(OutputPath, DistinctFilesAndMissingInputsPass) {
  TempDir dir;
  write_file(dir.file("d.h5"), "dataset");
  EXPECT_NO_THROW(check_outputs(
      {{dir.file("m.h5"), "--out", false}, {dir.file("m.jsonl"), "--metrics-out", false}},
      {{dir.file("d.h5"), "--dataset"}, {dir.file("absent.h5"), "--resume"}, {"", "--anime"}}));
}

}  // namespace
}  // namespace animerec
