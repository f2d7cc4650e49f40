#!/usr/bin/env bash
# The whole test suite on a fresh machine (what CI runs): install packages, check
# the formatting, build with warnings as errors, run every CTest test (unit, MPI,
# integration), then rebuild with AddressSanitizer and UndefinedBehaviorSanitizer
# and run the unit tests, the MPI tests and the smoke_* whole trainings again,
# then fuzz each libFuzzer target for a bounded time (docs/fuzzing.md).
# setup.sh installs everything every test needs, so a skipped test fails the run
# (a real-data test that skips while ../shared is present would hide a broken
# path); ANIMEREC_ALLOW_SKIPS=1 turns that into a warning.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Open MPI refuses to run as root unless told; CI runs as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

"$root/scripts/setup.sh"

echo "== clang-format"
"$root/scripts/check-format.sh"

# ctest in BUILD_DIR with the given arguments; fails on a failed or a skipped test.
run_ctest() {
  local dir=$1 log skipped
  shift
  log=$(mktemp)
  (cd "$dir" && ctest --output-on-failure -j"$(nproc)" "$@") 2>&1 | tee "$log"
  skipped=$(grep -E '\*\*\*Skipped|Not Run' "$log" || true)
  rm -f "$log"
  if [[ -n "$skipped" ]]; then
    echo "== these tests did not run although scripts/setup.sh installs what they need:"
    echo "$skipped"
    [[ "${ANIMEREC_ALLOW_SKIPS:-0}" == 1 ]] || return 1
  fi
}

echo "== release build (warnings are errors) and full test suite"
BUILD_DIR=$root/build "$root/scripts/build.sh" -DANIMEREC_WERROR=ON
run_ctest "$root/build"

echo "== sanitizer build (ASan + UBSan): unit tests, MPI tests, smoke trainings under mpiexec"
BUILD_DIR=$root/build-sanitize BUILD_TYPE=Debug "$root/scripts/build.sh" -DANIMEREC_SANITIZE=ON \
  -DANIMEREC_WERROR=ON
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 run_ctest "$root/build-sanitize" -L unit
# Open MPI's own allocations that live until exit are not ours (tests/lsan.supp). To
# name them, its plugins must stay loaded (disable_dlclose) and leak stacks must be
# unwound fully (fast_unwind_on_malloc=0); otherwise they show as "<unknown module>".
OMPI_MCA_mca_base_component_disable_dlclose=1 PMIX_MCA_mca_base_component_disable_dlclose=1 \
  ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 LSAN_OPTIONS=suppressions=$root/tests/lsan.supp \
  UBSAN_OPTIONS=print_stacktrace=1 run_ctest "$root/build-sanitize" -L 'mpi|smoke'

echo "== fuzzing (libFuzzer + ASan + UBSan), 60 s per target"
FUZZ_SECONDS=60 "$root/scripts/fuzz.sh"
