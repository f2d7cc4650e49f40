#!/usr/bin/env bash
# Crash safety of `animerec train` (docs/architecture.md, "Reliability"):
#  * SIGKILL at seeded random moments of a sweep, while a checkpoint is being
#    written and while the model is being written, for one process and for
#    `mpiexec -n 2` (every rank killed, as when a node dies). Afterwards the
#    last checkpoint passes `animerec check`, no file exists under the
#    model's name, and resuming yields the uninterrupted run's model
#    (h5diff of the arrays); the resumed run removes the killed writer's
#    temporary files.
#  * A full disk (file size limit, `ulimit -f`; a 1 MiB tmpfs when mounting
#    is permitted) while writing a checkpoint or the model: exit code 2, a
#    message naming the file and the OS error, the previous checkpoint
#    byte-identical, no temporary file left.
# Prints a table: fault, times tried, outcome.
# Usage: crash_safety.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
work=$(mktemp -d)
tiny=""
cleanup() {
  [[ -n "$tiny" ]] && umount "$tiny" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$(dirname "$0")/lib/mpi_test.sh"
command -v h5diff >/dev/null || { echo "no h5diff"; exit 77; }
RANDOM=20240501  # the kill moments are a seeded list: every run tries the same ones

# Big enough that a checkpoint (about 6 MB) takes measurable time to write.
"$bin" synth --out "$work/s" --users 10000 --anime 1200 --ratings 220000 --seed 5 --quiet
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --out "$work/d.h5" \
  --validation-fraction 0.1 --quiet || { echo "prepare failed"; exit 1; }
model=(--dataset "$work/d.h5" --factors 64 --lambda 0.05 --threads 1 --quiet)
train=(train "${model[@]}" --iterations 4)
arrays=(/users/factors /users/bias /anime/factors /anime/bias)
same_arrays() {
  local a
  for a in "${arrays[@]}"; do
    h5diff -q "$1" "$2" "$a" "$a" >/dev/null 2>&1 || { echo "  $a differs: $1 vs $2"; return 1; }
  done
}

start=$(date +%s.%N)
"$bin" "${train[@]}" --out "$work/ref.h5" || { echo "reference run failed"; exit 1; }
run_seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
echo "uninterrupted run: ${run_seconds} s"

declare -A tried outcome
record() {  # FAULT OUTCOME
  tried[$1]=$((${tried[$1]:-0} + 1))
  outcome[$1]="${outcome[$1]:+${outcome[$1]}, }$2"
}

# Temporary files are .NAME.tmp.HOST.PID (docs/architecture.md, "Reliability").
temp_files() { compgen -G "$1/.$2.tmp.*"; }

# A 1 ms pause without forking (sleep would cost more than the writes last):
# a read with a timeout on a pipe nobody writes to.
mkfifo "$work/never"
exec 9<>"$work/never"
pause() { read -r -t 0.001 -u 9; }

# Kills every process of the job: the single process, or each rank of mpiexec.
kill_job() {  # JOB_PID MODE
  local pids=$1
  [[ $2 == mpi ]] && pids=$(pgrep -P "$1" | tr '\n' ' ')
  [[ -n "$pids" ]] && kill -KILL $pids 2>/dev/null
}

# Waits until DIR/.NAME.tmp.* appears (a write under way) and, with
# NEED_PREVIOUS=yes, DIR/NAME exists too (a previous file to protect); then
# SIGKILLs the writer at once: its pid ends the temporary name. At most 60 s.
kill_writer_when_writing() {  # DIR NAME NEED_PREVIOUS JOB_PID
  local deadline=$((SECONDS + 60)) temp
  while ((SECONDS < deadline)) && kill -0 "$4" 2>/dev/null; do
    for temp in "$1/.$2.tmp."*; do
      [[ -e $temp ]] || continue
      [[ $3 == yes && ! -e "$1/$2" ]] && continue
      kill -KILL "${temp##*.}" 2>/dev/null
      return 0
    done
    pause
  done
  return 1
}

fault_label() {  # MOMENT MODE
  local where="1 process"
  [[ $2 == mpi ]] && where="mpiexec -n 2"
  case $1 in
    sweep) echo "SIGKILL at a random moment ($where)" ;;
    checkpoint) echo "SIGKILL while writing a checkpoint ($where)" ;;
    model) echo "SIGKILL while writing the model ($where)" ;;
  esac
}

# One trial: start training with a checkpoint after every iteration, kill it
# at the moment MOMENT picks, check what is on disk, resume, compare.
# Prints what the kill interrupted.
trial() {  # MODE(single|mpi) MOMENT(sweep|checkpoint|model) TAG
  local mode=$1 moment=$2 tag=$3 dir="$work/$3" launcher=() job delay fault what
  rm -rf "$dir"
  mkdir -p "$dir/ck"
  [[ $mode == mpi ]] && launcher=("$mpiexec" -n 2)
  "${launcher[@]}" "$bin" "${train[@]}" --checkpoint-every 1 --checkpoint-dir "$dir/ck" \
    --out "$dir/model.h5" >"$dir/log" 2>&1 &
  job=$!
  case $moment in
    sweep)
      delay=$(awk -v t="$run_seconds" -v p=$((10 + RANDOM % 80)) 'BEGIN { printf "%.3f", t * p / 100 }')
      sleep "$delay"
      ;;
    checkpoint)  # the next checkpoint write after a seeded delay, so different ones are hit
      sleep "$(awk -v t="$run_seconds" -v p=$((20 + RANDOM % 70)) 'BEGIN { printf "%.3f", t * p / 100 }')"
      kill_writer_when_writing "$dir/ck" checkpoint.h5 yes "$job"
      ;;
    model) kill_writer_when_writing "$dir" model.h5 no "$job" ;;
  esac
  kill_job "$job" "$mode"
  wait "$job" 2>/dev/null
  # What the kill really interrupted, from what it left behind.
  if temp_files "$dir/ck" checkpoint.h5 >/dev/null; then
    what="killed while writing a checkpoint"
  elif temp_files "$dir" model.h5 >/dev/null; then
    what="killed while writing the model"
  elif [[ -e "$dir/model.h5" ]]; then
    what="finished before the kill"
  else
    what="killed outside a write (start-up or sweep)"
  fi
  fault=$(fault_label "$moment" "$mode")
  last_what=$what
  if [[ $what != "finished before the kill" && -e "$dir/model.h5" ]]; then
    fail "$tag: a model file exists after a kill"
    record "$fault" "PARTIAL MODEL"
    return
  fi
  local resume=()
  if [[ -e "$dir/ck/checkpoint.h5" ]]; then
    "$bin" check "$dir/ck/checkpoint.h5" >"$dir/check.log" 2>&1 ||
      { fail "$tag: the checkpoint left by the kill does not pass check"; cat "$dir/check.log"; record "$fault" "BAD CHECKPOINT"; return; }
    resume=(--resume "$dir/ck/checkpoint.h5")
  elif [[ $what == "killed while writing a checkpoint" && $moment == checkpoint ]]; then
    fail "$tag: no previous checkpoint"
  fi
  if [[ $what != "finished before the kill" ]]; then
    "${launcher[@]}" "$bin" "${train[@]}" --checkpoint-every 1 --checkpoint-dir "$dir/ck" \
      --out "$dir/model.h5" "${resume[@]}" >"$dir/resume.log" 2>&1 ||
      { fail "$tag: resume failed"; cat "$dir/resume.log"; record "$fault" "RESUME FAILED"; return; }
  fi
  if ! same_arrays "$work/ref.h5" "$dir/model.h5"; then
    fail "$tag: resumed model differs from the uninterrupted one"
    record "$fault" "DIFFERENT MODEL"
    return
  fi
  if temp_files "$dir/ck" checkpoint.h5 >/dev/null || temp_files "$dir" model.h5 >/dev/null; then
    fail "$tag: the resumed run left the killed writer's temporary file"
  fi
  local from="from scratch"
  [[ ${#resume[@]} -gt 0 ]] && from="from $(sed -n 's/.*checkpoint after iteration \([0-9]*\).*/iteration \1/p' "$dir/check.log")"
  record "$fault" "$what; resumed $from: same model"
  rm -rf "$dir"
}

# A write lasts milliseconds: when a kill aimed at one lands after it
# (the trial then says "outside a write" or "finished"), it is tried again, up
# to 3 times; every try is counted in the table.
n=0
for mode in single mpi; do
  for moment in sweep sweep checkpoint checkpoint model; do
    for attempt in 1 2 3; do
      n=$((n + 1))
      trial "$mode" "$moment" "t$n"
      [[ $moment == sweep || $last_what == *writing* ]] && break
    done
  done
done

# ---- full disk

# A checkpoint of iteration 2 to protect, then a resumed run under a file
# size limit below the checkpoint's size: its next checkpoint cannot be written.
full_disk_checkpoint() {  # MODE
  local mode=$1 dir="$work/fd-$1" launcher=() rc before fault="full disk while writing a checkpoint (1 process)"
  [[ $mode == mpi ]] && fault="full disk while writing a checkpoint (mpiexec -n 2)"
  # Under mpiexec only the ranks get the limit (mpiexec's own shared-memory
  # files would exceed it), and they talk over TCP for the same reason.
  [[ $mode == mpi ]] && launcher=(env OMPI_MCA_btl=self,tcp "$mpiexec" -n 2)
  mkdir -p "$dir/ck"
  ANIMEREC_TEST_STOP_AFTER=2 "$bin" "${train[@]}" --checkpoint-dir "$dir/ck" --out "$dir/m.h5" >/dev/null 2>&1
  before=$(sha256sum <"$dir/ck/checkpoint.h5")
  "${launcher[@]}" bash -c 'ulimit -f 2048 && exec "$0" "$@"' "$bin" "${train[@]}" --checkpoint-every 1 \
    --checkpoint-dir "$dir/ck" --resume "$dir/ck/checkpoint.h5" --out "$dir/m.h5" >"$dir/log" 2>&1
  rc=$?
  if [[ $rc -eq 2 ]] && grep -q "$dir/ck/checkpoint.h5.*File too large" "$dir/log" &&
    [[ "$(sha256sum <"$dir/ck/checkpoint.h5")" == "$before" ]] && ! temp_files "$dir/ck" checkpoint.h5 >/dev/null &&
    "$bin" check "$dir/ck/checkpoint.h5" >/dev/null; then
    record "$fault" "exit 2, file and OS error named, previous checkpoint intact, no temporary file"
  else
    fail "$fault (rc $rc)"
    cat "$dir/log"
    record "$fault" "WRONG (rc $rc)"
  fi
}
full_disk_checkpoint single
full_disk_checkpoint mpi

# The model write under the limit: no model file, the error names it.
dir="$work/fd-model"
mkdir -p "$dir"
(ulimit -f 2048 && "$bin" "${train[@]}" --out "$dir/m.h5" >"$dir/log" 2>&1)
rc=$?
fault="full disk while writing the model (1 process)"
if [[ $rc -eq 2 ]] && grep -q "$dir/m.h5.*File too large" "$dir/log" && [[ ! -e "$dir/m.h5" ]] &&
  ! temp_files "$dir" m.h5 >/dev/null; then
  record "$fault" "exit 2, file and OS error named, no model, no temporary file"
else
  fail "$fault (rc $rc)"
  cat "$dir/log"
  record "$fault" "WRONG (rc $rc)"
fi

# A real full file system, where mounting one is permitted (root with
# CAP_SYS_ADMIN); otherwise this row says it was skipped.
fault="full 1 MiB tmpfs while writing the model (1 process)"
mkdir -p "$work/tiny"
if mount -t tmpfs -o size=1m tmpfs "$work/tiny" 2>/dev/null; then
  tiny="$work/tiny"
  "$bin" train "${model[@]}" --iterations 1 --out "$tiny/m.h5" >"$work/tiny.log" 2>&1
  rc=$?
  # Nothing may remain: no model, no temporary file, no lock file (docs/outputs.md).
  if [[ $rc -eq 2 ]] && grep -q "$tiny/m.h5.*No space left on device" "$work/tiny.log" &&
    [[ -z "$(ls -A "$tiny")" ]]; then
    record "$fault" "exit 2, file and OS error named, nothing left"
  else
    fail "$fault (rc $rc)"
    cat "$work/tiny.log"
    record "$fault" "WRONG (rc $rc)"
  fi
else
  record "$fault" "skipped: mount not permitted here"
  tried[$fault]=0
fi

echo
printf '%-58s | %5s | %s\n' "fault injected" "tried" "outcome"
printf '%s\n' "$(printf -- '-%.0s' {1..120})"
for fault in "${!tried[@]}"; do
  printf '%-58s | %5s | %s\n' "$fault" "${tried[$fault]}" "${outcome[$fault]}"
done | sort
echo
[[ $failures -eq 0 ]] && echo "crash_safety: all passed" || echo "crash_safety: $failures failure(s)"
[[ $failures -eq 0 ]]
