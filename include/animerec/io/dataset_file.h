#pragma once
// dataset.h5: the prepared dataset on disk (layout in docs/dataset-format.md).
// Only the io sources include HDF5; this header exposes none of its types.

#include <cstdint>
#include <string>
#include <vector>

#include "animerec/data/dataset.h"

namespace animerec::io {

inline constexpr const char* kDatasetFormatName = "animerec-dataset";

// Writes through AtomicOutput: a temporary file renamed into place, so a
// failure leaves no partial file and an existing file is replaced only with
// overwrite. Deterministic: the same Dataset gives the same bytes.
// deflate_level 0 (default) stores the rating arrays uncompressed: about 29
// bytes per rating, written at disk speed; 1..9 trades write time for size
// (level 1: about 6 bytes per rating, 5x slower to write).
void write_dataset(const data::Dataset& d, const std::string& path, bool overwrite,
                   int deflate_level = 0);

// Reads and validates the whole file. Throws IoError naming the file and the
// field for a missing file, a file that is not HDF5, a foreign HDF5 file
// (format attribute missing or different), an unsupported version, or any
// inconsistent shape (checked before large allocations), or an array whose
// sha256 checksum does not match its data (arrays without one are accepted:
// datasets written before checksums existed).
data::Dataset read_dataset(const std::string& path);

// What a rank of a distributed trainer needs before reading its slice: ids,
// offsets of both orientations, the score scale, cold anime, provenance and
// the row count. Reads no rating array (their lengths are checked from the
// file's metadata only).
struct DatasetHeader {
  int format_version = 0;
  std::vector<int64_t> user_ids;
  std::vector<int64_t> anime_ids;
  float score_min = 0;
  float score_max = 0;
  std::vector<int64_t> user_offsets;   // n_users + 1
  std::vector<int64_t> anime_offsets;  // n_anime + 1
  std::vector<uint8_t> cold_anime;
  int64_t n_ratings = 0;
  data::Provenance provenance;
  size_t n_users() const { return user_ids.size(); }
  size_t n_anime() const { return anime_ids.size(); }
};
DatasetHeader read_dataset_header(const std::string& path);

// The anime titles (index order) alone, for the model file.
std::vector<std::string> read_anime_titles(const std::string& path);

// The anime metadata (/anime) alone, for content features: reads no rating
// array. Checks every array against the number of anime in /anime/ids and
// the genre and studio CSR arrays (offsets from 0 to the number of values,
// never decreasing, values inside their vocabulary); throws IoError naming
// the file and field otherwise, or for a file that is not a dataset.
data::AnimeMeta read_anime_meta(const std::string& path);

enum class Orientation { kByUser, kByAnime };
const char* orientation_name(Orientation o);  // "by_user" | "by_anime"

// Rating rows [begin_row, end_row) of one orientation, read by hyperslab
// (rows of users u0..u1 are [user_offsets[u0], user_offsets[u1+1])). Throws
// IoError for a range outside the file or inconsistent array lengths.
data::RatingArrays read_rating_slice(const std::string& path, Orientation orientation,
                                     int64_t begin_row, int64_t end_row);

}  // namespace animerec::io
