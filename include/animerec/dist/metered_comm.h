#pragma once
// A Comm that forwards every call to another Comm and records how long the
// calls took (monotonic clock) and how many payload bytes this rank sent and
// received through them. The trainer gives each kind of communication (the
// factor exchange, the content prior's reductions, the finite check after a
// solve) its own meter over the same Comm, so the per-iteration cost report
// (docs/outputs.md, "per_rank") can name them separately. Metering changes no
// value and no call order: results stay bit-identical.
//
// Payload, not wire bytes: what the collective must deliver, whatever route
// the MPI library takes (a ring or recursive-doubling algorithm forwards some
// of it through other ranks). At one rank nothing is sent or received.
//   allgatherv     sent = own part x (P - 1), received = all - own part
//   allreduce_*    sent = received = the values (one contribution out, the result in)
//   broadcast      root: sent = (8 + length) x (P - 1); others: received = 8 + length
//   allgather      the broadcasts it is made of
//   barrier        time only

#include <cstdint>

#include "animerec/dist/comm.h"

namespace animerec::dist {

struct Traffic {
  int64_t calls = 0;
  int64_t bytes_sent = 0;
  int64_t bytes_received = 0;
  double seconds = 0;

  Traffic& operator+=(const Traffic& other);
};
// The traffic between two readings of a meter (later - earlier).
Traffic operator-(const Traffic& later, const Traffic& earlier);

class MeteredComm final : public Comm {
 public:
  // `inner` must outlive the meter.
  explicit MeteredComm(Comm& inner) : inner_(inner) {}

  // Everything metered since construction.
  const Traffic& traffic() const { return traffic_; }

  int rank() const override { return inner_.rank(); }
  int size() const override { return inner_.size(); }
  void allgatherv(std::span<const float> mine, std::span<float> all,
                  const std::vector<int64_t>& counts) override;
  void allgatherv(std::span<const double> mine, std::span<double> all,
                  const std::vector<int64_t>& counts) override;
  void allgatherv(std::span<const int64_t> mine, std::span<int64_t> all,
                  const std::vector<int64_t>& counts) override;
  void allreduce_sum(std::span<int64_t> values) override;
  int allreduce_max(int value) override;
  void broadcast(std::string& text, int root) override;
  void barrier() override;
  std::vector<std::string> allgather(const std::string& mine) override;
  std::string library_version() const override { return inner_.library_version(); }
  [[noreturn]] void abort(int exit_code) override;

 private:
  Comm& inner_;
  Traffic traffic_;
};

}  // namespace animerec::dist
