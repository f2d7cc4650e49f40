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
    const auto k = static_cast<int>(side.factors.cols());
    std::vector<int64_t> counts = dist::block_counts(boundaries, k);
    std::vector<float> gathered(static_cast<size_t>(side.factors.size()));
    comm_.allgatherv(std::span<const float>(side.factors.data() + mine.begin * k,
                                            static_cast<size_t>(mine.size() * k)),
                     gathered, counts);
    std::copy(gathered.begin(), gathered.end(), side.factors.data());
    std::vector<int64_t> bias_counts = dist::block_counts(boundaries, 1);
    std::vector<float> bias(side.bias.size());
    comm_.allgatherv(
        std::span<const float>(side.bias.data() + mine.begin, static_cast<size_t>(mine.size())),
        bias, bias_counts);
    side.bias = std::move(bias);
  }

 private:
  dist::Comm& comm_;
};

}  // namespace

std::unique_ptr<FactorExchange> make_allgather_exchange(dist::Comm& comm) {
  return std::make_unique<AllgatherExchange>(comm);
}

}  // namespace animerec::train
