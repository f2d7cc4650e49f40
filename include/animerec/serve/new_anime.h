#pragma once
// recommend --new-anime FILE (docs/recommend.md, "New anime"): anime that are
// not in the model, given as metadata rows in any anime layout the project
// reads (data/anime_source.h). Each gets the content vector training would
// have given it (the model's vocabulary and content options), and from it
// the factors the model's content maps give a cold anime: y = W^T x and
// b = w_b . x (ContentPart), ranking factors RankingPart::content_w^T x.

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "animerec/content/content.h"
#include "animerec/data/anime_source.h"
#include "animerec/model/model.h"
#include "animerec/serve/cowatch.h"
#include "animerec/serve/recommend.h"

namespace animerec::serve {

struct NewAnime {
  int64_t id = 0;
  std::string title;
  // The model's row of an anime with this id (its learnt factors are used
  // then, not the file's metadata); -1 for an anime the model does not know.
  int32_t model_row = -1;
  ContentRow content;       // over the model's vocabulary
  Eigen::VectorXd factors;  // k: the main factors
  double bias = 0;          // explicit models: the anime bias
  Eigen::VectorXd ranking;  // the ranking part's factors; size 0 without a ranking part
};

// The content options the model was trained with, from its stored
// configuration (train's defaults for a parameter it does not record).
content::ContentOptions content_options_of(const model::Model& m);

// The content vector of one metadata record, built exactly as training built
// the model's rows. Genres the vocabulary does not know add nothing and
// studios it does not know count as "Studio: other" (as in training); each
// such name is reported once in *unknown.
ContentRow content_of_record(const model::Model& m, const data::AnimeRecord& r,
                             std::vector<std::string>* unknown = nullptr);

// Reads FILE (layout detected from its header) into new anime, ascending by
// id. Notes (unknown genres or studios, an id the model already has) go to
// *notes. Throws Error (exit 2) naming the file for a file without anime
// rows, and for a model without a content part (nothing to place an unrated
// anime by); InputError for a file the readers refuse (unknown layout,
// malformed rows).
std::vector<NewAnime> read_new_anime(const model::Model& m, const std::string& path,
                                     std::vector<std::string>* notes = nullptr);

// One user and the score shown for them.
struct ScoredUser {
  int32_t user = 0;
  double score = 0;  // the predicted score (clipped to the scale for explicit models)
};

// The `top` users most likely to watch and like the anime, in the order
// recommendations use (scoring.h): ranking score p_u . q + blend *
// (predicted - mu), or the predicted score without a ranking part;
// ties by user row; users with excluded[u] != 0 skipped (may be empty).
std::vector<ScoredUser> top_users(const model::Model& m, const NewAnime& a,
                                  const std::vector<uint8_t>& excluded, int top);

// Model anime similar to a new anime (recommend --new-anime FILE --similar
// ANIME), the same modes as similar_anime: cowatch from its (ranking)
// factors, or by content cosine when they are zero; cf by its factors'
// cosine; content by its content row; hybrid the blend. *fell_back (when
// given) says when cowatch used content. Throws Error (exit 2) when the anime
// has no content features the model knows and the mode needs them.
std::vector<Scored> similar_to_new(const model::Model& m, const NewAnime& a, SimilarMode mode,
                                   double blend, int top, const std::vector<uint8_t>& filtered,
                                   bool* fell_back = nullptr);

}  // namespace animerec::serve
