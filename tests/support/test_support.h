#pragma once
// Helpers shared by the unit tests: a scratch directory per test and small
// file utilities. Fixtures are always written by the tests themselves.

#include <filesystem>
#include <string>

namespace animerec::testing {

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& content);
std::string read_file(const std::string& path);

// Runs the animerec binary with `args` (a shell-quoted string); returns the exit
// code and puts stdout+stderr into *output.
int run_animerec(const std::string& args, std::string* output);

// Tests may not include HDF5, so foreign and damaged files are made with
// python3-h5py. The Debian package lives in the system interpreter, which a
// python3 earlier on PATH (pyenv, venv) may not see. Empty when not installed.
const std::string& h5py_python();
inline bool have_h5py() { return !h5py_python().empty(); }
// Runs a python3 script with h5py and numpy imported and sys.argv[1] = `path`;
// returns its exit code.
int run_python(const TempDir& dir, const std::string& body, const std::string& path);

// The shared real data beside the project root; empty when absent.
std::string shared_data_dir();

}  // namespace animerec::testing
