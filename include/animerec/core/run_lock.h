#pragma once
// One writer per output: a run takes an exclusive flock(2) on a lock file
// beside what it writes (`<out>.lock` for a model or dataset, `<dir>/lock` for
// a checkpoint directory) before any work, and holds it until it ends. A
// second run aimed at the same output is refused at once, naming the holder
// (pid, host, start time are written into the lock file).
//
// The lock file exists only while its run does: the destructor removes it
// (also when an exception unwinds the command), and for commands without
// their own signal handlers SIGINT/SIGTERM/SIGHUP remove it before the
// process dies. Removal comes before unlocking, and a run that locks a file
// re-checks that the name still leads to it (else it starts over), so a run
// that opened the file just before it was removed never holds a lock nobody
// else can see. A holder killed by SIGKILL leaves its file behind; the
// kernel has dropped its lock, so the next run takes the file over.
// A symbolic link, a special file or a file that is not a lock description
// at the lock's name is refused, never followed, truncated or removed.

#include <sys/types.h>

#include <string>

namespace animerec {

class RunLock {
 public:
  // Locks `lock_path`, creating it if needed. `what` names the output in the
  // refusal, e.g. "--out model.h5"; `advice` ends it ("wait for it or choose
  // another --out"). Throws ConfigError (exit 2) when another process holds
  // the lock, IoError when the file cannot be created.
  RunLock(const std::string& lock_path, const std::string& what, const std::string& advice);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  const std::string& path() const { return path_; }

 private:
  bool try_lock(const std::string& what, const std::string& advice);

  std::string path_;
  int fd_ = -1;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  int slot_ = -1;  // in the table the signal handler removes locks from
};

// `<out>.lock`: the lock file of an output file (for a symbolic link, of the
// file it points to).
std::string lock_path_for_file(const std::string& out);
// `<dir>/lock`: the lock file of a checkpoint directory.
std::string lock_path_for_dir(const std::string& dir);

}  // namespace animerec
