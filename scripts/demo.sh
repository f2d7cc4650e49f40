#!/usr/bin/env bash
# The main job end to end on a fresh machine: install packages, build, then
#   synth (a small MyAnimeList-2023-shaped dataset) -> prepare -> info.
# With real Kaggle files instead of the synthetic ones:
#   scripts/demo.sh --ratings rating.csv --anime anime.csv [other prepare options]
# Everything is written under OUT_DIR (default: out/demo).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out_dir=${OUT_DIR:-$root/out/demo}

"$root/scripts/setup.sh"
"$root/scripts/build.sh"
bin=${BUILD_DIR:-$root/build}/animerec
mkdir -p "$out_dir"

if [[ $# -eq 0 ]]; then
  echo "== synth: 2,000 users x 500 anime, 100,000 ratings (MyAnimeList 2023 layout)"
  "$bin" synth --out "$out_dir/synth" --users 2000 --anime 500 --ratings 100000 --seed 42 --overwrite
  set -- --ratings "$out_dir/synth/users-score-2023.csv" --anime "$out_dir/synth/anime-dataset-2023.csv"
fi

echo "== prepare"
"$bin" prepare "$@" --out "$out_dir/dataset.h5" --validation-fraction 0.1 --overwrite
echo "== info"
"$bin" info "$out_dir/dataset.h5"
echo "== export (test split, external ids)"
"$bin" export --dataset "$out_dir/dataset.h5" --split test --out "$out_dir/test.csv" --overwrite
echo "wrote $out_dir/dataset.h5 and $out_dir/test.csv ($(($(wc -l <"$out_dir/test.csv") - 1)) test rows)"
