#include "animerec/core/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <string_view>

#include "animerec/core/error.h"
#include "animerec/core/output_path.h"

namespace animerec {

namespace fs = std::filesystem;

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// ".NAME.tmp.HOST." : the temporary files of NAME made on this host; the
// writer's pid follows.
std::string temp_prefix(const fs::path& final_path) {
  return fmt::format(".{}.tmp.{}.", final_path.filename().string(), host_name());
}

bool process_is_gone(std::string_view pid_text) {
  if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string_view::npos ||
      pid_text.size() > 9) {
    return false;  // not a name we made: leave it alone
  }
  pid_t pid = static_cast<pid_t>(std::stol(std::string(pid_text)));
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

}  // namespace

void refuse_existing(const std::string& path, bool overwrite, const std::string& what) {
  if (!path.empty()) check_output(path, overwrite, what);
}

std::string temp_path_for(const std::string& target) {
  fs::path p(target);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  return (dir / fmt::format("{}{}", temp_prefix(p), getpid())).string();
}

void remove_stale_temp_files(const std::string& final_path) {
  fs::path p(final_path);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  const std::string prefix = temp_prefix(p);
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) == 0 &&
        process_is_gone(std::string_view(name).substr(prefix.size()))) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

AtomicOutput::AtomicOutput(std::string final_path, bool overwrite, const std::string& what)
    : final_path_(std::move(final_path)) {
  // With a file size limit (ulimit -f) the kernel would kill us with SIGXFSZ
  // on the write that crosses it; ignored, that write fails with EFBIG and is
  // reported like a full disk, and the destructor removes the partial file.
  std::signal(SIGXFSZ, SIG_IGN);
  // The whole output rule (core/output_path.h); for a symbolic link the
  // file it points to is replaced, so the temporary file goes beside that.
  target_path_ = check_output(final_path_, overwrite, what);
  remove_stale_temp_files(target_path_);
  // Host and pid keep two concurrent writers of the same name (also on two
  // nodes sharing the directory) from sharing a temp file, and tell a later
  // writer which leftovers belong to a process that no longer exists.
  temp_path_ = temp_path_for(target_path_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void AtomicOutput::commit() {
  int fd = ::open(temp_path_.c_str(), O_RDONLY);
  if (fd < 0) {
    throw IoError(fmt::format("{}: cannot reopen the temporary file {} to commit it: {}",
                              final_path_, temp_path_, std::strerror(errno)));
  }
  int sync_error = ::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  if (sync_error != 0) {
    throw IoError(fmt::format("{}: cannot flush the temporary file {} to disk: {}", final_path_,
                              temp_path_, std::strerror(sync_error)));
  }
  std::error_code ec;
  fs::rename(temp_path_, target_path_, ec);
  if (ec) {
    throw IoError(
        fmt::format("cannot rename {} to {}: {}", temp_path_, target_path_, ec.message()));
  }
  committed_ = true;
  // The rename itself is durable only once the directory is synced. Best
  // effort: some file systems refuse fsync on a directory, and the new file
  // is already complete either way.
  fs::path p(target_path_);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace animerec
