#pragma once
// Anime content vectors: each anime's metadata (genres, type, source,
// studios, numeric attributes in buckets, synopsis words) as a sparse vector
// over a fixed feature vocabulary. These are the x_i of the hybrid model
// (docs/content.md) and the input of the content-only baseline.
//
// Everything here is a pure function of its inputs: the same metadata and
// options give the same vocabulary and bit-identical vectors, whatever block
// of anime a rank builds.

#include <cstdint>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/data/dataset.h"

namespace animerec::content {

// Weights scale each feature group after it is L2-normalised on its own, so
// with weight w a non-empty group contributes exactly norm w to a vector.
// A group with weight 0 (or a disabled optional group) has no features at
// all. The defaults are untuned guesses: genres and synopsis words carry most
// of a viewer's taste, format attributes (episodes, duration, season) little.
struct ContentOptions {
  // train's --content-GROUP-weight default (the parameter table's).
  static float weight_default(const char* group) {
    return static_cast<float>(
        config::default_double("train", std::string("content-") + group + "-weight"));
  }

  float genres_weight = weight_default("genres");
  float type_weight = weight_default("type");
  float source_weight = weight_default("source");
  float studios_weight = weight_default("studios");
  float episodes_weight = weight_default("episodes");
  float year_weight = weight_default("year");
  float season_weight = weight_default("season");
  float age_rating_weight = weight_default("age-rating");
  float duration_weight = weight_default("duration");
  float popularity_weight = weight_default("popularity");  // used only with use_popularity
  float community_score_weight =
      weight_default("community-score");  // used only with use_community_score
  float synopsis_weight = weight_default("synopsis");

  // The top_studios studios credited on the most vocabulary anime (ties by
  // name) get a feature each; every other studio, including studios first
  // seen in a cold anime, maps to the one pooled feature "Studio: other".
  int32_t top_studios = static_cast<int32_t>(config::default_int("train", "content-top-studios"));
  // Synopsis words kept (highest document frequency first, ties by word);
  // 0 = no synopsis features.
  int32_t synopsis_vocabulary =
      static_cast<int32_t>(config::default_int("train", "content-synopsis-vocabulary"));
  // A word must occur in at least this many vocabulary synopses.
  int32_t min_document_frequency =
      static_cast<int32_t>(config::default_int("train", "content-min-df"));

  // Off by default: members and MyAnimeList's mean score describe how other
  // people reacted (and include the very ratings held out for testing), not
  // what the anime is.
  bool use_popularity = config::default_bool("train", "content-use-popularity");
  bool use_community_score = config::default_bool("train", "content-use-community-score");
};

// Each ContentOptions field and the train parameter that sets it. train reads
// them from its parameters, and the serving side from the parameters stored in
// the model, so a new anime's content row is built as training built the rows.
// A field added to ContentOptions goes here, or the two sides drift apart.
template <class T>
struct ContentParam {
  const char* param;
  T ContentOptions::*field;
};
inline constexpr ContentParam<float> kContentWeightParams[] = {
    {"content-genres-weight", &ContentOptions::genres_weight},
    {"content-type-weight", &ContentOptions::type_weight},
    {"content-source-weight", &ContentOptions::source_weight},
    {"content-studios-weight", &ContentOptions::studios_weight},
    {"content-episodes-weight", &ContentOptions::episodes_weight},
    {"content-year-weight", &ContentOptions::year_weight},
    {"content-season-weight", &ContentOptions::season_weight},
    {"content-age-rating-weight", &ContentOptions::age_rating_weight},
    {"content-duration-weight", &ContentOptions::duration_weight},
    {"content-popularity-weight", &ContentOptions::popularity_weight},
    {"content-community-score-weight", &ContentOptions::community_score_weight},
    {"content-synopsis-weight", &ContentOptions::synopsis_weight}};
inline constexpr ContentParam<int32_t> kContentIntegerParams[] = {
    {"content-top-studios", &ContentOptions::top_studios},
    {"content-synopsis-vocabulary", &ContentOptions::synopsis_vocabulary},
    {"content-min-df", &ContentOptions::min_document_frequency}};
inline constexpr ContentParam<bool> kContentFlagParams[] = {
    {"content-use-popularity", &ContentOptions::use_popularity},
    {"content-use-community-score", &ContentOptions::use_community_score}};

// Throws ConfigError for a negative or non-finite weight, top_studios < 0,
// synopsis_vocabulary < 0 or min_document_frequency < 1.
void check_options(const ContentOptions& o);

// Feature group names, in the fixed order groups appear in the vocabulary.
inline constexpr const char* kGroupOrder[] = {
    "genre",  "type",       "source",   "studio",     "episodes",        "year",
    "season", "age_rating", "duration", "popularity", "community_score", "synopsis"};

// Feature i is names[i] in group groups[i]. Features of one group are
// contiguous, groups come in kGroupOrder, and within a group features are
// sorted by name, except: bucket groups (episodes, year, duration,
// popularity, community_score) are in ascending numeric order, and
// "Studio: other" comes last among studios. Names are unique within a group
// only (the genre "Music" and the type "Music" are two features).
struct Vocabulary {
  std::vector<std::string> names;
  std::vector<std::string> groups;
  // Multiplies the raw value of feature i before normalisation: the synopsis
  // words' IDF, log((1 + N) / (1 + df)) + 1 with N vocabulary synopses; 1 for
  // every other feature.
  std::vector<float> idf;
  size_t size() const { return names.size(); }
};

// Builds the vocabulary from the anime with use_for_vocabulary[a] != 0 and
// metadata (the trainer passes "has training ratings", so cold anime never
// shape it). Categorical groups get the values seen there; year gets every
// decade from the earliest to the latest seen; the other bucket groups get
// all their fixed buckets. Throws ConfigError for bad options and
// std::invalid_argument when use_for_vocabulary is not one flag per anime.
Vocabulary build_vocabulary(const data::AnimeMeta& meta,
                            const std::vector<uint8_t>& use_for_vocabulary,
                            const ContentOptions& options);

// Synopsis tokens: ASCII letters lowercased, split on every other byte,
// tokens of one letter and stop words (a fixed English list plus
// MyAnimeList's "[Written by MAL Rewrite]" credit) dropped. In text order,
// with repeats.
std::vector<std::string> synopsis_words(const std::string& synopsis);

// Rows [first_row, first_row + n_rows()) of the content matrix, in CSR form
// with columns ascending within a row. Rows are addressed by global anime
// index everywhere below.
struct ContentMatrix {
  int32_t first_row = 0;
  int32_t n_features = 0;           // the vocabulary size
  std::vector<int64_t> offsets{0};  // n_rows() + 1
  std::vector<int32_t> cols;
  std::vector<float> values;
  int32_t n_rows() const { return static_cast<int32_t>(offsets.size()) - 1; }
  bool has_row(int32_t row) const { return row >= first_row && row < first_row + n_rows(); }
};

// Content vectors of anime [begin, end). A row depends only on that anime's
// metadata, the vocabulary and the options, never on begin/end. Each group's
// sub-vector is L2-normalised, then multiplied by the group weight; anime
// without metadata (or with nothing the vocabulary knows) get an empty row.
// Numeric buckets: episodes 1, 2-6, 7-13, 14-26, 27-52, 53-100, 101+; year
// by decade (clamped to the vocabulary's first and last decade, so a new
// anime from a later decade counts as the latest one); duration per episode
// short (< 8 min), standard (8-35), long (36-69), movie (70+); members by
// powers of ten (< 1k, 1k-10k, 10k-100k, 100k-1M, 1M+); community score
// < 6, 6-7, 7-8, 8-9, 9+. Throws std::invalid_argument for a bad range.
ContentMatrix build_content(const data::AnimeMeta& meta, const Vocabulary& vocab, int32_t begin,
                            int32_t end, const ContentOptions& options);

// Cosine similarity of two rows (each matrix addressed by global anime
// index); 0 when either row is empty. Throws std::out_of_range for a row a
// matrix does not hold.
float cosine(const ContentMatrix& a, int32_t row_a, const ContentMatrix& b, int32_t row_b);

// The `top` largest entries of a row as "Action 0.41, Sunrise 0.30, Mecha
// 0.28" (largest value first, ties by feature index, 2 decimals); "" for an
// empty row or top <= 0.
std::string explain(const ContentMatrix& m, int32_t row, const Vocabulary& v, int top);

// A content-only user profile (recommend --mode content, --explain, the
// evaluate baseline): a dense vector over the vocabulary, sum over the user's
// scored anime of (score - the user's mean score) * content row, so an anime
// scored above their own average pulls toward its features and one below
// pushes away. When every weight is 0 (one rating, or all scores equal) the
// mean says nothing, and the weight is score - `midpoint` (the middle of the
// score scale, 5.5 on 1..10) instead: one anime scored 1 gives the opposite
// profile of the same anime scored 9. Scores all at the midpoint give an empty
// profile (norm 0).
struct UserProfile {
  std::vector<float> values;
  double norm = 0;
};
// anime and scores are parallel (global anime indices, scores > 0); rows m
// does not hold are skipped. Throws std::invalid_argument for unequal sizes.
UserProfile user_profile(const ContentMatrix& m, const std::vector<int32_t>& anime,
                         const std::vector<float>& scores, double midpoint);

// cosine(profile, row of `anime`): in [-1, 1], 0 for an empty profile or row.
float profile_score(const UserProfile& p, const ContentMatrix& m, int32_t anime);

}  // namespace animerec::content
