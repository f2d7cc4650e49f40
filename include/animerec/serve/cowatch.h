#pragma once
// --similar-mode cowatch (docs/recommend.md, "Similar anime"): anime that the
// people who watch an anime also watch, as the model predicts it. With p_u
// the users' and q_i the anime's watching factors (the ranking part's, or the
// main factors of a model without one), the model's predicted co-watching of
// anime i and j summed over every user is
//   sum_u (p_u . q_i)(p_u . q_j) = q_i^T (P^T P) q_j,
// a k x k Gram matrix between two factor rows: item-kNN's "watched together"
// count, but over the model's smoothed interaction matrix instead of the
// sparse observed one. The query is not normalised away: a popular anime its
// fans also watch ranks above an obscure one, as it does in item-kNN.
//
// Anime whose factor row is all zero (cold anime of a model whose fit left
// them so) take their factors from content when the model has a map for it:
// RankingPart::content_w for the ranking part, ContentPart::w for the main
// factors.

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/model/model.h"

namespace animerec::serve {

// Sparse content vector of one anime: feature indices (ascending) and values.
struct ContentRow {
  std::vector<int32_t> cols;
  std::vector<float> values;
  bool empty() const { return cols.empty(); }
};

// Row `anime` of the model's content vectors (empty without a content part).
ContentRow model_content_row(const model::Model& m, int32_t anime);

// W^T x as doubles: the factors a content map gives a content row (W.cols()
// zeros for an empty row). Throws std::invalid_argument when a feature
// index is outside W's rows.
Eigen::VectorXd factors_from_content(const als::FactorMatrix& w, const ContentRow& x);

// The factors cowatch scores anime row `anime` with: its learnt row (the
// ranking part's, or the main factors without one), or W^T x of its content
// when that row is all zero and the model has the map.
Eigen::VectorXd cowatch_factors(const model::Model& m, int32_t anime);

class CoWatch {
 public:
  // Copies the anime side and forms P^T P once; O(n_users k^2).
  explicit CoWatch(const model::Model& m);

  // True when the scores come from the ranking part (else the main factors).
  bool uses_ranking_part() const { return ranking_; }
  // cowatch_factors of anime row `a`.
  const Eigen::VectorXd& factors(int32_t a) const { return anime_[static_cast<size_t>(a)]; }
  // Predicted co-watching q^T (P^T P) q_j of every model anime j with an anime
  // of factors q (a model anime's, or a new anime's from content).
  std::vector<double> scores(const Eigen::VectorXd& q) const;
  // q^T (P^T P) r for two factor vectors.
  double scores_at(const Eigen::VectorXd& q, const Eigen::VectorXd& r) const {
    return q.dot(gram_ * r);
  }

 private:
  bool ranking_ = false;
  std::vector<Eigen::VectorXd> anime_;
  Eigen::MatrixXd gram_;  // P^T P
};

}  // namespace animerec::serve
