#!/usr/bin/env bash
# Submits a hyperparameter sweep: a job array with one task per grid setting
# (slurm/sweep.sbatch), then slurm/collect.sbatch with --dependency=afterany on the
# array, which writes RUN_DIR/sweep.csv and RUN_DIR/sweep.md once every task ended,
# listing the tasks that failed or did not finish. Both go through slurm/submit, which
# checks the inputs first and makes their paths absolute; run it from any directory:
#   DATASET=/scratch/mal2016.h5 RUN_DIR=/scratch/sweep CONFIG=configs/mal2016.ini \
#     slurm/submit-sweep.sh [sbatch options for the array tasks, e.g. --ntasks=4 --time=2:00:00]
# Environment: DATASET, RUN_DIR (required); GRID (default configs/sweep-grid.txt),
# CONFIG, TRAIN_ARGS, EVALUATE_ARGS, METRIC, ANIMEREC, LAUNCHER, PYTHON, and MAX_PARALLEL
# (at most this many tasks at once) are passed on to the jobs; COLLECT_OPTIONS (sbatch
# options for the collect job, split at spaces, e.g. "--output=logs/collect-%j.out").
# Prints "array_job=ID" and "collect_job=ID".
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DATASET:?set DATASET to the dataset.h5 to train on}"
: "${RUN_DIR:?set RUN_DIR to the sweep directory}"
# shellcheck source=slurm/common.sh
source "$here/common.sh"
GRID=${GRID:-$ANIMEREC_HOME/configs/sweep-grid.txt}
[[ -f $GRID && -r $GRID ]] || {
  echo "submit-sweep: GRID=$GRID: no such readable file" >&2
  exit 2
}
GRID=$(realpath "$GRID")
RUN_DIR=$(realpath -m "$RUN_DIR")
export DATASET RUN_DIR GRID

count=$(animerec_grid_settings "$GRID" | wc -l)
((count > 0)) || {
  echo "submit-sweep: $GRID has no settings" >&2
  exit 2
}
array=1-$count${MAX_PARALLEL:+%$MAX_PARALLEL}
array_job=$("$here/submit" sweep --parsable --array="$array" "$@")
array_job=${array_job%%;*} # --parsable prints "id;cluster" on multi-cluster setups
mkdir -p "$RUN_DIR"
read -r -a collect_options <<<"${COLLECT_OPTIONS:-}"
# afterany: the table is wanted (and says which tasks are missing) even when a task failed;
# afterok would leave the collect job waiting forever (DependencyNeverSatisfied).
collect_job=$("$here/submit" collect --parsable --dependency=afterany:"$array_job" "${collect_options[@]}")
collect_job=${collect_job%%;*}
echo "submit-sweep: $count settings from $GRID -> $RUN_DIR/task-1..$count"
echo "array_job=$array_job"
echo "collect_job=$collect_job"
