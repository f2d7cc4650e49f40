#pragma once
// `animerec check FILE`: verifies any animerec file without using it. The
// file's format attribute picks the reader (model, checkpoint, dataset or
// the recommendations of `recommend --all-users`),
// which reads every array, verifies its checksum and checks its consistency
// exactly as the commands that use the file would.

#include <string>

namespace animerec::io {

// Returns a one-line summary ("FILE: ok: ..."); throws IoError naming the
// file and the field for the first problem found (exit code 2).
std::string check_file(const std::string& path);

}  // namespace animerec::io
