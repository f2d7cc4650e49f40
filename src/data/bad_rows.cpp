#include "animerec/data/bad_rows.h"

#include <fmt/format.h>

#include "animerec/core/error.h"

namespace animerec::data {

BadRowPolicy bad_row_policy_from_name(const std::string& name) {
  if (name == "error") return BadRowPolicy::kError;
  if (name == "skip") return BadRowPolicy::kSkip;
  throw ConfigError(
      fmt::format("invalid value for --on-bad-row: '{}' (must be one of: error, skip)", name));
}

void BadRowLog::report(const std::string& file, int64_t line, const std::string& reason,
                       const std::string& message) {
  if (policy_ == BadRowPolicy::kError) throw InputError(file, line, message);
  Entry& e = entries_[reason];
  ++e.count;
  if (e.first.size() < kLinesKept) {
    e.first.push_back(fmt::format("{}:{}: {}", file, line, message));
    e.first_where.push_back({file, line, message});
  }
}

void BadRowLog::merge(const BadRowLog& other, int64_t line_offset) {
  for (const auto& [reason, theirs] : other.entries_) {
    Entry& e = entries_[reason];
    e.count += theirs.count;
    for (const auto& w : theirs.first_where) {
      if (e.first.size() >= kLinesKept) break;
      e.first.push_back(fmt::format("{}:{}: {}", w.file, w.line + line_offset, w.message));
      e.first_where.push_back({w.file, w.line + line_offset, w.message});
    }
  }
}

int64_t BadRowLog::total() const {
  int64_t n = 0;
  for (const auto& [reason, e] : entries_) n += e.count;
  return n;
}

std::string BadRowLog::describe() const {
  std::string out;
  for (const auto& [reason, e] : entries_) {
    out += fmt::format("skipped {} row(s): {}; first: {}\n", e.count, reason, e.first.front());
  }
  return out;
}

}  // namespace animerec::data
