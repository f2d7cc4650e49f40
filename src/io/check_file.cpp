#include "animerec/io/check_file.h"

#include <fmt/format.h>

#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/io/recs_file.h"
#include "hdf5_util.h"

namespace animerec::io {

namespace {

struct ArrayCount {
  int arrays = 0;
  int checksummed = 0;
};

herr_t count_array(hid_t group, const char* name, const H5L_info_t*, void* out) {
  auto& count = *static_cast<ArrayCount*>(out);
  // Groups fail to open as datasets (errors are silenced); they are skipped.
  hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
  if (d < 0) return 0;
  ++count.arrays;
  if (H5Aexists(d, h5::kChecksumAttribute) > 0) ++count.checksummed;
  H5Dclose(d);
  return 0;
}

// The format attribute and how many arrays carry a checksum, from metadata.
std::pair<std::string, ArrayCount> survey(const std::string& path) {
  h5::File file = h5::File::open_read(path);
  const h5::Group& root = file.root();
  if (!root.has_attribute("format")) {
    throw IoError(fmt::format("{} is not an animerec file (no format attribute)", path));
  }
  std::string format = h5::read_string_attribute(root, "format");
  ArrayCount count;
  if (H5Lvisit(root.id(), H5_INDEX_NAME, H5_ITER_NATIVE, count_array, &count) < 0) {
    throw IoError(fmt::format("{}: cannot list the arrays (damaged file?)", path));
  }
  return {format, count};
}

std::string checksum_note(const ArrayCount& c) {
  if (c.checksummed == c.arrays)
    return fmt::format("all {} arrays match their checksums", c.arrays);
  return fmt::format(
      "{} of {} arrays match their checksums; {} have none (written before "
      "checksums existed)",
      c.checksummed, c.arrays, c.arrays - c.checksummed);
}

}  // namespace

std::string check_file(const std::string& path) {
  auto [format, count] = survey(path);
  std::string what;
  if (format == kModelFormatName) {
    model::Model m = read_model(path);
    what = fmt::format("model, {} users, {} anime, k = {}", m.n_users(), m.n_anime(), m.factors);
  } else if (format == kCheckpointFormatName) {
    model::Checkpoint c = read_checkpoint(path);
    what = fmt::format("checkpoint after iteration {}, {} users, {} anime, k = {}", c.iteration,
                       c.current.n_users(), c.current.n_anime(), c.current.factors);
  } else if (format == kDatasetFormatName) {
    data::Dataset d = read_dataset(path);
    what = fmt::format("dataset, {} users, {} anime, {} ratings", d.n_users(), d.n_anime(),
                       d.n_ratings());
  } else if (format == kRecsFormatName) {
    const Recommendations r = read_recommendations(path);
    what = fmt::format("recommendations, top {} for {} users", r.top, r.user_ids.size());
  } else {
    throw IoError(
        fmt::format("{} is not an animerec file (format attribute is \"{}\")", path, format));
  }
  return fmt::format("{}: ok: {}; {}\n", path, what, checksum_note(count));
}

}  // namespace animerec::io
