#!/usr/bin/env bash
# scripts/plot: each subcommand turns a tiny input into a PNG, and bad input
# is refused with exit code 2. Skips (77) where matplotlib is not installed.
# Usage: plot.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
src=$2
plot="$src/scripts/plot"
/usr/bin/python3 -c 'import matplotlib' 2>/dev/null || { echo "no python3-matplotlib"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
is_png() { [[ -s $1 && $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; }

for run in a b; do
  for i in 1 2 3; do
    echo "{\"iteration\": $i, \"train_rmse\": 1.$((5 - i)), \"validation_rmse\": 1.$((6 - i)), \"seconds\": 0.1}"
  done >"$work/$run.jsonl"
done
printf 'factors,lambda,seconds,validation_rmse,validation_ndcg10,label\n8,0.1,3,1.20,0.1,x\n8,1,4,1.18,0.2,x\n16,0.1,5,1.19,0.3,y\n16,1,6,1.17,0.4,y\n' \
  >"$work/sweep.csv"
printf 'ranks,seconds_per_iteration\n1,2.0\n2,1.1\n4,0.9\n' >"$work/scaling.csv"

"$plot" convergence "$work/a.jsonl" "$work/b.jsonl" --labels A,B -o "$work/conv.png" &&
  is_png "$work/conv.png" || fail "convergence"
"$plot" sweep "$work/sweep.csv" --metric validation_rmse -o "$work/sweep.png" &&
  is_png "$work/sweep.png" || fail "sweep"
"$plot" scaling "$work/scaling.csv" -o "$work/scaling.png" && is_png "$work/scaling.png" ||
  fail "scaling"

# A model's /training/history is a run too.
bin=$1
"$bin" synth --out "$work/s" --users 100 --anime 40 --ratings 2000 --quiet &&
  "$bin" prepare --ratings "$work/s/users-score-2023.csv" --out "$work/d.h5" \
    --validation-fraction 0.1 --quiet &&
  "$bin" train --dataset "$work/d.h5" --out "$work/m.h5" --factors 4 --iterations 3 --quiet ||
  fail "training the model to plot"
"$plot" convergence "$work/m.h5" "$work/a.jsonl" -o "$work/model.png" && is_png "$work/model.png" ||
  fail "convergence from a model.h5"

# Only the parameters get panels: not other metrics, text columns or --ignore'd ones.
panels=$("$plot" sweep "$work/sweep.csv" --metric validation_rmse --ignore seconds -o "$work/s2.png")
panels=${panels%%$'\n'*}
[[ $panels == "parameters: factors, lambda" ]] || fail "sweep parameters: $panels"
"$plot" sweep "$work/sweep.csv" --metric ndcg -o "$work/x.png" 2>/dev/null
[[ $? -eq 2 && ! -e $work/x.png ]] || fail "sweep with a missing metric column is not refused"
echo '{"iteration": 1,' >"$work/bad.jsonl"
"$plot" convergence "$work/bad.jsonl" -o "$work/y.png" 2>/dev/null
[[ $? -eq 2 ]] || fail "a broken JSON line is not refused"

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
echo "plot: ok"
