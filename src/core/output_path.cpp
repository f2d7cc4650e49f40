#include "animerec/core/output_path.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <string>

#include "animerec/core/atomic_file.h"
#include "animerec/core/error.h"
#include "animerec/core/run_lock.h"

namespace animerec {

namespace fs = std::filesystem;

namespace {

fs::path directory_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : "."; }

std::string link_text(const std::string& path) {
  std::error_code ec;
  fs::path target = fs::read_symlink(path, ec);
  return ec ? std::string("?") : target.string();
}

// The longest name the program puts beside an output named `target`: its
// temporary file or its lock file. The temporary name ends with the
// writer's pid; counted with 7 digits (the largest pid_max), a name that
// passes does not depend on which process writes it.
size_t longest_companion_name(const fs::path& target) {
  const size_t pid_digits = std::to_string(::getpid()).size();
  const size_t temp =
      fs::path(temp_path_for(target.string())).filename().string().size() - pid_digits + 7;
  const size_t lock = fs::path(lock_path_for_file(target.string())).filename().string().size();
  return std::max(temp, lock);
}

void check_directory(const std::string& path, const std::string& what, const fs::path& target) {
  const fs::path dir = directory_of(target);
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      throw IoError(fmt::format("{} {}: directory {} does not exist", what, path, dir.string()));
    }
    throw IoError(
        fmt::format("{} {}: directory {}: {}", what, path, dir.string(), std::strerror(errno)));
  }
  if (!S_ISDIR(st.st_mode)) {
    throw IoError(fmt::format("{} {}: {} is {}, not a directory", what, path, dir.string(),
                              file_kind(st.st_mode)));
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    throw IoError(fmt::format("{} {}: cannot write in directory {}: {}", what, path, dir.string(),
                              std::strerror(errno)));
  }
  long name_max = ::pathconf(dir.c_str(), _PC_NAME_MAX);
  if (name_max <= 0) name_max = NAME_MAX;
  const size_t name = target.filename().string().size();
  const size_t longest = longest_companion_name(target);
  if (longest > static_cast<size_t>(name_max)) {
    throw IoError(fmt::format(
        "{} {}: the file name is {} bytes, too long to write: the temporary file beside it needs "
        "{} bytes more and the file system allows {} per name; choose a name of at most {} bytes",
        what, path, name, longest - name, name_max,
        static_cast<size_t>(name_max) - (longest - name)));
  }
}

// Same file: the same inode when both exist, else the same resolved path.
bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {
  }, sb{};
  if (::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0) {
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  }
  std::error_code ea, eb;
  fs::path ca = fs::weakly_canonical(fs::absolute(a), ea);
  fs::path cb = fs::weakly_canonical(fs::absolute(b), eb);
  return !ea && !eb && ca == cb;
}

bool exists_no_follow(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

std::string file_kind(unsigned mode) {
  if (S_ISREG(mode)) return "a regular file";
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a pipe (FIFO)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "a special file";
}

std::string output_target(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
  std::error_code ec;
  fs::path target = fs::canonical(path, ec);
  return ec ? path : target.string();
}

std::string check_output(const std::string& path, bool overwrite, const std::string& what) {
  if (path.empty()) throw IoError(fmt::format("{}: the file name is empty", what));
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) throw IoError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
    check_directory(path, what, path);
    return path;
  }
  std::string target = path;
  if (S_ISLNK(st.st_mode)) {
    struct stat to {};
    if (::stat(path.c_str(), &to) != 0) {
      throw IoError(fmt::format(
          "{} {} is a symbolic link to {}, which cannot be written through: {}; outputs are "
          "written through links to existing regular files only",
          what, path, link_text(path), std::strerror(errno)));
    }
    if (!S_ISREG(to.st_mode)) {
      throw IoError(fmt::format("{} {} is a symbolic link to {}, {}; outputs must be regular files",
                                what, path, link_text(path), file_kind(to.st_mode)));
    }
    target = output_target(path);
  } else if (!S_ISREG(st.st_mode)) {
    throw IoError(
        fmt::format("{} {} is {}, not a regular file; outputs are written as regular files only",
                    what, path, file_kind(st.st_mode)));
  }
  if (!overwrite) {
    throw IoError(fmt::format("{} {} exists; pass --overwrite to replace it", what, path));
  }
  check_directory(path, what, target);
  return target;
}

void check_outputs(const std::vector<OutputFile>& outputs, const std::vector<InputFile>& inputs) {
  for (const OutputFile& o : outputs) check_output(o.path, o.overwrite, o.what);
  for (size_t i = 0; i < outputs.size(); ++i) {
    const OutputFile& o = outputs[i];
    for (const InputFile& in : inputs) {
      if (in.path.empty() || !exists_no_follow(in.path)) continue;
      if (same_file(o.path, in.path)) {
        throw ConfigError(fmt::format(
            "{} {} is the same file as {} {}: writing it would destroy the input; choose another "
            "{}",
            o.what, o.path, in.what, in.path, o.what));
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (same_file(o.path, outputs[j].path)) {
        throw ConfigError(
            fmt::format("{} {} and {} {} are the same file; give them different names",
                        outputs[j].what, outputs[j].path, o.what, o.path));
      }
    }
  }
}

}  // namespace animerec
