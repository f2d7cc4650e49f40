#!/usr/bin/python3
"""Cold-start and warm evaluation of models on a dataset.h5, with h5py only.

Usage: bench/cold_start_eval.py DATASET.h5 MODEL.h5 [MODEL2.h5 ...]

For each model, on the test split:
  warm: RMSE over the scored test rows of anime that have training ratings, and
        NDCG@10 per user over that user's held-out warm anime (relevant = score >= 8);
  cold: NDCG@10 per user over that user's held-out cold-start anime (the dataset's
        --cold-anime-fraction sample, no training ratings at all), relevant = score >= 8.
Baselines on the same users and candidates: most popular (MyAnimeList members
from the metadata, since cold anime have no ratings to count), a random order
(the mean over 20 seeded shuffles) and, when a model carries content vectors,
the content-only recommender (profile of the user's training scores, cosine). Users with no relevant held-out
anime are skipped (NDCG undefined).
"""
import sys

import h5py
import numpy as np


def ndcg_at_10(order_scores, relevant):
    """order_scores: scores of one user's candidates; relevant: bool mask."""
    order = np.lexsort((np.arange(len(order_scores)), -order_scores))[:10]
    gains = relevant[order].astype(float)
    dcg = (gains / np.log2(np.arange(2, len(gains) + 2))).sum()
    ideal = (1.0 / np.log2(np.arange(2, min(10, relevant.sum()) + 2))).sum()
    return dcg / ideal


def per_user(u, values, fn):
    out = []
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    ends = np.r_[starts[1:], len(u)]
    for s, e in zip(starts, ends):
        r = fn(s, e)
        if r is not None:
            out.append(r)
    return np.array(out)


def content_only_scores(model_path, u, a, s, sp, n_users):
    """The content-only recommender: a user's profile is the sum of the content
    vectors of the anime they scored in training, weighted by score minus their
    mean score; an anime's score is the cosine of its vector with the profile."""
    with h5py.File(model_path, "r") as m:
        c = m["content"]
        offsets, cols, values = c["offsets"][:], c["cols"][:], c["values"][:]
        n_features = len(c["names"])
    x = np.zeros((len(offsets) - 1, n_features))
    rows = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    x[rows, cols] = values
    train = (sp == 0) & (s > 0)
    tu, ta, ts = u[train], a[train], s[train]
    mean = np.bincount(tu, ts, n_users) / np.maximum(np.bincount(tu, None, n_users), 1)
    profiles = np.zeros((n_users, n_features))
    np.add.at(profiles, tu, (ts - mean[tu])[:, None] * x[ta])
    norms = np.linalg.norm(profiles, axis=1)[u] * np.linalg.norm(x, axis=1)[a]
    dots = np.einsum("ij,ij->i", profiles[u], x[a])
    return np.where(norms > 0, dots / np.where(norms > 0, norms, 1), 0.0)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    with h5py.File(sys.argv[1], "r") as ds:
        off = ds["ratings/user_offsets"][:]
        a = ds["ratings/by_user/anime"][:]
        s = ds["ratings/by_user/score"][:]
        sp = ds["ratings/by_user/split"][:]
        cold = ds["anime/cold"][:].astype(bool)
        members = ds["anime/members"][:].astype(float)
    u = np.repeat(np.arange(len(off) - 1), np.diff(off))
    test = (sp == 2) & (s > 0)
    cold_rows = test & cold[a]
    warm_rows = test & ~cold[a]
    rng = np.random.default_rng(7)

    def ndcg_rows(rows, scores):
        uu, ss, sc = u[rows], s[rows], scores[rows]
        return per_user(uu, None, lambda b, e: ndcg_at_10(sc[b:e], ss[b:e] >= 8) if (ss[b:e] >= 8).any() else None)

    print(f"test rows: warm {warm_rows.sum()}, cold {cold_rows.sum()} ({cold.sum()} cold anime)")
    pop = members[a]
    print(f"{'':28s} {'warm RMSE':>10s} {'warm NDCG@10':>13s} {'cold NDCG@10':>13s}")
    for name, scores in [("most popular (members)", pop)]:
        print(f"{name:28s} {'-':>10s} {ndcg_rows(warm_rows, scores).mean():13.4f} {ndcg_rows(cold_rows, scores).mean():13.4f}")
    rnd_w = np.mean([ndcg_rows(warm_rows, rng.random(len(a))).mean() for _ in range(20)])
    rnd_c = np.mean([ndcg_rows(cold_rows, rng.random(len(a))).mean() for _ in range(20)])
    print(f"{'random order':28s} {'-':>10s} {rnd_w:13.4f} {rnd_c:13.4f}")
    content_model = next((p for p in sys.argv[2:] if "content" in h5py.File(p, "r")), None)
    if content_model is not None:
        scores = content_only_scores(content_model, u, a, s, sp, len(off) - 1)
        print(f"{'content-only (profile)':28s} {'-':>10s} {ndcg_rows(warm_rows, scores).mean():13.4f} "
              f"{ndcg_rows(cold_rows, scores).mean():13.4f}")
    for path in sys.argv[2:]:
        with h5py.File(path, "r") as m:
            mu = float(m.attrs["global_mean"])
            pred = (mu + m["users/bias"][:][u] + m["anime/bias"][:][a]
                    + np.einsum("ij,ij->i", m["users/factors"][:][u], m["anime/factors"][:][a]))
        rmse = float(np.sqrt(np.mean((s[warm_rows] - pred[warm_rows]) ** 2)))
        print(f"{path.split('/')[-1]:28s} {rmse:10.4f} {ndcg_rows(warm_rows, pred).mean():13.4f} "
              f"{ndcg_rows(cold_rows, pred).mean():13.4f}")


if __name__ == "__main__":
    main()
