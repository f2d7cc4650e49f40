#pragma once
// dataset.h5: the prepared dataset on disk (layout in docs/dataset-format.md).
// Only the io sources include HDF5; this header exposes none of its types.

#include <string>

#include "animerec/data/dataset.h"

namespace animerec::io {

inline constexpr const char* kDatasetFormatName = "animerec-dataset";

// Writes through AtomicOutput: a temporary file renamed into place, so a
// failure leaves no partial file and an existing file is replaced only with
// overwrite. Deterministic: the same Dataset gives the same bytes.
void write_dataset(const data::Dataset& d, const std::string& path, bool overwrite);

// Reads and validates the whole file. Throws IoError naming the file and the
// field for a missing file, a file that is not HDF5, a foreign HDF5 file
// (format attribute missing or different), an unsupported version, or any
// inconsistent shape (checked before large allocations).
data::Dataset read_dataset(const std::string& path);

}  // namespace animerec::io
