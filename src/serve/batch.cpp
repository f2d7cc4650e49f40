#include "animerec/serve/batch.h"

#include <fmt/format.h>
#include <omp.h>

#include <Eigen/Core>
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>

#include "animerec/als/single_threaded_eigen.h"
#include "animerec/core/atomic_file.h"
#include "animerec/core/error.h"
#include "animerec/core/progress.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "animerec/io/recs_file.h"
#include "animerec/model/scoring.h"
#include "animerec/serve/recommend.h"

namespace animerec::serve {
namespace {

using als::SingleThreadedEigen;

struct Candidate {
  float score;
  int32_t anime;
};

// The order of serve::top_n: descending score, then ascending anime row.
bool better(const Candidate& a, const Candidate& b) {
  return a.score > b.score || (a.score == b.score && a.anime < b.anime);
}

// The best `top` unmasked entries of one row of ranking scores, best first.
// A heap of the current best keeps its worst in front: most anime fail the
// one comparison with it, so this costs about one pass over the row.
void select_top(const float* ranking, size_t n_anime, const std::vector<uint8_t>& masked, int top,
                std::vector<Candidate>& heap) {
  heap.clear();
  const auto cap = static_cast<size_t>(top);
  for (size_t a = 0; a < n_anime; ++a) {
    if (masked[a]) continue;
    const Candidate c{ranking[a], static_cast<int32_t>(a)};
    if (heap.size() < cap) {
      heap.push_back(c);
      std::push_heap(heap.begin(), heap.end(), better);
    } else if (better(c, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), better);
      heap.back() = c;
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
}

// Lists of the block's users into out (rows [first - out_first, ...)).
void score_block(const model::Model& m, int64_t first, int64_t count, const SeenRows& seen,
                 bool include_seen, int64_t out_first, TopLists& out, std::vector<uint8_t>& masked,
                 std::vector<Candidate>& heap) {
  const model::UserVectors uv =
      model::model_users(m, static_cast<int32_t>(first), static_cast<int32_t>(count));
  const model::ScoreMatrix predicted = model::predicted_scores(m, uv);
  // Without a ranking part the ranking score is the predicted score: no copy.
  model::ScoreMatrix ranking_storage;
  if (m.ranking) ranking_storage = model::ranking_scores(m, uv, predicted);
  const model::ScoreMatrix& ranking = m.ranking ? ranking_storage : predicted;
  const bool explicit_model = m.feedback == als::Feedback::kExplicit;
  const size_t n_anime = m.n_anime();
  for (int64_t j = 0; j < count; ++j) {
    const int64_t user = first + j;
    const int64_t s = user - seen.first;
    if (!include_seen) {
      for (int64_t i = seen.offsets[s]; i < seen.offsets[s + 1]; ++i) masked[seen.anime[i]] = 1;
    }
    select_top(ranking.row(j).data(), n_anime, masked, out.top, heap);
    if (!include_seen) {
      for (int64_t i = seen.offsets[s]; i < seen.offsets[s + 1]; ++i) masked[seen.anime[i]] = 0;
    }
    const size_t base = static_cast<size_t>(user - out_first) * static_cast<size_t>(out.top);
    for (size_t r = 0; r < heap.size(); ++r) {
      float shown = predicted(j, heap[r].anime);
      // As `recommend --user`: rank on the raw score, show it on the rating scale.
      if (explicit_model) shown = std::clamp(shown, m.score_min, m.score_max);
      out.anime[base + r] = heap[r].anime;
      out.score[base + r] = shown;
    }
  }
}

void check_options(const BatchOptions& o) {
  if (o.dataset_path.empty()) {
    throw ConfigError(
        "--all-users needs --dataset (the dataset.h5 the model was trained on), to know what "
        "each user has already seen");
  }
  if (o.out_path.empty()) throw ConfigError("--all-users needs --out FILE (.h5 or .csv)");
  if (o.top < 1) throw ConfigError(fmt::format("--top {}: must be at least 1", o.top));
  if (o.block_users < 1)
    throw ConfigError(fmt::format("--batch-users {}: must be at least 1", o.block_users));
}

SeenRows read_seen(const std::string& dataset_path, const io::DatasetHeader& h, int64_t first,
                   int64_t count, bool include_seen) {
  SeenRows seen;
  seen.first = first;
  seen.offsets.assign(static_cast<size_t>(count) + 1, 0);
  if (include_seen || count == 0) return seen;
  const int64_t begin = h.user_offsets.at(static_cast<size_t>(first));
  const int64_t end = h.user_offsets.at(static_cast<size_t>(first + count));
  seen.anime = io::read_rating_slice(dataset_path, io::Orientation::kByUser, begin, end).anime;
  for (int64_t j = 0; j <= count; ++j)
    seen.offsets[static_cast<size_t>(j)] = h.user_offsets[static_cast<size_t>(first + j)] - begin;
  return seen;
}

void write_csv(const io::Recommendations& r, const std::string& path, bool overwrite) {
  AtomicOutput out(path, overwrite, "--out");
  {
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(out.temp_path().c_str(), "wb"), std::fclose);
    if (!f) {
      throw IoError(fmt::format("--out {}: cannot create {}: {}", path, out.temp_path(),
                                std::strerror(errno)));
    }
    fmt::memory_buffer buf;
    auto flush = [&] {
      if (buf.size() > 0 && std::fwrite(buf.data(), 1, buf.size(), f.get()) != buf.size())
        throw IoError(fmt::format("--out {}: write failed (disk full?)", path));
      buf.clear();
    };
    fmt::format_to(std::back_inserter(buf), "user_id,rank,anime_id,score\n");
    const auto top = static_cast<size_t>(r.top);
    for (size_t u = 0; u < r.user_ids.size(); ++u) {
      for (size_t k = 0; k < top && r.anime_ids[u * top + k] >= 0; ++k) {
        // "{}" on a float: the shortest text that reads back to the same value.
        fmt::format_to(std::back_inserter(buf), "{},{},{},{}\n", r.user_ids[u], k + 1,
                       r.anime_ids[u * top + k], r.scores[u * top + k]);
      }
      if (buf.size() >= (size_t{1} << 20)) flush();
    }
    flush();
    if (std::fclose(f.release()) != 0)
      throw IoError(fmt::format("--out {}: cannot finish writing (disk full?)", path));
  }
  out.commit();
}

volatile float g_bare_product_sink = 0;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

namespace {

struct TimedLists {
  TopLists lists;
  double batch_seconds = 0;  // this rank's scoring, masking and selection
  double bare_seconds = 0;   // this rank's bare products of the same blocks
};

// --time-bare-product: the batch and the bare product alternate on chunks of
// blocks, so both see the same load when other jobs share the machine.
TimedLists timed_top_lists(const model::Model& m, int64_t first, int64_t count,
                           const SeenRows& seen, bool include_seen, int top, int64_t block_users) {
  constexpr int64_t kChunkBlocks = 8;
  TimedLists t;
  t.lists = top_lists(m, first, 0, seen, include_seen, top, block_users);
  for (int64_t begin = first; begin < first + count; begin += kChunkBlocks * block_users) {
    const int64_t n = std::min(kChunkBlocks * block_users, first + count - begin);
    t.bare_seconds += bare_product_seconds(m, begin, n, block_users);
    const auto start = std::chrono::steady_clock::now();
    const TopLists part = top_lists(m, begin, n, seen, include_seen, top, block_users);
    t.batch_seconds += seconds_since(start);
    t.lists.anime.insert(t.lists.anime.end(), part.anime.begin(), part.anime.end());
    t.lists.score.insert(t.lists.score.end(), part.score.begin(), part.score.end());
  }
  return t;
}

}  // namespace

std::vector<int64_t> user_block_boundaries(int64_t n_users, int64_t block_users, int ranks) {
  const int64_t blocks = (n_users + block_users - 1) / block_users;
  std::vector<int64_t> b(static_cast<size_t>(ranks) + 1);
  for (int r = 0; r <= ranks; ++r) b[r] = std::min(n_users, blocks * r / ranks * block_users);
  return b;
}

TopLists top_lists(const model::Model& m, int64_t first, int64_t count, const SeenRows& seen,
                   bool include_seen, int top, int64_t block_users, Progress* progress) {
  TopLists out;
  out.top = static_cast<int32_t>(std::min<size_t>(static_cast<size_t>(top), m.n_anime()));
  out.anime.assign(static_cast<size_t>(count) * out.top, -1);
  out.score.assign(static_cast<size_t>(count) * out.top, std::numeric_limits<float>::quiet_NaN());
  if (count == 0 || out.top == 0) return out;
  const int64_t blocks = (count + block_users - 1) / block_users;
  SingleThreadedEigen single;
  std::atomic<int64_t> done{0};
  // An exception cannot leave an OpenMP region: keep the first, rethrow after.
  std::exception_ptr error;
#pragma omp parallel
  {
    std::vector<uint8_t> masked(m.n_anime(), 0);
    std::vector<Candidate> heap;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t begin = first + b * block_users;
      const int64_t n = std::min(block_users, first + count - begin);
      try {
        score_block(m, begin, n, seen, include_seen, first, out, masked, heap);
      } catch (...) {
#pragma omp critical(animerec_batch_error)
        if (!error) error = std::current_exception();
      }
      const int64_t users_done = done += n;
      // Progress prints to stderr: one thread only.
      if (progress != nullptr && omp_get_thread_num() == 0)
        progress->update(static_cast<uint64_t>(users_done), users_done);
    }
  }
  if (error) std::rethrow_exception(error);
  return out;
}

double bare_product_seconds(const model::Model& m, int64_t first, int64_t count,
                            int64_t block_users) {
  const int64_t blocks = (count + block_users - 1) / block_users;
  SingleThreadedEigen single;
  const auto start = std::chrono::steady_clock::now();
  float sink = 0;  // keeps the products from being optimised away
#pragma omp parallel reduction(+ : sink)
  {
    model::ScoreMatrix s(block_users, static_cast<Eigen::Index>(m.n_anime()));
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t begin = first + b * block_users;
      const int64_t n = std::min(block_users, first + count - begin);
      s.topRows(n).noalias() = m.user_factors.middleRows(begin, n) * m.anime_factors.transpose();
      sink += s(0, 0);
    }
  }
  g_bare_product_sink = sink;
  return seconds_since(start);
}

std::string batch_format(const std::string& format, const std::string& out) {
  if (format == "h5" || format == "hdf5") return "h5";
  if (format == "csv") return "csv";
  if (!format.empty()) {
    throw ConfigError(fmt::format("--format {}: with --all-users the output is h5 or csv", format));
  }
  auto ends_with = [&](const char* ext) {
    const std::string e(ext);
    return out.size() >= e.size() && out.compare(out.size() - e.size(), e.size(), e) == 0;
  };
  if (ends_with(".h5") || ends_with(".hdf5")) return "h5";
  if (ends_with(".csv")) return "csv";
  throw ConfigError(fmt::format(
      "--out {}: cannot tell the format from the extension; use .h5 or .csv, or --format csv",
      out));
}

void run_batch_recommend(const BatchOptions& o, dist::Comm& comm) {
  check_options(o);
  const std::string format = batch_format(o.format, o.out_path);
  const bool root = comm.rank() == 0;
  // Refuse before any work; an error on rank 0 alone ends the whole job.
  if (root) refuse_existing(o.out_path, o.overwrite, "--out");
  const model::Model m = io::read_model(o.model_path);
  const io::DatasetHeader h = io::read_dataset_header(o.dataset_path);
  check_dataset_matches(m, h, o.model_path, o.dataset_path);

  const auto n_users = static_cast<int64_t>(m.n_users());
  const std::vector<int64_t> bounds = user_block_boundaries(n_users, o.block_users, comm.size());
  const int64_t first = bounds[comm.rank()];
  const int64_t count = bounds[comm.rank() + 1] - first;
  const SeenRows seen = read_seen(o.dataset_path, h, first, count, o.include_seen);

  Progress progress("recommend", static_cast<uint64_t>(count), "users", o.quiet || !root);
  const auto start = std::chrono::steady_clock::now();
  TimedLists timed;
  if (o.time_bare_product)
    timed = timed_top_lists(m, first, count, seen, o.include_seen, o.top, o.block_users);
  else
    timed.lists = top_lists(m, first, count, seen, o.include_seen, o.top, o.block_users, &progress);
  const TopLists& lists = timed.lists;
  comm.barrier();
  const double batch_seconds = seconds_since(start);
  progress.finish(static_cast<uint64_t>(count), count);

  // Gather every rank's lists, in rank (= user) order.
  std::vector<int64_t> mine(lists.anime.size());
  for (size_t i = 0; i < mine.size(); ++i)
    mine[i] = lists.anime[i] < 0 ? -1 : m.anime_ids[static_cast<size_t>(lists.anime[i])];
  const std::vector<int64_t> counts = [&] {
    std::vector<int64_t> c(static_cast<size_t>(comm.size()));
    for (int r = 0; r < comm.size(); ++r) c[r] = (bounds[r + 1] - bounds[r]) * lists.top;
    return c;
  }();
  io::Recommendations recs;
  recs.top = lists.top;
  recs.user_ids = m.user_ids;
  recs.anime_ids.resize(static_cast<size_t>(n_users) * lists.top);
  recs.scores.resize(recs.anime_ids.size());
  comm.allgatherv(std::span<const int64_t>(mine), std::span<int64_t>(recs.anime_ids), counts);
  comm.allgatherv(std::span<const float>(lists.score), std::span<float>(recs.scores), counts);
  recs.model_path = o.model_path;
  recs.dataset_path = o.dataset_path;
  recs.include_seen = o.include_seen;

  if (o.time_bare_product && root) {
    std::fprintf(stderr, "%s",
                 fmt::format("batch (score, mask, select): {:.3f} s\nbare product: {:.3f} s\n"
                             "ratio: {:.2f}\n",
                             timed.batch_seconds, timed.bare_seconds,
                             timed.batch_seconds / timed.bare_seconds)
                     .c_str());
  }
  if (!root) return;
  if (format == "h5")
    io::write_recommendations(recs, o.out_path, o.overwrite);
  else
    write_csv(recs, o.out_path, o.overwrite);
  if (!o.quiet) {
    std::fprintf(stderr, "%s",
                 fmt::format("wrote {}: top {} for {} users ({:.2f} s on {} ranks)\n", o.out_path,
                             lists.top, n_users, batch_seconds, comm.size())
                     .c_str());
  }
}

}  // namespace animerec::serve
