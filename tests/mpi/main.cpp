// gtest main for the MPI tests: creates the world communicator once, runs the
// tests on every rank, lets only rank 0 print the usual report (other ranks
// print just their failures, tagged with the rank), and exits non-zero on
// every rank when a test failed on any.
//
// --animerec_source=FILE runs only the tests defined in tests/mpi/FILE
// (unless --gtest_filter is given): CTest registers one test per file this way.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "animerec/dist/comm.h"
#include "mpi_env.h"

namespace animerec::testing {

namespace {

dist::Comm* g_world = nullptr;

// Ranks other than 0 replace gtest's printer with this one, so a run at N
// ranks prints one report, plus whatever went wrong elsewhere.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::fprintf(stderr, "[rank %d] %s:%d: Failure\n%s\n", rank_,
                 result.file_name() ? result.file_name() : "?", result.line_number(),
                 result.message());
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!info.result()->Failed()) return;
    std::fprintf(stderr, "[rank %d] [  FAILED  ] %s.%s\n", rank_, info.test_suite_name(),
                 info.name());
  }

 private:
  int rank_;
};

// After each test every rank learns whether it failed anywhere, so rank 0 can
// name the tests that failed on other ranks only (printed after the run, not
// inside gtest's report). Collective: safe because every rank runs the same
// tests in the same order.
class FailureAgreement : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& info) override {
    const bool here = info.result()->Failed();
    int anywhere = 0;
    try {
      anywhere = world().allreduce_max(here ? 1 : 0);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "[rank %d] %s\n", world().rank(), e.what());
      world().abort(1);
    }
    if (anywhere != 0 && !here) {
      failed_elsewhere.push_back(std::string(info.test_suite_name()) + "." + info.name());
    }
  }

  static inline std::vector<std::string> failed_elsewhere;
};

bool is_path_of(const std::string& path, const std::string& file) {
  return path == file || (path.size() > file.size() &&
                          path.compare(path.size() - file.size(), file.size(), file) == 0 &&
                          path[path.size() - file.size() - 1] == '/');
}

// "Suite.Name:..." for every test defined in `file` (a name in tests/mpi/).
std::string filter_for_file(const std::string& file) {
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  std::string filter;
  for (int i = 0; i < unit.total_test_suite_count(); ++i) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(i);
    for (int j = 0; j < suite.total_test_count(); ++j) {
      const ::testing::TestInfo& info = *suite.GetTestInfo(j);
      if (!is_path_of(info.file(), file)) continue;
      if (!filter.empty()) filter += ':';
      filter.append(suite.name()).append(".").append(info.name());
    }
  }
  return filter;
}

// Applies --animerec_source; false when it names no test file.
bool select_source(int argc, char** argv) {
  const char* prefix = "--animerec_source=";
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], prefix, std::strlen(prefix)) != 0) continue;
    const std::string file = argv[i] + std::strlen(prefix);
    const std::string filter = filter_for_file(file);
    if (filter.empty()) {
      std::fprintf(stderr, "no tests defined in %s\n", file.c_str());
      return false;
    }
    if (GTEST_FLAG_GET(filter) == "*") GTEST_FLAG_SET(filter, filter);
  }
  return true;
}

void install_listeners(int rank) {
  ::testing::TestEventListeners& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (rank != 0) {
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new RankFailurePrinter(rank));
  }
  listeners.Append(new FailureAgreement);
}

}  // namespace

dist::Comm& world() { return *g_world; }

}  // namespace animerec::testing

int main(int argc, char** argv) {
  using animerec::testing::g_world;
  std::unique_ptr<animerec::dist::Comm> comm;
  try {
    // MPI first: MPI_Init may rewrite argv before gtest reads it.
    comm = animerec::dist::make_mpi_comm(&argc, &argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cannot start MPI: %s\n", e.what());
    return 1;
  }
  g_world = comm.get();
  ::testing::InitGoogleTest(&argc, argv);
  // Every rank sees the same arguments, so every rank returns here alike.
  if (!animerec::testing::select_source(argc, argv)) return 1;
  animerec::testing::install_listeners(comm->rank());

  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  const int failed_anywhere = comm->allreduce_max(failed);
  if (comm->rank() == 0) {
    for (const std::string& name : animerec::testing::FailureAgreement::failed_elsewhere) {
      std::printf("[  FAILED  ] %s (on another rank: see the [rank N] lines)\n", name.c_str());
    }
  }
  std::fflush(stdout);
  g_world = nullptr;
  comm.reset();  // MPI_Finalize
  return failed_anywhere;
}
