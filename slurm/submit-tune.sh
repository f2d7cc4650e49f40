#!/usr/bin/env bash
# Submits a hyperparameter study (docs/tune.md): WORKERS array tasks of slurm/tune.sbatch
# sharing one Optuna journal in RUN_DIR, then the collect step (tune.sbatch with
# STEP=collect, --dependency=afterany on the array, so it also runs when a task hit its
# time limit), which writes RUN_DIR/best.ini, trials.csv, trials.md, manifest.json and
# the test metrics of the best config, trained on the same ranks as a trial. Both go
# through slurm/submit, which checks the inputs first (DATASET is HDF5, ANIMEREC runs,
# LAUNCHER is known) and makes their paths absolute; run it from any directory:
#   DATASET=/scratch/mal2016-val.h5 RUN_DIR=/scratch/tune TRIALS=60 WORKERS=4 \
#     BASE_CONFIG=configs/mal2016.ini slurm/submit-tune.sh [sbatch options, e.g. --ntasks=2]
# The sbatch options go to the workers and the collect job. Environment: DATASET, RUN_DIR,
# TRIALS (required); WORKERS (array tasks, default 2), SPACE, BASE_CONFIG, METRIC, SEED,
# PRUNER, TIMEOUT, TUNE_ARGS, ANIMEREC, LAUNCHER are passed on; COLLECT_OPTIONS (sbatch
# options for the collect job only, split at spaces). Prints "array_job=ID" and
# "collect_job=ID".
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${DATASET:?set DATASET to the dataset.h5 to tune on (with a validation split)}"
: "${RUN_DIR:?set RUN_DIR to the study directory}"
: "${TRIALS:?set TRIALS to the number of trials of the whole study}"
WORKERS=${WORKERS:-2}
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || {
  echo "submit-tune: WORKERS must be a positive integer (was '$WORKERS')" >&2
  exit 2
}
[[ $TRIALS =~ ^[1-9][0-9]*$ ]] || {
  echo "submit-tune: TRIALS must be a positive integer (was '$TRIALS')" >&2
  exit 2
}
export DATASET RUN_DIR TRIALS
array_job=$("$here/submit" tune --parsable --array="1-$WORKERS" "$@")
array_job=${array_job%%;*} # --parsable prints "id;cluster" on multi-cluster setups
read -r -a collect_options <<<"${COLLECT_OPTIONS:-}"
collect_job=$(STEP=collect "$here/submit" tune --parsable --dependency=afterany:"$array_job" \
  --job-name=animerec-tune-collect "$@" "${collect_options[@]}")
collect_job=${collect_job%%;*}
echo "submit-tune: $WORKERS workers, $TRIALS trials -> $RUN_DIR"
echo "array_job=$array_job"
echo "collect_job=$collect_job"
