#pragma once
// `animerec recommend` (docs/recommend.md): top-N anime for a known user and
// anime similar to a given one, from a model.h5 and, optionally, the
// dataset.h5 it was trained on. Serial; everything is a pure function of the
// model and the user's dataset rows, and ties are broken by anime index, so
// the same inputs always give the same list.

#include <cstdint>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/content/content.h"
#include "animerec/io/dataset_file.h"
#include "animerec/model/model.h"
#include "animerec/model/scoring.h"
#include "animerec/serve/cowatch.h"
#include "animerec/serve/filters.h"

namespace animerec::serve {

enum class UserMode { kModel, kContent };
enum class SimilarMode { kCowatch, kCf, kContent, kHybrid };
UserMode user_mode_from_name(const std::string& name);        // model | content
SimilarMode similar_mode_from_name(const std::string& name);  // cowatch | cf | content | hybrid
const char* user_mode_name(UserMode m);
const char* similar_mode_name(SimilarMode m);

// One recommended anime: its model row and the score shown to the user.
struct Scored {
  int32_t anime = 0;
  double score = 0;
};

// Why an anime is listed (--explain): the rated anime whose share of the
// score is largest (fold_in.h) and the content features it shares with the
// user's taste (or with the query anime, for similar anime).
struct Explanation {
  int32_t because = -1;  // model row of the rated anime; -1 = none
  double share = 0;      // its share of the ranking score
  std::vector<std::string> features;
};

// Model row of an external user id. Throws Error (exit 2) for an unknown id,
// pointing new users to --ratings.
int32_t find_user(const model::Model& m, int64_t user_id);

// Model row of an anime given as an external id or an exact title (ASCII
// case-insensitive). A number that is an id and also another anime's title
// resolves to the id; *note (when given) then says so and names the other
// anime. Throws Error (exit 2) listing the candidates (id and title) when
// several titles match, or suggesting up to 5 close titles (substring matches
// first, then the smallest edit distance, compared on queries of up to 256
// letters with at most 32 edits, so a huge query costs no more than a scan)
// when none does.
int32_t find_anime(const model::Model& m, const std::string& query, std::string* note = nullptr);

// Throws IoError when the dataset is not the one the model was trained on:
// naming both files and both sha256 checksums when the model records its
// dataset's checksum (core/sha256.h), else naming what differs when the
// dataset's user or anime ids are not the model's (a model trained on another
// dataset would score the wrong rows).
void check_dataset_matches(const model::Model& m, const io::DatasetHeader& h,
                           const std::string& model_path, const std::string& dataset_path);

// Everything one user has in the dataset (any split, any status), read by
// hyperslab from the by_user orientation: never the whole rating array.
struct UserRows {
  std::vector<int32_t> anime;
  std::vector<float> score;     // 0 = unscored
  std::vector<uint8_t> split;   // data::Split
  std::vector<uint8_t> status;  // data::Status
};
UserRows read_user_rows(const std::string& dataset_path, const io::DatasetHeader& h, int32_t user);

// The model's content vectors as one matrix over all anime rows. Throws Error
// (exit 2) when the model was trained without content, saying how to get one.
content::ContentMatrix content_matrix(const model::Model& m);

// The middle of the model's score scale, (score_min + score_max) / 2: 5.5 on
// MyAnimeList's 1..10. Content profiles weigh a lone rating against it.
double scale_midpoint(const model::Model& m);

// The `top` best entries of `scores` by descending score, ties by ascending
// index, skipping indices with excluded[i] != 0 (excluded may be empty).
std::vector<Scored> top_n(const std::vector<double>& scores, const std::vector<uint8_t>& excluded,
                          int top);

// Top-N for user row `user`. kModel ranks by the predicted score
// (mu + b_u + b_i + x_u.y_i, or x_u.y_i for implicit models) and reports it
// clipped to [score_min, score_max] for explicit models; kContent ranks by the
// cosine of each anime's content row with the user's content profile built
// from their scored training rows (content::user_profile, centred on the
// user's mean or, without spread, on scale_midpoint), and throws Error (exit 2)
// when that profile is empty. Seen anime (every row in `rows`) are
// skipped unless include_seen; so are anime with filtered[a] != 0 (filtered
// may be empty: no filter).
std::vector<Scored> recommend_for_user(const model::Model& m, int32_t user, const UserRows& rows,
                                       UserMode mode, bool include_seen, int top,
                                       const std::vector<uint8_t>& filtered = {});

// The top anime for user vectors `u` (of a model user or a fold-in), ranked by
// the ranking score and shown as the predicted score, clipped to the scale
// for explicit models; anime with excluded[a] != 0 are skipped.
std::vector<Scored> recommend_for_vectors(const model::Model& m, const model::UserVectors& u,
                                          const std::vector<uint8_t>& excluded, int top);

// The most popular anime, for a user who rated nothing: by the number of
// training interactions (any status) per anime, read from the dataset's
// by_anime split column in chunks.
std::vector<int64_t> training_interactions(const std::string& dataset_path,
                                           const io::DatasetHeader& h);

// Anime most similar to row `anime` (never itself): kCowatch = the model's
// predicted co-watching (cowatch.h), shown relative to the anime's own
// (score / q^T P^T P q); kCf = cosine of anime factors, kContent = cosine of
// content rows, kHybrid = blend * cf + (1 - blend) * content. kCowatch for an
// anime without factors (no ratings and no content map) ranks by content
// cosine instead (cowatch_falls_back says when). kContent throws Error (exit
// 2) for an anime without content features (no metadata): nothing is similar
// to it by content; so does kCowatch when it falls back to content.
std::vector<Scored> similar_anime(const model::Model& m, int32_t anime, SimilarMode mode,
                                  double blend, int top, const std::vector<uint8_t>& filtered = {});

// True when --similar-mode cowatch has no factors for anime row `anime`
// (neither learnt nor from a content map) and ranks by content instead.
bool cowatch_falls_back(const model::Model& m, int32_t anime);

// The cowatch list for factors q (a model anime's or a new anime's): every
// model anime j by q^T P^T P q_j / q^T P^T P q, skipping excluded[j] != 0.
// Empty when q is all zero.
std::vector<Scored> cowatch_list(const CoWatch& cw, const Eigen::VectorXd& q,
                                 const std::vector<uint8_t>& excluded, int top);

// The `top` content features of anime row `anime` that the profile likes,
// largest profile weight x anime value first, ties by feature index. Empty
// without a content part.
std::vector<std::string> shared_features(const model::Model& m, const std::vector<float>& profile,
                                         int32_t anime, int top);

// The whole command: read the files, check them, rank, format.
// Defaults: the parameter table's (config::default_*), as the command line has them.
struct RecommendOptions {
  std::string model_path;
  std::string dataset_path;  // required with a user; optional (display only) with similar
  bool has_user = false;
  int64_t user_id = 0;
  // A new user (fold-in): --ratings given (has_ratings, its text in
  // `ratings`) or --ratings-file (non-empty). No ratings lists popular anime.
  bool has_ratings = false;
  std::string ratings;
  std::string ratings_file;
  std::string
      similar;  // anime id or title (of --new-anime's file with new_anime); empty = user mode
  // recommend --new-anime FILE: new anime from metadata rows; with top_users
  // (has_top_users) the users most likely to watch and like each, or with
  // `similar` the model anime similar to one of them. Needs dataset_path.
  std::string new_anime;
  bool has_top_users = false;
  int top_users = 10;
  int top = static_cast<int>(config::default_int("recommend", "top"));
  UserMode mode = UserMode::kModel;
  bool include_seen = config::default_bool("recommend", "include-seen");
  SimilarMode similar_mode = SimilarMode::kCowatch;
  double similar_blend = config::default_double("recommend", "similar-blend");
  std::string format = config::default_text("recommend", "format");  // table | json | csv
  Filters filters;                                                   // need dataset_path
  bool explain = config::default_bool("recommend", "explain");
};
// Returns the text to print on stdout; notes for the user (what a fallback
// did, what --explain could not show) go to *notes when given. Throws
// ConfigError for an inconsistent request, Error/IoError (exit 2) for the
// cases above.
std::string run_recommend(const RecommendOptions& o, std::vector<std::string>* notes = nullptr);

}  // namespace animerec::serve
