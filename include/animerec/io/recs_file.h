#pragma once
// recs.h5: the top-N lists of `animerec recommend --all-users`
// (docs/recommend.md, section Batch). Only the io sources include HDF5; this
// header exposes none of its types.

#include <cstdint>
#include <string>
#include <vector>

namespace animerec::io {

inline constexpr const char* kRecsFormatName = "animerec-recommendations";
inline constexpr int kRecsFormatVersion = 1;

// n users x top entries, row-major. A user with fewer than `top` unseen anime
// has their row padded with anime id -1 and score NaN.
struct Recommendations {
  int32_t top = 0;
  std::vector<int64_t> user_ids;   // n, external ids in dataset order
  std::vector<int64_t> anime_ids;  // n * top, external ids, best first
  std::vector<float> scores;       // n * top, the predicted score shown to the user
  std::string model_path;          // provenance attributes
  std::string dataset_path;
  bool include_seen = false;
};

// Writes /users/ids, /recommendations/anime_ids and /recommendations/scores
// through AtomicOutput (temporary file, fsync, rename). The same lists give
// the same bytes. Throws IoError for an existing path without overwrite.
void write_recommendations(const Recommendations& r, const std::string& path, bool overwrite);

// Reads a file written by write_recommendations; throws IoError naming the
// file and field when it is not one or its shapes disagree.
Recommendations read_recommendations(const std::string& path);

}  // namespace animerec::io
