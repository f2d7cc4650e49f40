#include "animerec/core/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "animerec/core/error.h"
#include "test_support.h"

namespace animerec {
namespace {

using testing::TempDir;

TEST(ManifestTest, PathBesideReplacesTheH5ExtensionOnly) {
  EXPECT_EQ(path_beside("out/model.h5", ".run"), "out/model.run.json");
  EXPECT_EQ(path_beside("model", ".evaluate"), "model.evaluate.json");
  EXPECT_EQ(path_beside("a.b/model.hdf5", ".run"), "a.b/model.hdf5.run.json");
}

TEST(ManifestTest, RecordsTheRunAndTheVersionsOfEveryLibrary) {
  RunRecord r;
  r.command = "train";
  r.command_line = "animerec train --dataset d.h5 --out m.h5";
  r.config = {{"factors", "8"}, {"seed", "7"}};
  r.dataset_path = "d.h5";
  r.dataset_sha256 = std::string(64, 'a');
  r.ranks = 2;
  r.threads = 3;
  r.seed = 7;
  r.hosts = {"node1", "node2"};
  r.started = "2026-01-01T00:00:00Z";
  r.finished = "2026-01-01T00:01:00Z";
  r.runtime_libraries = {{"mpi", "Open MPI v9"}, {"hdf5", "1.2.3"}};
  r.metrics = {{"iteration", 4}, {"validation_rmse", 1.25}};
  nlohmann::json m = manifest_json(r);
  EXPECT_EQ(m["manifest_version"], kManifestVersion);
  EXPECT_EQ(m["command"], "train");
  EXPECT_EQ(m["command_line"], r.command_line);
  EXPECT_EQ(m["config"]["factors"], "8");
  EXPECT_EQ(m["dataset"]["sha256"], r.dataset_sha256);
  EXPECT_EQ(m["ranks"], 2);
  EXPECT_EQ(m["threads"], 3);
  EXPECT_EQ(m["seed"], 7);
  EXPECT_EQ(m["hosts"], nlohmann::json({"node1", "node2"}));
  EXPECT_EQ(m["finished"], r.finished);
  EXPECT_EQ(m["metrics"]["validation_rmse"], 1.25);
  EXPECT_EQ(m["libraries"]["mpi"], "Open MPI v9");
  EXPECT_EQ(m["libraries"]["hdf5"], "1.2.3");
  const std::regex version(R"(\d+\.\d+\.\d+)");
  for (const char* lib : {"eigen", "boost", "fmt", "spdlog", "nlohmann_json"}) {
    EXPECT_TRUE(std::regex_match(m["libraries"][lib].get<std::string>(), version)) << lib;
  }
  EXPECT_NE(m["program"]["compiler"], "unknown");
  EXPECT_FALSE(m["program"]["build_commit"].get<std::string>().empty());
}

TEST(ManifestTest, ASeedlessRunRecordsNullAndNanMetricsBecomeNull) {
  RunRecord r;
  r.command = "evaluate";
  r.metrics = {{"rmse", std::nan("")}};
  nlohmann::json m = manifest_json(r);
  EXPECT_TRUE(m["seed"].is_null());
  TempDir dir;
  write_manifest_file(m, dir.file("e.json"), false, "--manifest");
  nlohmann::json back = nlohmann::json::parse(testing::read_file(dir.file("e.json")));
  EXPECT_TRUE(back["metrics"]["rmse"].is_null());
}

TEST(ManifestTest, WriteRefusesAnExistingFileUnlessOverwriting) {
  TempDir dir;
  const std::string path = dir.file("m.run.json");
  testing::write_file(path, "old");
  nlohmann::json m = {{"command", "train"}};
  EXPECT_THROW(write_manifest_file(m, path, false, "--out"), IoError);
  EXPECT_EQ(testing::read_file(path), "old");
  write_manifest_file(m, path, true, "--out");
  EXPECT_EQ(nlohmann::json::parse(testing::read_file(path)), m);
  // Nothing but the manifest is left in the directory (no temporary file).
  int files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++files;
  EXPECT_EQ(files, 1);
}

TEST(ManifestTest, UtcTimeIsIso8601) {
  EXPECT_TRUE(
      std::regex_match(utc_now_iso8601(), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")));
  EXPECT_FALSE(host_name().empty());
}

}  // namespace
}  // namespace animerec
