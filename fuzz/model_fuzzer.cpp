// Byte-level fuzzing of the model.h5 and checkpoint readers
// (src/io/model_file.cpp): the input is the whole file, mutated from the valid
// seeds in fuzz/corpus/model_fuzzer/. Crashes inside libhdf5 itself are
// documented in docs/fuzzing.md; model_struct_fuzzer reaches our checks more
// directly.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "hdf5_readers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& path = animerec::fuzz::scratch_path("model.h5");
  animerec::fuzz::write_bytes(path, data, size);
  animerec::fuzz::read_model_file(path);
  return 0;
}
