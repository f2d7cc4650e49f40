#!/usr/bin/env bash
# The stop rule of `train` (docs/training.md, "Stopping"): SIGINT, SIGTERM and
# SIGUSR1 all stop every rank at the same iteration boundary; with
# --checkpoint-dir the checkpoint is written and the exit code is 3, without
# one nothing is written and the exit code is 4. Checked for a single process
# and for `mpiexec -n 2` (the signal sent to mpiexec, which forwards SIGUSR1,
# or to the ranks, or to one rank only); the checkpoint resumes. SIGTERM or
# SIGINT sent to mpiexec itself is Open MPI's abort (exit 1), as documented.
# Usage: stop_signals.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
# Job control: background jobs of a script would otherwise start with SIGINT
# ignored, which train (like any program) leaves ignored.
set -m
bin=$1
source "$(dirname "$0")/lib/mpi_test.sh"
scratch_with_job

synth_dataset 600 200 40000 5
# Far more iterations than a test lasts: the signal always lands in the loop.
train=(train --dataset "$work/d.h5" --factors 8 --iterations 10000 --threads 1)

# Waits until the job's log shows a finished iteration (the loop is running).
wait_for_loop() {  # LOG
  for _ in $(seq 1200); do
    grep -q '^iter ' "$1" 2>/dev/null && return 0
    kill -0 "$job" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# Waits for the job and sets rc; gives up (and fails) after 60 s.
finish() {  # TAG
  local start=$SECONDS
  while kill -0 "$job" 2>/dev/null && ((SECONDS - start < 60)); do sleep 0.1; done
  if kill -0 "$job" 2>/dev/null; then
    fail "$1: still running 60 s after the signal"
    kill -KILL "$job"
  fi
  wait "$job"
  rc=$?
  job=""
}

# One case: LAUNCH (single | mpi), TARGET (self | mpiexec | ranks | rank0), SIGNAL,
# CHECKPOINT (yes | no), expected exit code.
stop_case() {
  local launch=$1 target=$2 sig=$3 ck=$4 want=$5
  local tag="$launch $target SIG$sig checkpoint-dir=$ck" dir="$work/$launch-$target-$sig-$ck"
  local args=("${train[@]}" --out "$dir/m.h5") pid
  mkdir -p "$dir/ck"
  [[ $ck == yes ]] && args+=(--checkpoint-dir "$dir/ck")
  if [[ $launch == single ]]; then
    "$bin" "${args[@]}" >"$dir/log" 2>&1 &
  else
    "$mpiexec" -n 2 "$bin" "${args[@]}" >"$dir/log" 2>&1 &
  fi
  job=$!
  wait_for_loop "$dir/log" || { fail "$tag: the training loop did not start"; cat "$dir/log"; return; }
  case $target in
    self | mpiexec) kill -"$sig" "$job" ;;
    ranks | rank0)
      for r in 0 1; do
        [[ $target == rank0 && $r == 1 ]] && break
        pid=$(rank_pid "$job" "$r") || { fail "$tag: rank $r not found"; return; }
        kill -"$sig" "$pid"
      done
      ;;
  esac
  finish "$tag"
  echo "$tag: exit $rc"
  ((rc == want)) || { fail "$tag: exit $rc, expected $want"; grep -v '^iter' "$dir/log"; return; }
  [[ -e "$dir/m.h5" ]] && fail "$tag: a model was written by a stopped run"
  if ((want == 3)); then
    local line n
    line=$(grep 'checkpoint after iteration .* (stop requested)' "$dir/log") ||
      { fail "$tag: no checkpoint line"; return; }
    "$bin" check "$dir/ck/checkpoint.h5" >/dev/null 2>&1 || fail "$tag: the checkpoint fails check"
    n=$(sed 's/.*after iteration \([0-9]*\).*/\1/' <<<"$line")
    # Resumable: two more iterations on top of the checkpoint's.
    "$bin" train --dataset "$work/d.h5" --factors 8 --iterations $((n + 2)) --threads 1 --quiet \
      --resume "$dir/ck/checkpoint.h5" --out "$dir/resumed.h5" ||
      fail "$tag: resuming the checkpoint failed"
  elif ((want == 4)); then
    grep -q 'nothing is saved' "$dir/log" || fail "$tag: no 'nothing is saved' message"
    [[ -e "$dir/ck/checkpoint.h5" ]] && fail "$tag: a checkpoint was written without --checkpoint-dir"
  fi
}

stop_case single self INT yes 3
stop_case single self TERM yes 3
stop_case single self USR1 no 4
stop_case single self INT no 4
stop_case mpi mpiexec USR1 yes 3
stop_case mpi mpiexec USR1 no 4
stop_case mpi ranks TERM yes 3
stop_case mpi ranks INT no 4
stop_case mpi rank0 TERM yes 3

# SIGTERM to mpiexec itself: Open MPI forwards SIGTERM to the ranks, kills them
# after odls_base_sigkill_timeout (1 s) and exits 1 whatever they return
# (Open MPI's mpiexec names itself OpenRTE in --version).
if "$mpiexec" --version 2>&1 | grep -q 'OpenRTE'; then
  stop_case mpi mpiexec TERM yes 1
fi

# A second Ctrl-C ends a single process at once (killed by SIGINT: 130). Both
# must land in one iteration: with 1024 factors and 12 CG steps an iteration
# takes 0.4 s on an idle machine with the AVX2 build, 8 times the gap between
# the signals (400 factors and 3 steps took 0.16 s there, and the first SIGINT
# had already stopped the run when the second came 0.2 s later).
dir="$work/twice"
mkdir -p "$dir"
"$bin" train --dataset "$work/d.h5" --factors 1024 --cg-steps 12 --iterations 10000 --threads 1 \
  --out "$dir/m.h5" >"$dir/log" 2>&1 &
job=$!
if wait_for_loop "$dir/log"; then
  kill -INT "$job"
  sleep 0.05
  kill -INT "$job"
  finish "second SIGINT"
  echo "second SIGINT: exit $rc"
  ((rc == 130)) || fail "second SIGINT: exit $rc, expected 130 (killed by SIGINT)"
else
  fail "second SIGINT: the training loop did not start"
  cat "$dir/log"
fi

echo "$failures failure(s)"
exit $((failures > 0))
