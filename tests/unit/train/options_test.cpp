// Every train parameter is declared once, in the parameter table: options
// built in code (TrainOptions{}) and options built the way the command line
// builds them (parse_command + train_options) must agree with the table on
// every default, and the lists of model-shaping and run-local parameters are
// the table's.
#include "animerec/train/options.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "animerec/config/params.h"
#include "animerec/core/error.h"
#include "animerec/data/dataset.h"
#include "animerec/train/reproduce.h"
#include "animerec/train/trainer.h"

namespace animerec::train {
namespace {

double status_weight(const TrainOptions& o, data::Status s) {
  return o.weights.by_status.at(static_cast<size_t>(s));
}

// Each numeric or switch parameter of train, read back from the options it
// sets. Every such parameter must be here (the test says which one is not),
// so a new parameter cannot be left out of the comparison.
const std::map<std::string, std::function<double(const TrainOptions&)>>& bound_fields() {
  using O = const TrainOptions&;
  using data::Status;
  static const std::map<std::string, std::function<double(const TrainOptions&)>> fields = {
      {"factors", [](O o) { return o.als.factors; }},
      {"cg-steps", [](O o) { return o.als.cg_steps; }},
      {"lambda", [](O o) { return o.als.lambda; }},
      {"lambda-exponent", [](O o) { return o.als.lambda_exponent; }},
      {"lambda-bias", [](O o) { return o.als.lambda_bias; }},
      {"alpha", [](O o) { return o.als.alpha; }},
      {"weight-scored", [](O o) { return o.weights.scored; }},
      {"weight-watched", [](O o) { return status_weight(o, Status::kWatchedUnrated); }},
      {"weight-watching", [](O o) { return status_weight(o, Status::kWatching); }},
      {"weight-completed", [](O o) { return status_weight(o, Status::kCompleted); }},
      {"weight-on-hold", [](O o) { return status_weight(o, Status::kOnHold); }},
      {"weight-dropped", [](O o) { return status_weight(o, Status::kDropped); }},
      {"weight-plan-to-watch", [](O o) { return status_weight(o, Status::kPlanToWatch); }},
      {"weight-score-slope", [](O o) { return o.weights.score_slope; }},
      {"weight-score-pivot", [](O o) { return o.weights.score_pivot; }},
      {"iterations", [](O o) { return o.iterations; }},
      {"ranking-factors", [](O o) { return o.ranking_factors; }},
      {"ranking-alpha", [](O o) { return o.ranking_alpha; }},
      {"ranking-lambda", [](O o) { return o.ranking_lambda; }},
      {"ranking-lambda-exponent", [](O o) { return o.ranking_lambda_exponent; }},
      {"ranking-alpha0", [](O o) { return o.ranking_alpha0; }},
      {"ranking-cg-steps", [](O o) { return o.ranking_cg_steps; }},
      {"ranking-iterations", [](O o) { return o.ranking_iterations; }},
      {"ranking-blend", [](O o) { return o.ranking_blend; }},
      {"ranking-lambda-content", [](O o) { return o.ranking_lambda_content; }},
      {"ranking-content-ridge", [](O o) { return o.ranking_content_ridge; }},
      {"ranking-popularity-weight", [](O o) { return o.ranking_popularity_weight; }},
      {"ranking-cold-ridge", [](O o) { return o.ranking_cold_ridge; }},
      {"ranking-cold-popularity-exponent", [](O o) { return o.ranking_cold_popularity_exponent; }},
      {"ranking-cold-blend", [](O o) { return o.ranking_cold_blend; }},
      {"early-stop-patience", [](O o) { return o.early_stop_patience; }},
      {"tolerance", [](O o) { return o.tolerance; }},
      {"validation-users", [](O o) { return o.validation_users; }},
      {"init-scale", [](O o) { return o.init_scale; }},
      {"threads", [](O o) { return o.threads; }},
      {"checkpoint-every", [](O o) { return o.checkpoint_every; }},
      {"lambda-content", [](O o) { return o.lambda_content; }},
      {"content-ridge", [](O o) { return o.content_ridge; }},
      {"content-genres-weight", [](O o) { return o.content.genres_weight; }},
      {"content-type-weight", [](O o) { return o.content.type_weight; }},
      {"content-source-weight", [](O o) { return o.content.source_weight; }},
      {"content-studios-weight", [](O o) { return o.content.studios_weight; }},
      {"content-episodes-weight", [](O o) { return o.content.episodes_weight; }},
      {"content-year-weight", [](O o) { return o.content.year_weight; }},
      {"content-season-weight", [](O o) { return o.content.season_weight; }},
      {"content-age-rating-weight", [](O o) { return o.content.age_rating_weight; }},
      {"content-duration-weight", [](O o) { return o.content.duration_weight; }},
      {"content-popularity-weight", [](O o) { return o.content.popularity_weight; }},
      {"content-community-score-weight", [](O o) { return o.content.community_score_weight; }},
      {"content-synopsis-weight", [](O o) { return o.content.synopsis_weight; }},
      {"content-top-studios", [](O o) { return o.content.top_studios; }},
      {"content-synopsis-vocabulary", [](O o) { return o.content.synopsis_vocabulary; }},
      {"content-min-df", [](O o) { return o.content.min_document_frequency; }},
      {"content-use-popularity", [](O o) { return o.content.use_popularity; }},
      {"content-use-community-score", [](O o) { return o.content.use_community_score; }},
      {"seed", [](O o) { return static_cast<double>(o.seed); }},
      {"overwrite", [](O o) { return o.overwrite; }},
      {"quiet", [](O o) { return o.quiet; }},
  };
  return fields;
}

// The table's default of a numeric or switch parameter, as the options hold it
// (content weights are floats there).
double table_default(const config::ParamSpec& spec) {
  switch (spec.type) {
    case config::ParamType::kInt:
      return static_cast<double>(config::default_int("train", spec.name));
    case config::ParamType::kBool:
      return config::default_bool("train", spec.name) ? 1.0 : 0.0;
    default: {
      const double v = config::default_double("train", spec.name);
      const bool float_field = spec.name.rfind("content-", 0) == 0 && spec.name != "content-ridge";
      return float_field ? static_cast<double>(static_cast<float>(v)) : v;
    }
  }
}

bool numeric_or_switch(const config::ParamSpec& spec) {
  return spec.type == config::ParamType::kInt || spec.type == config::ParamType::kDouble ||
         spec.type == config::ParamType::kBool;
}

TrainOptions from_command_line(const std::string& command, std::vector<std::string> args) {
  return train_options(config::parse_command(command, args).params, "");
}

void expect_table_defaults(const TrainOptions& o, const std::string& command,
                           const std::string& how) {
  const std::vector<const config::ParamSpec*> train_params = config::command_params("train");
  for (const config::ParamSpec* spec : config::command_params(command)) {
    // cv's own parameters (folds, relevance...) are not TrainOptions fields.
    const bool of_train =
        std::find(train_params.begin(), train_params.end(), spec) != train_params.end();
    if (!numeric_or_switch(*spec) || !of_train) continue;
    auto it = bound_fields().find(spec->name);
    if (it == bound_fields().end()) {
      ADD_FAILURE() << "--" << spec->name << " of " << command
                    << " has no entry in bound_fields(): add the option it sets";
      continue;
    }
    EXPECT_EQ(it->second(o), table_default(*spec))
        << how << ": --" << spec->name << " differs from the table's default '"
        << spec->default_value << "'";
  }
}

TEST(TrainOptionsDefaults, CommandLinePathGivesTheTableDefaults) {
  expect_table_defaults(from_command_line("train", {"--dataset=d.h5", "--out=m.h5"}), "train",
                        "train command line");
  expect_table_defaults(from_command_line("cv", {"--dataset=d.h5"}), "cv", "cv command line");
}

// The drift this guards against: TrainOptions built in code (as tests do)
// once had every status weight 0 while the table (and so the CLI) had
// 1 / 0.5 / 0.25, so such options trained other implicit models than train.
TEST(TrainOptionsDefaults, OptionsBuiltInCodeMatchTheTable) {
  expect_table_defaults(TrainOptions{}, "train", "TrainOptions{}");
}

TEST(TrainOptionsDefaults, TextParametersMatchTheTable) {
  const TrainOptions code;
  const TrainOptions cli = from_command_line("train", {"--dataset=d.h5", "--out=m.h5"});
  EXPECT_EQ(code.als.feedback, als::feedback_from_name(config::default_text("train", "feedback")));
  EXPECT_EQ(cli.als.feedback, code.als.feedback);
  EXPECT_EQ(cli.als.solver, code.als.solver);
  EXPECT_EQ(config::default_text("train", "memory-limit"), "auto");
  EXPECT_EQ(code.memory_limit, 0u);  // 0 = auto (detect)
  EXPECT_EQ(cli.memory_limit, code.memory_limit);
  EXPECT_EQ(config::default_text("train", "ranking-regularization"), "count");
  EXPECT_FALSE(code.ranking_frequency_ridge);
  EXPECT_EQ(cli.ranking_frequency_ridge, code.ranking_frequency_ridge);
  // The ranking part keeps CG unless asked: old configs fit the same part.
  EXPECT_EQ(config::default_text("train", "ranking-solver"), "cg");
  EXPECT_EQ(code.ranking_solver, als::SolverKind::kConjugateGradient);
  EXPECT_EQ(cli.ranking_solver, code.ranking_solver);
}

TEST(TrainOptionsDefaults, RankingSolverAndCgStepsReachTheOptions) {
  const TrainOptions o =
      from_command_line("train", {"--dataset=d.h5", "--out=m.h5", "--ranking-solver=cholesky",
                                  "--ranking-cg-steps=7", "--solver=cg"});
  EXPECT_EQ(o.ranking_solver, als::SolverKind::kCholesky);
  EXPECT_EQ(o.ranking_cg_steps, 7);
  EXPECT_EQ(o.als.solver, als::SolverKind::kConjugateGradient);  // the main fit's own
  EXPECT_EQ(o.als.cg_steps, 3);
}

TEST(TrainOptionsDefaults, RankingRegularizationAndAlpha0ReachTheFit) {
  const TrainOptions o = from_command_line(
      "train", {"--dataset=d.h5", "--out=m.h5", "--ranking-regularization=frequency",
                "--ranking-alpha0=0.25", "--ranking-lambda-exponent=0.5"});
  EXPECT_TRUE(o.ranking_frequency_ridge);
  EXPECT_EQ(o.ranking_alpha0, 0.25);
  EXPECT_EQ(o.ranking_lambda_exponent, 0.5);
  // No weight at all on unobserved pairs is refused by name.
  try {
    from_command_line("train", {"--dataset=d.h5", "--out=m.h5", "--ranking-alpha0=0"});
    ADD_FAILURE() << "--ranking-alpha0 0 was accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--ranking-alpha0"), std::string::npos) << e.what();
  }
}

TEST(TrainOptionsDefaults, CommandLineValuesReachTheOptions) {
  const TrainOptions o = from_command_line(
      "train", {"--dataset=d.h5", "--out=m.h5", "--feedback=implicit", "--weight-dropped=0.125",
                "--weight-watched=3", "--solver=cg", "--content-year-weight=2"});
  EXPECT_EQ(o.als.feedback, als::Feedback::kImplicit);
  EXPECT_EQ(o.als.solver, als::SolverKind::kConjugateGradient);
  EXPECT_EQ(status_weight(o, data::Status::kDropped), 0.125);
  EXPECT_EQ(status_weight(o, data::Status::kWatchedUnrated), 3);
  EXPECT_EQ(o.content.year_weight, 2.0f);
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The lists that used to be kept by hand are the table's scopes now.
TEST(ParamScopes, ModelShapingAndRunLocalComeFromTheTable) {
  const std::vector<std::string>& shaping = model_shaping_params();
  const std::vector<std::string>& local = run_local_params();
  for (const char* name : {"feedback", "factors", "lambda", "alpha", "weight-on-hold", "seed",
                           "content-min-df", "tolerance", "validation-users"}) {
    EXPECT_TRUE(contains(shaping, name)) << name;
    EXPECT_FALSE(contains(local, name)) << name;
  }
  for (const char* name : {"dataset", "out", "overwrite", "quiet", "threads", "checkpoint-dir",
                           "checkpoint-every", "resume", "metrics-out", "memory-limit"}) {
    EXPECT_TRUE(contains(local, name)) << name;
    EXPECT_FALSE(contains(shaping, name)) << name;
  }
  // A resumed run may run more iterations or fit another ranking part.
  for (const char* name : {"iterations", "ranking-factors", "ranking-blend"}) {
    EXPECT_FALSE(contains(shaping, name)) << name;
    EXPECT_FALSE(contains(local, name)) << name;
  }
  // Every train parameter has exactly one scope.
  const size_t adjustable =
      config::params_with_scope("train", config::ParamScope::kAdjustableOnResume).size();
  EXPECT_EQ(shaping.size() + local.size() + adjustable, config::command_params("train").size());
}

// cv takes every train parameter but the ones naming train's files.
TEST(ParamScopes, CvTakesTrainsParametersButItsFiles) {
  for (const config::ParamSpec* spec : config::command_params("train")) {
    const bool file = contains({"dataset", "out", "overwrite", "resume", "checkpoint-every",
                                "checkpoint-dir", "metrics-out"},
                               spec->name);
    bool on_cv = false;
    for (const config::ParamSpec* c : config::command_params("cv")) on_cv |= c == spec;
    EXPECT_EQ(on_cv, !file) << spec->name;
  }
}

}  // namespace
}  // namespace animerec::train
