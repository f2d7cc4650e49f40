#include "animerec/io/model_file.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <thread>

#include "../data/sample_dataset.h"
#include "animerec/core/error.h"
#include "animerec/io/dataset_file.h"
#include "checksum_python.h"
#include "test_support.h"

namespace animerec::io {
namespace {

using als::FactorMatrix;
using animerec::testing::read_file;
using animerec::testing::TempDir;
using animerec::testing::write_file;
using model::Checkpoint;
using model::Model;

using animerec::testing::h5py_python;
using animerec::testing::have_h5py;
using animerec::testing::run_python;

void expect_io_error(const std::function<void()>& f, const std::string& message) {
  try {
    f();
    FAIL() << "expected IoError: " << message;
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

size_t files_in(const TempDir& dir) {
  return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir.path()),
                                           std::filesystem::directory_iterator()));
}

FactorMatrix random_factors(Eigen::Index rows, int k, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.5f);
  FactorMatrix m(rows, k);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

std::vector<float> random_bias(size_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<float> b(n);
  for (float& x : b) x = normal(rng);
  return b;
}

// 3 users, 4 anime, k = 3, every field set. The last user's row holds float
// values a lossy path would change (-0, a subnormal, a tiny normal).
Model sample_model() {
  std::mt19937 rng(42);
  Model m;
  m.feedback = als::Feedback::kExplicit;
  m.factors = 3;
  m.global_mean = 7.25f;
  m.score_min = 1;
  m.score_max = 10;
  m.user_ids = {10, 20, 35};
  m.anime_ids = {1, 5, 7, 100};
  m.anime_titles = {"Cowboy Bebop", "Steins;Gate", "", "進撃の巨人"};
  m.user_factors = random_factors(3, 3, rng);
  m.user_factors(2, 0) = -0.0f;
  m.user_factors(2, 1) = std::numeric_limits<float>::denorm_min();
  m.user_factors(2, 2) = 1e-30f;
  m.anime_factors = random_factors(4, 3, rng);
  m.user_bias = random_bias(3, rng);
  m.anime_bias = random_bias(4, rng);
  m.history = {R"({"iteration":1,"train_rmse":1.5,"validation_rmse":1.6})",
               R"({"iteration":2,"train_rmse":1.25,"validation_rmse":1.4})"};
  m.best_iteration = 2;
  m.config = {{"factors", "3"}, {"lambda", "0.05"}, {"seed", "18364758544493064720"}};
  m.seed = 0xFEDCBA9876543210ULL;  // above INT64_MAX: must survive as uint64
  m.ranks = 4;
  m.threads = 8;
  m.dataset_sha256 = std::string(64, 'c');
  m.program_version = "0.1.0";
  m.build_commit = "abc123def456";
  m.created = "2024-05-01T12:00:00Z";
  model::Hyperparameters h;  // none of them train's defaults, so a fallback would show
  h.lambda = 0.07;
  h.lambda_exponent = 0.5;
  h.lambda_bias = 3.25;
  h.alpha = 12.5;
  h.weights.scored = 0.75;
  h.weights.by_status = {0, 0.9, 0.8, 0.7, 0.6, 0, 0.4, 0.3};
  h.weights.score_slope = 0.375;
  h.weights.score_pivot = 6.5;
  m.hyperparameters = h;
  return m;
}

Checkpoint sample_checkpoint() {
  std::mt19937 rng(7);
  Checkpoint c;
  c.current = sample_model();
  c.iteration = 5;
  c.best_iteration = 3;
  c.current.best_iteration = 3;  // the file keeps one best_iteration (model_file.h)
  c.best_user_factors = random_factors(3, 3, rng);
  c.best_anime_factors = random_factors(4, 3, rng);
  c.best_user_bias = random_bias(3, rng);
  c.best_anime_bias = random_bias(4, rng);
  c.best_metric = 1.2345678901234567;
  c.bad_iterations = 2;
  return c;
}

// Bitwise, so -0.0 and 0.0 differ; empty arrays may have null data, which memcmp must not get.
void expect_same_bits(const float* a, const float* b, size_t n) {
  if (n > 0) {
    EXPECT_EQ(std::memcmp(a, b, sizeof(float) * n), 0);
  }
}

void expect_same_bits(const FactorMatrix& a, const FactorMatrix& b) {
  ASSERT_EQ(a.rows(), b.rows());
  ASSERT_EQ(a.cols(), b.cols());
  expect_same_bits(a.data(), b.data(), static_cast<size_t>(a.size()));
}

void expect_same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  ASSERT_EQ(a.size(), b.size());
  expect_same_bits(a.data(), b.data(), a.size());
}

void expect_same_model(const Model& a, const Model& b) {
  EXPECT_EQ(a.feedback, b.feedback);
  ASSERT_EQ(a.hyperparameters.has_value(), b.hyperparameters.has_value());
  if (a.hyperparameters) {
    EXPECT_EQ(a.hyperparameters->lambda, b.hyperparameters->lambda);
    EXPECT_EQ(a.hyperparameters->lambda_exponent, b.hyperparameters->lambda_exponent);
    EXPECT_EQ(a.hyperparameters->lambda_bias, b.hyperparameters->lambda_bias);
    EXPECT_EQ(a.hyperparameters->alpha, b.hyperparameters->alpha);
    EXPECT_EQ(a.hyperparameters->weights.scored, b.hyperparameters->weights.scored);
    EXPECT_EQ(a.hyperparameters->weights.by_status, b.hyperparameters->weights.by_status);
    EXPECT_EQ(a.hyperparameters->weights.score_slope, b.hyperparameters->weights.score_slope);
    EXPECT_EQ(a.hyperparameters->weights.score_pivot, b.hyperparameters->weights.score_pivot);
  }
  EXPECT_EQ(a.factors, b.factors);
  EXPECT_EQ(a.global_mean, b.global_mean);
  EXPECT_EQ(a.score_min, b.score_min);
  EXPECT_EQ(a.score_max, b.score_max);
  EXPECT_EQ(a.user_ids, b.user_ids);
  EXPECT_EQ(a.anime_ids, b.anime_ids);
  EXPECT_EQ(a.anime_titles, b.anime_titles);
  expect_same_bits(a.user_factors, b.user_factors);
  expect_same_bits(a.anime_factors, b.anime_factors);
  expect_same_bits(a.user_bias, b.user_bias);
  expect_same_bits(a.anime_bias, b.anime_bias);
  EXPECT_EQ(a.history, b.history);
  EXPECT_EQ(a.best_iteration, b.best_iteration);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.ranks, b.ranks);
  EXPECT_EQ(a.threads, b.threads);
  EXPECT_EQ(a.dataset_sha256, b.dataset_sha256);
  EXPECT_EQ(a.program_version, b.program_version);
  EXPECT_EQ(a.build_commit, b.build_commit);
  EXPECT_EQ(a.created, b.created);
}

void expect_same_ranking(const Model& a, const Model& b) {
  ASSERT_EQ(a.ranking.has_value(), b.ranking.has_value());
  if (!a.ranking) return;
  EXPECT_EQ(a.ranking->alpha, b.ranking->alpha);
  EXPECT_EQ(a.ranking->lambda, b.ranking->lambda);
  EXPECT_EQ(a.ranking->blend, b.ranking->blend);
  EXPECT_EQ(a.ranking->alpha0, b.ranking->alpha0);
  EXPECT_EQ(a.ranking->lambda_exponent, b.ranking->lambda_exponent);
  EXPECT_EQ(a.ranking->ridge_counts_unobserved, b.ranking->ridge_counts_unobserved);
  expect_same_bits(a.ranking->user_factors, b.ranking->user_factors);
  expect_same_bits(a.ranking->anime_factors, b.ranking->anime_factors);
}

// The sample model with a ranking part of k = 2 (not the main k = 3).
Model sample_model_with_ranking() {
  std::mt19937 rng(9);
  Model m = sample_model();
  model::RankingPart r;
  r.alpha = 5;
  r.lambda = 0.05;
  r.blend = 0.1;
  r.alpha0 = 0.3;  // none of them the defaults, so a fallback would show
  r.lambda_exponent = 0.7;
  r.ridge_counts_unobserved = true;
  r.user_factors = random_factors(3, 2, rng);
  r.anime_factors = random_factors(4, 2, rng);
  m.ranking = std::move(r);
  return m;
}

void expect_same_checkpoint(const Checkpoint& a, const Checkpoint& b) {
  expect_same_model(a.current, b.current);
  EXPECT_EQ(a.iteration, b.iteration);
  expect_same_bits(a.best_user_factors, b.best_user_factors);
  expect_same_bits(a.best_anime_factors, b.best_anime_factors);
  expect_same_bits(a.best_user_bias, b.best_user_bias);
  expect_same_bits(a.best_anime_bias, b.best_anime_bias);
  EXPECT_EQ(a.best_iteration, b.best_iteration);
  EXPECT_EQ(a.best_metric, b.best_metric);
  EXPECT_EQ(a.bad_iterations, b.bad_iterations);
}

// ---------------------------------------------------------------- round trips

TEST(ModelFileTest, RoundTripKeepsEveryFieldBitExact) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  Model m = sample_model();
  write_model(m, path, false);
  expect_same_model(read_model(path), m);
}

TEST(ModelFileTest, RoundTripKeepsTheRankingPart) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  Model m = sample_model_with_ranking();
  write_model(m, path, false);
  Model back = read_model(path);
  expect_same_model(back, m);
  expect_same_ranking(back, m);
  EXPECT_FALSE(
      read_model((write_model(sample_model(), dir.file("plain.h5"), false), dir.file("plain.h5")))
          .ranking.has_value());
}

TEST(ModelFileTest, WriteRefusesARankingPartThatDoesNotFit) {
  TempDir dir;
  Model rows = sample_model_with_ranking();
  rows.ranking->anime_factors.conservativeResize(3, 2);
  expect_io_error([&] { write_model(rows, dir.file("a.h5"), false); },
                  "model to write to " + dir.file("a.h5") +
                      ": field /ranking/anime_factors: has 3 rows, expected 4 (the number of "
                      "anime in /anime/ids)");
  Model implicit = sample_model_with_ranking();
  implicit.feedback = als::Feedback::kImplicit;
  expect_io_error([&] { write_model(implicit, dir.file("b.h5"), false); },
                  "model to write to " + dir.file("b.h5") +
                      ": field /ranking: is only allowed in explicit-feedback models");
  Model blend = sample_model_with_ranking();
  blend.ranking->blend = -1;
  expect_io_error([&] { write_model(blend, dir.file("c.h5"), false); },
                  "model to write to " + dir.file("c.h5") +
                      ": field /ranking/@blend: attribute is -1, expected a finite number >= 0");
  EXPECT_FALSE(std::filesystem::exists(dir.file("a.h5")));
}

TEST(ModelFileTest, RoundTripImplicitModelWithoutUsers) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  Model m;
  m.feedback = als::Feedback::kImplicit;
  m.factors = 2;
  m.user_factors.resize(0, 2);
  m.anime_ids = {3};
  m.anime_titles = {""};
  m.anime_factors = FactorMatrix::Constant(1, 2, 0.5f);
  m.anime_bias = {0.0f};
  write_model(m, path, false);
  expect_same_model(read_model(path), m);
}

TEST(CheckpointTest, RoundTripKeepsEveryFieldBitExact) {
  TempDir dir;
  std::string path = dir.file("checkpoint.h5");
  Checkpoint c = sample_checkpoint();
  write_checkpoint(c, path);
  expect_same_checkpoint(read_checkpoint(path), c);
}

TEST(CheckpointTest, InfiniteBestMetricMeansNoBestYet) {
  TempDir dir;
  std::string path = dir.file("checkpoint.h5");
  Checkpoint c = sample_checkpoint();
  c.best_metric = std::numeric_limits<double>::infinity();
  write_checkpoint(c, path);
  EXPECT_EQ(read_checkpoint(path).best_metric, c.best_metric);
}

TEST(ModelFileTest, WritingIsDeterministic) {
  TempDir dir;
  Model m = sample_model();
  Checkpoint c = sample_checkpoint();
  write_model(m, dir.file("a.h5"), false);
  write_checkpoint(c, dir.file("ca.h5"));
  // Object header timestamps have one-second resolution: wait past it so a
  // stray timestamp would show up as a difference.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  write_model(m, dir.file("b.h5"), false);
  write_checkpoint(c, dir.file("cb.h5"));
  EXPECT_TRUE(read_file(dir.file("a.h5")) == read_file(dir.file("b.h5")));
  EXPECT_TRUE(read_file(dir.file("ca.h5")) == read_file(dir.file("cb.h5")));
}

// ---------------------------------------------------------------- writing

TEST(ModelFileTest, OverwriteRefusedWithoutFlag) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(sample_model(), path, false);
  std::string before = read_file(path);
  Model other = sample_model();
  other.global_mean = 6.5f;
  expect_io_error([&] { write_model(other, path, false); },
                  "--out " + path + " exists; pass --overwrite to replace it");
  EXPECT_TRUE(read_file(path) == before);
  write_model(other, path, true);
  EXPECT_EQ(read_model(path).global_mean, 6.5f);
  EXPECT_EQ(files_in(dir), 1u);  // no temporary file left behind
}

// Each broken model is refused before anything is created on disk, and an
// existing file under the name stays as it was.
void expect_write_refused(const std::function<void(Model&)>& damage, const std::string& field_msg) {
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(sample_model(), path, false);
  std::string before = read_file(path);
  Model m = sample_model();
  damage(m);
  expect_io_error([&] { write_model(m, path, true); }, "model to write to " + path + field_msg);
  EXPECT_TRUE(read_file(path) == before);
  EXPECT_EQ(files_in(dir), 1u);
}

TEST(ModelFileTest, WriteRefusesFactorRowsNotMatchingIds) {
  expect_write_refused(
      [](Model& m) { m.user_factors.conservativeResize(2, 3); },
      ": field /users/factors: has 2 rows, expected 3 (the number of users in /users/ids)");
}

TEST(ModelFileTest, WriteRefusesFactorColumnsNotMatchingK) {
  expect_write_refused([](Model& m) { m.anime_factors.conservativeResize(4, 2); },
                       ": field /anime/factors: has 2 columns, expected 3 (the factors attribute)");
}

TEST(ModelFileTest, WriteRefusesBiasLengthMismatch) {
  expect_write_refused(
      [](Model& m) { m.anime_bias.pop_back(); },
      ": field /anime/bias: has 3 elements, expected 4 (the number of anime in /anime/ids)");
}

TEST(ModelFileTest, WriteRefusesNonFiniteValues) {
  expect_write_refused([](Model& m) { m.user_factors(1, 2) = std::nanf(""); },
                       ": field /users/factors: has a non-finite value (nan) at row 1, column 2");
  expect_write_refused([](Model& m) { m.user_bias[2] = -std::numeric_limits<float>::infinity(); },
                       ": field /users/bias: has a non-finite value (-inf) at index 2");
  expect_write_refused([](Model& m) { m.global_mean = std::nanf(""); },
                       ": field /@global_mean: attribute is nan, expected a finite number");
}

TEST(ModelFileTest, WriteRefusesBadAttributesAndIds) {
  expect_write_refused([](Model& m) { m.factors = 0; },
                       ": field /@factors: attribute is 0, expected an integer in [1, 4096]");
  expect_write_refused([](Model& m) { m.hyperparameters->lambda = -1; },
                       ": field /@lambda: attribute is -1, expected a finite number >= 0");
  expect_write_refused([](Model& m) { m.hyperparameters->weights.by_status[4] = std::nan(""); },
                       ": field /@weight_dropped: attribute is nan, expected a finite number >= 0");
  expect_write_refused(
      [](Model& m) {
        m.user_ids = {10, 35, 20};
      },
      ": field /users/ids: is not strictly ascending (id 20 at index 2 after 35)");
  expect_write_refused(
      [](Model& m) { m.anime_titles.pop_back(); },
      ": field /anime/titles: has 3 elements, expected 4 (the number of anime in /anime/ids)");
}

TEST(ModelFileTest, FailedCommitLeavesNoTemporaryFile) {
  TempDir dir;
  // The final name is a directory: everything is written, then the rename fails.
  std::string path = dir.file("model.h5");
  std::filesystem::create_directory(path);
  EXPECT_THROW(write_model(sample_model(), path, true), IoError);
  EXPECT_EQ(files_in(dir), 1u);
  EXPECT_TRUE(std::filesystem::is_directory(path));
}

TEST(CheckpointTest, ReplacesThePreviousCheckpoint) {
  TempDir dir;
  std::string path = dir.file("checkpoint.h5");
  Checkpoint c = sample_checkpoint();
  write_checkpoint(c, path);
  c.iteration = 6;
  c.bad_iterations = 3;
  c.current.user_factors(0, 0) += 1.0f;
  write_checkpoint(c, path);
  expect_same_checkpoint(read_checkpoint(path), c);
  EXPECT_EQ(files_in(dir), 1u);
}

TEST(CheckpointTest, InvalidCheckpointKeepsThePreviousOne) {
  TempDir dir;
  std::string path = dir.file("checkpoint.h5");
  write_checkpoint(sample_checkpoint(), path);
  std::string before = read_file(path);
  Checkpoint c = sample_checkpoint();
  c.best_user_factors.conservativeResize(3, 2);
  expect_io_error([&] { write_checkpoint(c, path); },
                  "checkpoint to write to " + path +
                      ": field /best/user_factors: has 2 columns, expected 3 (the factors "
                      "attribute)");
  c = sample_checkpoint();
  c.best_iteration = 6;
  expect_io_error([&] { write_checkpoint(c, path); },
                  "checkpoint to write to " + path +
                      ": field /@best_iteration: attribute is 6, expected an integer in [0, 5]");
  EXPECT_TRUE(read_file(path) == before);
  EXPECT_EQ(files_in(dir), 1u);
}

// ---------------------------------------------------------------- hostile files

TEST(ModelFileTest, MissingFile) {
  TempDir dir;
  std::string path = dir.file("nothing.h5");
  expect_io_error([&] { read_model(path); }, path + ": no such file");
}

TEST(ModelFileTest, TextFileIsNotHdf5) {
  TempDir dir;
  std::string path = dir.file("model.txt");
  write_file(path, "user_id,anime_id,rating\n1,2,3\n");
  expect_io_error([&] { read_model(path); }, path + " is not an HDF5 file");
}

TEST(ModelFileTest, DatasetIsNotAModel) {
  TempDir dir;
  std::string path = dir.file("dataset.h5");
  write_dataset(testing::sample_dataset(), path, false);
  expect_io_error([&] { read_model(path); },
                  path + " is not an animerec model (format attribute is \"animerec-dataset\")");
}

TEST(ModelFileTest, CheckpointAndModelAreNotInterchangeable) {
  TempDir dir;
  std::string model_path = dir.file("model.h5");
  std::string checkpoint_path = dir.file("checkpoint.h5");
  write_model(sample_model(), model_path, false);
  write_checkpoint(sample_checkpoint(), checkpoint_path);
  expect_io_error(
      [&] { read_model(checkpoint_path); },
      checkpoint_path + " is not an animerec model (format attribute is \"animerec-checkpoint\")");
  expect_io_error(
      [&] { read_checkpoint(model_path); },
      model_path + " is not an animerec checkpoint (format attribute is \"animerec-model\")");
}

TEST(ModelFileTest, ForeignHdf5FileIsNotAModel) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("foreign.h5");
  ASSERT_EQ(run_python(dir, "h5py.File(sys.argv[1], 'w')['x'] = np.arange(3)", path), 0);
  expect_io_error([&] { read_model(path); },
                  path + " is not an animerec model (no format attribute)");
}

// Writes the sample model (or checkpoint), lets a python snippet damage it
// (`f` is the open file), expects `path + field_message` from the reader.
void expect_damage_rejected(const std::string& python, const std::string& field_message,
                            bool checkpoint = false) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  if (checkpoint) {
    write_checkpoint(sample_checkpoint(), path);
  } else {
    write_model(sample_model(), path, false);
  }
  ASSERT_EQ(run_python(dir, std::string(testing::kOpenWithRestampPython) + python, path), 0);
  if (checkpoint) {
    expect_io_error([&] { read_checkpoint(path); }, path + field_message);
  } else {
    expect_io_error([&] { read_model(path); }, path + field_message);
  }
}

TEST(ModelFileTest, RankingFactorsNotMatchingUsersAreRejected) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(sample_model_with_ranking(), path, false);
  ASSERT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r+')\n"
                       "x = f['ranking/user_factors'][:, :1]\n"
                       "del f['ranking/user_factors']\n"
                       "f['ranking/user_factors'] = x",
                       path),
            0);
  expect_io_error([&] { read_model(path); },
                  path +
                      ": field /ranking/user_factors: has 1 columns, expected 2 (the factors "
                      "attribute)");
}

TEST(ModelFileTest, UnknownFeedbackIsRejected) {
  expect_damage_rejected(
      "f.attrs['feedback'] = 'both'",
      ": field /@feedback: attribute is \"both\", expected \"explicit\" or \"implicit\"");
}

// A model written before the hyperparameters were stored typed: they come
// from the /config train wrote, not from train's current defaults.
TEST(ModelFileTest, OlderModelTakesHyperparametersFromItsConfig) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  const std::string path = dir.file("model.h5");
  Model m = sample_model();
  m.config = {{"lambda", "0.125"},         {"lambda-exponent", "0.75"},
              {"lambda-bias", "4"},        {"alpha", "7"},
              {"weight-scored", "2"},      {"weight-watching", "0.1"},
              {"weight-completed", "0.2"}, {"weight-on-hold", "0.3"},
              {"weight-dropped", "0.4"},   {"weight-plan-to-watch", "0.5"},
              {"weight-watched", "0.6"}};
  write_model(m, path, false);
  ASSERT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r+')\n"
                       "for a in ['lambda', 'lambda_exponent', 'lambda_bias', 'alpha',\n"
                       "          'weight_scored', 'weight_watching', 'weight_completed',\n"
                       "          'weight_on_hold', 'weight_dropped', 'weight_plan_to_watch',\n"
                       "          'weight_watched']:\n"
                       "    del f.attrs[a]",
                       path),
            0);
  const Model r = read_model(path);
  ASSERT_TRUE(r.hyperparameters.has_value());
  EXPECT_EQ(r.hyperparameters->lambda, 0.125);
  EXPECT_EQ(r.hyperparameters->lambda_exponent, 0.75);
  EXPECT_EQ(r.hyperparameters->lambda_bias, 4);
  EXPECT_EQ(r.hyperparameters->alpha, 7);
  EXPECT_EQ(r.hyperparameters->weights.scored, 2);
  const std::array<double, 8> expected = {0, 0.1, 0.2, 0.3, 0.4, 0, 0.5, 0.6};
  EXPECT_EQ(r.hyperparameters->weights.by_status, expected);
}

// A model written before alpha0, the frequency ridge and the score slope:
// it reads with the rule it was trained with (HKV, ridge lambda * n, slope 0).
TEST(ModelFileTest, OlderRankingPartReadsAsThePlainFit) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  const std::string path = dir.file("model.h5");
  write_model(sample_model_with_ranking(), path, false);
  ASSERT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r+')\n"
                       "for a in ['alpha0', 'lambda_exponent', 'regularization']:\n"
                       "    del f['ranking'].attrs[a]\n"
                       "for a in ['weight_score_slope', 'weight_score_pivot']:\n"
                       "    del f.attrs[a]",
                       path),
            0);
  const Model r = read_model(path);
  ASSERT_TRUE(r.ranking.has_value());
  EXPECT_EQ(r.ranking->alpha0, 1.0);
  EXPECT_EQ(r.ranking->lambda_exponent, 1.0);
  EXPECT_FALSE(r.ranking->ridge_counts_unobserved);
  ASSERT_TRUE(r.hyperparameters.has_value());
  EXPECT_EQ(r.hyperparameters->weights.score_slope, 0.0);
  EXPECT_EQ(r.hyperparameters->weights.scored, 0.75);
}

TEST(ModelFileTest, RankingAlpha0OutsideZeroToOneIsRejected) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  const std::string path = dir.file("model.h5");
  write_model(sample_model_with_ranking(), path, false);
  ASSERT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r+')\n"
                       "f['ranking'].attrs['alpha0'] = np.float64(0)",
                       path),
            0);
  expect_io_error([&] { read_model(path); },
                  path + ": field /ranking/@alpha0: attribute is 0, expected a number in (0, 1]");
}

TEST(ModelFileTest, OlderModelWithoutConfigValuesHasNoHyperparameters) {
  TempDir dir;
  const std::string path = dir.file("model.h5");
  Model m = sample_model();
  m.hyperparameters.reset();  // written as an older version wrote it, config lacking alpha...
  write_model(m, path, false);
  EXPECT_FALSE(read_model(path).hyperparameters.has_value());
}

TEST(ModelFileTest, OtherVersionIsRejected) {
  expect_damage_rejected("f.attrs['format_version'] = np.int64(3)",
                         ": field /@format_version: version 3 is not supported (this program "
                         "reads version 2)");
}

TEST(ModelFileTest, WrongFactorTypeIsRejected) {
  expect_damage_rejected(
      "x = f['users/factors'][:].astype('<f8')\n"
      "del f['users/factors']\n"
      "f['users/factors'] = x",
      ": field /users/factors: has type float64, expected float32");
}

TEST(ModelFileTest, OneDimensionalFactorsAreRejected) {
  expect_damage_rejected(
      "x = f['anime/factors'][:].reshape(-1)\n"
      "del f['anime/factors']\n"
      "f['anime/factors'] = x",
      ": field /anime/factors: has rank 1, expected a 2-D array");
}

TEST(ModelFileTest, FactorRowsNotMatchingIdsAreRejected) {
  expect_damage_rejected(
      "x = f['users/factors'][:2]\n"
      "del f['users/factors']\n"
      "f['users/factors'] = x",
      ": field /users/factors: has 2 rows, expected 3 (the number of users in /users/ids)");
}

TEST(ModelFileTest, FactorColumnsNotMatchingKAreRejected) {
  expect_damage_rejected("f.attrs['factors'] = np.int64(4)",
                         ": field /users/factors: has 3 columns, expected 4 (the factors "
                         "attribute)");
}

TEST(ModelFileTest, BiasLengthMismatchIsRejected) {
  expect_damage_rejected(
      "x = f['anime/bias'][:3]\n"
      "del f['anime/bias']\n"
      "f['anime/bias'] = x",
      ": field /anime/bias: has 3 elements, expected 4 (the number of anime in /anime/ids)");
}

TEST(ModelFileTest, NanInFactorsIsRejected) {
  expect_damage_rejected("f['users/factors'][1, 2] = np.nan\nrestamp('users/factors')",
                         ": field /users/factors: has a non-finite value (nan) at row 1, column 2");
}

TEST(ModelFileTest, InfiniteBiasIsRejected) {
  expect_damage_rejected("f['anime/bias'][3] = np.inf\nrestamp('anime/bias')",
                         ": field /anime/bias: has a non-finite value (inf) at index 3");
}

TEST(ModelFileTest, MissingAttributeIsRejected) {
  expect_damage_rejected("del f.attrs['global_mean']",
                         ": field /@global_mean: attribute is missing");
}

TEST(ModelFileTest, MissingGroupIsRejected) {
  expect_damage_rejected("del f['training']", ": field /training: group is missing");
}

TEST(ModelFileTest, NegativeSizesAreRejected) {
  expect_damage_rejected("f.attrs['factors'] = np.int64(-3)",
                         ": field /@factors: attribute is -3, expected an integer in [1, 4096]");
  expect_damage_rejected("f.attrs['seed'] = np.int64(-1)",
                         ": field /@seed: attribute is -1, expected a non-negative integer");
}

TEST(ModelFileTest, HugeSizesAreRejectedBeforeAllocating) {
  // A dataspace of 10^9 ids (8 GB) that stores nothing, and one beyond int32 indexing.
  expect_damage_rejected(
      "del f['users/ids']\n"
      "f.create_dataset('users/ids', shape=(10**9,), dtype='<i8', chunks=(2**20,))",
      ": field /users/ids: declares 1000000000 elements of 8 bytes but the file stores only 0 "
      "bytes (damaged file?)");
  expect_damage_rejected(
      "del f['anime/ids']\n"
      "f.create_dataset('anime/ids', shape=(10**12,), dtype='<i8', chunks=(2**20,))",
      ": field /anime/ids: has 1000000000000 elements, more than the 2147483647 an int32 index "
      "can address");
  expect_damage_rejected("f.attrs['factors'] = np.int64(10**9)",
                         ": field /@factors: attribute is 1000000000, expected an integer in [1, "
                         "4096]");
}

TEST(ModelFileTest, IdsNotAscendingAreRejected) {
  expect_damage_rejected(
      "f['users/ids'][2] = 15\nrestamp('users/ids')",
      ": field /users/ids: is not strictly ascending (id 15 at index 2 after 20)");
}

TEST(ModelFileTest, UnsortedConfigIsRejected) {
  expect_damage_rejected(
      "del f['config/name']\n"
      "f['config/name'] = np.array(['seed', 'factors', 'lambda'], dtype=h5py.string_dtype())\n"
      "restamp('config/name')",
      ": field /config/name: is not sorted and unique (\"factors\" at index 1 after \"seed\")");
}

TEST(ModelFileTest, UnknownGroupsAndAttributesAreIgnored) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  write_model(sample_model(), path, false);
  ASSERT_EQ(run_python(dir,
                       "f = h5py.File(sys.argv[1], 'r+')\n"
                       "f.create_group('future_part')['genre_weights'] = np.ones((2, 3), 'f4')\n"
                       "f.attrs['note'] = 'added by a later version'\n",
                       path),
            0);
  expect_same_model(read_model(path), sample_model());
}

TEST(CheckpointTest, DamagedBestFactorsAreRejected) {
  expect_damage_rejected(
      "x = f['best/anime_factors'][:3]\n"
      "del f['best/anime_factors']\n"
      "f['best/anime_factors'] = x",
      ": field /best/anime_factors: has 3 rows, expected 4 (the number of anime in /anime/ids)",
      true);
  expect_damage_rejected("f.attrs['bad_iterations'] = np.int64(9)",
                         ": field /@bad_iterations: attribute is 9, expected an integer in [0, 5]",
                         true);
  expect_damage_rejected("del f.attrs['best_metric']",
                         ": field /@best_metric: attribute is missing", true);
}

// ---------------------------------------------------------------- other tools

TEST(ModelFileTest, ReadableByH5py) {
  if (!have_h5py()) GTEST_SKIP() << "python3-h5py not installed";
  TempDir dir;
  std::string path = dir.file("model.h5");
  Model m = sample_model();
  write_model(m, path, false);
  // The explicit-feedback prediction for user 0 / anime 1, as docs/model-format.md gives it.
  float expected = m.global_mean + m.user_bias[0] + m.anime_bias[1] +
                   m.user_factors.row(0).dot(m.anime_factors.row(1));
  std::string check = fmt::format(
      "f = h5py.File(sys.argv[1], 'r')\n"
      "assert f.attrs['format'] == 'animerec-model'\n"
      "assert f.attrs['format_version'] == 2\n"
      "P = f['users/factors'][:]\n"
      "Q = f['anime/factors'][:]\n"
      "assert P.dtype == np.float32 and P.shape == (3, f.attrs['factors']), P.shape\n"
      "assert Q.shape == (4, 3), Q.shape\n"
      "bu = f['users/bias'][:]\n"
      "bi = f['anime/bias'][:]\n"
      "mu = float(f.attrs['global_mean'])\n"
      "u = list(f['users/ids'][:]).index(10)\n"
      "a = list(f['anime/ids'][:]).index(5)\n"
      "p = mu + float(bu[u]) + float(bi[a]) + float(P[u].astype(np.float64) @ Q[a])\n"
      "assert abs(p - {:.9g}) < 1e-5, p\n"
      "assert f['anime/titles'][3].decode('utf-8') == '\u9032\u6483\u306e\u5de8\u4eba'\n"
      "assert int(f.attrs['seed']) == {}\n"
      "cfg = dict(zip(f['config/name'].asstr()[:], f['config/value'].asstr()[:]))\n"
      "assert cfg['lambda'] == '0.05', cfg\n",
      expected, m.seed);
  EXPECT_EQ(run_python(dir, check, path), 0);
}

}  // namespace
}  // namespace animerec::io
