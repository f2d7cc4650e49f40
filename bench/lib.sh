# shellcheck shell=bash disable=SC2154  # `bin` is set by the script that sources this
# Helpers the training benchmarks share; `source` it after setting `bin` (the
# animerec binary). Defines functions only.
#
#   bench_synth DIR USERS ANIME RATINGS POPULARITY_SKEW ACTIVITY_SKEW [SEED]
#       synth's MyAnimeList 2023 layout (users-score-2023.csv, anime-dataset-2023.csv) into DIR
#   bench_prepare DIR OUT_H5 [RSS_PREFIX]
#       prepare DIR's files into OUT_H5 (its peak RSS to RSS_PREFIX.0 when given)
#   bench_set OUT_H5 USERS ANIME RATINGS POPULARITY_SKEW ACTIVITY_SKEW [SEED]
#       both, in a scratch folder beside OUT_H5 that is removed afterwards
#   with_rss RSS_PREFIX RANKS COMMAND...
#       COMMAND alone (RANKS = 1) or under mpiexec -n RANKS; each rank's peak RSS
#       (KiB) goes to RSS_PREFIX.<rank>. More ranks than cores are oversubscribed
#       (no binding); otherwise each rank is bound to a core.
#   peak_rss_kb RSS_PREFIX      the largest of those
#   median_seconds METRICS_JSONL   median "seconds" of the main fit's iterations
#   bench_default_scale
#       USERS 270000, ANIME 25000, RATINGS 24000000 (MyAnimeList 2023 scale),
#       FACTORS 64, ITERATIONS 3, each unless already set in the environment

[[ -x /usr/bin/time ]] || {
  echo "bench: needs /usr/bin/time (Debian package 'time') for the peak RSS" >&2
  exit 2
}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

bench_synth() {
  "$bin" synth --out "$1" --users "$2" --anime "$3" --ratings "$4" --popularity-skew "$5" \
    --activity-skew "$6" --seed "${7:-42}" --quiet
}

bench_prepare() {
  local rss=${3:-}
  local cmd=("$bin" prepare --ratings "$1/users-score-2023.csv" --anime "$1/anime-dataset-2023.csv"
    --out "$2" --quiet)
  if [[ -n $rss ]]; then
    with_rss "$rss" 1 "${cmd[@]}"
  else
    "${cmd[@]}"
  fi
}

bench_set() {
  local out=$1 csv
  csv=$(mktemp -d "$(dirname "$out")/synth.XXXXXX")
  bench_synth "$csv" "$2" "$3" "$4" "$5" "$6" "${7:-42}"
  bench_prepare "$csv" "$out"
  rm -rf "$csv"
}

with_rss() {
  local prefix=$1 ranks=$2
  shift 2
  rm -f "$prefix".*
  if ((ranks == 1)); then
    /usr/bin/time -f "%M" -o "$prefix.0" "$@"
    return
  fi
  local placement=(--bind-to core)
  ((ranks > $(nproc))) && placement=(--oversubscribe --bind-to none)
  # shellcheck disable=SC2016  # expanded by the inner shell, once per rank
  mpiexec -n "$ranks" "${placement[@]}" \
    sh -c '/usr/bin/time -f "%M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$prefix" "$@"
}

peak_rss_kb() {
  cat "$1".* | awk '$1 + 0 > max { max = $1 + 0 } END { print max }'
}

median_seconds() {
  /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("%.2f" % statistics.median(r["seconds"] for r in rows if "part" not in r))' "$1"
}

bench_default_scale() {
  USERS=${USERS:-270000}
  ANIME=${ANIME:-25000}
  RATINGS=${RATINGS:-24000000}
  FACTORS=${FACTORS:-64}
  ITERATIONS=${ITERATIONS:-3}
}
