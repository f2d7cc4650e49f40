#pragma once
// Output files appear whole or not at all: data is written to a temporary
// name in the destination's directory (same file system, so rename is atomic)
// and renamed into place by commit(). If the writer throws (also on a full
// disk or a file size limit: SIGXFSZ is ignored so the write fails instead of
// killing the process), the destructor removes the temporary file and the
// user's existing file is untouched.
//
// The output rule of core/output_path.h applies (checked again here): a
// special file or a missing directory is refused, and a symbolic link is
// written through (the file it points to is replaced in its own directory).
//
// Temporary names are ".NAME.tmp.HOST.PID". A process killed while writing
// (SIGKILL, power loss) leaves its temporary file behind; no reader ever
// opens it, and the next writer of NAME on that host removes it once
// process PID no longer exists.

#include <string>

namespace animerec {

class AtomicOutput {
 public:
  // Throws IoError if `final_path` breaks the output rule (exists and
  // !overwrite, not a regular file, no such directory, ...). `what` names
  // the parameter in messages (e.g. "--out").
  AtomicOutput(std::string final_path, bool overwrite, const std::string& what = "--out");
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // The file commit() replaces: final_path, or the file a symlink points to.
  const std::string& target_path() const { return target_path_; }
  // fsyncs the temporary file and renames it over the final name.
  void commit();

 private:
  std::string final_path_;
  std::string target_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Removes the ".NAME.tmp.HOST.PID" files of `final_path` left by processes of
// this host that no longer exist (see above). Errors are ignored.
void remove_stale_temp_files(const std::string& final_path);

// check_output (core/output_path.h) for a non-empty path: among others
// IoError("<what> FILE exists; pass --overwrite to replace it") when the path
// exists and overwriting was not asked for.
void refuse_existing(const std::string& path, bool overwrite, const std::string& what);

// The temporary name this process writes `target` under:
// "DIR/.NAME.tmp.HOST.PID".
std::string temp_path_for(const std::string& target);

}  // namespace animerec
