#pragma once
// New users without retraining (docs/recommend.md, "New users"): a user's
// ratings are resolved to model rows, then the user's vectors are solved
// against the model's fixed anime side with the ALS row solver and the
// regularisation the model was trained with ("fold-in"). The same systems
// decompose a score over the user's rated anime for --explain.

#include <cstdint>
#include <string>
#include <vector>

#include "animerec/model/model.h"
#include "animerec/model/scoring.h"
#include "animerec/serve/recommend.h"

namespace animerec::serve {

namespace detail {
struct FoldInSystem;  // one row system of a fold-in (fold_in.cpp)
}

// One rating a new user gave: a model row and a score on the model's scale.
struct Rating {
  int32_t anime = 0;
  float score = 0;
};

// --ratings "5114:10,Steins;Gate:9": items ANIME:SCORE separated by commas,
// ANIME an external id or an exact title (find_anime), the score after the
// last colon. A comma ends an item only where the text before it ends in
// ":SCORE", so titles may contain commas and colons. Blank text gives no
// ratings. Throws Error (exit 2) naming the item for a missing or non-numeric
// score, a score outside [score_min, score_max], an unknown anime (with
// find_anime's suggestions) or an anime rated twice. find_anime's notes (a
// number that is an id and a title) go to *notes, prefixed with the item.
std::vector<Rating> parse_ratings(const model::Model& m, const std::string& text,
                                  std::vector<std::string>* notes = nullptr);

// --ratings-file: one "ANIME,SCORE" per line, split on the last comma (titles
// may contain commas; a title in double quotes has them removed), blank lines
// and lines starting with # skipped. The same checks as parse_ratings; errors
// and notes name the file and line.
std::vector<Rating> read_ratings_file(const model::Model& m, const std::string& path,
                                      std::vector<std::string>* notes = nullptr);

// What one user's vectors are solved from, ascending by anime row, one entry
// per anime. score > 0: a rating (the explicit system's entries); weight > 0:
// an interaction of implicit weight w (confidence 1 + alpha * w; the implicit
// and ranking systems' entries).
struct UserHistory {
  std::vector<int32_t> anime;
  std::vector<float> score;
  std::vector<float> weight;
  size_t size() const { return anime.size(); }
};

// A new user: every rating is a scored interaction without a status, of the
// weight model::implicit_weight gives it with the model's stored weights.
UserHistory history_of_ratings(const model::Model& m, std::vector<Rating> ratings);

// A known user: their training rows, exactly the entries the trainer used
// (explicit: scored rows; implicit: every row, weighted by model::implicit_weight
// with the model's stored weights, as training weighted it).
UserHistory history_of_rows(const model::Model& m, const UserRows& rows);

// The user's vectors: for explicit models factors and bias from the explicit
// ALS-WR row solve against the anime factors and biases (lambda,
// lambda-exponent, lambda-bias the model stores, the model's global
// mean); for implicit models the implicit row solve (alpha, lambda); plus,
// when the model has a ranking part, the implicit solve against its anime
// factors (its alpha and lambda). Always the exact (Cholesky) solve, whatever
// solver trained the model. An empty history gives zero vectors. Throws
// IoError for a model without stored hyperparameters (Model::hyperparameters).
model::UserVectors fold_in(const model::Model& m, const UserHistory& h);

// Per-entry shares of one user's ranking score (scoring.h) of an anime,
// from the solves fold_in does. Each solve is x = A^-1 b with b a sum over
// the entries, so x . y_i splits exactly into one term per entry:
//   implicit (Hu, Koren & Volinsky 2008):  c_uj * y_i^T A^-1 y_j,
//   explicit: (r_uj - mu - c_j) * (y_i, 1)^T A^-1 (y_j, 1),
// and the ranking score's share of entry j is its ranking-part term plus blend
// times its explicit term. The shares sum to the ranking score of fold_in's
// vectors minus the parts no rating explains (mu + b_i, or blend * b_i).
class ScoreExplainer {
 public:
  ScoreExplainer(const model::Model& m, UserHistory h);
  ~ScoreExplainer();
  ScoreExplainer(const ScoreExplainer&) = delete;
  ScoreExplainer& operator=(const ScoreExplainer&) = delete;
  // One share per history entry.
  std::vector<double> shares(int32_t anime) const;
  const UserHistory& history() const { return history_; }

 private:
  const model::Model& m_;
  UserHistory history_;
  std::vector<detail::FoldInSystem> systems_;
};

}  // namespace animerec::serve
