#include "animerec/train/training_data.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>

#include "animerec/als/solver.h"
#include "animerec/core/error.h"
#include "animerec/core/hash.h"
#include "animerec/core/resources.h"
#include "animerec/core/sha256.h"

namespace animerec::train {

namespace {

constexpr uint64_t kSaltValidation = 0x76616c6964ULL;  // "valid"

// The longest row of a block: the CG solver gathers a whole row at once.
int64_t longest_row(const std::vector<int64_t>& offsets, const dist::Block& b) {
  int64_t longest = 0;
  for (int64_t r = b.begin; r < b.end; ++r) {
    longest =
        std::max(longest, offsets[static_cast<size_t>(r) + 1] - offsets[static_cast<size_t>(r)]);
  }
  return longest;
}

TrainMemoryInputs memory_inputs(const TrainOptions& o, const io::DatasetHeader& header,
                                const dist::Block& users, const dist::Block& anime, int threads,
                                bool writes_files) {
  TrainMemoryInputs in;
  in.users = static_cast<int64_t>(header.n_users());
  in.anime = static_cast<int64_t>(header.n_anime());
  in.user_block_rows = users.size();
  in.anime_block_rows = anime.size();
  in.user_block_ratings = header.user_offsets[static_cast<size_t>(users.end)] -
                          header.user_offsets[static_cast<size_t>(users.begin)];
  in.anime_block_ratings = header.anime_offsets[static_cast<size_t>(anime.end)] -
                           header.anime_offsets[static_cast<size_t>(anime.begin)];
  in.max_row_ratings =
      std::max(longest_row(header.user_offsets, users), longest_row(header.anime_offsets, anime));
  in.factors = o.als.factors;
  in.threads = threads;
  in.implicit = o.als.feedback == als::Feedback::kImplicit;
  // The ranking part solves by CG, whose workspace holds a whole row.
  in.conjugate_gradient =
      o.als.solver == als::SolverKind::kConjugateGradient || has_ranking_part(o);
  // Shares of the rows from the counts prepare recorded (all rows if absent).
  auto share = [&](const char* name, double otherwise) {
    auto it = header.provenance.counts.find(name);
    if (it == header.provenance.counts.end() || header.n_ratings <= 0) return otherwise;
    return static_cast<double>(it->second) / static_cast<double>(header.n_ratings);
  };
  in.train_share = share("split_train_rows", 1.0);
  in.validation_share = share("split_validation_rows", 0.1);
  in.keeps_best = in.validation_share > 0;
  in.writes_files = writes_files;
  in.checkpoints = !o.checkpoint_dir.empty();
  in.resumes = !o.resume_path.empty();
  if (has_ranking_part(o)) in.ranking_factors = o.ranking_factors;
  if (o.lambda_content > 0) {
    // An upper bound: the studios and words kept plus the small fixed groups.
    in.content_features = o.content.top_studios + o.content.synopsis_vocabulary + 256;
  }
  return in;
}

// Before any rating is read or factor allocated: every rank estimates its own
// peak and compares it with what it may use; if any rank cannot fit, every
// rank throws the same message (that of the rank short of the most), so the
// job ends with exit 2 whichever rank aborts first.
void check_memory(const TrainMemoryInputs& in, const TrainOptions& o, dist::Comm& comm,
                  const Say& say) {
  const MemoryEstimate need = estimate_train_memory(in);
  const MemoryLimit limit =
      o.memory_limit > 0
          ? MemoryLimit{o.memory_limit, "--memory-limit " + format_bytes(o.memory_limit)}
          : detect_memory_limit(comm.size());
  const std::string breakdown = fmt::format(
      "about {} per rank (ratings {} + {} while reading, factors {}, workspace {})",
      format_bytes(need.total()), format_bytes(need.ratings), format_bytes(need.reading),
      format_bytes(need.factors), format_bytes(need.workspace + need.process));

  std::vector<int64_t> mine{static_cast<int64_t>(need.total()),
                            static_cast<int64_t>(std::min<uint64_t>(limit.bytes, INT64_MAX))};
  std::vector<int64_t> all(2 * static_cast<size_t>(comm.size()));
  comm.allgatherv(std::span<const int64_t>(mine), all, std::vector<int64_t>(all.size() / 2, 2));
  int worst = -1;
  double worst_ratio = 1.0;
  for (int r = 0; r < comm.size(); ++r) {
    double ratio = static_cast<double>(all[2 * r]) / static_cast<double>(all[2 * r + 1]);
    if (ratio > worst_ratio) worst = r, worst_ratio = ratio;
  }
  if (worst < 0) {
    say(fmt::format("memory: {} on rank 0; {} available ({})", breakdown, format_bytes(limit.bytes),
                    limit.source));
    return;
  }
  std::string message = fmt::format(
      "train needs {}{} but only {} is available ({}); use more ranks (on more nodes), fewer "
      "--factors or fewer --threads, or set --memory-limit if the detected limit is wrong",
      breakdown, comm.size() > 1 ? fmt::format(" on rank {}", comm.rank()) : std::string(),
      format_bytes(limit.bytes), limit.source);
  comm.broadcast(message, worst);
  throw Error(message);
}

// The main fit's entries, then the ranking part's (every interaction).
std::vector<EntryRule> entry_rules(const TrainOptions& o) {
  std::vector<EntryRule> rules{EntryRule{o.als.feedback, o.weights}};
  if (has_ranking_part(o)) rules.push_back(EntryRule{als::Feedback::kImplicit, o.weights});
  return rules;
}

// The global mean, the entry counts and the validation size, summed exactly.
void sum_counts(const TrainOptions& o, dist::Comm& comm, TrainingData& d) {
  std::vector<int64_t> sums{d.local.train_score_sum_fixed, d.local.train_scored,
                            static_cast<int64_t>(d.local.validation.row.size())};
  for (const FitBlocks& f : d.local.fits) sums.push_back(f.user_block.nnz());
  comm.allreduce_sum(sums);
  if (o.als.feedback == als::Feedback::kExplicit) {
    if (sums[1] == 0) throw Error(fmt::format("{}: no scored training ratings", o.dataset_path));
    d.mu = static_cast<float>(static_cast<double>(sums[0]) / kScoreScale /
                              static_cast<double>(sums[1]));
  }
  d.validation_rows = sums[2];
  d.train_entries.assign(sums.begin() + 3, sums.end());
  if (d.train_entries[kMainFit] == 0)
    throw Error(fmt::format("{}: no training ratings", o.dataset_path));
}

// Implicit validation ranks every anime for a user: sample about
// validation_users users by a hash of their id, so the sample is the same
// for any rank count.
std::vector<uint8_t> validation_sample(const TrainOptions& o, const io::DatasetHeader& h) {
  std::vector<uint8_t> sampled(h.n_users(), 0);
  double share = std::min(1.0, static_cast<double>(o.validation_users) /
                                   std::max<double>(1.0, static_cast<double>(h.n_users())));
  for (size_t u = 0; u < h.n_users(); ++u) {
    uint64_t hash = hash_combine(o.seed, kSaltValidation, static_cast<uint64_t>(h.user_ids[u]));
    sampled[u] = unit_interval(hash) < share;
  }
  return sampled;
}

}  // namespace

bool has_ranking_part(const TrainOptions& o) {
  return o.ranking_factors > 0 && o.als.feedback == als::Feedback::kExplicit;
}

TrainingData load_training_data(const TrainOptions& o, int threads, dist::Comm& comm,
                                const Say& say) {
  TrainingData d;
  d.dataset_path = o.dataset_path;
  d.header = io::read_dataset_header(o.dataset_path);
  std::string sha = comm.rank() == 0 ? sha256_file(o.dataset_path) : std::string();
  comm.broadcast(sha, 0);
  d.sha256 = sha;
  // Blocks of equal estimated work: ratings plus the per-row solve cost.
  const auto row_cost = [&o](int64_t ratings) { return als::row_solve_cost(o.als, ratings); };
  d.user_bounds = dist::balanced_blocks(d.header.user_offsets, comm.size(), row_cost);
  d.anime_bounds = dist::balanced_blocks(d.header.anime_offsets, comm.size(), row_cost);
  const dist::Block my_users = dist::block_of(d.user_bounds, comm.rank());
  const dist::Block my_anime = dist::block_of(d.anime_bounds, comm.rank());
  check_memory(memory_inputs(o, d.header, my_users, my_anime, threads, comm.rank() == 0), o, comm,
               say);
  d.local = read_local_data(o.dataset_path, d.header, my_users, my_anime, entry_rules(o));
  sum_counts(o, comm, d);
  d.sampled_users = validation_sample(o, d.header);
  if (o.lambda_content > 0) {
    d.meta = io::read_anime_meta(o.dataset_path);
    if (comm.rank() == 0) d.titles = d.meta.title;
  } else if (comm.rank() == 0) {
    d.titles = io::read_anime_titles(o.dataset_path);
  }
  return d;
}

}  // namespace animerec::train
