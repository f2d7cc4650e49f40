#!/usr/bin/env bash
# A small whole training as users run it, meant for the sanitizer build (CI runs
# every smoke_* script there): synth -> prepare with cold anime -> train under
# mpiexec -n 2 (explicit ALS, hybrid prior, ranking part, a checkpoint) ->
# evaluate under mpiexec -n 2 -> recommend. Each step must exit 0, and the
# 2-rank model must equal the 1-rank one, so the MPI exchange and the trainer
# run under AddressSanitizer and UndefinedBehaviorSanitizer, not only the units.
# Usage: smoke_train_np2.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib/mpi_test.sh"
command -v h5diff >/dev/null || { echo "no h5diff"; exit 77; }

"$bin" synth --out "$work/s" --users 300 --anime 120 --ratings 12000 --seed 5 --quiet ||
  fail "synth"
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --anime "$work/s/anime-dataset-2023.csv" \
  --out "$work/d.h5" --validation-fraction 0.1 --cold-anime-fraction 0.1 --quiet || fail "prepare"
train=(train --dataset "$work/d.h5" --factors 6 --iterations 4 --lambda 0.5 --lambda-content 2
  --ranking-factors 3 --quiet)
"$bin" "${train[@]}" --threads 1 --out "$work/m1.h5" || fail "train on 1 rank"
mkdir -p "$work/ckpt"
"$mpiexec" -n 2 "$bin" "${train[@]}" --threads 2 --checkpoint-dir "$work/ckpt" \
  --checkpoint-every 2 --out "$work/m2.h5" || fail "mpiexec -n 2 train"
[[ -s "$work/ckpt/checkpoint.h5" ]] || fail "no checkpoint written with --checkpoint-every 2"
for a in /users/factors /anime/factors /ranking/user_factors /ranking/anime_factors /content/w; do
  h5diff -q "$work/m1.h5" "$work/m2.h5" "$a" "$a" >/dev/null 2>&1 ||
    fail "$a differs between 1 rank and 2 ranks x 2 threads"
done
"$mpiexec" -n 2 "$bin" evaluate --model "$work/m2.h5" --dataset "$work/d.h5" --format json \
  >"$work/eval.json" || fail "mpiexec -n 2 evaluate"
grep -q '"ndcg' "$work/eval.json" || fail "evaluate printed no NDCG"
"$bin" recommend --model "$work/m2.h5" --dataset "$work/d.h5" --user 1 --top 5 >"$work/recs.txt" ||
  fail "recommend"
[[ $(grep -c '^ *[0-9]' "$work/recs.txt") -ge 5 ]] || fail "recommend listed fewer than 5 anime"
echo "$failures failure(s)"
exit $((failures > 0))
