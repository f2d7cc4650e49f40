#!/usr/bin/env bash
# The output rule (docs/outputs.md) on the real commands: every file a command
# writes must be a regular file (or new), never one of its inputs, and is
# replaced only with --overwrite; a symbolic link is written through to its
# file; all of it is checked before any work. Each refusal must exit 2, name
# the path and the reason, leave the victim byte-identical and print no
# training iteration. No run leaves a lock file behind.
# Usage: output_safety.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib/mpi_test.sh"
cd "$work" || exit 1

"$bin" synth --out s --users 300 --anime 120 --ratings 8000 --seed 3 --quiet || exit 1
"$bin" prepare --ratings s/users-score-2023.csv --anime s/anime-dataset-2023.csv \
  --validation-fraction 0.1 --out d.h5 --quiet || exit 1
train=(train --factors 8 --iterations 2 --threads 1)
"$bin" "${train[@]}" --dataset d.h5 --out m.h5 --quiet || exit 1

# refused TAG VICTIM EXPECTED_MESSAGE -- COMMAND...: the command exits 2 with
# the message, VICTIM (a file or a special file) is unchanged, no iteration ran.
refused() {
  local tag=$1 victim=$2 message=$3 before rc
  shift 4
  before=$(stat -c '%F %i %s %Y' "$victim" 2>&1; [[ -f $victim ]] && sha256sum <"$victim")
  "$@" >"$tag.log" 2>&1
  rc=$?
  [[ $rc -eq 2 ]] || fail "$tag: exit $rc, expected 2"
  grep -qF -- "$message" "$tag.log" || fail "$tag: no '$message' in: $(cat "$tag.log")"
  ! grep -q '^iter ' "$tag.log" || fail "$tag: refused only after training had started"
  [[ $before == "$(stat -c '%F %i %s %Y' "$victim" 2>&1; [[ -f $victim ]] && sha256sum <"$victim")" ]] ||
    fail "$tag: $victim was changed"
  echo "$tag: $(grep -o 'animerec: error.*' "$tag.log")"
}

# Outputs that ignored --overwrite.
cp m.h5 m2.h5
refused evaluate-manifest-model m2.h5 "--manifest m2.h5 is the same file as --model m2.h5" -- \
  "$bin" evaluate --model m2.h5 --dataset d.h5 --manifest m2.h5 --overwrite
cp m.h5 other.h5
refused evaluate-manifest-exists other.h5 "--manifest other.h5 exists; pass --overwrite" -- \
  "$bin" evaluate --model m.h5 --dataset d.h5 --manifest other.h5
cp d.h5 tiny.h5
refused metrics-out-exists tiny.h5 "--metrics-out tiny.h5 exists; pass --overwrite" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out m3.h5 --metrics-out tiny.h5
# A rerun of evaluate replaces its own previous manifest; --overwrite any file.
"$bin" evaluate --model m.h5 --dataset d.h5 >/dev/null || fail "evaluate"
"$bin" evaluate --model m.h5 --dataset d.h5 >/dev/null || fail "evaluate again (its own manifest)"
"$bin" evaluate --model m.h5 --dataset d.h5 --manifest other.h5 --overwrite >/dev/null &&
  grep -q '"command": "evaluate"' other.h5 || fail "evaluate --manifest FILE --overwrite"

# Input and output the same file.
cp s/users-score-2023.csv in.csv
refused prepare-in-out in.csv "--out in.csv is the same file as --ratings in.csv" -- \
  "$bin" prepare --ratings in.csv --anime s/anime-dataset-2023.csv --out in.csv --overwrite
refused train-in-out d.h5 "--out ./d.h5 is the same file as --dataset d.h5" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out ./d.h5 --overwrite
refused export-in-out d.h5 "--out d.h5 is the same file as --dataset d.h5" -- \
  "$bin" export --dataset d.h5 --out d.h5 --overwrite
refused recommend-in-out m.h5 "--out m.h5 is the same file as --model m.h5" -- \
  "$mpiexec" -n 2 "$bin" recommend --all-users --model m.h5 --dataset d.h5 --out m.h5 --overwrite
refused reproduce-in-out m.h5 "--out m.h5 is the same file as --model m.h5" -- \
  "$bin" reproduce --model m.h5 --out m.h5 --overwrite
ln -s d.h5 d-link.h5
refused train-metrics-dataset d.h5 "--metrics-out d-link.h5 is the same file as --dataset d.h5" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out m4.h5 --metrics-out d-link.h5 --overwrite

# Special files: refused even with --overwrite, and left as they are.
mkfifo fifo
refused train-fifo fifo "--out fifo is a pipe (FIFO), not a regular file" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out fifo --overwrite
if mknod null c 1 3 2>/dev/null; then  # a /dev/null of our own (root only)
  refused evaluate-device null "--manifest null is a character device, not a regular file" -- \
    "$bin" evaluate --model m.h5 --dataset d.h5 --manifest null --overwrite
fi
mkdir outdir
refused train-directory outdir "--out outdir is a directory, not a regular file" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out outdir --overwrite
ln -s /dev/null null-link.h5
refused train-link-device null-link.h5 "--out null-link.h5 is a symbolic link to /dev/null, a character device" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out null-link.h5 --overwrite
# A symbolic link where the lock file goes is not followed.
echo precious >precious.txt
ln -s precious.txt m5.h5.lock
refused lock-symlink precious.txt "the lock file m5.h5.lock is a symbolic link" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out m5.h5
rm m5.h5.lock

# A name too long for the temporary file beside it: refused before training.
long=$(printf 'a%.0s' {1..242}).h5
refused train-long-name d.h5 "the file name is 245 bytes, too long to write" -- \
  "$bin" "${train[@]}" --dataset d.h5 --out "$long"

# A symbolic link is written through: runs/keep.h5 is replaced, the link kept.
mkdir runs
cp m.h5 runs/keep.h5
ln -s runs/keep.h5 latest.h5
"$bin" "${train[@]}" --dataset d.h5 --out latest.h5 --overwrite --seed 7 --quiet ||
  fail "train through a symbolic link"
[[ -L latest.h5 && $(readlink latest.h5) == runs/keep.h5 ]] || fail "the link was replaced"
! cmp -s m.h5 runs/keep.h5 || fail "runs/keep.h5 was not rewritten"
"$bin" check runs/keep.h5 >/dev/null || fail "runs/keep.h5 is not a valid model"
[[ $(ls -A runs) == keep.h5 ]] || fail "files left in runs/: $(ls -A runs)"

# --resume continues the interrupted run's --metrics-out without --overwrite.
mkdir ck
ANIMEREC_TEST_STOP_AFTER=1 "$bin" train --factors 8 --iterations 3 --threads 1 --dataset d.h5 \
  --out r.h5 --checkpoint-dir ck --metrics-out r.jsonl --quiet
[[ $? -eq 3 ]] || fail "the stopped run did not exit 3"
"$bin" train --factors 8 --iterations 3 --threads 1 --dataset d.h5 --out r.h5 --checkpoint-dir ck \
  --metrics-out r.jsonl --resume ck/checkpoint.h5 --quiet || fail "resume with --metrics-out"
[[ $(grep -c '"iteration"' r.jsonl) -eq 3 ]] || fail "r.jsonl has not 3 iterations: $(cat r.jsonl)"
# ... but never appends to a file of other content, even with --overwrite.
refused resume-metrics-dataset tiny.h5 "--metrics-out tiny.h5: with --resume the metrics are appended to it, but it is not a metrics file" -- \
  "$bin" train --factors 8 --iterations 3 --threads 1 --dataset d.h5 --out r2.h5 \
  --metrics-out tiny.h5 --resume ck/checkpoint.h5 --overwrite

# SIGTERM during prepare (which has no handlers of its own): the lock file
# goes with the process. (A prepare that finished first removed it too.)
"$bin" synth --out big --users 20000 --anime 2000 --ratings 1500000 --seed 1 --quiet || exit 1
"$bin" prepare --ratings big/users-score-2023.csv --anime big/anime-dataset-2023.csv \
  --out big.h5 --quiet &
pid=$!
for _ in {1..100}; do [[ -e big.h5.lock ]] && break; sleep 0.01; done
kill -TERM "$pid"
wait "$pid"
rc=$?
[[ $rc -eq 143 || $rc -eq 0 ]] || fail "prepare killed by SIGTERM: exit $rc"
echo "prepare-sigterm: exit $rc, left: $(ls big.h5* 2>/dev/null)"
rm -rf big big.h5

# No run left a lock file (nor a temporary file).
leftovers=$(find . -name '*.lock' -o -name '.*.tmp.*' -o -name lock)
[[ -z $leftovers ]] || fail "left behind: $leftovers"

if ((failures > 0)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "output-safety checks passed"
