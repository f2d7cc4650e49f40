#include "animerec/core/run_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>

#include "animerec/core/error.h"

namespace animerec {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown host";
  return buf;
}

std::string local_time_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %Z", &tm);
  return buf;
}

std::string read_holder(int fd) {
  char buf[512] = {};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  std::string text = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\0')) text.pop_back();
  return text;
}

// The holder's own description, written when it took the lock. A holder
// between its flock and its write has not described itself yet: give it up
// to half a second (a loaded machine may not schedule it sooner).
std::string holder_of(int fd) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    std::string text = read_holder(fd);
    if (!text.empty()) return text;
    usleep(10000);
  }
  return "unknown pid";
}

void describe_self(int fd, const std::string& path) {
  std::string text =
      fmt::format("pid {} on host {}, started {}\n", getpid(), host_name(), local_time_now());
  if (ftruncate(fd, 0) != 0 ||
      pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
    throw IoError(fmt::format("{}: cannot write the lock file: {}", path, std::strerror(errno)));
  }
}

}  // namespace

RunLock::RunLock(const std::string& lock_path, const std::string& what, const std::string& advice)
    : path_(lock_path) {
  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0 && errno == ENOENT) {
    throw IoError(fmt::format("{}: directory {} does not exist", what,
                              std::filesystem::path(path_).parent_path().string()));
  }
  if (fd_ < 0) {
    throw IoError(fmt::format("{}: cannot create the lock file for {}: {}", path_, what,
                              std::strerror(errno)));
  }
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder = err == EWOULDBLOCK ? holder_of(fd_) : std::string();
    close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) {
      throw IoError(fmt::format("{}: cannot lock for {}: {}", path_, what, std::strerror(err)));
    }
    throw ConfigError(
        fmt::format("{} is being written by another animerec run ({}; lock file {}); {}", what,
                    holder, path_, advice));
  }
  describe_self(fd_, path_);
}

RunLock::~RunLock() {
  if (fd_ >= 0) close(fd_);  // closing the last descriptor releases the flock
}

std::string lock_path_for_file(const std::string& out) { return out + ".lock"; }

std::string lock_path_for_dir(const std::string& dir) {
  return (std::filesystem::path(dir) / "lock").string();
}

}  // namespace animerec
