#pragma once
// `animerec evaluate` (docs/evaluate.md): offline metrics of a model.h5 on the
// validation or test split of its dataset.h5, beside simple baselines scored
// on the same rows, users and candidates. Deterministic (ties are broken by
// anime index) and, under MPI, the same for any rank count: ranks split the
// users to rank in whole blocks and add up exact integer and fixed-point sums.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/data/dataset.h"
#include "animerec/dist/comm.h"
#include "animerec/model/model.h"

namespace animerec::eval {

struct EvaluateSettings {
  data::Split split = data::Split::kTest;
  std::vector<int> ks{5, 10, 20};
  // Explicit models: a held-out score >= this is relevant; unset = the
  // dataset's scale decides (default_relevance). Implicit models: every
  // held-out row is relevant, whatever this says.
  std::optional<double> relevance;
  // Baselines on the training co-occurrence matrix (eval/gram_baselines.h).
  bool item_knn = true;
  double ease_lambda = 0;     // > 0: this lambda; 0: chosen on validation; < 0: no EASE
  uint64_t memory_limit = 0;  // bytes per rank for their matrices; 0 = detect
};

// The relevance threshold when none is given: the top 30% of the score scale,
// score_min + 0.7 x (score_max - score_min), rounded up to a whole score when
// the scale spans 2 points or more: 8 on MyAnimeList's 1..10, 4 on MovieLens'
// 1..5 and 0.5..5.
double default_relevance(double score_min, double score_max);

// "test" | "validation"; throws ConfigError otherwise.
data::Split split_from_name(const std::string& name);
// "5,10,20" -> {5, 10, 20} (sorted, duplicates dropped); throws ConfigError
// for an empty list, a non-integer or a value < 1.
std::vector<int> parse_ks(const std::string& text);

// Method keys in report order. "item_knn" and "ease" can be switched off. "content" only appears
// for models with content, "model_rating_order" (the model ordered by predicted score alone) only
// for models with a ranking part, where "model" follows the ranking score.
inline constexpr const char* kMethodKeys[] = {"global_mean", "biases",   "most_popular",
                                              "best_rated",  "item_knn", "ease",
                                              "content",     "model",    "model_rating_order"};

// Every metric as one JSON object (layout in docs/evaluate.md):
//   split, feedback, relevance (null for implicit models), relevance_rule (what
//   counts as relevant, in words), k, methods (keys),
//   rating (explicit models): rows, methods.M.{rmse, mae, by_activity.B.{rows, rmse, mae}}
//   ranking: users, relevant_popularity_rank, methods.M."K".{precision, recall, ndcg, map,
//            hit_rate, coverage, novelty, popularity_rank}
//   cold_start (only when the dataset has cold anime): anime, users,
//            methods.M."K".{precision, recall, ndcg, map, hit_rate, coverage}
// The model and dataset must match (same ids); throws std::invalid_argument otherwise.
// Throws Error (exit 2) when the held-out split has no rows (e.g. --split
// validation on a dataset prepared without one) or none of them is relevant
// (a threshold above every held-out score): every ranking metric would be 0.
// Serial, or over `comm`: every rank holds the whole dataset and ranks its
// blocks of users; the ranking sums are combined with allreduce. The rating
// section is computed by rank 0 only; only rank 0's report is complete.
nlohmann::json evaluate(const model::Model& m, const data::Dataset& d, const EvaluateSettings& s);
nlohmann::json evaluate(const model::Model& m, const data::Dataset& d, const EvaluateSettings& s,
                        dist::Comm& comm);

// Rows of cells as an aligned text table: the first column left-aligned, the
// others right-aligned, two spaces apart, no trailing spaces.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

// The report as aligned tables: rows = methods, columns = metrics.
std::string format_table(const nlohmann::json& report);

// Defaults: the parameter table's (config::default_*), as the command line has them.
struct EvaluateOptions {
  std::string model_path;
  std::string dataset_path;
  std::string split = config::default_text("evaluate", "split");
  std::string k = config::default_text("evaluate", "k");
  std::optional<double> relevance;  // unset: default_relevance of the dataset's scale
  std::string format = config::default_text("evaluate", "format");  // table | json
  std::string item_knn = "on";                                      // on | off
  std::string ease_lambda = "auto";                                 // auto | off | a number > 0
  uint64_t memory_limit = 0;                                        // 0 = detect
};
// Reads and checks the files (IoError, exit 2: not a model, a dataset whose
// ids are not the model's), evaluates, returns the text for stdout (empty on
// ranks other than 0). When `report` is given it receives the report as JSON
// whatever the format (for the run manifest).
std::string run_evaluate(const EvaluateOptions& o, nlohmann::json* report = nullptr);
std::string run_evaluate(const EvaluateOptions& o, dist::Comm& comm,
                         nlohmann::json* report = nullptr);

}  // namespace animerec::eval
