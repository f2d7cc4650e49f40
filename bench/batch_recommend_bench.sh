#!/usr/bin/env bash
# Benchmark of `animerec recommend --all-users` at the MyAnimeList 2023 scale:
# a synthetic 270K users x 25K anime x 24M ratings set, an explicit model with
# k = 64 (2 CG iterations: quality does not matter for timing), then the top 10
# of every user with 1 and 2 ranks (1 thread each), and, in the same runs, the
# bare product user factors x anime factors^T of the same blocks
# (--time-bare-product). Target: batch time <= 2x the bare product.
#
#   bench/batch_recommend_bench.sh [BUILD_DIR]      (default build)
# Environment: USERS, ANIME, RATINGS, FACTORS (64), BATCH_USERS (the command's
# default when empty), DATA_DIR (reuse DATA_DIR/d.h5 and DATA_DIR/m.h5 when
# they exist; they are then kept). Scratch space (~1 GB) under ${TMPDIR:-/tmp}.
set -euo pipefail
build=${1:-build}
bin=$build/animerec
USERS=${USERS:-270000}
ANIME=${ANIME:-25000}
RATINGS=${RATINGS:-24000000}
FACTORS=${FACTORS:-64}
BATCH_USERS=${BATCH_USERS:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
if [[ -n ${DATA_DIR:-} ]]; then
  data=$DATA_DIR
  mkdir -p "$data"
else
  data=$(mktemp -d "${TMPDIR:-/tmp}/animerec-batch-bench.XXXXXX")
  trap 'rm -rf "$data"' EXIT
fi

if [[ ! -f $data/d.h5 ]]; then
  echo "== data: synth $USERS users x $ANIME anime x $RATINGS ratings, prepare"
  "$bin" synth --out "$data/s" --users "$USERS" --anime "$ANIME" --ratings "$RATINGS" --quiet
  "$bin" prepare --ratings "$data/s/users-score-2023.csv" --anime "$data/s/anime-dataset-2023.csv" \
    --out "$data/d.h5" --quiet
  rm -rf "$data/s"
fi
if [[ ! -f $data/m.h5 ]]; then
  echo "== model: explicit, k = $FACTORS, 2 CG iterations"
  "$bin" train --dataset "$data/d.h5" --out "$data/m.h5" --factors "$FACTORS" --iterations 2 \
    --solver cg --threads 1 --quiet
fi

args=(recommend --model "$data/m.h5" --dataset "$data/d.h5" --all-users --top 10
  --time-bare-product --quiet --overwrite)
[[ -n $BATCH_USERS ]] && args+=(--batch-users "$BATCH_USERS")

echo
echo "== recommend --all-users --top 10, seconds: batch and bare product of rank 0, alternating"
echo "   on chunks of blocks (same machine load); wall = the whole command (both, reading, writing)"
printf '%5s %10s %14s %7s %8s %14s\n' ranks batch "bare product" ratio wall "peak RSS/rank"
for np in 1 2; do
  log=$data/np$np.log
  start=$(date +%s%N)
  if [[ $np -eq 1 ]]; then
    /usr/bin/time -f "%M" -o "$data/np1.rss" "$bin" "${args[@]}" --out "$data/recs1.h5" 2>"$log"
  else
    mpiexec -n "$np" --bind-to core sh -c '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' \
      "$data/np$np.rss" "$bin" "${args[@]}" --out "$data/recs$np.h5" 2>"$log"
  fi
  wall=$(awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
  batch=$(sed -n 's/^batch (score, mask, select): \([0-9.]*\) s$/\1/p' "$log")
  bare=$(sed -n 's/^bare product: \([0-9.]*\) s$/\1/p' "$log")
  ratio=$(sed -n 's/^ratio: \([0-9.]*\)$/\1/p' "$log")
  rss=$(cat "$data/np$np.rss"* | grep -E '^[0-9]+$' | sort -n | tail -1)
  printf '%5s %10s %14s %7s %8s %11s MB\n' "$np" "$batch" "$bare" "$ratio" "$wall" "$((rss / 1024))"
done
cmp -s "$data/recs1.h5" "$data/recs2.h5" && echo "recs.h5 of 1 and 2 ranks: byte-identical" ||
  { echo "recs.h5 of 1 and 2 ranks DIFFER"; exit 1; }
