#include "animerec/core/progress.h"

#include <fmt/format.h>

#include <cstdio>

namespace animerec {

namespace {
constexpr double kQuietSeconds = 2.0;
constexpr double kIntervalSeconds = 1.0;

std::string human(double v, const std::string& unit) {
  if (unit == "bytes") {
    if (v >= 1e9) return fmt::format("{:.2f} GB", v / 1e9);
    if (v >= 1e6) return fmt::format("{:.1f} MB", v / 1e6);
    return fmt::format("{:.0f} kB", v / 1e3);
  }
  if (v >= 1e6) return fmt::format("{:.2f}M {}", v / 1e6, unit);
  return fmt::format("{:.0f} {}", v, unit);
}
}  // namespace

Progress::Progress(std::string label, uint64_t total, std::string unit, bool quiet)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      quiet_(quiet),
      start_(Clock::now()),
      last_print_(start_) {}

void Progress::update(uint64_t done, int64_t rows) {
  if (quiet_) return;
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  if (elapsed < kQuietSeconds) return;
  if (printed_ && std::chrono::duration<double>(now - last_print_).count() < kIntervalSeconds)
    return;
  print(done, rows, false);
}

void Progress::finish(uint64_t done, int64_t rows) {
  if (!quiet_ && printed_) print(done, rows, true);
}

void Progress::print(uint64_t done, int64_t rows, bool final) {
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::string line = fmt::format("{}: {}", label_, human(static_cast<double>(done), unit_));
  if (total_ > 0)
    line += fmt::format(" of {} ({:.0f}%)", human(static_cast<double>(total_), unit_),
                        100.0 * static_cast<double>(done) / static_cast<double>(total_));
  line += fmt::format(", {}/s", human(rate, unit_));
  if (rows >= 0) line += fmt::format(", {:.2f}M rows/s", static_cast<double>(rows) / elapsed / 1e6);
  if (final) {
    line += fmt::format(", done in {:.1f} s", elapsed);
  } else if (total_ > 0 && rate > 0 && done < total_) {
    line += fmt::format(", ETA {:.0f} s", static_cast<double>(total_ - done) / rate);
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  printed_ = true;
  last_print_ = now;
}

}  // namespace animerec
