#!/usr/bin/env bash
# Two runs started at once on the same output: one takes the lock and
# finishes with a valid file, the other is refused at once with exit 2 and a
# message naming the holder. Checked for train (--out, and --checkpoint-dir)
# and prepare (--out). No lock file is left behind.
# Usage: concurrent_runs.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib/mpi_test.sh"

"$bin" synth --out "$work/s" --users 2000 --anime 800 --ratings 200000 --seed 5 --quiet || exit 1
prepare=(prepare --ratings "$work/s/users-score-2023.csv" --anime "$work/s/anime-dataset-2023.csv"
  --validation-fraction 0.1 --quiet)
"$bin" "${prepare[@]}" --out "$work/d.h5" || exit 1
train=(train --dataset "$work/d.h5" --factors 32 --iterations 8 --threads 1 --quiet)

# Runs two commands at once (the first under mpiexec -n 2 when $1 is "mpi");
# expects one exit 0 and one exit 2 with the lock (or existing-output) message. Usage:
# race TAG OUT_FLAG_NAME -- ARGS_A... -- ARGS_B...
race() {
  local tag=$1 what=$2 rc_a rc_b
  shift 2
  local -a a b
  shift  # --
  while [[ $1 != -- ]]; do a+=("$1"); shift; done
  shift
  b=("$@")
  "${a[@]}" >"$work/$tag-a.log" 2>&1 &
  local pid_a=$!
  "${b[@]}" >"$work/$tag-b.log" 2>&1 &
  local pid_b=$!
  wait "$pid_a"; rc_a=$?
  wait "$pid_b"; rc_b=$?
  local winner loser
  if [[ $rc_a -eq 0 && $rc_b -eq 2 ]]; then winner=a loser=b
  elif [[ $rc_a -eq 2 && $rc_b -eq 0 ]]; then winner=b loser=a
  else
    fail "$tag: exits $rc_a and $rc_b, expected one 0 and one 2"
    cat "$work/$tag-a.log" "$work/$tag-b.log"
    return 1
  fi
  # The loser is refused by the lock while the winner runs, or, on a loaded
  # machine where it starts only after the winner has finished, by the
  # existing output: either way it writes nothing.
  grep -q -- "$what .* is being written by another animerec run (pid [0-9]* on host .*, started \|$what .* exists; pass --overwrite" \
    "$work/$tag-$loser.log" || { fail "$tag: the refusal names the holder"; cat "$work/$tag-$loser.log"; }
  echo "$tag: run $winner finished, run $loser was refused: $(grep -o 'animerec: error.*' "$work/$tag-$loser.log")"
}

# Same --out, one run under mpiexec: the model written equals a run alone.
"$bin" "${train[@]}" --out "$work/alone.h5" || fail "train alone"
race train-out "--out" -- "$mpiexec" -n 2 "$bin" "${train[@]}" --out "$work/m.h5" \
  -- "$bin" "${train[@]}" --out "$work/m.h5"
for a in /users/factors /users/bias /anime/factors /anime/bias; do
  h5diff -q "$work/alone.h5" "$work/m.h5" "$a" "$a" >/dev/null 2>&1 ||
    fail "the winner's model differs from a run alone ($a)"
done

# Different --out, same --checkpoint-dir.
mkdir "$work/ck"
race train-ck "--checkpoint-dir" -- "$bin" "${train[@]}" --out "$work/c1.h5" --checkpoint-dir "$work/ck" \
  --checkpoint-every 2 -- "$bin" "${train[@]}" --out "$work/c2.h5" --checkpoint-dir "$work/ck" --checkpoint-every 2

# prepare: same --out; the winner's ratings equal those of a dataset prepared alone.
race prepare-out "--out" -- "$bin" "${prepare[@]}" --out "$work/p.h5" -- "$bin" "${prepare[@]}" --out "$work/p.h5"
h5diff -q "$work/d.h5" "$work/p.h5" /ratings /ratings >/dev/null 2>&1 ||
  fail "the winner's dataset differs from one prepared alone"

# Every run removed its lock file (winners and refused runs alike), and the
# next run goes ahead.
leftovers=$(find "$work" -name '*.lock' -o -name lock)
[[ -z $leftovers ]] || fail "lock files left behind: $leftovers"
"$bin" "${train[@]}" --out "$work/m.h5" --overwrite || fail "a run after the race"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "concurrent-run checks passed"
