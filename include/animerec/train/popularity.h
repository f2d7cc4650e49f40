#pragma once
// The ranking part's popularity term for cold anime (docs/content.md). A cold
// anime's ranking factors from content alone, W^T x_i, say which fans it suits
// but not how many will watch it; the member count of the metadata does, and
// it exists before anyone rates the anime. After the ranking fit, the
// direction d in factor space along which warm anime factors grow with
// z = (log(1 + members) - mean) / sd is fitted by least squares, and every
// cold anime gets y_i = W^T x_i + weight * z_i * d.
//
// Determinism: every rank holds the whole anime factor matrix after the
// exchange; the sums run in anime order on one thread, so every rank and any
// partition gets the same bits.

#include <cstdint>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/model/model.h"

namespace animerec::train {

// Mean and standard deviation of log(1 + members) over the warm anime
// (warm[i] = 1) whose count is known (>= 0); `anime` is how many were counted.
// sd is 0 when the counts do not differ (or none is known).
struct LogMembers {
  double mean = 0;
  double sd = 0;
  int64_t anime = 0;
};
LogMembers log_members_of_warm(const std::vector<int64_t>& members,
                               const std::vector<uint8_t>& warm);

// The term fitted to the warm rows (warm[i] = 1) of `anime` whose member count
// is known (>= 0). `weight` 0 gives the fitted term with weight 0 (no change).
// Throws ConfigError when fewer than two warm anime have distinct known counts.
model::PopularityTerm fit_popularity_term(const std::vector<int64_t>& members,
                                          const std::vector<uint8_t>& warm,
                                          const als::FactorMatrix& anime, double weight);

// Adds weight * z_i * d to every cold row (warm[i] = 0) of `anime`.
void add_popularity_to_cold(const model::PopularityTerm& term, const std::vector<int64_t>& members,
                            const std::vector<uint8_t>& warm, als::FactorMatrix& anime);

}  // namespace animerec::train
