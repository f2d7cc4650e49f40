#pragma once
// `animerec export`: rating rows as CSV for other tools.

#include <string>

#include "animerec/data/dataset.h"

namespace animerec::data {

// Writes the rows of `split` (train | validation | test | all) in by_user
// order as "user_id,anime_id,rating,status" with that header line. rating is
// the score in its shortest form (8, 3.5) and 0 for unscored rows; status is
// status_name() of the row, so implicit rows stay distinguishable. Ids are the
// external ones when external_ids, dense indices otherwise. Written through
// AtomicOutput (an existing out_path is replaced only with overwrite).
// prepare reads this layout back (triplets with a status column). Throws
// ConfigError for an unknown split name.
void export_triplets(const Dataset& d, const std::string& split, bool external_ids,
                     const std::string& out_path, bool overwrite);

}  // namespace animerec::data
