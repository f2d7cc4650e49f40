#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, docs/fuzzing.md) with clang and
# -fsanitize=fuzzer,address,undefined, then runs each one for a bounded time
# from a temporary copy of its seed corpus in fuzz/corpus/<target>/ (the
# repository is never modified). Fails on the first crash, sanitizer report,
# leak, timeout or out-of-memory; the input that caused it is kept in the
# artifacts directory printed at the end.
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 60; the 4 default targets take
#                   4 minutes plus the build)
#   FUZZ_TARGETS    space-separated targets (default: the four below; the
#                   byte-level HDF5 targets dataset_fuzzer and model_fuzzer
#                   stop on known libhdf5 bugs within seconds, so they are
#                   run by hand: docs/fuzzing.md)
#   FUZZ_BUILD_DIR  build directory (default build-fuzz)
#   FUZZ_WORK_DIR   keep the working corpora and artifacts here (default: a
#                   temporary directory, removed unless something failed)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-60}
build_dir=${FUZZ_BUILD_DIR:-$root/build-fuzz}

cc=$(command -v clang-14 || command -v clang || true)
cxx=$(command -v clang++-14 || command -v clang++ || true)
if [[ -z "$cc" || -z "$cxx" ]]; then
  echo "fuzz: clang is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi

targets=${FUZZ_TARGETS:-sources_fuzzer config_fuzzer dataset_struct_fuzzer model_struct_fuzzer}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

echo "fuzz: building ${targets} in $build_dir"
# -O1 with line tables: fast enough to fuzz, quick to build, stack traces with
# file:line. No -DNDEBUG, so the library's asserts are checked too.
CC=$cc CXX=$cxx cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DANIMEREC_FUZZ=ON -DANIMEREC_BUILD_TESTS=OFF "${launcher[@]}" >/dev/null
# shellcheck disable=SC2086  # targets is a word list
cmake --build "$build_dir" -j"$(nproc)" --target $targets

work=${FUZZ_WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/animerec-fuzz.XXXXXX")}
mkdir -p "$work"
failed=()
# Sanitizer reports abort the run with a stack trace; the fuzzer then saves
# the input under -artifact_prefix.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for target in $targets; do
  corpus=$work/corpus/$target
  artifacts=$work/artifacts/$target
  mkdir -p "$corpus" "$artifacts"
  if [[ -d "$root/fuzz/corpus/$target" ]]; then
    cp -r "$root/fuzz/corpus/$target/." "$corpus/"
  fi
  options=()
  [[ -f "$root/fuzz/$target.dict" ]] && options+=(-dict="$root/fuzz/$target.dict")
  # libhdf5 leaks on some of its own error paths when it parses a damaged
  # file; leak checking stays on for every target that feeds it valid files.
  case $target in dataset_fuzzer | model_fuzzer) options+=(-detect_leaks=0) ;; esac
  echo "== fuzz $target for ${seconds}s ($(find "$corpus" -type f | wc -l) seed inputs)"
  start=$(date +%s)
  # -rss_limit_mb / -malloc_limit_mb turn a huge allocation (a size taken from
  # the file without a check) into a reported crash instead of swapping.
  if ! "$build_dir/fuzz/$target" "$corpus" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$artifacts/" "${options[@]}" >"$work/$target.log" 2>&1; then
    failed+=("$target")
    tail -n 60 "$work/$target.log"
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/$target.log" | grep -o '[0-9]*$' || echo "?")
  echo "   $target: $runs runs in $(( $(date +%s) - start ))s, corpus $(find "$corpus" -type f | wc -l) inputs"
done

if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]}; logs and crashing inputs in $work" >&2
  exit 1
fi
[[ -n "${FUZZ_WORK_DIR:-}" ]] || rm -rf "$work"
echo "fuzz: no crash in ${targets}"
