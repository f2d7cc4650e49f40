#pragma once
// Opening the files a command reads, with the operating system's reason when
// that fails. Readers that go over a file more than once (prepare parses a
// ratings file, checksums it and may split it between threads) need a regular
// file: a pipe would be consumed by the first pass and a device such as
// /dev/zero never ends, so both are refused up front. Small text files
// (configs) are read once and bounded instead, so a pipe works there.

#include <cstdint>
#include <string>

namespace animerec {

// An open read-only descriptor, closed on destruction.
class InputFd {
 public:
  InputFd() = default;
  explicit InputFd(int fd) : fd_(fd) {}
  ~InputFd();
  InputFd(InputFd&& other) noexcept : fd_(other.release()) {}
  InputFd& operator=(InputFd&& other) noexcept;
  InputFd(const InputFd&) = delete;
  InputFd& operator=(const InputFd&) = delete;
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

// Opens `path` and checks that it is a regular file; `size` receives its
// length. Throws IoError naming `what` (e.g. "--ratings") and the path:
// "cannot open PATH: No such file or directory", "PATH is a directory", or
// "PATH is not a regular file (a pipe): ..." with how to get one.
InputFd open_regular_file(const std::string& path, const std::string& what, uint64_t* size);

// The whole content of a small text file, read once: a pipe is fine, and a
// file or stream longer than max_bytes (a device such as /dev/zero) is
// refused after max_bytes + 1 bytes instead of filling memory. Throws IoError
// naming `what` and the path, with the operating system's reason.
std::string read_bounded_text(const std::string& path, uint64_t max_bytes, const std::string& what);

// "a pipe", "a character device", ...: what a non-regular file is, for messages.
std::string file_kind(unsigned mode);

}  // namespace animerec
