#pragma once
// The trained model in memory, exactly as model.h5 stores it
// (docs/model-format.md), and the trainer's checkpoint.

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "animerec/als/types.h"
#include "animerec/data/dataset.h"

namespace animerec::model {

// The parameter of each status weight (--weight-watching ...), by status.
inline constexpr std::array<std::pair<data::Status, const char*>, 6> kStatusWeightParams = {{
    {data::Status::kWatching, "weight-watching"},
    {data::Status::kCompleted, "weight-completed"},
    {data::Status::kOnHold, "weight-on-hold"},
    {data::Status::kDropped, "weight-dropped"},
    {data::Status::kPlanToWatch, "weight-plan-to-watch"},
    {data::Status::kWatchedUnrated, "weight-watched"},
}};

// The model.h5 attribute of a parameter: "weight-on-hold" -> "weight_on_hold".
std::string attribute_name(const std::string& param);

// train's default weight of every status (the parameter table's; 0 for a
// status without a parameter, i.e. no status).
std::array<double, 8> default_status_weights();

// Weight w of each interaction kind in implicit mode (confidence 1 + alpha*w),
// indexed by data::Status; scored rows use `scored` (added to the status weight
// of their row when they have one). Defaults: train's.
struct ImplicitWeights {
  double scored = config::default_double("train", "weight-scored");
  std::array<double, 8> by_status = default_status_weights();  // index = Status code
};

// The weight rule, shared by training (train/local_data.cpp) and fold-in:
// the status weight of the row, plus `scored` when it has a score. A status
// code outside the table weighs 0.
double implicit_weight(const ImplicitWeights& w, float score, uint8_t status);

// The training hyperparameters a fold-in repeats for a new user, stored typed
// in model.h5 (root attributes, docs/model-format.md).
struct Hyperparameters {
  double lambda = 0;           // factor ridge lambda * n^lambda_exponent
  double lambda_exponent = 1;  //
  double lambda_bias = 0;      // explicit: bias ridge
  double alpha = 0;            // implicit: confidence 1 + alpha * w
  ImplicitWeights weights;     // implicit: w of each interaction
};

// The hybrid part of a model (docs/content.md), present only when it was
// trained with lambda_content > 0: the content vector of every anime (CSR),
// the feature vocabulary, and the map from content to factors.
struct ContentPart {
  double lambda_content = 0;        // the prior's weight
  double ridge = 0;                 // mu of the W regression
  std::vector<std::string> names;   // F features
  std::vector<std::string> groups;  // F
  std::vector<float> idf;           // F
  std::vector<int64_t> offsets;     // n_anime + 1, from 0, non-decreasing
  std::vector<int32_t> cols;        // feature index < F, ascending within a row
  std::vector<float> values;
  als::FactorMatrix w;        // F x k: y_i ~ W^T x_i
  std::vector<float> w_bias;  // F: c_i ~ w_b . x_i (0 in implicit mode)
  size_t n_features() const { return names.size(); }
};

// The ranking part of an explicit model (docs/recommend.md), present only when
// it was trained with --ranking-factors > 0: implicit-feedback factors fit to
// every interaction (scored, watched, planned...), which say what a user is
// likely to watch at all. Predicted ratings alone rank obscure, rarely-rated
// anime first; ordering by preference + blend * (predicted rating - mu) does not.
struct RankingPart {
  double alpha = 0;                 // confidence 1 + alpha * weight of an interaction
  double lambda = 0;                // ridge of the implicit fit
  double blend = 0;                 // weight of the centred predicted rating in the order
  als::FactorMatrix user_factors;   // n_users x factors()
  als::FactorMatrix anime_factors;  // n_anime x factors()
  // F x factors(): the ranking prior's map from content vectors (ContentPart)
  // to ranking factors, so a new anime's are W^T x; empty when the model was
  // trained without a ranking prior.
  als::FactorMatrix content_w;
  int factors() const { return static_cast<int>(user_factors.cols()); }
};

struct Model {
  static constexpr int kFormatVersion = 2;  // 2: every array carries a sha256 checksum

  als::Feedback feedback = als::Feedback::kExplicit;
  int factors = 0;  // k
  // The hyperparameters the model was trained with. Absent only in a model
  // written before they were stored whose /config does not hold them either
  // (io/model_file.cpp): such a model cannot fold in new users.
  std::optional<Hyperparameters> hyperparameters;
  float global_mean = 0;  // mu (0 in implicit mode)
  float score_min = 1, score_max = 10;

  std::vector<int64_t> user_ids;  // external ids, index order of the dataset
  std::vector<int64_t> anime_ids;
  std::vector<std::string> anime_titles;  // "" where the dataset had no metadata

  als::FactorMatrix user_factors;   // n_users x k
  als::FactorMatrix anime_factors;  // n_anime x k
  std::vector<float> user_bias;     // n_users
  std::vector<float> anime_bias;    // n_anime

  std::optional<ContentPart> content;  // the hybrid prior; absent for plain ALS
  std::optional<RankingPart> ranking;  // explicit models only; absent unless trained

  // One JSON object per iteration, the same lines --metrics-out writes.
  std::vector<std::string> history;
  int32_t best_iteration = 0;  // the iteration whose factors these are

  // Provenance: the full effective configuration (parameter -> value), and
  // what produced the model.
  std::map<std::string, std::string> config;
  uint64_t seed = 0;
  int32_t ranks = 1;
  int32_t threads = 1;
  std::string dataset_sha256;
  std::string program_version;
  std::string build_commit;
  std::string created;  // UTC, ISO 8601
  // The run manifest (core/manifest.h) as JSON text; "" for checkpoints and
  // for models written before manifests existed.
  std::string manifest;

  size_t n_users() const { return user_ids.size(); }
  size_t n_anime() const { return anime_ids.size(); }
};

// Everything needed to continue training exactly where it stopped: the
// factors after `iteration` completed iterations, the best factors so far
// (early stopping keeps them), and the early-stopping counters.
struct Checkpoint {
  static constexpr int kFormatVersion = 2;  // 2: every array carries a sha256 checksum

  Model current;          // config, ids and factors after `iteration`
  int32_t iteration = 0;  // completed iterations
  als::FactorMatrix best_user_factors;
  als::FactorMatrix best_anime_factors;
  std::vector<float> best_user_bias;
  std::vector<float> best_anime_bias;
  int32_t best_iteration = 0;
  double best_metric = 0;      // validation metric of best_iteration
  int32_t bad_iterations = 0;  // iterations since the best (early-stopping patience)
};

}  // namespace animerec::model
