#include "animerec/train/factor_exchange.h"

#include <fmt/format.h>

#include "animerec/core/error.h"

namespace animerec::train {

// A new strategy: its file, one line here, one allowed value of --exchange
// (src/config/param_table.cpp).
const std::vector<ExchangeStrategy>& exchange_strategies() {
  static const std::vector<ExchangeStrategy> kStrategies = {
      {"allgather", make_allgather_exchange},
  };
  return kStrategies;
}

std::unique_ptr<FactorExchange> make_factor_exchange(const std::string& name, dist::Comm& comm) {
  std::string known;
  for (const ExchangeStrategy& s : exchange_strategies()) {
    if (name == s.name) return s.make(comm);
    known += known.empty() ? s.name : std::string(", ") + s.name;
  }
  throw ConfigError(fmt::format("--exchange {}: unknown strategy (known: {})", name, known));
}

}  // namespace animerec::train
