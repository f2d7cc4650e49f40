#!/usr/bin/python3
"""A cost model of one ALS iteration under the allgather exchange, fitted to
bench/scaling_bench.sh's measurements, and its projection to a cluster
(docs/scaling.md).

    bench/cost_model.py scaling.csv [--cores 2] [--node-cores 32] [--nodes 16]
        [--gbit 100] [--latency-us 5] [--node-gib 256]

Per iteration and rank, for P ranks of T threads on C cores (c = T x min(1, C / (P T)),
the cores a rank actually gets):
    solve    = a_fb x work / P / c          work = 2 x training entries + row_cost x rows
               (a_fb fitted to the solve's CPU seconds, which a loaded machine does not inflate)
    gram     = g x (users + anime) x k^2 / P / c   (implicit: each rank forms 1/P of Y^T Y's
               chunks, then the ranks exchange them: at most 64 k x k doubles per side)
    exchange = L x 4 x log2 P + received / B   received = (users + anime)(1 - 1/P)(k + 1) 4 bytes
    wait     = the slowest rank's solve minus the mean one (measured; 0 in the projection
               when blocks are balanced)
a_fb, g, L and B are fitted by least squares (L, B on the P > 1 runs with a core per
thread; they describe shared memory between processes on one machine, not a network). The projection
uses the fitted a_fb and g (same cores assumed) and the given network's
latency and bandwidth. Memory per rank follows train's own estimate
(src/core/resources.cpp, estimate_train_memory) for the rank's share.
"""
import argparse
import csv
import math
import sys

import numpy as np

CG_STEPS = 3  # --cg-steps default
EXPLICIT_CG_ROW_COST = 5  # als::row_solve_cost
IMPLICIT_CG_GRAM_DIVISOR = 13
PROCESS_BASELINE = 32 * 2**20
EXCHANGE_CALLS = 4  # factors and biases of both sides per iteration


def row_cost(feedback, solver, k):
    if solver == "cholesky":
        return k + 2
    if feedback == "explicit":
        return EXPLICIT_CG_ROW_COST
    return max(1, (CG_STEPS + 1) * k // IMPLICIT_CG_GRAM_DIVISOR)


def work(feedback, solver, k, users, anime, entries):
    return 2 * entries + row_cost(feedback, solver, k) * (users + anime)


def rank_cores(ranks, threads, cores):
    return threads * min(1.0, cores / (ranks * threads))


def fit_through_origin(x, y):
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(x @ y / (x @ x)) if len(x) else float("nan")


def read_runs(path):
    runs = []
    with open(path) as f:
        for r in csv.DictReader(f):
            for key in ("ranks", "threads", "factors", "users", "anime", "train_entries"):
                r[key] = int(r[key])
            for key in ("seconds", "solve_max", "solve_mean", "solve_cpu_mean", "gram_mean",
                        "wait_max",
                        "exchange_mean", "exchange_max", "received_mean", "sent_mean",
                        "metrics_mean", "peak_rss_mb"):
                r[key] = float(r[key])
            runs.append(r)
    return runs


def fit(runs, cores):
    """a per feedback from the solve's CPU seconds (core-seconds: a shared
    machine's waits for a core do not inflate them); g from the Gram's wall
    seconds; L and B from the exchange of the runs with a core per thread."""
    model = {"a": {}}
    for fb in sorted({r["feedback"] for r in runs}):
        sel = [r for r in runs if r["feedback"] == fb]
        x = [work(fb, r["solver"], r["factors"], r["users"], r["anime"], r["train_entries"])
             / r["ranks"] for r in sel]
        model["a"][fb] = fit_through_origin(x, [r["solve_cpu_mean"] for r in sel])
    imp = [r for r in runs if r["gram_mean"] > 0]
    model["g"] = fit_through_origin(
        [(r["users"] + r["anime"]) * r["factors"] ** 2 / r["ranks"]
         / rank_cores(r["ranks"], r["threads"], cores) for r in imp], [r["gram_mean"] for r in imp])
    multi = [r for r in runs if 1 < r["ranks"] and r["ranks"] * r["threads"] <= cores]
    multi = multi or [r for r in runs if r["ranks"] > 1]
    a_mat = np.array([[EXCHANGE_CALLS * math.log2(r["ranks"]), r["received_mean"]] for r in multi])
    y = np.array([r["exchange_mean"] for r in multi])
    if len({r["ranks"] for r in multi}) > 1:
        (lat, inv_bw), *_ = np.linalg.lstsq(a_mat, y, rcond=None)
    else:
        lat = -1.0
    if lat < 0:  # one P, or no latency the data can resolve: bandwidth alone
        lat, inv_bw = 0.0, fit_through_origin(a_mat[:, 1], y)
    model["latency"] = float(lat)
    model["bandwidth"] = 1.0 / inv_bw if inv_bw > 0 else float("nan")
    return model


def predict(model, fb, solver, k, users, anime, entries, ranks, threads, cores, latency, bandwidth):
    c = rank_cores(ranks, threads, cores)
    solve = model["a"][fb] * work(fb, solver, k, users, anime, entries) / ranks / c
    gram = model["g"] * (users + anime) * k * k / ranks / c if fb == "implicit" else 0.0
    received = (users + anime) * (1 - 1 / ranks) * (k + 1) * 4
    exchange = (latency * EXCHANGE_CALLS * math.log2(ranks) + received / bandwidth
                if ranks > 1 else 0.0)
    return solve, gram, exchange, received


def memory_per_rank(users, anime, entries, ranks, k, threads, implicit, train_share=0.8,
                    validation_share=0.0, max_row=0, keeps_best=False):
    """train's estimate (estimate_train_memory) for one rank's equal share."""
    ub = ab = entries / train_share / ranks  # rows of the dataset in each of the rank's slices
    ratings = 8 * train_share * (ub + ab) + 12 * validation_share * ub + 8 * (
        (users + anime) / ranks + 2)
    reading = 14 * max(ub, ab)
    one_copy = (users + anime) * (k + 1) * 4
    copies = 1 + (1 if keeps_best else 0) + max(users, anime) / (users + anime + 1)
    factors = copies * one_copy + (users + anime) * 16 + users
    dim = k if implicit else k + 1
    rows = max(512, 2 * max_row)
    workspace = (rows * (dim + 2) * 4 + dim * dim * 28) * threads
    if implicit:
        partials = min(64, max(1, (max(users, anime) + 4095) // 4096))
        workspace += k * k * (8 * (1 + partials) + 4 * threads)
    total = (ratings + PROCESS_BASELINE + max(reading, factors + workspace)) * 1.1
    return total, factors


def referenced_share(ratings_per_user, blocks):
    """Expected share of users with a rating in a given one of `blocks` anime blocks."""
    return 1 - (1 - 1 / blocks) ** ratings_per_user


def largest_replicated_rows(k, node_bytes, ranks_per_node):
    """Rows (users + anime) whose replicated factors alone fill a rank's share of a node."""
    per_row = 2 * (k + 1) * 4 + 17  # one copy + the receive buffer, ids/offsets and flags
    return node_bytes / ranks_per_node / 1.1 / per_row


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("csv")
    p.add_argument("--cores", type=int, default=2, help="cores of the measuring machine")
    p.add_argument("--nodes", type=int, default=16)
    p.add_argument("--node-cores", type=int, default=32)
    p.add_argument("--gbit", type=float, default=100.0, help="network bandwidth per node, Gbit/s")
    p.add_argument("--latency-us", type=float, default=5.0, help="per message step, microseconds")
    p.add_argument("--node-gib", type=float, default=256.0, help="memory per node, GiB")
    o = p.parse_args()
    runs = read_runs(o.csv)
    if not runs:
        sys.exit(f"{o.csv}: no measurements")
    m = fit(runs, o.cores)

    print("## Fitted constants (this machine)\n")
    for fb, a in m["a"].items():
        print(f"- a ({fb} CG): {a * 1e9:.1f} ns per work unit per core")
    print(f"- g (Gram): {m['g'] * 1e9:.3f} ns per row x k^2 per core")
    print(f"- exchange: latency {m['latency'] * 1e6:.0f} us per step (0: not resolvable here), "
          f"bandwidth {m['bandwidth'] / 1e9:.2f} GB/s (shared memory between processes)\n")

    print("## Model against the measurements (seconds per iteration, per rank)\n")
    print("| set | feedback | P x T | solve CPU s meas / model | solve wall s meas / model | "
          "gram meas / model | exchange meas / model | wait (slowest) | MB received |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        s, g, e, _ = predict(m, r["feedback"], r["solver"], r["factors"], r["users"], r["anime"],
                             r["train_entries"], r["ranks"], r["threads"], o.cores, m["latency"],
                             m["bandwidth"])
        cpu = s * rank_cores(r["ranks"], r["threads"], o.cores)
        print(f"| {r['set']} | {r['feedback']} | {r['ranks']} x {r['threads']} | "
              f"{r['solve_cpu_mean']:.2f} / {cpu:.2f} | "
              f"{r['solve_mean']:.2f} / {s:.2f} | {r['gram_mean']:.3f} / {g:.3f} | "
              f"{r['exchange_mean']:.3f} / {e:.3f} | {r['wait_max']:.3f} | "
              f"{r['received_mean'] / 1e6:.1f} |")

    bandwidth = o.gbit * 1e9 / 8
    latency = o.latency_us * 1e-6
    node_bytes = o.node_gib * 2**30
    k = runs[0]["factors"]
    print(f"\n## Projection: {o.nodes} nodes x {o.node_cores} cores, {o.gbit:g} Gb/s, "
          f"{o.latency_us:g} us, {o.node_gib:g} GiB per node, k = {k}\n")
    print("| data | layout | solve | gram | exchange | s/iteration | GB received/rank/it | "
          "memory/rank | of which factors |")
    print("|---|---|---|---|---|---|---|---|---|")
    datasets = [("MyAnimeList 2020 (109M, 325K users, 17.5K anime)", 325_000, 17_500, 109e6 * 0.8),
                ("1B ratings, 100M users, 100K items", 100_000_000, 100_000, 1e9 * 0.8)]
    layouts = [(o.nodes, o.node_cores, 1), (o.nodes * o.node_cores, 1, o.node_cores)]
    for name, users, anime, entries in datasets:
        for fb in m["a"]:  # the feedbacks measured
            for ranks, threads, per_node in layouts:
                s, g, e, received = predict(m, fb, "cg", k, users, anime, entries, ranks, threads,
                                            ranks * threads, latency, bandwidth / per_node)
                mem, fac = memory_per_rank(users, anime, entries, ranks, k, threads,
                                           fb == "implicit")
                fits = "" if mem * per_node <= node_bytes else " (does not fit)"
                print(f"| {name}, {fb} | {ranks} ranks x {threads} threads | {s:.3f} | {g:.3f} | "
                      f"{e:.3f} | {s + g + e:.2f} | {received / 1e9:.2f} | "
                      f"{mem / 2**30:.1f} GiB{fits} | {fac / 2**30:.1f} GiB |")
    print("\n## Share of the user rows an anime block references (fetch-what-you-use)\n")
    print("Users choosing anime independently, blocks of equal ratings: "
          "1 - (1 - 1/P)^(ratings per user).\n")
    for name, users, anime, entries in datasets:
        per_user = entries / users
        shares = ", ".join(f"P = {ranks}: {100 * referenced_share(per_user, ranks):.0f}%"
                           for ranks in (2, 4, o.nodes, o.nodes * o.node_cores))
        print(f"- {name} ({per_user:.0f} training ratings per user): {shares}")
    print("\n## Where replicating every factor stops fitting\n")
    for per_node in (1, o.node_cores):
        rows = largest_replicated_rows(k, node_bytes, per_node)
        print(f"- {per_node} rank(s) per {o.node_gib:g} GiB node: about {rows / 1e6:.0f}M rows "
              f"(users + items) at k = {k}, before any rating is stored")


if __name__ == "__main__":
    main()
