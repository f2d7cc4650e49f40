#pragma once
// One writer per output: a run takes an exclusive flock(2) on a lock file
// beside what it writes (`<out>.lock` for a model or dataset, `<dir>/lock` for
// a checkpoint directory) before any work, and holds it until it ends. A
// second run aimed at the same output is refused at once, naming the holder
// (pid, host, start time are written into the lock file). The kernel drops
// the lock when the holder dies, however it dies, so a lock file left behind
// never blocks a later run; the file itself is left in place (removing it
// would race with a run that has just opened it).

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
  std::string path_;
  int fd_ = -1;
};

// `<out>.lock`: the lock file of an output file.
std::string lock_path_for_file(const std::string& out);
// `<dir>/lock`: the lock file of a checkpoint directory.
std::string lock_path_for_dir(const std::string& dir);

}  // namespace animerec
