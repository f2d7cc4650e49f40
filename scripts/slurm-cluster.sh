#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for trying and testing slurm/*.sbatch.
# Needs the Debian packages slurm-wlm and munge (scripts/setup.sh installs them)
# and root: the daemons run as root (SlurmUser=root) and munged as the munge user.
# No systemd is needed: the daemons are started by hand and stopped by their pid files.
#
# Usage:
#   scripts/slurm-cluster.sh start [DIR]   # writes DIR/slurm.conf, starts munged (if not
#                                          # running), slurmctld and slurmd, waits for an
#                                          # idle node, prints the export line for SLURM_CONF
#   scripts/slurm-cluster.sh stop [DIR]    # stops what start started
#   scripts/slurm-cluster.sh status [DIR]
# DIR (default $TMPDIR/animerec-slurm) holds the configuration, state, spool, logs and pid
# files; nothing is written into the repository. Then, in the same shell:
#   export SLURM_CONF=DIR/slurm.conf; sbatch ...; squeue
# Environment: SLURM_CLUSTER_CPUS (default nproc; more than the machine has oversubscribes
# it, e.g. to try 4 ranks on 2 cores), SLURM_CLUSTER_PORT (slurmctld port, default 6817;
# slurmd uses the next one).
set -euo pipefail

command_name=${1:-}
dir=${2:-${TMPDIR:-/tmp}/animerec-slurm}
conf=$dir/slurm.conf

die() {
  echo "slurm-cluster: $*" >&2
  exit 1
}

need_binaries() {
  local b
  for b in slurmctld slurmd sinfo munged; do
    command -v "$b" >/dev/null || die "$b not found: run scripts/setup.sh (packages slurm-wlm, munge)"
  done
  [[ $(id -u) -eq 0 ]] || die "must run as root (the daemons run as root here)"
}

# munged answers when a credential made by munge can be decoded by unmunge.
munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }

start_munge() {
  if munge_works; then
    echo "slurm-cluster: munged already running"
    return
  fi
  if [[ ! -s /etc/munge/munge.key ]]; then
    mkdir -p /etc/munge
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile=/etc/munge/munge.key
    else
      dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    fi
  fi
  # munged refuses a key or directories others can write or (for the key) read.
  chown munge:munge /etc/munge /etc/munge/munge.key
  chmod 0700 /etc/munge
  chmod 0600 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  chmod 0755 /run/munge
  runuser -u munge -- munged
  touch "$dir/munged.started-here"  # so stop ends only a munged this script started
  for _ in $(seq 50); do
    munge_works && return
    sleep 0.1
  done
  die "munged did not start (see /var/log/munge/munged.log)"
}

# Memory in MB slightly under what the machine has, so slurmd never finds less than
# slurm.conf promises (that would drain the node).
node_memory_mb() { awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.95 }' /proc/meminfo; }

write_conf() {
  local cpus=${SLURM_CLUSTER_CPUS:-$(nproc)}
  local port=${SLURM_CLUSTER_PORT:-6817}
  cat >"$conf" <<EOF
# One-node test cluster written by scripts/slurm-cluster.sh.
ClusterName=animerec
SlurmctldHost=localhost
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
# A requeued job waits cred_expire seconds before it may start again (default 120).
AuthInfo=cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
# srun --mpi=pmix keeps a directory per job step named by uid and job id under TmpFS;
# one of its own, and job ids that differ between clusters, keep two clusters (or a
# step an earlier cluster left behind) from colliding.
TmpFS=$dir/tmp
FirstJobId=$((1000 + RANDOM * 30))
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
# Schedule (and start requeued jobs) within seconds rather than the default minute.
SchedulerParameters=batch_sched_delay=0,sched_interval=5,bf_interval=5
DependencyParameters=kill_invalid_depend
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MailProg=/bin/true
ReturnToService=2
KillWait=5
InactiveLimit=0
MinJobAge=600
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$(node_memory_mb) State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
}

wait_for_idle_node() {
  local state
  for _ in $(seq 100); do
    state=$(SLURM_CONF=$conf sinfo -h -N -o %T 2>/dev/null || true)
    if [[ $state == idle ]]; then
      echo "slurm-cluster: node localhost idle"
      return
    fi
    sleep 0.2
  done
  die "node not idle after 20 s (state '${state:-none}'); see $dir/slurmctld.log and $dir/slurmd.log"
}

start() {
  need_binaries
  if [[ -e $dir/slurmctld.pid ]] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    die "a cluster is already running in $dir (stop it first)"
  fi
  mkdir -p "$dir/state" "$dir/spool" "$dir/tmp"
  write_conf
  start_munge
  # -i: start even when state files an earlier run left in DIR are damaged.
  SLURM_CONF=$conf slurmctld -i
  SLURM_CONF=$conf slurmd -N localhost
  wait_for_idle_node
  echo "export SLURM_CONF=$conf"
}

# Sends SIGTERM to the daemon in PIDFILE and waits until it is gone.
stop_pidfile() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 0
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$pidfile"
}

stop() {
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  if [[ -e $dir/munged.started-here ]]; then
    stop_pidfile /run/munge/munged.pid
    rm -f "$dir/munged.started-here"
  fi
  echo "slurm-cluster: stopped ($dir)"
}

status() {
  [[ -e $conf ]] || die "no cluster configured in $dir"
  SLURM_CONF=$conf sinfo
  SLURM_CONF=$conf squeue
}

case $command_name in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) die "usage: $0 start|stop|status [DIR]" ;;
esac
