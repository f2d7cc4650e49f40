#pragma once
// Runs every public reader of dataset.h5 or model.h5 / checkpoint files on one
// file, the way the commands use them. animerec::Error is the expected
// refusal of a bad file and is swallowed; anything else escapes to libFuzzer.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"

namespace animerec::fuzz {

template <class Read>
void expect_error_or_success(Read read) {
  try {
    read();
  } catch (const animerec::Error&) {
    // The expected refusal of a damaged file.
  }
}

// Slice bounds: usually inside [0, n_ratings], sometimes just outside it.
inline void read_dataset_file(const std::string& path, FuzzedDataProvider& in) {
  int64_t n_ratings = -1;
  expect_error_or_success([&] { n_ratings = io::read_dataset_header(path).n_ratings; });
  expect_error_or_success([&] { io::read_dataset(path); });
  expect_error_or_success([&] { io::read_anime_titles(path); });
  expect_error_or_success([&] { io::read_anime_meta(path); });
  int64_t hi = std::max<int64_t>(n_ratings, 0) + 2;
  for (auto orientation : {io::Orientation::kByUser, io::Orientation::kByAnime}) {
    int64_t begin = in.ConsumeIntegralInRange<int64_t>(-2, hi);
    int64_t end = in.ConsumeIntegralInRange<int64_t>(-2, hi);
    expect_error_or_success([&] { io::read_rating_slice(path, orientation, begin, end); });
  }
}

inline void read_model_file(const std::string& path) {
  expect_error_or_success([&] { io::read_model(path); });
  expect_error_or_success([&] { io::read_checkpoint(path); });
}

}  // namespace animerec::fuzz
