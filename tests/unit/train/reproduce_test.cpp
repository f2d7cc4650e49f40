// The run manifest of train and evaluate, and `animerec reproduce`, through
// the binary as users run it (serial here; tests/integration/reproduce.sh
// covers mpiexec).
#include "animerec/train/reproduce.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "../io/checksum_python.h"
#include "animerec/core/error.h"
#include "animerec/io/model_file.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::train {
namespace {

using nlohmann::json;
using testing::run_animerec;
using testing::TempDir;

std::string make_dataset(const TempDir& dir, uint64_t seed = 5) {
  data::SynthOptions s;
  s.users = 200;
  s.anime = 80;
  s.ratings = 8000;
  s.seed = seed;
  data::PrepareOptions p;
  p.validation_fraction = 0.1;
  return testing::synthetic_dataset(dir, s, p);
}

// Trains a small hybrid model with a ranking part (every optional part of a
// model) and returns its path.
std::string train_model(const TempDir& dir, const std::string& dataset) {
  const std::string model = dir.file("m.h5");
  std::string out;
  int code = run_animerec("train --dataset " + dataset + " --out " + model +
                              " --factors 6 --iterations 4 --lambda-content 2"
                              " --ranking-factors 4 --ranking-iterations 2 --seed 9 --quiet",
                          &out);
  EXPECT_EQ(code, 0) << out;
  return model;
}

class ReproduceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dataset_ = make_dataset(dir_);
    model_ = train_model(dir_, dataset_);
  }
  TempDir dir_;
  std::string dataset_, model_;
};

TEST_F(ReproduceTest, TrainStoresTheManifestInTheModelAndBesideIt) {
  model::Model m = io::read_model(model_);
  ASSERT_FALSE(m.manifest.empty());
  json stored = json::parse(m.manifest);
  json beside = json::parse(testing::read_file(dir_.file("m.run.json")));
  EXPECT_EQ(stored, beside);
  EXPECT_EQ(stored["command"], "train");
  EXPECT_NE(stored["command_line"].get<std::string>().find("--factors 6 --iterations 4"),
            std::string::npos);
  EXPECT_EQ(stored["config"]["factors"], "6");
  EXPECT_EQ(stored["config"]["lambda-content"], "2");
  EXPECT_EQ(stored["config"]["dataset"], dataset_);
  EXPECT_EQ(stored["dataset"]["path"], dataset_);
  EXPECT_EQ(stored["dataset"]["sha256"], m.dataset_sha256);
  EXPECT_EQ(stored["seed"], 9);
  EXPECT_EQ(stored["ranks"], 1);
  EXPECT_EQ(stored["threads"], m.threads);
  EXPECT_EQ(stored["hosts"].size(), 1u);
  EXPECT_EQ(stored["libraries"]["mpi"], "none (serial)");
  EXPECT_FALSE(stored["libraries"]["hdf5"].get<std::string>().empty());
  EXPECT_LE(stored["started"].get<std::string>(), stored["finished"].get<std::string>());
  EXPECT_EQ(stored["metrics"], json::parse(m.history.back()));
  EXPECT_EQ(stored["metrics"]["iteration"], 4);
}

TEST_F(ReproduceTest, ASecondTrainDoesNotReplaceTheManifestWithoutOverwrite) {
  testing::write_file(dir_.file("n.run.json"), "keep");
  std::string out;
  EXPECT_EQ(run_animerec("train --dataset " + dataset_ + " --out " + dir_.file("n.h5") +
                             " --factors 4 --iterations 1 --quiet",
                         &out),
            2);
  EXPECT_NE(out.find("n.run.json exists"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("n.h5")));
  EXPECT_EQ(testing::read_file(dir_.file("n.run.json")), "keep");
}

TEST_F(ReproduceTest, ReproductionIsBitIdentical) {
  std::string out;
  ASSERT_EQ(
      run_animerec("reproduce --model " + model_ + " --out " + dir_.file("again.h5") + " --quiet",
                   &out),
      0)
      << out;
  EXPECT_NE(out.find("bit-identical"), std::string::npos) << out;
  model::Model a = io::read_model(model_);
  model::Model b = io::read_model(dir_.file("again.h5"));
  EXPECT_TRUE(model_differences(a, b).empty());
  ASSERT_TRUE(b.content && b.ranking);
  // The reproduction's own manifest records the reproduce command line.
  EXPECT_NE(json::parse(b.manifest)["command_line"].get<std::string>().find("reproduce"),
            std::string::npos);
}

TEST_F(ReproduceTest, ATamperedFactorIsReportedWithItsIndex) {
  if (!testing::have_h5py()) GTEST_SKIP() << "python3-h5py is not installed";
  // A valid file (checksum restamped) whose factor is not what training gives.
  ASSERT_EQ(testing::run_python(dir_,
                                std::string(testing::kOpenWithRestampPython) +
                                    "f['users/factors'][2, 1] += np.float32(0.001)\n"
                                    "restamp('users/factors')\n"
                                    "f.close()\n",
                                model_),
            0);
  std::string out;
  EXPECT_EQ(run_animerec("reproduce --model " + model_ + " --quiet", &out), 1);
  EXPECT_NE(out.find("differs in 1 field(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("/users/factors: first difference at row 2, column 1 (index 13)"),
            std::string::npos)
      << out;
}

TEST_F(ReproduceTest, ADifferentDatasetIsRefused) {
  TempDir other_dir;
  const std::string other = make_dataset(other_dir, 6);
  std::string out;
  EXPECT_EQ(run_animerec("reproduce --model " + model_ + " --dataset " + other + " --quiet", &out),
            2);
  EXPECT_NE(out.find("sha256"), std::string::npos) << out;
  EXPECT_NE(out.find(other), std::string::npos) << out;
}

TEST_F(ReproduceTest, AModelWithoutManifestStillLoadsButCannotBeReproduced) {
  if (!testing::have_h5py()) GTEST_SKIP() << "python3-h5py is not installed";
  ASSERT_EQ(testing::run_python(dir_,
                                "with h5py.File(sys.argv[1], 'r+') as f:\n"
                                "    del f['manifest']\n",
                                model_),
            0);
  model::Model m = io::read_model(model_);
  EXPECT_TRUE(m.manifest.empty());
  std::string out;
  EXPECT_EQ(run_animerec("reproduce --model " + model_, &out), 2);
  EXPECT_NE(out.find("has no /manifest"), std::string::npos) << out;
}

TEST_F(ReproduceTest, AManifestThatIsNotJsonIsRefusedOnReading) {
  if (!testing::have_h5py()) GTEST_SKIP() << "python3-h5py is not installed";
  // Restamped, so the reader gets past the checksum to the manifest's own check.
  ASSERT_EQ(testing::run_python(dir_,
                                std::string(testing::kOpenWithRestampPython) +
                                    "del f['manifest']\n"
                                    "f['manifest'] = np.array([b'{not json'], dtype=object)\n"
                                    "restamp('manifest')\n"
                                    "f.close()\n",
                                model_),
            0);
  try {
    io::read_model(model_);
    FAIL() << "read_model accepted a broken manifest";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("/manifest: is not a JSON object"), std::string::npos)
        << e.what();
  }
}

TEST_F(ReproduceTest, EvaluateWritesItsReportAsManifest) {
  std::string out;
  ASSERT_EQ(run_animerec("evaluate --model " + model_ + " --dataset " + dataset_ +
                             " --split validation --format json 2>/dev/null",
                         &out),
            0)
      << out;
  json report = json::parse(out);
  json manifest = json::parse(testing::read_file(dir_.file("m.evaluate.json")));
  EXPECT_EQ(manifest["command"], "evaluate");
  EXPECT_EQ(manifest["config"]["split"], "validation");
  EXPECT_EQ(manifest["dataset"]["sha256"], io::read_model(model_).dataset_sha256);
  report.erase("model_path");
  report.erase("dataset_path");
  EXPECT_EQ(manifest["metrics"], report);
  // --manifest chooses the path; a rerun replaces it.
  ASSERT_EQ(run_animerec("evaluate --model " + model_ + " --dataset " + dataset_ + " --manifest " +
                             dir_.file("e.json") + " >/dev/null",
                         &out),
            0);
  ASSERT_EQ(run_animerec("evaluate --model " + model_ + " --dataset " + dataset_ + " --manifest " +
                             dir_.file("e.json") + " >/dev/null",
                         &out),
            0)
      << out;
  EXPECT_EQ(json::parse(testing::read_file(dir_.file("e.json")))["config"]["split"], "test");
}

TEST(ModelDifferencesTest, TimingsAndRunLocalParametersDoNotCountButEverythingElseDoes) {
  model::Model a;
  a.factors = 2;
  a.user_ids = {1, 2};
  a.anime_ids = {10, 20, 30, 40};
  a.user_factors = als::FactorMatrix::Zero(2, 2);
  a.anime_factors = als::FactorMatrix::Zero(4, 2);
  a.user_bias = {0, 0};
  a.anime_bias = {0, 0, 0, 0};
  a.history = {R"({"iteration": 1, "train_rmse": 1.5, "seconds": 0.25})"};
  a.config = {{"threads", "1"}, {"lambda", "0.1"}, {"out", "a.h5"}};
  model::Model b = a;
  b.history = {R"({"iteration": 1, "train_rmse": 1.5, "seconds": 9.5})"};
  b.config["threads"] = "8";
  b.config["out"] = "b.h5";
  b.threads = 8;
  b.created = "later";
  EXPECT_TRUE(model_differences(a, b).empty());

  b.anime_bias[3] = -0.0f;  // equal to 0 but not the same bits
  b.config["lambda"] = "0.2";
  b.anime_factors(1, 0) = 1;
  auto diffs = model_differences(a, b);
  ASSERT_EQ(diffs.size(), 3u);
  EXPECT_EQ(diffs[0], "/anime/factors: first difference at row 1, column 0 (index 2): 0 vs 1");
  EXPECT_EQ(diffs[1], "/anime/bias: first difference at index 3: 0 vs -0");
  EXPECT_EQ(diffs[2], "/config/lambda: \"0.1\" vs \"0.2\"");
}

TEST(ReproduceArgumentsTest, TakesTheModelParametersAndNotTheRunLocalOnes) {
  json manifest = {{"command", "train"},
                   {"dataset", {{"path", "old.h5"}, {"sha256", "ab"}}},
                   {"config",
                    {{"factors", "8"},
                     {"metrics-out", "old.jsonl"},
                     {"resume", "ck.h5"},
                     {"dataset", "old.h5"},
                     {"content-use-popularity", "true"}}}};
  auto args = reproduce_arguments(manifest, "m.h5", "new.h5", "out.h5");
  EXPECT_EQ(args, (std::vector<std::string>{"--dataset=new.h5", "--out=out.h5",
                                            "--content-use-popularity=true", "--factors=8"}));
  EXPECT_THROW(reproduce_arguments(json{{"command", "evaluate"}}, "m.h5", "d", "o"), IoError);
  json no_sha = manifest;
  no_sha["dataset"].erase("sha256");
  EXPECT_THROW(check_train_manifest(no_sha, "m.h5"), IoError);
  json numeric_path = manifest;
  numeric_path["dataset"]["path"] = 3;
  EXPECT_THROW(check_train_manifest(numeric_path, "m.h5"), IoError);
  EXPECT_NO_THROW(check_train_manifest(manifest, "m.h5"));
}

// train records --dataset as given; reproduce from another folder cannot find a
// relative path and must say to pass --dataset, not fail on an unreadable file.
TEST_F(ReproduceTest, ARelativeDatasetFromAnotherFolderAsksForDataset) {
  const std::filesystem::path start = std::filesystem::current_path();
  const std::filesystem::path folder = std::filesystem::path(dataset_).parent_path();
  std::string out;
  std::filesystem::current_path(folder);
  const int trained =
      run_animerec("train --dataset " + std::filesystem::path(dataset_).filename().string() +
                       " --out rel.h5 --factors 4 --iterations 2 --quiet",
                   &out);
  TempDir elsewhere;
  std::filesystem::current_path(elsewhere.path());
  const int reproduced =
      run_animerec("reproduce --model " + dir_.file("rel.h5") + " --quiet", &out);
  std::filesystem::current_path(start);
  ASSERT_EQ(trained, 0);
  EXPECT_EQ(reproduced, 2) << out;
  EXPECT_NE(out.find("is not there"), std::string::npos) << out;
  EXPECT_NE(out.find("pass --dataset PATH"), std::string::npos) << out;
}

}  // namespace
}  // namespace animerec::train
