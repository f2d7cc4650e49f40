#include "animerec/data/export.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include "animerec/core/atomic_file.h"
#include "animerec/core/error.h"

namespace animerec::data {

namespace {

// nullopt for "all".
std::optional<uint8_t> parse_split(const std::string& name) {
  if (name == "all") return std::nullopt;
  for (Split s : {Split::kTrain, Split::kValidation, Split::kTest}) {
    if (name == split_name(s)) return static_cast<uint8_t>(s);
  }
  throw ConfigError(
      fmt::format("--split {}: unknown split (expected train, validation, test or all)", name));
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// Appends formatted rows to a buffer and writes it out in large blocks.
class BufferedWriter {
 public:
  BufferedWriter(const std::string& path, const std::string& label)
      : file_(std::fopen(path.c_str(), "wb")), label_(label) {
    if (!file_) {
      throw IoError(fmt::format("{}: cannot create {}: {}", label_, path, std::strerror(errno)));
    }
  }
  fmt::memory_buffer& buffer() { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= kBlock) flush();
  }
  void close() {
    flush();
    if (std::fclose(file_.release()) != 0) {
      throw IoError(fmt::format("{}: cannot finish writing (disk full?)", label_));
    }
  }

 private:
  static constexpr size_t kBlock = size_t{1} << 20;
  void flush() {
    if (buf_.size() > 0 && std::fwrite(buf_.data(), 1, buf_.size(), file_.get()) != buf_.size()) {
      throw IoError(fmt::format("{}: write failed (disk full?)", label_));
    }
    buf_.clear();
  }
  std::unique_ptr<FILE, FileCloser> file_;
  std::string label_;
  fmt::memory_buffer buf_;
};

}  // namespace

void export_triplets(const Dataset& d, const std::string& split, bool external_ids,
                     const std::string& out_path, bool overwrite) {
  std::optional<uint8_t> wanted = parse_split(split);
  AtomicOutput out(out_path, overwrite);
  {
    BufferedWriter w(out.temp_path(), out_path);
    auto& buf = w.buffer();
    fmt::format_to(std::back_inserter(buf), "user_id,anime_id,rating,status\n");
    const RatingArrays& r = d.by_user;
    for (size_t i = 0; i < r.size(); ++i) {
      if (wanted && r.split[i] != *wanted) continue;
      int64_t user = external_ids ? d.user_ids[r.user[i]] : r.user[i];
      int64_t anime = external_ids ? d.anime_ids[r.anime[i]] : r.anime[i];
      // "{}" on a float is the shortest text that reads back to the same
      // value: 8 for 8.0f, 3.5 for 3.5f.
      fmt::format_to(std::back_inserter(buf), "{},{},{},{}\n", user, anime, r.score[i] + 0.0f,
                     status_name(static_cast<Status>(r.status[i])));
      w.maybe_flush();
    }
    w.close();
  }
  out.commit();
}

}  // namespace animerec::data
