#!/usr/bin/env python3
"""Strong-scaling table from train --metrics-out files.

Usage: scaling_table.py RUN_DIR N1 N2 ...

Reads RUN_DIR/ranks-<n>.jsonl (one JSON line per iteration with its "seconds") for
each rank count n and writes RUN_DIR/scaling.csv and RUN_DIR/scaling.md with the median
seconds per iteration, the speedup over the first rank count and the parallel
efficiency (speedup * N1 / n). The first iteration is left out when there are more
than two: it includes warming caches and first-touch page faults. Standard library only.
"""
import csv
import json
import pathlib
import statistics
import sys


def seconds_per_iteration(path):
    # The main fit's iterations; a ranking part's follow them, marked "part".
    lines = [row for row in (json.loads(line) for line in path.read_text().splitlines()
                             if line.strip()) if "part" not in row]
    if not lines:
        sys.exit(f"scaling_table: {path} has no iterations")
    seconds = [line["seconds"] for line in lines]
    if len(seconds) > 2:
        seconds = seconds[1:]
    return len(lines), statistics.median(seconds)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    run_dir = pathlib.Path(sys.argv[1])
    ranks = [int(n) for n in sys.argv[2:]]
    measured = [(n,) + seconds_per_iteration(run_dir / f"ranks-{n}.jsonl") for n in ranks]
    base_ranks, _, base_seconds = measured[0]
    header = ["ranks", "iterations", "seconds_per_iteration", "speedup", "efficiency"]
    rows = []
    for n, iterations, seconds in measured:
        speedup = base_seconds / seconds if seconds > 0 else float("nan")
        rows.append([n, iterations, f"{seconds:.4f}", f"{speedup:.2f}",
                     f"{speedup * base_ranks / n:.2f}"])
    with open(run_dir / "scaling.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    lines = [f"Strong scaling in {run_dir.name}: median seconds per iteration; speedup and "
             f"efficiency relative to {base_ranks} rank(s).", "",
             "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    (run_dir / "scaling.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"wrote {run_dir / 'scaling.csv'} and {run_dir / 'scaling.md'}")


if __name__ == "__main__":
    main()
