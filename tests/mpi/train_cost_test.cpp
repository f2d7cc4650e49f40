// The per-iteration cost report of `train` (docs/outputs.md, "per_rank") at
// 1-4 ranks: one entry per rank, and the payload bytes each rank's factor
// exchange sent and received equal what the allgather design must move:
// every side's rows not owned, (k + 1) floats each (factors and bias).
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "animerec/als/solver.h"
#include "animerec/dist/partition.h"
#include "animerec/io/dataset_file.h"
#include "animerec/train/trainer.h"
#include "mpi_env.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec::train {
namespace {

using animerec::testing::TempDir;
using animerec::testing::world;
using nlohmann::json;

constexpr int kFactors = 6;
constexpr int kIterations = 2;
constexpr int64_t kFloatBytes = 4;

std::vector<json> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// Rows of one side owned by `rank` under the trainer's partition.
int64_t own_rows(const std::vector<int64_t>& offsets, const als::AlsOptions& als, int ranks,
                 int rank) {
  const std::vector<int64_t> b = dist::balanced_blocks(offsets, ranks, als::row_solve_cost(als));
  return b[static_cast<size_t>(rank) + 1] - b[static_cast<size_t>(rank)];
}

void check_costs(const std::string& dataset, const std::string& metrics, const TrainOptions& o,
                 int ranks) {
  const io::DatasetHeader h = io::read_dataset_header(dataset);
  const std::vector<json> lines = lines_of(metrics);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kIterations));
  const int64_t row_bytes = (kFactors + 1) * kFloatBytes;
  for (const json& line : lines) {
    ASSERT_TRUE(line.contains("per_rank")) << line.dump();
    const json& per_rank = line["per_rank"];
    ASSERT_EQ(per_rank.size(), static_cast<size_t>(ranks)) << line.dump();
    for (int r = 0; r < ranks; ++r) {
      const json& c = per_rank[static_cast<size_t>(r)];
      for (const char* key :
           {"solve_seconds", "solve_cpu_seconds", "gram_seconds", "metrics_seconds"}) {
        EXPECT_GE(c.at(key).get<double>(), 0.0) << key;
      }
      const int64_t own =
          own_rows(h.user_offsets, o.als, ranks, r) + own_rows(h.anime_offsets, o.als, ranks, r);
      const int64_t all = static_cast<int64_t>(h.n_users() + h.n_anime());
      const json& ex = c.at("exchange");
      EXPECT_EQ(ex.at("bytes_sent").get<int64_t>(), own * row_bytes * (ranks - 1)) << "rank " << r;
      EXPECT_EQ(ex.at("bytes_received").get<int64_t>(), ranks > 1 ? (all - own) * row_bytes : 0)
          << "rank " << r;
      EXPECT_GE(ex.at("seconds").get<double>(), 0.0);
      // The finite check after each half-sweep gathers one int64 per rank.
      EXPECT_EQ(c.at("wait").at("bytes_sent").get<int64_t>(), 2 * 8 * (ranks - 1));
      EXPECT_EQ(c.at("wait").at("bytes_received").get<int64_t>(), 2 * 8 * (ranks - 1));
      EXPECT_EQ(c.at("prior").at("bytes_sent").get<int64_t>(), 0) << "no content prior";
    }
  }
}

TEST(TrainCostMpiTest, ExchangeBytesMatchTheAllgatherFormula) {
  dist::Comm& comm = world();
  TempDir dir;
  // Rank 0 writes the dataset; every rank reads that file.
  std::string dataset;
  if (comm.rank() == 0) {
    data::SynthOptions s;
    s.users = 200;
    s.anime = 90;
    s.ratings = 6000;
    s.seed = 3;
    dataset = testing::synthetic_dataset(dir, s);
  }
  comm.broadcast(dataset, 0);
  std::string out = dir.file("m.h5");
  comm.broadcast(out, 0);
  TrainOptions o;
  o.dataset_path = dataset;
  o.out_path = out;
  o.metrics_out = out + ".jsonl";
  o.als.factors = kFactors;
  o.als.feedback = als::Feedback::kImplicit;
  o.iterations = kIterations;
  o.threads = 1;
  o.quiet = true;
  EXPECT_EQ(run_training(o, comm), 0);
  if (comm.rank() == 0) check_costs(dataset, o.metrics_out, o, comm.size());
  comm.barrier();  // rank 0's directory holds the files until every rank is done
}

}  // namespace
}  // namespace animerec::train
