#pragma once
// The ranking part's cold map (docs/content.md): after the ranking fit, a ridge
// map from [x_i, z_i, z_i^2, 1] to the ranking factors of the warm anime
// (those with training interactions), x_i the content vector and z_i the
// standardised log(1 + members):
//   W = (F^T D F + mu I)^-1 F^T D Y,   D = diag(exp(exponent * z_i)),
// so well-watched anime, whose factors are estimated from many interactions,
// weigh more. Every cold anime then gets y_i = W^T f_i. Fitted to the final
// factors, it never feeds back into the fit: the warm factors do not change.
//
// Determinism: every rank holds every anime's factors and content vector; the
// sums run in anime order on one thread and the solve single-threaded, so every
// rank and any partition gets the same bits.

#include <cstdint>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/content/content.h"
#include "animerec/model/model.h"

namespace animerec::train {

struct ColdMapOptions {
  double ridge = 0;                // mu, > 0
  double popularity_exponent = 0;  // of the regression weights exp(exponent * z)
  double blend = 0;                // stored: the blend cold anime are ranked with
};

// The map fitted to the warm rows (warm[i] = 1) of `anime`; `content` holds
// every anime's row (first_row 0). When the warm anime's known member counts
// do not differ (a layout without them), the member terms are 0 and the map is
// content alone; *members_used (when given) says which.
model::ColdMap fit_cold_map(const content::ContentMatrix& content,
                            const std::vector<int64_t>& members, const std::vector<uint8_t>& warm,
                            const als::FactorMatrix& anime, const ColdMapOptions& options,
                            bool* members_used = nullptr);

// Sets every cold row (warm[i] = 0) of `anime` to the map's factors.
void set_cold_factors(const model::ColdMap& map, const content::ContentMatrix& content,
                      const std::vector<int64_t>& members, const std::vector<uint8_t>& warm,
                      als::FactorMatrix& anime);

}  // namespace animerec::train
