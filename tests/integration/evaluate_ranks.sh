#!/usr/bin/env bash
# Distributed commands give the same output for any rank count:
#   evaluate --format json under mpiexec -n 1, 2, 3: the same text;
#   recommend --all-users under -n 1, 2, 3: byte-identical .h5 and .csv files;
#   cv --format json under -n 1 and 2: the same text.
# Small blocks (--batch-users 16) make several blocks per rank.
# Usage: evaluate_ranks.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib/mpi_test.sh"

"$bin" synth --out "$work/s" --users 300 --anime 120 --ratings 12000 --seed 4 --quiet
# Cold anime: the cold-start section is distributed too.
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --anime "$work/s/anime-dataset-2023.csv" \
  --out "$work/d.h5" --cold-anime-fraction 0.1 --quiet
"$bin" train --dataset "$work/d.h5" --out "$work/m.h5" --factors 6 --iterations 3 \
  --lambda-content 1 --ranking-factors 4 --quiet

for np in 1 2 3; do
  "$mpiexec" -n "$np" "$bin" evaluate --model "$work/m.h5" --dataset "$work/d.h5" --format json \
    --k 5,10 --manifest "$work/manifest$np.json" >"$work/eval$np.json" || fail "evaluate with $np ranks"
  # The run manifest records the job, not one rank: its rank count and every rank's host.
  /usr/bin/python3 -c "import json, sys; m = json.load(open(sys.argv[1])); \
sys.exit(not (m['ranks'] == $np and len(m['hosts']) == $np))" "$work/manifest$np.json" ||
    fail "the evaluate manifest of $np ranks does not record $np ranks and hosts"
  for ext in h5 csv; do
    "$mpiexec" -n "$np" "$bin" recommend --model "$work/m.h5" --dataset "$work/d.h5" --all-users \
      --top 8 --batch-users 16 --quiet --out "$work/recs$np.$ext" || fail "recommend --all-users $np ranks"
  done
done
grep -q '"model_rating_order"' "$work/eval1.json" || fail "evaluate lost the model_rating_order row"
grep -q '"cold_start"' "$work/eval1.json" || fail "evaluate has no cold-start section"
for np in 2 3; do
  cmp -s "$work/eval1.json" "$work/eval$np.json" || { fail "evaluate -n $np differs from -n 1";
    diff "$work/eval1.json" "$work/eval$np.json" | head -20; }
  cmp -s "$work/recs1.h5" "$work/recs$np.h5" || fail "recs.h5 with -n $np differs from -n 1"
  cmp -s "$work/recs1.csv" "$work/recs$np.csv" || fail "recs.csv with -n $np differs from -n 1"
done
# The CSV lists what the .h5 holds: one row per non-padded entry.
rows=$(($(wc -l <"$work/recs1.csv") - 1))
if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  listed=$(/usr/bin/python3 -c 'import h5py, sys
f = h5py.File(sys.argv[1], "r")
ids = f["recommendations/anime_ids"][()]
assert ids.shape == (300, 8) and f["users/ids"].shape == (300,), ids.shape
print(int((ids >= 0).sum()))' "$work/recs1.h5") || fail "recs1.h5 unreadable or misshaped"
  [[ $rows -eq $listed ]] || fail "recs.csv has $rows rows, recs.h5 lists $listed anime"
fi
[[ $rows -gt $((300 * 6)) ]] || fail "recs.csv has only $rows rows for 300 users x top 8"

# An existing --out is refused (exit 2) and left alone.
echo keep >"$work/keep.csv"
"$mpiexec" -n 2 "$bin" recommend --model "$work/m.h5" --dataset "$work/d.h5" --all-users \
  --quiet --out "$work/keep.csv" >/dev/null 2>&1
code=$?
[[ $code -eq 2 ]] || fail "existing --out: exit code $code, expected 2"
[[ $(cat "$work/keep.csv") == keep ]] || fail "existing --out was modified"

for np in 1 2; do
  "$mpiexec" -n "$np" "$bin" cv --dataset "$work/d.h5" --folds 3 --factors 4 --iterations 2 \
    --format json --work-dir "$work" --quiet >"$work/cv$np.json" ||
    fail "cv with $np ranks"
done
cmp -s "$work/cv1.json" "$work/cv2.json" || { fail "cv -n 2 differs from -n 1";
  diff "$work/cv1.json" "$work/cv2.json" | head -20; }

[[ $failures -eq 0 ]] && echo "evaluate_ranks: all passed"
exit $((failures > 0))
