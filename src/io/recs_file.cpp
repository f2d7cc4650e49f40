#include "animerec/io/recs_file.h"

#include <fmt/format.h>

#include <span>

#include "animerec/core/atomic_file.h"
#include "animerec/core/build_info.h"
#include "animerec/core/error.h"
#include "hdf5_util.h"

namespace animerec::io {

using h5::Group;

void write_recommendations(const Recommendations& r, const std::string& path, bool overwrite) {
  const auto n = static_cast<hsize_t>(r.user_ids.size());
  const auto top = static_cast<hsize_t>(r.top);
  if (r.top < 1 || r.anime_ids.size() != n * top || r.scores.size() != n * top) {
    throw Error(fmt::format("recommendations to write to {}: {} users x top {} but {} anime ids "
                            "and {} scores",
                            path, n, r.top, r.anime_ids.size(), r.scores.size()),
                kExitInternal);
  }
  AtomicOutput out(path, overwrite, "--out");
  {
    h5::File file = h5::File::create(out.temp_path(), path);
    const Group& root = file.root();
    // No creation time: the same lists must give the same bytes for any rank count.
    h5::write_attribute(root, "format", kRecsFormatName);
    h5::write_attribute(root, "format_version", int64_t{kRecsFormatVersion});
    h5::write_attribute(root, "top", int64_t{r.top});
    h5::write_attribute(root, "include_seen", int64_t{r.include_seen ? 1 : 0});
    h5::write_attribute(root, "model", r.model_path);
    h5::write_attribute(root, "dataset", r.dataset_path);
    h5::write_attribute(root, "program_version", program_version());
    h5::write_attribute(root, "build_commit", build_commit());
    Group users = root.create_group("users");
    h5::write_array(users, "ids", r.user_ids);
    Group recs = root.create_group("recommendations");
    h5::write_matrix(recs, "anime_ids", std::span<const int64_t>(r.anime_ids), {n, top});
    h5::write_matrix(recs, "scores", std::span<const float>(r.scores), {n, top});
    file.close();
  }
  out.commit();
}

Recommendations read_recommendations(const std::string& path) {
  h5::File file = h5::File::open_read(path);
  const Group& root = file.root();
  if (!root.has_attribute("format") || h5::read_string_attribute(root, "format") != kRecsFormatName)
    throw IoError(fmt::format("{} is not an animerec recommendations file", path));
  if (h5::read_int_attribute(root, "format_version") != kRecsFormatVersion)
    throw IoError(fmt::format("{}: field /@format_version: unsupported version", path));
  Recommendations r;
  r.top = static_cast<int32_t>(h5::read_int_attribute(root, "top"));
  r.include_seen = h5::read_int_attribute(root, "include_seen") != 0;
  r.model_path = h5::read_string_attribute(root, "model");
  r.dataset_path = h5::read_string_attribute(root, "dataset");
  r.user_ids = h5::read_array<int64_t>(root.open_group("users"), "ids");
  Group recs = root.open_group("recommendations");
  const h5::Shape2 shape{r.user_ids.size(), static_cast<hsize_t>(r.top)};
  r.anime_ids.resize(shape.rows * shape.cols);
  r.scores.resize(shape.rows * shape.cols);
  h5::read_matrix(recs, "anime_ids", shape, "/users/ids", "/@top", std::span<int64_t>(r.anime_ids));
  h5::read_matrix(recs, "scores", shape, "/users/ids", "/@top", std::span<float>(r.scores));
  return r;
}

}  // namespace animerec::io
