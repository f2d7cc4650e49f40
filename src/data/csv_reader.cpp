#include "animerec/data/csv_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "animerec/core/error.h"
#include "animerec/core/input_file.h"
#include "animerec/data/text.h"

namespace animerec::data {

namespace {
constexpr size_t kBlockSize = size_t{4} << 20;
constexpr size_t npos = static_cast<size_t>(-1);
}  // namespace

CsvReader::CsvReader(std::string path, CsvDialect dialect, bool hash_bytes)
    : path_(std::move(path)), dialect_(dialect), buf_(kBlockSize), hash_bytes_(hash_bytes) {
  fd_ = open_regular_file(path_, "", &file_size_).release();
#ifdef POSIX_FADV_SEQUENTIAL
  ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
}

CsvReader::CsvReader(std::string path, CsvDialect dialect, uint64_t begin, uint64_t end)
    : CsvReader(std::move(path), dialect, false) {
  if (begin > 0) {
    if (::lseek(fd_, static_cast<off_t>(begin), SEEK_SET) < 0) {
      throw IoError(fmt::format("cannot seek in {}: {}", path_, std::strerror(errno)));
    }
    first_block_ = false;  // a BOM can only be at byte 0
  }
  start_offset_ = begin;
  end_limit_ = end;
}

CsvReader::~CsvReader() {
  if (fd_ >= 0) ::close(fd_);
}

void CsvReader::fail(const std::string& what) const { throw InputError(path_, record_line_, what); }

bool CsvReader::fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    end_ -= pos_;
    pos_ = 0;
  }
  // A record longer than the buffer (a huge synopsis) grows it.
  if (end_ == buf_.size()) buf_.resize(buf_.size() * 2);
  ssize_t n;
  do {
    n = ::read(fd_, buf_.data() + end_, buf_.size() - end_);
  } while (n < 0 && errno == EINTR);
  if (n < 0) throw IoError(fmt::format("read error in {}: {}", path_, std::strerror(errno)));
  if (n == 0) {
    eof_ = true;
    return false;
  }
  if (hash_bytes_) sha_.update(buf_.data() + end_, static_cast<size_t>(n));
  size_t start = end_;
  end_ += static_cast<size_t>(n);
  if (first_block_) {
    first_block_ = false;
    if (end_ - start >= 3 && std::memcmp(buf_.data() + start, "\xEF\xBB\xBF", 3) == 0) {
      pos_ += 3;
      consumed_ += 3;
    }
  }
  return true;
}

std::string CsvReader::sha256_hex() {
  if (!hash_bytes_) throw Error("internal: CsvReader::sha256_hex without hashing", kExitInternal);
  while (!eof_) {
    pos_ = end_;
    fill();
  }
  return sha_.hex_digest();
}

size_t CsvReader::find_record_end(size_t& newlines) {
  newlines = 0;
  const char* b = buf_.data();
  bool quoting = dialect_.kind == CsvDialect::Kind::kDelimited && dialect_.quoting;
  if (!quoting) {
    const void* nl = std::memchr(b + pos_, '\n', end_ - pos_);
    if (nl != nullptr) return static_cast<size_t>(static_cast<const char*>(nl) - b);
    return eof_ ? end_ : npos;
  }
  // Fast path: a line without any quote ends at its newline.
  const void* nl = std::memchr(b + pos_, '\n', end_ - pos_);
  size_t line_end = nl != nullptr ? static_cast<size_t>(static_cast<const char*>(nl) - b) : end_;
  if (std::memchr(b + pos_, '"', line_end - pos_) == nullptr) {
    if (nl != nullptr || eof_) return line_end;
    return npos;
  }
  // Quote-aware scan: a '"' opens a quoted field only at the start of a field.
  enum { kFieldStart, kUnquoted, kQuoted, kQuoteInQuoted } state = kFieldStart;
  const char delim = dialect_.delimiter;
  for (size_t i = pos_; i < end_; ++i) {
    char c = b[i];
    switch (state) {
      case kFieldStart:
        if (c == '"') {
          state = kQuoted;
          break;
        }
        [[fallthrough]];
      case kUnquoted:
        if (c == '\n') return i;
        state = c == delim ? kFieldStart : kUnquoted;
        break;
      case kQuoted:
        if (c == '"') state = kQuoteInQuoted;
        if (c == '\n') ++newlines;
        break;
      case kQuoteInQuoted:
        if (c == '"') {
          state = kQuoted;
        } else if (c == '\n') {
          return i;
        } else {
          state = c == delim ? kFieldStart : kUnquoted;
        }
        break;
    }
  }
  if (!eof_) return npos;
  if (state == kQuoted) {
    record_line_ = next_line_;
    // The broken record runs to the end of the file: consume it before
    // failing, so a caller that skips bad rows (--on-bad-row skip) reaches the
    // end of the file instead of failing on the same record forever.
    consumed_ += end_ - pos_;
    next_line_ += static_cast<int64_t>(newlines) + 1;
    pos_ = end_;
    fail("unterminated quoted field (the file ends inside quotes)");
  }
  return end_;
}

bool CsvReader::next() {
  for (;;) {
    if (start_offset_ + consumed_ >= end_limit_) return false;
    if (pos_ >= end_ && !fill()) return false;
    size_t newlines = 0;
    size_t rec_end = find_record_end(newlines);
    if (rec_end == npos) {
      fill();
      continue;
    }
    record_line_ = next_line_;
    bool has_newline = rec_end < end_;
    next_line_ += static_cast<int64_t>(newlines) + (has_newline ? 1 : 0);
    size_t content_end = rec_end;
    if (content_end > pos_ && buf_[content_end - 1] == '\r') --content_end;
    size_t begin = pos_;
    size_t consumed = (has_newline ? rec_end + 1 : rec_end) - pos_;
    pos_ += consumed;
    consumed_ += consumed;
    if (start_offset_ + consumed_ > end_limit_) crossed_end_ = true;
    if (content_end == begin) continue;  // blank line
    bool quoted = dialect_.kind == CsvDialect::Kind::kDelimited && dialect_.quoting &&
                  std::memchr(buf_.data() + begin, '"', content_end - begin) != nullptr;
    if (quoted) {
      split_quoted(begin, content_end);
    } else {
      split_simple(begin, content_end);
    }
    return true;
  }
}

void CsvReader::split_simple(size_t begin, size_t end) {
  fields_.clear();
  const char* b = buf_.data();
  switch (dialect_.kind) {
    case CsvDialect::Kind::kDelimited: {
      size_t i = begin;
      for (;;) {
        const void* d = std::memchr(b + i, dialect_.delimiter, end - i);
        size_t stop = d != nullptr ? static_cast<size_t>(static_cast<const char*>(d) - b) : end;
        fields_.emplace_back(b + i, stop - i);
        if (d == nullptr) break;
        i = stop + 1;
      }
      break;
    }
    case CsvDialect::Kind::kDoubleColon: {
      std::string_view line(b + begin, end - begin);
      size_t i = 0;
      for (;;) {
        size_t d = line.find("::", i);
        fields_.push_back(line.substr(i, d == std::string_view::npos ? line.size() - i : d - i));
        if (d == std::string_view::npos) break;
        i = d + 2;
      }
      break;
    }
    case CsvDialect::Kind::kWhitespace: {
      size_t i = begin;
      while (i < end) {
        while (i < end && (b[i] == ' ' || b[i] == '\t')) ++i;
        size_t s = i;
        while (i < end && b[i] != ' ' && b[i] != '\t') ++i;
        if (i > s) fields_.emplace_back(b + s, i - s);
      }
      break;
    }
  }
}

// Splits one complete quoted record, unescaping doubled quotes in place (the
// unescaped text is never longer than the source, so it fits where it was).
void CsvReader::split_quoted(size_t begin, size_t end) {
  fields_.clear();
  char* b = buf_.data();
  const char delim = dialect_.delimiter;
  size_t i = begin;
  for (;;) {
    if (i < end && b[i] == '"') {
      size_t out = i + 1;
      size_t field_start = out;
      size_t j = i + 1;
      for (;;) {
        if (j >= end) fail("unterminated quoted field");
        if (b[j] == '"') {
          if (j + 1 < end && b[j + 1] == '"') {
            b[out++] = '"';
            j += 2;
            continue;
          }
          ++j;
          break;
        }
        b[out++] = b[j++];
      }
      fields_.emplace_back(b + field_start, out - field_start);
      if (j == end) return;
      if (b[j] != delim) {
        fail(fmt::format("unexpected character '{}' after a closing quote (field {})",
                         shown_value(std::string_view(b + j, 1)), fields_.size()));
      }
      i = j + 1;
      if (i == end) {
        fields_.emplace_back();
        return;
      }
    } else {
      const void* d = std::memchr(b + i, delim, end - i);
      size_t stop = d != nullptr ? static_cast<size_t>(static_cast<const char*>(d) - b) : end;
      fields_.emplace_back(b + i, stop - i);
      if (d == nullptr) return;
      i = stop + 1;
      if (i == end) {
        fields_.emplace_back();
        return;
      }
    }
  }
}

}  // namespace animerec::data
