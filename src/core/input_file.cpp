#include "animerec/core/input_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "animerec/core/error.h"
#include "animerec/core/output_path.h"

namespace animerec {

namespace {

std::string label(const std::string& what, const std::string& path) {
  return what.empty() ? path : fmt::format("{} {}", what, path);
}

InputFd open_for_reading(const std::string& path, const std::string& what, struct stat& st) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    throw IoError(fmt::format("cannot open {}: {}", label(what, path), std::strerror(errno)));
  }
  InputFd file(fd);
  if (::fstat(fd, &st) != 0) {
    throw IoError(fmt::format("cannot read {}: {}", label(what, path), std::strerror(errno)));
  }
  if (S_ISDIR(st.st_mode)) {
    throw IoError(fmt::format("cannot read {}: it is a directory", label(what, path)));
  }
  return file;
}

}  // namespace

InputFd::~InputFd() {
  if (fd_ >= 0) ::close(fd_);
}

InputFd& InputFd::operator=(InputFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.release();
  }
  return *this;
}

namespace {

[[noreturn]] void refuse_not_regular(const std::string& path, const std::string& what,
                                     unsigned mode) {
  throw IoError(fmt::format(
      "cannot read {}: it is {}, not a regular file; data files are read more than once, so "
      "save it to a file first (for example 'zcat rating.csv.gz > rating.csv')",
      label(what, path), file_kind(mode)));
}

}  // namespace

InputFd open_regular_file(const std::string& path, const std::string& what, uint64_t* size) {
  // Checked before opening too: opening a named pipe blocks until a writer
  // comes, and reading a device may never end.
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
    refuse_not_regular(path, what, st.st_mode);
  }
  InputFd file = open_for_reading(path, what, st);
  if (!S_ISREG(st.st_mode)) {
    refuse_not_regular(path, what, st.st_mode);
  }
  if (size != nullptr) *size = static_cast<uint64_t>(st.st_size);
  return file;
}

std::string read_bounded_text(const std::string& path, uint64_t max_bytes,
                              const std::string& what) {
  struct stat st {};
  InputFd file = open_for_reading(path, what, st);
  std::string text;
  char block[1 << 16];
  for (;;) {
    ssize_t n = ::read(file.get(), block, sizeof block);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      throw IoError(fmt::format("cannot read {}: {}", label(what, path), std::strerror(errno)));
    }
    if (n == 0) return text;
    text.append(block, static_cast<size_t>(n));
    if (text.size() > max_bytes) {
      throw IoError(
          fmt::format("cannot read {}: it is longer than {} bytes{}", label(what, path), max_bytes,
                      S_ISREG(st.st_mode) ? "" : fmt::format(" ({})", file_kind(st.st_mode))));
    }
  }
}

}  // namespace animerec
