// Structure-aware fuzzing of the dataset.h5 readers: a valid dataset made by
// `synth` + `prepare` (in process, once), edited by the input (datasets
// replaced with other types, shapes and contents, elements patched,
// attributes rewritten or deleted; fuzz_support.h), then read by every reader.
// The file stays valid HDF5, so the fuzzer exercises our validation.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "hdf5_readers.h"

namespace {

const std::string& seed_bytes() {
  static const std::string bytes = [] {
    const std::string& seed = animerec::fuzz::scratch_path("seed-dataset.h5");
    animerec::fuzz::write_seed_dataset(seed);
    return animerec::fuzz::read_bytes(seed);
  }();
  return bytes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& seed = seed_bytes();
  const std::string& path = animerec::fuzz::scratch_path("dataset.h5");
  animerec::fuzz::write_bytes(path, reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
  FuzzedDataProvider input(data, size);
  animerec::fuzz::mutate_hdf5(path, input, /*max_edits=*/6);
  animerec::fuzz::read_dataset_file(path, input);
  return 0;
}
