#!/usr/bin/env bash
# Configures and builds animerec into BUILD_DIR (default: build). Extra
# arguments go to cmake's configure step (e.g. -DANIMEREC_SANITIZE=ON).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Release}" "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
