// --exchange allgather: every rank holds every row of both sides. After a
// half-sweep one Allgatherv of the factors and one of the biases replicate
// the solved side. Simple and exact; each rank holds (users + anime) x k
// floats and receives the whole side every half-sweep.

#include <algorithm>
#include <span>

#include "animerec/train/factor_exchange.h"

namespace animerec::train {

namespace {

class AllgatherExchange final : public FactorExchange {
 public:
  explicit AllgatherExchange(dist::Comm& comm) : comm_(comm) {}

  void exchange(als::SideState& side, const std::vector<int64_t>& boundaries,
                const dist::Block& mine) override {
    // In place: this rank's rows already sit at their place in the side's
    // arrays, so the other ranks' rows are received around them; no side-sized
    // buffer is allocated, faulted in and copied back every half-sweep.
    const auto k = static_cast<int>(side.factors.cols());
    const std::span<float> all(side.factors.data(), static_cast<size_t>(side.factors.size()));
    comm_.allgatherv(
        all.subspan(static_cast<size_t>(mine.begin * k), static_cast<size_t>(mine.size() * k)), all,
        dist::block_counts(boundaries, k));
    const std::span<float> bias(side.bias);
    comm_.allgatherv(
        bias.subspan(static_cast<size_t>(mine.begin), static_cast<size_t>(mine.size())), bias,
        dist::block_counts(boundaries, 1));
  }

 private:
  dist::Comm& comm_;
};

}  // namespace

std::unique_ptr<FactorExchange> make_allgather_exchange(dist::Comm& comm) {
  return std::make_unique<AllgatherExchange>(comm);
}

}  // namespace animerec::train
