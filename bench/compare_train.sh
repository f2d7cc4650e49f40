#!/usr/bin/env bash
# Seconds per training iteration of two animerec binaries on the same synthetic
# set, in the same run, alternating (A, B, A, B) so both see the same machine:
# the check that a refactoring left the trainer's speed alone.
#
#   bench/compare_train.sh BEFORE_BINARY AFTER_BINARY
# Environment: USERS (270000), ANIME (25000), RATINGS (24000000) — the
# MyAnimeList 2023 scale of bench/train_bench.sh —, FACTORS (64), ITERATIONS (3),
# ROUNDS (2), CASES ("explicit:cg:1:2 implicit:cg:1:2 explicit:cg:2:1",
# feedback:solver:ranks:threads), POPULARITY_SKEW and ACTIVITY_SKEW (0 0: synth's
# built-in shape; otherwise the set is written by the after binary, as the
# before one may not know these flags). Prints the median s/iteration of each run and
# the ratio after/before per case. Scratch space under ${TMPDIR:-/tmp}, removed at exit.
set -euo pipefail
before=$(realpath "$1")
after=$(realpath "$2")
USERS=${USERS:-270000}
ANIME=${ANIME:-25000}
RATINGS=${RATINGS:-24000000}
FACTORS=${FACTORS:-64}
ITERATIONS=${ITERATIONS:-3}
ROUNDS=${ROUNDS:-2}
CASES=${CASES:-explicit:cg:1:2 implicit:cg:1:2 explicit:cg:2:1}
POPULARITY_SKEW=${POPULARITY_SKEW:-0}
ACTIVITY_SKEW=${ACTIVITY_SKEW:-0}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
scratch=$(mktemp -d "${TMPDIR:-/tmp}/animerec-compare.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

if [[ $POPULARITY_SKEW == 0 && $ACTIVITY_SKEW == 0 ]]; then
  echo "== data: synth $USERS users x $ANIME anime x $RATINGS ratings, prepare (with the before binary)"
  "$before" synth --out "$scratch/s" --users "$USERS" --anime "$ANIME" --ratings "$RATINGS" --quiet
else
  echo "== data: synth $USERS users x $ANIME anime x $RATINGS ratings, --popularity-skew" \
    "$POPULARITY_SKEW --activity-skew $ACTIVITY_SKEW (after binary), prepare (before binary)"
  "$after" synth --out "$scratch/s" --users "$USERS" --anime "$ANIME" --ratings "$RATINGS" \
    --popularity-skew "$POPULARITY_SKEW" --activity-skew "$ACTIVITY_SKEW" --quiet
fi
"$before" prepare --ratings "$scratch/s/users-score-2023.csv" \
  --anime "$scratch/s/anime-dataset-2023.csv" --out "$scratch/d.h5" --quiet
rm -rf "$scratch/s"

median_seconds() {
  python3 -c '
import json, statistics, sys
print("%.3f" % statistics.median(json.loads(l)["seconds"] for l in open(sys.argv[1])))' "$1"
}
# binary feedback solver ranks threads -> median seconds per iteration
seconds() {
  local bin=$1 fb=$2 solver=$3 np=$4 threads=$5 out="$scratch/run"
  rm -f "$out.h5" "$out.jsonl" "$out.run.json"
  local args=(train --dataset "$scratch/d.h5" --out "$out.h5" --factors "$FACTORS"
    --iterations "$ITERATIONS" --feedback "$fb" --solver "$solver" --threads "$threads"
    --metrics-out "$out.jsonl" --quiet)
  if [[ $np -eq 1 ]]; then "$bin" "${args[@]}"; else mpiexec -n "$np" "$bin" "${args[@]}"; fi
  median_seconds "$out.jsonl"
}

printf '%-28s %-8s %s\n' case binary "s/iteration per round"
for c in $CASES; do
  IFS=: read -r fb solver np threads <<<"$c"
  b=() a=()
  for ((r = 0; r < ROUNDS; r++)); do
    b+=("$(seconds "$before" "$fb" "$solver" "$np" "$threads")")
    a+=("$(seconds "$after" "$fb" "$solver" "$np" "$threads")")
  done
  label="$fb $solver ${np}x${threads}"
  printf '%-28s %-8s %s\n' "$label" before "${b[*]}"
  printf '%-28s %-8s %s\n' "$label" after "${a[*]}"
  python3 -c 'import sys,statistics as s; b=[float(x) for x in sys.argv[1].split()]; a=[float(x) for x in sys.argv[2].split()]; print("%-28s %-8s %.3f" % (sys.argv[3], "ratio", s.median(a)/s.median(b)))' "${b[*]}" "${a[*]}" "$label"
done
