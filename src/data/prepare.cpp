#include "animerec/data/prepare.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <future>
#include <numeric>
#include <thread>
#include <unordered_map>

#include "animerec/core/build_info.h"
#include "animerec/core/error.h"
#include "animerec/core/hash.h"
#include "animerec/core/memory.h"
#include "animerec/core/progress.h"
#include "animerec/core/sha256.h"

namespace animerec::data {

namespace {

// Distinct purposes for the counter-based hash, so the test split and the
// cold-anime sample are independent draws from one seed.
constexpr uint64_t kSaltHoldout = 0x686f6c646f7574ULL;  // "holdout"
constexpr uint64_t kSaltCold = 0x636f6c64ULL;           // "cold"

// External id -> dense index in order of first appearance. Ids below a limit
// use a direct table (MyAnimeList ids are small), the rest a hash map; rows
// come grouped by user, so the last lookup is cached.
class IdMap {
 public:
  int32_t index(int64_t ext) {
    if (ext == last_ext_) return last_index_;
    int32_t ix = lookup_or_insert(ext);
    last_ext_ = ext;
    last_index_ = ix;
    return ix;
  }
  const std::vector<int64_t>& external() const { return ext_; }

 private:
  static constexpr int64_t kDirectLimit = int64_t{1} << 24;
  int32_t lookup_or_insert(int64_t ext) {
    if (ext >= 0 && ext < kDirectLimit) {
      auto u = static_cast<size_t>(ext);
      if (u >= direct_.size()) direct_.resize(std::max(u + 1, direct_.size() * 2), -1);
      if (direct_[u] < 0) direct_[u] = add(ext);
      return direct_[u];
    }
    auto [it, inserted] = other_.try_emplace(ext, 0);
    if (inserted) it->second = add(ext);
    return it->second;
  }
  int32_t add(int64_t ext) {
    if (ext_.size() >= static_cast<size_t>(INT32_MAX)) throw Error("more than 2^31 distinct ids");
    ext_.push_back(ext);
    return static_cast<int32_t>(ext_.size() - 1);
  }
  std::vector<int32_t> direct_;
  std::unordered_map<int64_t, int32_t> other_;
  std::vector<int64_t> ext_;
  int64_t last_ext_ = INT64_MIN;
  int32_t last_index_ = -1;
};

// Rows as read, in file order (the ratings file, then the test-ratings file).
struct RowTable {
  std::vector<int32_t> user, anime;  // dense indices from IdMap
  std::vector<float> score;
  std::vector<uint8_t> status;
  size_t size() const { return user.size(); }
  void reserve(size_t n) {
    reserve_huge(user, n);
    reserve_huge(anime, n);
    reserve_huge(score, n);
    reserve_huge(status, n);
  }
};

struct ReadStats {
  int64_t rows = 0;
  float score_min = 0, score_max = 0;
  InputFile file;
};

// Parses every row of `src` into the id maps and the row table. `total_bytes`
// sizes the one reservation made after the first 65,536 rows (so the arrays
// never double past the memory bound); progress counts `progress_factor`
// bytes per byte read (2 when another thread reads the other half).
int64_t parse_rows(RatingsSource& src, IdMap& users, IdMap& anime, RowTable& rows, BadRowLog& log,
                   uint64_t total_bytes, Progress* progress, double progress_factor) {
  constexpr int64_t kSampleRows = 1 << 16;
  RatingRecord rec;
  int64_t n = 0;
  while (src.next(rec, log)) {
    rows.user.push_back(users.index(rec.user));
    rows.anime.push_back(anime.index(rec.anime));
    rows.score.push_back(rec.score);
    rows.status.push_back(rec.status);
    ++n;
    if ((n & (kSampleRows - 1)) != 0) continue;
    uint64_t done = src.reader().bytes_consumed();
    if (progress != nullptr)
      progress->update(static_cast<uint64_t>(static_cast<double>(done) * progress_factor), -1);
    if (n == kSampleRows) {
      double per_row = static_cast<double>(done) / kSampleRows;
      rows.reserve(rows.size() +
                   static_cast<size_t>(static_cast<double>(total_bytes) / per_row * 1.02));
    }
  }
  return n;
}

// One half of a file parsed on its own thread.
struct Part {
  IdMap users, anime;
  RowTable rows;
  BadRowLog log{BadRowPolicy::kError};
  int64_t count = 0;
  int64_t lines = 0;
  bool crossed = false;
  std::exception_ptr error;
};

void parse_part(RatingsSource& src, Part& part, uint64_t total_bytes, Progress* progress) {
  try {
    part.count =
        parse_rows(src, part.users, part.anime, part.rows, part.log, total_bytes, progress, 2.0);
  } catch (...) {
    part.error = std::current_exception();
  }
  part.lines = src.reader().lines_consumed();
  part.crossed = src.reader().crossed_end();
}

// The first line start at or after `offset`: where the second half begins.
uint64_t line_start_after(const std::string& path, uint64_t offset, uint64_t file_size) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::string chunk(1 << 16, '\0');
  while (offset < file_size) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    size_t nl = chunk.find('\n');
    if (nl < got) return offset + nl + 1;
    offset += got;
  }
  return file_size;
}

// Appends part 1's rows to part 0's, mapping part 1's dense ids through part
// 0's id maps (first-seen order does not matter: ids are renumbered by
// external id afterwards).
void append_part(Part& into, Part& from) {
  std::vector<int32_t> user_map(from.users.external().size()),
      anime_map(from.anime.external().size());
  for (size_t i = 0; i < user_map.size(); ++i)
    user_map[i] = into.users.index(from.users.external()[i]);
  for (size_t i = 0; i < anime_map.size(); ++i)
    anime_map[i] = into.anime.index(from.anime.external()[i]);
  into.rows.reserve(into.rows.size() + from.rows.size());
  for (size_t i = 0; i < from.rows.size(); ++i) {
    into.rows.user.push_back(user_map[from.rows.user[i]]);
    into.rows.anime.push_back(anime_map[from.rows.anime[i]]);
  }
  into.rows.score.insert(into.rows.score.end(), from.rows.score.begin(), from.rows.score.end());
  into.rows.status.insert(into.rows.status.end(), from.rows.status.begin(), from.rows.status.end());
  from.rows = RowTable();
}

// Rethrows a part's error; an InputError of the second part gets its line
// number counted from the start of the file.
void rethrow(const Part& part, int64_t line_offset) {
  try {
    std::rethrow_exception(part.error);
  } catch (const InputError& e) {
    if (line_offset == 0) throw;
    throw InputError(e.file(), e.line() + line_offset, e.what_wrong());
  }
}

// Parses a large file in two halves on two threads. Returns false (and
// changes nothing) when the midpoint fell inside a quoted field spanning
// lines: the caller then parses sequentially.
bool parse_in_two(RatingsSource& first, uint64_t data_begin, IdMap& users, IdMap& anime,
                  RowTable& rows, BadRowLog& log, Progress& progress, BadRowPolicy policy) {
  uint64_t size = first.reader().file_size();
  uint64_t mid =
      line_start_after(first.reader().path(), data_begin + (size - data_begin) / 2, size);
  first.reader().set_end(mid);
  RatingsSource second(first, mid, UINT64_MAX);
  Part a, b;
  a.log = BadRowLog(policy);
  b.log = BadRowLog(policy);
  std::thread worker(parse_part, std::ref(second), std::ref(b), size - mid, nullptr);
  parse_part(first, a, size, &progress);
  worker.join();
  if (a.crossed) return false;
  if (a.error) rethrow(a, 0);
  if (b.error) rethrow(b, a.lines);
  append_part(a, b);
  users = std::move(a.users);
  anime = std::move(a.anime);
  rows = std::move(a.rows);
  log.merge(a.log, 0);
  log.merge(b.log, a.lines);
  return true;
}

ReadStats read_ratings(const std::string& path, RatingsLayout layout, const char* role,
                       IdMap& users, IdMap& anime, RowTable& rows, BadRowLog& log,
                       const PrepareOptions& o) {
  // Opening the source first refuses a file that cannot be read twice (a pipe,
  // a device) before anything else touches it. The checksum is then computed
  // by a second sequential read on another thread while the parse goes on
  // (the file is then in the page cache for both).
  auto src = std::make_unique<RatingsSource>(path, layout);
  std::future<std::string> sha256 = std::async(std::launch::async, sha256_file, path);
  const uint64_t size = src->reader().file_size();
  const uint64_t data_begin = src->reader().bytes_consumed();
  Progress progress(fmt::format("reading {}", path), size, "bytes", o.quiet);
  // Two threads pay off on large files; only the first file (rows empty) is
  // split, so its ids and rows can simply be moved into place.
  bool parallel = rows.size() == 0 && size - data_begin >= o.parallel_parse_min_bytes &&
                  std::thread::hardware_concurrency() > 1;
  if (!parallel ||
      !parse_in_two(*src, data_begin, users, anime, rows, log, progress, o.on_bad_row)) {
    if (parallel)
      src = std::make_unique<RatingsSource>(path, layout);  // the midpoint split a record
    parse_rows(*src, users, anime, rows, log, size, &progress, 1.0);
  }
  progress.finish(size, static_cast<int64_t>(rows.size()));
  ReadStats st;
  st.rows = static_cast<int64_t>(rows.size());
  st.score_min = src->score_min();
  st.score_max = src->score_max();
  st.file = InputFile{role, path, ratings_layout_name(src->layout()), size, sha256.get()};
  return st;
}

// Seconds per phase, reported on stderr in one line when the whole run took
// long enough for a user to wonder where the time went.
class PhaseLog {
 public:
  explicit PhaseLog(bool quiet) : quiet_(quiet), start_(Clock::now()), last_(start_) {}
  void done(const char* phase) {
    auto now = Clock::now();
    text_ += fmt::format("{}{} {:.2f} s", text_.empty() ? "" : ", ", phase,
                         std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }
  void report() const {
    constexpr double kWorthReporting = 1.0;
    if (!quiet_ &&
        std::chrono::duration<double>(Clock::now() - start_).count() >= kWorthReporting) {
      std::fprintf(stderr, "prepare phases: %s\n", text_.c_str());
    }
  }

 private:
  using Clock = std::chrono::steady_clock;
  bool quiet_;
  Clock::time_point start_, last_;
  std::string text_;
};

// rank[dense] = position of the external id in ascending order.
std::vector<int32_t> ascending_ranks(const std::vector<int64_t>& ext,
                                     std::vector<int64_t>& sorted_ext) {
  std::vector<int32_t> order(ext.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return ext[a] < ext[b]; });
  std::vector<int32_t> rank(ext.size());
  sorted_ext.resize(ext.size());
  for (size_t i = 0; i < order.size(); ++i) {
    rank[order[i]] = static_cast<int32_t>(i);
    sorted_ext[i] = ext[order[i]];
  }
  return rank;
}

// Row order sorted by (user, anime, file position): counting sort by user is
// stable, then each user's rows are stable-sorted by anime.
std::vector<uint32_t> sorted_order(const RowTable& rows, size_t n_users) {
  std::vector<uint32_t> start(n_users + 1, 0);
  for (int32_t u : rows.user) ++start[static_cast<size_t>(u) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<uint32_t> order;
  resize_huge(order, rows.size());
  std::vector<uint32_t> fill(start.begin(), start.end() - 1);
  for (uint32_t i = 0; i < rows.size(); ++i) order[fill[rows.user[i]]++] = i;
  for (size_t u = 0; u < n_users; ++u) {
    std::stable_sort(order.begin() + start[u], order.begin() + start[u + 1],
                     [&](uint32_t a, uint32_t b) { return rows.anime[a] < rows.anime[b]; });
  }
  return order;
}

// Keeps the last row of each (user, anime) run in `order`; returns how many
// were dropped. `in_both` counts the pairs with rows before and at or after
// first_test_row (in the ratings and in the test-ratings file): the test row wins.
int64_t drop_duplicates(const RowTable& rows, std::vector<uint32_t>& order, size_t first_test_row,
                        int64_t& in_both) {
  size_t out = 0;
  in_both = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    bool last_of_pair = i + 1 == order.size() || rows.user[order[i]] != rows.user[order[i + 1]] ||
                        rows.anime[order[i]] != rows.anime[order[i + 1]];
    if (last_of_pair) {
      order[out++] = order[i];
    } else if (order[i] < first_test_row && order[i + 1] >= first_test_row) {
      ++in_both;  // rows of a pair are in file order: this happens once per pair
    }
  }
  int64_t dropped = static_cast<int64_t>(order.size() - out);
  order.resize(out);
  return dropped;
}

struct FilterStats {
  int64_t rounds = 0, rows = 0;
};

// Drops rows of users/anime below the minimum counts, repeating until no
// count falls below its minimum (dropping anime can push users under theirs).
FilterStats apply_min_filters(const RowTable& rows, std::vector<uint32_t>& order, size_t n_users,
                              size_t n_anime, int64_t min_user, int64_t min_anime) {
  FilterStats st;
  if (min_user <= 1 && min_anime <= 1) return st;
  for (;;) {
    std::vector<int64_t> per_user(n_users, 0), per_anime(n_anime, 0);
    for (uint32_t r : order) {
      ++per_user[rows.user[r]];
      ++per_anime[rows.anime[r]];
    }
    size_t out = 0;
    for (uint32_t r : order) {
      if (per_user[rows.user[r]] >= min_user && per_anime[rows.anime[r]] >= min_anime)
        order[out++] = r;
    }
    if (out == order.size()) return st;
    ++st.rounds;  // rounds that dropped something
    st.rows += static_cast<int64_t>(order.size() - out);
    order.resize(out);
  }
}

// Compacts indices to those flagged present; returns old -> new (-1 if gone).
std::vector<int32_t> compact_ids(const std::vector<uint8_t>& present,
                                 const std::vector<int64_t>& ext, std::vector<int64_t>& kept_ext) {
  std::vector<int32_t> remap(present.size(), -1);
  kept_ext.clear();
  for (size_t i = 0; i < present.size(); ++i) {
    if (present[i]) {
      remap[i] = static_cast<int32_t>(kept_ext.size());
      kept_ext.push_back(ext[i]);
    }
  }
  return remap;
}

void mark_cold_anime(Dataset& d, const PrepareOptions& o) {
  d.cold_anime.assign(d.n_anime(), 0);
  auto n_cold =
      static_cast<size_t>(std::llround(o.cold_anime_fraction * static_cast<double>(d.n_anime())));
  if (n_cold == 0) return;
  // The sample depends only on (seed, external id): stable under any row order.
  std::vector<std::pair<uint64_t, int32_t>> keyed(d.n_anime());
  for (size_t a = 0; a < d.n_anime(); ++a) {
    keyed[a] = {hash_combine(o.seed, kSaltCold, static_cast<uint64_t>(d.anime_ids[a])),
                static_cast<int32_t>(a)};
  }
  std::sort(keyed.begin(), keyed.end());
  for (size_t i = 0; i < n_cold; ++i) d.cold_anime[keyed[i].second] = 1;
}

// Puts the first n.test of a user's candidate rows (in hash order) into test
// and the next n.validation into validation. Only those need ordering, so two
// partial selections replace a full sort.
void split_user(Dataset& d, size_t u, const PrepareOptions& o, bool has_test_file,
                std::vector<std::pair<uint64_t, int64_t>>& candidates) {
  RatingArrays& r = d.by_user;
  candidates.clear();
  for (auto i = d.user_offsets[u]; i < d.user_offsets[u + 1]; ++i) {
    if (r.split[i] != static_cast<uint8_t>(Split::kTrain) || r.score[i] <= 0) continue;
    uint64_t key = hash_combine(o.seed, kSaltHoldout, static_cast<uint64_t>(d.user_ids[u]),
                                static_cast<uint64_t>(d.anime_ids[r.anime[i]]));
    candidates.emplace_back(key, i);
  }
  SplitCounts n =
      holdout_sizes(static_cast<int64_t>(candidates.size()), has_test_file ? 0.0 : o.test_fraction,
                    o.validation_fraction, o.min_ratings_to_split);
  if (n.test + n.validation == 0) return;
  auto first = candidates.begin();
  std::nth_element(first, first + n.test + n.validation - 1, candidates.end());
  if (n.test > 0 && n.validation > 0)
    std::nth_element(first, first + n.test - 1, first + n.test + n.validation);
  for (int64_t k = 0; k < n.test + n.validation; ++k) {
    r.split[candidates[k].second] =
        static_cast<uint8_t>(k < n.test ? Split::kTest : Split::kValidation);
  }
}

// Expects r.split to mark the rows of a --test-ratings file as test, the rest train.
void assign_splits(Dataset& d, const PrepareOptions& o) {
  mark_cold_anime(d, o);
  RatingArrays& r = d.by_user;
  for (size_t i = 0; i < r.size(); ++i) {
    if (d.cold_anime[r.anime[i]] != 0) r.split[i] = static_cast<uint8_t>(Split::kTest);
  }
  bool has_test_file = !o.test_ratings_path.empty();
  // Users are independent and each writes only its own rows: the result does
  // not depend on the thread count.
#pragma omp parallel
  {
    std::vector<std::pair<uint64_t, int64_t>> candidates;
#pragma omp for schedule(dynamic, 512)
    for (size_t u = 0; u < d.n_users(); ++u) split_user(d, u, o, has_test_file, candidates);
  }
}

// A dataset without training rows cannot train anything: say so now rather
// than leave it to train, naming the likely cause.
void check_training_rows(const Dataset& d, const PrepareOptions& o, int64_t test_pairs_in_both) {
  const auto& split = d.by_user.split;
  if (std::find(split.begin(), split.end(), static_cast<uint8_t>(Split::kTrain)) != split.end())
    return;
  std::string cause;
  if (test_pairs_in_both > 0) {
    cause = fmt::format(
        "--test-ratings {} repeats {} (user, anime) pair(s) of --ratings {} and a pair in both "
        "files is a test row: give it only the held-out rows",
        o.test_ratings_path, test_pairs_in_both, o.ratings_path);
  } else {
    cause = fmt::format(
        "no row of --ratings {} is left for training (--cold-anime-fraction {}, "
        "--min-user-ratings {}, --min-anime-ratings {})",
        o.ratings_path, o.cold_anime_fraction, o.min_user_ratings, o.min_anime_ratings);
  }
  throw ConfigError(
      fmt::format("the training split is empty (all {} rows are test or validation rows): {}",
                  d.n_ratings(), cause));
}

void push_multi(MultiValued& mv, std::unordered_map<std::string, int32_t>& vocab_index,
                const std::vector<std::string>& items) {
  for (const auto& s : items) {
    auto [it, inserted] = vocab_index.try_emplace(s, static_cast<int32_t>(mv.vocab.size()));
    if (inserted) mv.vocab.push_back(s);
    mv.values.push_back(it->second);
  }
  mv.offsets.push_back(static_cast<int64_t>(mv.values.size()));
}

// Vocabulary ids in order of first appearance over anime in ascending id, so
// the result depends only on the inputs.
void attach_metadata(Dataset& d, const AnimeTable& table) {
  AnimeMeta& m = d.anime;
  m.resize(d.n_anime());
  m.genres = MultiValued{{}, {0}, {}};
  m.studios = MultiValued{{}, {0}, {}};
  std::unordered_map<std::string, int32_t> genre_ix, studio_ix;
  for (size_t a = 0; a < d.n_anime(); ++a) {
    auto it = table.by_id.find(d.anime_ids[a]);
    if (it == table.by_id.end()) {
      push_multi(m.genres, genre_ix, {});
      push_multi(m.studios, studio_ix, {});
      continue;
    }
    const AnimeRecord& rec = it->second;
    m.has_metadata[a] = 1;
    m.title[a] = rec.title;
    m.type[a] = rec.type;
    m.source[a] = rec.source;
    m.age_rating[a] = rec.age_rating;
    m.season[a] = rec.season;
    m.synopsis[a] = rec.synopsis;
    m.episodes[a] = rec.episodes;
    m.year[a] = rec.year;
    m.duration_min[a] = rec.duration_min;
    m.members[a] = rec.members;
    m.community_score[a] = rec.community_score;
    push_multi(m.genres, genre_ix, rec.genres);
    push_multi(m.studios, studio_ix, rec.studios);
  }
}

void count_rows(Dataset& d) {
  auto& c = d.provenance.counts;
  const RatingArrays& r = d.by_user;
  int64_t scored = 0, train = 0, validation = 0, test = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    scored += r.score[i] > 0;
    train += r.split[i] == static_cast<uint8_t>(Split::kTrain);
    validation += r.split[i] == static_cast<uint8_t>(Split::kValidation);
    test += r.split[i] == static_cast<uint8_t>(Split::kTest);
  }
  int64_t without_meta = 0, rows_without_meta = 0;
  for (size_t a = 0; a < d.n_anime(); ++a) {
    if (d.anime.has_metadata[a]) continue;
    ++without_meta;
    rows_without_meta += d.anime_offsets[a + 1] - d.anime_offsets[a];
  }
  c["rows_kept"] = static_cast<int64_t>(r.size());
  c["users"] = static_cast<int64_t>(d.n_users());
  c["anime"] = static_cast<int64_t>(d.n_anime());
  c["scored_rows"] = scored;
  c["unscored_rows"] = static_cast<int64_t>(r.size()) - scored;
  c["split_train_rows"] = train;
  c["split_validation_rows"] = validation;
  c["split_test_rows"] = test;
  c["cold_anime"] = std::count(d.cold_anime.begin(), d.cold_anime.end(), 1);
  c["anime_without_metadata"] = without_meta;
  c["rows_of_anime_without_metadata"] = rows_without_meta;
}

}  // namespace

SplitCounts holdout_sizes(int64_t n_scored, double test_fraction, double validation_fraction,
                          int64_t min_ratings_to_split) {
  SplitCounts s;
  if (n_scored < min_ratings_to_split) return s;
  s.test = std::llround(test_fraction * static_cast<double>(n_scored));
  s.validation = std::llround(validation_fraction * static_cast<double>(n_scored));
  // A user always keeps at least one training rating.
  while (s.test + s.validation >= n_scored) {
    if (s.validation > 0) {
      --s.validation;
    } else {
      --s.test;
    }
  }
  return s;
}

Dataset prepare_dataset(const PrepareOptions& o, BadRowLog& log) {
  PhaseLog phases(o.quiet);
  Dataset d;
  auto& counts = d.provenance.counts;
  IdMap users, anime;
  RowTable rows;

  ReadStats main =
      read_ratings(o.ratings_path, o.ratings_layout, "ratings", users, anime, rows, log, o);
  // Rows from here on come from the --test-ratings file.
  const size_t first_test_row = rows.size();
  counts["rows_read"] = main.rows;
  phases.done("read ratings");
  d.provenance.inputs.push_back(main.file);
  float score_min = main.score_min, score_max = main.score_max;
  if (!o.test_ratings_path.empty()) {
    const size_t before = rows.size();
    ReadStats test = read_ratings(o.test_ratings_path, o.ratings_layout, "test-ratings", users,
                                  anime, rows, log, o);
    test.rows = static_cast<int64_t>(rows.size() - before);
    counts["test_rows_read"] = test.rows;
    d.provenance.inputs.push_back(test.file);
    score_min = std::min(score_min, test.score_min);
    score_max = std::max(score_max, test.score_max);
  }
  for (const auto& [reason, entry] : log.entries()) counts["skipped_" + reason] = entry.count;
  if (rows.size() == 0) throw InputError(o.ratings_path, 0, "no valid rating rows");
  if (rows.size() >= UINT32_MAX) throw Error("more than 2^32 rating rows are not supported");

  // Dense first-seen ids -> ascending external order.
  std::vector<int64_t> user_ext, anime_ext;
  std::vector<int32_t> user_rank = ascending_ranks(users.external(), user_ext);
  std::vector<int32_t> anime_rank = ascending_ranks(anime.external(), anime_ext);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows.user[i] = user_rank[rows.user[i]];
    rows.anime[i] = anime_rank[rows.anime[i]];
  }
  std::vector<uint32_t> order = sorted_order(rows, user_ext.size());
  int64_t in_both = 0;
  counts["duplicates_dropped"] = drop_duplicates(rows, order, first_test_row, in_both);
  if (!o.test_ratings_path.empty()) {
    counts["test_pairs_also_in_ratings"] = in_both;
    if (in_both > 0) {
      std::fprintf(stderr, "%s",
                   fmt::format("warning: {} (user, anime) pair(s) of --test-ratings {} are also in "
                               "--ratings {}; those rows are test rows\n",
                               in_both, o.test_ratings_path, o.ratings_path)
                       .c_str());
    }
  }
  phases.done("sort by user and anime");

  FilterStats fs = apply_min_filters(rows, order, user_ext.size(), anime_ext.size(),
                                     o.min_user_ratings, o.min_anime_ratings);
  counts["filter_rounds"] = fs.rounds;
  counts["filter_dropped_rows"] = fs.rows;
  if (order.empty()) {
    throw ConfigError(
        fmt::format("no rows left after --min-user-ratings {} and --min-anime-ratings {}",
                    o.min_user_ratings, o.min_anime_ratings));
  }

  // Renumber the users and anime that still have rows.
  std::vector<uint8_t> user_present(user_ext.size(), 0), anime_present(anime_ext.size(), 0);
  for (uint32_t i : order) {
    user_present[rows.user[i]] = 1;
    anime_present[rows.anime[i]] = 1;
  }
  std::vector<int32_t> user_remap = compact_ids(user_present, user_ext, d.user_ids);
  std::vector<int32_t> anime_remap = compact_ids(anime_present, anime_ext, d.anime_ids);
  counts["filter_dropped_users"] = static_cast<int64_t>(user_ext.size() - d.user_ids.size());
  counts["filter_dropped_anime"] = static_cast<int64_t>(anime_ext.size() - d.anime_ids.size());

  RatingArrays& r = d.by_user;
  r.resize(order.size());
  d.user_offsets.assign(d.n_users() + 1, 0);
  for (size_t i = 0; i < order.size(); ++i) {
    uint32_t src = order[i];
    r.user[i] = user_remap[rows.user[src]];
    r.anime[i] = anime_remap[rows.anime[src]];
    r.score[i] = rows.score[src];
    r.status[i] = rows.status[src];
    r.split[i] = static_cast<uint8_t>(src >= first_test_row ? Split::kTest : Split::kTrain);
    ++d.user_offsets[static_cast<size_t>(r.user[i]) + 1];
  }
  std::partial_sum(d.user_offsets.begin(), d.user_offsets.end(), d.user_offsets.begin());
  rows = RowTable();  // release the file-order copy before the second orientation
  order = {};

  if (!(score_min < score_max)) {
    // Only triplets take their scale from the scores; one value everywhere
    // is implicit feedback (all 1s: who watched what). Keep the rows scored
    // and give the scale a width, so the dataset is valid and splits as usual.
    std::fprintf(stderr, "%s",
                 fmt::format("note: every score in {} is {}; reading it as implicit feedback "
                             "(who watched what) on the scale [{}, {}]: train it with --feedback "
                             "implicit\n",
                             o.ratings_path, score_min, score_min, score_min + 1)
                     .c_str());
    score_max = score_min + 1;
  }
  d.score_min = score_min;
  d.score_max = score_max;
  phases.done("filter and renumber");
  assign_splits(d, o);
  check_training_rows(d, o, in_both);
  phases.done("split");
  build_anime_orientation(d);
  phases.done("order by anime");

  AnimeTable table;
  if (!o.anime_path.empty()) {
    table = read_anime_file(o.anime_path, o.anime_layout, log, o.quiet);
    d.provenance.inputs.push_back(table.file);
    counts["metadata_rows"] = table.rows;
    counts["metadata_duplicate_ids"] = table.duplicates;
  }
  if (!o.synopsis_path.empty()) {
    d.provenance.inputs.push_back(merge_synopsis_file(o.synopsis_path, table, log, o.quiet));
  }
  for (const auto& [reason, entry] : log.entries()) counts["skipped_" + reason] = entry.count;
  attach_metadata(d, table);
  count_rows(d);
  phases.done("metadata");
  phases.report();

  d.provenance.command_line = o.command_line;
  d.provenance.program_version = program_version();
  d.provenance.build_commit = build_commit();
  d.provenance.params = o.params;
  return d;
}

}  // namespace animerec::data
