#!/usr/bin/env bash
# Cost of the ranking part (docs/training.md) at the MyAnimeList 2023 scale: on synth's
# near-uniform 270K users x 25K anime x 24M ratings set, seconds per iteration (median)
# of, all at 1 rank x 2 threads and CG:
#   - the implicit fit alone (--feedback implicit), the reference the ranking part is held to;
#   - the ranking part of an explicit model at the same k, with configs/mal2016.ini's
#     ranking rule (alpha 1, frequency ridge 0.005, score confidence slope 0.75 pivot 7; its 30 iterations
#     cost 30 times one),
#     without and with the ranking prior (ranking-lambda-content 0.3; the main fit has its
#     hybrid prior on in both, as the ranking prior needs its content vectors), and the prior's
#     extra cost in percent;
#   - the same ranking part at RANKING_FACTORS (default 256, configs/mal2016.ini's k).
#
#   bench/ranking_bench.sh [BUILD_DIR]      (default build)
# Environment: USERS, ANIME, RATINGS, FACTORS (64), RANKING_FACTORS (256), ITERATIONS (3).
# Scratch space (~1.5 GB) under ${TMPDIR:-/tmp}, removed at exit.
set -euo pipefail
build=${1:-build}
bin=$build/animerec
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_default_scale
RANKING_FACTORS=${RANKING_FACTORS:-256}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/animerec-ranking-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

echo "== data: synth $USERS users x $ANIME anime x $RATINGS ratings, prepare"
bench_set "$scratch/d.h5" "$USERS" "$ANIME" "$RATINGS" 0 0

# Median seconds of the metrics lines of one part ("main" or "ranking").
part_median_seconds() {
  /usr/bin/python3 -c '
import json, statistics, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
part = [l["seconds"] for l in lines if l.get("part", "main") == sys.argv[2]]
print("%.3f" % statistics.median(part))' "$1" "$2"
}

train() { # tag [train options]
  local tag=$1
  shift
  "$bin" train --dataset "$scratch/d.h5" --out "$scratch/$tag.h5" --threads 2 --solver cg \
    --metrics-out "$scratch/$tag.jsonl" --quiet --overwrite "$@"
}

ranking=(--feedback explicit --factors "$FACTORS" --iterations 1 --lambda-content 1
  --ranking-iterations "$ITERATIONS" --ranking-alpha 1 --ranking-regularization frequency
  --ranking-lambda 0.005 --weight-score-slope 0.75 --weight-score-pivot 7)
train implicit --feedback implicit --factors "$FACTORS" --iterations "$ITERATIONS"
train plain "${ranking[@]}" --ranking-factors "$FACTORS" --ranking-lambda-content 0
train prior "${ranking[@]}" --ranking-factors "$FACTORS" --ranking-lambda-content 0.3
train wide "${ranking[@]}" --ranking-factors "$RANKING_FACTORS" --ranking-lambda-content 0.3

implicit=$(part_median_seconds "$scratch/implicit.jsonl" main)
plain=$(part_median_seconds "$scratch/plain.jsonl" ranking)
prior=$(part_median_seconds "$scratch/prior.jsonl" ranking)
wide=$(part_median_seconds "$scratch/wide.jsonl" ranking)
echo
echo "== seconds per iteration (median of $ITERATIONS), 1 rank x 2 threads, CG"
awk -v k="$FACTORS" -v w="$RANKING_FACTORS" -v i="$implicit" -v p="$plain" -v q="$prior" -v r="$wide" 'BEGIN {
  printf "implicit fit, k %d:                     %.3f s\n", k, i
  printf "ranking part, k %d, no prior:           %.3f s (%.2fx the implicit fit)\n", k, p, p / i
  printf "ranking part, k %d, prior 0.3:          %.3f s (prior +%.1f%%)\n", k, q, 100 * (q - p) / p
  printf "ranking part, k %d, prior 0.3:         %.3f s (%.2fx the k %d part)\n", w, r, r / q, k }'
