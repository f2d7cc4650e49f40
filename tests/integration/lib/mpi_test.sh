# Sourced by the integration scripts that launch ranks: lets Open MPI run as
# root (CI does) and start more ranks than cores, finds mpiexec (or skips the
# test with 77), and counts failures: fail MESSAGE prints it and the script
# ends with `exit $((failures > 0))` or its own summary.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpiexec=$(command -v mpiexec || command -v mpirun) || { echo "no mpiexec"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The pid of rank $2 among the children of mpiexec $1 (Open MPI 4.1 starts the
# local ranks as its direct children; each has OMPI_COMM_WORLD_RANK set).
rank_pid() {
  local p
  for p in $(pgrep -P "$1"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# For scripts that run a training in the background: $work, a scratch
# directory, and $job, the background job's pid (set it after starting one);
# both are cleaned up at exit, the job killed if it still runs.
scratch_with_job() {
  work=$(mktemp -d)
  job=""
  trap '[[ -n "$job" ]] && kill -KILL "$job" 2>/dev/null; rm -rf "$work"' EXIT
}

# synth_dataset USERS ANIME RATINGS SEED: a synthetic set prepared into
# $work/d.h5 with a 10% validation split (synth's files stay in $work/s).
synth_dataset() {
  "$bin" synth --out "$work/s" --users "$1" --anime "$2" --ratings "$3" --seed "$4" --quiet || exit 1
  "$bin" prepare --ratings "$work/s/users-score-2023.csv" \
    --anime "$work/s/anime-dataset-2023.csv" --out "$work/d.h5" --validation-fraction 0.1 \
    --quiet || exit 1
}
