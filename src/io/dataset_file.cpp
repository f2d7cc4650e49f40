// dataset.h5 reader and writer. The layout is documented in
// docs/dataset-format.md; keep the two in step.

#include "animerec/io/dataset_file.h"

#include <fmt/format.h>

#include <algorithm>

#include "animerec/core/atomic_file.h"
#include "animerec/core/error.h"
#include "hdf5_util.h"

namespace animerec::io {

namespace {

using data::AnimeMeta;
using data::Dataset;
using data::MultiValued;
using data::Provenance;
using data::RatingArrays;
using h5::Group;

// Each orientation stores the column it is sorted by only through its offsets
// array (rows of key k are [offsets[k], offsets[k+1])), so the file holds
// 2 x 10 bytes per rating instead of 2 x 14; readers rebuild the key column.
const char* other_column(Orientation o) { return o == Orientation::kByUser ? "anime" : "user"; }
std::vector<int32_t>& key_column(RatingArrays& r, Orientation o) {
  return o == Orientation::kByUser ? r.user : r.anime;
}
std::vector<int32_t>& other_column(RatingArrays& r, Orientation o) {
  return o == Orientation::kByUser ? r.anime : r.user;
}

// ---------------------------------------------------------------- writing

void write_ratings(const Group& g, const RatingArrays& r, Orientation o) {
  h5::write_array(g, other_column(o), o == Orientation::kByUser ? r.anime : r.user);
  h5::write_array(g, "score", r.score);
  h5::write_array(g, "status", r.status);
  h5::write_array(g, "split", r.split);
}

void write_multi_valued(const Group& g, const MultiValued& m) {
  h5::write_strings(g, "vocab", m.vocab);
  h5::write_array(g, "offsets", m.offsets);
  h5::write_array(g, "values", m.values);
}

void write_anime(const Group& g, const Dataset& d) {
  const AnimeMeta& m = d.anime;
  h5::write_array(g, "ids", d.anime_ids);
  h5::write_array(g, "cold", d.cold_anime);
  h5::write_array(g, "has_metadata", m.has_metadata);
  h5::write_strings(g, "title", m.title);
  h5::write_strings(g, "type", m.type);
  h5::write_strings(g, "source", m.source);
  h5::write_strings(g, "age_rating", m.age_rating);
  h5::write_strings(g, "season", m.season);
  h5::write_strings(g, "synopsis", m.synopsis);
  h5::write_array(g, "episodes", m.episodes);
  h5::write_array(g, "year", m.year);
  h5::write_array(g, "duration_min", m.duration_min);
  h5::write_array(g, "members", m.members);
  h5::write_array(g, "community_score", m.community_score);
  write_multi_valued(g.create_group("genres"), m.genres);
  write_multi_valued(g.create_group("studios"), m.studios);
}

void write_provenance(const Group& g, const Provenance& p) {
  h5::write_attribute(g, "command_line", p.command_line);
  h5::write_attribute(g, "program_version", p.program_version);
  h5::write_attribute(g, "build_commit", p.build_commit);

  std::vector<std::string> role, path, layout, sha256;
  std::vector<int64_t> size_bytes;
  for (const auto& in : p.inputs) {
    role.push_back(in.role);
    path.push_back(in.path);
    layout.push_back(in.layout);
    size_bytes.push_back(static_cast<int64_t>(in.size_bytes));
    sha256.push_back(in.sha256);
  }
  Group inputs = g.create_group("inputs");
  h5::write_strings(inputs, "role", role);
  h5::write_strings(inputs, "path", path);
  h5::write_strings(inputs, "layout", layout);
  h5::write_array(inputs, "size_bytes", size_bytes);
  h5::write_strings(inputs, "sha256", sha256);

  // std::map iterates in key order, so the arrays are sorted by name.
  std::vector<std::string> names;
  std::vector<int64_t> values;
  for (const auto& [name, value] : p.counts) {
    names.push_back(name);
    values.push_back(value);
  }
  Group counts = g.create_group("counts");
  h5::write_strings(counts, "name", names);
  h5::write_array(counts, "value", values);

  h5::write_string_map(g, "params", p.params);
}

void write_file(h5::File& file, const Dataset& d) {
  const Group& root = file.root();
  h5::write_attribute(root, "format", std::string_view(kDatasetFormatName));
  h5::write_attribute(root, "format_version", int64_t{Dataset::kFormatVersion});
  h5::write_attribute(root, "score_min", d.score_min);
  h5::write_attribute(root, "score_max", d.score_max);

  h5::write_array(root.create_group("users"), "ids", d.user_ids);
  write_anime(root.create_group("anime"), d);

  Group ratings = root.create_group("ratings");
  write_ratings(ratings.create_group("by_user"), d.by_user, Orientation::kByUser);
  h5::write_array(ratings, "user_offsets", d.user_offsets);
  write_ratings(ratings.create_group("by_anime"), d.by_anime, Orientation::kByAnime);
  h5::write_array(ratings, "anime_offsets", d.anime_offsets);

  write_provenance(root.create_group("provenance"), d.provenance);
}

// ---------------------------------------------------------------- reading

// Opens `path` and checks it is an animerec dataset of the version we read.
h5::File open_dataset_file(const std::string& path) {
  h5::File file = h5::File::open_read(path);
  const Group& root = file.root();
  if (!root.has_attribute("format")) {
    throw IoError(fmt::format("{} is not an animerec dataset (no format attribute)", path));
  }
  std::string format = h5::read_string_attribute(root, "format");
  if (format != kDatasetFormatName) {
    throw IoError(
        fmt::format("{} is not an animerec dataset (format attribute is \"{}\")", path, format));
  }
  int64_t version = h5::read_int_attribute(root, "format_version");
  if (version != Dataset::kFormatVersion) {
    throw IoError(
        fmt::format("{}: field /@format_version: version {} is not supported (this "
                    "program reads version {})",
                    path, version, Dataset::kFormatVersion));
  }
  return file;
}

// Checks from metadata alone that the four arrays of one orientation exist
// with the right types and all have `n` rows.
void check_rating_lengths(const Group& g, Orientation o, hsize_t n, std::string_view why) {
  auto check = [&](const char* field, hsize_t len) {
    if (len != n) g.fail(field, fmt::format("has {} elements, expected {} ({})", len, n, why));
  };
  check(other_column(o), h5::array_length<int32_t>(g, other_column(o)));
  check("score", h5::array_length<float>(g, "score"));
  check("status", h5::array_length<uint8_t>(g, "status"));
  check("split", h5::array_length<uint8_t>(g, "split"));
}

// Rows [begin, end) of the key column implied by `offsets`.
std::vector<int32_t> expand_keys(const std::vector<int64_t>& offsets, int64_t begin, int64_t end) {
  std::vector<int32_t> keys(static_cast<size_t>(end - begin));
  auto it = std::upper_bound(offsets.begin(), offsets.end(), begin);
  auto key = static_cast<int32_t>(it - offsets.begin() - 1);
  for (int64_t row = begin; row < end; ++row) {
    while (offsets[static_cast<size_t>(key) + 1] <= row) ++key;
    keys[static_cast<size_t>(row - begin)] = key;
  }
  return keys;
}

RatingArrays read_ratings(const Group& g, Orientation o, const std::vector<int64_t>& offsets,
                          hsize_t begin, hsize_t end) {
  RatingArrays r;
  other_column(r, o) = h5::read_array_range<int32_t>(g, other_column(o), begin, end);
  r.score = h5::read_array_range<float>(g, "score", begin, end);
  r.status = h5::read_array_range<uint8_t>(g, "status", begin, end);
  r.split = h5::read_array_range<uint8_t>(g, "split", begin, end);
  key_column(r, o) = expand_keys(offsets, static_cast<int64_t>(begin), static_cast<int64_t>(end));
  return r;
}

// An offsets array must be usable to slice the rating arrays: right length,
// from 0 to n_ratings, never decreasing. (validate() repeats this for whole
// datasets; the header is also read on its own by the trainer's ranks.)
std::vector<int64_t> read_offsets(const Group& g, const char* name, size_t n_keys,
                                  std::string_view keys, int64_t n_ratings) {
  auto offsets =
      h5::read_array<int64_t>(g, name, n_keys + 1, fmt::format("the number of {} + 1", keys));
  if (offsets.front() != 0) g.fail(name, fmt::format("starts at {}, not 0", offsets.front()));
  for (size_t i = 1; i < offsets.size(); ++i) {
    if (offsets[i] < offsets[i - 1]) {
      g.fail(name,
             fmt::format("decreases at index {} ({} after {})", i, offsets[i], offsets[i - 1]));
    }
  }
  if (offsets.back() != n_ratings) {
    g.fail(name,
           fmt::format("ends at {}, expected the number of ratings {}", offsets.back(), n_ratings));
  }
  return offsets;
}

// Ids map dense indices to MyAnimeList ids; lookups binary-search them.
std::vector<int64_t> read_ascending_ids(const Group& g) {
  auto ids = h5::read_array<int64_t>(g, "ids");
  for (size_t i = 1; i < ids.size(); ++i) {
    if (ids[i] <= ids[i - 1]) {
      g.fail("ids", fmt::format("is not strictly ascending (id {} at index {} after {})", ids[i], i,
                                ids[i - 1]));
    }
  }
  return ids;
}

MultiValued read_multi_valued(const Group& g, size_t n_anime) {
  MultiValued m;
  m.vocab = h5::read_strings(g, "vocab");
  m.offsets = h5::read_array<int64_t>(g, "offsets", n_anime + 1, "the number of anime + 1");
  m.values = h5::read_array<int32_t>(g, "values");
  return m;
}

// The CSR invariants data::validate checks, for readers that do not build a
// whole Dataset (read_anime_meta): offsets usable to slice values, values
// inside the vocabulary.
void check_multi_valued(const Group& g, const MultiValued& m) {
  if (m.offsets.front() != 0) {
    g.fail("offsets", fmt::format("starts at {}, not 0", m.offsets.front()));
  }
  for (size_t i = 1; i < m.offsets.size(); ++i) {
    if (m.offsets[i] < m.offsets[i - 1]) {
      g.fail("offsets",
             fmt::format("decreases at index {} ({} after {})", i, m.offsets[i], m.offsets[i - 1]));
    }
  }
  if (m.offsets.back() != static_cast<int64_t>(m.values.size())) {
    g.fail("offsets",
           fmt::format("ends at {}, but values has {} entries", m.offsets.back(), m.values.size()));
  }
  for (size_t i = 0; i < m.values.size(); ++i) {
    if (m.values[i] < 0 || static_cast<size_t>(m.values[i]) >= m.vocab.size()) {
      g.fail("values", fmt::format("entry {} is {}, outside the vocabulary [0, {})", i, m.values[i],
                                   m.vocab.size()));
    }
  }
}

AnimeMeta read_anime_meta(const Group& g, size_t n) {
  constexpr std::string_view why = "the number of anime in /anime/ids";
  AnimeMeta m;
  m.has_metadata = h5::read_array<uint8_t>(g, "has_metadata", n, why);
  m.title = h5::read_strings(g, "title", n, why);
  m.type = h5::read_strings(g, "type", n, why);
  m.source = h5::read_strings(g, "source", n, why);
  m.age_rating = h5::read_strings(g, "age_rating", n, why);
  m.season = h5::read_strings(g, "season", n, why);
  m.synopsis = h5::read_strings(g, "synopsis", n, why);
  m.episodes = h5::read_array<int32_t>(g, "episodes", n, why);
  m.year = h5::read_array<int32_t>(g, "year", n, why);
  m.duration_min = h5::read_array<int32_t>(g, "duration_min", n, why);
  m.members = h5::read_array<int64_t>(g, "members", n, why);
  m.community_score = h5::read_array<float>(g, "community_score", n, why);
  m.genres = read_multi_valued(g.open_group("genres"), n);
  m.studios = read_multi_valued(g.open_group("studios"), n);
  return m;
}

Provenance read_provenance(const Group& g) {
  Provenance p;
  p.command_line = h5::read_string_attribute(g, "command_line");
  p.program_version = h5::read_string_attribute(g, "program_version");
  p.build_commit = h5::read_string_attribute(g, "build_commit");

  Group inputs = g.open_group("inputs");
  auto role = h5::read_strings(inputs, "role");
  constexpr std::string_view why = "the length of /provenance/inputs/role";
  auto path = h5::read_strings(inputs, "path", role.size(), why);
  auto layout = h5::read_strings(inputs, "layout", role.size(), why);
  auto size_bytes = h5::read_array<int64_t>(inputs, "size_bytes", role.size(), why);
  auto sha256 = h5::read_strings(inputs, "sha256", role.size(), why);
  for (size_t i = 0; i < role.size(); ++i) {
    p.inputs.push_back(data::InputFile{std::move(role[i]), std::move(path[i]), std::move(layout[i]),
                                       static_cast<uint64_t>(size_bytes[i]), std::move(sha256[i])});
  }

  Group counts = g.open_group("counts");
  auto count_names = h5::read_strings(counts, "name");
  auto count_values = h5::read_array<int64_t>(counts, "value", count_names.size(),
                                              "the length of /provenance/counts/name");
  for (size_t i = 0; i < count_names.size(); ++i) p.counts[count_names[i]] = count_values[i];

  Group params = g.open_group("params");
  auto param_names = h5::read_strings(params, "name");
  auto param_values = h5::read_strings(params, "value", param_names.size(),
                                       "the length of /provenance/params/name");
  for (size_t i = 0; i < param_names.size(); ++i) p.params[param_names[i]] = param_values[i];
  return p;
}

DatasetHeader read_header(const h5::File& file) {
  const Group& root = file.root();
  DatasetHeader h;
  h.format_version = static_cast<int>(h5::read_int_attribute(root, "format_version"));
  h.score_min = h5::read_float_attribute(root, "score_min");
  h.score_max = h5::read_float_attribute(root, "score_max");
  if (!(h.score_min > 0 && h.score_min < h.score_max)) {
    root.fail("@score_max",
              fmt::format("scale [{}, {}] is invalid (need 0 < score_min < score_max)", h.score_min,
                          h.score_max));
  }
  h.user_ids = read_ascending_ids(root.open_group("users"));
  Group anime = root.open_group("anime");
  h.anime_ids = read_ascending_ids(anime);
  h.cold_anime = h5::read_array<uint8_t>(anime, "cold", h.anime_ids.size(),
                                         "the number of anime in /anime/ids");

  Group ratings = root.open_group("ratings");
  Group by_user = ratings.open_group("by_user");
  h.n_ratings = static_cast<int64_t>(h5::array_length<int32_t>(by_user, "anime"));
  constexpr std::string_view why = "the length of /ratings/by_user/anime";
  check_rating_lengths(by_user, Orientation::kByUser, h.n_ratings, why);
  check_rating_lengths(ratings.open_group("by_anime"), Orientation::kByAnime, h.n_ratings, why);
  h.user_offsets = read_offsets(ratings, "user_offsets", h.n_users(), "users", h.n_ratings);
  h.anime_offsets = read_offsets(ratings, "anime_offsets", h.n_anime(), "anime", h.n_ratings);
  h.provenance = read_provenance(root.open_group("provenance"));
  return h;
}

}  // namespace

const char* orientation_name(Orientation o) {
  return o == Orientation::kByUser ? "by_user" : "by_anime";
}

void write_dataset(const data::Dataset& d, const std::string& path, bool overwrite,
                   int deflate_level) {
  if (deflate_level < 0 || deflate_level > 9) {
    throw ConfigError(fmt::format(
        "invalid value for --compression: '{}' (must be an integer in [0, 9])", deflate_level));
  }
  // Never put an inconsistent dataset on disk: every reader would reject it.
  data::validate(d, fmt::format("dataset to write to {}", path));
  AtomicOutput out(path, overwrite);
  {
    h5::File file = h5::File::create(out.temp_path(), path, deflate_level);
    write_file(file, d);
    file.close();
  }
  out.commit();
}

data::Dataset read_dataset(const std::string& path) {
  h5::File file = open_dataset_file(path);
  DatasetHeader h = read_header(file);
  Dataset d;
  d.user_ids = std::move(h.user_ids);
  d.anime_ids = std::move(h.anime_ids);
  d.score_min = h.score_min;
  d.score_max = h.score_max;
  d.user_offsets = std::move(h.user_offsets);
  d.anime_offsets = std::move(h.anime_offsets);
  d.cold_anime = std::move(h.cold_anime);
  d.provenance = std::move(h.provenance);

  const Group& root = file.root();
  Group ratings = root.open_group("ratings");
  // read_header has checked every array length against n_ratings.
  Group by_user = ratings.open_group("by_user");
  Group by_anime = ratings.open_group("by_anime");
  d.by_user = read_ratings(by_user, Orientation::kByUser, d.user_offsets, 0, h.n_ratings);
  d.by_anime = read_ratings(by_anime, Orientation::kByAnime, d.anime_offsets, 0, h.n_ratings);
  d.anime = read_anime_meta(root.open_group("anime"), d.n_anime());

  data::validate(d, path);
  return d;
}

std::vector<std::string> read_anime_titles(const std::string& path) {
  h5::File file = open_dataset_file(path);
  Group anime = file.root().open_group("anime");
  size_t n = h5::array_length<int64_t>(anime, "ids");
  return h5::read_strings(anime, "title", n, "the number of anime in /anime/ids");
}

data::AnimeMeta read_anime_meta(const std::string& path) {
  h5::File file = open_dataset_file(path);
  Group anime = file.root().open_group("anime");
  // Only the length of ids is needed; every other array is checked against it.
  size_t n = h5::array_length<int64_t>(anime, "ids");
  AnimeMeta m = read_anime_meta(anime, n);
  for (size_t a = 0; a < n; ++a) {
    if (m.has_metadata[a] > 1) {
      anime.fail("has_metadata",
                 fmt::format("anime {} has value {}, expected 0 or 1", a, m.has_metadata[a]));
    }
  }
  check_multi_valued(anime.open_group("genres"), m.genres);
  check_multi_valued(anime.open_group("studios"), m.studios);
  return m;
}

DatasetHeader read_dataset_header(const std::string& path) {
  h5::File file = open_dataset_file(path);
  return read_header(file);
}

data::RatingArrays read_rating_slice(const std::string& path, Orientation orientation,
                                     int64_t begin_row, int64_t end_row) {
  h5::File file = open_dataset_file(path);
  Group ratings = file.root().open_group("ratings");
  Group g = ratings.open_group(orientation_name(orientation));
  DatasetHeader h = read_header(file);  // checks the array lengths and offsets
  auto n = h.n_ratings;
  if (begin_row < 0 || begin_row > end_row || end_row > n) {
    throw IoError(fmt::format("{}: rows [{}, {}) are outside {} ({} rows)", path, begin_row,
                              end_row, g.path(), n));
  }
  const auto& offsets = orientation == Orientation::kByUser ? h.user_offsets : h.anime_offsets;
  // The rows' contents are checked by their user (train/local_data.cpp
  // check_slice), which knows which rows it reads.
  return read_ratings(g, orientation, offsets, static_cast<hsize_t>(begin_row),
                      static_cast<hsize_t>(end_row));
}

}  // namespace animerec::io
