#!/usr/bin/env bash
# Regenerates docs/params.md from the parameter table (src/config/param_table.cpp)
# by running `animerec params-doc`. The unit test ParamsDoc.DocsFileIsUpToDate
# fails until this has been run after a change to the table.
#
# usage: scripts/update-params-doc.sh [ANIMEREC_BINARY]   (default: build/animerec)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
binary="${1:-$root/build/animerec}"
target="$root/docs/params.md"

if [[ ! -x "$binary" ]]; then
  echo "update-params-doc: no animerec binary at $binary (build first, or pass its path)" >&2
  exit 2
fi

# Write beside the target and rename, so a failing binary never leaves a
# truncated docs/params.md behind.
mkdir -p "$(dirname "$target")"
tmp="$(mktemp "$target.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
"$binary" params-doc >"$tmp"
if [[ ! -s "$tmp" ]]; then
  echo "update-params-doc: '$binary params-doc' printed nothing" >&2
  exit 1
fi
chmod 644 "$tmp"
mv "$tmp" "$target"
trap - EXIT
echo "wrote $target"
