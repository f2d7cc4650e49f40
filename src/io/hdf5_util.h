#pragma once
// Private helpers over the HDF5 C API for the io sources (no public header
// exposes HDF5). Every failure becomes an animerec::IoError naming the file
// and the object ("FILE: field /ratings/by_user/score: what is wrong"); the
// library's own error stack printing is switched off so users see only ours.
//
// Writing is deterministic: object headers carry no timestamps, objects are
// created in the caller's order, and compression (shuffle + deflate) is a
// pure function of the data.

#include <hdf5.h>

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace animerec::io::h5 {

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Id {
 public:
  using Closer = herr_t (*)(hid_t);
  Id() = default;
  Id(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Id() { reset(); }
  Id(Id&& other) noexcept
      : id_(std::exchange(other.id_, H5I_INVALID_HID)), closer_(other.closer_) {}
  Id& operator=(Id&& other) noexcept;
  Id(const Id&) = delete;
  Id& operator=(const Id&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; returns false when HDF5 reports a failure (e.g. a failed flush).
  bool reset();

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// A group (or the root group of a file) plus what error messages need: the
// file name the user knows (not the temporary name being written) and the
// group's path inside the file.
class Group {
 public:
  Group(Id id, std::string file, std::string path, int deflate_level = 0)
      : id_(std::move(id)),
        file_(std::move(file)),
        path_(std::move(path)),
        deflate_level_(deflate_level) {}

  hid_t id() const { return id_.get(); }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }
  // 0 = large arrays stored contiguous and uncompressed (fastest to write and
  // to slice); 1..9 = chunked with shuffle + deflate at that level.
  int deflate_level() const { return deflate_level_; }
  std::string child_path(std::string_view name) const;

  // Throws IoError("FILE: field PATH/NAME: what").
  [[noreturn]] void fail(std::string_view name, std::string_view what) const;

  bool has_child(const char* name) const;
  bool has_attribute(const char* name) const;
  Group create_group(const char* name) const;
  Group open_group(const char* name) const;  // throws naming the missing group

 private:
  Id id_;
  std::string file_;
  std::string path_;
  int deflate_level_ = 0;
};

// An open file. root() is the group "/"; close() flushes and reports failure.
class File {
 public:
  // Creates (truncating) os_path; `label` is the name used in messages.
  static File create(const std::string& os_path, const std::string& label, int deflate_level = 0);
  // Opens read-only. Throws IoError for a missing file, a file that is not
  // HDF5, or one HDF5 cannot open (truncated, damaged).
  static File open_read(const std::string& path);

  Group& root() { return root_; }
  const Group& root() const { return root_; }
  // Closes every handle of the file; throws IoError if the final flush fails.
  void close();

 private:
  File(Id file, Group root) : file_(std::move(file)), root_(std::move(root)) {}
  Id file_;
  Group root_;
};

// Switches off HDF5's automatic printing of its error stack (idempotent).
void silence_library_errors();

// Element types stored in our files, with their on-disk (little-endian) and
// in-memory HDF5 types.
template <class T>
struct Traits;
template <>
struct Traits<int32_t> {
  static hid_t file_type() { return H5T_STD_I32LE; }
  static hid_t mem_type() { return H5T_NATIVE_INT32; }
  static constexpr H5T_class_t kClass = H5T_INTEGER;
  static constexpr const char* kName = "int32";
};
template <>
struct Traits<int64_t> {
  static hid_t file_type() { return H5T_STD_I64LE; }
  static hid_t mem_type() { return H5T_NATIVE_INT64; }
  static constexpr H5T_class_t kClass = H5T_INTEGER;
  static constexpr const char* kName = "int64";
};
template <>
struct Traits<uint8_t> {
  static hid_t file_type() { return H5T_STD_U8LE; }
  static hid_t mem_type() { return H5T_NATIVE_UINT8; }
  static constexpr H5T_class_t kClass = H5T_INTEGER;
  static constexpr const char* kName = "uint8";
};
template <>
struct Traits<float> {
  static hid_t file_type() { return H5T_IEEE_F32LE; }
  static hid_t mem_type() { return H5T_NATIVE_FLOAT; }
  static constexpr H5T_class_t kClass = H5T_FLOAT;
  static constexpr const char* kName = "float32";
};

// ---- 1-D datasets ----

// Writes a 1-D dataset. Large arrays are chunked and compressed; small and
// empty ones are contiguous.
template <class T>
void write_array(const Group& g, const char* name, std::span<const T> data);
template <class T>
void write_array(const Group& g, const char* name, const std::vector<T>& data) {
  write_array<T>(g, name, std::span<const T>(data));
}
void write_strings(const Group& g, const char* name, const std::vector<std::string>& data);

// Length of a 1-D dataset of element type T, checked (rank, class, size,
// sign) from its metadata alone, so callers can verify sizes before reading.
template <class T>
hsize_t array_length(const Group& g, const char* name);

// Reads the whole array. `expected` (when given) is checked before anything
// is allocated; `expected_why` says where the expectation comes from. So is
// the stored size (check_stored_size), as the length may come from the file
// alone.
template <class T>
std::vector<T> read_array(const Group& g, const char* name);
template <class T>
std::vector<T> read_array(const Group& g, const char* name, hsize_t expected,
                          std::string_view expected_why);
// Reads elements [begin, end) through a hyperslab selection (after
// check_stored_size).
template <class T>
std::vector<T> read_array_range(const Group& g, const char* name, hsize_t begin, hsize_t end);

hsize_t strings_length(const Group& g, const char* name);
// As read_array: the expected length and the stored size are checked first.
std::vector<std::string> read_strings(const Group& g, const char* name, hsize_t expected,
                                      std::string_view expected_why);
std::vector<std::string> read_strings(const Group& g, const char* name);

// ---- 2-D datasets (row-major rows x cols matrices, e.g. factor matrices) ----

struct Shape2 {
  hsize_t rows = 0;
  hsize_t cols = 0;
};

// Writes a rows x cols dataset from row-major `data` (rows * cols elements).
// Contiguous, or with compression on and at least 65,536 elements, chunked
// by whole rows with shuffle + deflate.
template <class T>
void write_matrix(const Group& g, const char* name, std::span<const T> data, Shape2 shape);

// The shape of a 2-D dataset of element type T, checked (rank, class, size,
// sign) from its metadata alone, so callers can verify it before allocating.
template <class T>
Shape2 matrix_shape(const Group& g, const char* name);

// Checks type, rank and shape from metadata alone: the dataset must be
// `expected`; `rows_why` / `cols_why` say where each expectation comes from.
template <class T>
void check_matrix_shape(const Group& g, const char* name, Shape2 expected,
                        std::string_view rows_why, std::string_view cols_why);

// Reads the whole matrix into `out` (row-major, expected.rows * expected.cols
// elements, allocated by the caller after check_matrix_shape or matrix_shape).
// Repeats check_matrix_shape first.
template <class T>
void read_matrix(const Group& g, const char* name, Shape2 expected, std::string_view rows_why,
                 std::string_view cols_why, std::span<T> out);

// Refuses a dataset that declares more data than the file can hold: an
// unfiltered dataset must have every byte of its declared size stored, a
// filtered (compressed) one at least 1/1100 of it (deflate cannot do better
// than 1032:1). A damaged or hostile file can declare a dataspace of 10^12
// elements in a few bytes; calling this before reading keeps such a file from
// making the reader allocate terabytes.
void check_stored_size(const Group& g, const char* name);

// ---- scalar attributes ----

void write_attribute(const Group& g, const char* name, std::string_view value);
void write_attribute(const Group& g, const char* name, int64_t value);
void write_attribute(const Group& g, const char* name, float value);
void write_attribute(const Group& g, const char* name, uint64_t value);  // stored as uint64
void write_attribute(const Group& g, const char* name, double value);    // stored as float64
std::string read_string_attribute(const Group& g, const char* name);
int64_t read_int_attribute(const Group& g, const char* name);
float read_float_attribute(const Group& g, const char* name);
// Any integer type; a negative value is refused rather than wrapped.
uint64_t read_uint64_attribute(const Group& g, const char* name);
// Any float type (float32 widens exactly).
double read_double_attribute(const Group& g, const char* name);

// A name -> value map as /group/name and /group/value string arrays, sorted by name.
void write_string_map(const Group& parent, const char* group,
                      const std::map<std::string, std::string>& m);

}  // namespace animerec::io::h5
