# Sourced by the integration scripts that use the one-node SLURM test cluster
# (scripts/slurm-cluster.sh), after they set `src` (the project root) and `bin`:
# skips (77) without root, makes `work` and `cluster`, picks a port of the
# test's own, stops the cluster and removes `work` at exit, and counts
# failures (fail MESSAGE).
[[ $(id -u) -eq 0 ]] || {
  echo "skip: the test cluster's daemons need root"
  exit 77
}
work=$(mktemp -d)
cluster=$work/cluster
# A port of its own, so a cluster someone already runs on the default port is not hit.
export SLURM_CLUSTER_PORT=$((20000 + ($$ % 5000) * 2))
cleanup() {
  "$src/scripts/slurm-cluster.sh" stop "$cluster" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 ANIMEREC=$bin
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
