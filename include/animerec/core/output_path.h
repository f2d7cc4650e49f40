#pragma once
// The one rule for every file animerec writes (--out of every command,
// evaluate's --manifest, train's --metrics-out, the run manifest beside a
// model, checkpoints, batch recommendations, exports). docs/outputs.md is the
// user's version of this list.
//
// - An output is a regular file or does not exist yet. A directory, FIFO,
//   device or socket is refused, naming what it is: renaming over it would
//   replace the special file itself (as root, even /dev/null).
// - An existing output is replaced only when the caller allows it (the
//   command's --overwrite).
// - A symbolic link is written through: the regular file it points to is
//   replaced (atomically, in that file's own directory) and the link stays,
//   so `latest.h5 -> runs/keep.h5` updates runs/keep.h5. A link to nothing
//   or to a non-regular file is refused.
// - Its directory exists and is writable, and its name leaves room for the
//   temporary name and the lock file written beside it.
// - It is none of the command's inputs and no other of its outputs (same
//   device and inode, or the same resolved path).
//
// Commands check all their outputs with check_outputs before any work;
// AtomicOutput applies check_output again to its file when it writes.

#include <string>
#include <vector>

namespace animerec {

struct OutputFile {
  std::string path;
  std::string what;        // how messages name it: "--out", "--metrics-out", ...
  bool overwrite = false;  // an existing file may be replaced
};

struct InputFile {
  std::string path;
  std::string what;  // "--dataset", "--ratings", ...
};

// Where the bytes written to `path` end up: `path` itself, or, when it is a
// symbolic link, the absolute resolved path of the file it points to.
std::string output_target(const std::string& path);

// Applies the rule above to one output (all but the comparison with inputs
// and other outputs) and returns output_target(path). Throws IoError (exit
// code 2) naming `what`, the path and what is wrong.
std::string check_output(const std::string& path, bool overwrite, const std::string& what);

// check_output on every output, then refuses (ConfigError) an output that is
// one of the inputs or another output. Inputs that do not exist are skipped
// (reading them fails with its own message).
void check_outputs(const std::vector<OutputFile>& outputs, const std::vector<InputFile>& inputs);

// "a directory", "a FIFO (named pipe)", ... for a stat mode; "a regular file"
// for one.
std::string file_kind(unsigned mode);

}  // namespace animerec
