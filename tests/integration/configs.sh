#!/usr/bin/env bash
# Every shipped config (configs/*.ini) drives its commands end to end on a
# small synthetic set of its layout: synth (when the config has a [synth]
# section, with the size overridden), prepare, train for one iteration and
# evaluate. A config whose key a command no longer knows fails here.
# Usage: configs.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
small=(--users 300 --anime 120 --ratings 9000 --quiet)

"$bin" synth --layout mal2023 --out "$work/s23" "${small[@]}" || fail "synth mal2023"
"$bin" synth --layout mal2016 --out "$work/s16" "${small[@]}" || fail "synth mal2016"
"$bin" synth --layout mal2016 --unrated-fraction 0 --out "$work/s20" "${small[@]}" || fail "synth 2020"
"$bin" synth --layout movielens --out "$work/ml" "${small[@]}" || fail "synth movielens"

# The input files of each config's layout.
inputs() {
  case $1 in
    mal2016) echo "--ratings $work/s16/rating.csv --anime $work/s16/anime.csv" ;;
    mal2020) echo "--ratings $work/s20/rating.csv --anime $work/s20/anime.csv" ;;
    movielens) echo "--ratings $work/ml/u.data" ;;
    *) echo "--ratings $work/s23/users-score-2023.csv --anime $work/s23/anime-dataset-2023.csv" ;;
  esac
}

count=0
for config in "$src"/configs/*.ini; do
  name=$(basename "$config" .ini)
  # Search spaces of scripts/tune, not animerec configs (tests/integration/tune.sh).
  [[ $name == tune-* ]] && continue
  if grep -q '^\[synth\]' "$config"; then
    "$bin" synth --config "$config" --out "$work/$name-synth" "${small[@]}" ||
      fail "$name: synth"
  fi
  # shellcheck disable=SC2046
  "$bin" prepare --config "$config" $(inputs "$name") --out "$work/$name.h5" --quiet ||
    { fail "$name: prepare"; continue; }
  "$bin" train --config "$config" --dataset "$work/$name.h5" --out "$work/$name-model.h5" \
    --iterations 1 --ranking-iterations 1 --quiet || { fail "$name: train"; continue; }
  "$bin" evaluate --model "$work/$name-model.h5" --dataset "$work/$name.h5" --k 10 >/dev/null ||
    fail "$name: evaluate"
  count=$((count + 1))
done

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
echo "configs: $count configs prepare, train and evaluate"
