#pragma once
// Progress lines on stderr for long work: silent for the first ~2 seconds
// (short runs stay quiet), then at most one line per second with amount done,
// rate and ETA, and a final line. Disabled entirely with quiet = true.

#include <chrono>
#include <cstdint>
#include <string>

namespace animerec {

class Progress {
 public:
  // total: expected amount in `unit` (e.g. bytes), 0 when unknown.
  Progress(std::string label, uint64_t total, std::string unit, bool quiet);
  // done: amount so far; rows: records so far (reported as rows/s).
  void update(uint64_t done, int64_t rows);
  // Prints the final line if any line was printed.
  void finish(uint64_t done, int64_t rows);

 private:
  using Clock = std::chrono::steady_clock;
  void print(uint64_t done, int64_t rows, bool final);
  std::string label_;
  uint64_t total_;
  std::string unit_;
  bool quiet_;
  Clock::time_point start_;
  Clock::time_point last_print_;
  bool printed_ = false;
};

}  // namespace animerec
