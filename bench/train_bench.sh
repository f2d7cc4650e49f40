#!/usr/bin/env bash
# Benchmark of `animerec train` at the MyAnimeList 2023 scale: synthetic
# 270K users x 25K anime x 24M ratings sets (19.2M training ratings after the
# default 20% test split), k = 64, seconds per full iteration (both
# half-sweeps and the factor exchange) for
#   (1 rank, 1 thread), (1 rank, 2 threads), (2 ranks, 1 thread each)
# with Cholesky and CG, implicit and explicit feedback, on two sets in the
# same run: `uniform` (synth's built-in MyAnimeList-like popularity and
# activity) and `skew` (pure Zipf popularity 1.0 and activity 0.5: the top
# anime in nearly every user's list, docs/benchmarks.md); then, on the first
# set, the extra cost of the hybrid prior, peak RSS per rank, rating storage
# per rating and the kernel microbenchmark (normal-equation build GFLOP/s
# against an Eigen GEMM measured in the same run).
#
#   bench/train_bench.sh [BUILD_DIR]      (default build)
# Environment: USERS, ANIME, RATINGS, FACTORS (64), ITERATIONS (3), FEEDBACKS
# ("implicit explicit"), SETS ("uniform:0:0 skew:1:0.5",
# name:popularity-skew:activity-skew). Scratch space (~1.5 GB per set) under
# ${TMPDIR:-/tmp}, removed at exit.
set -euo pipefail
build=${1:-build}
bin=$build/animerec
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_default_scale
FEEDBACKS=${FEEDBACKS:-implicit explicit}
SETS=${SETS:-uniform:0:0 skew:1:0.5}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/animerec-train-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

for set in $SETS; do
  IFS=: read -r name pop act <<<"$set"
  echo "== data $name: synth $USERS users x $ANIME anime x $RATINGS ratings," \
    "--popularity-skew $pop --activity-skew $act, prepare"
  bench_set "$scratch/$name.h5" "$USERS" "$ANIME" "$RATINGS" "$pop" "$act"
done
first_set=${SETS%% *}
first_set=${first_set%%:*}

run() {  # set feedback solver ranks threads [lambda-content]
  local set=$1
  shift
  local fb=$1 solver=$2 np=$3 threads=$4 content=${5:-0} tag="$set-$1-$2-np$3-t$4-c${5:-0}"
  local args=(train --dataset "$scratch/$set.h5" --out "$scratch/$tag.h5" --factors "$FACTORS"
    --iterations "$ITERATIONS" --feedback "$fb" --solver "$solver" --threads "$threads"
    --lambda-content "$content" --metrics-out "$scratch/$tag.jsonl" --quiet --overwrite)
  with_rss "$scratch/$tag.rss" "$np" "$bin" "${args[@]}"
  local rss
  rss=$(peak_rss_kb "$scratch/$tag.rss")
  printf '%-8s %-9s %-9s %5s %7s %12s %14s\n' "$set" "$fb" "$solver" "$np" "$threads" "$(median_seconds "$scratch/$tag.jsonl")" \
    "$((rss / 1024)) MB"
}

echo
echo "== seconds per iteration (median of $ITERATIONS), k = $FACTORS"
printf '%-8s %-9s %-9s %5s %7s %12s %14s\n' set feedback solver ranks threads "s/iteration" \
  "peak RSS/rank"
for set in $SETS; do
  for fb in $FEEDBACKS; do
    for solver in cholesky cg; do
      run "${set%%:*}" "$fb" "$solver" 1 1
      run "${set%%:*}" "$fb" "$solver" 1 2
      run "${set%%:*}" "$fb" "$solver" 2 1
    done
  done
done

echo
echo "== hybrid prior (--lambda-content 1) against plain ALS, explicit, 1 rank x 2 threads, $first_set"
for solver in cholesky cg; do
  run "$first_set" explicit "$solver" 1 2 0 >/dev/null
  run "$first_set" explicit "$solver" 1 2 1 >/dev/null
  plain=$(median_seconds "$scratch/$first_set-explicit-$solver-np1-t2-c0.jsonl")
  hybrid=$(median_seconds "$scratch/$first_set-explicit-$solver-np1-t2-c1.jsonl")
  awk -v s="$solver" -v p="$plain" -v h="$hybrid" 'BEGIN {
    printf "%-9s plain %.2f s, hybrid %.2f s: +%.1f%%\n", s, p, h, 100 * (h - p) / p }'
done

echo
echo "== rating storage"
"$bin" train --dataset "$scratch/$first_set.h5" --out "$scratch/storage.h5" --factors 8 --iterations 1 2>&1 |
  grep "rating storage"

echo
echo "== kernels (k = $FACTORS, 2 threads)"
"$build/animerec_kernel_bench" "$FACTORS" 2
