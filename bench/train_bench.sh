#!/usr/bin/env bash
# Benchmark of `animerec train` at the MyAnimeList 2023 scale: a synthetic
# 270K users x 25K anime x 24M ratings set (19.2M training ratings after the
# default 20% test split), k = 64, seconds per full iteration (both
# half-sweeps and the factor exchange) for
#   (1 rank, 1 thread), (1 rank, 2 threads), (2 ranks, 1 thread each)
# with Cholesky and CG, implicit and explicit feedback; the extra cost of the
# hybrid prior; peak RSS per rank;
# rating storage per rating; and the kernel microbenchmark (normal-equation
# build GFLOP/s against an Eigen GEMM measured in the same run).
#
#   bench/train_bench.sh [BUILD_DIR]      (default build)
# Environment: USERS, ANIME, RATINGS, FACTORS (64), ITERATIONS (3), FEEDBACKS
# ("implicit explicit"). Scratch space (~1.5 GB) under ${TMPDIR:-/tmp}, removed at exit.
set -euo pipefail
build=${1:-build}
bin=$build/animerec
USERS=${USERS:-270000}
ANIME=${ANIME:-25000}
RATINGS=${RATINGS:-24000000}
FACTORS=${FACTORS:-64}
ITERATIONS=${ITERATIONS:-3}
FEEDBACKS=${FEEDBACKS:-implicit explicit}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/animerec-train-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

echo "== data: synth $USERS users x $ANIME anime x $RATINGS ratings, prepare"
"$bin" synth --out "$scratch/s" --users "$USERS" --anime "$ANIME" --ratings "$RATINGS" --quiet
"$bin" prepare --ratings "$scratch/s/users-score-2023.csv" --anime "$scratch/s/anime-dataset-2023.csv" \
  --out "$scratch/d.h5" --quiet
rm -rf "$scratch/s"

# Median of the per-iteration seconds in a metrics file.
median_seconds() {
  /usr/bin/python3 -c '
import json, statistics, sys
print("%.2f" % statistics.median(json.loads(l)["seconds"] for l in open(sys.argv[1])))' "$1"
}

run() {  # feedback solver ranks threads [lambda-content]
  local fb=$1 solver=$2 np=$3 threads=$4 content=${5:-0} tag="$1-$2-np$3-t$4-c${5:-0}"
  local args=(train --dataset "$scratch/d.h5" --out "$scratch/$tag.h5" --factors "$FACTORS"
    --iterations "$ITERATIONS" --feedback "$fb" --solver "$solver" --threads "$threads"
    --lambda-content "$content" --metrics-out "$scratch/$tag.jsonl" --quiet --overwrite)
  if [[ $np -eq 1 ]]; then
    /usr/bin/time -f "%M" -o "$scratch/$tag.rss" "$bin" "${args[@]}"
  else
    mpiexec -n "$np" --bind-to core sh -c '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' \
      "$scratch/$tag.rss" "$bin" "${args[@]}"
  fi
  local rss
  rss=$(cat "$scratch/$tag.rss"* | sort -n | tail -1)
  printf '%-9s %-9s %5s %7s %12s %14s\n' "$fb" "$solver" "$np" "$threads" "$(median_seconds "$scratch/$tag.jsonl")" \
    "$((rss / 1024)) MB"
}

echo
echo "== seconds per iteration (median of $ITERATIONS), k = $FACTORS"
printf '%-9s %-9s %5s %7s %12s %14s\n' feedback solver ranks threads "s/iteration" "peak RSS/rank"
for fb in $FEEDBACKS; do
  for solver in cholesky cg; do
    run "$fb" "$solver" 1 1
    run "$fb" "$solver" 1 2
    run "$fb" "$solver" 2 1
  done
done

echo
echo "== hybrid prior (--lambda-content 1) against plain ALS, explicit, 1 rank x 2 threads"
for solver in cholesky cg; do
  run explicit "$solver" 1 2 0 >/dev/null
  run explicit "$solver" 1 2 1 >/dev/null
  plain=$(median_seconds "$scratch/explicit-$solver-np1-t2-c0.jsonl")
  hybrid=$(median_seconds "$scratch/explicit-$solver-np1-t2-c1.jsonl")
  awk -v s="$solver" -v p="$plain" -v h="$hybrid" 'BEGIN {
    printf "%-9s plain %.2f s, hybrid %.2f s: +%.1f%%\n", s, p, h, 100 * (h - p) / p }'
done

echo
echo "== rating storage"
"$bin" train --dataset "$scratch/d.h5" --out "$scratch/storage.h5" --factors 8 --iterations 1 2>&1 |
  grep "rating storage"

echo
echo "== kernels (k = $FACTORS, 2 threads)"
"$build/animerec_kernel_bench" "$FACTORS" 2
