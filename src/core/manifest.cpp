#include "animerec/core/manifest.h"

#include <fmt/format.h>
#include <spdlog/version.h>
#include <unistd.h>

#include <Eigen/Core>
#include <boost/version.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "animerec/core/atomic_file.h"
#include "animerec/core/build_info.h"
#include "animerec/core/error.h"

namespace animerec {

std::string compiler_version() {
#if defined(__clang__)
  return fmt::format("Clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  return fmt::format("GCC {}", __VERSION__);
#else
  return "unknown";
#endif
}

std::map<std::string, std::string> compiled_library_versions() {
  return {
      {"eigen",
       fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION)},
      // BOOST_VERSION is 108100 for 1.81.0.
      {"boost", fmt::format("{}.{}.{}", BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000,
                            BOOST_VERSION % 100)},
      {"fmt",
       fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100)},
      {"spdlog", fmt::format("{}.{}.{}", SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH)},
      {"nlohmann_json", fmt::format("{}.{}.{}", NLOHMANN_JSON_VERSION_MAJOR,
                                    NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)},
  };
}

nlohmann::json manifest_json(const RunRecord& r) {
  nlohmann::json libraries = compiled_library_versions();
  for (const auto& [name, version] : r.runtime_libraries) libraries[name] = version;
  nlohmann::json m;
  m["manifest_version"] = kManifestVersion;
  m["command"] = r.command;
  m["command_line"] = r.command_line;
  m["config"] = r.config;
  m["program"] = {{"version", program_version()},
                  {"build_commit", build_commit()},
                  {"compiler", compiler_version()}};
  m["libraries"] = libraries;
  m["dataset"] = {{"path", r.dataset_path}, {"sha256", r.dataset_sha256}};
  m["ranks"] = r.ranks;
  m["threads"] = r.threads;
  m["seed"] = r.seed ? nlohmann::json(*r.seed) : nlohmann::json(nullptr);
  m["hosts"] = r.hosts;
  m["started"] = r.started;
  m["finished"] = r.finished;
  m["metrics"] = r.metrics;
  return m;
}

std::string utc_now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

std::string path_beside(const std::string& path, const std::string& suffix) {
  std::filesystem::path p(path);
  if (p.extension() == ".h5") p.replace_extension();
  return p.string() + suffix + ".json";
}

void write_manifest_file(const nlohmann::json& manifest, const std::string& path, bool overwrite,
                         const std::string& what) {
  AtomicOutput out(path, overwrite, what);
  FILE* f = std::fopen(out.temp_path().c_str(), "w");
  if (f == nullptr) {
    throw IoError(fmt::format("{} {}: cannot create {}: {}", what, path, out.temp_path(),
                              std::strerror(errno)));
  }
  // NaN metrics (a split without rows) become null: JSON has no NaN.
  const std::string text =
      manifest.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const int write_errno = ok ? 0 : errno;
  const bool closed = std::fclose(f) == 0;
  if (!ok || !closed) {
    throw IoError(fmt::format("{} {}: write failed: {}", what, path,
                              std::strerror(ok ? errno : write_errno)));
  }
  out.commit();
}

}  // namespace animerec
