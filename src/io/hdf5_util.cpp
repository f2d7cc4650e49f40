#include "hdf5_util.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <type_traits>

#include "animerec/core/error.h"
#include "animerec/core/sha256.h"

namespace animerec::io::h5 {

namespace {

// With compression on, arrays at least this long are chunked and compressed
// (the shuffle filter makes sorted index columns and small-integer scores
// shrink severalfold); shorter ones (ids,
// per-anime metadata of small data sets) stay contiguous, which also avoids
// HDF5's rule that a chunk may not exceed a fixed-size dimension.
constexpr hsize_t kChunkThreshold = hsize_t{1} << 16;
// 256 Ki elements: 1 MiB for int32/float, the size of HDF5's default chunk
// cache, so a rank reading a slice decompresses at most two partial chunks.
constexpr hsize_t kChunkElements = hsize_t{1} << 18;

Id make_id(hid_t id, Id::Closer closer) { return Id(id, closer); }

Id vlen_string_type() {
  Id t = make_id(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

std::string describe_type(hid_t type) {
  size_t size = H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return fmt::format("{}int{}", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", size * 8);
    case H5T_FLOAT:
      return fmt::format("float{}", size * 8);
    case H5T_STRING:
      return H5Tis_variable_str(type) > 0 ? "variable-length string"
                                          : fmt::format("fixed-length string[{}]", size);
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    case H5T_ARRAY:
      return "array";
    case H5T_VLEN:
      return "variable-length sequence";
    default:
      return "unsupported type";
  }
}

Id open_dataset(const Group& g, const char* name) {
  if (!g.has_child(name)) g.fail(name, "is missing");
  Id d = make_id(H5Dopen2(g.id(), name, H5P_DEFAULT), H5Dclose);
  if (!d.valid()) g.fail(name, "is not a dataset");
  return d;
}

// The length of a 1-D dataset, read from its dataspace.
hsize_t length_1d(const Group& g, const char* name, hid_t dset) {
  Id space = make_id(H5Dget_space(dset), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank != 1) g.fail(name, fmt::format("has rank {}, expected a 1-D array", rank));
  hsize_t n = 0;
  H5Sget_simple_extent_dims(space.get(), &n, nullptr);
  return n;
}

template <class T>
void check_type(const Group& g, const char* name, hid_t dset) {
  Id type = make_id(H5Dget_type(dset), H5Tclose);
  bool ok = H5Tget_class(type.get()) == Traits<T>::kClass && H5Tget_size(type.get()) == sizeof(T);
  if (ok && Traits<T>::kClass == H5T_INTEGER) {
    H5T_sign_t want = std::is_signed_v<T> ? H5T_SGN_2 : H5T_SGN_NONE;
    ok = H5Tget_sign(type.get()) == want;
  }
  if (!ok) {
    g.fail(name,
           fmt::format("has type {}, expected {}", describe_type(type.get()), Traits<T>::kName));
  }
}

void check_string_type(const Group& g, const char* name, hid_t dset) {
  Id type = make_id(H5Dget_type(dset), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) {
    g.fail(name,
           fmt::format("has type {}, expected variable-length string", describe_type(type.get())));
  }
}

void check_expected(const Group& g, const char* name, hsize_t n, hsize_t expected,
                    std::string_view why) {
  if (n != expected) {
    g.fail(name, fmt::format("has {} elements, expected {} ({})", n, expected, why));
  }
}

// Dataset creation properties shared by every array: no timestamps (the
// same data must give the same bytes) and, for numbers, no fill pass before
// our write (HDF5 refuses FILL_TIME_NEVER for variable-length strings).
Id array_dcpl(hsize_t n, bool numeric, int deflate_level) {
  Id dcpl = make_id(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl.get(), false);
  if (!numeric) return dcpl;
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  if (deflate_level > 0 && n >= kChunkThreshold) {
    hsize_t chunk = std::min(n, kChunkElements);
    H5Pset_chunk(dcpl.get(), 1, &chunk);
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), static_cast<unsigned>(deflate_level));
  }
  return dcpl;
}

Id create_dataset(const Group& g, const char* name, hid_t file_type, hsize_t n, bool numeric) {
  Id space = make_id(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Id dcpl = array_dcpl(n, numeric, g.deflate_level());
  Id d = make_id(
      H5Dcreate2(g.id(), name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      H5Dclose);
  if (!d.valid()) g.fail(name, "cannot be created");
  return d;
}

// Frees the strings HDF5 allocated for a variable-length read, even when
// copying them out throws.
struct VlenReclaim {
  hid_t type;
  hid_t space;
  void* buf;
  ~VlenReclaim() { H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf); }
};

Id open_attribute(const Group& g, const char* name) {
  if (!g.has_attribute(name)) g.fail(fmt::format("@{}", name), "attribute is missing");
  Id a = make_id(H5Aopen(g.id(), name, H5P_DEFAULT), H5Aclose);
  if (!a.valid()) g.fail(fmt::format("@{}", name), "attribute cannot be opened");
  return a;
}

void check_scalar_attribute(const Group& g, const char* name, hid_t attr) {
  Id space = make_id(H5Aget_space(attr), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) {
    g.fail(fmt::format("@{}", name), "attribute is not a single value");
  }
}

void create_attribute(const Group& g, const char* name, hid_t type, const void* value) {
  Id space = make_id(H5Screate(H5S_SCALAR), H5Sclose);
  Id a = make_id(H5Acreate2(g.id(), name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (!a.valid() || H5Awrite(a.get(), type, value) < 0) {
    g.fail(fmt::format("@{}", name), "attribute cannot be written");
  }
}

// " (File too large)" after a failed write, so a full disk names itself.
std::string os_error_suffix() {
  std::string os = last_os_error();
  return os.empty() ? std::string() : fmt::format(" ({})", os);
}

// ---- checksums (see hdf5_util.h) ----

// The in-memory bytes are hashed as the little-endian bytes the file stores.
static_assert(std::endian::native == std::endian::little,
              "array checksums hash in-memory elements as little-endian bytes");

template <class T>
std::string checksum_of(std::span<const T> data) {
  Sha256 h;
  h.update(data.data(), data.size_bytes());
  return h.hex_digest();
}

// Each string is hashed up to its terminating 0 byte, included: exactly the
// bytes HDF5 stores for a variable-length C string.
std::string checksum_of(const std::vector<std::string>& data) {
  Sha256 h;
  for (const auto& s : data) h.update(s.c_str(), std::strlen(s.c_str()) + 1);
  return h.hex_digest();
}

void stamp_checksum(const Group& g, const char* name, hid_t dset, const std::string& hex) {
  Id type = vlen_string_type();
  Id space = make_id(H5Screate(H5S_SCALAR), H5Sclose);
  Id a = make_id(
      H5Acreate2(dset, kChecksumAttribute, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
      H5Aclose);
  const char* ptr = hex.c_str();
  if (!a.valid() || H5Awrite(a.get(), type.get(), &ptr) < 0) {
    g.fail(name, "checksum attribute cannot be written" + os_error_suffix());
  }
}

// The stored checksum of a dataset, or "" when it has none. Anything but a
// single string is refused: a checksum that cannot be read proves nothing.
std::string stored_checksum(const Group& g, const char* name, hid_t dset) {
  if (H5Aexists(dset, kChecksumAttribute) <= 0) return {};
  auto bad = [&] { g.fail(name, "has an unreadable sha256 checksum attribute (damaged file?)"); };
  Id a = make_id(H5Aopen(dset, kChecksumAttribute, H5P_DEFAULT), H5Aclose);
  if (!a.valid()) bad();
  Id space = make_id(H5Aget_space(a.get()), H5Sclose);
  Id file_type = make_id(H5Aget_type(a.get()), H5Tclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1 ||
      H5Tget_class(file_type.get()) != H5T_STRING || H5Tis_variable_str(file_type.get()) <= 0) {
    bad();
  }
  Id type = vlen_string_type();
  char* ptr = nullptr;
  if (H5Aread(a.get(), type.get(), &ptr) < 0) bad();
  std::string hex = ptr == nullptr ? std::string() : std::string(ptr);
  H5free_memory(ptr);
  if (hex.empty()) bad();
  return hex;
}

// `compute` hashes what was read; it runs only when there is something to compare.
template <class Compute>
void verify_checksum(const Group& g, const char* name, hid_t dset, Compute&& compute) {
  std::string stored = stored_checksum(g, name, dset);
  if (stored.empty()) {
    if (g.checksums_required()) g.fail(name, "has no sha256 checksum attribute (damaged file?)");
    return;
  }
  if (stored != compute()) {
    throw IoError(fmt::format("{}: checksum mismatch in {}: the file is corrupt", g.file(),
                              g.child_path(name)));
  }
}

}  // namespace

// ---- handles ----

Id& Id::operator=(Id&& other) noexcept {
  if (this != &other) {
    reset();
    id_ = std::exchange(other.id_, H5I_INVALID_HID);
    closer_ = other.closer_;
  }
  return *this;
}

bool Id::reset() {
  bool ok = true;
  if (id_ >= 0 && closer_ != nullptr) ok = closer_(id_) >= 0;
  id_ = H5I_INVALID_HID;
  return ok;
}

void silence_library_errors() {
  // Must run before the library initialises (the first HDF5 call of the
  // program is one of ours, and calls this first): HDF5 1.10 crashes in its
  // exit handler on a file whose close failed (a full disk), and every file
  // we write is closed explicitly anyway, so no handler is installed.
  static const bool no_exit_handler = H5dont_atexit() >= 0;
  (void)no_exit_handler;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {

// HDF5's POSIX driver reports a failed system call as "... errno = 28, error
// message = 'No space left on device', ..."; this picks out the message.
herr_t find_os_error(unsigned, const H5E_error2_t* e, void* out) {
  auto& found = *static_cast<std::string*>(out);
  if (!found.empty() || e->desc == nullptr) return 0;
  std::string_view desc(e->desc);
  constexpr std::string_view key = "error message = '";
  size_t begin = desc.find(key);
  if (begin == std::string_view::npos) return 0;
  begin += key.size();
  size_t end = desc.find('\'', begin);
  found = std::string(desc.substr(begin, end == std::string_view::npos ? end : end - begin));
  return 0;
}

}  // namespace

std::string last_os_error() {
  std::string found;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, find_os_error, &found);
  return found;
}

// ---- groups ----

std::string Group::child_path(std::string_view name) const {
  if (!name.empty() && name.front() == '@') return fmt::format("{}{}", path_, name);
  return path_ == "/" ? fmt::format("/{}", name) : fmt::format("{}/{}", path_, name);
}

void Group::fail(std::string_view name, std::string_view what) const {
  throw IoError(fmt::format("{}: field {}: {}", file_, child_path(name), what));
}

bool Group::has_child(const char* name) const { return H5Lexists(id(), name, H5P_DEFAULT) > 0; }

bool Group::has_attribute(const char* name) const { return H5Aexists(id(), name) > 0; }

Group Group::create_group(const char* name) const {
  Id gcpl = make_id(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
  H5Pset_obj_track_times(gcpl.get(), false);
  Id g = make_id(H5Gcreate2(id(), name, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail(name, "group cannot be created");
  return Group(std::move(g), file_, child_path(name), deflate_level_);
}

Group Group::open_group(const char* name) const {
  if (!has_child(name)) fail(name, "group is missing");
  Id g = make_id(H5Gopen2(id(), name, H5P_DEFAULT), H5Gclose);
  if (!g.valid()) fail(name, "is not a group");
  return Group(std::move(g), file_, child_path(name), 0, checksums_required_);
}

// ---- files ----

namespace {

// STRONG close degree: closing the file closes every object still open in
// it, so close() really flushes and reports a failed write. File locks are
// kept but not required: cluster file systems often have them disabled.
Id file_access_plist() {
  Id fapl = make_id(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG);
#if H5_VERSION_GE(1, 10, 7)
  H5Pset_file_locking(fapl.get(), true, true);
#endif
  return fapl;
}

}  // namespace

File File::create(const std::string& os_path, const std::string& label, int deflate_level) {
  silence_library_errors();
  // The file creation list derives from the group one: this covers the root group.
  Id fcpl = make_id(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
  H5Pset_obj_track_times(fcpl.get(), false);
  Id fapl = file_access_plist();
  Id f = make_id(H5Fcreate(os_path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), H5Fclose);
  if (!f.valid()) throw IoError(fmt::format("{}: cannot create HDF5 file {}", label, os_path));
  Id root = make_id(H5Gopen2(f.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.valid()) throw IoError(fmt::format("{}: cannot open the root group", label));
  return File(std::move(f), Group(std::move(root), label, "/", deflate_level));
}

File File::open_read(const std::string& path) {
  namespace fs = std::filesystem;
  silence_library_errors();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw IoError(fmt::format("{}: no such file", path));
  if (fs::is_directory(path, ec)) throw IoError(fmt::format("{}: is a directory", path));
  if (!std::ifstream(path, std::ios::binary)) {
    throw IoError(fmt::format("{}: cannot open for reading: {}", path, std::strerror(errno)));
  }
  if (H5Fis_hdf5(path.c_str()) <= 0) throw IoError(fmt::format("{} is not an HDF5 file", path));
  Id fapl = file_access_plist();
  Id f = make_id(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!f.valid()) {
    throw IoError(fmt::format("{}: HDF5 cannot open the file (truncated or damaged?)", path));
  }
  Id root = make_id(H5Gopen2(f.get(), "/", H5P_DEFAULT), H5Gclose);
  if (!root.valid()) throw IoError(fmt::format("{}: cannot open the root group", path));
  return File(std::move(f), Group(std::move(root), path, "/"));
}

void File::close() {
  std::string label = root_.file();
  root_ = Group(Id(), label, "/");
  if (!file_.reset()) {
    throw IoError(fmt::format("{}: cannot finish writing the file{}", label, os_error_suffix()));
  }
}

// ---- arrays ----

template <class T>
void write_array(const Group& g, const char* name, std::span<const T> data) {
  Id d = create_dataset(g, name, Traits<T>::file_type(), data.size(), true);
  if (!data.empty() &&
      H5Dwrite(d.get(), Traits<T>::mem_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    g.fail(name, "cannot be written" + os_error_suffix());
  }
  stamp_checksum(g, name, d.get(), checksum_of(data));
}

void write_strings(const Group& g, const char* name, const std::vector<std::string>& data) {
  Id type = vlen_string_type();
  // Variable-length strings live in the global heap; compressing the
  // dataset would only compress heap references, so it stays contiguous.
  Id d = create_dataset(g, name, type.get(), data.size(), false);
  std::vector<const char*> ptrs(data.size());
  std::transform(data.begin(), data.end(), ptrs.begin(), [](const auto& s) { return s.c_str(); });
  if (!data.empty() &&
      H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
    g.fail(name, "cannot be written" + os_error_suffix());
  }
  stamp_checksum(g, name, d.get(), checksum_of(data));
}

template <class T>
hsize_t array_length(const Group& g, const char* name) {
  Id d = open_dataset(g, name);
  hsize_t n = length_1d(g, name, d.get());
  check_type<T>(g, name, d.get());
  return n;
}

template <class T>
std::vector<T> read_array(const Group& g, const char* name) {
  return read_array<T>(g, name, array_length<T>(g, name), "");
}

template <class T>
std::vector<T> read_array(const Group& g, const char* name, hsize_t expected,
                          std::string_view expected_why) {
  Id d = open_dataset(g, name);
  hsize_t n = length_1d(g, name, d.get());
  check_type<T>(g, name, d.get());
  check_expected(g, name, n, expected, expected_why);
  check_stored_size(g, name);
  std::vector<T> out(n);
  if (n > 0 &&
      H5Dread(d.get(), Traits<T>::mem_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    g.fail(name, "cannot be read (damaged file?)");
  }
  verify_checksum(g, name, d.get(), [&] { return checksum_of(std::span<const T>(out)); });
  return out;
}

template <class T>
std::vector<T> read_array_range(const Group& g, const char* name, hsize_t begin, hsize_t end) {
  Id d = open_dataset(g, name);
  hsize_t n = length_1d(g, name, d.get());
  check_type<T>(g, name, d.get());
  if (begin > end || end > n) {
    g.fail(name, fmt::format("rows [{}, {}) are out of range: it has {} elements", begin, end, n));
  }
  check_stored_size(g, name);
  hsize_t count = end - begin;
  std::vector<T> out(count);
  if (count == 0) return out;
  Id file_space = make_id(H5Dget_space(d.get()), H5Sclose);
  Id mem_space = make_id(H5Screate_simple(1, &count, nullptr), H5Sclose);
  bool ok = H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &begin, nullptr, &count,
                                nullptr) >= 0 &&
            H5Dread(d.get(), Traits<T>::mem_type(), mem_space.get(), file_space.get(), H5P_DEFAULT,
                    out.data()) >= 0;
  if (!ok) g.fail(name, fmt::format("rows [{}, {}) cannot be read (damaged file?)", begin, end));
  if (count == n) {
    verify_checksum(g, name, d.get(), [&] { return checksum_of(std::span<const T>(out)); });
  }
  return out;
}

hsize_t strings_length(const Group& g, const char* name) {
  Id d = open_dataset(g, name);
  hsize_t n = length_1d(g, name, d.get());
  check_string_type(g, name, d.get());
  return n;
}

std::vector<std::string> read_strings(const Group& g, const char* name) {
  return read_strings(g, name, strings_length(g, name), "");
}

std::vector<std::string> read_strings(const Group& g, const char* name, hsize_t expected,
                                      std::string_view expected_why) {
  Id d = open_dataset(g, name);
  hsize_t n = length_1d(g, name, d.get());
  check_string_type(g, name, d.get());
  check_expected(g, name, n, expected, expected_why);
  check_stored_size(g, name);
  std::vector<std::string> out(n);
  if (n == 0) {
    verify_checksum(g, name, d.get(), [&] { return checksum_of(out); });
    return out;
  }
  Id type = vlen_string_type();
  Id space = make_id(H5Dget_space(d.get()), H5Sclose);
  std::vector<char*> ptrs(n, nullptr);
  if (H5Dread(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
    g.fail(name, "cannot be read (damaged file?)");
  }
  {
    VlenReclaim reclaim{type.get(), space.get(), ptrs.data()};
    for (hsize_t i = 0; i < n; ++i) {
      if (ptrs[i] != nullptr) out[i] = ptrs[i];
    }
  }
  verify_checksum(g, name, d.get(), [&] { return checksum_of(out); });
  return out;
}

// ---- matrices ----

namespace {

// The shape of a 2-D dataset, read from its dataspace.
Shape2 shape_2d(const Group& g, const char* name, hid_t dset) {
  Id space = make_id(H5Dget_space(dset), H5Sclose);
  int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank != 2) g.fail(name, fmt::format("has rank {}, expected a 2-D array", rank));
  hsize_t dims[2] = {0, 0};
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  return Shape2{dims[0], dims[1]};
}

// As array_dcpl, but a chunk is whole rows, so one row never spans two chunks.
Id matrix_dcpl(Shape2 shape, int deflate_level) {
  Id dcpl = make_id(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_obj_track_times(dcpl.get(), false);
  H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER);
  if (deflate_level > 0 && shape.rows * shape.cols >= kChunkThreshold) {
    hsize_t chunk[2] = {std::clamp<hsize_t>(kChunkElements / shape.cols, 1, shape.rows),
                        shape.cols};
    H5Pset_chunk(dcpl.get(), 2, chunk);
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), static_cast<unsigned>(deflate_level));
  }
  return dcpl;
}

// Deflate's best ratio is 1032:1; anything claiming more is not real data.
constexpr double kMaxCompressionRatio = 1100;

}  // namespace

template <class T>
void write_matrix(const Group& g, const char* name, std::span<const T> data, Shape2 shape) {
  if (data.size() != shape.rows * shape.cols) {
    g.fail(name,
           fmt::format("has {} elements, expected {} x {}", data.size(), shape.rows, shape.cols));
  }
  hsize_t dims[2] = {shape.rows, shape.cols};
  Id space = make_id(H5Screate_simple(2, dims, nullptr), H5Sclose);
  Id dcpl = matrix_dcpl(shape, g.deflate_level());
  Id d = make_id(H5Dcreate2(g.id(), name, Traits<T>::file_type(), space.get(), H5P_DEFAULT,
                            dcpl.get(), H5P_DEFAULT),
                 H5Dclose);
  if (!d.valid()) g.fail(name, "cannot be created" + os_error_suffix());
  if (!data.empty() &&
      H5Dwrite(d.get(), Traits<T>::mem_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data()) < 0) {
    g.fail(name, "cannot be written" + os_error_suffix());
  }
  stamp_checksum(g, name, d.get(), checksum_of(data));
}

template <class T>
Shape2 matrix_shape(const Group& g, const char* name) {
  Id d = open_dataset(g, name);
  Shape2 shape = shape_2d(g, name, d.get());
  check_type<T>(g, name, d.get());
  return shape;
}

template <class T>
void check_matrix_shape(const Group& g, const char* name, Shape2 expected,
                        std::string_view rows_why, std::string_view cols_why) {
  Shape2 shape = matrix_shape<T>(g, name);
  if (shape.rows != expected.rows) {
    g.fail(name, fmt::format("has {} rows, expected {} ({})", shape.rows, expected.rows, rows_why));
  }
  if (shape.cols != expected.cols) {
    g.fail(name,
           fmt::format("has {} columns, expected {} ({})", shape.cols, expected.cols, cols_why));
  }
}

template <class T>
void read_matrix(const Group& g, const char* name, Shape2 expected, std::string_view rows_why,
                 std::string_view cols_why, std::span<T> out) {
  check_matrix_shape<T>(g, name, expected, rows_why, cols_why);
  if (out.size() != expected.rows * expected.cols) {
    g.fail(name, fmt::format("cannot be read into a buffer of {} elements", out.size()));
  }
  check_stored_size(g, name);
  Id d = open_dataset(g, name);
  if (!out.empty() &&
      H5Dread(d.get(), Traits<T>::mem_type(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    g.fail(name, "cannot be read (damaged file?)");
  }
  verify_checksum(g, name, d.get(), [&] { return checksum_of(std::span<const T>(out)); });
}

void check_stored_size(const Group& g, const char* name) {
  Id d = open_dataset(g, name);
  Id space = make_id(H5Dget_space(d.get()), H5Sclose);
  Id type = make_id(H5Dget_type(d.get()), H5Tclose);
  Id dcpl = make_id(H5Dget_create_plist(d.get()), H5Pclose);
  hssize_t points = H5Sget_simple_extent_npoints(space.get());
  size_t element = H5Tget_size(type.get());
  if (points < 0 || element == 0 || !dcpl.valid()) g.fail(name, "has unreadable metadata");
  // In double: the product of a hostile dataspace can overflow 64 bits.
  double declared = static_cast<double>(points) * static_cast<double>(element);
  double needed = H5Pget_nfilters(dcpl.get()) > 0 ? declared / kMaxCompressionRatio : declared;
  hsize_t stored = H5Dget_storage_size(d.get());
  if (static_cast<double>(stored) < needed) {
    g.fail(name, fmt::format("declares {} elements of {} bytes but the file stores only {} bytes "
                             "(damaged file?)",
                             points, element, stored));
  }
}

// ---- attributes ----

void write_attribute(const Group& g, const char* name, std::string_view value) {
  Id type = vlen_string_type();
  std::string text(value);
  const char* ptr = text.c_str();
  create_attribute(g, name, type.get(), &ptr);
}

void write_attribute(const Group& g, const char* name, int64_t value) {
  create_attribute(g, name, H5T_STD_I64LE, &value);
}

void write_attribute(const Group& g, const char* name, float value) {
  create_attribute(g, name, H5T_IEEE_F32LE, &value);
}

void write_attribute(const Group& g, const char* name, uint64_t value) {
  create_attribute(g, name, H5T_STD_U64LE, &value);
}

void write_attribute(const Group& g, const char* name, double value) {
  create_attribute(g, name, H5T_IEEE_F64LE, &value);
}

std::string read_string_attribute(const Group& g, const char* name) {
  Id a = open_attribute(g, name);
  check_scalar_attribute(g, name, a.get());
  Id file_type = make_id(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(file_type.get()) != H5T_STRING) {
    g.fail(fmt::format("@{}", name),
           fmt::format("attribute has type {}, expected a string", describe_type(file_type.get())));
  }
  if (H5Tis_variable_str(file_type.get()) > 0) {
    Id type = vlen_string_type();
    Id space = make_id(H5Aget_space(a.get()), H5Sclose);
    char* ptr = nullptr;
    if (H5Aread(a.get(), type.get(), &ptr) < 0) {
      g.fail(fmt::format("@{}", name), "attribute cannot be read");
    }
    VlenReclaim reclaim{type.get(), space.get(), &ptr};
    return ptr == nullptr ? std::string() : std::string(ptr);
  }
  // Fixed-length strings (as other tools may write them): read and cut at the padding.
  size_t size = H5Tget_size(file_type.get());
  Id type = make_id(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), size);
  std::string buf(size, '\0');
  if (H5Aread(a.get(), type.get(), buf.data()) < 0) {
    g.fail(fmt::format("@{}", name), "attribute cannot be read");
  }
  return buf.substr(0, buf.find('\0'));
}

namespace {

// Opens a scalar attribute whose stored type is of `expected` class, or fails
// naming it; returns the attribute and its file type.
std::pair<Id, Id> typed_attribute(const Group& g, const char* name, H5T_class_t expected,
                                  const char* expected_text) {
  Id a = open_attribute(g, name);
  check_scalar_attribute(g, name, a.get());
  Id file_type = make_id(H5Aget_type(a.get()), H5Tclose);
  if (H5Tget_class(file_type.get()) != expected) {
    g.fail(fmt::format("@{}", name), fmt::format("attribute has type {}, expected {}",
                                                 describe_type(file_type.get()), expected_text));
  }
  return {std::move(a), std::move(file_type)};
}

template <class T>
T read_attribute_as(const Group& g, const char* name, const Id& a, hid_t mem_type) {
  T value{};
  if (H5Aread(a.get(), mem_type, &value) < 0)
    g.fail(fmt::format("@{}", name), "attribute cannot be read");
  return value;
}

}  // namespace

int64_t read_int_attribute(const Group& g, const char* name) {
  auto [a, type] = typed_attribute(g, name, H5T_INTEGER, "an integer");
  return read_attribute_as<int64_t>(g, name, a, H5T_NATIVE_INT64);
}

float read_float_attribute(const Group& g, const char* name) {
  auto [a, type] = typed_attribute(g, name, H5T_FLOAT, "a float");
  return read_attribute_as<float>(g, name, a, H5T_NATIVE_FLOAT);
}

uint64_t read_uint64_attribute(const Group& g, const char* name) {
  auto [a, type] = typed_attribute(g, name, H5T_INTEGER, "an integer");
  if (H5Tget_sign(type.get()) == H5T_SGN_NONE)
    return read_attribute_as<uint64_t>(g, name, a, H5T_NATIVE_UINT64);
  // HDF5's conversion would clip a negative value to 0: read signed types as
  // signed and refuse negatives instead.
  auto value = read_attribute_as<int64_t>(g, name, a, H5T_NATIVE_INT64);
  if (value < 0) {
    g.fail(fmt::format("@{}", name),
           fmt::format("attribute is {}, expected a non-negative integer", value));
  }
  return static_cast<uint64_t>(value);
}

double read_double_attribute(const Group& g, const char* name) {
  auto [a, type] = typed_attribute(g, name, H5T_FLOAT, "a float");
  return read_attribute_as<double>(g, name, a, H5T_NATIVE_DOUBLE);
}

void write_string_map(const Group& parent, const char* group,
                      const std::map<std::string, std::string>& m) {
  // std::map iterates in key order, so the arrays are sorted by name.
  std::vector<std::string> names, values;
  for (const auto& [name, value] : m) {
    names.push_back(name);
    values.push_back(value);
  }
  Group g = parent.create_group(group);
  write_strings(g, "name", names);
  write_strings(g, "value", values);
}

// ---- explicit instantiations for the element types we store ----

#define ANIMEREC_H5_INSTANTIATE(T)                                                             \
  template void write_array<T>(const Group&, const char*, std::span<const T>);                 \
  template hsize_t array_length<T>(const Group&, const char*);                                 \
  template std::vector<T> read_array<T>(const Group&, const char*);                            \
  template std::vector<T> read_array<T>(const Group&, const char*, hsize_t, std::string_view); \
  template std::vector<T> read_array_range<T>(const Group&, const char*, hsize_t, hsize_t);
ANIMEREC_H5_INSTANTIATE(int32_t)
ANIMEREC_H5_INSTANTIATE(int64_t)
ANIMEREC_H5_INSTANTIATE(uint8_t)
ANIMEREC_H5_INSTANTIATE(float)
#undef ANIMEREC_H5_INSTANTIATE

#define ANIMEREC_H5_INSTANTIATE_2D(T)                                                      \
  template void write_matrix<T>(const Group&, const char*, std::span<const T>, Shape2);    \
  template Shape2 matrix_shape<T>(const Group&, const char*);                              \
  template void check_matrix_shape<T>(const Group&, const char*, Shape2, std::string_view, \
                                      std::string_view);                                   \
  template void read_matrix<T>(const Group&, const char*, Shape2, std::string_view,        \
                               std::string_view, std::span<T>);
ANIMEREC_H5_INSTANTIATE_2D(int32_t)
ANIMEREC_H5_INSTANTIATE_2D(int64_t)
ANIMEREC_H5_INSTANTIATE_2D(uint8_t)
ANIMEREC_H5_INSTANTIATE_2D(float)
#undef ANIMEREC_H5_INSTANTIATE_2D

}  // namespace animerec::io::h5
