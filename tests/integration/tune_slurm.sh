#!/usr/bin/env bash
# slurm/submit-tune.sh on a real one-node SLURM cluster (scripts/slurm-cluster.sh): two
# array tasks of slurm/tune.sbatch share one Optuna journal and run exactly the study's
# trial budget between them, each trial a job step (srun --mpi=pmix); then the collect
# job writes best.ini (accepted by `animerec train --config`), trials.csv and the test
# metrics of the best config.
# Skips (77) without the SLURM and munge binaries, python3-optuna or root.
# Usage: tune_slurm.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
for b in slurmctld slurmd sbatch squeue scontrol munged srun; do
  command -v "$b" >/dev/null || {
    echo "skip: $b not found (scripts/setup.sh installs slurm-wlm and munge)"
    exit 77
  }
done
/usr/bin/python3 -c 'import optuna' 2>/dev/null || {
  echo "skip: no python3-optuna"
  exit 77
}
source "$(dirname "$0")/lib/slurm_test.sh"

"$src/scripts/slurm-cluster.sh" start "$cluster" || {
  echo "FAIL: the cluster did not start"
  cat "$cluster"/*.log
  exit 1
}
export SLURM_CONF=$cluster/slurm.conf

"$bin" synth --out "$work/s" --users 300 --anime 120 --ratings 9000 --factors 4 --seed 3 --quiet
data=$work/d.h5
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --out "$data" --validation-fraction 0.2 --quiet
printf '[train]\nfactors = 8\niterations = 6\n' >"$work/base.ini"
printf '[space]\nlambda = float 0.02 5 log\nlambda-bias = float 0.5 20 log\n' >"$work/space.ini"

# Submitted from another directory with relative paths: submit-tune.sh goes through
# slurm/submit (paths made absolute, ANIMEREC_HOME set), so the jobs find the project.
cd "$work" || exit 1
printf 'not hdf5\n' >"$work/bad.h5"
msg=$(DATASET=bad.h5 RUN_DIR=study TRIALS=6 "$src/slurm/submit-tune.sh" 2>&1)
rc=$?
[[ $rc -eq 2 && $msg == *"DATASET=$work/bad.h5 is not an HDF5 file"* ]] ||
  fail "a DATASET that is not HDF5 was not refused before sbatch (rc $rc: $msg)"
[[ -z $(squeue -h 2>/dev/null) ]] || fail "a refused study queued a job"
study=$work/study
out=$(DATASET=d.h5 RUN_DIR=study TRIALS=6 WORKERS=2 SPACE=space.ini BASE_CONFIG=base.ini ANIMEREC=$bin \
  SEED=4 "$src/slurm/submit-tune.sh" --ntasks=1 --cpus-per-task=1 --output="$work/tune-%A_%a.out") || fail "submit-tune.sh"
echo "$out"
array_job=$(sed -n 's/^array_job=//p' <<<"$out")
collect_job=$(sed -n 's/^collect_job=//p' <<<"$out")
start=$SECONDS
while [[ -n $(squeue -h -j "$array_job,$collect_job" 2>/dev/null) ]]; do
  if ((SECONDS - start > 240)); then
    fail "jobs still queued after 240 s: $(squeue -h)"
    scancel "$array_job" "$collect_job"
    break
  fi
  sleep 0.5
done
for log in "$work"/tune-*.out; do
  echo "--- $log"
  cat "$log"
done

[[ $(scontrol show job -o "$array_job" | grep -c 'JobState=COMPLETED') -eq 2 ]] ||
  fail "the two array tasks did not both complete"
[[ $(scontrol show job -o "$collect_job") == *JobState=COMPLETED* ]] || fail "the collect job did not complete"
[[ $(tail -n +2 "$study/trials.csv" | wc -l) -eq 6 ]] || fail "the study has not exactly 6 trials"
for task in 1 2; do
  grep -q "worker $task: trial" "$work"/tune-*_"$task".out || fail "array task $task ran no trial"
done
head -1 "$study/trials/0000/train.log" | grep -q '^\$ srun --mpi=pmix' || fail "trials are not job steps (srun)"
"$bin" train --config "$study/best.ini" --dataset "$data" --out "$work/best.h5" --quiet ||
  fail "best.ini is not accepted by animerec train"
[[ -s $study/test-metrics.json ]] || fail "the collect job wrote no test metrics"
grep -q "Test split, evaluated once" "$study/trials.md" || fail "trials.md has no test note"

[[ $failures -eq 0 ]] || {
  echo "$failures failure(s)"
  exit 1
}
echo "tune_slurm: ok"
