#pragma once
// evaluate's baselines on the item co-occurrence matrix of the training rows:
// item-kNN and EASE (docs/evaluate.md), built once before the users are
// ranked, after a memory check of their n^2 matrices.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "animerec/data/dataset.h"
#include "animerec/dist/comm.h"
#include "animerec/eval/ease.h"
#include "animerec/eval/item_knn.h"

namespace animerec::eval {

struct GramBaselineSettings {
  bool item_knn = true;
  double ease_lambda = 0;     // > 0: this lambda; 0: chosen on validation; < 0: no EASE
  uint64_t memory_limit = 0;  // bytes one rank may use; 0 = detect (core/resources.h)
  double relevance = 8;
  bool explicit_feedback = true;
};

// "auto" -> 0, "off" -> -1, a number > 0 -> itself; ConfigError otherwise.
double parse_ease_lambda(const std::string& text);

class GramBaselines {
 public:
  // Counts the Gram matrix (over the ranks) and solves EASE when enabled.
  // Throws Error (exit 2) with the estimate when the matrices do not fit the
  // memory limit, the same decision on every rank.
  GramBaselines(const data::Dataset& d, const GramBaselineSettings& s, dist::Comm& comm);
  GramBaselines(const GramBaselines&) = delete;  // the kNN refers to the Gram matrix
  GramBaselines& operator=(const GramBaselines&) = delete;
  // "item_knn", "ease", as enabled.
  const std::vector<std::string>& methods() const { return methods_; }
  const ItemKnn* knn() const { return knn_ ? &*knn_ : nullptr; }
  // Scores of every anime for a user with these training anime (ascending).
  std::vector<double> scores(const std::string& method,
                             const std::vector<int32_t>& train_anime) const;
  // ease.{lambda, chosen_on, n_anime, grid, validation_ndcg10} (the last two
  // when chosen on validation; empty without EASE).
  nlohmann::json report() const;

 private:
  std::vector<std::string> methods_;
  std::optional<TrainingGram> gram_;
  std::optional<ItemKnn> knn_;
  std::optional<EaseChoice> ease_;
};

}  // namespace animerec::eval
