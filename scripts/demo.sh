#!/usr/bin/env bash
# The main job end to end on a fresh machine: install packages, build, then
#   synth (a small MyAnimeList-2023-shaped dataset) -> prepare -> info -> export
#   -> train on 2 MPI ranks -> evaluate against the baselines (mpiexec -n 2) ->
#   the top 10 for a known user -> a new user's fold-in from three ratings, with
#   --explain -> similar anime.
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
echo "wrote $out_dir/test.csv ($(($(wc -l <"$out_dir/test.csv") - 1)) test rows)"

echo "== train: explicit ALS on 2 MPI ranks, early stopping on the validation split"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1  # the demo may run as root
mpiexec -n 2 "$bin" train --config "$root/configs/ci-tiny.ini" --dataset "$out_dir/dataset.h5" \
  --out "$out_dir/model.h5" --threads 1 --metrics-out "$out_dir/metrics.jsonl" --overwrite
echo "== evaluate on the test split, beside the baselines (2 ranks, the same numbers as 1)"
mpiexec -n 2 "$bin" evaluate --model "$out_dir/model.h5" --dataset "$out_dir/dataset.h5" --k 10

# The first user of the dataset, and the anime they rated first.
user=$("$bin" export --dataset "$out_dir/dataset.h5" --split all --out "$out_dir/all.csv" --overwrite &&
  sed -n 2p "$out_dir/all.csv" | cut -d, -f1)
anime=$(sed -n 2p "$out_dir/all.csv" | cut -d, -f2)
echo "== top 10 for user $user"
"$bin" recommend --model "$out_dir/model.h5" --dataset "$out_dir/dataset.h5" --user "$user" --top 10
# A new user who rated three anime (those of the first rows of the file): fold-in, no retraining.
ratings=$(sed -n 2,4p "$out_dir/all.csv" | cut -d, -f2 | paste -sd' ' | awk '{print $1":10,"$2":9,"$3":8"}')
echo "== a new user: --ratings \"$ratings\" (fold-in), with --explain"
"$bin" recommend --model "$out_dir/model.h5" --dataset "$out_dir/dataset.h5" --ratings "$ratings" \
  --top 5 --explain
echo "== anime similar to $anime (factors and content blended)"
"$bin" recommend --model "$out_dir/model.h5" --dataset "$out_dir/dataset.h5" --similar "$anime" --top 5 \
  --similar-mode hybrid
