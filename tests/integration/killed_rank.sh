#!/usr/bin/env bash
# A rank killed outright (SIGKILL: the OOM killer, a node failure) in the
# middle of a 3-rank training: the job must end promptly with a non-zero exit,
# never hang in a collective, and the last checkpoint must be intact: resumed,
# it gives the same model as an uninterrupted run.
# Usage: killed_rank.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
source "$(dirname "$0")/lib/mpi_test.sh"
scratch_with_job

# About 0.3-0.5 s per iteration with 3 ranks on a 2-core machine.
synth_dataset 3000 1000 300000 3
train=(train --dataset "$work/d.h5" --factors 32 --iterations 12 --threads 1 --quiet)

mkdir "$work/ck"
"$mpiexec" -n 3 "$bin" "${train[@]}" --out "$work/killed.h5" --checkpoint-every 1 \
  --checkpoint-dir "$work/ck" >"$work/log" 2>&1 &
job=$!
for _ in $(seq 600); do
  [[ -e "$work/ck/checkpoint.h5" ]] && break
  sleep 0.05
done
[[ -e "$work/ck/checkpoint.h5" ]] || { fail "no checkpoint within 30 s"; cat "$work/log"; exit 1; }
victim=$(rank_pid "$job" 1) || { fail "rank 1 not found among mpiexec's children"; exit 1; }
start=$SECONDS
kill -KILL "$victim"
# Wait at most 30 s for the job to end on its own.
while kill -0 "$job" 2>/dev/null && ((SECONDS - start < 30)); do sleep 0.1; done
if kill -0 "$job" 2>/dev/null; then
  fail "the job still runs 30 s after rank 1 was killed (hang)"
  kill -KILL "$job"
fi
wait "$job"
rc=$?
job=""
echo "job ended $((SECONDS - start)) s after the kill with exit $rc; mpiexec said:"
grep -v '^-*$' "$work/log"
((rc != 0)) || fail "a job that lost a rank must exit non-zero"
grep -q "process rank 1 .* exited on signal 9" "$work/log" || fail "mpiexec names the killed rank"
[[ -e "$work/killed.h5" ]] && fail "a job that lost a rank must not write the model"

# The checkpoint is whole (written atomically before the kill): resumed on
# another rank count it gives the uninterrupted run's model.
"$bin" "${train[@]}" --out "$work/full.h5" || fail "uninterrupted run"
"$mpiexec" -n 2 "$bin" "${train[@]}" --out "$work/resumed.h5" --resume "$work/ck/checkpoint.h5" ||
  fail "resume from the checkpoint of the killed job"
for a in /users/factors /users/bias /anime/factors /anime/bias; do
  h5diff -q "$work/full.h5" "$work/resumed.h5" "$a" "$a" >/dev/null 2>&1 ||
    fail "$a of the resumed model differs from the uninterrupted run"
done

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "killed-rank checks passed"
