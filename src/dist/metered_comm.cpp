#include "animerec/dist/metered_comm.h"

#include <chrono>
#include <cstdlib>
#include <utility>

namespace animerec::dist {

namespace {

using Clock = std::chrono::steady_clock;

// Runs `call`, then adds its time and payload to `t`.
template <typename Call>
void metered(Traffic& t, int64_t sent, int64_t received, Call&& call) {
  const auto start = Clock::now();
  std::forward<Call>(call)();
  t.seconds += std::chrono::duration<double>(Clock::now() - start).count();
  t.calls += 1;
  t.bytes_sent += sent;
  t.bytes_received += received;
}

template <typename T>
void gather(Comm& inner, Traffic& t, std::span<const T> mine, std::span<T> all,
            const std::vector<int64_t>& counts) {
  const auto others = static_cast<int64_t>(inner.size()) - 1;
  const auto own = static_cast<int64_t>(mine.size() * sizeof(T));
  const auto total = static_cast<int64_t>(all.size() * sizeof(T));
  const int64_t received = others > 0 ? total - own : 0;
  metered(t, own * others, received, [&] { inner.allgatherv(mine, all, counts); });
}

// A broadcast moves the 8-byte length, then the text.
constexpr int64_t kLengthBytes = 8;

}  // namespace

Traffic& Traffic::operator+=(const Traffic& other) {
  calls += other.calls;
  bytes_sent += other.bytes_sent;
  bytes_received += other.bytes_received;
  seconds += other.seconds;
  return *this;
}

Traffic operator-(const Traffic& later, const Traffic& earlier) {
  return Traffic{later.calls - earlier.calls, later.bytes_sent - earlier.bytes_sent,
                 later.bytes_received - earlier.bytes_received, later.seconds - earlier.seconds};
}

void MeteredComm::allgatherv(std::span<const float> mine, std::span<float> all,
                             const std::vector<int64_t>& counts) {
  gather(inner_, traffic_, mine, all, counts);
}

void MeteredComm::allgatherv(std::span<const double> mine, std::span<double> all,
                             const std::vector<int64_t>& counts) {
  gather(inner_, traffic_, mine, all, counts);
}

void MeteredComm::allgatherv(std::span<const int64_t> mine, std::span<int64_t> all,
                             const std::vector<int64_t>& counts) {
  gather(inner_, traffic_, mine, all, counts);
}

void MeteredComm::allreduce_sum(std::span<int64_t> values) {
  const int64_t bytes = size() > 1 ? static_cast<int64_t>(values.size() * sizeof(int64_t)) : 0;
  metered(traffic_, bytes, bytes, [&] { inner_.allreduce_sum(values); });
}

int MeteredComm::allreduce_max(int value) {
  const int64_t bytes = size() > 1 ? static_cast<int64_t>(sizeof(int)) : 0;
  int result = value;
  metered(traffic_, bytes, bytes, [&] { result = inner_.allreduce_max(value); });
  return result;
}

void MeteredComm::broadcast(std::string& text, int root) {
  Traffic t;
  metered(t, 0, 0, [&] { inner_.broadcast(text, root); });
  // The length is known everywhere only after the call.
  const int64_t payload = size() > 1 ? kLengthBytes + static_cast<int64_t>(text.size()) : 0;
  if (rank() == root) {
    t.bytes_sent = payload * (size() - 1);
  } else {
    t.bytes_received = payload;
  }
  traffic_ += t;
}

void MeteredComm::barrier() {
  metered(traffic_, 0, 0, [&] { inner_.barrier(); });
}

std::vector<std::string> MeteredComm::allgather(const std::string& mine) {
  std::vector<std::string> all;
  Traffic t;
  metered(t, 0, 0, [&] { all = inner_.allgather(mine); });
  if (size() > 1) {
    for (int r = 0; r < size(); ++r) {
      const int64_t payload =
          kLengthBytes + static_cast<int64_t>(all[static_cast<size_t>(r)].size());
      if (r == rank()) {
        t.bytes_sent += payload * (size() - 1);
      } else {
        t.bytes_received += payload;
      }
    }
  }
  traffic_ += t;
  return all;
}

void MeteredComm::abort(int exit_code) {
  inner_.abort(exit_code);
  std::_Exit(exit_code);  // not reached: keeps [[noreturn]] true for the compiler
}

}  // namespace animerec::dist
