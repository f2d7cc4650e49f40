#!/usr/bin/env bash
# The largest run a 2-core, 24 GiB machine allows: a synthetic set the size of
# MyAnimeList 2020's animelist.csv (about 109M interactions, 325K users, 17.5K
# anime) through synth, prepare and train on 2 ranks, explicit (with the
# ranking part) and implicit. Prints the wall time of each stage, seconds per
# iteration, peak RSS per rank, train's own memory estimate per rank against
# the measured peak, and the exchange per iteration. Not in CI: at full size it
# needs ~6.5 GB of scratch, about 4 GiB of memory per stage, and 15 minutes on
# a loaded 2-core machine (docs/scaling.md); SCALE=20 runs it at 1/20 (users and
# ratings divided by 20, the anime kept) in a few minutes.
#
#   bench/train_109m.sh [BUILD_DIR]      (default build)
#
# synth cannot write animelist.csv (watch statuses, unscored rows), so the file
# is the MyAnimeList 2023 layout with scores 1..10; implicit feedback weighs each
# interaction by its score (--alpha), as it would a status weight.
# Environment: SCALE (1), USERS (325000), ANIME (17500), RATINGS (109000000),
# FACTORS (64), ITERATIONS (3), RANKING_FACTORS (32), POPULARITY_SKEW and
# ACTIVITY_SKEW (0 0: synth's built-in MyAnimeList-like shape), SEED (42).
# Scratch space under ${TMPDIR:-/tmp}, removed at exit.
set -euo pipefail
export LC_ALL=C
build=${1:-build}
bin=$build/animerec
SCALE=${SCALE:-1}
USERS=${USERS:-$((325000 / SCALE))}
ANIME=${ANIME:-17500}
RATINGS=${RATINGS:-$((109000000 / SCALE))}
FACTORS=${FACTORS:-64}
ITERATIONS=${ITERATIONS:-3}
RANKING_FACTORS=${RANKING_FACTORS:-32}
POPULARITY_SKEW=${POPULARITY_SKEW:-0}
ACTIVITY_SKEW=${ACTIVITY_SKEW:-0}
SEED=${SEED:-42}

die() {
  echo "train_109m: $*" >&2
  exit 2
}
[[ -x $bin ]] || die "animerec binary '$bin' not found (pass the build directory as \$1)"
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
scratch_parent=${TMPDIR:-/tmp}
# 44 bytes per CSV row (2023 layout) + 20 per rating of dataset.h5, with 20% margin.
need_kb=$((RATINGS * 64 * 12 / 10 / 1024))
free_kb=$(df -Pk "$scratch_parent" | awk 'NR == 2 { print $4 }')
((free_kb > need_kb)) ||
  die "needs about $((need_kb / 1024)) MB free in $scratch_parent, has $((free_kb / 1024)) MB"
scratch=$(mktemp -d "$scratch_parent/animerec-109m.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k / 1024 }'; }

echo "== synth: $USERS users x $ANIME anime x $RATINGS ratings (mal2023 layout," \
  "--popularity-skew $POPULARITY_SKEW --activity-skew $ACTIVITY_SKEW, seed $SEED)"
t0=$(now)
bench_synth "$scratch/s" "$USERS" "$ANIME" "$RATINGS" "$POPULARITY_SKEW" "$ACTIVITY_SKEW" "$SEED"
echo "synth: $(elapsed "$t0" "$(now)") s"
sync # synth's dirty pages are not prepare's cost

t0=$(now)
bench_prepare "$scratch/s" "$scratch/d.h5" "$scratch/prepare.rss"
echo "prepare: $(elapsed "$t0" "$(now)") s, peak RSS $(mb "$(peak_rss_kb "$scratch/prepare.rss")")"
rm -rf "$scratch/s"

# train on 2 ranks x 1 thread: wall time, median s/iteration, peak RSS per
# rank, and rank 0's memory estimate (its "memory: about X per rank" line).
train() { # tag, then extra train arguments
  local tag=$1
  shift
  local t0
  t0=$(now)
  with_rss "$scratch/$tag.rss" 2 "$bin" train --dataset "$scratch/d.h5" --out "$scratch/$tag.h5" \
    --factors "$FACTORS" --iterations "$ITERATIONS" --threads 1 \
    --metrics-out "$scratch/$tag.jsonl" "$@" 2>"$scratch/$tag.log" >/dev/null ||
    die "train $tag failed: $(tail -3 "$scratch/$tag.log")"
  local wall estimate
  wall=$(elapsed "$t0" "$(now)")
  estimate=$(sed -n 's/^memory: about \([0-9.]* [KMGT]i\?B\) per rank.*/\1/p' "$scratch/$tag.log")
  /usr/bin/python3 - "$tag" "$wall" "$estimate" "$scratch/$tag.jsonl" "$scratch/$tag.rss".* <<'EOF'
import json, statistics, sys
tag, wall, estimate, metrics, *rss_files = sys.argv[1:]
# The ranking part's iterations follow the main fit's, marked "part": report each.
rows = [json.loads(l) for l in open(metrics)]
seconds = statistics.median(r["seconds"] for r in rows if "part" not in r)
ranking = [r["seconds"] for r in rows if r.get("part") == "ranking"]
rss = [int(open(f).read().split()[0]) * 1024 for f in rss_files]
units = {"B": 1, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}
value, unit = estimate.split()
est = float(value) * units[unit]
part = f" (ranking part {statistics.median(ranking):.2f})" if ranking else ""
# The main fit's per-rank costs (docs/outputs.md): medians over its iterations.
main = [r["per_rank"] for r in rows if "part" not in r]
solve = statistics.median(max(c["solve_seconds"] for c in pr) for pr in main)
exchange = statistics.median(max(c["exchange"]["seconds"] for c in pr) for pr in main)
received = statistics.median(max(c["exchange"]["bytes_received"] for c in pr) for pr in main)
print(f"{tag:9} {float(wall):9.1f} s {seconds:9.2f} s/it{part}   peak RSS per rank "
      + " / ".join(f"{r / 2**20:.0f} MiB" for r in rss)
      + f"   estimate {est / 2**20:.0f} MiB ({100 * (est / max(rss) - 1):+.1f}% of the larger peak)"
      + f"\n{'':9} per iteration, slowest rank: solve {solve:.2f} s, exchange {exchange:.3f} s"
      + f" ({received / 1e6:.1f} MB received)")
EOF
}

echo
echo "== train, 2 ranks x 1 thread, k = $FACTORS, $ITERATIONS iterations"
train explicit --feedback explicit --solver cg --ranking-factors "$RANKING_FACTORS"
train implicit --feedback implicit --solver cg
