#pragma once
// The --on-bad-row policy: by default the first malformed row stops the run
// with FILE:LINE; with "skip", rows are dropped and counted per reason, keeping
// the first few line numbers so the user can look at them.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace animerec::data {

enum class BadRowPolicy { kError, kSkip };
BadRowPolicy bad_row_policy_from_name(const std::string& name);

class BadRowLog {
 public:
  static constexpr size_t kLinesKept = 5;
  explicit BadRowLog(BadRowPolicy policy) : policy_(policy) {}

  // Under kError throws InputError(file, line, message); under kSkip records it.
  // `reason` is a stable key ("wrong_field_count", "score_out_of_range", ...).
  void report(const std::string& file, int64_t line, const std::string& reason,
              const std::string& message);

  struct Entry {
    int64_t count = 0;
    std::vector<std::string> first;  // "FILE:LINE: message" of the first few
    struct Where {
      std::string file;
      int64_t line;
      std::string message;
    };
    std::vector<Where> first_where;  // the same, unformatted (for merge)
  };
  const std::map<std::string, Entry>& entries() const { return entries_; }
  int64_t total() const;
  // Adds another log's counts and first lines (their line numbers shifted by
  // line_offset), as if its rows came after this log's: for a file parsed in
  // parts on several threads.
  void merge(const BadRowLog& other, int64_t line_offset);
  // One line per reason, for stderr.
  std::string describe() const;

 private:
  BadRowPolicy policy_;
  std::map<std::string, Entry> entries_;
};

}  // namespace animerec::data
