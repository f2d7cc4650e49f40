#pragma once
// EASE (Steck 2019, "Embarrassingly shallow autoencoders"): closed-form
// item-item ridge regression on the binary training matrix with a zero
// diagonal, P = (G + lambda I)^-1, B = I - P diag(P)^-1, score of anime j for
// a user = sum of B(i, j) over the user's training anime i
// (docs/evaluate.md). The solve is dense: 8 n^2 bytes twice for the n anime
// with training rows, checked against the memory limit before it starts.

#include <Eigen/Core>
#include <cstdint>
#include <string>
#include <vector>

#include "animerec/data/dataset.h"
#include "animerec/dist/comm.h"
#include "animerec/eval/item_knn.h"

namespace animerec::eval {

// Lambdas tried on the validation split, and the one used without it.
inline constexpr double kEaseLambdaGrid[] = {10, 30, 100, 300, 1000, 3000};
inline constexpr double kEaseDefaultLambda = 100;

struct EaseModel {
  double lambda = 0;
  int64_t n_anime = 0;
  std::vector<int32_t> items;  // anime index of each solved row: anime with training rows
  // weights(j, i) = B(items[i], items[j]): column i holds row i of B, so a
  // user's scores are a sum of columns.
  Eigen::MatrixXd weights;
  // Scores of every anime (0 for anime without training rows, as the full
  // solve gives them: their rows and columns of G are zero).
  std::vector<double> scores(const std::vector<int32_t>& train_anime) const;

 private:
  friend EaseModel fit_ease(const TrainingGram& g, double lambda);
  std::vector<int32_t> compact_;  // anime -> solved row, -1 without training rows
};

// Anime with training rows (G(i, i) > 0): the size of the dense solve.
int64_t ease_items(const TrainingGram& g);
// Peak bytes of fit_ease for n solved anime (the factor and its inverse),
// plus one kept model while the lambda grid is searched.
uint64_t ease_bytes(int64_t n_items, bool grid_search);

// Cholesky factor of G + lambda I (double), its inverse by blocked triangular
// solves, P = L^-T L^-1, then B. Deterministic: one Eigen thread.
// Throws std::invalid_argument for lambda <= 0.
EaseModel fit_ease(const TrainingGram& g, double lambda);

// Mean NDCG@10 over the users with a relevant row in `split` (score >=
// relevance; implicit feedback: any row), candidates = anime without a
// training row of the user. Users are split over the ranks in blocks and the
// sums are exact, so the value does not depend on the rank count. 0 when no
// user has a relevant row.
double ease_split_ndcg10(const data::Dataset& d, const EaseModel& e, data::Split split,
                         double relevance, bool explicit_feedback, dist::Comm& comm);

// lambda and how it was chosen, for the report.
struct EaseChoice {
  EaseModel model;
  std::string chosen_on;                  // "validation" | "default" | "option"
  std::vector<double> grid, grid_ndcg10;  // validation NDCG@10 of each lambda tried
};
// lambda > 0: that lambda. Otherwise the best validation NDCG@10 of
// kEaseLambdaGrid (ties: the smaller lambda) when the dataset has relevant
// validation rows, else kEaseDefaultLambda.
EaseChoice choose_ease(const data::Dataset& d, const TrainingGram& g, double lambda,
                       double relevance, bool explicit_feedback, dist::Comm& comm);

}  // namespace animerec::eval
