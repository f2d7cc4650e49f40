#pragma once
// `animerec recommend --all-users` (docs/recommend.md, section Batch): the
// top-N list of every user of a model, over MPI ranks.
//
// Users are cut into blocks of `block_users` consecutive rows; each rank
// takes a contiguous run of whole blocks (balanced by user count, since every
// user costs one row of scores). A block is scored with one matrix product
// (model::predicted_scores / ranking_scores, the same scores `recommend
// --user` uses), the user's dataset rows are masked out, and the top N is
// chosen by partial selection. Memory per thread is one block of scores,
// never users x anime. Because block boundaries are multiples of
// block_users, every user is scored in the same block for any rank or thread
// count, so the output does not depend on either.

#include <cstdint>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/core/progress.h"
#include "animerec/dist/comm.h"
#include "animerec/model/model.h"

namespace animerec::serve {

// Users [first_block * block_users, ...) of one rank: block-aligned ranges,
// ranks + 1 boundaries from 0 to n_users, rank r gets blocks
// [floor(r * B / ranks), floor((r + 1) * B / ranks)) of the B blocks.
std::vector<int64_t> user_block_boundaries(int64_t n_users, int64_t block_users, int ranks);

// The anime a user has in the dataset (any split), CSR over a run of users:
// user first + j owns anime[offsets[j] .. offsets[j + 1]).
struct SeenRows {
  int64_t first = 0;
  std::vector<int64_t> offsets;  // count + 1, from 0
  std::vector<int32_t> anime;
};

// The lists of users [first, first + count): `top` slots per user, best
// first (ties by ascending anime row, as serve::top_n), padded with anime -1
// and score NaN when a user has fewer than `top` candidates. score = the
// predicted score, clipped to the scale for explicit models.
struct TopLists {
  int32_t top = 0;
  std::vector<int32_t> anime;  // count * top model rows
  std::vector<float> score;    // count * top
};

// Scores users [first, first + count) in blocks of block_users rows starting
// at multiples of block_users (first must be one), skipping `seen` unless
// include_seen. Blocks run in parallel on OpenMP threads; `progress` (may be
// null) is told the number of users done.
TopLists top_lists(const model::Model& m, int64_t first, int64_t count, const SeenRows& seen,
                   bool include_seen, int top, int64_t block_users, Progress* progress = nullptr);

// Seconds of the bare product: the same blocks' user factors x anime
// factors^T with no bias, mask or selection (the benchmark's yardstick).
double bare_product_seconds(const model::Model& m, int64_t first, int64_t count,
                            int64_t block_users);

// Defaults: the parameter table's (config::default_*), as the command line has them.
struct BatchOptions {
  std::string model_path;
  std::string dataset_path;
  std::string out_path;
  std::string format;  // "h5" | "csv"; empty = from the extension of out_path
  int top = static_cast<int>(config::default_int("recommend", "top"));
  bool include_seen = config::default_bool("recommend", "include-seen");
  bool overwrite = config::default_bool("recommend", "overwrite");
  int64_t block_users = config::default_int("recommend", "batch-users");
  bool quiet = config::default_bool("recommend", "quiet");
  bool time_bare_product = config::default_bool(
      "recommend", "time-bare-product");  // also print "bare product: X s" (benchmark)
};

// "h5" or "csv": `format` when given (h5 | hdf5 | csv), else from the
// extension of `out` (.h5, .hdf5, .csv). Throws ConfigError otherwise.
std::string batch_format(const std::string& format, const std::string& out);

// The whole command on every rank of `comm`: reads the model, each rank's
// users' dataset rows, scores, gathers to rank 0, which writes `out_path`
// atomically. Identical bytes for any rank count. Throws ConfigError /
// IoError (exit 2) for bad options, an existing --out without --overwrite,
// or a dataset that is not the model's.
void run_batch_recommend(const BatchOptions& o, dist::Comm& comm);

}  // namespace animerec::serve
