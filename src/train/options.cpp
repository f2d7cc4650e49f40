#include "animerec/train/options.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "animerec/core/error.h"
#include "animerec/core/resources.h"
#include "animerec/data/dataset.h"

namespace animerec::train {

namespace {

using config::Params;

// True when `p`'s command has the parameter (cv has train's, minus the files).
bool accepts(const Params& p, const std::string& name) {
  for (const config::ParamSpec* spec : config::command_params(p.command())) {
    if (spec->name == name) return true;
  }
  return false;
}

// --memory-limit: bytes, or 0 for "auto" (detect the limit).
uint64_t memory_limit(const Params& p) {
  const std::string& text = p.get_string("memory-limit");
  return text == "auto" ? 0 : parse_size(text, "--memory-limit");
}

}  // namespace

const std::vector<std::string>& model_shaping_params() {
  static const std::vector<std::string> names =
      config::params_with_scope("train", config::ParamScope::kShapesModel);
  return names;
}

model::Hyperparameters model_hyperparameters(const TrainOptions& o) {
  model::Hyperparameters h;
  h.lambda = o.als.lambda;
  h.lambda_exponent = o.als.lambda_exponent;
  h.lambda_bias = o.als.lambda_bias;
  h.alpha = o.als.alpha;
  h.weights = o.weights;
  return h;
}

ImplicitWeights implicit_weights(const Params& p) {
  ImplicitWeights w;
  w.scored = p.get_double("weight-scored");
  w.score_slope = p.get_double("weight-score-slope");
  w.score_pivot = p.get_double("weight-score-pivot");
  for (const auto& [status, name] : model::kStatusWeightParams) {
    w.by_status.at(static_cast<size_t>(status)) = p.get_double(name);
  }
  return w;
}

content::ContentOptions content_options(const Params& p) {
  content::ContentOptions c;
  for (const auto& w : content::kContentWeightParams) {
    c.*w.field = static_cast<float>(p.get_double(w.param));
  }
  for (const auto& i : content::kContentIntegerParams) {
    c.*i.field = static_cast<int32_t>(p.get_int(i.param));
  }
  for (const auto& f : content::kContentFlagParams) c.*f.field = p.get_bool(f.param);
  content::check_options(c);
  return c;
}

TrainOptions train_options(const Params& p, const std::string& command_line) {
  TrainOptions o;
  o.dataset_path = p.get_string("dataset");
  if (accepts(p, "out")) {
    o.out_path = p.get_string("out");
    o.overwrite = p.get_bool("overwrite");
  }
  o.als.factors = static_cast<int>(p.get_int("factors"));
  o.als.feedback = als::feedback_from_name(p.get_string("feedback"));
  o.als.solver = p.get_string("solver") == "cg" ? als::SolverKind::kConjugateGradient
                                                : als::SolverKind::kCholesky;
  o.als.cg_steps = static_cast<int>(p.get_int("cg-steps"));
  o.als.lambda = p.get_double("lambda");
  o.als.lambda_bias = p.get_double("lambda-bias");
  o.als.lambda_exponent = p.get_double("lambda-exponent");
  o.als.alpha = p.get_double("alpha");
  o.weights = implicit_weights(p);
  o.lambda_content = p.get_double("lambda-content");
  o.content_ridge = p.get_double("content-ridge");
  o.content = content_options(p);
  o.iterations = static_cast<int>(p.get_int("iterations"));
  o.exchange = p.get_string("exchange");
  o.ranking_factors = static_cast<int>(p.get_int("ranking-factors"));
  o.ranking_alpha = p.get_double("ranking-alpha");
  o.ranking_lambda = p.get_double("ranking-lambda");
  o.ranking_lambda_exponent = p.get_double("ranking-lambda-exponent");
  o.ranking_alpha0 = p.get_double("ranking-alpha0");
  if (!(o.ranking_alpha0 > 0)) {
    throw ConfigError(fmt::format(
        "invalid value for --ranking-alpha0: {} (must be > 0: unobserved pairs with no weight at "
        "all leave nothing to rank by)",
        o.ranking_alpha0));
  }
  o.ranking_frequency_ridge = p.get_string("ranking-regularization") == "frequency";
  o.ranking_solver = als::solver_from_name(p.get_string("ranking-solver"));
  o.ranking_cg_steps = static_cast<int>(p.get_int("ranking-cg-steps"));
  o.ranking_iterations = static_cast<int>(p.get_int("ranking-iterations"));
  o.ranking_blend = p.get_double("ranking-blend");
  o.ranking_lambda_content = p.get_double("ranking-lambda-content");
  o.ranking_content_ridge = p.get_double("ranking-content-ridge");
  o.ranking_popularity_weight = p.get_double("ranking-popularity-weight");
  o.ranking_cold_ridge = p.get_double("ranking-cold-ridge");
  o.ranking_cold_popularity_exponent = p.get_double("ranking-cold-popularity-exponent");
  o.ranking_cold_blend = p.get_double("ranking-cold-blend");
  o.early_stop_patience = static_cast<int>(p.get_int("early-stop-patience"));
  o.tolerance = p.get_double("tolerance");
  o.validation_users = static_cast<int>(p.get_int("validation-users"));
  o.init_scale = p.get_double("init-scale");
  o.seed = static_cast<uint64_t>(p.get_int("seed"));
  o.threads = static_cast<int>(p.get_int("threads"));
  if (accepts(p, "checkpoint-every")) {
    o.checkpoint_every = static_cast<int>(p.get_int("checkpoint-every"));
    o.checkpoint_dir = p.get_string("checkpoint-dir");
    o.resume_path = p.get_string("resume");
    o.metrics_out = p.get_string("metrics-out");
  }
  o.memory_limit = memory_limit(p);
  o.quiet = p.get_bool("quiet");
  o.command_line = command_line;
  o.config = p.values();
  if (o.checkpoint_every > 0 && o.checkpoint_dir.empty()) {
    throw ConfigError(
        fmt::format("--checkpoint-every {} needs --checkpoint-dir", o.checkpoint_every));
  }
  if (o.ranking_lambda_content > 0 && o.lambda_content <= 0) {
    throw ConfigError(fmt::format(
        "--ranking-lambda-content {} needs --lambda-content > 0 (the ranking prior maps the "
        "content vectors of the hybrid part)",
        o.ranking_lambda_content));
  }
  if (o.ranking_popularity_weight > 0 && o.ranking_lambda_content <= 0) {
    throw ConfigError(fmt::format(
        "--ranking-popularity-weight {} needs --ranking-lambda-content > 0 (the term moves the "
        "content-predicted ranking factors of cold anime)",
        o.ranking_popularity_weight));
  }
  if (o.ranking_cold_ridge > 0 && o.lambda_content <= 0) {
    throw ConfigError(fmt::format(
        "--ranking-cold-ridge {} needs --lambda-content > 0 (the cold map reads the content "
        "vectors of the hybrid part)",
        o.ranking_cold_ridge));
  }
  if (o.ranking_cold_ridge > 0 && o.ranking_popularity_weight > 0) {
    throw ConfigError(fmt::format(
        "--ranking-cold-ridge {} and --ranking-popularity-weight {} both set cold anime's ranking "
        "factors: use one (the cold map carries the member count itself)",
        o.ranking_cold_ridge, o.ranking_popularity_weight));
  }
  if (o.ranking_cold_ridge > 0 &&
      (o.ranking_factors <= 0 || o.als.feedback != als::Feedback::kExplicit)) {
    throw ConfigError(fmt::format(
        "--ranking-cold-ridge {} needs a ranking part (--ranking-factors > 0 and --feedback "
        "explicit)",
        o.ranking_cold_ridge));
  }
  if (o.ranking_lambda_content > 0 &&
      (o.ranking_factors <= 0 || o.als.feedback != als::Feedback::kExplicit)) {
    throw ConfigError(fmt::format(
        "--ranking-lambda-content {} needs a ranking part (--ranking-factors > 0 and --feedback "
        "explicit)",
        o.ranking_lambda_content));
  }
  if (!o.checkpoint_dir.empty() && !std::filesystem::is_directory(o.checkpoint_dir)) {
    throw ConfigError(fmt::format("--checkpoint-dir {}: not a directory", o.checkpoint_dir));
  }
  // Test hook (undocumented on purpose): behave as if SIGUSR1 arrived after N iterations.
  if (const char* n = std::getenv("ANIMEREC_TEST_STOP_AFTER"))
    o.stop_after_iterations = std::atoi(n);
  return o;
}

}  // namespace animerec::train
