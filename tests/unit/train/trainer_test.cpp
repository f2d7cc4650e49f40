#include "animerec/train/trainer.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "animerec/core/error.h"
#include "animerec/data/prepare.h"
#include "animerec/data/synth.h"
#include "animerec/io/dataset_file.h"
#include "animerec/io/model_file.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::train {
namespace {

using testing::TempDir;

// A small synthetic MyAnimeList-shaped dataset with a validation split.
std::string make_dataset(const TempDir& dir, double validation_fraction = 0.1) {
  data::SynthOptions s;
  s.users = 300;
  s.anime = 120;
  s.ratings = 15000;
  s.seed = 5;
  data::PrepareOptions p;
  p.validation_fraction = validation_fraction;
  return testing::synthetic_dataset(dir, s, p);
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TrainOptions options(const std::string& dataset, const std::string& out) {
  TrainOptions o;
  o.dataset_path = dataset;
  o.out_path = out;
  o.als.factors = 8;
  o.als.lambda = 0.1;
  o.iterations = 8;
  o.quiet = true;
  return o;
}

TEST(TrainerTest, ExplicitModelBeatsTheGlobalMeanAndCarriesTheDatasetIds) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  TrainOptions o = options(ds, dir.file("m.h5"));
  o.metrics_out = dir.file("metrics.jsonl");
  dist::SerialComm comm;
  ASSERT_EQ(run_training(o, comm), kExitOk);

  model::Model m = io::read_model(o.out_path);
  data::Dataset d = io::read_dataset(ds);
  EXPECT_EQ(m.user_ids, d.user_ids);
  EXPECT_EQ(m.anime_ids, d.anime_ids);
  EXPECT_EQ(m.anime_titles, d.anime.title);
  EXPECT_EQ(m.factors, 8);
  EXPECT_EQ(m.history.size(), 8u);

  // mu is the exact mean of the training scores; RMSE on validation beats it.
  double sum = 0, n = 0;
  for (size_t i = 0; i < d.n_ratings(); ++i) {
    if (d.by_user.split[i] == 0 && d.by_user.score[i] > 0) sum += d.by_user.score[i], n += 1;
  }
  EXPECT_NEAR(m.global_mean, sum / n, 1e-5);
  double se_model = 0, se_mean = 0, count = 0;
  for (size_t u = 0; u < d.n_users(); ++u) {
    for (auto i = d.user_offsets[u]; i < d.user_offsets[u + 1]; ++i) {
      if (d.by_user.split[i] != 1) continue;
      int32_t a = d.by_user.anime[i];
      double pred = m.global_mean + m.user_bias[u] + m.anime_bias[a] +
                    m.user_factors.row(u).dot(m.anime_factors.row(a));
      se_model += std::pow(d.by_user.score[i] - pred, 2);
      se_mean += std::pow(d.by_user.score[i] - m.global_mean, 2);
      count += 1;
    }
  }
  ASSERT_GT(count, 100);
  EXPECT_LT(std::sqrt(se_model / count), 0.9 * std::sqrt(se_mean / count));

  std::ifstream metrics(o.metrics_out);
  int lines = 0;
  for (std::string line; std::getline(metrics, line);) {
    EXPECT_NE(line.find("\"validation_rmse\": "), std::string::npos) << line;
    ++lines;
  }
  EXPECT_EQ(lines, 8);
}

TEST(TrainerTest, EarlyStoppingKeepsTheBestIteration) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  TrainOptions o = options(ds, dir.file("m.h5"));
  o.als.lambda = 0.0;  // overfits quickly: validation RMSE turns up
  o.als.lambda_bias = 0.0;
  o.als.factors = 32;
  o.iterations = 40;
  o.early_stop_patience = 2;
  dist::SerialComm comm;
  ASSERT_EQ(run_training(o, comm), kExitOk);
  model::Model m = io::read_model(o.out_path);
  ASSERT_LT(m.history.size(), 40u) << "early stopping did not trigger";
  EXPECT_EQ(m.history.size(), static_cast<size_t>(m.best_iteration) + 2);
}

TEST(TrainerTest, ImplicitModelReportsNdcg) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  TrainOptions o = options(ds, dir.file("m.h5"));
  o.als.feedback = als::Feedback::kImplicit;
  o.als.solver = als::SolverKind::kConjugateGradient;
  o.iterations = 4;
  dist::SerialComm comm;
  ASSERT_EQ(run_training(o, comm), kExitOk);
  model::Model m = io::read_model(o.out_path);
  EXPECT_EQ(m.feedback, als::Feedback::kImplicit);
  ASSERT_EQ(m.history.size(), 4u);
  EXPECT_NE(m.history.back().find("\"validation_ndcg10\": 0."), std::string::npos)
      << m.history.back();
}

// The ranking part is exactly the implicit model its options describe,
// trained after the explicit one; the explicit part is not changed by it.
TEST(TrainerTest, RankingPartIsTheImplicitFitOfEveryInteraction) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  dist::SerialComm comm;
  TrainOptions with = options(ds, dir.file("with.h5"));
  with.ranking_factors = 6;
  with.ranking_alpha = 5;
  with.ranking_lambda = 0.2;
  with.ranking_iterations = 3;
  with.ranking_blend = 0.25;
  with.metrics_out = dir.file("with.jsonl");
  ASSERT_EQ(run_training(with, comm), kExitOk);
  TrainOptions plain = options(ds, dir.file("plain.h5"));
  ASSERT_EQ(run_training(plain, comm), kExitOk);
  TrainOptions implicit = options(ds, dir.file("implicit.h5"));
  implicit.als.feedback = als::Feedback::kImplicit;
  implicit.als.solver = als::SolverKind::kConjugateGradient;
  implicit.als.factors = 6;
  implicit.als.alpha = 5;
  implicit.als.lambda = 0.2;
  implicit.iterations = 3;
  implicit.metrics_out = dir.file("implicit.jsonl");
  ASSERT_EQ(run_training(implicit, comm), kExitOk);

  model::Model m = io::read_model(with.out_path);
  model::Model p = io::read_model(plain.out_path);
  model::Model i = io::read_model(implicit.out_path);
  ASSERT_TRUE(m.ranking.has_value());
  EXPECT_FALSE(p.ranking.has_value());
  EXPECT_EQ(m.ranking->blend, 0.25);
  EXPECT_EQ(m.ranking->alpha, 5);
  EXPECT_TRUE(m.ranking->user_factors == i.user_factors);
  EXPECT_TRUE(m.ranking->anime_factors == i.anime_factors);
  EXPECT_TRUE(m.user_factors == p.user_factors);
  EXPECT_TRUE(m.anime_factors == p.anime_factors);
  EXPECT_EQ(m.user_bias, p.user_bias);
  EXPECT_EQ(m.anime_bias, p.anime_bias);

  // --metrics-out: the main fit's 8 lines, then the ranking part's 3, marked
  // "part" and with the implicit fit's validation NDCG@10 (scripts/tune prunes
  // on it); the model's history holds the main fit's lines only.
  const std::vector<std::string> lines = lines_of(with.metrics_out);
  const std::vector<std::string> implicit_lines = lines_of(implicit.metrics_out);
  ASSERT_EQ(lines.size(), 11u);
  ASSERT_EQ(implicit_lines.size(), 3u);
  for (size_t i = 0; i < lines.size(); ++i) {
    const bool ranking = i >= 8;
    const int iteration = ranking ? static_cast<int>(i) - 7 : static_cast<int>(i) + 1;
    const std::string start = (ranking ? std::string("{\"part\": \"ranking\", ") : "{") +
                              fmt::format("\"iteration\": {}, ", iteration);
    EXPECT_EQ(lines[i].rfind(start, 0), 0u) << lines[i];
  }
  for (size_t i = 0; i < 3; ++i) {
    auto ndcg = [](const std::string& line) {
      const size_t from = line.find("\"validation_ndcg10\": ");
      return from == std::string::npos ? "" : line.substr(from, line.find(',', from) - from);
    };
    EXPECT_NE(ndcg(lines[8 + i]), "") << lines[8 + i];
    EXPECT_EQ(ndcg(lines[8 + i]), ndcg(implicit_lines[i]));
  }
  ASSERT_EQ(m.history.size(), 8u);
  EXPECT_EQ(m.history.back().find("\"part\""), std::string::npos) << m.history.back();
}

// --ranking-solver and --ranking-cg-steps reach the ranking part alone: it is
// the implicit model those solver settings fit, whatever the main fit's own
// solver and steps.
TEST(TrainerTest, RankingPartUsesItsOwnSolverAndSteps) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  dist::SerialComm comm;
  struct Case {
    als::SolverKind ranking_solver;
    int ranking_cg_steps;
    als::SolverKind implicit_solver;
    int implicit_cg_steps;
  };
  // The main fit solves by CG with 2 steps; an unset --ranking-cg-steps (0) takes them.
  for (const Case& c :
       {Case{als::SolverKind::kCholesky, 0, als::SolverKind::kCholesky, 2},
        Case{als::SolverKind::kConjugateGradient, 5, als::SolverKind::kConjugateGradient, 5},
        Case{als::SolverKind::kConjugateGradient, 0, als::SolverKind::kConjugateGradient, 2}}) {
    SCOPED_TRACE(fmt::format("ranking solver {}, steps {}",
                             c.ranking_solver == als::SolverKind::kCholesky ? "cholesky" : "cg",
                             c.ranking_cg_steps));
    TrainOptions with = options(ds, dir.file("with.h5"));
    with.overwrite = true;
    with.iterations = 2;
    with.als.solver = als::SolverKind::kConjugateGradient;
    with.als.cg_steps = 2;
    with.ranking_factors = 6;
    with.ranking_alpha = 5;
    with.ranking_lambda = 0.2;
    with.ranking_iterations = 3;
    with.ranking_solver = c.ranking_solver;
    with.ranking_cg_steps = c.ranking_cg_steps;
    ASSERT_EQ(run_training(with, comm), kExitOk);
    TrainOptions implicit = options(ds, dir.file("implicit.h5"));
    implicit.overwrite = true;
    implicit.als.feedback = als::Feedback::kImplicit;
    implicit.als.solver = c.implicit_solver;
    implicit.als.cg_steps = c.implicit_cg_steps;
    implicit.als.factors = 6;
    implicit.als.alpha = 5;
    implicit.als.lambda = 0.2;
    implicit.iterations = 3;
    ASSERT_EQ(run_training(implicit, comm), kExitOk);
    const model::Model m = io::read_model(with.out_path);
    const model::Model i = io::read_model(implicit.out_path);
    ASSERT_TRUE(m.ranking.has_value());
    EXPECT_TRUE(m.ranking->user_factors == i.user_factors);
    EXPECT_TRUE(m.ranking->anime_factors == i.anime_factors);
  }
}

TEST(TrainerTest, RefusesAnExistingModelBeforeTraining) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  testing::write_file(dir.file("m.h5"), "precious");
  TrainOptions o = options(ds, dir.file("m.h5"));
  dist::SerialComm comm;
  EXPECT_THROW(run_training(o, comm), IoError);
  EXPECT_EQ(testing::read_file(dir.file("m.h5")), "precious");
}

}  // namespace
}  // namespace animerec::train

namespace animerec::train {
namespace {

// Regression: without a validation split, a resumed run used the checkpoint's
// copy of the "best" factors (those of the checkpoint's iteration) for the
// final model instead of the last iteration's.
TEST(TrainerTest, ResumeWithoutValidationEqualsAnUninterruptedRun) {
  TempDir dir;
  std::string ds = make_dataset(dir, 0.0);
  dist::SerialComm comm;
  TrainOptions full = options(ds, dir.file("full.h5"));
  ASSERT_EQ(run_training(full, comm), kExitOk);

  TrainOptions part = options(ds, dir.file("part.h5"));
  part.checkpoint_dir = dir.path().string();
  part.stop_after_iterations = 3;
  ASSERT_EQ(run_training(part, comm), kExitInterrupted);
  TrainOptions resumed = options(ds, dir.file("resumed.h5"));
  resumed.resume_path = dir.file("checkpoint.h5");
  ASSERT_EQ(run_training(resumed, comm), kExitOk);

  model::Model a = io::read_model(full.out_path);
  model::Model b = io::read_model(resumed.out_path);
  EXPECT_TRUE(a.user_factors == b.user_factors);
  EXPECT_TRUE(a.anime_factors == b.anime_factors);
  EXPECT_EQ(a.user_bias, b.user_bias);
  EXPECT_EQ(a.anime_bias, b.anime_bias);
  EXPECT_EQ(b.best_iteration, 8);
}

// --quiet silences progress, not warnings (issue #16): a patience that can
// never trigger is still reported.
TEST(TrainerTest, WarningsShowUnderQuiet) {
  TempDir dir;
  const std::string ds = make_dataset(dir, 0.0);
  std::string out;
  ASSERT_EQ(testing::run_animerec("train --dataset " + ds + " --out " + dir.file("m.h5") +
                                      " --factors 4 --iterations 2 --early-stop-patience 2 --quiet",
                                  &out),
            0)
      << out;
  EXPECT_NE(out.find("warning: --early-stop-patience is set but the dataset has no validation"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace animerec::train

namespace animerec::train {
namespace {

// Regression: resuming a checkpoint of iteration 3 with --iterations 2 wrote
// the iteration-3 model under a configuration (and manifest) of 2 iterations,
// so `reproduce` failed. It is refused before anything is written.
TEST(TrainerTest, ResumePastTheLastIterationIsRefused) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  dist::SerialComm comm;
  TrainOptions part = options(ds, dir.file("part.h5"));
  part.checkpoint_dir = dir.path().string();
  part.stop_after_iterations = 3;
  ASSERT_EQ(run_training(part, comm), kExitInterrupted);

  TrainOptions resumed = options(ds, dir.file("resumed.h5"));
  resumed.iterations = 2;
  resumed.resume_path = dir.file("checkpoint.h5");
  try {
    run_training(resumed, comm);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("after iteration 3, past --iterations 2"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(resumed.out_path));
  EXPECT_FALSE(std::filesystem::exists(dir.file("resumed.run.json")));

  // Up to the checkpoint's own iteration is fine: nothing left to run.
  resumed.iterations = 3;
  ASSERT_EQ(run_training(resumed, comm), kExitOk);
  EXPECT_EQ(io::read_model(resumed.out_path).history.size(), 3u);
}

// Regression: a stop request without --checkpoint-dir exited 3 ("checkpoint
// written, resume it") though nothing was saved.
TEST(TrainerTest, StopWithoutCheckpointDirSaysNothingWasSaved) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  dist::SerialComm comm;
  TrainOptions o = options(ds, dir.file("m.h5"));
  o.stop_after_iterations = 2;
  EXPECT_EQ(run_training(o, comm), kExitStoppedUnsaved);
  EXPECT_FALSE(std::filesystem::exists(o.out_path));
}

// Regression: --init-scale 1e300 gave "training diverged ... try a larger
// --lambda" (exit 1); the initial factors cannot be stored, so it is the
// scale that is wrong, and a parameter error (exit 2).
TEST(TrainerTest, InitialFactorsThatOverflowNameInitScale) {
  TempDir dir;
  std::string ds = make_dataset(dir);
  dist::SerialComm comm;
  TrainOptions o = options(ds, dir.file("m.h5"));
  o.init_scale = 1e300;
  try {
    run_training(o, comm);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.exit_code(), kExitBadInput);
    EXPECT_NE(std::string(e.what()).find("--init-scale 1e+300"), std::string::npos) << e.what();
  }
  // Finite but huge: the first iteration overflows; the message names both causes.
  o.init_scale = 1e30;
  try {
    run_training(o, comm);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--init-scale"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(o.out_path));
}

}  // namespace
}  // namespace animerec::train
