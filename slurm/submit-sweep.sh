#!/usr/bin/env bash
# Submits a hyperparameter sweep: a job array with one task per grid setting
# (slurm/sweep.sbatch), then slurm/collect.sbatch with --dependency=afterok on the
# array, which writes RUN_DIR/sweep.csv and RUN_DIR/sweep.md.
# Run from the project root:
#   DATASET=/scratch/mal2016.h5 RUN_DIR=/scratch/sweep CONFIG=configs/mal2016.ini \
#     slurm/submit-sweep.sh [sbatch options for the array tasks, e.g. --ntasks=4 --time=2:00:00]
# Environment: DATASET, RUN_DIR (required); GRID (default configs/sweep-grid.txt),
# CONFIG, TRAIN_ARGS, EVALUATE_ARGS, METRIC, ANIMEREC, LAUNCHER, and MAX_PARALLEL (at
# most this many tasks at once) are passed on to the jobs; COLLECT_OPTIONS (sbatch
# options for the collect job, split at spaces, e.g. "--output=logs/collect-%j.out").
# Prints "array_job=ID" and "collect_job=ID".
set -euo pipefail
: "${DATASET:?set DATASET to the dataset.h5 to train on}"
: "${RUN_DIR:?set RUN_DIR to the sweep directory}"
export DATASET RUN_DIR GRID=${GRID:-configs/sweep-grid.txt}
# shellcheck source=slurm/common.sh
source slurm/common.sh

count=$(animerec_grid_settings "$GRID" | wc -l)
((count > 0)) || {
  echo "submit-sweep: $GRID has no settings" >&2
  exit 2
}
mkdir -p "$RUN_DIR"
array=1-$count${MAX_PARALLEL:+%$MAX_PARALLEL}
array_job=$(sbatch --parsable --array="$array" --export=ALL "$@" slurm/sweep.sbatch)
array_job=${array_job%%;*} # --parsable prints "id;cluster" on multi-cluster setups
read -r -a collect_options <<<"${COLLECT_OPTIONS:-}"
collect_job=$(sbatch --parsable --dependency=afterok:"$array_job" --export=ALL "${collect_options[@]}" \
  slurm/collect.sbatch)
collect_job=${collect_job%%;*}
echo "submit-sweep: $count settings from $GRID -> $RUN_DIR/task-1..$count"
echo "array_job=$array_job"
echo "collect_job=$collect_job"
