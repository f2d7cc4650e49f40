#pragma once
// The communication the trainer needs, behind an interface so the math never
// sees MPI: SerialComm for one process (tests, P = 1 without mpirun) and an
// MPI implementation in src/dist/mpi_comm.cpp (the only file that includes
// <mpi.h>). Every call is collective: all ranks must make it, in the same order.
//
// Errors: arguments every rank sees alike (counts.size(), all.size(), root)
// and failures MPI reports throw animerec::Error (exit code kExitInternal) on
// the ranks that see them; a local mismatch (mine.size() != counts[rank()])
// aborts the whole job, since throwing on one rank would leave the others
// waiting in the collective forever.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace animerec::dist {

class Comm {
 public:
  virtual ~Comm() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // Concatenation, in rank order, of every rank's `mine`; counts[r] is rank
  // r's element count (known to all), all.size() == sum(counts). `mine` may
  // be this rank's own slice of `all` (in place); otherwise they must not overlap.
  virtual void allgatherv(std::span<const float> mine, std::span<float> all,
                          const std::vector<int64_t>& counts) = 0;
  virtual void allgatherv(std::span<const double> mine, std::span<double> all,
                          const std::vector<int64_t>& counts) = 0;
  virtual void allgatherv(std::span<const int64_t> mine, std::span<int64_t> all,
                          const std::vector<int64_t>& counts) = 0;

  // Element-wise exact integer sums (order cannot matter).
  virtual void allreduce_sum(std::span<int64_t> values) = 0;
  // Element-wise max, for agreeing on flags (stop, checkpoint, error).
  virtual int allreduce_max(int value) = 0;

  // Replaces `text` on every rank with root's.
  virtual void broadcast(std::string& text, int root) = 0;
  virtual void barrier() = 0;

  // Every rank's `mine`, in rank order (short texts such as host names: one
  // broadcast per rank).
  virtual std::vector<std::string> allgather(const std::string& mine) = 0;

  // The MPI library this process runs on (MPI_Get_library_version), for the
  // run manifest; "none (serial)" without MPI. Not collective.
  virtual std::string library_version() const = 0;

  // Ends the whole job (every rank) with `exit_code`; never returns.
  [[noreturn]] virtual void abort(int exit_code) = 0;
};

class SerialComm final : public Comm {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allgatherv(std::span<const float> mine, std::span<float> all,
                  const std::vector<int64_t>& counts) override;
  void allgatherv(std::span<const double> mine, std::span<double> all,
                  const std::vector<int64_t>& counts) override;
  void allgatherv(std::span<const int64_t> mine, std::span<int64_t> all,
                  const std::vector<int64_t>& counts) override;
  void allreduce_sum(std::span<int64_t>) override {}
  int allreduce_max(int value) override { return value; }
  void broadcast(std::string&, int) override {}
  void barrier() override {}
  std::vector<std::string> allgather(const std::string& mine) override { return {mine}; }
  std::string library_version() const override { return "none (serial)"; }
  [[noreturn]] void abort(int exit_code) override;
};

// True when this process was started by an MPI launcher, read from the
// environment: OMPI_COMM_WORLD_SIZE (Open MPI mpirun/mpiexec), PMIX_RANK
// (any PMIx launcher, e.g. srun --mpi=pmix) or PMI_SIZE (PMI-1/2: MPICH and
// Intel MPI hydra, srun --mpi=pmi2) is set and non-empty, or SLURM_PROCID is
// set and SLURM_STEP_NUM_TASKS > 1 (srun of several tasks). The Slurm test
// uses the step's task count, not SLURM_NTASKS: sbatch also sets SLURM_NTASKS
// and SLURM_PROCID=0 in the batch script itself, where a plain
// `animerec train` is one serial process. mpirun -n 1 counts as launched.
bool launched_by_mpi();

// MPI_Init (thread level FUNNELED) and a Comm over MPI_COMM_WORLD; MPI_Finalize
// when the returned object is destroyed. Call at most once per process.
// Throws animerec::Error when MPI is already initialised or when the launcher
// announced a different world size than MPI_Init produced (e.g. srun without
// --mpi=pmix turns every task into a one-rank world of its own).
// MPI_Finalize waits for every rank: after an error on some ranks only, call
// abort() instead of destroying the Comm.
std::unique_ptr<Comm> make_mpi_comm(int* argc, char*** argv);

// make_mpi_comm when launched_by_mpi(), else a SerialComm.
std::unique_ptr<Comm> make_world_comm(int* argc, char*** argv);

// The most elements one MPI call moves: larger allgatherv, allreduce_sum and
// broadcast calls are split into several, because MPI counts and displacements
// are int and very large messages trip some transports. 0 (the default) means
// min(INT_MAX, 1 GiB / element size). Tests lower it to exercise the splitting
// with small arrays. Process-wide; every rank must use the same value.
void set_max_elements_per_call(int64_t max_elements);

}  // namespace animerec::dist
