# shellcheck shell=bash
# Shared by slurm/*.sbatch and slurm/submit (sourced, not run): launching MPI ranks,
# forwarding the time-limit warning to them, requeueing a job that stopped at a
# checkpoint, and evaluating a trained model. A batch script finds this file through
# ANIMEREC_HOME (slurm/submit exports it), else through the path it was submitted as
# (scontrol's Command: sbatch runs a spooled copy of the script, so $0 does not tell),
# else the submit directory.
#
# Environment read here:
#   ANIMEREC_HOME  the project root (default: the directory above this file)
#   ANIMEREC  the animerec binary (default $ANIMEREC_HOME/build/animerec)
#   PYTHON    the Python 3 that runs slurm/*.py (default python3 on PATH)
#   WARN_SECONDS  seconds before the time limit at which training stops at a checkpoint
#             (default 300, but at most a fifth of the job's time limit)
#   LAUNCHER  srun (default: srun --mpi=pmix; Debian's Open MPI has no PMI2 support, so
#             plain srun or --mpi=pmi2 cannot start it) or mpirun (Open MPI's own launcher,
#             which reads the SLURM allocation itself)
#   MAX_RESTARTS  how often a job may requeue itself after a checkpoint (default 20)

ANIMEREC_HOME=${ANIMEREC_HOME:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export ANIMEREC_HOME
ANIMEREC=${ANIMEREC:-$ANIMEREC_HOME/build/animerec}
PYTHON=${PYTHON:-python3}
LAUNCHER=${LAUNCHER:-srun}
MAX_RESTARTS=${MAX_RESTARTS:-20}

# The trainer's exit code after a stop signal: it finished the iteration and wrote
# its checkpoint (docs/faults.md, "Bad input").
readonly ANIMEREC_STOPPED_AT_CHECKPOINT=3

# OpenMP threads per rank: the CPUs SLURM gave each task.
animerec_threads() { echo "${SLURM_CPUS_PER_TASK:-1}"; }

# Sets LAUNCH to the command that starts N MPI ranks inside the job's allocation.
# Usage: animerec_launcher N; "${LAUNCH[@]}" COMMAND...
animerec_launcher() {
  local ranks=$1
  case $LAUNCHER in
    srun) LAUNCH=(srun --mpi=pmix --ntasks="$ranks" --cpus-per-task="$(animerec_threads)"
      --kill-on-bad-exit=1) ;;
    # --bind-to none: mpirun would otherwise pin each rank to one core, starving the
    # OpenMP threads of a rank with several CPUs.
    mpirun) LAUNCH=(mpirun -np "$ranks" --bind-to none) ;;
    *)
      echo "LAUNCHER must be srun or mpirun (was '$LAUNCHER')" >&2
      exit 2
      ;;
  esac
}

# Runs COMMAND... as N MPI ranks in the background and passes SIGUSR1 (and SIGTERM)
# received by this batch shell on to them as SIGUSR1: `sbatch --signal=B:USR1@T`
# signals only the batch shell; srun and mpirun both forward SIGUSR1 to every rank, and
# the trainer then finishes its iteration, writes its checkpoint and exits 3. When
# animerec_arm_warning set a warning time, the ranks get SIGUSR1 then as well.
# Sets STOP_SIGNAL to USR1 or TERM when the shell got one or the warning came (else ""),
# and returns the launcher's exit code. Usage: animerec_launch_forwarding_signals N COMMAND...
animerec_launch_forwarding_signals() {
  animerec_launcher "$1"
  shift
  STOP_SIGNAL=""
  # The launcher itself must be the background process (not a subshell running it):
  # the signal goes to that pid.
  "${LAUNCH[@]}" "$@" &
  ANIMEREC_STEP=$!
  local step=$ANIMEREC_STEP rc=0 previous_exit_trap
  # shellcheck disable=SC2064  # the step's pid is fixed now
  trap "STOP_SIGNAL=USR1; echo \"animerec: \$(date +%T) batch shell got SIGUSR1, passing it to the ranks\"; kill -USR1 $step" USR1
  # shellcheck disable=SC2064
  trap "STOP_SIGNAL=TERM; echo \"animerec: \$(date +%T) batch shell got SIGTERM, passing SIGUSR1 to the ranks\"; kill -USR1 $step" TERM
  previous_exit_trap=$(trap -p EXIT)
  animerec_stop_step_on_exit "$previous_exit_trap"
  # No timer process: the shell naps a second at a time (a trapped signal ends the nap
  # at once) and looks at the clock, so nothing is left behind to signal a pid later.
  while kill -0 "$step" 2>/dev/null; do
    if animerec_warning_due; then
      STOP_SIGNAL=USR1
      echo "animerec: $(date +%T) ${WARNING_LEAD} s before the time limit: passing SIGUSR1 to the ranks"
      kill -USR1 "$step" 2>/dev/null || true
    fi
    sleep 1 &
    ANIMEREC_NAP=$!
    wait "$ANIMEREC_NAP" 2>/dev/null || kill "$ANIMEREC_NAP" 2>/dev/null || true
    ANIMEREC_NAP=""
  done
  wait "$step" || rc=$?
  ANIMEREC_STEP=""
  trap - USR1 TERM
  if [[ -n $previous_exit_trap ]]; then eval "$previous_exit_trap"; else trap - EXIT; fi
  return "$rc"
}

# While a step runs, an exit of this shell (an error, an untrapped signal) ends the step
# and the nap, so no process of the job outlives it; then runs the EXIT trap the caller
# had (PREVIOUS_EXIT_TRAP, as `trap -p EXIT` prints it). Usage: animerec_stop_step_on_exit TEXT
animerec_stop_step_on_exit() {
  local previous=()
  [[ -z $1 ]] || eval "previous=($1)" # trap -- 'COMMAND' EXIT
  ANIMEREC_PREVIOUS_EXIT_COMMAND=${previous[2]:-}
  trap 'animerec_stop_children; eval "$ANIMEREC_PREVIOUS_EXIT_COMMAND"' EXIT
}
animerec_stop_children() {
  local pid
  for pid in ${ANIMEREC_STEP:-} ${ANIMEREC_NAP:-}; do
    kill "$pid" 2>/dev/null || true
  done
  # The launcher takes a moment to end its ranks; give it up to 10 s.
  for _ in {1..50}; do
    if [[ -z ${ANIMEREC_STEP:-} ]] || ! kill -0 "$ANIMEREC_STEP" 2>/dev/null; then break; fi
    sleep 0.2
  done
}

# Seconds before a time limit of LIMIT seconds at which training should stop at a
# checkpoint: WARN_SECONDS if set (it must be less than LIMIT: exit 2 otherwise), else
# 300 but at most a fifth of the limit, so a short job still trains most of its time
# (a 5-minute job gets its warning 60 s before the end). Usage: animerec_warning_seconds LIMIT
animerec_warning_seconds() {
  local limit=$1
  if [[ -n ${WARN_SECONDS:-} ]]; then
    if [[ ! $WARN_SECONDS =~ ^[0-9]+$ ]] || ((WARN_SECONDS < 1)); then
      echo "WARN_SECONDS must be a whole number of seconds >= 1 (was '$WARN_SECONDS')" >&2
      exit 2
    fi
    if ((WARN_SECONDS >= limit)); then
      echo "WARN_SECONDS=$WARN_SECONDS is not less than the job's time limit of $limit s: the job" \
        "would stop at a checkpoint as soon as it started; lower WARN_SECONDS or raise --time" >&2
      exit 2
    fi
    echo "$WARN_SECONDS"
  else
    local fifth=$((limit / 5))
    echo $((fifth < 300 ? fifth : 300))
  fi
}

# The job's time limit and the time it has left, in seconds (squeue %l and %L); fails
# when squeue cannot tell (no job, UNLIMITED). Usage: animerec_job_time LIMIT|LEFT
animerec_job_time() {
  local text
  text=$(squeue -h -j "${SLURM_JOB_ID:-0}" -o "$([[ $1 == LIMIT ]] && echo %l || echo %L)" 2>/dev/null) &&
    animerec_duration_seconds "$text"
}

# Sets the time (WARNING_AT, in this shell's SECONDS) at which
# animerec_launch_forwarding_signals passes SIGUSR1 to the ranks: WARNING_LEAD
# (animerec_warning_seconds) before the job's time limit, as `--signal=B:USR1@T` would.
# The batch scripts do not set --signal: its T is fixed at submission and does not
# scale with --time, and SLURM 22.05 did not always send it again after the job had
# requeued itself (seen once on Debian's 22.05.8). A SIGUSR1 from a --signal the user
# gives as well is harmless: the first one stops training.
animerec_arm_warning() {
  local limit left
  WARNING_AT=""
  if ! limit=$(animerec_job_time LIMIT) || ! left=$(animerec_job_time LEFT); then
    echo "animerec: squeue tells no time limit for job ${SLURM_JOB_ID:-?}; no checkpoint warning" \
      "before it (SIGTERM at the limit still makes the ranks checkpoint within KillWait)"
    return 0
  fi
  WARNING_LEAD=$(animerec_warning_seconds "$limit") || exit 2
  WARNING_AT=$((SECONDS + (left > WARNING_LEAD ? left - WARNING_LEAD : 0)))
  echo "animerec: time limit $limit s, $left s left; checkpoint warning $WARNING_LEAD s before the limit"
}

# True once the warning time has come. The time left is read again then, so a limit
# raised meanwhile (scontrol update) moves the warning instead of stopping early.
animerec_warning_due() {
  [[ -n ${WARNING_AT:-} ]] && ((SECONDS >= WARNING_AT)) || return 1
  local left
  if left=$(animerec_job_time LEFT) && ((left > WARNING_LEAD + 5)); then
    WARNING_AT=$((SECONDS + left - WARNING_LEAD))
    return 1
  fi
  WARNING_AT=""
}

# [days-][hours:]minutes:seconds (squeue %L) -> seconds; fails for UNLIMITED/INVALID.
animerec_duration_seconds() {
  local text=$1 days=0 h=0 m=0 s=0
  [[ $text =~ ^(([0-9]+)-)?(([0-9]+):)?([0-9]+):([0-9]+)$ ]] || return 1
  days=${BASH_REMATCH[2]:-0} h=${BASH_REMATCH[4]:-0} m=${BASH_REMATCH[5]} s=${BASH_REMATCH[6]}
  echo $((((10#$days * 24 + 10#$h) * 60 + 10#$m) * 60 + 10#$s))
}

# After the trainer stopped at a checkpoint: put this job back in the queue, so the
# next start resumes from the checkpoint (needs #SBATCH --requeue). Exits the shell.
# A job stopped by scancel (SIGTERM while not at its time limit) is not requeued:
# submitting it again with the same RUN_DIR resumes from the checkpoint.
animerec_requeue_or_fail() {
  local restarts=${SLURM_RESTART_COUNT:-0} job
  if [[ $STOP_SIGNAL == TERM ]]; then
    # While the job ends, squeue says COMPLETING either way; scontrol keeps the reason.
    job=$(scontrol show job -o "$SLURM_JOB_ID" 2>/dev/null || true)
    if [[ $job != *JobState=TIMEOUT* && $job != *Reason=TimeLimit* ]]; then
      echo "animerec: job $SLURM_JOB_ID was cancelled ($(grep -o 'JobState=[A-Z]*' <<<"$job")); not requeueing"
      exit "$ANIMEREC_STOPPED_AT_CHECKPOINT"
    fi
  fi
  if ((restarts >= MAX_RESTARTS)); then
    echo "animerec: stopped at a checkpoint after $restarts restarts (MAX_RESTARTS); not requeueing" >&2
    exit "$ANIMEREC_STOPPED_AT_CHECKPOINT"
  fi
  echo "animerec: $(date +%T) checkpoint written; requeueing job $SLURM_JOB_ID (restart $((restarts + 1)))"
  scontrol requeue "$SLURM_JOB_ID" || exit "$ANIMEREC_STOPPED_AT_CHECKPOINT"
  exit 0
}

# Trains into RUN_DIR (model.h5, metrics.jsonl; checkpoint.h5 while interrupted) on all
# the job's tasks, resuming from RUN_DIR/checkpoint.h5 when an earlier start left one; a
# finished RUN_DIR/model.h5 is kept (nothing retrained). On a stop signal it requeues
# the job and exits. The trainer's lock files RUN_DIR/lock and RUN_DIR/model.h5.lock
# stay: removing a lock file while another run may open it would let two runs hold it. Usage: animerec_train RUN_DIR DATASET TRAIN_ARGUMENTS...
animerec_train() {
  local run_dir=$1 dataset=$2
  shift 2
  export OMP_NUM_THREADS
  OMP_NUM_THREADS=$(animerec_threads)
  echo "animerec: $(date +%T) job ${SLURM_JOB_ID:-?} start ${SLURM_RESTART_COUNT:-0}:" \
    "${SLURM_NTASKS:-1} rank(s) x $OMP_NUM_THREADS thread(s) on ${SLURM_JOB_NODELIST:-?} via $LAUNCHER"
  animerec_launcher 1 # a bad LAUNCHER ends the job here, before anything started
  mkdir -p "$run_dir"
  if [[ -e $run_dir/model.h5 ]]; then
    echo "animerec: $run_dir/model.h5 exists; not training again"
    return 0
  fi
  local args=(train --dataset "$dataset" --out "$run_dir/model.h5" --checkpoint-dir "$run_dir"
    --metrics-out "$run_dir/metrics.jsonl" --threads "$(animerec_threads)" "$@")
  if [[ -e $run_dir/checkpoint.h5 ]]; then
    echo "animerec: resuming from $run_dir/checkpoint.h5"
    args+=(--resume "$run_dir/checkpoint.h5")
  fi
  local rc=0
  animerec_arm_warning
  animerec_launch_forwarding_signals "${SLURM_NTASKS:-1}" "$ANIMEREC" "${args[@]}" || rc=$?
  if ((rc == ANIMEREC_STOPPED_AT_CHECKPOINT)); then
    animerec_requeue_or_fail
  fi
  if ((rc != 0)); then
    echo "animerec: train failed with exit code $rc" >&2
    exit "$rc"
  fi
  # A job step whose launch failed was once seen to end with status 0.
  if [[ ! -e $run_dir/model.h5 ]]; then
    echo "animerec: the training step ended without writing $run_dir/model.h5" >&2
    exit 1
  fi
  # The model is complete, so the checkpoint of an interrupted start is of no further use
  # (a requeue or a new submission evaluates model.h5 and never resumes).
  if [[ -e $run_dir/checkpoint.h5 ]]; then
    rm -f "$run_dir/checkpoint.h5"
    echo "animerec: removed $run_dir/checkpoint.h5 (model.h5 is complete)"
  fi
}

# Writes RUN_DIR/metrics.json: `animerec evaluate --format json` of RUN_DIR/model.h5
# (serial, on the batch host). Usage: animerec_evaluate RUN_DIR DATASET EVALUATE_ARGUMENTS...
animerec_evaluate() {
  local run_dir=$1 dataset=$2
  shift 2
  # Written to a temporary name and renamed, so a metrics.json is always complete.
  "$ANIMEREC" evaluate --model "$run_dir/model.h5" --dataset "$dataset" --format json "$@" \
    >"$run_dir/metrics.json.tmp"
  mv "$run_dir/metrics.json.tmp" "$run_dir/metrics.json"
  echo "animerec: wrote $run_dir/metrics.json"
}

# Prints the settings of a sweep grid file, one per line: each non-blank line with
# its comment (from #) removed. Line i of this output is array task i.
animerec_grid_settings() {
  sed -e 's/#.*//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$1" | grep -v '^$' || true
}

# Turns a grid setting "factors=32 lambda=0.5" into train options
# "--factors 32 --lambda 0.5" (in the array SETTING_ARGS); train itself checks names
# and values. Usage: animerec_setting_args "SETTING"
animerec_setting_args() {
  local word
  SETTING_ARGS=()
  for word in $1; do
    if [[ $word != ?*=?* ]]; then
      echo "grid setting '$1': '$word' is not name=value" >&2
      exit 2
    fi
    SETTING_ARGS+=("--${word%%=*}" "${word#*=}")
  done
}
