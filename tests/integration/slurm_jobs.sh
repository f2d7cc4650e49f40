#!/usr/bin/env bash
# The batch scripts in slurm/ on a real one-node SLURM cluster (scripts/slurm-cluster.sh):
# - train.sbatch with LAUNCHER=mpirun, through slurm/submit from another directory with
#   relative paths and --chdir=/: a model and its evaluate JSON;
# - train.sbatch with srun --mpi=pmix, submitted by its absolute path from another
#   directory, sent SIGUSR1 the way `--signal=B:USR1@T` sends it (to the batch shell only)
#   mid-training: it checkpoints, requeues itself, resumes, its model equals an
#   uninterrupted run's, and no checkpoint.h5 is left;
# - train.sbatch stopped by its own time-limit warning (WARN_SECONDS), the same way;
# - train.sbatch with a bad LAUNCHER: fails with exit 2 before starting anything;
# - train.sbatch whose batch shell is killed by SIGHUP mid-training: no model, no process left;
# - slurm/submit's checks: a missing or wrong input ends with exit 2 and no job;
# - the default warning lead scales with the time limit (a fifth of it, at most 300 s);
# - submit-sweep.sh from another directory, one grid line failing: an array task per line,
#   then the collect job (afterany) whose table has a row per line, sorted by test RMSE,
#   the failed task last with its status;
# - scaling.sbatch: seconds per iteration, speedup and efficiency for 1 and 2 ranks,
#   with bit-identical models;
# - after every job ended, no process of any of them is left (e.g. a timer's sleep).
# Skips (77) without the SLURM and munge binaries or without root.
# Usage: slurm_jobs.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$(realpath "$1")
src=$(realpath "$2")
for b in slurmctld slurmd sbatch squeue scontrol munged mpirun h5diff; do
  command -v "$b" >/dev/null || {
    echo "skip: $b not found (scripts/setup.sh installs slurm-wlm and munge)"
    exit 77
  }
done
source "$(dirname "$0")/lib/slurm_test.sh"
started=$SECONDS
elapsed() { echo "[$((SECONDS - started)) s]"; }

"$src/scripts/slurm-cluster.sh" start "$cluster" || {
  echo "FAIL: the cluster did not start"
  cat "$cluster"/*.log
  exit 1
}
export SLURM_CONF=$cluster/slurm.conf
sinfo

# Dataset without a validation split: the model is then the last iteration, so a
# resumed run's model depends on every iteration after the checkpoint.
"$bin" synth --config "$src/configs/ci-tiny.ini" --out "$work/synth" --quiet
data=$work/tiny.h5
"$bin" prepare --ratings "$work/synth/users-score-2023.csv" --anime "$work/synth/anime-dataset-2023.csv" \
  --out "$data" --test-fraction 0.2 --validation-fraction 0 --quiet
echo "$(elapsed) dataset ready"

elsewhere=$work/elsewhere # a submit directory outside the project
mkdir -p "$elsewhere"
cd "$src" || exit 1 # the plain sbatch submissions go from the project root
submit() {          # sbatch options... -> job id
  local id
  id=$(sbatch --parsable "$@") || return 1
  echo "${id%%;*}"
}
job_state() { scontrol show job -o "$1" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 | sort | uniq -c | xargs; }
wait_job() { # ID SECONDS: waits until the job (all array tasks) left the queue
  local id=$1 limit=$2 start=$SECONDS
  while [[ -n $(squeue -h -j "$id" 2>/dev/null) ]]; do
    if ((SECONDS - start > limit)); then
      fail "job $id still queued after $limit s: $(squeue -h -j "$id")"
      scancel "$id"
      return 1
    fi
    sleep 0.5
  done
  echo "$(elapsed) job $id finished: $(job_state "$id")"
}
all_completed() { [[ $(scontrol show job -o "$1" | grep -c -v 'JobState=COMPLETED') -eq 0 ]]; }
show_log() { echo "--- $1"; grep -v '^iter ' "$1"; }

# The checkpointed jobs first. The one stopped by its time-limit warning must still be
# training 5 s after it started (the trainer must be past its start-up when the warning
# comes): 600 iterations, about 12 s on one core.
ck_args="--factors 32 --iterations 150"
tl_args="--factors 32 --iterations 600"
# The uninterrupted references, meanwhile (1 process: models do not depend on ranks).
# shellcheck disable=SC2086
{
  "$bin" train --dataset "$data" $ck_args --threads 1 --quiet --out "$work/reference-ckpt.h5" &&
    "$bin" train --dataset "$data" $tl_args --threads 1 --quiet --out "$work/reference-timelimit.h5"
} &
reference=$!
# 1a. Signalled by the test once it has run 5 iterations. Submitted with plain sbatch by
# its absolute path from another directory: the script finds slurm/common.sh by itself.
ck_dir=$work/ckpt
ck_job=$(cd "$elsewhere" && submit --ntasks=2 --output="$work/train-ckpt-%j.out" \
  --export=ALL,DATASET="$data",RUN_DIR="$ck_dir",TRAIN_ARGS="$ck_args" "$src/slurm/train.sbatch")
echo "$(elapsed) submitted train.sbatch (srun --mpi=pmix, to be signalled, from $elsewhere): job $ck_job"
# 1b. Stopped by its time limit: 2 minutes with the warning 115 s before, from the
# script's own timer (the scripts set no --signal). Once requeued, the limit is raised so
# that the second start runs to the end.
tl_dir=$work/timelimit
tl_job=$(submit --ntasks=1 --time=2 --output="$work/train-timelimit-%j.out" \
  --export=ALL,DATASET="$data",RUN_DIR="$tl_dir",TRAIN_ARGS="$tl_args",WARN_SECONDS=115 slurm/train.sbatch)
echo "$(elapsed) submitted train.sbatch (--time=2, WARN_SECONDS=115): job $tl_job"
# 2. A plain training with the mpirun launcher and the CI config, through slurm/submit
# from another directory with paths relative to it, run in / (--chdir): slurm/submit makes
# them absolute.
mp_dir=$elsewhere/mpirun
mp_job=$(cd "$elsewhere" && "$src/slurm/submit" train DATASET=../tiny.h5 RUN_DIR=mpirun \
  CONFIG="$(realpath --relative-to="$elsewhere" "$src/configs/ci-tiny.ini")" LAUNCHER=mpirun \
  --parsable --chdir=/ --ntasks=2 --output="$work/train-mpirun-%j.out")
mp_job=${mp_job%%;*}
echo "$(elapsed) submitted train.sbatch (LAUNCHER=mpirun, slurm/submit from $elsewhere): job $mp_job"
# 2b. A bad LAUNCHER (slurm/submit refuses it, plain sbatch does not): the job must end
# with exit 2 before it starts anything, and leave no process behind.
bl_job=$(submit --ntasks=1 --output="$work/train-badlauncher-%j.out" \
  "--export=ALL,DATASET=$data,RUN_DIR=$work/badlauncher,LAUNCHER=bogus" slurm/train.sbatch)
echo "$(elapsed) submitted train.sbatch (LAUNCHER=bogus): job $bl_job"
# 2c. Its batch shell killed by a signal it does not trap (SIGHUP) while the ranks train:
# the shell's EXIT trap must end the launcher and its ranks with it (they are stopped
# after their first iteration, long before the 3000th).
hup_dir=$work/hangup
hup_args="--factors 32 --iterations 3000"
hup_job=$(submit --ntasks=1 --output="$work/train-hangup-%j.out" \
  --export=ALL,DATASET="$data",RUN_DIR="$hup_dir",TRAIN_ARGS="$hup_args" slurm/train.sbatch)
echo "$(elapsed) submitted train.sbatch (to get SIGHUP): job $hup_job"
# 3. A sweep over a 4-line grid (with a comment and a blank line to skip) whose last line
# fails (train refuses lambda=-1), submitted from another directory with a relative GRID
# and a 3-minute limit per task.
cat >"$work/grid.txt" <<'EOF'
# test grid
factors=4 lambda=0.3

factors=8 lambda=0.1   # small ridge
factors=8 lambda=3
factors=8 lambda=-1    # refused by train: the sweep must still be collected
EOF
sweep_dir=$work/sweep
sweep_out=$(cd "$elsewhere" && GRID=../grid.txt DATASET=$data RUN_DIR=$sweep_dir TRAIN_ARGS="--iterations 5" \
  COLLECT_OPTIONS="--output=$work/collect-%j.out" "$src/slurm/submit-sweep.sh" --ntasks=1 --cpus-per-task=1 \
  --time=3 --output="$work/sweep-%A_%a.out")
echo "$sweep_out"
array_job=$(sed -n 's/^array_job=//p' <<<"$sweep_out")
collect_job=$(sed -n 's/^collect_job=//p' <<<"$sweep_out")
# 4. Strong scaling over 1 and 2 ranks (the machine has 2 cores).
scale_dir=$work/scaling
scale_job=$(submit --ntasks=2 --output="$work/scaling-%j.out" \
  "--export=ALL,DATASET=$data,RUN_DIR=$scale_dir,RANKS=1 2,TRAIN_ARGS=--factors 32 --iterations 8" \
  slurm/scaling.sbatch)
echo "$(elapsed) submitted scaling.sbatch: job $scale_job"
squeue

# The warning SLURM sends with --signal=B:USR1@T goes to the batch shell only; send it
# the same way, to the shell's pid (this is a one-node cluster), after 5 iterations.
until [[ -s $ck_dir/metrics.jsonl && $(wc -l <"$ck_dir/metrics.jsonl") -ge 5 ]]; do
  [[ -n $(squeue -h -j "$ck_job") ]] || break
  sleep 0.2
done
batch_shell=$(scontrol listpids "$ck_job" 2>/dev/null | awk '$3 == "batch" && $4 == "0" { print $1 }')
if [[ -n $batch_shell ]] && kill -USR1 "$batch_shell"; then
  echo "$(elapsed) sent SIGUSR1 to job $ck_job's batch shell (pid $batch_shell) after" \
    "$(wc -l <"$ck_dir/metrics.jsonl") iterations"
else
  fail "job $ck_job was not running when it should be signalled ($(job_state "$ck_job"))"
fi
for _ in $(seq 300); do
  [[ $(scontrol show job -o "$tl_job") == *Restarts=1* ]] && break
  sleep 0.3
done
if scontrol update JobId="$tl_job" TimeLimit=10; then
  echo "$(elapsed) job $tl_job requeued itself ($(job_state "$tl_job")); time limit raised to 10 minutes"
else
  fail "could not raise job $tl_job's time limit"
fi
until [[ -s $hup_dir/metrics.jsonl ]]; do
  [[ -n $(squeue -h -j "$hup_job") ]] || break
  sleep 0.2
done
if scancel --batch --signal=HUP "$hup_job"; then
  echo "$(elapsed) sent SIGHUP to job $hup_job's batch shell after $(wc -l <"$hup_dir/metrics.jsonl") iteration(s)"
else
  fail "job $hup_job was not running when it should get SIGHUP ($(job_state "$hup_job"))"
fi
wait "$reference" || fail "reference trainings"
echo "$(elapsed) reference models trained"

wait_job "$ck_job" 150
wait_job "$tl_job" 150
wait_job "$mp_job" 60
wait_job "$bl_job" 30
wait_job "$hup_job" 60
wait_job "$array_job" 60
wait_job "$collect_job" 30
wait_job "$scale_job" 60
squeue
for log in "$work"/*.out; do show_log "$log"; done

echo "== checks"
same_arrays() { # a.h5 b.h5: every model array bit-identical
  local a
  for a in /users/factors /users/bias /anime/factors /anime/bias; do
    h5diff -q "$1" "$2" "$a" "$a" >/dev/null 2>&1 || {
      echo "  $a differs: $1 vs $2"
      return 1
    }
  done
}
# Usage: json_value FILE PYTHON_EXPRESSION_OF_d -> prints the value
json_value() { /usr/bin/python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"; }
finite_rmse() { # metrics.json has a finite test RMSE of the model
  local rmse
  rmse=$(json_value "$1" "d['rating']['methods']['model']['rmse']") &&
    /usr/bin/python3 -c "import math, sys; sys.exit(not (0 < float(sys.argv[1]) < 10))" "$rmse" &&
    echo "  $1: test RMSE $rmse"
}

# The interrupted job: stopped at a checkpoint, requeued once, resumed to the end.
ck_info=$(scontrol show job -o "$ck_job")
[[ $ck_info == *JobState=COMPLETED* ]] || fail "job $ck_job did not complete"
[[ $ck_info == *Restarts=1* ]] || fail "job $ck_job was not requeued exactly once: $(grep -o 'Restarts=[0-9]*' <<<"$ck_info")"
grep -q "checkpoint after iteration" "$work"/train-ckpt-*.out || fail "job $ck_job wrote no checkpoint"
grep -q "resumed from $ck_dir/checkpoint.h5" "$work"/train-ckpt-*.out || fail "job $ck_job did not resume"
[[ $(wc -l <"$ck_dir/metrics.jsonl") -eq 150 ]] || fail "the resumed run's metrics.jsonl has not 150 lines"
if same_arrays "$work/reference-ckpt.h5" "$ck_dir/model.h5"; then
  echo "  job $ck_job (interrupted, requeued, resumed): model equals the uninterrupted run's"
else
  fail "the resumed model differs from the uninterrupted one"
fi
finite_rmse "$ck_dir/metrics.json" || fail "job $ck_job: no evaluation"
[[ ! -e $ck_dir/checkpoint.h5 ]] || fail "job $ck_job left $ck_dir/checkpoint.h5 after it finished"

# The job stopped by its time limit: same, and it stopped before its last iteration.
tl_info=$(scontrol show job -o "$tl_job")
[[ $tl_info == *JobState=COMPLETED* && $tl_info == *Restarts=1* ]] ||
  fail "job $tl_job: not completed after one requeue: $(grep -oE '(JobState|Restarts)=[A-Z0-9]*' <<<"$tl_info" | xargs)"
stopped_at=$(sed -n 's/^checkpoint after iteration \([0-9]*\).*/\1/p' "$work"/train-timelimit-*.out | head -1)
if [[ -n $stopped_at ]] && ((stopped_at < 600)); then
  echo "  job $tl_job: time-limit warning stopped it after iteration $stopped_at of 600"
else
  fail "job $tl_job was not stopped by its time-limit warning"
fi
if same_arrays "$work/reference-timelimit.h5" "$tl_dir/model.h5"; then
  echo "  job $tl_job (time limit, requeued, resumed): model equals the uninterrupted run's"
else
  fail "the model of the job stopped by its time limit differs from the uninterrupted one"
fi
grep -q "checkpoint warning 115 s before the limit" "$work"/train-timelimit-*.out ||
  fail "job $tl_job: no 'checkpoint warning 115 s before the limit' (WARN_SECONDS) in its log"
[[ ! -e $tl_dir/checkpoint.h5 ]] || fail "job $tl_job left $tl_dir/checkpoint.h5 after it finished"

# The warning lead without WARN_SECONDS: a fifth of the time limit, at most 300 s, so a
# short job is not stopped (and requeued) after a few seconds of work; WARN_SECONDS not
# under the limit is refused.
(
  unset WARN_SECONDS
  # shellcheck source=slurm/common.sh
  source "$src/slurm/common.sh"
  leads="$(animerec_warning_seconds 60) $(animerec_warning_seconds 180) $(animerec_warning_seconds 1500)"
  leads+=" $(animerec_warning_seconds 7200)"
  [[ $leads == "12 36 300 300" ]] || { echo "leads for 60, 180, 1500, 7200 s: $leads, not 12 36 300 300"; exit 1; }
  WARN_SECONDS=180
  (animerec_warning_seconds 180) 2>/dev/null && { echo "WARN_SECONDS=180 accepted for a 180 s limit"; exit 1; }
  echo "  warning lead for 60, 180, 1500, 7200 s limits: $leads s"
) || fail "the warning lead"

# The mpirun job.
all_completed "$mp_job" || fail "job $mp_job did not complete"
[[ $(scontrol show job -o "$mp_job") == *"Command=$src/slurm/train.sbatch"* ]] ||
  fail "job $mp_job did not run $src/slurm/train.sbatch"
[[ -s $mp_dir/model.h5 ]] || fail "job $mp_job wrote no model"
[[ $(json_value "$mp_dir/metrics.json" "d['feedback'], d['split']") == "explicit test" ]] ||
  fail "job $mp_job: metrics.json is not an explicit test-split evaluation"
finite_rmse "$mp_dir/metrics.json" || fail "job $mp_job: no test RMSE"
grep -q "2 rank(s)" "$work"/train-mpirun-*.out || fail "job $mp_job did not train on 2 ranks"

# The bad LAUNCHER: failed with exit 2 and the message.
bl_info=$(scontrol show job -o "$bl_job")
[[ $bl_info == *JobState=FAILED* && $bl_info == *ExitCode=2:0* ]] ||
  fail "job $bl_job (LAUNCHER=bogus): $(grep -oE '(JobState|ExitCode)=[A-Z0-9:]*' <<<"$bl_info" | xargs), not FAILED with exit 2"
grep -q "LAUNCHER must be srun or mpirun (was 'bogus')" "$work"/train-badlauncher-*.out ||
  fail "job $bl_job: no message about LAUNCHER"

# The job whose batch shell got SIGHUP: it ended there, without a model (its ranks were
# stopped, which the check for leftover processes below confirms).
[[ $(scontrol show job -o "$hup_job") != *JobState=COMPLETED* ]] || fail "job $hup_job completed despite SIGHUP"
[[ ! -e $hup_dir/model.h5 ]] || fail "job $hup_job trained to the end despite SIGHUP"

# slurm/submit checks the inputs before sbatch: exit 2, a message naming the variable and
# its value, and no job (all are submitted under one job name, looked for afterwards).
echo "user,item,rating" >"$work/ratings.csv"
preflight() { # EXPECTED_MESSAGE VARIABLE=VALUE... -- SBATCH_OPTIONS...
  local expected=$1 vars=() out rc=0
  shift
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  out=$(cd "$elsewhere" && env "${vars[@]}" "$src/slurm/submit" train --job-name=preflight-refused "$@" 2>&1) || rc=$?
  if ((rc != 2)) || [[ $out != *"$expected"* ]]; then
    fail "slurm/submit with ${vars[*]} $*: exit $rc, '$out' (expected exit 2 and '$expected')"
  else
    echo "  refused: ${vars[*]} $* -> $(tail -1 <<<"$out")"
  fi
}
preflight "train.sbatch needs DATASET" RUN_DIR=x -- --ntasks=1
preflight "DATASET=missing.h5: no such readable file" DATASET=missing.h5 RUN_DIR=x --
preflight "DATASET=$work/ratings.csv is not an HDF5 file" DATASET="$work/ratings.csv" RUN_DIR=x --
preflight "CONFIG=nope.ini: no such readable file" DATASET="$data" RUN_DIR=x CONFIG=nope.ini --
preflight "submit: LAUNCHER must be srun or mpirun (was 'bogus')" DATASET="$data" RUN_DIR=x LAUNCHER=bogus --
preflight "ANIMEREC=$work/no-binary is not an executable file" DATASET="$data" RUN_DIR=x ANIMEREC="$work/no-binary" --
preflight "WARN_SECONDS=300 is not less than the job's time limit of 300 s" DATASET="$data" RUN_DIR=x \
  WARN_SECONDS=300 -- --time=5
preflight "--time=soon: not a time limit" DATASET="$data" RUN_DIR=x -- --time=soon
preflight "pass variables as NAME=VALUE" DATASET="$data" RUN_DIR=x -- --export=ALL,FOO=1
[[ $(scontrol show job -o 2>/dev/null | grep -c JobName=preflight-refused) -eq 0 ]] ||
  fail "slurm/submit submitted a job although its checks failed"
[[ ! -e $elsewhere/x ]] || fail "slurm/submit created RUN_DIR although its checks failed"

# The sweep: one directory per grid line, then the collected table; task 4 failed.
for i in 1 2 3; do
  [[ $(scontrol show job -o "${array_job}_$i") == *JobState=COMPLETED* ]] || fail "sweep task $i did not complete"
done
[[ $(scontrol show job -o "${array_job}_4") == *JobState=FAILED* ]] || fail "sweep task 4 (lambda=-1) did not fail"
grep -q "checkpoint warning 36 s before the limit" "$work/sweep-${array_job}_1.out" ||
  fail "sweep task 1 (--time=3): no 'checkpoint warning 36 s before the limit' in its log"
expected=("factors=4 lambda=0.3" "factors=8 lambda=0.1" "factors=8 lambda=3")
for i in 1 2 3; do
  [[ $(cat "$sweep_dir/task-$i/setting.txt" 2>/dev/null) == "${expected[i - 1]}" ]] ||
    fail "task $i's setting is not '${expected[i - 1]}'"
  [[ -s $sweep_dir/task-$i/model.h5 ]] || fail "task $i wrote no model"
  finite_rmse "$sweep_dir/task-$i/metrics.json" || fail "task $i: no test RMSE"
done
k_task2=$(/usr/bin/python3 -c "import h5py, sys; print(h5py.File(sys.argv[1])['users/factors'].shape[1])" \
  "$sweep_dir/task-2/model.h5")
[[ $k_task2 == 8 ]] || fail "task 2 trained with k = $k_task2, not its grid setting 8"
all_completed "$collect_job" || fail "collect job $collect_job did not complete"
/usr/bin/python3 - "$sweep_dir" "${expected[@]}" <<'PY' || fail "the sweep table"
import csv, json, sys
run_dir, expected = sys.argv[1], sys.argv[2:]
rows = list(csv.DictReader(open(f"{run_dir}/sweep.csv")))
failed = rows.pop()  # the task without a result comes last
assert failed["rank"] == "-" and failed["task"] == "4" and failed["setting"] == "factors=8 lambda=-1", failed
assert failed["status"].startswith("no result") and failed["rmse"] == "", failed
assert all(r["status"] == "ok" for r in rows), rows
assert sorted(r["setting"] for r in rows) == sorted(expected), rows
for r in rows:  # each row carries its own task's test RMSE
    d = json.load(open(f"{run_dir}/task-{r['task']}/metrics.json"))
    assert abs(float(r["rmse"]) - d["rating"]["methods"]["model"]["rmse"]) < 1e-6, r
rmse = [float(r["rmse"]) for r in rows]
assert rmse == sorted(rmse), rmse
assert [int(r["rank"]) for r in rows] == [1, 2, 3]
md = open(f"{run_dir}/sweep.md").read()
assert md.count("\n| ") == 5 and "sorted by rmse" in md and "1 of 4 tasks have no result: task 4" in md, md
print(f"  sweep table: {len(rows)} rows sorted by test RMSE {rmse}, then task 4: {failed['status']}")
PY

# The scaling table, and the same model from 1 and 2 ranks.
all_completed "$scale_job" || fail "scaling job $scale_job did not complete"
/usr/bin/python3 - "$scale_dir" <<'PY' || fail "the scaling table"
import csv, sys
rows = list(csv.DictReader(open(f"{sys.argv[1]}/scaling.csv")))
assert [int(r["ranks"]) for r in rows] == [1, 2], rows
assert all(int(r["iterations"]) == 8 and float(r["seconds_per_iteration"]) > 0 for r in rows), rows
assert float(rows[0]["speedup"]) == 1.0 and float(rows[0]["efficiency"]) == 1.0, rows
for r in rows:
    assert abs(float(r["efficiency"]) - float(r["speedup"]) / int(r["ranks"])) < 0.01, r
print("  scaling table:", "; ".join(f"{r['ranks']} rank(s) {r['seconds_per_iteration']} s/iter "
                                   f"speedup {r['speedup']}" for r in rows))
PY
cat "$scale_dir/scaling.md"
same_arrays "$scale_dir/ranks-1.h5" "$scale_dir/ranks-2.h5" || fail "1 and 2 ranks gave different models"

# No process of any job is left: none carries a job id of this cluster (the jobs inherit
# SLURM_CONF from here). A timer's sleep or a batch shell outliving its job would.
leftovers=()
for proc in /proc/[0-9]*; do
  environment=$({ tr '\0' '\n' <"$proc/environ"; } 2>/dev/null) || continue
  grep -qx "SLURM_CONF=$SLURM_CONF" <<<"$environment" || continue
  job=$(sed -n 's/^SLURM_JOB_ID=//p' <<<"$environment")
  [[ -n $job ]] || continue
  leftovers+=("${proc#/proc/}")
  echo "  left behind by job $job: pid ${proc#/proc/} $({ tr '\0' ' ' <"$proc/cmdline"; } 2>/dev/null)"
done
if ((${#leftovers[@]} > 0)); then
  fail "${#leftovers[@]} process(es) outlived their jobs"
  kill "${leftovers[@]}" 2>/dev/null
else
  echo "  no process outlived its job"
fi

echo "$(elapsed) done"
if ((failures > 0)); then
  echo "$failures check(s) failed"
  tail -n 30 "$cluster/slurmctld.log"
  exit 1
fi
echo "all SLURM job checks passed"
