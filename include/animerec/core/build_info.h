#pragma once

namespace animerec {
// Version of this program and the git commit it was built from ("unknown"
// outside a checkout); both go into the provenance of every file we write.
const char* program_version();
const char* build_commit();
}  // namespace animerec
