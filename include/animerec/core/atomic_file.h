#pragma once
// Output files appear whole or not at all: data is written to a temporary
// name in the destination's directory (same file system, so rename is atomic)
// and renamed into place by commit(). If the writer throws, the destructor
// removes the temporary file and the user's existing file is untouched.

#include <string>

namespace animerec {

class AtomicOutput {
 public:
  // Throws IoError if `final_path` exists and !overwrite, or if its directory
  // does not exist. `what` names the parameter in messages (e.g. "--out").
  AtomicOutput(std::string final_path, bool overwrite, const std::string& what = "--out");
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::string& temp_path() const { return temp_path_; }
  const std::string& final_path() const { return final_path_; }
  // fsyncs the temporary file and renames it over the final name.
  void commit();

 private:
  std::string final_path_;
  std::string temp_path_;
  bool committed_ = false;
};

// Throws IoError("<what> FILE exists; pass --overwrite to replace it") when the
// path exists and overwriting was not asked for.
void refuse_existing(const std::string& path, bool overwrite, const std::string& what);

}  // namespace animerec
