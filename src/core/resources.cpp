#include "animerec/core/resources.h"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "animerec/core/error.h"

namespace animerec {

namespace {

constexpr double kKiB = 1024.0;
constexpr uint64_t kMiB = uint64_t{1} << 20;
// Code, libraries and MPI's buffers: the peak RSS of `train` on a 300-rating
// dataset is 22 MiB alone and 25-29 MiB per rank under mpiexec.
constexpr uint64_t kProcessBaseline = 32 * kMiB;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

// The leading unsigned integer of `text` (after spaces), nullopt if none.
std::optional<uint64_t> leading_integer(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  if (i == text.size() || !std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
  uint64_t v = 0;
  for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); ++i) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(text[i] - '0');
  }
  return v;
}

std::optional<uint64_t> soft_rlimit(int resource) {
  rlimit r{};
  if (getrlimit(resource, &r) != 0 || r.rlim_cur == RLIM_INFINITY) return std::nullopt;
  return static_cast<uint64_t>(r.rlim_cur);
}

// Ranks of this job on this node: SLURM_NTASKS_PER_NODE ("4" or "4(x2)"),
// else Open MPI's local size, else the caller's conservative guess.
int ranks_on_node(const MemorySources& s, int local_ranks) {
  for (const std::string* text : {&s.slurm_ntasks_per_node, &s.ompi_local_size}) {
    auto n = leading_integer(*text);
    if (n && *n > 0) return static_cast<int>(*n);
  }
  return std::max(1, local_ranks);
}

void consider(MemoryLimit& best, std::optional<uint64_t> bytes, const std::string& source) {
  if (bytes && *bytes < best.bytes) best = MemoryLimit{*bytes, source};
}

// A node-wide amount shared by `ranks` ranks, with its source spelled out.
void consider_shared(MemoryLimit& best, std::optional<uint64_t> bytes, const std::string& name,
                     int ranks) {
  if (!bytes) return;
  std::string source =
      ranks > 1 ? fmt::format("{} {} / {} ranks on the node", name, format_bytes(*bytes), ranks)
                : name;
  consider(best, *bytes / static_cast<uint64_t>(ranks), source);
}

}  // namespace

uint64_t parse_size(const std::string& text, const std::string& what) {
  auto bad = [&] {
    return ConfigError(
        fmt::format("{} '{}': expected a size such as 512M, 2G or 1.5GiB", what, text));
  };
  size_t end = 0;
  double value = 0;
  try {
    value = std::stod(text, &end);
  } catch (const std::exception&) {
    throw bad();
  }
  std::string unit = text.substr(end);
  if (unit.ends_with("iB")) {
    unit.resize(unit.size() - 2);
    if (unit.empty()) throw bad();  // "5iB"
  } else if (unit.ends_with("B")) {
    unit.resize(unit.size() - 1);
  }
  double scale = 1;
  if (!unit.empty()) {
    const std::string units = "KMGT";
    size_t p =
        unit.size() == 1 ? units.find(static_cast<char>(std::toupper(unit[0]))) : std::string::npos;
    if (p == std::string::npos) throw bad();
    scale = std::pow(1024.0, static_cast<double>(p + 1));
  }
  double bytes = value * scale;
  if (!std::isfinite(bytes) || bytes < 1 || bytes >= 1.8e19) throw bad();
  return static_cast<uint64_t>(bytes);
}

std::string format_bytes(uint64_t bytes) {
  const char* names[] = {"KiB", "MiB", "GiB", "TiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes);
  int i = -1;
  while (v >= kKiB && i < 3) {
    v /= kKiB;
    ++i;
  }
  return fmt::format("{:.{}f} {}", v, v < 10 ? 2 : 1, names[i]);
}

std::optional<uint64_t> meminfo_available(std::string_view meminfo) {
  constexpr std::string_view kKey = "MemAvailable:";
  size_t at = meminfo.find(kKey);
  if (at == std::string_view::npos || (at > 0 && meminfo[at - 1] != '\n')) return std::nullopt;
  auto kb = leading_integer(meminfo.substr(at + kKey.size()));
  if (!kb) return std::nullopt;
  return *kb * 1024;
}

std::optional<uint64_t> cgroup_limit(std::string_view text) {
  auto v = leading_integer(text);
  // cgroup v1 writes "no limit" as the largest page-aligned long.
  if (!v || *v >= (uint64_t{1} << 62)) return std::nullopt;
  return v;
}

MemorySources read_memory_sources() {
  MemorySources s;
  s.meminfo = read_text("/proc/meminfo");
  s.cgroup_v2_max = read_text("/sys/fs/cgroup/memory.max");
  s.cgroup_v1_limit = read_text("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  s.rlimit_as = soft_rlimit(RLIMIT_AS);
  s.rlimit_data = soft_rlimit(RLIMIT_DATA);
  s.slurm_mem_per_node = env("SLURM_MEM_PER_NODE");
  s.slurm_mem_per_cpu = env("SLURM_MEM_PER_CPU");
  s.slurm_cpus_per_task = env("SLURM_CPUS_PER_TASK");
  s.slurm_ntasks_per_node = env("SLURM_NTASKS_PER_NODE");
  s.ompi_local_size = env("OMPI_COMM_WORLD_LOCAL_SIZE");
  return s;
}

MemoryLimit smallest_memory_limit(const MemorySources& s, int local_ranks) {
  const int ranks = ranks_on_node(s, local_ranks);
  MemoryLimit best;
  consider_shared(best, meminfo_available(s.meminfo), "MemAvailable in /proc/meminfo", ranks);
  consider_shared(best, cgroup_limit(s.cgroup_v2_max), "cgroup memory.max", ranks);
  consider_shared(best, cgroup_limit(s.cgroup_v1_limit), "cgroup memory.limit_in_bytes", ranks);
  consider(best, s.rlimit_as, "RLIMIT_AS (ulimit -v)");
  consider(best, s.rlimit_data, "RLIMIT_DATA (ulimit -d)");
  constexpr uint64_t kSlurmMb = uint64_t{1} << 20;  // SLURM gives MB of 2^20 bytes
  if (auto mb = leading_integer(s.slurm_mem_per_node)) {
    consider_shared(best, *mb * kSlurmMb, "SLURM_MEM_PER_NODE", ranks);
  }
  if (auto mb = leading_integer(s.slurm_mem_per_cpu)) {
    uint64_t cpus = leading_integer(s.slurm_cpus_per_task).value_or(1);
    consider(best, *mb * kSlurmMb * std::max<uint64_t>(cpus, 1),
             fmt::format("SLURM_MEM_PER_CPU x {} CPU(s) per task", std::max<uint64_t>(cpus, 1)));
  }
  return best;
}

MemoryLimit detect_memory_limit(int local_ranks) {
  return smallest_memory_limit(read_memory_sources(), local_ranks);
}

MemoryEstimate estimate_train_memory(const TrainMemoryInputs& in) {
  const auto k = static_cast<uint64_t>(in.factors);
  const auto users = static_cast<uint64_t>(in.users);
  const auto anime = static_cast<uint64_t>(in.anime);
  const auto ub = static_cast<double>(in.user_block_ratings);
  const auto ab = static_cast<double>(in.anime_block_ratings);
  MemoryEstimate e;

  // The CSR blocks of the training entries (column and value, 8 bytes) and
  // their offsets, and the validation rows (12 bytes) of the user block.
  e.ratings =
      static_cast<uint64_t>(8 * in.train_share * (ub + ab) + 12 * in.validation_share * ub) +
      8 * static_cast<uint64_t>(in.user_block_rows + in.anime_block_rows + 2);
  // The ranking part's blocks (every interaction) are built from the same
  // read and held beside the main fit's until it ends.
  if (in.ranking_factors > 0) {
    e.ratings += static_cast<uint64_t>(8 * in.train_share * (ub + ab)) +
                 8 * static_cast<uint64_t>(in.user_block_rows + in.anime_block_rows + 2);
  }
  // While a slice is read (14 bytes a row: user, anime, score, status, split)
  // its blocks are built beside it, allocated once at their size (counted
  // above): the larger slice counts.
  e.reading = static_cast<uint64_t>(14 * std::max(ub, ab));

  // One copy of both sides' factors and biases; the best iteration's copy;
  // one side's worth of transient buffers (the exchange used to gather into
  // one; it now gathers in place, so this is headroom: the 109M run peaks
  // while reading, before the factors exist) or, on rank 0, the model (one copy) or the
  // checkpoint (current and best), or the checkpoint read on --resume.
  const uint64_t one_copy = (users + anime) * (k + 1) * sizeof(float);
  double transient =
      static_cast<double>(std::max(users, anime)) / static_cast<double>(users + anime + 1);
  if (in.writes_files) transient = std::max(transient, in.checkpoints ? 2.0 : 1.0);
  if (in.resumes) transient = std::max(transient, 2.0);
  const double copies = 1.0 + (in.keeps_best ? 1.0 : 0.0) + transient;
  e.factors = static_cast<uint64_t>(copies * static_cast<double>(one_copy));
  // Offsets and ids of the header, the validation sample flags.
  e.factors += (users + anime) * 16 + users;
  if (in.ranking_factors > 0) {
    e.factors += static_cast<uint64_t>(
        1.5 *
        static_cast<double>((users + anime) * static_cast<uint64_t>(in.ranking_factors + 1) * 4));
  }

  // Per thread: the gathered rows (512 at a time, a whole row for CG) and
  // four dim x dim matrices (one float, three double).
  const uint64_t dim = in.implicit ? k : k + 1;
  const uint64_t rows = in.conjugate_gradient
                            ? std::max<uint64_t>(512, 2 * static_cast<uint64_t>(in.max_row_ratings))
                            : 512;
  const uint64_t per_thread = rows * (dim + 2) * 4 + dim * dim * (4 + 3 * 8);
  e.workspace = per_thread * static_cast<uint64_t>(std::max(1, in.threads));
  if (in.implicit) {
    // Y^T Y, its float copy per thread, and up to 64 partial sums while it is formed.
    const uint64_t partials = std::clamp<uint64_t>((std::max(users, anime) + 4095) / 4096, 1, 64);
    e.workspace += k * k * (8 * (1 + partials) + 4 * static_cast<uint64_t>(in.threads));
  }
  if (in.content_features > 0) {
    // X^T X, X^T [Y | c], W and the best W (doubles); the content rows.
    const auto f = static_cast<uint64_t>(in.content_features);
    e.workspace += f * f * 8 + 3 * f * (k + 1) * 8 + anime * 64 * 8;
  }
  e.process = kProcessBaseline;
  return e;
}

double average_line_bytes(const std::string& path) {
  constexpr size_t kSample = size_t{4} << 20;
  std::ifstream in(path, std::ios::binary);
  std::string sample(kSample, '\0');
  in.read(sample.data(), static_cast<std::streamsize>(sample.size()));
  sample.resize(static_cast<size_t>(in.gcount()));
  // Skip the first line: a header is longer or shorter than the rows.
  size_t first = sample.find('\n');
  if (first == std::string::npos) return static_cast<double>(std::max<size_t>(sample.size(), 1));
  size_t last = sample.rfind('\n');
  auto lines =
      static_cast<double>(std::count(sample.begin() + static_cast<std::ptrdiff_t>(first) + 1,
                                     sample.begin() + static_cast<std::ptrdiff_t>(last) + 1, '\n'));
  return lines > 0 ? static_cast<double>(last - first) / lines : static_cast<double>(sample.size());
}

uint64_t estimate_prepare_memory(uint64_t input_bytes, double bytes_per_line) {
  const double rows = static_cast<double>(input_bytes) / std::max(1.0, bytes_per_line);
  // 2 x the 20 bytes per row of the arrays written (docs/benchmarks.md, prepare bench).
  return static_cast<uint64_t>(rows * 40.0) + kProcessBaseline;
}

}  // namespace animerec
