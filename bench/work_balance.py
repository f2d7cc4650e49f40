#!/usr/bin/env python3
"""Estimated load balance of `animerec train` on a dataset.h5: per rank and per thread.

    bench/work_balance.py DATASET.h5 [--ranks 2 4] [--threads 2] [--factors 64]

A row's work is estimated as its ratings plus the per-row solve cost c in
ratings (als::row_solve_cost: k + k / 4 for Cholesky, 5 for explicit CG,
(cg_steps + 1) k / 13 for implicit CG; the trainer's cheaper cost of short
explicit Cholesky rows, solved through the Woodbury identity, is not
simulated here). For each side and solver it prints
max/mean work over the ranks' blocks and over the threads of the largest
block, for

  before: blocks cut by ratings + 1 per row; the threads take the rows in
          index order, 64 at a time (OpenMP dynamic schedule);
  after:  blocks cut by ratings + c per row (dist::balanced_blocks with
          row_cost c); the heavy rows (more than 4x the block's mean) first,
          heaviest first, then the rest in index order, 16 at a time.

The thread schedule is simulated (each chunk goes to the thread that is free
first), so the numbers are the balance of the estimated work, not of measured
time. Offsets count all ratings (the training split is about 80% of them,
spread alike).
"""
import argparse
import heapq

import h5py
import numpy as np


def blocks(offsets, parts, row_cost):
    """dist::balanced_blocks: boundary nearest to round(r W / parts), lower on a tie."""
    n = len(offsets) - 1
    before = (offsets - offsets[0]) + row_cost * np.arange(n + 1, dtype=np.int64)
    total = int(before[-1])
    bounds = [0]
    for r in range(1, parts):
        q, rem = divmod(total, parts)
        t = r * q + (2 * r * rem + parts) // (2 * parts)
        first = int(np.searchsorted(before, t, side="left"))
        first = max(first, bounds[-1])
        if first > n:
            first = n
        elif first > bounds[-1] and t - before[first - 1] <= before[first] - t:
            first -= 1
        bounds.append(first)
    bounds.append(n)
    return bounds


def simulate(work, order, chunk, threads):
    """Greedy dynamic schedule: the next chunk goes to the thread free first."""
    busy = [(0.0, t) for t in range(threads)]
    load = [0.0] * threads
    for i in range(0, len(order), chunk):
        w = float(work[order[i:i + chunk]].sum())
        free_at, t = heapq.heappop(busy)
        load[t] += w
        heapq.heappush(busy, (free_at + w, t))
    return load


def heavy_first(counts):
    mean = max(1, int(counts.sum()) // max(1, len(counts)))
    heavy = np.nonzero(counts > 4 * mean)[0]
    heavy = heavy[np.lexsort((heavy, -counts[heavy]))]
    light = np.nonzero(counts <= 4 * mean)[0]
    return np.concatenate([heavy, light])


def ratio(loads):
    loads = np.asarray(loads, dtype=float)
    return loads.max() / loads.mean() if loads.mean() > 0 else 1.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset")
    ap.add_argument("--ranks", type=int, nargs="+", default=[2, 4])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--factors", type=int, default=64)
    ap.add_argument("--cg-steps", type=int, default=3)
    a = ap.parse_args()
    with h5py.File(a.dataset, "r") as f:
        sides = {"users": f["ratings/user_offsets"][:].astype(np.int64),
                 "anime": f["ratings/anime_offsets"][:].astype(np.int64)}
    k = a.factors
    solvers = {"cholesky": k + k // 4, "explicit cg": 5,
               "implicit cg": max(1, (a.cg_steps + 1) * k // 13)}
    print(f"{'side':6} {'solver':12} {'ranks':>5}   {'per rank max/mean':>18}   "
          f"{'per thread max/mean':>20}")
    print(f"{'':6} {'':12} {'':>5}   {'before':>8} {'after':>9}   {'before':>9} {'after':>10}")
    for side, offsets in sides.items():
        counts = np.diff(offsets)
        for solver, c in solvers.items():
            for parts in a.ranks:
                row = {}
                for name, cost in (("before", 1), ("after", c)):
                    b = blocks(offsets, parts, cost)
                    work = counts + c  # the true estimate, whatever the cut used
                    per_rank = [work[b[r]:b[r + 1]].sum() for r in range(parts)]
                    big = int(np.argmax(per_rank))
                    block_counts = counts[b[big]:b[big + 1]]
                    block_work = work[b[big]:b[big + 1]]
                    if name == "before":
                        order, chunk = np.arange(len(block_counts)), 64
                    else:
                        order, chunk = heavy_first(block_counts), 16
                    row[name] = (ratio(per_rank),
                                 ratio(simulate(block_work, order, chunk, a.threads)))
                print(f"{side:6} {solver:12} {parts:>5}   {row['before'][0]:8.4f} "
                      f"{row['after'][0]:9.4f}   {row['before'][1]:9.4f} {row['after'][1]:10.4f}")


if __name__ == "__main__":
    main()
