// One process, one rank: every collective is a copy or nothing at all.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "animerec/core/error.h"
#include "animerec/dist/comm.h"

namespace animerec::dist {

namespace {

// Same checks as the MPI version, so a caller bug shows up in serial tests
// too; with one process throwing cannot strand another rank.
template <typename T>
void copy_own_part(std::span<const T> mine, std::span<T> all, const std::vector<int64_t>& counts) {
  if (counts.size() != 1) {
    throw Error(fmt::format("allgatherv: {} counts for 1 rank", counts.size()), kExitInternal);
  }
  const auto n = static_cast<size_t>(counts[0]);
  if (counts[0] < 0 || mine.size() != n || all.size() != n) {
    throw Error(fmt::format("allgatherv: counts[0] = {}, mine has {}, all has {} elements",
                            counts[0], mine.size(), all.size()),
                kExitInternal);
  }
  if (mine.data() != all.data()) std::copy(mine.begin(), mine.end(), all.begin());
}

}  // namespace

void SerialComm::allgatherv(std::span<const float> mine, std::span<float> all,
                            const std::vector<int64_t>& counts) {
  copy_own_part(mine, all, counts);
}

void SerialComm::allgatherv(std::span<const double> mine, std::span<double> all,
                            const std::vector<int64_t>& counts) {
  copy_own_part(mine, all, counts);
}

void SerialComm::allgatherv(std::span<const int64_t> mine, std::span<int64_t> all,
                            const std::vector<int64_t>& counts) {
  copy_own_part(mine, all, counts);
}

void SerialComm::abort(int exit_code) {
  // _Exit skips atexit handlers and destructors (as MPI_Abort would), so
  // flush what the user should still see first.
  std::fflush(stdout);
  std::fflush(stderr);
  std::_Exit(exit_code);
}

}  // namespace animerec::dist
