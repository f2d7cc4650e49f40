#!/usr/bin/env bash
# Installs the Debian packages animerec needs to build, test and benchmark.
# Idempotent: packages already installed are skipped, and apt is not touched
# at all when nothing is missing. Runs as root (or through sudo when present).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libopenmpi-dev openmpi-bin
  libeigen3-dev
  libhdf5-dev hdf5-tools
  libboost-program-options-dev
  libgtest-dev googletest
  libfmt-dev libspdlog-dev nlohmann-json3-dev libssl-dev
  python3 python3-h5py python3-numpy python3-pandas python3-matplotlib python3-optuna
  clang-format
  # A one-node SLURM cluster for the slurm/ batch scripts and their integration test
  # (scripts/slurm-cluster.sh); slurm-wlm-basic-plugins, pulled in by slurmd, has the
  # PMIx plugin that srun --mpi=pmix needs.
  slurm-wlm munge
  # scripts/fuzz.sh (a CI step): clang with libFuzzer and the sanitizer
  # runtimes, and clang's OpenMP runtime.
  clang libclang-rt-dev libomp-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
