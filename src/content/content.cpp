// Content vectors: vocabulary, per-anime rows, similarity and explanations.
// Layout and normalisation are described in docs/content.md.

#include "animerec/content/content.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "animerec/core/error.h"

namespace animerec::content {

namespace {

using data::AnimeMeta;

enum Group : int {
  kGenre,
  kType,
  kSource,
  kStudio,
  kEpisodes,
  kYear,
  kSeason,
  kAgeRating,
  kDuration,
  kPopularity,
  kCommunityScore,
  kSynopsis,
  kNumGroups
};
static_assert(std::size(kGroupOrder) == kNumGroups);

constexpr const char* kOtherStudio = "Studio: other";

// ---------------------------------------------------------------- buckets

// A numeric value v falls in the last bucket whose lower bound is <= v;
// values below the first bound are unknown.
struct Bucket {
  double lower;
  const char* name;
};
constexpr Bucket kEpisodeBuckets[] = {
    {1, "episodes 1"},      {2, "episodes 2-6"},     {7, "episodes 7-13"},  {14, "episodes 14-26"},
    {27, "episodes 27-52"}, {53, "episodes 53-100"}, {101, "episodes 101+"}};
// Shorts (a few minutes), the usual ~24-minute episode, double-length
// episodes and specials, and feature films.
constexpr Bucket kDurationBuckets[] = {{1, "duration short (<8 min)"},
                                       {8, "duration standard (8-35 min)"},
                                       {36, "duration long (36-69 min)"},
                                       {70, "duration movie (70+ min)"}};
constexpr Bucket kMemberBuckets[] = {{0, "members <1k"},
                                     {1e3, "members 1k-10k"},
                                     {1e4, "members 10k-100k"},
                                     {1e5, "members 100k-1M"},
                                     {1e6, "members 1M+"}};
// MyAnimeList scores start at 1; a 0 is not a real score.
constexpr Bucket kScoreBuckets[] = {{1e-6, "community score <6"},
                                    {6, "community score 6-7"},
                                    {7, "community score 7-8"},
                                    {8, "community score 8-9"},
                                    {9, "community score 9+"}};

template <size_t N>
const char* bucket_of(const Bucket (&buckets)[N], double v) {
  if (!(v >= buckets[0].lower)) return nullptr;  // also NaN
  const char* name = buckets[0].name;
  for (const Bucket& b : buckets) {
    if (v >= b.lower) name = b.name;
  }
  return name;
}

template <size_t N>
void add_buckets(Vocabulary& v, Group g, const Bucket (&buckets)[N]) {
  for (const Bucket& b : buckets) {
    v.names.emplace_back(b.name);
    v.groups.emplace_back(kGroupOrder[g]);
    v.idf.push_back(1.0f);
  }
}

int decade_of(int32_t year) { return year > 0 ? year / 10 * 10 : -1; }
std::string decade_name(int decade) { return fmt::format("{}s", decade); }

// ---------------------------------------------------------------- options

float group_weight(const ContentOptions& o, int g) {
  switch (g) {
    case kGenre:
      return o.genres_weight;
    case kType:
      return o.type_weight;
    case kSource:
      return o.source_weight;
    case kStudio:
      return o.studios_weight;
    case kEpisodes:
      return o.episodes_weight;
    case kYear:
      return o.year_weight;
    case kSeason:
      return o.season_weight;
    case kAgeRating:
      return o.age_rating_weight;
    case kDuration:
      return o.duration_weight;
    case kPopularity:
      return o.use_popularity ? o.popularity_weight : 0.0f;
    case kCommunityScore:
      return o.use_community_score ? o.community_score_weight : 0.0f;
    case kSynopsis:
      return o.synopsis_vocabulary > 0 ? o.synopsis_weight : 0.0f;
  }
  return 0.0f;
}

bool enabled(const ContentOptions& o, int g) { return group_weight(o, g) > 0; }

// ---------------------------------------------------------------- vocabulary

void add_sorted(Vocabulary& v, Group g, const std::set<std::string>& names) {
  for (const auto& name : names) {
    v.names.push_back(name);
    v.groups.emplace_back(kGroupOrder[g]);
    v.idf.push_back(1.0f);
  }
}

std::set<std::string> multi_values_seen(const data::MultiValued& m,
                                        const std::vector<size_t>& anime) {
  std::set<std::string> seen;
  for (size_t a : anime) {
    for (int64_t k = m.offsets[a]; k < m.offsets[a + 1]; ++k) seen.insert(m.vocab[m.values[k]]);
  }
  return seen;
}

std::set<std::string> strings_seen(const std::vector<std::string>& field,
                                   const std::vector<size_t>& anime) {
  std::set<std::string> seen;
  for (size_t a : anime) {
    if (!field[a].empty()) seen.insert(field[a]);
  }
  return seen;
}

// The top_studios studios credited on the most anime (ties by name), sorted
// by name; the pooled feature follows them.
void add_studios(Vocabulary& v, const data::MultiValued& studios, const std::vector<size_t>& anime,
                 int32_t top) {
  std::map<std::string, int64_t> count;
  for (size_t a : anime) {
    std::set<int32_t> once(studios.values.begin() + studios.offsets[a],
                           studios.values.begin() + studios.offsets[a + 1]);
    for (int32_t s : once) ++count[studios.vocab[s]];
  }
  std::vector<std::pair<std::string, int64_t>> ranked(count.begin(), count.end());
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  if (ranked.size() > static_cast<size_t>(top)) ranked.resize(static_cast<size_t>(top));
  std::set<std::string> kept;
  for (auto& [name, n] : ranked) kept.insert(name);
  add_sorted(v, kStudio, kept);
  add_sorted(v, kStudio, {kOtherStudio});
}

// Every decade from the earliest to the latest seen, so the buckets are a
// contiguous range a later anime can be clamped into.
void add_decades(Vocabulary& v, const std::vector<int32_t>& year,
                 const std::vector<size_t>& anime) {
  int lo = -1, hi = -1;
  for (size_t a : anime) {
    int d = decade_of(year[a]);
    if (d < 0) continue;
    lo = lo < 0 ? d : std::min(lo, d);
    hi = std::max(hi, d);
  }
  if (lo < 0) return;
  for (int d = lo; d <= hi; d += 10) {
    v.names.push_back(decade_name(d));
    v.groups.emplace_back(kGroupOrder[kYear]);
    v.idf.push_back(1.0f);
  }
}

void add_synopsis_words(Vocabulary& v, const std::vector<std::string>& synopsis,
                        const std::vector<size_t>& anime, const ContentOptions& o) {
  std::map<std::string, int64_t> df;
  int64_t n_docs = 0;
  for (size_t a : anime) {
    if (synopsis[a].empty()) continue;
    ++n_docs;
    auto words = synopsis_words(synopsis[a]);
    std::set<std::string> once(words.begin(), words.end());
    for (const auto& w : once) ++df[w];
  }
  std::vector<std::pair<std::string, int64_t>> ranked;
  for (const auto& [w, n] : df) {
    if (n >= o.min_document_frequency) ranked.emplace_back(w, n);
  }
  // df descending; the map gave word order, which stable_sort keeps for ties.
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& x, const auto& y) { return x.second > y.second; });
  if (ranked.size() > static_cast<size_t>(o.synopsis_vocabulary)) {
    ranked.resize(static_cast<size_t>(o.synopsis_vocabulary));
  }
  std::sort(ranked.begin(), ranked.end());
  for (const auto& [w, n] : ranked) {
    v.names.push_back("synopsis: " + w);
    v.groups.emplace_back(kGroupOrder[kSynopsis]);
    double idf = std::log((1.0 + n_docs) / (1.0 + n)) + 1.0;
    v.idf.push_back(static_cast<float>(idf));
  }
}

void add_group(Vocabulary& v, Group g, const AnimeMeta& m, const std::vector<size_t>& anime,
               const ContentOptions& o) {
  switch (g) {
    case kGenre:
      return add_sorted(v, g, multi_values_seen(m.genres, anime));
    case kType:
      return add_sorted(v, g, strings_seen(m.type, anime));
    case kSource:
      return add_sorted(v, g, strings_seen(m.source, anime));
    case kStudio:
      return add_studios(v, m.studios, anime, o.top_studios);
    case kEpisodes:
      return add_buckets(v, g, kEpisodeBuckets);
    case kYear:
      return add_decades(v, m.year, anime);
    case kSeason:
      return add_sorted(v, g, strings_seen(m.season, anime));
    case kAgeRating:
      return add_sorted(v, g, strings_seen(m.age_rating, anime));
    case kDuration:
      return add_buckets(v, g, kDurationBuckets);
    case kPopularity:
      return add_buckets(v, g, kMemberBuckets);
    case kCommunityScore:
      return add_buckets(v, g, kScoreBuckets);
    case kSynopsis:
      return add_synopsis_words(v, m.synopsis, anime, o);
    case kNumGroups:
      break;
  }
}

// ---------------------------------------------------------------- rows

// Maps (group, name) back to feature indices for building rows.
struct FeatureIndex {
  std::vector<std::map<std::string, int32_t, std::less<>>> by_group;
  int min_decade = -1, max_decade = -1;

  explicit FeatureIndex(const Vocabulary& v) : by_group(kNumGroups) {
    if (v.groups.size() != v.size() || v.idf.size() != v.size()) {
      throw std::invalid_argument("content vocabulary: names, groups and idf differ in length");
    }
    for (size_t i = 0; i < v.size(); ++i) {
      int g = group_index(v.groups[i]);
      by_group[g].emplace(v.names[i], static_cast<int32_t>(i));
      if (g == kYear) {
        int d = std::stoi(v.names[i]);
        min_decade = min_decade < 0 ? d : std::min(min_decade, d);
        max_decade = std::max(max_decade, d);
      }
    }
  }

  static int group_index(std::string_view name) {
    for (int g = 0; g < kNumGroups; ++g) {
      if (name == kGroupOrder[g]) return g;
    }
    throw std::invalid_argument(fmt::format("content vocabulary: unknown group \"{}\"", name));
  }

  int32_t find(int g, std::string_view name) const {
    if (name.empty()) return -1;
    auto it = by_group[g].find(name);
    return it == by_group[g].end() ? -1 : it->second;
  }

  std::string decade(int32_t year) const {
    int d = decade_of(year);
    if (d < 0 || min_decade < 0) return {};
    return decade_name(std::clamp(d, min_decade, max_decade));
  }
};

struct Entry {
  int32_t col;
  double value;
};

void add_one(std::vector<Entry>& out, int32_t col) {
  if (col >= 0) out.push_back({col, 1.0});
}

void add_multi(std::vector<Entry>& out, const FeatureIndex& ix, int g, const data::MultiValued& m,
               size_t a, bool pool_unknown) {
  std::set<int32_t> cols;  // an attribute listed twice still counts once
  for (int64_t k = m.offsets[a]; k < m.offsets[a + 1]; ++k) {
    int32_t col = ix.find(g, m.vocab[m.values[k]]);
    if (col < 0 && pool_unknown) col = ix.find(g, kOtherStudio);
    if (col >= 0) cols.insert(col);
  }
  for (int32_t col : cols) out.push_back({col, 1.0});
}

void add_words(std::vector<Entry>& out, const FeatureIndex& ix, const Vocabulary& v,
               const std::string& synopsis) {
  std::map<int32_t, int64_t> tf;
  for (const auto& w : synopsis_words(synopsis)) {
    int32_t col = ix.find(kSynopsis, "synopsis: " + w);
    if (col >= 0) ++tf[col];
  }
  for (auto [col, n] : tf) out.push_back({col, static_cast<double>(n) * v.idf[col]});
}

// The raw (unnormalised) entries of group g for anime a.
std::vector<Entry> group_entries(const AnimeMeta& m, size_t a, int g, const FeatureIndex& ix,
                                 const Vocabulary& v) {
  std::vector<Entry> e;
  auto bucket = [&](const char* name) { add_one(e, name ? ix.find(g, name) : -1); };
  switch (g) {
    case kGenre:
      add_multi(e, ix, g, m.genres, a, false);
      break;
    case kType:
      add_one(e, ix.find(g, m.type[a]));
      break;
    case kSource:
      add_one(e, ix.find(g, m.source[a]));
      break;
    case kStudio:
      add_multi(e, ix, g, m.studios, a, true);
      break;
    case kEpisodes:
      bucket(bucket_of(kEpisodeBuckets, m.episodes[a]));
      break;
    case kYear:
      add_one(e, ix.find(g, ix.decade(m.year[a])));
      break;
    case kSeason:
      add_one(e, ix.find(g, m.season[a]));
      break;
    case kAgeRating:
      add_one(e, ix.find(g, m.age_rating[a]));
      break;
    case kDuration:
      bucket(bucket_of(kDurationBuckets, m.duration_min[a]));
      break;
    case kPopularity:
      bucket(m.members[a] < 0 ? nullptr
                              : bucket_of(kMemberBuckets, static_cast<double>(m.members[a])));
      break;
    case kCommunityScore:
      bucket(bucket_of(kScoreBuckets, m.community_score[a]));
      break;
    case kSynopsis:
      add_words(e, ix, v, m.synopsis[a]);
      break;
  }
  return e;
}

// Appends anime a's row: each group scaled to norm = its weight.
void append_row(ContentMatrix& out, const AnimeMeta& m, size_t a, const FeatureIndex& ix,
                const Vocabulary& v, const ContentOptions& o) {
  std::vector<Entry> row;
  if (m.has_metadata[a]) {
    for (int g = 0; g < kNumGroups; ++g) {
      double w = group_weight(o, g);
      if (w <= 0) continue;
      auto e = group_entries(m, a, g, ix, v);
      std::sort(e.begin(), e.end(), [](const Entry& x, const Entry& y) { return x.col < y.col; });
      double sq = 0;
      for (const Entry& x : e) sq += x.value * x.value;
      if (sq <= 0) continue;
      double scale = w / std::sqrt(sq);
      for (const Entry& x : e) row.push_back({x.col, x.value * scale});
    }
  }
  std::sort(row.begin(), row.end(), [](const Entry& x, const Entry& y) { return x.col < y.col; });
  for (const Entry& x : row) {
    out.cols.push_back(x.col);
    out.values.push_back(static_cast<float>(x.value));
  }
  out.offsets.push_back(static_cast<int64_t>(out.cols.size()));
}

// ---------------------------------------------------------------- rows read back

int64_t local_row(const ContentMatrix& m, int32_t row) {
  if (!m.has_row(row)) {
    throw std::out_of_range(fmt::format("content row {} is outside the block [{}, {})", row,
                                        m.first_row, m.first_row + m.n_rows()));
  }
  return row - m.first_row;
}

double row_norm(const ContentMatrix& m, int64_t r) {
  double sq = 0;
  for (int64_t k = m.offsets[r]; k < m.offsets[r + 1]; ++k) sq += double{m.values[k]} * m.values[k];
  return std::sqrt(sq);
}

void check_weight(const char* name, float w) {
  if (!(std::isfinite(w) && w >= 0)) {
    throw ConfigError(
        fmt::format("invalid content weight {}: {} (must be finite and >= 0)", name, w));
  }
}

}  // namespace

void check_options(const ContentOptions& o) {
  check_weight("genres", o.genres_weight);
  check_weight("type", o.type_weight);
  check_weight("source", o.source_weight);
  check_weight("studios", o.studios_weight);
  check_weight("episodes", o.episodes_weight);
  check_weight("year", o.year_weight);
  check_weight("season", o.season_weight);
  check_weight("age_rating", o.age_rating_weight);
  check_weight("duration", o.duration_weight);
  check_weight("popularity", o.popularity_weight);
  check_weight("community_score", o.community_score_weight);
  check_weight("synopsis", o.synopsis_weight);
  if (o.top_studios < 0) {
    throw ConfigError(fmt::format("invalid top_studios: {} (must be >= 0)", o.top_studios));
  }
  if (o.synopsis_vocabulary < 0) {
    throw ConfigError(
        fmt::format("invalid synopsis_vocabulary: {} (must be >= 0)", o.synopsis_vocabulary));
  }
  if (o.min_document_frequency < 1) {
    throw ConfigError(
        fmt::format("invalid min_document_frequency: {} (must be >= 1)", o.min_document_frequency));
  }
}

Vocabulary build_vocabulary(const AnimeMeta& meta, const std::vector<uint8_t>& use_for_vocabulary,
                            const ContentOptions& options) {
  check_options(options);
  if (use_for_vocabulary.size() != meta.size()) {
    throw std::invalid_argument(fmt::format("use_for_vocabulary has {} flags for {} anime",
                                            use_for_vocabulary.size(), meta.size()));
  }
  std::vector<size_t> anime;
  for (size_t a = 0; a < meta.size(); ++a) {
    if (use_for_vocabulary[a] && meta.has_metadata[a]) anime.push_back(a);
  }
  Vocabulary v;
  for (int g = 0; g < kNumGroups; ++g) {
    if (enabled(options, g)) add_group(v, static_cast<Group>(g), meta, anime, options);
  }
  return v;
}

ContentMatrix build_content(const AnimeMeta& meta, const Vocabulary& vocab, int32_t begin,
                            int32_t end, const ContentOptions& options) {
  check_options(options);
  if (begin < 0 || begin > end || static_cast<size_t>(end) > meta.size()) {
    throw std::invalid_argument(
        fmt::format("content rows [{}, {}) outside the {} anime", begin, end, meta.size()));
  }
  FeatureIndex ix(vocab);
  ContentMatrix out;
  out.first_row = begin;
  out.n_features = static_cast<int32_t>(vocab.size());
  for (int32_t a = begin; a < end; ++a)
    append_row(out, meta, static_cast<size_t>(a), ix, vocab, options);
  return out;
}

float cosine(const ContentMatrix& a, int32_t row_a, const ContentMatrix& b, int32_t row_b) {
  int64_t ra = local_row(a, row_a), rb = local_row(b, row_b);
  double na = row_norm(a, ra), nb = row_norm(b, rb);
  if (na == 0 || nb == 0) return 0.0f;
  double dot = 0;
  int64_t i = a.offsets[ra], j = b.offsets[rb];
  while (i < a.offsets[ra + 1] && j < b.offsets[rb + 1]) {
    if (a.cols[i] < b.cols[j]) {
      ++i;
    } else if (b.cols[j] < a.cols[i]) {
      ++j;
    } else {
      dot += double{a.values[i++]} * b.values[j++];
    }
  }
  return static_cast<float>(dot / (na * nb));
}

std::string explain(const ContentMatrix& m, int32_t row, const Vocabulary& v, int top) {
  int64_t r = local_row(m, row);
  std::vector<int64_t> k(static_cast<size_t>(m.offsets[r + 1] - m.offsets[r]));
  for (size_t i = 0; i < k.size(); ++i) k[i] = m.offsets[r] + static_cast<int64_t>(i);
  // Entries are in column order, so a stable sort leaves ties by feature index.
  std::stable_sort(k.begin(), k.end(),
                   [&](int64_t x, int64_t y) { return m.values[x] > m.values[y]; });
  if (top < 0) top = 0;
  if (k.size() > static_cast<size_t>(top)) k.resize(static_cast<size_t>(top));
  std::string out;
  for (int64_t i : k) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {:.2f}", v.names.at(m.cols[i]), m.values[i]);
  }
  return out;
}

UserProfile user_profile(const ContentMatrix& m, const std::vector<int32_t>& anime,
                         const std::vector<float>& scores, double midpoint) {
  if (anime.size() != scores.size()) {
    throw std::invalid_argument(
        fmt::format("user_profile: {} anime but {} scores", anime.size(), scores.size()));
  }
  std::vector<size_t> held;
  double mean = 0;
  for (size_t i = 0; i < anime.size(); ++i) {
    if (!m.has_row(anime[i])) continue;
    held.push_back(i);
    mean += scores[i];
  }
  if (!held.empty()) mean /= static_cast<double>(held.size());
  // Without spread the user's mean says nothing (a lone rating is its own
  // mean): the scale's midpoint tells a loved anime from a hated one.
  const bool no_spread =
      std::all_of(held.begin(), held.end(), [&](size_t i) { return scores[i] - mean == 0; });
  const double centre = no_spread ? midpoint : mean;

  std::vector<double> sum(static_cast<size_t>(m.n_features), 0.0);
  for (size_t i : held) {
    double w = scores[i] - centre;
    int64_t r = anime[i] - m.first_row;
    for (int64_t k = m.offsets[r]; k < m.offsets[r + 1]; ++k) sum[m.cols[k]] += w * m.values[k];
  }
  UserProfile p;
  p.values.assign(sum.begin(), sum.end());
  double sq = 0;
  for (float x : p.values) sq += double{x} * x;
  p.norm = std::sqrt(sq);
  return p;
}

float profile_score(const UserProfile& p, const ContentMatrix& m, int32_t anime) {
  int64_t r = local_row(m, anime);
  double n = row_norm(m, r);
  if (p.norm == 0 || n == 0) return 0.0f;
  double dot = 0;
  for (int64_t k = m.offsets[r]; k < m.offsets[r + 1]; ++k) {
    dot += double{p.values.at(static_cast<size_t>(m.cols[k]))} * m.values[k];
  }
  return static_cast<float>(dot / (p.norm * n));
}

}  // namespace animerec::content
