#!/usr/bin/python3
"""RMSE of a model.h5 on a split of its dataset.h5, read with h5py only.

Usage: bench/split_rmse.py DATASET.h5 MODEL.h5 [--split test|validation|train]

Also prints two baselines computed here on the same rows: the global mean of
the training scores, and user + anime biases (regularised means, alternated
5 times, damping 10), so a run shows what the factors add. This script is an
independent check of the C++ code: it shares no code with it.
"""
import argparse
import sys

import h5py
import numpy as np

SPLITS = {"train": 0, "validation": 1, "test": 2}


def rows_by_user(ds):
    r = ds["ratings"]
    offsets = r["user_offsets"][:]
    anime = r["by_user/anime"][:]
    score = r["by_user/score"][:]
    split = r["by_user/split"][:]
    user = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    return user, anime, score, split


def bias_baseline(u, a, s, n_users, n_anime, damping=10.0, rounds=5):
    mu = s.mean()
    bu = np.zeros(n_users)
    ba = np.zeros(n_anime)
    for _ in range(rounds):
        ba = np.bincount(a, s - mu - bu[u], n_anime) / (np.bincount(a, None, n_anime) + damping)
        bu = np.bincount(u, s - mu - ba[a], n_users) / (np.bincount(u, None, n_users) + damping)
    return mu, bu, ba


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dataset")
    p.add_argument("model")
    p.add_argument("--split", default="test", choices=SPLITS)
    args = p.parse_args()
    with h5py.File(args.dataset, "r") as ds, h5py.File(args.model, "r") as m:
        if m.attrs.get("format") not in ("animerec-model", b"animerec-model"):
            sys.exit(f"{args.model} is not an animerec model")
        u, a, s, split = rows_by_user(ds)
        n_users, n_anime = len(ds["users/ids"]), len(ds["anime/ids"])
        mu = float(m.attrs["global_mean"])
        uf, af = m["users/factors"][:], m["anime/factors"][:]
        ub, ab = m["users/bias"][:], m["anime/bias"][:]
    train = (split == 0) & (s > 0)
    held = (split == SPLITS[args.split]) & (s > 0)
    if not held.any():
        sys.exit(f"no scored rows in the {args.split} split")
    hu, ha, hs = u[held], a[held], s[held]
    pred = mu + ub[hu] + ab[ha] + np.einsum("ij,ij->i", uf[hu], af[ha])
    rmse = lambda p_: float(np.sqrt(np.mean((hs - p_) ** 2)))
    gm = s[train].mean()
    bmu, bu, ba = bias_baseline(u[train], a[train], s[train], n_users, n_anime)
    print(f"{args.split} rows: {held.sum()}")
    print(f"global mean RMSE:      {rmse(np.full_like(hs, gm)):.4f}")
    print(f"user+anime biases RMSE: {rmse(bmu + bu[hu] + ba[ha]):.4f}")
    print(f"model RMSE:            {rmse(pred):.4f}")


if __name__ == "__main__":
    main()
