#pragma once
// How the ranks share the factor rows each of them solved in a half-sweep.
//
// A half-sweep solves the rank's own block of one side (users or anime)
// against the other side; the exchange then makes the solved rows available
// wherever the next half-sweep, the metrics and the model need them. The
// trainer calls it and nothing else to move factors between ranks, so a
// strategy (replicated allgather today; a neighbourhood or owner-computes
// exchange later) is one class behind this interface, chosen by --exchange.
//
// Every strategy must give the same values as the replicated one in every
// row the trainer reads: results stay bit-identical for any strategy, rank
// and thread count.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/dist/comm.h"
#include "animerec/dist/partition.h"

namespace animerec::train {

class FactorExchange {
 public:
  virtual ~FactorExchange() = default;
  // Called by every rank together after it solved rows [mine.begin, mine.end)
  // of `side`, whose rows are split over the ranks by `boundaries`
  // (dist::balanced_blocks). On return every row of `side` holds the value
  // its owner solved.
  virtual void exchange(als::SideState& side, const std::vector<int64_t>& boundaries,
                        const dist::Block& mine) = 0;
};

// The strategies by their --exchange name, in the order of the parameter's
// allowed values (a test keeps the two lists equal).
struct ExchangeStrategy {
  const char* name;
  std::unique_ptr<FactorExchange> (*make)(dist::Comm& comm);
};
const std::vector<ExchangeStrategy>& exchange_strategies();

// The strategy called `name`; ConfigError naming --exchange if there is none.
std::unique_ptr<FactorExchange> make_factor_exchange(const std::string& name, dist::Comm& comm);

// The strategies' factories, one per file (src/train/<name>_exchange.cpp).
std::unique_ptr<FactorExchange> make_allgather_exchange(dist::Comm& comm);

}  // namespace animerec::train
