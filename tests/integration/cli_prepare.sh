#!/usr/bin/env bash
# Whole-command checks of synth -> prepare -> info/export: exit codes, exact
# error messages, no partial output, determinism of the written bytes.
# Usage: cli_prepare.sh ANIMEREC_BINARY SOURCE_DIR
set -uo pipefail
bin=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_rc() {  # expected_rc description command...
  local want=$1 what=$2; shift 2
  "$@" >"$work/out.txt" 2>&1
  local rc=$?
  [[ $rc -eq $want ]] || { fail "$what: exit $rc, expected $want"; cat "$work/out.txt"; }
}
expect_text() {  # text description
  grep -qF -- "$1" "$work/out.txt" || { fail "$2: output lacks '$1'"; cat "$work/out.txt"; }
}

expect_rc 0 "synth" "$bin" synth --out "$work/s" --users 300 --anime 80 --ratings 6000 --seed 3 --quiet
expect_rc 0 "prepare" "$bin" prepare --ratings "$work/s/users-score-2023.csv" \
  --anime "$work/s/anime-dataset-2023.csv" --out "$work/a.h5" --seed 5 --quiet
expect_rc 0 "prepare again" "$bin" prepare --ratings "$work/s/users-score-2023.csv" \
  --anime "$work/s/anime-dataset-2023.csv" --out "$work/b.h5" --seed 5 --quiet
expect_rc 0 "prepare other seed" "$bin" prepare --ratings "$work/s/users-score-2023.csv" \
  --anime "$work/s/anime-dataset-2023.csv" --out "$work/c.h5" --seed 6 --quiet
# The command line is part of the provenance, so compare files made by the same
# command line in different directories.
mkdir -p "$work/d1" "$work/d2"
(cd "$work/d1" && "$bin" prepare --ratings ../s/users-score-2023.csv --out x.h5 --seed 5 --quiet)
(cd "$work/d2" && "$bin" prepare --ratings ../s/users-score-2023.csv --out x.h5 --seed 5 --quiet)
cmp -s "$work/d1/x.h5" "$work/d2/x.h5" || fail "same seed and inputs must give byte-identical datasets"
(cd "$work/d2" && "$bin" prepare --ratings ../s/users-score-2023.csv --out y.h5 --seed 6 --quiet)
"$bin" export --dataset "$work/d1/x.h5" --split test --out "$work/t5.csv" >/dev/null 2>&1
"$bin" export --dataset "$work/d2/y.h5" --split test --out "$work/t6.csv" >/dev/null 2>&1
cmp -s "$work/t5.csv" "$work/t6.csv" && fail "a different seed must give a different test split"

expect_rc 0 "info" "$bin" info "$work/a.h5"
expect_text "users" "info"

# A malformed row: exact message, exit 2, no output file, no temporary left.
printf 'user_id,anime_id,rating\n1,2,8\n1,3,eleven\n' >"$work/bad.csv"
expect_rc 2 "malformed row" "$bin" prepare --ratings "$work/bad.csv" --out "$work/bad.h5"
expect_text "$work/bad.csv:3: non-numeric rating (eleven)" "malformed row"
[[ -e "$work/bad.h5" ]] && fail "no output file after an error"
ls -a "$work" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

# --on-bad-row=skip reports what was skipped.
expect_rc 0 "skip bad rows" "$bin" prepare --ratings "$work/bad.csv" --out "$work/skip.h5" --on-bad-row skip \
  --test-fraction 0
expect_text "skipped 1 row(s): non_numeric_score; first: $work/bad.csv:3: non-numeric rating (eleven)" "skip"

# Never overwrite silently.
cp "$work/a.h5" "$work/keep.h5"
expect_rc 2 "existing output" "$bin" prepare --ratings "$work/s/users-score-2023.csv" --out "$work/a.h5"
expect_text "--out $work/a.h5 exists; pass --overwrite to replace it" "existing output"
cmp -s "$work/a.h5" "$work/keep.h5" || fail "existing output was modified"

# Bad parameters and foreign files.
expect_rc 2 "bad parameter" "$bin" prepare --ratings "$work/bad.csv" --out "$work/x.h5" --test-fraction 1.5
expect_text "--test-fraction" "bad parameter"
expect_rc 2 "unknown option" "$bin" prepare --ratings "$work/bad.csv" --out "$work/x.h5" --colour blue
expect_text "unknown option --colour" "unknown option"
expect_rc 2 "foreign file" "$bin" info "$work/bad.csv"
expect_rc 2 "missing file" "$bin" prepare --ratings "$work/nope.csv" --out "$work/x.h5"
expect_text "nope.csv" "missing file"
expect_text "nope.csv: No such file or directory" "missing file says why"

# Inputs that cannot be read twice are refused at once with the reason: a
# device used to be read forever, a pipe was consumed by the layout check.
expect_rc 2 "device input" timeout 20 "$bin" prepare --ratings /dev/zero --out "$work/x.h5"
expect_text "cannot read /dev/zero: it is a character device, not a regular file" "device input"
expect_rc 2 "pipe input" timeout 20 "$bin" prepare --ratings <(cat "$work/bad.csv") --out "$work/x.h5"
expect_text "it is a pipe (FIFO), not a regular file; data files are read more than once" "pipe input"
expect_rc 2 "device config" timeout 20 "$bin" train --config /dev/zero --dataset "$work/a.h5" --out "$work/m.h5"
expect_text "/dev/zero: it is longer than" "device config"
[[ -e "$work/x.h5" ]] && fail "no output file after a refused input"
expect_rc 0 "help" "$bin" prepare --help
expect_text "--min-user-ratings" "help"

# The shipped configs are valid for the commands they configure.
expect_rc 0 "ci-tiny config" "$bin" synth --config "$src/configs/ci-tiny.ini" --out "$work/tiny" --quiet
expect_rc 0 "ci-tiny config" "$bin" prepare --config "$src/configs/ci-tiny.ini" \
  --ratings "$work/tiny/users-score-2023.csv" --anime "$work/tiny/anime-dataset-2023.csv" --out "$work/tiny.h5" --quiet
expect_rc 0 "mal2016 config" "$bin" prepare --config "$src/configs/mal2016.ini" \
  --ratings "$work/s/users-score-2023.csv" --out "$work/m16.h5" --quiet

if [[ $failures -gt 0 ]]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
