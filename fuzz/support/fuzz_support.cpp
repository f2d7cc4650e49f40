#include "fuzz_support.h"

#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include "animerec/data/prepare.h"
#include "animerec/data/synth.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"

namespace animerec::fuzz {

namespace {

// Scratch files made by this process, removed at exit.
std::map<std::string, std::string>& scratch_files() {
  static std::map<std::string, std::string> files;
  return files;
}

void remove_scratch_files() {
  for (const auto& [tag, path] : scratch_files()) std::filesystem::remove_all(path);
}

}  // namespace

const std::string& scratch_path(const std::string& tag) {
  auto& files = scratch_files();
  auto it = files.find(tag);
  if (it != files.end()) return it->second;
  if (files.empty()) std::atexit(remove_scratch_files);
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  std::string path = dir + "/animerec-fuzz-" + std::to_string(::getpid()) + "-" + tag;
  return files.emplace(tag, path).first->second;
}

void write_bytes(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---------------------------------------------------------------- HDF5 edits

namespace {

// Closes an HDF5 handle when it goes out of scope.
struct Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~Handle() {
    if (id >= 0) close(id);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
};

struct Objects {
  std::vector<std::string> datasets;  // absolute paths
  std::vector<std::string> all;       // groups and datasets, "/" first
};

herr_t collect_link(hid_t group, const char* name, const H5L_info_t* /*info*/, void* data) {
  auto* objects = static_cast<Objects*>(data);
  Handle object(H5Oopen(group, name, H5P_DEFAULT), H5Oclose);
  if (object.id < 0) return 0;
  std::string path = std::string("/") + name;
  objects->all.push_back(path);
  if (H5Iget_type(object.id) == H5I_DATASET) objects->datasets.push_back(path);
  return 0;
}

Objects list_objects(hid_t file) {
  Objects objects;
  objects.all.push_back("/");
  H5Lvisit(file, H5_INDEX_NAME, H5_ITER_INC, collect_link, &objects);
  return objects;
}

herr_t collect_attribute(hid_t /*loc*/, const char* name, const H5A_info_t* /*info*/, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(name);
  return 0;
}

std::vector<std::string> attribute_names(hid_t object) {
  std::vector<std::string> names;
  H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attribute, &names);
  return names;
}

template <class T>
const T& pick(FuzzedDataProvider& in, const std::vector<T>& items) {
  return items[in.ConsumeIntegralInRange<size_t>(0, items.size() - 1)];
}

// Element types a replacement dataset or attribute can have: the ones our
// files use, their neighbours (wrong width or signedness) and strings.
enum class Kind { kI32, kI64, kU8, kF32, kF64, kI16, kU64, kString, kFixedString, kCount };

hid_t file_type_of(Kind kind) {
  switch (kind) {
    case Kind::kI32:
      return H5T_STD_I32LE;
    case Kind::kI64:
      return H5T_STD_I64LE;
    case Kind::kU8:
      return H5T_STD_U8LE;
    case Kind::kF32:
      return H5T_IEEE_F32LE;
    case Kind::kF64:
      return H5T_IEEE_F64LE;
    case Kind::kI16:
      return H5T_STD_I16LE;
    case Kind::kU64:
      return H5T_STD_U64LE;
    default:
      return H5I_INVALID_HID;
  }
}

// A string type (owned by the caller): variable-length or fixed 8 bytes.
hid_t string_type(Kind kind) {
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, kind == Kind::kString ? H5T_VARIABLE : 8);
  H5Tset_cset(t, H5T_CSET_UTF8);
  return t;
}

// Numeric content, as doubles converted by HDF5 to the file type: ascending
// (valid-looking offsets and ids), constant, or values taken from the input
// (including NaN, infinities and huge magnitudes).
std::vector<double> numeric_content(FuzzedDataProvider& in, size_t n) {
  std::vector<double> values(n);
  int pattern = in.ConsumeIntegralInRange(0, 2);
  double start = static_cast<double>(in.ConsumeIntegralInRange<int64_t>(-3, 100));
  double step = static_cast<double>(in.ConsumeIntegralInRange<int64_t>(0, 3));
  for (size_t i = 0; i < n; ++i) {
    if (pattern == 0) {
      values[i] = start + step * static_cast<double>(i);
    } else if (pattern == 1) {
      values[i] = start;
    } else {
      values[i] = in.remaining_bytes() > 0 ? in.ConsumeFloatingPoint<double>() : 0;
    }
  }
  return values;
}

std::vector<std::string> string_content(FuzzedDataProvider& in, size_t n) {
  std::vector<std::string> values(n);
  for (auto& s : values) s = in.ConsumeRandomLengthString(16);
  return values;
}

// Writes `n` elements of `kind` through `write(mem_type, buffer)`.
template <class Write>
void write_content(FuzzedDataProvider& in, Kind kind, hid_t type, size_t n, Write write) {
  if (n == 0) return;
  if (kind == Kind::kString) {
    std::vector<std::string> s = string_content(in, n);
    std::vector<const char*> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = s[i].c_str();
    write(type, p.data());
  } else if (kind == Kind::kFixedString) {
    std::vector<char> buf(n * 8, '\0');
    for (size_t i = 0; i < n; ++i) {
      std::string s = in.ConsumeRandomLengthString(8);
      std::copy(s.begin(), s.end(), buf.begin() + static_cast<std::ptrdiff_t>(i * 8));
    }
    write(type, buf.data());
  } else {
    std::vector<double> values = numeric_content(in, n);
    // Out-of-range values saturate in HDF5's conversion instead of failing.
    write(H5T_NATIVE_DOUBLE, values.data());
  }
}

// Declared sizes: mostly small, sometimes far more than the file stores (the
// readers must refuse those from the metadata, before allocating).
hsize_t fuzzed_extent(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0:
      return hsize_t{1} << in.ConsumeIntegralInRange(20, 40);
    case 1:
      return 0;
    default:
      return in.ConsumeIntegralInRange<hsize_t>(1, 24);
  }
}

void replace_dataset(hid_t file, const std::string& path, FuzzedDataProvider& in) {
  auto kind = static_cast<Kind>(in.ConsumeIntegralInRange(0, static_cast<int>(Kind::kCount) - 1));
  int rank = in.ConsumeIntegralInRange(0, 3) == 0 ? in.ConsumeIntegralInRange(0, 3) : 1;
  if (in.ConsumeBool()) rank = 2;
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  hsize_t total = 1;
  for (auto& d : dims) {
    d = fuzzed_extent(in);
    total *= d;
  }
  bool huge = total > (hsize_t{1} << 16);
  H5Ldelete(file, path.c_str(), H5P_DEFAULT);
  Handle space(H5Screate_simple(rank, dims.data(), nullptr), H5Sclose);
  if (rank == 0) {
    H5Sclose(space.id);
    space.id = H5Screate(H5S_SCALAR);
    total = 1;
  }
  bool is_string = kind == Kind::kString || kind == Kind::kFixedString;
  Handle type(is_string ? string_type(kind) : H5Tcopy(file_type_of(kind)), H5Tclose);
  Handle props(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (huge) {
    // Chunked, nothing written: a few bytes on disk declaring terabytes.
    std::vector<hsize_t> chunk(dims.size(), 1);
    H5Pset_chunk(props.id, rank, chunk.data());
  }
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  H5Pset_create_intermediate_group(lcpl.id, 1);
  Handle dataset(H5Dcreate2(file, path.c_str(), type.id, space.id, lcpl.id, props.id, H5P_DEFAULT),
                 H5Dclose);
  if (dataset.id < 0 || huge) return;
  write_content(in, kind, type.id, total, [&](hid_t mem_type, const void* buf) {
    H5Dwrite(dataset.id, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
  });
}

// Overwrites a few elements of a numeric dataset in place, keeping its type
// and shape: values a shape check cannot catch (unsorted ids, offsets out of
// order, indices out of range, NaN factors).
void patch_dataset(hid_t file, const std::string& path, FuzzedDataProvider& in) {
  Handle dataset(H5Dopen2(file, path.c_str(), H5P_DEFAULT), H5Dclose);
  if (dataset.id < 0) return;
  Handle type(H5Dget_type(dataset.id), H5Tclose);
  H5T_class_t cls = H5Tget_class(type.id);
  if (cls != H5T_INTEGER && cls != H5T_FLOAT) return;
  Handle space(H5Dget_space(dataset.id), H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space.id);
  if (n <= 0) return;
  int patches = in.ConsumeIntegralInRange(1, 4);
  for (int p = 0; p < patches; ++p) {
    hsize_t index = in.ConsumeIntegralInRange<hsize_t>(0, static_cast<hsize_t>(n) - 1);
    int ndims = H5Sget_simple_extent_ndims(space.id);
    std::vector<hsize_t> dims(static_cast<size_t>(std::max(ndims, 0)));
    H5Sget_simple_extent_dims(space.id, dims.data(), nullptr);
    std::vector<hsize_t> coord(dims.size());
    for (size_t d = dims.size(); d-- > 0;) {
      coord[d] = index % dims[d];
      index /= dims[d];
    }
    double value = numeric_content(in, 1)[0];
    Handle mem(H5Screate(H5S_SCALAR), H5Sclose);
    if (!coord.empty()) H5Sselect_elements(space.id, H5S_SELECT_SET, 1, coord.data());
    H5Dwrite(dataset.id, H5T_NATIVE_DOUBLE, mem.id, space.id, H5P_DEFAULT, &value);
  }
}

void replace_attribute(hid_t object, const std::string& name, FuzzedDataProvider& in) {
  H5Adelete(object, name.c_str());
  auto kind = static_cast<Kind>(in.ConsumeIntegralInRange(0, static_cast<int>(Kind::kCount) - 1));
  bool is_string = kind == Kind::kString || kind == Kind::kFixedString;
  Handle type(is_string ? string_type(kind) : H5Tcopy(file_type_of(kind)), H5Tclose);
  hsize_t length = in.ConsumeIntegralInRange<hsize_t>(1, 3);
  Handle space(in.ConsumeIntegralInRange(0, 5) == 0 ? H5Screate_simple(1, &length, nullptr)
                                                    : H5Screate(H5S_SCALAR),
               H5Sclose);
  hssize_t n = H5Sget_simple_extent_npoints(space.id);
  Handle attribute(H5Acreate2(object, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT),
                   H5Aclose);
  if (attribute.id < 0) return;
  write_content(in, kind, type.id, static_cast<size_t>(n),
                [&](hid_t mem_type, const void* buf) { H5Awrite(attribute.id, mem_type, buf); });
}

void edit_attribute(hid_t file, const std::string& object_path, FuzzedDataProvider& in,
                    bool remove) {
  Handle object(H5Oopen(file, object_path.c_str(), H5P_DEFAULT), H5Oclose);
  if (object.id < 0) return;
  std::vector<std::string> names = attribute_names(object.id);
  if (names.empty()) return;
  const std::string& name = pick(in, names);
  if (remove) {
    H5Adelete(object.id, name.c_str());
  } else {
    replace_attribute(object.id, name, in);
  }
}

}  // namespace

void mutate_hdf5(const std::string& path, FuzzedDataProvider& in, int max_edits) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT), H5Fclose);
  if (file.id < 0) return;
  int edits = in.ConsumeIntegralInRange(1, max_edits);
  for (int e = 0; e < edits && in.remaining_bytes() > 0; ++e) {
    Objects objects = list_objects(file.id);
    int op = in.ConsumeIntegralInRange(0, 9);
    if (op <= 3 && !objects.datasets.empty()) {
      patch_dataset(file.id, pick(in, objects.datasets), in);
    } else if (op <= 5 && !objects.datasets.empty()) {
      replace_dataset(file.id, pick(in, objects.datasets), in);
    } else if (op <= 7) {
      edit_attribute(file.id, pick(in, objects.all), in, /*remove=*/false);
    } else if (op == 8) {
      edit_attribute(file.id, pick(in, objects.all), in, /*remove=*/true);
    } else if (objects.all.size() > 1) {
      std::vector<std::string> links(objects.all.begin() + 1, objects.all.end());
      H5Ldelete(file.id, pick(in, links).c_str(), H5P_DEFAULT);
    }
  }
}

// ---------------------------------------------------------------- seed files

void write_seed_dataset(const std::string& path) {
  std::string dir = path + ".synth";
  data::SynthOptions synth;
  synth.users = 8;
  synth.anime = 6;
  synth.ratings = 30;
  synth.quiet = true;
  data::write_synthetic(synth, dir, true);
  data::PrepareOptions prepare;
  prepare.ratings_path = dir + "/users-score-2023.csv";
  prepare.anime_path = dir + "/anime-dataset-2023.csv";
  prepare.validation_fraction = 0.1;
  prepare.cold_anime_fraction = 0.2;
  prepare.min_ratings_to_split = 2;
  prepare.quiet = true;
  data::BadRowLog log(data::BadRowPolicy::kError);
  io::write_dataset(data::prepare_dataset(prepare, log), path, /*overwrite=*/true);
  std::filesystem::remove_all(dir);
}

namespace {

// A hybrid model with 3 users, 4 anime, k = 2 and 3 content features.
model::Model seed_model() {
  model::Model m;
  m.factors = 2;
  m.global_mean = 7.5f;
  m.user_ids = {3, 7, 11};
  m.anime_ids = {1, 5, 20, 21};
  m.anime_titles = {"A", "B & C", "", "D"};
  m.user_factors = als::FactorMatrix::Constant(3, 2, 0.25f);
  m.anime_factors = als::FactorMatrix::Constant(4, 2, -0.5f);
  m.user_bias = {0.1f, -0.2f, 0.3f};
  m.anime_bias = {0.0f, 0.5f, -0.5f, 1.0f};
  model::ContentPart c;
  c.lambda_content = 0.5;
  c.ridge = 1.0;
  c.names = {"genre:Action", "genre:Drama", "type:TV"};
  c.groups = {"genre", "genre", "type"};
  c.idf = {1.0f, 1.5f, 0.5f};
  c.offsets = {0, 2, 3, 3, 5};
  c.cols = {0, 2, 1, 0, 1};
  c.values = {0.5f, 0.5f, 1.0f, 0.7f, 0.7f};
  c.w = als::FactorMatrix::Constant(3, 2, 0.125f);
  c.w_bias = {0.0f, 0.1f, 0.2f};
  m.content = c;
  m.history = {R"({"iteration":1,"train_rmse":1.0})"};
  m.best_iteration = 1;
  m.config = {{"factors", "2"}, {"seed", "42"}};
  m.seed = 42;
  m.dataset_sha256 = std::string(64, '0');
  m.program_version = "fuzz";
  m.build_commit = "fuzz";
  m.created = "2000-01-01T00:00:00Z";
  return m;
}

}  // namespace

void write_seed_model(const std::string& path) { io::write_model(seed_model(), path, true); }

void write_seed_checkpoint(const std::string& path) {
  model::Checkpoint c;
  c.current = seed_model();
  c.iteration = 2;
  c.best_user_factors = c.current.user_factors;
  c.best_anime_factors = c.current.anime_factors;
  c.best_user_bias = c.current.user_bias;
  c.best_anime_bias = c.current.anime_bias;
  c.best_iteration = 1;
  c.best_metric = 0.9;
  c.bad_iterations = 1;
  io::write_checkpoint(c, path);
}

}  // namespace animerec::fuzz
