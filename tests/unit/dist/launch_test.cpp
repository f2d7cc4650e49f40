// launched_by_mpi reads the launcher's environment; make_world_comm without a
// launcher is serial and never starts MPI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <optional>
#include <string>

#include "animerec/dist/comm.h"

namespace animerec::dist {
namespace {

const char* const kLauncherVars[] = {
    "OMPI_COMM_WORLD_SIZE", "PMIX_RANK",   "PMI_SIZE", "SLURM_PROCID",
    "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS"};

// Clears every launcher variable for the test and restores them afterwards,
// so the test means the same under mpirun or srun.
class LaunchedByMpi : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kLauncherVars) {
      const char* value = std::getenv(name);
      if (value != nullptr) saved_[name] = value;
      unsetenv(name);
    }
  }
  void TearDown() override {
    for (const char* name : kLauncherVars) {
      auto it = saved_.find(name);
      if (it == saved_.end()) {
        unsetenv(name);
      } else {
        setenv(name, it->second.c_str(), 1);
      }
    }
  }
  static void set(const char* name, const char* value) { setenv(name, value, 1); }

 private:
  std::map<std::string, std::string> saved_;
};

TEST_F(LaunchedByMpi, NotWithoutALauncher) { EXPECT_FALSE(launched_by_mpi()); }

TEST_F(LaunchedByMpi, OpenMpiMpirun) {
  set("OMPI_COMM_WORLD_SIZE", "4");
  EXPECT_TRUE(launched_by_mpi());
  set("OMPI_COMM_WORLD_SIZE", "1");  // mpirun -n 1 is still an MPI run
  EXPECT_TRUE(launched_by_mpi());
  set("OMPI_COMM_WORLD_SIZE", "");
  EXPECT_FALSE(launched_by_mpi());
}

TEST_F(LaunchedByMpi, PmixAndPmi) {
  set("PMIX_RANK", "0");
  EXPECT_TRUE(launched_by_mpi());
  unsetenv("PMIX_RANK");
  set("PMI_SIZE", "2");
  EXPECT_TRUE(launched_by_mpi());
}

TEST_F(LaunchedByMpi, SrunOfSeveralTasks) {
  set("SLURM_PROCID", "1");
  set("SLURM_STEP_NUM_TASKS", "4");
  EXPECT_TRUE(launched_by_mpi());
  set("SLURM_STEP_NUM_TASKS", "1");
  EXPECT_FALSE(launched_by_mpi());
  unsetenv("SLURM_PROCID");
  set("SLURM_STEP_NUM_TASKS", "4");
  EXPECT_FALSE(launched_by_mpi());
}

TEST_F(LaunchedByMpi, NotInTheSbatchScriptItself) {
  // sbatch --ntasks=4 sets these for the batch script, which is one process.
  set("SLURM_NTASKS", "4");
  set("SLURM_PROCID", "0");
  EXPECT_FALSE(launched_by_mpi());
}

TEST_F(LaunchedByMpi, WorldCommIsSerialWithoutALauncher) {
  int argc = 1;
  char name[] = "animerec";
  char* args[] = {name, nullptr};
  char** argv = args;
  auto comm = make_world_comm(&argc, &argv);
  EXPECT_NE(dynamic_cast<SerialComm*>(comm.get()), nullptr);
  EXPECT_EQ(comm->size(), 1);
}

}  // namespace
}  // namespace animerec::dist
