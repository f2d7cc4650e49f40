# shellcheck shell=bash
# Shared by slurm/*.sbatch (sourced, not run): launching MPI ranks, forwarding the
# time-limit warning to them, requeueing a job that stopped at a checkpoint, and
# evaluating a trained model. The batch scripts source it from the submit directory
# (sbatch copies only the batch script itself), so submit from the project root.
#
# Environment read here:
#   WARN_SECONDS  seconds before the time limit at which training stops at a checkpoint
#             (default 300; keep it equal to the T of #SBATCH --signal=B:USR1@T)
#   ANIMEREC  the animerec binary (default build/animerec, relative to the submit directory)
#   LAUNCHER  srun (default: srun --mpi=pmix; Debian's Open MPI has no PMI2 support, so
#             plain srun or --mpi=pmi2 cannot start it) or mpirun (Open MPI's own launcher,
#             which reads the SLURM allocation itself)
#   MAX_RESTARTS  how often a job may requeue itself after a checkpoint (default 20)

ANIMEREC=${ANIMEREC:-build/animerec}
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
# received by this batch shell on to them as SIGUSR1: `#SBATCH --signal=B:USR1@T`
# signals only the batch shell; srun and mpirun both forward SIGUSR1 to every rank, and
# the trainer then finishes its iteration, writes its checkpoint and exits 3.
# Sets STOP_SIGNAL to USR1 or TERM when the shell got one (else ""), and returns the
# launcher's exit code. Usage: animerec_launch_forwarding_signals N COMMAND...
animerec_launch_forwarding_signals() {
  animerec_launcher "$1"
  shift
  STOP_SIGNAL=""
  # The launcher itself must be the background process (not a subshell running it):
  # the signal goes to that pid.
  "${LAUNCH[@]}" "$@" &
  local step=$! rc
  # shellcheck disable=SC2064  # the step's pid is fixed now
  trap "STOP_SIGNAL=USR1; echo \"animerec: \$(date +%T) batch shell got SIGUSR1, passing it to the ranks\"; kill -USR1 $step" USR1
  # shellcheck disable=SC2064
  trap "STOP_SIGNAL=TERM; echo \"animerec: \$(date +%T) batch shell got SIGTERM, passing SIGUSR1 to the ranks\"; kill -USR1 $step" TERM
  # wait returns early (status > 128) when a trapped signal arrives; wait again
  # until the step itself has ended.
  while :; do
    rc=0
    wait "$step" || rc=$?
    kill -0 "$step" 2>/dev/null || break
  done
  trap - USR1 TERM
  return "$rc"
}

# Sends SIGUSR1 to this batch shell WARN_SECONDS (default 300) before the job's time
# limit, as `--signal=B:USR1@300` does. Needed because SLURM 22.05 did not always send
# the --signal warning again after the job had requeued itself (seen once on Debian's
# 22.05.8: the restarted job only got SIGTERM at the limit). A second SIGUSR1 is harmless.
animerec_arm_warning() {
  local left seconds
  left=$(squeue -h -j "${SLURM_JOB_ID:-0}" -o %L 2>/dev/null) || return 0
  seconds=$(animerec_duration_seconds "$left") || return 0
  ((seconds > ${WARN_SECONDS:-300})) || return 0
  (sleep $((seconds - ${WARN_SECONDS:-300})) && kill -USR1 $$) &
  WARNING_TIMER=$!
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

# Trains into RUN_DIR (model.h5, checkpoint.h5, metrics.jsonl, train.log) on all the
# job's tasks, resuming from RUN_DIR/checkpoint.h5 when an earlier start left one; a
# finished RUN_DIR/model.h5 is kept (nothing retrained). On a stop signal it requeues
# the job and exits. Usage: animerec_train RUN_DIR DATASET TRAIN_ARGUMENTS...
animerec_train() {
  local run_dir=$1 dataset=$2
  shift 2
  export OMP_NUM_THREADS
  OMP_NUM_THREADS=$(animerec_threads)
  echo "animerec: $(date +%T) job ${SLURM_JOB_ID:-?} start ${SLURM_RESTART_COUNT:-0}:" \
    "${SLURM_NTASKS:-1} rank(s) x $OMP_NUM_THREADS thread(s) on ${SLURM_JOB_NODELIST:-?} via $LAUNCHER"
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
  WARNING_TIMER=""
  animerec_arm_warning
  animerec_launch_forwarding_signals "${SLURM_NTASKS:-1}" "$ANIMEREC" "${args[@]}" || rc=$?
  [[ -z $WARNING_TIMER ]] || kill "$WARNING_TIMER" 2>/dev/null || true
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
