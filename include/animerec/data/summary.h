#pragma once
// The report `animerec info dataset.h5` prints: sizes, status and score
// distributions, split sizes, prepare's counts and the provenance. Plain
// aligned text; the same dataset always gives the same text.

#include <string>

#include "animerec/data/dataset.h"

namespace animerec::data {

// `path` is shown in the first line only.
std::string dataset_summary(const Dataset& d, const std::string& path);

}  // namespace animerec::data
