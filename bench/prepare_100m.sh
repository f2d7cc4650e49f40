#!/usr/bin/env bash
# Benchmark: `animerec prepare` on a 100M-row ratings file, the size of
# MyAnimeList 2020's animelist.csv (109M rows, 325K users, 17.5K anime), to
# check that prepare's memory stays within its bound at that scale: 2x the
# 20 bytes per rating of the arrays it writes (40 bytes per rating).
#
#   bench/prepare_100m.sh [ANIMEREC_BINARY]     (default build/animerec)
#
# synth cannot write the animelist.csv layout, so the file is the MyAnimeList
# 2023 layout (users-score-2023.csv, with usernames and titles: a larger file
# per row than animelist.csv, so parsing costs at least as much).
#
# Environment: USERS, ANIME, RATINGS (defaults 325000, 17500, 100000000), SEED
# (default 42). Scratch space under ${TMPDIR:-/tmp}, removed at exit: about
# 4.3 GB of CSV plus 2 GB of dataset.h5 at the default size; the script
# refuses to start with less than 1.2x that free.
#
# Prints synth and prepare wall time, prepare's peak RSS (/usr/bin/time -v)
# and that peak in bytes per rating against the 40-byte bound. Exits 1 when
# prepare fails or exceeds the bound.
set -euo pipefail
export LC_ALL=C

ANIMEREC=${1:-build/animerec}
USERS=${USERS:-325000}
ANIME=${ANIME:-17500}
RATINGS=${RATINGS:-100000000}
SEED=${SEED:-42}
BOUND_BYTES_PER_RATING=40  # 2 x the 20 bytes per rating of the arrays dataset.h5 holds

die() {
  echo "prepare_100m: $*" >&2
  exit 2
}
[[ -x "$ANIMEREC" ]] || die "animerec binary '$ANIMEREC' not found (pass its path as \$1)"
[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (Debian package 'time') for the peak RSS"

scratch_parent=${TMPDIR:-/tmp}
# 44 bytes per CSV row (2023 layout) + 20 per rating of dataset.h5, with 20% margin.
need_kb=$((RATINGS * 64 * 12 / 10 / 1024))
free_kb=$(df -Pk "$scratch_parent" | awk 'NR == 2 { print $4 }')
((free_kb > need_kb)) ||
  die "needs about $((need_kb / 1024 / 1024)) GB free in $scratch_parent, has $((free_kb / 1024 / 1024)) GB"

scratch=$(mktemp -d "$scratch_parent/animerec-100m.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

echo "synth: $USERS users, $ANIME anime, $RATINGS ratings (mal2023 layout, seed $SEED) in $scratch"
t0=$(now)
"$ANIMEREC" synth --out "$scratch/data" --users "$USERS" --anime "$ANIME" --ratings "$RATINGS" \
  --layout mal2023 --seed "$SEED" --quiet || die "synth failed"
t1=$(now)
csv="$scratch/data/users-score-2023.csv"
echo "synth: $(elapsed "$t0" "$t1") s, $(stat -c %s "$csv" | awk '{ printf "%.2f GB", $1 / 1e9 }')"
sync  # synth's dirty pages are not prepare's cost

t0=$(now)
rc=0
/usr/bin/time -v -o "$scratch/prepare.time" "$ANIMEREC" prepare --ratings "$csv" \
  --anime "$scratch/data/anime-dataset-2023.csv" --out "$scratch/dataset.h5" || rc=$?
t1=$(now)
((rc == 0)) || { cat "$scratch/prepare.time" >&2; die "prepare failed (exit $rc)"; }

rss_kb=$(awk -F': *' '/Maximum resident set size/ { print $2 }' "$scratch/prepare.time")
rows=$("$ANIMEREC" info "$scratch/dataset.h5" | awk '/rating rows/ { gsub(",", "", $3); print $3 }')
echo "prepare: $(elapsed "$t0" "$t1") s wall, $(awk '/Elapsed/ { print $NF }' "$scratch/prepare.time") (time -v)," \
  "user $(awk -F': *' '/User time/ { print $2 }' "$scratch/prepare.time") s," \
  "system $(awk -F': *' '/System time/ { print $2 }' "$scratch/prepare.time") s"
echo "dataset.h5: $(stat -c %s "$scratch/dataset.h5" | awk '{ printf "%.2f GB", $1 / 1e9 }'), $rows rating rows"
awk -v kb="$rss_kb" -v r="$rows" -v bound="$BOUND_BYTES_PER_RATING" 'BEGIN {
  per = kb * 1024 / r
  printf "peak RSS: %.2f GB = %.1f bytes per rating (bound %d: 2 x 20 bytes per rating written)\n", kb / 1048576, per, bound
  exit per <= bound ? 0 : 1 }' || { echo "prepare_100m: prepare exceeds its memory bound" >&2; exit 1; }
