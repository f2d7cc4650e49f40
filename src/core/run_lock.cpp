#include "animerec/core/run_lock.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <string>

#include "animerec/core/error.h"
#include "animerec/core/output_path.h"

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

// Lock files this process holds, for the signal handler below: fixed
// storage, since a handler may not allocate.
constexpr int kMaxHeld = 8;
struct HeldLock {
  char path[PATH_MAX];
  dev_t dev;
  ino_t ino;
  volatile sig_atomic_t used;
};
HeldLock g_held[kMaxHeld];

// True when `path` still names the file `st` describes (async-signal-safe).
bool still_named(const char* path, const struct stat& st) {
  struct stat now {};
  return ::lstat(path, &now) == 0 && now.st_dev == st.st_dev && now.st_ino == st.st_ino;
}

// Default action of SIGINT/SIGTERM/SIGHUP for a command without its own
// handlers (prepare): remove the held lock files, then die of the signal.
void remove_held_locks_and_die(int sig) {
  for (HeldLock& h : g_held) {
    struct stat st {};
    st.st_dev = h.dev;
    st.st_ino = h.ino;
    if (h.used && still_named(h.path, st)) ::unlink(h.path);
  }
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void remove_lock_files_on_fatal_signals() {
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
    struct sigaction old {};
    if (::sigaction(sig, nullptr, &old) != 0) continue;
    // A command with its own handlers (train stops cleanly, so destructors
    // run) or an ignored signal is left alone.
    if ((old.sa_flags & SA_SIGINFO) != 0 || old.sa_handler != SIG_DFL) continue;
    struct sigaction sa {};
    sa.sa_handler = remove_held_locks_and_die;
    sigemptyset(&sa.sa_mask);
    ::sigaction(sig, &sa, nullptr);
  }
}

int remember(const std::string& path, const struct stat& st) {
  if (path.size() >= PATH_MAX) return -1;
  for (int i = 0; i < kMaxHeld; ++i) {
    HeldLock& h = g_held[i];
    if (h.used) continue;
    std::memcpy(h.path, path.c_str(), path.size() + 1);
    h.dev = st.st_dev;
    h.ino = st.st_ino;
    h.used = 1;
    remove_lock_files_on_fatal_signals();
    return i;
  }
  return -1;  // more locks than slots: those are removed by the destructor only
}

// What describe_self writes, so a file of the user's that happens to have
// the lock file's name is never truncated or removed.
bool is_lock_description(const std::string& text) {
  return text.empty() ||
         (text.rfind("pid ", 0) == 0 && text.find(" on host ") != std::string::npos);
}

}  // namespace

RunLock::RunLock(const std::string& lock_path, const std::string& what, const std::string& advice)
    : path_(lock_path) {
  // A run that ends removes its lock file (unlink, then unlock). Another run
  // may have opened the file just before: once it gets the lock it sees that
  // the name no longer leads to what it locked, and starts over.
  for (int attempt = 0; attempt < 100; ++attempt) {
    if (try_lock(what, advice)) return;
  }
  throw IoError(
      fmt::format("{}: cannot lock for {}: the lock file keeps being replaced", path_, what));
}

bool RunLock::try_lock(const std::string& what, const std::string& advice) {
  // A device is not even opened (opening some has side effects).
  struct stat existing {};
  if (::lstat(path_.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode) &&
      !S_ISLNK(existing.st_mode)) {
    throw IoError(fmt::format("{}: the lock file {} is {}, not a lock file; move it away", what,
                              path_, file_kind(existing.st_mode)));
  }
  // O_NOFOLLOW: a symlink planted at the lock's name must not lead the
  // truncation below to its target. O_NONBLOCK: opening a FIFO (made after
  // the check above) never waits.
  int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ENOENT) {
    throw IoError(fmt::format("{}: directory {} does not exist", what,
                              std::filesystem::path(path_).parent_path().string()));
  }
  if (fd < 0 && errno == ELOOP) {
    throw IoError(fmt::format(
        "{}: the lock file {} is a symbolic link; it is not followed: remove it (no animerec run "
        "uses such a link)",
        what, path_));
  }
  if (fd < 0) {
    throw IoError(fmt::format("{}: cannot create the lock file for {}: {}", path_, what,
                              std::strerror(errno)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1) {
    std::string kind = S_ISREG(st.st_mode) ? "a file with other hard links" : file_kind(st.st_mode);
    ::close(fd);
    throw IoError(fmt::format("{}: the lock file {} is {}, not a lock file; move it away", what,
                              path_, kind));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    if (err == EWOULDBLOCK && !still_named(path_.c_str(), st)) {
      ::close(fd);  // its holder has just ended and removed it
      return false;
    }
    std::string holder = err == EWOULDBLOCK ? holder_of(fd) : std::string();
    ::close(fd);
    if (err != EWOULDBLOCK) {
      throw IoError(fmt::format("{}: cannot lock for {}: {}", path_, what, std::strerror(err)));
    }
    throw ConfigError(
        fmt::format("{} is being written by another animerec run ({}; lock file {}); {}", what,
                    holder, path_, advice));
  }
  if (!still_named(path_.c_str(), st)) {
    ::close(fd);  // removed (and maybe made again) between our open and flock
    return false;
  }
  // Locked and ours. A leftover of a killed run (its description, or empty)
  // is taken over; anything else is not ours to overwrite.
  const std::string text = read_holder(fd);
  if (!is_lock_description(text)) {
    ::close(fd);
    throw IoError(fmt::format(
        "{}: {} exists and is not an animerec lock file (it starts \"{}\"); move it away", what,
        path_, text.substr(0, 40)));
  }
  fd_ = fd;
  dev_ = st.st_dev;
  ino_ = st.st_ino;
  describe_self(fd_, path_);
  slot_ = remember(path_, st);
  return true;
}

RunLock::~RunLock() {
  if (fd_ < 0) return;
  // Unlink before unlocking: a run waiting for this lock then finds the name
  // gone (see the constructor) instead of locking an orphaned file. The
  // signal handler's entry goes after the unlink, so a signal in between
  // still removes the file.
  struct stat st {};
  st.st_dev = dev_;
  st.st_ino = ino_;
  if (still_named(path_.c_str(), st)) ::unlink(path_.c_str());
  if (slot_ >= 0) g_held[slot_].used = 0;
  ::close(fd_);  // closing the last descriptor releases the flock
}

// Beside the file that is written: for a symbolic link, its target, so two
// runs writing one file through different names share one lock.
std::string lock_path_for_file(const std::string& out) { return output_target(out) + ".lock"; }

std::string lock_path_for_dir(const std::string& dir) {
  return (std::filesystem::path(dir) / "lock").string();
}

}  // namespace animerec
