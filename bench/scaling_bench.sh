#!/usr/bin/env bash
# Where an iteration's time goes at P = 1, 2, 4 ranks (and 1 or 2 threads):
# per rank, the solve (wall and CPU seconds), the Gram matrix (implicit), the wait for the slowest
# rank, the factor exchange (seconds and payload bytes received) and the peak
# RSS, from train's own per-iteration cost report (--metrics-out "per_rank",
# docs/outputs.md). Prints a table and writes one CSV row per run for
# bench/cost_model.py (docs/scaling.md).
#
#   bench/scaling_bench.sh [BUILD_DIR] [CSV_OUT]     (default build, scaling.csv)
#
# On a machine with fewer cores than ranks x threads the runs are
# oversubscribed: the ranks take turns on the cores, so the solve is
# serialised and every collective waits for descheduled ranks; the transport
# is shared memory, not a network (docs/scaling.md says what that hides).
# Environment: USERS (270000), ANIME (25000), RATINGS (24000000), FACTORS (64),
# ITERATIONS (3), FEEDBACKS ("implicit explicit"), SOLVER (cg), SETS
# ("uniform:0:0 skew:1:0.5", name:popularity-skew:activity-skew), RUNS
# ("1x1 1x2 2x1 4x1", ranks x threads). Scratch space (~1.5 GB per set) under
# ${TMPDIR:-/tmp}, removed at exit.
set -euo pipefail
build=${1:-build}
csv_out=${2:-scaling.csv}
bin=$build/animerec
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_default_scale
FEEDBACKS=${FEEDBACKS:-implicit explicit}
SOLVER=${SOLVER:-cg}
SETS=${SETS:-uniform:0:0 skew:1:0.5}
RUNS=${RUNS:-1x1 1x2 2x1 4x1}
[[ -x $bin ]] || { echo "scaling_bench: no animerec binary at $bin" >&2; exit 2; }
scratch=$(mktemp -d "${TMPDIR:-/tmp}/animerec-scaling.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# One CSV row per run from its metrics file: medians over the iterations of the
# slowest rank's and the mean rank's costs.
summarise() { # set feedback ranks threads metrics.jsonl dataset.h5 peak_rss_kb
  /usr/bin/python3 - "$@" <<'EOF'
import json, statistics, subprocess, sys
name, feedback, ranks, threads, metrics, dataset, rss_kb = sys.argv[1:]
rows = [json.loads(l) for l in open(metrics) if "part" not in json.loads(l)]
med = lambda f: statistics.median(f(r) for r in rows)
mean = lambda xs: sum(xs) / len(xs)
pr = lambda r: r["per_rank"]
out = {
    "set": name, "feedback": feedback, "ranks": int(ranks), "threads": int(threads),
    "seconds": med(lambda r: r["seconds"]),
    "solve_max": med(lambda r: max(c["solve_seconds"] for c in pr(r))),
    "solve_mean": med(lambda r: mean([c["solve_seconds"] for c in pr(r)])),
    "solve_cpu_mean": med(lambda r: mean([c["solve_cpu_seconds"] for c in pr(r)])),
    "gram_mean": med(lambda r: mean([c["gram_seconds"] for c in pr(r)])),
    "wait_max": med(lambda r: max(c["wait"]["seconds"] for c in pr(r))),
    "exchange_mean": med(lambda r: mean([c["exchange"]["seconds"] for c in pr(r)])),
    "exchange_max": med(lambda r: max(c["exchange"]["seconds"] for c in pr(r))),
    "received_mean": med(lambda r: mean([c["exchange"]["bytes_received"] for c in pr(r)])),
    "sent_mean": med(lambda r: mean([c["exchange"]["bytes_sent"] for c in pr(r)])),
    "metrics_mean": med(lambda r: mean([c["metrics_seconds"] for c in pr(r)])),
    "peak_rss_mb": int(rss_kb) / 1024,
}
print(json.dumps(out))
EOF
}

# The dataset's sizes for the cost model (users, anime, training entries).
sizes() {
  "$bin" info "$1" | awk '!u && /^  users / { gsub(",", "", $2); u = $2 }
    !a && /^  anime / { gsub(",", "", $2); a = $2 }
    !t && /^  train / { gsub(",", "", $2); t = $2 } END { print u "," a "," t }'
}

echo "set,feedback,solver,ranks,threads,factors,users,anime,train_entries,seconds,solve_max," \
  "solve_mean,solve_cpu_mean,gram_mean,wait_max,exchange_mean,exchange_max,received_mean,sent_mean," \
  "metrics_mean,peak_rss_mb" | tr -d ' ' >"$csv_out"
printf '%-8s %-9s %5s %7s %9s %10s %9s %9s %8s %8s %10s %11s %9s\n' set feedback ranks threads \
  "s/iter" "solve max" "solve avg" "solve cpu" gram wait exchange "MB recv/rk" "RSS/rank"
for set in $SETS; do
  IFS=: read -r name pop act <<<"$set"
  bench_set "$scratch/$name.h5" "$USERS" "$ANIME" "$RATINGS" "$pop" "$act"
  shape=$(sizes "$scratch/$name.h5")
  for fb in $FEEDBACKS; do
    for run in $RUNS; do
      np=${run%x*} threads=${run#*x} tag="$name-$fb-$run"
      with_rss "$scratch/$tag.rss" "$np" "$bin" train --dataset "$scratch/$name.h5" \
        --out "$scratch/$tag.h5" --factors "$FACTORS" --iterations "$ITERATIONS" \
        --feedback "$fb" --solver "$SOLVER" --threads "$threads" \
        --metrics-out "$scratch/$tag.jsonl" --quiet --overwrite
      row=$(summarise "$name" "$fb" "$np" "$threads" "$scratch/$tag.jsonl" \
        "$scratch/$name.h5" "$(peak_rss_kb "$scratch/$tag.rss")")
      /usr/bin/python3 - "$row" "$shape" "$SOLVER" "$FACTORS" "$csv_out" <<'EOF'
import json, sys
r, shape, solver, k, csv = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
keys = ["seconds", "solve_max", "solve_mean", "solve_cpu_mean", "gram_mean", "wait_max", "exchange_mean",
        "exchange_max", "received_mean", "sent_mean", "metrics_mean", "peak_rss_mb"]
with open(csv, "a") as f:
    f.write(",".join([r["set"], r["feedback"], solver, str(r["ranks"]), str(r["threads"]), k,
                      shape] + ["%.6g" % r[x] for x in keys]) + "\n")
print("%-8s %-9s %5d %7d %9.2f %10.3f %9.3f %9.3f %8.3f %8.3f %10.3f %11.1f %6.0f MB" % (
    r["set"], r["feedback"], r["ranks"], r["threads"], r["seconds"], r["solve_max"],
    r["solve_mean"], r["solve_cpu_mean"], r["gram_mean"], r["wait_max"], r["exchange_mean"],
    r["received_mean"] / 1e6, r["peak_rss_mb"]))
EOF
    done
  done
  rm -f "$scratch/$name.h5" "$scratch/$name"-*.h5
done
echo "wrote $csv_out"
