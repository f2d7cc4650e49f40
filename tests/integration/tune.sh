#!/usr/bin/env bash
# scripts/tune on tiny synthetic data (seconds):
# - a planted problem: an exhaustive grid over lambda finds its best value; the study
#   (TPE over a continuous log range) finds it within one grid step;
# - determinism: the same study twice (one worker, same seed) gives the same trials and
#   the same best.ini, and best.ini is accepted by `animerec train --config` as is;
# - resume: a worker killed (SIGKILL) mid-trial, then the same command again: the lost
#   trial runs again and the study ends with the same completed trials as an
#   uninterrupted one;
# - two local workers share the journal and run exactly the trial budget;
# - trials on 2 MPI ranks (mpiexec): the pruned one is stopped by SIGTERM through
#   mpiexec and no rank is left running;
# - an explicit model judged on NDCG@10: the pruner follows its ranking part's
#   per-iteration validation NDCG@10 and prunes a trial, whose training is ended;
# - bad input (missing dataset, unknown parameter or empty range in the space file,
#   dataset without validation split, implicit + rmse): a message naming it, exit 2,
#   no study directory left behind.
# Skips (77) without python3-optuna.
# Usage: tune.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
tune="$src/scripts/tune"
/usr/bin/python3 -c 'import optuna' 2>/dev/null || {
  echo "skip: no python3-optuna"
  exit 77
}
work=$(mktemp -d)
[[ -n ${KEEP:-} ]] && echo "work: $work"
trap '[[ -n ${KEEP:-} ]] || rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
export ANIMEREC=$bin

# Planted taste structure with 4 factors and noise: validation RMSE against lambda has
# one clear minimum (biases-only beyond ~0.6, overfitting below ~0.1).
"$bin" synth --out "$work/p" --users 300 --anime 120 --ratings 9000 --factors 4 --noise 1.0 \
  --seed 3 --quiet || fail "synth"
data=$work/p.h5
"$bin" prepare --ratings "$work/p/users-score-2023.csv" --out "$data" --validation-fraction 0.2 \
  --quiet || fail "prepare"
"$bin" prepare --ratings "$work/p/users-score-2023.csv" --out "$work/noval.h5" --quiet ||
  fail "prepare without validation"
cat >"$work/base.ini" <<'EOF'
[train]
factors = 8
iterations = 10
EOF
cat >"$work/space.ini" <<'EOF'
[space]
lambda = float 0.02 5.12 log   # the grid below steps by a factor of 2
EOF

echo "[$SECONDS s] planted problem: the grid's best lambda"
grid_best=$(for lambda in 0.02 0.04 0.08 0.16 0.32 0.64 1.28 2.56 5.12; do
  "$bin" train --dataset "$data" --out "$work/g.h5" --overwrite --config "$work/base.ini" \
    --lambda $lambda --metrics-out "$work/g.jsonl" --threads 1 --quiet || exit 1
  /usr/bin/python3 -c "import json,sys; print(min(json.loads(l)['validation_rmse'] for l in open(sys.argv[1])), sys.argv[2])" \
    "$work/g.jsonl" $lambda
done | sort -g | head -1 | cut -d' ' -f2)
echo "grid: best lambda $grid_best"
(cd "$work" && "$tune" --dataset "$data" --out planted --trials 14 --space space.ini \
  --base-config base.ini --seed 5 --pruner none --no-test >planted.log 2>&1) ||
  fail "planted study: $(tail -5 "$work/planted.log")"
found=$(sed -n 's/^lambda = \([^ ]*\).*/\1/p' "$work/planted/best.ini")
echo "tune: best lambda $found"
/usr/bin/python3 -c "import sys,math; sys.exit(abs(math.log(float(sys.argv[1])/float(sys.argv[2]))) > math.log(2) + 1e-9)" \
  "${found:-nan}" "${grid_best:-nan}" || fail "tune's lambda $found is not within a grid step of $grid_best"
for f in best.ini trials.csv trials.md manifest.json study.journal; do
  [[ -s $work/planted/$f ]] || fail "planted study wrote no $f"
done
[[ $(grep -c ',complete,' "$work/planted/trials.csv") -eq 14 ]] || fail "planted: not 14 complete trials"
grep -q '"sha256": "'"$(sha256sum "$data" | cut -d' ' -f1)"'"' "$work/planted/manifest.json" ||
  fail "manifest lacks the dataset sha256"
grep -q '"seed": 5' "$work/planted/manifest.json" || fail "manifest lacks the study seed"
is_png() { [[ -s $1 && $(head -c 8 "$1" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]]; }
"$src/scripts/plot" tune "$work/planted" -o "$work/planted.png" >/dev/null && is_png "$work/planted.png" ||
  fail "scripts/plot tune"
mkdir -p "$work/nothing"
"$src/scripts/plot" tune "$work/nothing" -o "$work/nothing.png" 2>/dev/null
[[ $? -eq 2 && ! -e $work/nothing.png ]] || fail "scripts/plot tune of a directory without trials.csv is not refused"

echo "[$SECONDS s] determinism, best.ini as is, pruning"
cat >"$work/space2.ini" <<'EOF'
[space]
factors = int 2 16 log
lambda = float 0.02 5 log
lambda-bias = float 0.5 20 log
EOF
for run in a b; do
  mkdir -p "$work/$run"
  (cd "$work/$run" && "$tune" --dataset "$data" --out study --trials 8 --space ../space2.ini \
    --base-config ../base.ini --seed 11 >log 2>&1) || fail "study $run: $(tail -5 "$work/$run/log")"
done
columns() { cut -d, -f1-6 "$1"; } # trial,state,value and the three parameters
diff <(columns "$work/a/study/trials.csv") <(columns "$work/b/study/trials.csv") >/dev/null ||
  fail "the same study twice gave different trials"
cmp -s "$work/a/study/best.ini" "$work/b/study/best.ini" || fail "the same study twice gave different best.ini"
grep -q ',pruned,' "$work/a/study/trials.csv" || echo "note: no trial was pruned in the 8-trial study"
"$bin" train --config "$work/a/study/best.ini" --dataset "$data" --out "$work/best.h5" --quiet ||
  fail "animerec train does not accept best.ini as is"
grep -q "Test split, evaluated once" "$work/a/study/trials.md" || fail "trials.md has no test note"

echo "[$SECONDS s] resume after a kill"
# A slower study (more factors) so the kill lands inside a trial.
cat >"$work/space3.ini" <<'EOF'
[space]
factors = int 64 160 step 32
lambda = float 0.02 5 log
EOF
resume_args=(--dataset "$data" --out study --trials 4 --space ../space3.ini --base-config ../base.ini
  --seed 3 --no-test)
mkdir -p "$work/r" "$work/u"
(cd "$work/u" && "$tune" "${resume_args[@]}" >log 2>&1) || fail "uninterrupted study"
(cd "$work/r" && exec "$tune" "${resume_args[@]}" >>log 2>&1) &
worker=$!
for _ in $(seq 600); do
  [[ -e $work/r/study/trials/0001/train.log ]] && break
  sleep 0.1
done
sleep 0.3
kill -9 $worker
wait $worker 2>/dev/null
(cd "$work/r" && "$tune" "${resume_args[@]}" >>log 2>&1) || fail "resumed study: $(tail -5 "$work/r/log")"
grep -q 'worker lost' "$work/r/study/trials.csv" || fail "the killed trial is not marked lost"
done_rows() { grep -E ',(complete|pruned),' "$1" | cut -d, -f2-5 | sort; }
[[ $(done_rows "$work/r/study/trials.csv" | wc -l) -eq 4 ]] || fail "resumed study has not 4 finished trials"
diff <(done_rows "$work/u/study/trials.csv") <(done_rows "$work/r/study/trials.csv") ||
  fail "the resumed study's trials differ from an uninterrupted one's"
pgrep -f "$work/r/study/trials" >/dev/null && fail "a training process of the killed worker is still running"

echo "[$SECONDS s] two workers, one journal"
(cd "$work" && "$tune" --dataset "$data" --out two --trials 6 --space space2.ini \
  --base-config base.ini --workers 2 --no-test >two.log 2>&1) || fail "two workers: $(tail -5 "$work/two.log")"
[[ $(tail -n +2 "$work/two/trials.csv" | wc -l) -eq 6 ]] || fail "two workers did not run exactly 6 trials"
grep -q 'worker 2: trial' "$work/two.log" || fail "the second worker ran no trial"

echo "[$SECONDS s] pruning a trial of 2 MPI ranks"
# 400 iterations: the median pruner decides at iteration 200 or later, while the ranks
# are still training; mpiexec passes the SIGTERM on and train stops after its iteration.
if command -v mpiexec >/dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  printf '[train]\nfactors = 8\niterations = 400\n' >"$work/base400.ini"
  (cd "$work" && "$tune" --dataset "$data" --out ranks --trials 4 --space space2.ini \
    --base-config base400.ini --seed 12 --ranks 2 --startup-trials 3 --no-test >ranks.log 2>&1) ||
    fail "2-rank study: $(tail -5 "$work/ranks.log")"
  head -1 "$work/ranks/trials/0000/train.log" | grep -q '^\$ mpiexec -n 2 ' || fail "trials did not run on 2 ranks"
  [[ $(cut -d, -f2 "$work/ranks/trials.csv" | tr '\n' ' ') == "state complete complete complete pruned " ]] ||
    fail "2-rank study: not 3 complete trials and 1 pruned: $(cut -d, -f1-3 "$work/ranks/trials.csv" | xargs)"
  # The decision is deterministic, the moment it reaches the ranks is not: on an idle
  # machine the 400 iterations may all be done before the signal comes.
  if grep -q "^stopped after iteration [0-9]* by a signal" "$work/ranks/trials/0003/train.log"; then
    echo "the pruned trial's ranks stopped after iteration $(wc -l <"$work/ranks/trials/0003/metrics.jsonl")"
  elif ! grep -q "^iter 400/400" "$work/ranks/trials/0003/train.log"; then
    fail "the pruned trial's ranks neither stopped nor finished: $(tail -2 "$work/ranks/trials/0003/train.log")"
  else
    echo "note: the pruned trial had finished its 400 iterations before the signal reached it"
  fi
  pgrep -f "$work/ranks/trials" >/dev/null && fail "a pruned trial's rank is still running"
fi

echo "[$SECONDS s] pruning on the ranking part of an explicit model (--metric ndcg10)"
# The ranking part appends its iterations to --metrics-out ("part": "ranking", with the
# validation NDCG@10); the pruner follows them. The ranking part does not stop on SIGTERM
# (it finishes and writes the model), so a trial pruned there is ended at once.
printf '[train]\nfactors = 8\niterations = 3\nranking-factors = 128\nranking-lambda = 5\nranking-iterations = 200\n' \
  >"$work/base-ranking.ini"
printf '[space]\nranking-alpha = float 0.01 100 log\n' >"$work/space-ranking.ini"
(cd "$work" && "$tune" --dataset "$data" --out ranking --trials 8 --space space-ranking.ini \
  --base-config base-ranking.ini --metric ndcg10 --seed 5 --startup-trials 3 --no-test \
  >ranking.log 2>&1) || fail "ranking-part study: $(tail -5 "$work/ranking.log")"
ranking_lines() { grep -c '^{"part": "ranking", "iteration": ' "$1"; }
[[ $(ranking_lines "$work/ranking/trials/0000/metrics.jsonl") -eq 200 &&
  $(grep -vc '"part"' "$work/ranking/trials/0000/metrics.jsonl") -eq 3 ]] ||
  fail "a complete trial's metrics.jsonl has not 3 main-fit and 200 ranking-part lines"
pruned_trial=$(awk -F, '$2 == "pruned" { print $1; exit }' "$work/ranking/trials.csv")
if [[ -z $pruned_trial ]]; then
  fail "no trial of the ranking-part study was pruned: $(cut -d, -f1-3 "$work/ranking/trials.csv" | xargs)"
else
  pruned_dir=$work/ranking/trials/$(printf %04d "$pruned_trial")
  pruned_at=$(awk -F, -v t="$pruned_trial" '$1 == t { print $(NF - 4) }' "$work/ranking/trials.csv")
  [[ $pruned_at -ge 100 && $pruned_at -lt 200 ]] ||
    fail "trial $pruned_trial was pruned at ranking iteration '$pruned_at', not in [100, 200)"
  # As with the ranks above, the decision is deterministic, the moment the kill lands not.
  if grep -q "^wrote " "$pruned_dir/train.log"; then
    echo "note: the pruned trial had finished its ranking part before it was stopped"
  else
    echo "the pruned trial $pruned_trial stopped after ranking iteration $(ranking_lines "$pruned_dir/metrics.jsonl")"
  fi
  [[ ! -e $pruned_dir/model.h5 ]] || fail "the pruned trial left a model"
fi
pgrep -f "$work/ranking/trials" >/dev/null && fail "a pruned trial's training process is still running"

echo "[$SECONDS s] bad input: exit 2, a message, nothing written"
expect_refused() { # NAME PATTERN ARGS...
  local name=$1 pattern=$2 out=$work/bad-$1 rc
  shift 2
  "$tune" --out "$out" "$@" >"$work/bad.log" 2>&1
  rc=$?
  [[ $rc -eq 2 ]] || fail "$name: exit code $rc, expected 2"
  grep -q -- "$pattern" "$work/bad.log" || fail "$name: no message matching '$pattern': $(cat "$work/bad.log")"
  [[ ! -e $out ]] || fail "$name: left $out behind"
}
printf '[space]\nlambda = float 0.1 1\nlamda = float 0.1 1\n' >"$work/unknown.ini"
printf '[space]\nlambda = float 1 0.5\n' >"$work/empty.ini"
printf '[space]\nfactors = int 8 8\n' >"$work/empty-int.ini"
printf '[train]\nfeedback = implicit\n' >"$work/implicit.ini"
expect_refused missing "no-such.h5: no such file" --dataset "$work/no-such.h5" --trials 2
expect_refused unknown "unknown.ini:3: unknown parameter 'lamda'" --dataset "$data" --trials 2 \
  --space "$work/unknown.ini"
expect_refused empty "empty.ini:2: 'lambda': the range \[1, 0.5\] is empty" --dataset "$data" \
  --trials 2 --space "$work/empty.ini"
expect_refused empty-int "the range \[8, 8\] is empty" --dataset "$data" --trials 2 \
  --space "$work/empty-int.ini"
expect_refused no-validation "has no validation split.*--validation-fraction" \
  --dataset "$work/noval.h5" --trials 2
expect_refused implicit-rmse "implicit model predicts no scores" --dataset "$data" --trials 2 \
  --base-config "$work/implicit.ini" --metric rmse
# Every shipped search space parses against this trainer's parameters (the check that
# follows, the validation split, is the first one after the space).
for space in "$src"/configs/tune-*.ini; do
  expect_refused "shipped-$(basename "$space" .ini)" "has no validation split" \
    --dataset "$work/noval.h5" --trials 2 --space "$space"
done
# An existing directory of other files is not taken over.
mkdir -p "$work/taken" && echo keep >"$work/taken/notes.txt"
"$tune" --dataset "$data" --out "$work/taken" --trials 2 >"$work/bad.log" 2>&1
[[ $? -eq 2 && $(ls "$work/taken") == notes.txt ]] || fail "a directory of other files was used"
# A resumed study with another seed is refused and the study is untouched.
before=$(sha256sum "$work/a/study/study.journal")
(cd "$work/a" && "$tune" --dataset "$data" --out study --trials 12 --space ../space2.ini \
  --base-config ../base.ini --seed 12 >"$work/bad.log" 2>&1)
[[ $? -eq 2 ]] && grep -q "another seed" "$work/bad.log" || fail "a resume with another seed was not refused"
[[ $(sha256sum "$work/a/study/study.journal") == "$before" ]] || fail "the refused resume changed the journal"

[[ $failures -eq 0 ]] || {
  echo "$failures failure(s)"
  exit 1
}
echo "tune: ok"
