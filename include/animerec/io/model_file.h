#pragma once
// model.h5 and checkpoint files (docs/model-format.md). Only the io sources
// include HDF5; this header exposes none of its types.

#include <cstdint>
#include <string>

#include "animerec/model/model.h"

namespace animerec::io {

inline constexpr const char* kModelFormatName = "animerec-model";
inline constexpr const char* kCheckpointFormatName = "animerec-checkpoint";

// Limits checked on writing and, from metadata, before reading anything
// large: factors k in [1, kMaxModelFactors]; at most kMaxModelRows users or
// anime (dense indices are int32).
inline constexpr int kMaxModelFactors = 4096;
inline constexpr int64_t kMaxModelRows = 2147483647;

// Writes through AtomicOutput (temporary name, fsync, rename): never a
// partial file under the final name; an existing file is replaced only with
// overwrite. Validates shapes first.
void write_model(const model::Model& m, const std::string& path, bool overwrite);

// Reads and validates. Throws IoError naming the file and the field: missing
// file, not HDF5, not an animerec model (format attribute), unsupported
// version, wrong dtype or rank, inconsistent shapes (factor rows != id count,
// k mismatch, bias lengths), non-finite factors, an array whose sha256
// checksum attribute is missing or does not match its data ("FILE: checksum
// mismatch in /anime/factors: the file is corrupt"); sizes are checked from
// the dataspace before anything large is allocated.
model::Model read_model(const std::string& path);

// A checkpoint replaces the previous one at `path` atomically (always overwrites).
// The file has a single root best_iteration attribute, Checkpoint::best_iteration:
// the writer ignores c.current.best_iteration and read_checkpoint sets it to
// best_iteration. The best factors must have the current factors' shapes.
void write_checkpoint(const model::Checkpoint& c, const std::string& path);
model::Checkpoint read_checkpoint(const std::string& path);

}  // namespace animerec::io
