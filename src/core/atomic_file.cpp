#include "animerec/core/atomic_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

#include "animerec/core/error.h"

namespace animerec {

namespace fs = std::filesystem;

void refuse_existing(const std::string& path, bool overwrite, const std::string& what) {
  if (!overwrite && fs::exists(path)) {
    throw IoError(fmt::format("{} {} exists; pass --overwrite to replace it", what, path));
  }
}

AtomicOutput::AtomicOutput(std::string final_path, bool overwrite, const std::string& what)
    : final_path_(std::move(final_path)) {
  refuse_existing(final_path_, overwrite, what);
  fs::path p(final_path_);
  fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) {
    throw IoError(
        fmt::format("{} {}: directory {} does not exist", what, final_path_, dir.string()));
  }
  // The pid keeps two concurrent writers of the same name from sharing a temp file.
  temp_path_ = (dir / fmt::format(".{}.tmp.{}", p.filename().string(), getpid())).string();
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    fs::remove(temp_path_, ec);
  }
}

void AtomicOutput::commit() {
  int fd = ::open(temp_path_.c_str(), O_RDONLY);
  if (fd < 0) throw IoError(fmt::format("cannot reopen {} to commit it", temp_path_));
  bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) throw IoError(fmt::format("cannot flush {} to disk", temp_path_));
  std::error_code ec;
  fs::rename(temp_path_, final_path_, ec);
  if (ec)
    throw IoError(fmt::format("cannot rename {} to {}: {}", temp_path_, final_path_, ec.message()));
  committed_ = true;
}

}  // namespace animerec
