#!/usr/bin/env bash
# The whole test suite on a fresh machine: install packages, build, run every
# CTest test (unit + integration), then rebuild with AddressSanitizer and
# UndefinedBehaviorSanitizer and run the unit tests again, then fuzz each
# libFuzzer target for a bounded time (docs/fuzzing.md).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# Open MPI refuses to run as root unless told; CI runs as root.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

"$root/scripts/setup.sh"

echo "== release build and full test suite"
BUILD_DIR=$root/build "$root/scripts/build.sh"
(cd "$root/build" && ctest --output-on-failure -j"$(nproc)")

echo "== sanitizer build (ASan + UBSan) and unit tests"
BUILD_DIR=$root/build-sanitize BUILD_TYPE=Debug "$root/scripts/build.sh" -DANIMEREC_SANITIZE=ON
(cd "$root/build-sanitize" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$(nproc)" -L unit)

echo "== fuzzing (libFuzzer + ASan + UBSan), 60 s per target"
FUZZ_SECONDS=60 "$root/scripts/fuzz.sh"
