#!/usr/bin/env bash
# Benchmark: `animerec prepare` against pandas.read_csv on a synthetic
# MyAnimeList 2023 dataset at the real dataset's scale (24M rating rows).
#
#   bench/prepare_bench.sh [ANIMEREC_BINARY]     (default build/animerec)
#
# Environment: USERS, ANIME, RATINGS (defaults 270000, 25000, 24000000) size the
# synthetic set; SEED (default 42); REPEAT (default 3) runs of each, the median reported; PYTHON picks the interpreter for pandas
# (default: the first of python3, /usr/bin/python3 that can import pandas).
# Everything is written to a scratch directory under ${TMPDIR:-/tmp} that is
# removed at exit. Needs ~1.1 GB of scratch space at the default size.
#
# Prints the synth time, then a table of file size, rows, seconds, MB/s and
# rows/s for prepare and for pandas.read_csv of the same users-score file
# (MB = 10^6 bytes), the speed ratio, and peak RSS. Exits non-zero if synth
# or prepare fails (the pandas row is still printed when it can be).
set -euo pipefail
export LC_ALL=C  # '.' as the decimal point in EPOCHREALTIME and printf

ANIMEREC=${1:-build/animerec}
USERS=${USERS:-270000}
ANIME=${ANIME:-25000}
RATINGS=${RATINGS:-24000000}
SEED=${SEED:-42}
REPEAT=${REPEAT:-3}

die() {
  echo "prepare_bench: $*" >&2
  exit 2
}

[[ -x "$ANIMEREC" ]] || die "animerec binary '$ANIMEREC' not found or not executable (pass its path as \$1)"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/animerec-bench.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# The first interpreter (PYTHON, python3, /usr/bin/python3) that has pandas:
# a pyenv or venv python3 on PATH often lacks the Debian python3-pandas.
find_python() {
  local py
  for py in ${PYTHON:-} python3 /usr/bin/python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import pandas' >/dev/null 2>&1; then
      echo "$py"
      return 0
    fi
  done
  return 1
}

# Runs a command, recording its peak RSS (kB) in $scratch/$1.rss: through
# /usr/bin/time -v when present, else through python's resource module.
run_measured() {
  local name=$1
  shift
  if [[ -x /usr/bin/time ]]; then
    local rc=0
    /usr/bin/time -v -o "$scratch/$name.time" "$@" || rc=$?
    awk -F': *' '/Maximum resident set size/ { print $2 }' "$scratch/$name.time" >"$scratch/$name.rss" || true
    return $rc
  fi
  local py
  py=$(command -v python3 || command -v /usr/bin/python3) || {
    echo "n/a" >"$scratch/$name.rss"
    "$@"
    return
  }
  "$py" - "$scratch/$name.rss" "$@" <<'EOF'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    # ru_maxrss of waited-for children, in kB on Linux.
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=f)
sys.exit(rc)
EOF
}

human_kb() {
  awk -v kb="$1" 'BEGIN { if (kb !~ /^[0-9]+$/) print "n/a"; else if (kb >= 1048576) printf "%.2f GB", kb / 1048576; else printf "%.0f MB", kb / 1024 }'
}

# --- synth -------------------------------------------------------------------
data="$scratch/data"
echo "synthetic mal2023: $USERS users, $ANIME anime, $RATINGS ratings (seed $SEED) in $scratch"
t0=$(now)
"$ANIMEREC" synth --out "$data" --users "$USERS" --anime "$ANIME" --ratings "$RATINGS" \
  --layout mal2023 --seed "$SEED" --quiet || die "animerec synth failed"
t1=$(now)
ratings_csv="$data/users-score-2023.csv"
anime_csv="$data/anime-dataset-2023.csv"
bytes=$(stat -c %s "$ratings_csv")
anime_bytes=$(stat -c %s "$anime_csv")
synth_s=$(elapsed "$t0" "$t1")
awk -v s="$synth_s" -v b="$bytes" -v a="$anime_bytes" -v r="$RATINGS" 'BEGIN {
  printf "synth: %d rating rows, %.1f MB + %.1f MB metadata in %.2f s (%.2fM rows/s)\n", r, b / 1e6, a / 1e6, s, r / s / 1e6 }'

# Flush synth's gigabyte of dirty pages first: their writeback is not prepare's cost.
sync

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# --- prepare (REPEAT runs, median; peak RSS of the last) ---------------------
prepare_ok=1
prepare_times=""
for ((i = 1; i <= REPEAT; i++)); do
  rm -f "$scratch/dataset.h5"
  t0=$(now)
  if ! run_measured prepare "$ANIMEREC" prepare --ratings "$ratings_csv" --anime "$anime_csv" \
    --out "$scratch/dataset.h5" --quiet; then
    prepare_ok=0
    echo "prepare_bench: animerec prepare failed" >&2
    break
  fi
  t1=$(now)
  prepare_times="$prepare_times $(elapsed "$t0" "$t1")"
done
prepare_s=$(echo "$prepare_times" | median)
prepare_rss=$(cat "$scratch/prepare.rss" 2>/dev/null || echo n/a)
echo "prepare runs (s):$prepare_times"

# --- pandas (REPEAT runs in one interpreter, median) --------------------------
pandas_ok=0
pandas_s="" pandas_rows="" pandas_rss=""
if py=$(find_python); then
  # Times read_csv alone (import and interpreter start-up excluded).
  if out=$("$py" - "$ratings_csv" "$REPEAT" <<'EOF'
import resource, statistics, sys, time
import pandas as pd
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    df = pd.read_csv(sys.argv[1])
    times.append(time.perf_counter() - t)
    rows = len(df)
    del df
print(f"{statistics.median(times):.3f} {rows} {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss} "
      + " ".join(f"{t:.2f}" for t in times))
EOF
  ); then
    read -r pandas_s pandas_rows pandas_rss pandas_times <<<"$out"
    echo "pandas.read_csv runs (s): $pandas_times"
    pandas_ok=1
  else
    echo "prepare_bench: pandas.read_csv failed" >&2
  fi
else
  echo "prepare_bench: no python3 with pandas found (set PYTHON)" >&2
fi

# --- table -------------------------------------------------------------------
echo
printf '%-22s %10s %11s %9s %9s %11s\n' "users-score-2023.csv" "file MB" "rows" "seconds" "MB/s" "rows/s"
row() {  # name seconds rows
  awk -v n="$1" -v s="$2" -v r="$3" -v b="$bytes" 'BEGIN {
    printf "%-22s %10.1f %11d %9.2f %9.1f %10.2fM\n", n, b / 1e6, r, s, b / 1e6 / s, r / s / 1e6 }'
}
if ((prepare_ok)); then
  row "animerec prepare" "$prepare_s" "$RATINGS"
else
  printf '%-22s %10s\n' "animerec prepare" "FAILED"
fi
if ((pandas_ok)); then
  row "pandas.read_csv" "$pandas_s" "$pandas_rows"
else
  printf '%-22s %10s\n' "pandas.read_csv" "n/a"
fi
if ((prepare_ok && pandas_ok)); then
  awk -v p="$prepare_s" -v q="$pandas_s" 'BEGIN {
    printf "speed ratio: prepare is %.2fx the speed of pandas.read_csv (pandas %.2f s / prepare %.2f s)\n", q / p, q, p }'
fi
echo "note: prepare also reads the $(awk -v a="$anime_bytes" 'BEGIN { printf "%.1f", a / 1e6 }') MB anime file, parses, splits and writes dataset.h5; pandas only parses"
echo "peak RSS: prepare $(human_kb "$prepare_rss")$([[ -x /usr/bin/time ]] && echo ' (/usr/bin/time -v)' || echo ' (python resource)'), pandas.read_csv $(human_kb "${pandas_rss:-n/a}")"

((prepare_ok)) || exit 1
