#pragma once
// The trained model in memory, exactly as model.h5 stores it
// (docs/model-format.md), and the trainer's checkpoint.

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
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
// of their row when they have one) plus score_slope * (score - score_pivot), so
// a 10 can weigh more than a 5. Defaults: train's (slope 0: the score's value
// does not count, the rule of models written before the slope existed).
struct ImplicitWeights {
  double scored = config::default_double("train", "weight-scored");
  std::array<double, 8> by_status = default_status_weights();  // index = Status code
  double score_slope = config::default_double("train", "weight-score-slope");
  double score_pivot = config::default_double("train", "weight-score-pivot");
};

// The weight rule, shared by training (train/local_data.cpp) and fold-in:
// the status weight of the row, plus, when it has a score,
// scored + score_slope * (score - score_pivot). A status code outside the
// table weighs 0. A row whose weight is <= 0 is no interaction at all.
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

// The ranking part's popularity term for cold anime (train/popularity.h):
// y_i = W^T x_i + weight * z_i * direction, z_i the standardised
// log(1 + members) of the anime (0 when its member count is unknown, < 0).
struct PopularityTerm {
  double weight = 0;          // 0: no term
  double log_mean = 0;        // of log(1 + members) over the warm anime
  double log_sd = 1;          // > 0
  Eigen::VectorXf direction;  // factors(): slope of warm ranking factors on z
  double z(int64_t members) const {
    return members < 0 ? 0.0 : (std::log1p(static_cast<double>(members)) - log_mean) / log_sd;
  }
  // What the term adds to a cold anime's ranking factors.
  Eigen::VectorXf cold_offset(int64_t members) const {
    return static_cast<float>(weight * z(members)) * direction;
  }
};

// The ranking part's cold map (--ranking-cold-ridge > 0, train/cold_map.h): a
// ridge map refitted after the ranking fit from [x_i, z_i, z_i^2, 1] to the
// warm anime's ranking factors, x_i the /content vector and z_i the
// standardised log(1 + members) (0 when unknown, < 0); every cold anime and
// every new anime gets its ranking factors from it, and is ranked by them
// alone, with `blend` in place of the ranking part's blend.
struct ColdMap {
  double ridge = 0;                // mu of the refit (> 0)
  double popularity_exponent = 0;  // warm anime weighted exp(exponent * z) in the refit
  double blend = 0;                // weight of the centred predicted rating for cold anime
  double log_mean = 0;             // of log(1 + members) over the warm anime
  double log_sd = 1;               // > 0
  als::FactorMatrix w;             // (F + 3) x factors(): content rows, then z, z^2, 1
  double z(int64_t members) const {
    return members < 0 ? 0.0 : (std::log1p(static_cast<double>(members)) - log_mean) / log_sd;
  }
  // The ranking factors of an anime with content entries (cols, values) and
  // `members`; summed in entry order in double, as training and serving both do.
  Eigen::VectorXf factors(std::span<const int32_t> cols, std::span<const float> values,
                          int64_t members) const {
    const Eigen::Index f = w.rows() - 3;
    Eigen::VectorXd y = Eigen::VectorXd::Zero(w.cols());
    for (size_t i = 0; i < cols.size(); ++i) {
      y += double{values[i]} * w.row(cols[i]).cast<double>().transpose();
    }
    const double zi = z(members);
    y += zi * w.row(f).cast<double>().transpose();
    y += zi * zi * w.row(f + 1).cast<double>().transpose();
    y += w.row(f + 2).cast<double>().transpose();
    return y.cast<float>();
  }
};

// The ranking part of an explicit model (docs/recommend.md), present only when
// it was trained with --ranking-factors > 0: implicit-feedback factors fit to
// every interaction (scored, watched, planned...), which say what a user is
// likely to watch at all. Predicted ratings alone rank obscure, rarely-rated
// anime first; ordering by preference + blend * (predicted rating - mu) does not.
struct RankingPart {
  double alpha = 0;   // confidence 1 + alpha * weight of an interaction
  double lambda = 0;  // ridge of the implicit fit
  // Written since the frequency-scaled fit (Rendle et al. 2022); a model
  // without them reads with these values, the plain ALS-WR fit it was made by.
  double alpha0 = 1;                     // weight of every unobserved pair (als/types.h)
  double lambda_exponent = 1;            // ridge lambda * count^lambda_exponent
  bool ridge_counts_unobserved = false;  // count = n + alpha0 * n_anime (or n_users), else n
  double blend = 0;                      // weight of the centred predicted rating in the order
  als::FactorMatrix user_factors;        // n_users x factors()
  als::FactorMatrix anime_factors;       // n_anime x factors()
  // The ranking prior (--ranking-lambda-content > 0), empty without it: the map
  // from the /content vectors to ranking factors, y_rank_i ~ W^T x_i
  // (F x factors(), F = ContentPart::n_features()). Anime without training
  // interactions have anime_factors = W^T x_i; a new anime gets the same.
  double lambda_content = 0;  // the prior's weight (0 without it)
  double content_ridge = 0;   // mu of the W regression
  als::FactorMatrix content_w;
  // The popularity term (--ranking-popularity-weight > 0), only with the prior:
  // a new anime's ranking factors are content_w^T x + popularity.cold_offset(members).
  std::optional<PopularityTerm> popularity;
  // The cold map, and which anime it placed (n_anime, 1 = no training
  // interactions); both empty without it.
  std::optional<ColdMap> cold_map;
  std::vector<uint8_t> cold;
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
