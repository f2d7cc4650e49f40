#pragma once
// One user's rows as the ranking protocols read them (docs/evaluate.md):
// training anime are excluded from the candidates, held-out anime of the split
// that count as relevant are the hits to find.

#include <cstdint>
#include <vector>

#include "animerec/data/dataset.h"

namespace animerec::eval {

// Clears and fills `excluded` and `relevant` (both sized n_anime) for user
// index `u`: excluded[a] = 1 for each training anime, relevant[a] = 1 for each
// held-out anime of `split` (explicit feedback: only with score >= relevance).
// Returns the number of relevant anime.
int64_t mark_user_anime(const data::Dataset& d, size_t u, data::Split split, bool explicit_feedback,
                        double relevance, std::vector<uint8_t>& excluded,
                        std::vector<uint8_t>& relevant);

// Whether user index `u` has a relevant held-out row of `split` (the rule of
// mark_user_anime): only such users are ranked, since every ranking metric of
// a user without one is 0 whatever the method.
bool has_relevant_row(const data::Dataset& d, size_t u, data::Split split, bool explicit_feedback,
                      double relevance);

// The user indices, ascending, that have a relevant held-out row of `split`.
std::vector<int32_t> relevant_users(const data::Dataset& d, data::Split split,
                                    bool explicit_feedback, double relevance);

}  // namespace animerec::eval
