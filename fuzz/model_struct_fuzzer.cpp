// Structure-aware fuzzing of the model.h5 and checkpoint readers: a valid
// hybrid model or checkpoint written by the project's writers (once), edited
// by the input (fuzz_support.h), then read by read_model and read_checkpoint.
// Input byte 0 picks the model or the checkpoint.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "hdf5_readers.h"

namespace {

const std::string& seed_bytes(bool checkpoint) {
  static const std::string model = [] {
    const std::string& seed = animerec::fuzz::scratch_path("seed-model.h5");
    animerec::fuzz::write_seed_model(seed);
    return animerec::fuzz::read_bytes(seed);
  }();
  static const std::string check = [] {
    const std::string& seed = animerec::fuzz::scratch_path("seed-checkpoint.h5");
    animerec::fuzz::write_seed_checkpoint(seed);
    return animerec::fuzz::read_bytes(seed);
  }();
  return checkpoint ? check : model;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  const std::string& seed = seed_bytes(input.ConsumeBool());
  const std::string& path = animerec::fuzz::scratch_path("model.h5");
  animerec::fuzz::write_bytes(path, reinterpret_cast<const uint8_t*>(seed.data()), seed.size());
  animerec::fuzz::mutate_hdf5(path, input, /*max_edits=*/6);
  animerec::fuzz::read_model_file(path);
  return 0;
}
