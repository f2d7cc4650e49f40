#pragma once
// The run manifest (docs/reproducibility.md): one JSON object that says how a
// `train` or `evaluate` run was made (command line, every parameter, program
// and library versions, dataset and its sha256, ranks, threads and hosts,
// start and end time) and what it measured. `train` stores it in the model
// (/manifest) and writes it beside the model; `animerec reproduce` re-runs a
// training from it.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace animerec {

inline constexpr int kManifestVersion = 1;

struct RunRecord {
  std::string command;  // "train" | "evaluate"
  std::string command_line;
  std::map<std::string, std::string> config;  // every parameter with its effective value
  std::string dataset_path;
  std::string dataset_sha256;
  int ranks = 1;
  int threads = 1;
  std::optional<uint64_t> seed;
  std::vector<std::string> hosts;  // one per rank, in rank order
  std::string started;             // UTC, ISO 8601
  std::string finished;
  // Versions only other layers can ask for at run time: "mpi" (dist::Comm)
  // and "hdf5" (io); merged with compiled_library_versions().
  std::map<std::string, std::string> runtime_libraries;
  nlohmann::json metrics;  // train: the last iteration's line; evaluate: the report
};

// The manifest object; its keys are listed in docs/reproducibility.md.
nlohmann::json manifest_json(const RunRecord& r);

// Compiler and the versions of the header libraries this binary was built
// with: Eigen, Boost, fmt, spdlog, nlohmann-json.
std::map<std::string, std::string> compiled_library_versions();
std::string compiler_version();  // e.g. "GCC 12.2.0"

// Now, UTC, ISO 8601 to the second ("2026-11-29T01:29:46Z").
std::string utc_now_iso8601();

// This machine's host name ("unknown" when the system does not say).
std::string host_name();

// model.h5 + ".run" -> model.run.json: the path beside `path` with its
// ".h5" extension (if any) replaced by `suffix` + ".json".
std::string path_beside(const std::string& path, const std::string& suffix);

// Writes the manifest as indented JSON through AtomicOutput; `what` names the
// parameter in error messages.
void write_manifest_file(const nlohmann::json& manifest, const std::string& path, bool overwrite,
                         const std::string& what);

}  // namespace animerec
