// The only file that includes <mpi.h>: Comm over MPI_COMM_WORLD, the launcher
// detection, and the choice between MPI and serial.
// Only the C API: the deprecated C++ bindings would come along otherwise.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <fmt/format.h>
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "animerec/core/error.h"
#include "animerec/dist/comm.h"

namespace animerec::dist {

namespace {

std::atomic<int64_t> g_max_elements_per_call{0};

// Keeps every count and displacement an int and every message under 1 GiB,
// well clear of the 2 GiB limits some transports still have.
int64_t max_elements_per_call(size_t element_size) {
  const int64_t forced = g_max_elements_per_call.load();
  if (forced > 0) return std::min<int64_t>(INT_MAX, forced);
  return std::min<int64_t>(INT_MAX, (int64_t{1} << 30) / static_cast<int64_t>(element_size));
}

// MPI_ERRORS_RETURN is set on the communicator, so failures come back as codes.
void check(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  throw Error(fmt::format("{} failed: {}", call,
                          length > 0 ? std::string(text, static_cast<size_t>(length))
                                     : fmt::format("MPI error code {}", rc)),
              kExitInternal);
}

// A caller bug only this rank can see: throwing would leave the other ranks
// waiting in the collective, so end the job instead.
[[noreturn]] void abort_job(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "animerec: internal error: %s\n", message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, kExitInternal);
  std::_Exit(kExitInternal);
}

template <typename T>
MPI_Datatype mpi_type();
template <>
MPI_Datatype mpi_type<float>() {
  return MPI_FLOAT;
}
template <>
MPI_Datatype mpi_type<double>() {
  return MPI_DOUBLE;
}
template <>
MPI_Datatype mpi_type<int64_t>() {
  return MPI_INT64_T;
}

// Prefix sums of counts (size + 1 entries). Every rank sees the same counts
// and all.size(), so these errors are thrown on every rank alike.
std::vector<int64_t> displacements(const std::vector<int64_t>& counts, int size, size_t all_size) {
  if (counts.size() != static_cast<size_t>(size)) {
    throw Error(fmt::format("allgatherv: {} counts for {} ranks", counts.size(), size),
                kExitInternal);
  }
  std::vector<int64_t> displs(counts.size() + 1, 0);
  for (size_t r = 0; r < counts.size(); ++r) {
    if (counts[r] < 0) {
      throw Error(fmt::format("allgatherv: negative count {} for rank {}", counts[r], r),
                  kExitInternal);
    }
    displs[r + 1] = displs[r] + counts[r];
  }
  if (static_cast<size_t>(displs.back()) != all_size) {
    throw Error(fmt::format("allgatherv: counts sum to {} but all has {} elements", displs.back(),
                            all_size),
                kExitInternal);
  }
  return displs;
}

// One allgatherv call filling all[begin, end): each rank sends the part of
// its piece that falls in the window, so counts and displacements relative
// to the window stay below max_elements_per_call.
struct Window {
  int64_t begin;
  int64_t end;
};

template <typename T>
void gather_window(const T* mine, bool in_place, T* all, const std::vector<int64_t>& displs,
                   int rank, Window w) {
  const size_t parts = displs.size() - 1;
  std::vector<int> counts(parts, 0);
  std::vector<int> offsets(parts, 0);
  for (size_t r = 0; r < parts; ++r) {
    const int64_t lo = std::max(displs[r], w.begin);
    const int64_t hi = std::min(displs[r + 1], w.end);
    if (hi <= lo) continue;
    counts[r] = static_cast<int>(hi - lo);
    offsets[r] = static_cast<int>(lo - w.begin);
  }
  const auto me = static_cast<size_t>(rank);
  const void* send = mine;  // may be null when this rank sends nothing
  if (in_place) {
    send = MPI_IN_PLACE;
  } else if (counts[me] > 0) {
    send = mine + (std::max(displs[me], w.begin) - displs[me]);
  }
  check(MPI_Allgatherv(send, counts[me], mpi_type<T>(), all + w.begin, counts.data(),
                       offsets.data(), mpi_type<T>(), MPI_COMM_WORLD),
        "MPI_Allgatherv");
}

// True when [a, a + n) and [b, b + m) share an element (n, m > 0).
template <typename T>
bool overlaps(const T* a, size_t n, const T* b, size_t m) {
  const auto ia = reinterpret_cast<std::uintptr_t>(a);
  const auto ib = reinterpret_cast<std::uintptr_t>(b);
  return n > 0 && m > 0 && ia < ib + m * sizeof(T) && ib < ia + n * sizeof(T);
}

template <typename T>
void gather(std::span<const T> mine, std::span<T> all, const std::vector<int64_t>& counts, int rank,
            int size) {
  const std::vector<int64_t> displs = displacements(counts, size, all.size());
  const auto me = static_cast<size_t>(rank);
  if (mine.size() != static_cast<size_t>(counts[me])) {
    abort_job(fmt::format("allgatherv on rank {}: counts[{}] = {} but mine has {} elements", rank,
                          rank, counts[me], mine.size()));
  }
  const bool in_place = !mine.empty() && mine.data() == all.data() + displs[me];
  if (!in_place && overlaps(mine.data(), mine.size(), all.data(), all.size())) {
    abort_job(
        fmt::format("allgatherv on rank {}: mine overlaps all but is not its own slice", rank));
  }
  const int64_t step = max_elements_per_call(sizeof(T));
  for (int64_t begin = 0; begin < displs.back(); begin += step) {
    gather_window(mine.data(), in_place, all.data(), displs, rank,
                  Window{begin, std::min(displs.back(), begin + step)});
  }
}

class MpiComm final : public Comm {
 public:
  // After MPI_Init; may throw, the destructor still finalizes.
  void attach() {
    check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
    check(MPI_Comm_rank(MPI_COMM_WORLD, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(MPI_COMM_WORLD, &size_), "MPI_Comm_size");
  }

  // abort() never returns, so an aborted job never gets here.
  ~MpiComm() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Finalize();
  }

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void allgatherv(std::span<const float> mine, std::span<float> all,
                  const std::vector<int64_t>& counts) override {
    gather(mine, all, counts, rank_, size_);
  }
  void allgatherv(std::span<const double> mine, std::span<double> all,
                  const std::vector<int64_t>& counts) override {
    gather(mine, all, counts, rank_, size_);
  }
  void allgatherv(std::span<const int64_t> mine, std::span<int64_t> all,
                  const std::vector<int64_t>& counts) override {
    gather(mine, all, counts, rank_, size_);
  }

  void allreduce_sum(std::span<int64_t> values) override {
    const auto total = static_cast<int64_t>(values.size());
    const int64_t step = max_elements_per_call(sizeof(int64_t));
    for (int64_t begin = 0; begin < total; begin += step) {
      const auto n = static_cast<int>(std::min(step, total - begin));
      check(MPI_Allreduce(MPI_IN_PLACE, values.data() + begin, n, MPI_INT64_T, MPI_SUM,
                          MPI_COMM_WORLD),
            "MPI_Allreduce(sum)");
    }
  }

  int allreduce_max(int value) override {
    int result = value;
    check(MPI_Allreduce(&value, &result, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD),
          "MPI_Allreduce(max)");
    return result;
  }

  void broadcast(std::string& text, int root) override {
    // Checked here rather than left to MPI: some builds skip argument checks.
    if (root < 0 || root >= size_) {
      throw Error(fmt::format("broadcast: root {} is not a rank of {}", root, size_),
                  kExitInternal);
    }
    int64_t length = rank_ == root ? static_cast<int64_t>(text.size()) : 0;
    check(MPI_Bcast(&length, 1, MPI_INT64_T, root, MPI_COMM_WORLD), "MPI_Bcast(length)");
    if (rank_ != root) text.assign(static_cast<size_t>(length), '\0');
    const int64_t step = max_elements_per_call(1);
    for (int64_t begin = 0; begin < length; begin += step) {
      const auto n = static_cast<int>(std::min(step, length - begin));
      check(MPI_Bcast(text.data() + begin, n, MPI_CHAR, root, MPI_COMM_WORLD), "MPI_Bcast");
    }
  }

  void barrier() override { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

  std::vector<std::string> allgather(const std::string& mine) override {
    std::vector<std::string> all(static_cast<size_t>(size_));
    for (int r = 0; r < size_; ++r) {
      all[static_cast<size_t>(r)] = r == rank_ ? mine : std::string();
      broadcast(all[static_cast<size_t>(r)], r);
    }
    return all;
  }

  std::string library_version() const override {
    char text[MPI_MAX_LIBRARY_VERSION_STRING];
    int length = 0;
    check(MPI_Get_library_version(text, &length), "MPI_Get_library_version");
    // Open MPI ends the text with a newline; the manifest wants one line.
    std::string version(text, static_cast<size_t>(length));
    while (!version.empty() &&
           (version.back() == '\n' || version.back() == ' ' || version.back() == '\0')) {
      version.pop_back();
    }
    return version;
  }

  [[noreturn]] void abort(int exit_code) override {
    // Flush first: MPI_Abort kills this process without running destructors.
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this keeps [[noreturn]] true
  }

 private:
  int rank_ = 0;
  int size_ = 1;
};

const char* env_value(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// The variable as a whole non-negative integer, or -1.
int64_t env_int(const char* name) {
  const char* value = env_value(name);
  if (value == nullptr) return -1;
  char* end = nullptr;
  const long long parsed = std::strtoll(value, &end, 10);
  return *end == '\0' && parsed >= 0 ? parsed : -1;
}

// The world size the launcher announced, or -1 when it does not say.
int64_t announced_world_size() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}) {
    if (env_value(name) != nullptr) return env_int(name);
  }
  if (env_value("SLURM_PROCID") != nullptr) return env_int("SLURM_STEP_NUM_TASKS");
  return -1;
}

// A launcher that starts N tasks but gives them no way to find each other
// (srun without an MPI plugin) yields N one-rank worlds that would each
// train everything and race to write the same output.
void check_world_size(int size) {
  const int64_t announced = announced_world_size();
  if (announced > 0 && announced != size) {
    throw Error(fmt::format("the launcher started {} tasks but MPI sees a world of {}; with srun "
                            "pass --mpi=pmix (or pmi2), or launch with mpirun",
                            announced, size),
                kExitInternal);
  }
}

}  // namespace

void set_max_elements_per_call(int64_t max_elements) {
  g_max_elements_per_call.store(std::max<int64_t>(0, max_elements));
}

bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"}) {
    if (env_value(name) != nullptr) return true;
  }
  return env_value("SLURM_PROCID") != nullptr && env_int("SLURM_STEP_NUM_TASKS") > 1;
}

std::unique_ptr<Comm> make_mpi_comm(int* argc, char*** argv) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized || finalized) {
    throw Error("make_mpi_comm: MPI was already initialised in this process", kExitInternal);
  }
  int provided = 0;
  check(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  auto comm = std::make_unique<MpiComm>();  // from here on its destructor finalizes
  comm->attach();
  // OpenMP threads compute between MPI calls, which only the main thread makes.
  if (provided < MPI_THREAD_FUNNELED) {
    throw Error("MPI_Init_thread: this MPI library does not provide MPI_THREAD_FUNNELED",
                kExitInternal);
  }
  check_world_size(comm->size());
  return comm;
}

std::unique_ptr<Comm> make_world_comm(int* argc, char*** argv) {
  if (launched_by_mpi()) return make_mpi_comm(argc, argv);
  return std::make_unique<SerialComm>();
}

}  // namespace animerec::dist
