// Training's early stopping and evaluate rank with one NDCG implementation
// (eval/metrics.h): on the same implicit model and validation split, the
// NDCG@10 train records for the model's iteration is the one evaluate reports.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "animerec/data/synth.h"
#include "animerec/eval/evaluate.h"
#include "animerec/io/model_file.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::eval {
namespace {

using testing::TempDir;

TEST(NdcgAgreement, TrainValidationNdcgIsEvaluatesNdcgAt10) {
  TempDir dir;
  data::SynthOptions synth;
  synth.users = 250;
  synth.anime = 150;
  synth.ratings = 12000;
  synth.seed = 5;
  data::PrepareOptions prepare;
  prepare.validation_fraction = 0.2;
  const std::string dataset = testing::synthetic_dataset(dir, synth, prepare);
  const std::string model = dir.file("m.h5");
  std::string log;
  // --validation-users above the user count: every user is in train's sample,
  // as every user with a held-out row is in evaluate's.
  ASSERT_EQ(testing::run_animerec("train --dataset " + dataset + " --out " + model +
                                      " --feedback implicit --factors 8 --iterations 6 "
                                      "--validation-users 100000 --quiet",
                                  &log),
            0)
      << log;

  const model::Model m = io::read_model(model);
  double trained = NAN;
  for (const std::string& line : m.history) {
    const nlohmann::json j = nlohmann::json::parse(line);
    if (j["iteration"] == m.best_iteration) trained = j["validation_ndcg10"].get<double>();
  }
  ASSERT_FALSE(std::isnan(trained)) << "no history line for iteration " << m.best_iteration;

  EvaluateOptions o;
  o.model_path = model;
  o.dataset_path = dataset;
  o.split = "validation";
  o.k = "10";
  o.format = "json";
  nlohmann::json report;
  run_evaluate(o, &report);
  const double evaluated = report["ranking"]["methods"]["model"]["10"]["ndcg"].get<double>();
  EXPECT_GT(evaluated, 0.0);
  // The history keeps 6 decimals.
  EXPECT_NEAR(trained, evaluated, 5e-7) << "train " << trained << ", evaluate " << evaluated;
}

}  // namespace
}  // namespace animerec::eval
