#!/usr/bin/env bash
# The trainer as users run it: under mpiexec with 1..4 ranks and 1..2 threads
# the model arrays are bit-identical (plain ALS, the hybrid prior, the ranking part's prior and
# its cold map); an interrupted run resumed from its
# checkpoint equals an uninterrupted one; a bad dataset part read by one rank
# ends the whole job with that rank's message.
# Usage: train_ranks.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib/mpi_test.sh"
arrays=(/users/factors /users/bias /anime/factors /anime/bias)
same_arrays() {  # a.h5 b.h5: every model array bit-identical
  local a
  for a in "${arrays[@]}"; do
    h5diff -q "$1" "$2" "$a" "$a" >/dev/null 2>&1 || { echo "  $a differs: $1 vs $2"; return 1; }
  done
}

"$bin" synth --out "$work/s" --users 400 --anime 150 --ratings 20000 --seed 11 --quiet
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --anime "$work/s/anime-dataset-2023.csv" \
  --out "$work/d.h5" --validation-fraction 0.1 --quiet
model_args=(--factors 8 --iterations 6 --lambda 0.05 --quiet)
common=(train --dataset "$work/d.h5" "${model_args[@]}")

# For both feedback kinds and both solvers, a model trained with 1 rank and
# 1 thread is compared (by the function named first) with models from
# -np 2, 3, 4 and from 2 ranks x 2 threads. Usage: across_ranks COMPARE TAG TRAIN_ARGS...
across_ranks() {
  local compare=$1 tag=$2 feedback solver np ref out
  shift 2
  for feedback in explicit implicit; do
    for solver in cholesky cg; do
      ref="$work/$tag-ref-$feedback-$solver.h5"
      "$bin" "$@" --feedback "$feedback" --solver "$solver" --threads 1 --out "$ref" ||
        fail "$tag train $feedback $solver with 1 rank"
      for np in 2 3 4; do
        out="$work/$tag-np$np-$feedback-$solver.h5"
        "$mpiexec" -n "$np" "$bin" "$@" --feedback "$feedback" --solver "$solver" --threads 1 \
          --out "$out" || fail "$tag mpiexec -n $np train $feedback $solver"
        "$compare" "$ref" "$out" || fail "$tag $feedback $solver: -np $np differs from -np 1"
      done
      out="$work/$tag-t2-$feedback-$solver.h5"
      "$mpiexec" -n 2 "$bin" "$@" --feedback "$feedback" --solver "$solver" --threads 2 \
        --out "$out" || fail "$tag train with 2 threads"
      "$compare" "$ref" "$out" || fail "$tag $feedback $solver: 2 ranks x 2 threads differs from 1 x 1"
    done
  done
}
across_ranks same_arrays plain "${common[@]}"

# The ranking part (an implicit fit after the explicit one) is rank-independent too.
same_ranking() {
  same_arrays "$1" "$2" || return 1
  local a
  for a in /ranking/user_factors /ranking/anime_factors; do
    h5diff -q "$1" "$2" "$a" "$a" >/dev/null 2>&1 || { echo "  $a differs: $1 vs $2"; return 1; }
  done
}
# (CG with its own step count, not the main fit's.)
"$bin" "${common[@]}" --ranking-factors 6 --ranking-cg-steps 5 --threads 1 --out "$work/rank-1.h5" ||
  fail "train with a ranking part"
"$mpiexec" -n 3 "$bin" "${common[@]}" --ranking-factors 6 --ranking-cg-steps 5 --threads 2 \
  --out "$work/rank-3.h5" ||
  fail "mpiexec -n 3 train with a ranking part"
same_ranking "$work/rank-1.h5" "$work/rank-3.h5" || fail "ranking part: -np 3 x 2 threads differs from -np 1"
# The same with every option of the Rendle et al. fit and the score confidence
# (the ridge counts the other side's rows, which each rank must see whole),
# solved exactly (--ranking-solver cholesky).
rendle=(--ranking-factors 6 --ranking-alpha0 0.2 --ranking-regularization frequency
  --ranking-lambda-exponent 0.8 --weight-score-slope 0.3 --weight-score-pivot 5
  --ranking-solver cholesky)
"$bin" "${common[@]}" "${rendle[@]}" --threads 1 --out "$work/rendle-1.h5" ||
  fail "train with a frequency-regularised ranking part"
h5diff -q "$work/rank-1.h5" "$work/rendle-1.h5" /ranking/user_factors /ranking/user_factors \
  >/dev/null 2>&1 && fail "the ranking options changed nothing"
for np in 2 3; do
  "$mpiexec" -n "$np" "$bin" "${common[@]}" "${rendle[@]}" --threads 2 --out "$work/rendle-$np.h5" ||
    fail "mpiexec -n $np train with a frequency-regularised ranking part"
  same_ranking "$work/rendle-1.h5" "$work/rendle-$np.h5" ||
    fail "frequency-regularised ranking part: -np $np x 2 threads differs from -np 1"
done

# The hybrid prior (--lambda-content > 0) on a dataset with cold anime: the
# model arrays and the content map are bit-identical for any ranks and threads,
# and a resumed hybrid run (W recomputed from the checkpoint's factors) equals
# an uninterrupted one.
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --anime "$work/s/anime-dataset-2023.csv" \
  --out "$work/cold.h5" --validation-fraction 0.1 --cold-anime-fraction 0.2 --quiet
hybrid=(train --dataset "$work/cold.h5" "${model_args[@]}" --lambda-content 2 --content-ridge 1)
same_hybrid() {
  same_arrays "$1" "$2" || return 1
  local a
  for a in /content/w /content/w_bias /content/offsets /content/cols /content/values; do
    h5diff -q "$1" "$2" "$a" "$a" >/dev/null 2>&1 || { echo "  $a differs: $1 vs $2"; return 1; }
  done
}
across_ranks same_hybrid hyb "${hybrid[@]}"
rm -rf "$work/hck" && mkdir -p "$work/hck"
ANIMEREC_TEST_STOP_AFTER=3 "$mpiexec" -n 2 "$bin" "${hybrid[@]}" --out "$work/hyb-part.h5" \
  --checkpoint-dir "$work/hck"
[[ $? -eq 3 ]] || fail "an interrupted hybrid run exits 3"
"$mpiexec" -n 3 "$bin" "${hybrid[@]}" --out "$work/hyb-resumed.h5" --resume "$work/hck/checkpoint.h5" ||
  fail "hybrid resume"
same_hybrid "$work/hyb-ref-explicit-cholesky.h5" "$work/hyb-resumed.h5" ||
  fail "resumed hybrid model differs from the uninterrupted one"
"$bin" train --dataset "$work/cold.h5" "${model_args[@]}" --lambda-content 3 --out "$work/hyb-x.h5" --resume "$work/hck/checkpoint.h5" \
  >"$work/log" 2>&1
rc=$?
[[ $rc -eq 2 ]] && grep -q -- "--lambda-content was 2" "$work/log" ||
  { fail "resume with another --lambda-content must be refused"; cat "$work/log"; }

# The ranking part's content prior and popularity term on the cold
# dataset: ranking factors (cold anime's from content) and the ranking map are
# bit-identical for -np 1..4 and for 2 ranks x 2 threads.
ranked=("${hybrid[@]}" --ranking-factors 6 --ranking-lambda-content 3 --ranking-content-ridge 1
  --ranking-popularity-weight 1)
same_ranking_prior() {
  same_hybrid "$1" "$2" || return 1
  local a
  for a in /ranking/user_factors /ranking/anime_factors /ranking/content_w \
    /ranking/popularity_direction; do
    h5diff -q "$1" "$2" "$a" "$a" >/dev/null 2>&1 || { echo "  $a differs: $1 vs $2"; return 1; }
  done
}
"$bin" "${ranked[@]}" --threads 1 --out "$work/rp-ref.h5" || fail "train with a ranking prior"
for np in 2 3 4; do
  "$mpiexec" -n "$np" "$bin" "${ranked[@]}" --threads 1 --out "$work/rp-np$np.h5" ||
    fail "mpiexec -n $np train with a ranking prior"
  same_ranking_prior "$work/rp-ref.h5" "$work/rp-np$np.h5" ||
    fail "ranking prior: -np $np differs from -np 1"
done
"$mpiexec" -n 2 "$bin" "${ranked[@]}" --threads 2 --out "$work/rp-t2.h5" ||
  fail "mpiexec -n 2 train with a ranking prior and 2 threads"
same_ranking_prior "$work/rp-ref.h5" "$work/rp-t2.h5" ||
  fail "ranking prior: 2 ranks x 2 threads differs from 1 x 1"

# The cold map (refit after the ranking fit, with the prior in the fit): cold
# anime's ranking factors and the map are bit-identical for -np 1..4 and for
# 2 ranks x 2 threads.
cold_mapped=("${hybrid[@]}" --ranking-factors 6 --ranking-lambda-content 3
  --ranking-cold-ridge 1 --ranking-cold-popularity-exponent 0.5 --ranking-cold-blend 0.05)
same_cold_map() {
  same_hybrid "$1" "$2" || return 1
  local a
  for a in /ranking/user_factors /ranking/anime_factors /ranking/content_w /ranking/cold_w \
    /ranking/cold; do
    h5diff -q "$1" "$2" "$a" "$a" >/dev/null 2>&1 || { echo "  $a differs: $1 vs $2"; return 1; }
  done
}
"$bin" "${cold_mapped[@]}" --threads 1 --out "$work/cm-ref.h5" || fail "train with a cold map"
for np in 2 3 4; do
  "$mpiexec" -n "$np" "$bin" "${cold_mapped[@]}" --threads 1 --out "$work/cm-np$np.h5" ||
    fail "mpiexec -n $np train with a cold map"
  same_cold_map "$work/cm-ref.h5" "$work/cm-np$np.h5" || fail "cold map: -np $np differs from -np 1"
done
"$mpiexec" -n 2 "$bin" "${cold_mapped[@]}" --threads 2 --out "$work/cm-t2.h5" ||
  fail "mpiexec -n 2 train with a cold map and 2 threads"
same_cold_map "$work/cm-ref.h5" "$work/cm-t2.h5" ||
  fail "cold map: 2 ranks x 2 threads differs from 1 x 1"

# Interrupted after 3 iterations (as SIGUSR1 would), then resumed: same model.
"$bin" "${common[@]}" --out "$work/full.h5"
mkdir -p "$work/ck"
ANIMEREC_TEST_STOP_AFTER=3 "$mpiexec" -n 2 "$bin" "${common[@]}" --out "$work/part.h5" --checkpoint-dir "$work/ck"
rc=$?
[[ $rc -eq 3 ]] || fail "an interrupted run exits 3 (got $rc)"
[[ -e "$work/part.h5" ]] && fail "an interrupted run must not write the model"
[[ -e "$work/ck/checkpoint.h5" ]] || fail "an interrupted run writes a checkpoint"
"$mpiexec" -n 3 "$bin" "${common[@]}" --out "$work/resumed.h5" --resume "$work/ck/checkpoint.h5" ||
  fail "resume"
same_arrays "$work/full.h5" "$work/resumed.h5" || fail "resumed model differs from the uninterrupted one"

# A real SIGUSR1 (what SLURM sends before the time limit) to a running job:
# the ranks finish the iteration, write a checkpoint and exit 3.
rm -rf "$work/ck2" && mkdir -p "$work/ck2"
"$mpiexec" -n 2 "$bin" train --dataset "$work/d.h5" --factors 32 --iterations 10000 --quiet \
  --out "$work/sig.h5" --checkpoint-dir "$work/ck2" &
job=$!
sleep 3
kill -USR1 "$job"  # mpirun forwards SIGUSR1 to every rank
wait "$job"
rc=$?
[[ $rc -eq 3 ]] || fail "SIGUSR1 ends the job with exit 3 (got $rc)"
[[ -e "$work/ck2/checkpoint.h5" ]] || fail "SIGUSR1 writes a checkpoint"

# Resuming against another dataset is refused.
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --out "$work/d2.h5" --seed 9 --quiet
"$bin" train --dataset "$work/d2.h5" --factors 8 --iterations 6 --quiet --out "$work/x.h5" \
  --resume "$work/ck/checkpoint.h5" >"$work/log" 2>&1
rc=$?
[[ $rc -eq 2 ]] && grep -q "made from another dataset" "$work/log" || { fail "resume of another dataset"; cat "$work/log"; }

# A part of the dataset only rank 1 reads is damaged: the job ends with that
# rank's message, promptly, non-zero.
cp "$work/d.h5" "$work/bad.h5"
/usr/bin/python3 - "$work/bad.h5" <<'PY' || fail "could not damage the file"
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    s = f["ratings/by_user/score"]
    s[len(s) - 1] = 99.0
PY
start=$SECONDS
timeout 60 "$mpiexec" -n 2 "$bin" train --dataset "$work/bad.h5" "${model_args[@]}" --out "$work/bad-model.h5" \
  >"$work/log" 2>&1
rc=$?
[[ $rc -ne 0 && $rc -ne 124 ]] || fail "a damaged part must fail the job (rc $rc)"
grep -q "rank 1 of 2" "$work/log" && grep -q "score 99 outside the scale" "$work/log" ||
  { fail "the failing rank's message"; cat "$work/log"; }
(( SECONDS - start < 30 )) || fail "the failing job took $((SECONDS - start)) s"
[[ -e "$work/bad-model.h5" ]] && fail "no model after a failure"

# The shipped configs drive prepare and train end to end.
"$bin" synth --layout movielens --out "$work/ml" --users 200 --anime 150 --ratings 8000 --quiet
for config in movielens mal2016; do
  "$bin" prepare --config "$src/configs/$config.ini" --ratings "$work/ml/u.data" --out "$work/$config.h5" --quiet &&
    "$bin" train --config "$src/configs/$config.ini" --dataset "$work/$config.h5" --out "$work/$config-model.h5" \
      --iterations 2 --quiet || fail "configs/$config.ini"
done

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all trainer checks passed"
