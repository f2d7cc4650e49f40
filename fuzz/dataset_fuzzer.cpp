// Byte-level fuzzing of the dataset.h5 readers (src/io/dataset_file.cpp): the
// input is the whole file, mutated from the valid seeds in
// fuzz/corpus/dataset_fuzzer/. Crashes inside libhdf5 itself are documented
// in docs/fuzzing.md; dataset_struct_fuzzer reaches our checks more directly.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "hdf5_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = animerec::fuzz::scratch_path("dataset.h5");
  animerec::fuzz::write_bytes(path, data, size);
  // Slice bounds come from the file's last bytes, so they vary with the input.
  FuzzedDataProvider bounds(data + size - std::min<size_t>(size, 16), std::min<size_t>(size, 16));
  animerec::fuzz::read_dataset_file(path, bounds);
  return 0;
}
