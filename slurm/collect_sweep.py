#!/usr/bin/env python3
"""Gathers a sweep's per-task results into one table, best setting first.

Usage: collect_sweep.py RUN_DIR [--grid GRID] [--metric METRIC]

Reads RUN_DIR/task-<i>/{setting.txt, metrics.json, metrics.jsonl} (written by
slurm/sweep.sbatch) and writes RUN_DIR/sweep.csv and RUN_DIR/sweep.md, one row per
grid line, sorted by METRIC: rmse or mae (test split, lower is better; explicit
models), or precision@K, recall@K, ndcg@K, map@K, hit_rate@K (higher is better) for a
K that evaluate computed. Default: rmse for explicit models, ndcg@10 for implicit.
A task without metrics.json (it failed, was cancelled or has not finished) gets a row
at the end with rank "-", empty metrics and its status; with --grid, so does a grid
line whose task left no directory. Exit 1 when no task has a result.
Only the Python standard library is used.
"""
import argparse
import csv
import json
import pathlib
import statistics
import sys

RATING_METRICS = ("rmse", "mae")
RANKING_METRICS = ("precision", "recall", "ndcg", "map", "hit_rate")


def task_number(path):
    return int(path.name.split("-", 1)[1])


def grid_settings(path):
    """The settings of a grid file as slurm/common.sh reads them: comments and blank lines
    dropped, line i is array task i."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def missing_status(task_dir):
    """Why a task has no metrics.json, from what it left behind."""
    if not task_dir.is_dir():
        return "no result: the task wrote nothing (see its job log)"
    if (task_dir / "model.h5").exists():
        return "no result: trained, but evaluate did not finish (see its job log)"
    if (task_dir / "checkpoint.h5").exists():
        return "no result: stopped at a checkpoint, not finished (submit it again to resume)"
    return "no result: training failed or did not finish (see its job log)"


def missing_task(number, task_dir, setting):
    setting_file = task_dir / "setting.txt"
    if setting_file.exists():
        setting = setting_file.read_text().strip()
    return {"task": number, "setting": setting, "status": missing_status(task_dir)}


def read_task(task_dir):
    """One table row: the task's setting, its evaluation and its training speed."""
    metrics_path = task_dir / "metrics.json"
    evaluation = json.loads(metrics_path.read_text())
    # The main fit's iterations; the ranking part's follow them, marked "part".
    iterations = [row for row in (json.loads(line) for line in
                                  (task_dir / "metrics.jsonl").read_text().splitlines()
                                  if line.strip()) if "part" not in row]
    return {
        "task": task_number(task_dir),
        "setting": (task_dir / "setting.txt").read_text().strip(),
        "evaluation": evaluation,
        "iterations": len(iterations),
        "seconds_per_iteration": statistics.median(i["seconds"] for i in iterations)
        if iterations else float("nan"),
        "status": "ok",
    }


def metric_value(evaluation, metric):
    """The model's value of METRIC (e.g. rmse, ndcg@10) in an evaluate --format json."""
    if metric in RATING_METRICS:
        rating = evaluation.get("rating")
        if not rating:
            sys.exit(f"collect_sweep: --metric {metric} needs explicit models (feedback is "
                     f"{evaluation['feedback']})")
        return rating["methods"]["model"][metric]
    name, _, k = metric.partition("@")
    if name not in RANKING_METRICS or not k.isdigit():
        sys.exit(f"collect_sweep: unknown --metric {metric}; use one of {', '.join(RATING_METRICS)} "
                 f"or NAME@K with NAME in {', '.join(RANKING_METRICS)}")
    at_k = evaluation["ranking"]["methods"]["model"]
    if k not in at_k:
        sys.exit(f"collect_sweep: --metric {metric}: evaluate computed K = {', '.join(sorted(at_k))}")
    return at_k[k][name]


def table_columns(evaluation, metric):
    """Metric columns shown for every task: the sort metric first, then the usual ones."""
    usual = (["rmse", "mae"] if evaluation.get("rating") else []) + ["ndcg@10", "precision@10",
                                                                     "recall@10", "map@10"]
    usual = [m for m in usual if "@" not in m or m.split("@")[1] in map(str, evaluation["k"])]
    return [metric] + [m for m in usual if m != metric]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=pathlib.Path)
    parser.add_argument("--metric", default="")
    parser.add_argument("--grid", type=pathlib.Path,
                        help="the sweep's grid file: every line's task gets a row")
    args = parser.parse_args()

    settings = grid_settings(args.grid) if args.grid else []
    numbers = {task_number(d) for d in args.run_dir.glob("task-*") if d.is_dir()}
    numbers |= set(range(1, len(settings) + 1))
    if not numbers:
        sys.exit(f"collect_sweep: no task-<i> directories in {args.run_dir}")
    tasks, missing = [], []
    for number in sorted(numbers):
        task_dir = args.run_dir / f"task-{number}"
        if (task_dir / "metrics.json").exists():
            tasks.append(read_task(task_dir))
        else:
            grid_line = settings[number - 1] if number <= len(settings) else ""
            missing.append(missing_task(number, task_dir, grid_line))
    if not tasks:
        sys.exit(f"collect_sweep: none of the {len(missing)} tasks in {args.run_dir} has a result "
                 f"(metrics.json); see the tasks' job logs")
    first = tasks[0]["evaluation"]
    metric = args.metric or ("rmse" if first["feedback"] == "explicit" else "ndcg@10")
    lower_is_better = metric in RATING_METRICS
    columns = table_columns(first, metric)
    for t in tasks:
        t["values"] = [metric_value(t["evaluation"], m) for m in columns]
    # Ties keep grid order, so the table is the same on every run.
    tasks.sort(key=lambda t: (t["values"][0] if lower_is_better else -t["values"][0], t["task"]))

    header = ["rank", "task", "setting"] + columns + ["iterations", "seconds_per_iteration",
                                                       "status"]
    rows = [[rank, t["task"], t["setting"]] + [f"{v:.6f}" for v in t["values"]] +
            [t["iterations"], f"{t['seconds_per_iteration']:.4f}", t["status"]]
            for rank, t in enumerate(tasks, start=1)]
    rows += [["-", m["task"], m["setting"]] + [""] * (len(columns) + 2) + [m["status"]]
             for m in missing]
    with open(args.run_dir / "sweep.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    direction = "lower" if lower_is_better else "higher"
    summary = (f"Sweep in {args.run_dir.name}: {len(tasks)} settings, sorted by {metric} "
               f"({first['split']} split, {direction} is better; seconds_per_iteration is the median).")
    if missing:
        summary += (f" {len(missing)} of {len(tasks) + len(missing)} tasks have no result: "
                    f"task {', '.join(str(m['task']) for m in missing)} (last rows).")
    lines = [summary, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    (args.run_dir / "sweep.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    for m in missing:
        print(f"collect_sweep: task {m['task']} ({m['setting']}): {m['status']}", file=sys.stderr)
    print(f"wrote {args.run_dir / 'sweep.csv'} and {args.run_dir / 'sweep.md'}")


if __name__ == "__main__":
    main()
