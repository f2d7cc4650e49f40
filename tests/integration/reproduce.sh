#!/usr/bin/env bash
# `animerec reproduce` across rank counts: a model trained serially is
# reproduced bit-identically under mpiexec -n 2, and a model trained on 2 ranks
# (whose manifest names 2 ranks and 2 hosts) is reproduced by one process.
# Usage: reproduce.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$(dirname "$0")/lib/mpi_test.sh"

"$bin" synth --out "$work/s" --users 300 --anime 120 --ratings 12000 --seed 3 --quiet
"$bin" prepare --ratings "$work/s/users-score-2023.csv" --anime "$work/s/anime-dataset-2023.csv" \
  --out "$work/d.h5" --validation-fraction 0.1 --quiet
train=(train --dataset "$work/d.h5" --factors 6 --iterations 4 --lambda-content 2 --threads 1 --quiet)

"$bin" "${train[@]}" --out "$work/serial.h5" || fail "serial train"
out=$("$mpiexec" -n 2 "$bin" reproduce --model "$work/serial.h5" --quiet 2>&1)
[[ $? -eq 0 && $out == *bit-identical* ]] || fail "mpiexec -n 2 reproduce of a serial model: $out"
echo "$out"

"$mpiexec" -n 2 "$bin" "${train[@]}" --out "$work/np2.h5" || fail "mpiexec -n 2 train"
grep -q '"ranks": 2' "$work/np2.run.json" || fail "np2.run.json does not name 2 ranks"
hosts=$(tr -d ' \n' <"$work/np2.run.json" | grep -o '"hosts":\[[^]]*\]' | tr -cd ',' | wc -c)
[[ $hosts -eq 1 ]] || fail "np2.run.json does not list 2 hosts"
out=$("$bin" reproduce --model "$work/np2.h5" --quiet 2>&1)
[[ $? -eq 0 && $out == *bit-identical* ]] || fail "serial reproduce of a 2-rank model: $out"
echo "$out"

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
echo "reproduce across ranks: ok"
