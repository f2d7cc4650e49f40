#pragma once
// Memory a run will need against memory the process may use, checked before
// the big allocations: a run that cannot fit fails up front with a message
// saying what to change, instead of std::bad_alloc or the OOM killer hours in.
//
// Available memory is the smallest of: MemAvailable (/proc/meminfo) and the
// cgroup limit (v2 memory.max or v1 memory.limit_in_bytes) shared by the
// ranks on the node; RLIMIT_AS and RLIMIT_DATA (per process); SLURM's
// --mem (SLURM_MEM_PER_NODE, shared by the node's tasks) and --mem-per-cpu
// (SLURM_MEM_PER_CPU x SLURM_CPUS_PER_TASK, per task). `--memory-limit SIZE`
// replaces all of them.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace animerec {

// Bytes a process may use and where that number came from ("MemAvailable
// 18.2 GiB / 2 ranks on the node", "--memory-limit 64M"). `bytes` is
// kUnlimited when nothing limits it.
struct MemoryLimit {
  static constexpr uint64_t kUnlimited = UINT64_MAX;
  uint64_t bytes = kUnlimited;
  std::string source = "no limit found";
};

// "64M", "2G", "1.5GiB", "512k", "1000000" (bytes): suffixes k/M/G/T, with
// optional "i"/"iB"/"B", are powers of 1024. Throws ConfigError naming
// `what` (e.g. "--memory-limit") and the text when it is not a positive size.
uint64_t parse_size(const std::string& text, const std::string& what);

// "1.23 GiB", "64.0 MiB", "512 B".
std::string format_bytes(uint64_t bytes);

// MemAvailable of /proc/meminfo text (kB in the file), nullopt if absent.
std::optional<uint64_t> meminfo_available(std::string_view meminfo);
// A cgroup limit file: bytes, or nullopt for "max" (v2), for v1's "no
// limit" (a value near 2^63) and for anything unparsable.
std::optional<uint64_t> cgroup_limit(std::string_view text);

// What limits the process, read from the system: see the top of this file.
// `local_ranks` share the node-wide limits; SLURM_NTASKS_PER_NODE or Open
// MPI's OMPI_COMM_WORLD_LOCAL_SIZE replace it when set.
MemoryLimit detect_memory_limit(int local_ranks);

// The inputs of the detection, so tests can give fixture text.
struct MemorySources {
  std::string meminfo;                // /proc/meminfo text ("" = unreadable)
  std::string cgroup_v2_max;          // /sys/fs/cgroup/memory.max
  std::string cgroup_v1_limit;        // /sys/fs/cgroup/memory/memory.limit_in_bytes
  std::optional<uint64_t> rlimit_as;  // soft limits, nullopt = unlimited
  std::optional<uint64_t> rlimit_data;
  std::string slurm_mem_per_node;  // MB, as SLURM sets it
  std::string slurm_mem_per_cpu;   // MB
  std::string slurm_cpus_per_task;
  std::string slurm_ntasks_per_node;  // "4" or "4(x2)"
  std::string ompi_local_size;        // ranks of this job on this node
};
MemorySources read_memory_sources();
MemoryLimit smallest_memory_limit(const MemorySources& s, int local_ranks);

// One rank's peak memory in training, in parts for the message.
struct TrainMemoryInputs {
  int64_t users = 0, anime = 0;  // whole dataset
  int64_t user_block_rows = 0, anime_block_rows = 0;
  int64_t user_block_ratings = 0;   // rows of the by-user slice this rank reads
  int64_t anime_block_ratings = 0;  // rows of the by-anime slice
  int64_t max_row_ratings = 0;      // longest row of either block (CG workspace)
  double train_share = 1.0;         // training rows / all rows (the blocks hold only those)
  double validation_share = 0.1;    // validation rows / all rows
  int factors = 0;
  int threads = 1;
  bool implicit = false;
  bool conjugate_gradient = false;
  bool keeps_best = false;       // a validation split: early stopping copies the best factors
  bool writes_files = false;     // rank 0: assembles checkpoints and the model
  bool checkpoints = false;      // --checkpoint-dir: current and best copies at once
  bool resumes = false;          // --resume reads a checkpoint beside the initial factors
  int ranking_factors = 0;       // the ranking part's implicit fit after the main one
  int64_t content_features = 0;  // hybrid: an upper bound on the vocabulary size
};
// Reading the ratings peaks before the factors exist, so the total is the
// CSR blocks plus the larger of the two phases, plus 10% for the allocator's
// slack and HDF5's buffers (measured: docs/faults.md, "Faults and limits").
struct MemoryEstimate {
  uint64_t ratings = 0;    // CSR blocks of the training entries, validation rows
  uint64_t reading = 0;    // extra while the ratings are read: the slice being converted
  uint64_t factors = 0;    // replicated factors and biases, their copies, ids
  uint64_t workspace = 0;  // solver buffers per thread, gram matrices, content
  uint64_t process = 0;    // code, libraries, MPI
  uint64_t total() const {
    return (ratings + process + std::max(reading, factors + workspace)) * 11 / 10;
  }
};
MemoryEstimate estimate_train_memory(const TrainMemoryInputs& in);

// prepare holds the rows of the input (13 bytes each while reading) and both
// orientations of the arrays it writes: the peak is 2 x 20 bytes per row plus
// the id maps. The row count is estimated from the file size and the bytes
// per row of the file's first lines.
uint64_t estimate_prepare_memory(uint64_t input_bytes, double bytes_per_line);
// Mean bytes per line of the first 4 MiB of a file, its first line (a
// header) left out; the file's size when it has one line or none.
double average_line_bytes(const std::string& path);

}  // namespace animerec
