#include "animerec/core/resources.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "animerec/core/error.h"
#include "synthetic_dataset.h"
#include "test_support.h"

namespace animerec {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

TEST(ParseSize, UnitsArePowersOf1024) {
  EXPECT_EQ(parse_size("1000", "--memory-limit"), 1000u);
  EXPECT_EQ(parse_size("512k", "--memory-limit"), 512u * 1024);
  EXPECT_EQ(parse_size("64M", "--memory-limit"), 64 * kMiB);
  EXPECT_EQ(parse_size("64MB", "--memory-limit"), 64 * kMiB);
  EXPECT_EQ(parse_size("2G", "--memory-limit"), 2 * kGiB);
  EXPECT_EQ(parse_size("1.5GiB", "--memory-limit"), 3 * kGiB / 2);
  EXPECT_EQ(parse_size("1T", "--memory-limit"), 1024 * kGiB);
  EXPECT_EQ(parse_size("100B", "--memory-limit"), 100u);
}

TEST(ParseSize, RejectsWhatIsNotAPositiveSize) {
  for (const char* bad : {"", "G", "-1G", "0", "2X", "2GG", "5iB", "nan", "inf", "1e30T"}) {
    try {
      parse_size(bad, "--memory-limit");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("--memory-limit '") + bad + "'"),
                std::string::npos)
          << e.what();
    }
  }
}

TEST(FormatBytes, PicksTheUnit) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(64 * kMiB), "64.0 MiB");
  EXPECT_EQ(format_bytes(3 * kGiB / 2), "1.50 GiB");
}

TEST(MemInfo, ReadsMemAvailableInKilobytes) {
  const std::string meminfo =
      "MemTotal:       24576000 kB\nMemFree:         1000000 kB\n"
      "MemAvailable:   19000000 kB\nBuffers:          100 kB\n";
  EXPECT_EQ(meminfo_available(meminfo), uint64_t{19000000} * 1024);
  EXPECT_EQ(meminfo_available("MemTotal: 100 kB\n"), std::nullopt);
  EXPECT_EQ(meminfo_available(""), std::nullopt);
}

TEST(Cgroup, MaxAndV1NoLimitMeanUnlimited) {
  EXPECT_EQ(cgroup_limit("2147483648\n"), uint64_t{2147483648});
  EXPECT_EQ(cgroup_limit("max\n"), std::nullopt);
  EXPECT_EQ(cgroup_limit("9223372036854771712\n"), std::nullopt);  // v1 "no limit"
  EXPECT_EQ(cgroup_limit(""), std::nullopt);
}

MemorySources plain_machine() {
  MemorySources s;
  s.meminfo = "MemAvailable:   16777216 kB\n";  // 16 GiB
  s.cgroup_v2_max = "max\n";
  return s;
}

TEST(SmallestLimit, MemAvailableIsSharedByTheRanksOnTheNode) {
  MemorySources s = plain_machine();
  MemoryLimit one = smallest_memory_limit(s, 1);
  EXPECT_EQ(one.bytes, 16 * kGiB);
  EXPECT_EQ(one.source, "MemAvailable in /proc/meminfo");
  MemoryLimit four = smallest_memory_limit(s, 4);
  EXPECT_EQ(four.bytes, 4 * kGiB);
  EXPECT_NE(four.source.find("/ 4 ranks on the node"), std::string::npos) << four.source;
  // The launcher's count of local ranks beats the caller's guess.
  s.ompi_local_size = "2";
  EXPECT_EQ(smallest_memory_limit(s, 4).bytes, 8 * kGiB);
  s.slurm_ntasks_per_node = "8(x2)";
  EXPECT_EQ(smallest_memory_limit(s, 4).bytes, 2 * kGiB);
}

TEST(SmallestLimit, TheSmallestSourceWins) {
  MemorySources s = plain_machine();
  s.cgroup_v2_max = std::to_string(8 * kGiB);
  EXPECT_EQ(smallest_memory_limit(s, 1).source, "cgroup memory.max");
  EXPECT_EQ(smallest_memory_limit(s, 2).bytes, 4 * kGiB);
  s.rlimit_data = 3 * kGiB;  // per process: not divided
  EXPECT_EQ(smallest_memory_limit(s, 2).bytes, 3 * kGiB);
  EXPECT_EQ(smallest_memory_limit(s, 2).source, "RLIMIT_DATA (ulimit -d)");
  s.slurm_mem_per_cpu = "1024";  // MB
  s.slurm_cpus_per_task = "2";
  MemoryLimit slurm = smallest_memory_limit(s, 2);
  EXPECT_EQ(slurm.bytes, 2 * kGiB);
  EXPECT_EQ(slurm.source, "SLURM_MEM_PER_CPU x 2 CPU(s) per task");
  s.slurm_mem_per_node = "2048";
  EXPECT_EQ(smallest_memory_limit(s, 2).bytes, 1 * kGiB);
}

TEST(SmallestLimit, NothingKnownIsUnlimited) {
  EXPECT_EQ(smallest_memory_limit(MemorySources{}, 1).bytes, MemoryLimit::kUnlimited);
}

TrainMemoryInputs one_rank(int factors) {
  TrainMemoryInputs in;
  in.users = 1000;
  in.anime = 500;
  in.user_block_rows = 1000;
  in.anime_block_rows = 500;
  in.user_block_ratings = 100000;
  in.anime_block_ratings = 100000;
  in.max_row_ratings = 2000;
  in.factors = factors;
  in.threads = 1;
  return in;
}

TEST(TrainEstimate, PartsFollowTheArithmetic) {
  TrainMemoryInputs in = one_rank(63);
  in.train_share = 0.5;
  in.validation_share = 0.25;
  MemoryEstimate e = estimate_train_memory(in);
  // 8 bytes a training entry, 12 a validation row of the user block, 8 a block row.
  EXPECT_EQ(e.ratings, 8u * 100000 + 12 * 25000 + 8 * (1500 + 2));
  // The larger slice (14 bytes a row); its blocks are counted in e.ratings.
  EXPECT_EQ(e.reading, 14u * 100000);
  TrainMemoryInputs long_users = in;
  long_users.user_block_ratings = 300000;
  EXPECT_EQ(estimate_train_memory(long_users).reading, 14u * 300000);
  // One copy plus the larger side's receive buffer (1000 of 1501 rows), 64 floats a row;
  // ids and offsets 16 bytes a row, one flag a user.
  const double copy = 1500.0 * 64 * 4;
  EXPECT_EQ(e.factors, static_cast<uint64_t>((1.0 + 1000.0 / 1501) * copy) + 1500 * 16 + 1000);
  // Reading and training do not overlap: the larger phase counts, plus 10%.
  EXPECT_EQ(e.total(),
            (e.ratings + e.process + std::max(e.reading, e.factors + e.workspace)) * 11 / 10);

  // Rank 0 with a validation split and checkpoints: the best copy, and the
  // checkpoint's current and best copies instead of the receive buffer.
  in.keeps_best = true;
  in.writes_files = true;
  in.checkpoints = true;
  MemoryEstimate rank0 = estimate_train_memory(in);
  EXPECT_EQ(rank0.factors, static_cast<uint64_t>(4 * copy) + 1500 * 16 + 1000);
  EXPECT_EQ(rank0.ratings, e.ratings);
}

TEST(TrainEstimate, GrowsWithThreadsFactorsAndCgRows) {
  MemoryEstimate base = estimate_train_memory(one_rank(64));
  TrainMemoryInputs threads = one_rank(64);
  threads.threads = 4;
  EXPECT_GT(estimate_train_memory(threads).workspace, base.workspace);
  TrainMemoryInputs cg = one_rank(64);
  cg.conjugate_gradient = true;  // a whole 2,000-rating row gathered (twice, growing)
  EXPECT_EQ(estimate_train_memory(cg).workspace - base.workspace, (4000u - 512) * 67 * 4);
  MemoryEstimate big = estimate_train_memory(one_rank(4096));
  EXPECT_GT(big.factors, 60 * base.factors);
  EXPECT_EQ(big.ratings, base.ratings);
}

TEST(PrepareEstimate, FortyBytesPerRowPlusTheProcess) {
  uint64_t small = estimate_prepare_memory(1000, 10);
  uint64_t big = estimate_prepare_memory(1000 + 10 * 1000000, 10);
  EXPECT_EQ(big - small, 40u * 1000000);
}

TEST(PrepareEstimate, LinesAreMeasuredWithoutTheHeader) {
  testing::TempDir dir;
  testing::write_file(dir.file("r.csv"), "a_long_header_line,with,columns\n1,2,3\n4,5,6\n");
  EXPECT_DOUBLE_EQ(average_line_bytes(dir.file("r.csv")), 6.0);
}

// A model that cannot fit fails before the ratings are read, with the
// estimate and the limit in the message and exit code 2.
TEST(TrainMemoryCheck, RefusesUpFrontWithTheEstimate) {
  testing::TempDir dir;
  data::SynthOptions synth;
  synth.users = 200;
  synth.anime = 100;
  synth.ratings = 4000;
  std::string dataset = testing::synthetic_dataset(dir, synth);
  std::string out;
  int rc =
      testing::run_animerec("train --dataset " + dataset + " --out " + dir.file("m.h5") +
                                " --factors 1024 --iterations 1 --threads 1 --memory-limit 64M",
                            &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("train needs about"), std::string::npos) << out;
  EXPECT_NE(out.find("but only 64.0 MiB is available (--memory-limit 64.0 MiB)"), std::string::npos)
      << out;
  EXPECT_NE(out.find("fewer --factors"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.h5")));

  // The same run with room for it prints the estimate and trains.
  rc = testing::run_animerec("train --dataset " + dataset + " --out " + dir.file("m.h5") +
                                 " --factors 8 --iterations 1 --threads 1 --memory-limit 2G",
                             &out);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("memory: about"), std::string::npos) << out;
  EXPECT_NE(out.find("available (--memory-limit 2.00 GiB)"), std::string::npos) << out;
}

TEST(PrepareMemoryCheck, RefusesAnInputTooLargeForTheLimit) {
  testing::TempDir dir;
  std::string rows = "user_id,anime_id,rating\n";
  for (int i = 0; i < 2000; ++i) rows += std::to_string(i) + ",1,5\n";
  testing::write_file(dir.file("r.csv"), rows);
  std::string out;
  int rc = testing::run_animerec("prepare --ratings " + dir.file("r.csv") + " --out " +
                                     dir.file("d.h5") + " --memory-limit 1M",
                                 &out);
  EXPECT_EQ(rc, 2) << out;
  EXPECT_NE(out.find("prepare needs about"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(dir.file("d.h5")));
}

}  // namespace
}  // namespace animerec
