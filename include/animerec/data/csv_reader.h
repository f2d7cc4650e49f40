#pragma once
// A streaming reader for delimited text as the Kaggle files publish it:
// UTF-8 with or without BOM, LF or CRLF, RFC 4180 quoting (commas, doubled
// quotes and newlines inside quoted fields), plus the quote-less MovieLens
// dialects ("::" and whitespace separated). The file is read in large blocks,
// never whole; fields are views into the block, valid until the next call to
// next(). Every byte read also feeds a SHA-256 for provenance.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "animerec/core/sha256.h"

namespace animerec::data {

struct CsvDialect {
  enum class Kind { kDelimited, kDoubleColon, kWhitespace };
  Kind kind = Kind::kDelimited;
  char delimiter = ',';  // for kDelimited
  bool quoting = true;   // for kDelimited
  static CsvDialect comma() { return {}; }
  static CsvDialect tab() { return {Kind::kDelimited, '\t', false}; }
  static CsvDialect double_colon() { return {Kind::kDoubleColon, ':', false}; }
  static CsvDialect whitespace() { return {Kind::kWhitespace, ' ', false}; }
};

class CsvReader {
 public:
  // Throws IoError if the file cannot be opened. hash_bytes = false skips the
  // SHA-256 (for callers that checksum the file on another thread).
  explicit CsvReader(std::string path, CsvDialect dialect = {}, bool hash_bytes = true);

  // A reader of the records that start in bytes [begin, end) of the file, for
  // parsing one file on several threads. begin must be the start of a line;
  // line() counts from 1 at begin. No hashing, no BOM handling past byte 0.
  CsvReader(std::string path, CsvDialect dialect, uint64_t begin, uint64_t end);

  // Stops before any record that starts at or after `end` (absolute offset).
  void set_end(uint64_t end) { end_limit_ = end; }
  // True when the last record read started before the end limit but ended
  // past it: the limit was not a record boundary (a quoted newline).
  bool crossed_end() const { return crossed_end_; }
  // Lines consumed so far (the line number the next record would start at, minus 1).
  int64_t lines_consumed() const { return next_line_ - 1; }
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Advances to the next non-empty record; false at end of file. Throws
  // InputError for an unterminated quote or text after a closing quote.
  bool next();

  size_t size() const { return fields_.size(); }
  std::string_view field(size_t i) const { return fields_[i]; }
  const std::vector<std::string_view>& fields() const { return fields_; }
  int64_t line() const { return record_line_; }  // 1-based line where the record starts
  uint64_t bytes_consumed() const { return consumed_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }
  // Reads whatever is left (so the hash covers the whole file) and returns it.
  // Requires hash_bytes.
  std::string sha256_hex();

  // Throws InputError(path, line(), what).
  [[noreturn]] void fail(const std::string& what) const;

 private:
  bool fill();  // moves the unread tail to the front, reads more; false at EOF
  // Finds the end of the record starting at pos_ (index of its '\n', or end_ at
  // EOF); returns npos when more data is needed.
  size_t find_record_end(size_t& newlines);
  void split_simple(size_t begin, size_t end);
  void split_quoted(size_t begin, size_t end);

  std::string path_;
  CsvDialect dialect_;
  int fd_ = -1;
  std::vector<char> buf_;
  size_t pos_ = 0;  // next unread byte
  size_t end_ = 0;  // end of valid data in buf_
  bool eof_ = false;
  bool first_block_ = true;
  bool hash_bytes_ = true;
  uint64_t start_offset_ = 0;  // absolute offset of buf_[0] at the first read
  uint64_t end_limit_ = UINT64_MAX;
  bool crossed_end_ = false;
  uint64_t consumed_ = 0;
  uint64_t file_size_ = 0;
  int64_t next_line_ = 1;
  int64_t record_line_ = 0;
  std::vector<std::string_view> fields_;
  Sha256 sha_;
};

}  // namespace animerec::data
