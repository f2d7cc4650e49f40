#pragma once
// The prepared dataset, in memory exactly as it is stored in dataset.h5
// (docs/dataset-format.md). Users and anime are renumbered to dense indices
// 0..n-1 in ascending order of their external (MyAnimeList / MovieLens) id.

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace animerec::data {

// What a rating row says besides its score. Codes 1..6 are MyAnimeList's
// watching_status values (animelist.csv); 7 is the 2016 dataset's -1
// ("watched, not rated"). A row is *scored* when score > 0.
enum class Status : uint8_t {
  kUnknown = 0,  // no status given (plain score files)
  kWatching = 1,
  kCompleted = 2,
  kOnHold = 3,
  kDropped = 4,
  kPlanToWatch = 6,
  kWatchedUnrated = 7,
};
const char* status_name(Status s);

// Which part of the split a row belongs to.
enum class Split : uint8_t { kTrain = 0, kValidation = 1, kTest = 2 };
const char* split_name(Split s);

// One orientation of the rating matrix, as parallel arrays. score is 0 for an
// unscored row (implicit signal only).
struct RatingArrays {
  std::vector<int32_t> user;
  std::vector<int32_t> anime;
  std::vector<float> score;
  std::vector<uint8_t> status;  // Status
  std::vector<uint8_t> split;   // Split
  size_t size() const { return user.size(); }
  void resize(size_t n);
};

// A multi-valued attribute (genres, studios) in CSR form: anime a has the
// vocabulary entries values[offsets[a] .. offsets[a+1]).
struct MultiValued {
  std::vector<std::string> vocab;
  std::vector<int64_t> offsets;  // n_anime + 1
  std::vector<int32_t> values;   // indices into vocab
};

// Anime attributes, indexed by anime index. Unknown numbers are -1 (NaN for
// floats), unknown strings are empty.
struct AnimeMeta {
  std::vector<uint8_t> has_metadata;  // 0 when the anime was not in the metadata file
  std::vector<std::string> title;
  std::vector<std::string> type;        // TV, Movie, OVA, ONA, Special, Music
  std::vector<std::string> source;      // Manga, Light novel, Original, ...
  std::vector<std::string> age_rating;  // "PG-13 - Teens 13 or older", ...
  std::vector<std::string> season;      // spring|summer|fall|winter or empty
  std::vector<std::string> synopsis;
  std::vector<int32_t> episodes;
  std::vector<int32_t> year;          // year of first airing
  std::vector<int32_t> duration_min;  // minutes per episode
  std::vector<int64_t> members;
  std::vector<float> community_score;  // MyAnimeList's mean score, 1..10
  MultiValued genres;
  MultiValued studios;
  void resize(size_t n_anime);  // fills every field with "unknown"
  size_t size() const { return title.size(); }
};

// One input file as read.
struct InputFile {
  std::string role;    // ratings | test-ratings | anime | synopsis
  std::string path;    // as given on the command line
  std::string layout;  // detected or forced layout name
  uint64_t size_bytes = 0;
  std::string sha256;  // hex
};

struct Provenance {
  std::string command_line;
  std::string program_version;
  std::string build_commit;
  std::vector<InputFile> inputs;
  // Rows read / kept / dropped by reason, filters applied, split sizes: every
  // count prepare reports, by a stable name (e.g. "rows_read", "dropped_duplicate").
  std::map<std::string, int64_t> counts;
  // Parameters that shaped the dataset (seed, fractions, filters), as text.
  std::map<std::string, std::string> params;
};

struct Dataset {
  static constexpr int kFormatVersion = 1;

  std::vector<int64_t> user_ids;   // external id of each user index, ascending
  std::vector<int64_t> anime_ids;  // external id of each anime index, ascending

  float score_min = 1;  // the scale scored rows live on (1..10 for MyAnimeList)
  float score_max = 10;

  // Sorted by (user, anime); rows of user u are [user_offsets[u], user_offsets[u+1]).
  RatingArrays by_user;
  std::vector<int64_t> user_offsets;
  // The same rows sorted by (anime, user); rows of anime a are
  // [anime_offsets[a], anime_offsets[a+1]).
  RatingArrays by_anime;
  std::vector<int64_t> anime_offsets;

  // 1 for anime held out whole (every rating in test) to measure cold start.
  std::vector<uint8_t> cold_anime;

  AnimeMeta anime;
  Provenance provenance;

  size_t n_users() const { return user_ids.size(); }
  size_t n_anime() const { return anime_ids.size(); }
  size_t n_ratings() const { return by_user.size(); }
};

// Checks every invariant above (sizes, sort orders, offsets, index ranges,
// both orientations holding the same rows); throws IoError naming the first
// violated field, prefixed by `where` (usually the file name).
void validate(const Dataset& d, const std::string& where);

// Rebuilds by_anime and anime_offsets from by_user (a stable counting sort,
// so rows of one anime stay in user order).
void build_anime_orientation(Dataset& d);

}  // namespace animerec::data
