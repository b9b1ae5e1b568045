"""Batch scoring throughput and memory: `python -m workflows score` on 1k, 10k
and 1M rows of the demo's distribution (resampled, 1 % noise), Parquet with 100k-row
row groups, after one `make run` into a fresh SQLite store.

rows/s is the scoring loop (read, validate, predict, write); total includes
imports, the drift report and MLflow logging. Peak memory from os.wait4.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import run_env

ROOT = Path(__file__).resolve().parents[1]
SIZES = (1_000, 10_000, 1_000_000)
ROW_GROUP = 100_000


def _table(rows: int, path: str) -> None:
    import numpy as np

    from workflows.domain.data import DEMO_TARGET, demo

    frame = demo().drop(columns=DEMO_TARGET)
    frame = frame.sample(rows, replace=True, random_state=0).reset_index(drop=True)
    noise = np.random.default_rng(0).normal(0, 0.01, size=frame.shape)
    (frame * (1 + noise)).to_parquet(path, index=False, row_group_size=ROW_GROUP)


def _run(command: list[str], env: dict) -> tuple[str, float, float]:
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out)
        _, status, usage = os.wait4(process.pid, 0)
        out.seek(0)
        log = out.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(command)} failed:\n{log[-3000:]}")
    return log, time.perf_counter() - started, usage.ru_maxrss / 1024


def measure(runs: int = 1, sizes: tuple[int, ...] = SIZES) -> dict:
    """Each size scored `runs` times, the sizes in turn; the medians per size (the
    first `make score` of a store also creates its scoring experiment)."""
    import statistics

    runs_of: dict[int, list[dict]] = {rows: [] for rows in sizes}
    with tempfile.TemporaryDirectory(prefix="bench-scoring-") as folder:
        env = run_env(Path(folder))
        print("scoring: training the model to score with ...", file=sys.stderr, flush=True)
        _run([sys.executable, "-m", "workflows", "run"], env)
        for rows in sizes:
            # In a process of its own: Linux counts a forked child's peak memory
            # from the parent's, and this one would then hold the 1M-row table.
            make = f"from bench.scoring import _table; _table({rows}, {str(_data(folder, rows))!r})"
            _run([sys.executable, "-c", make], env)
        for run in range(runs):
            for rows in sizes:
                print(f"scoring, run {run + 1}/{runs}: {rows:,} rows", file=sys.stderr, flush=True)
                data = str(_data(folder, rows))
                command = [sys.executable, "-m", "workflows", "score", "--data", data,
                           "--output", f"{data}.scores"]  # fmt: skip
                log, wall, peak = _run(command, env)
                scored = re.search(r"scored: +(\d+) rows in ([0-9.]+) s", log)
                runs_of[rows].append(
                    {"rows": int(scored.group(1)), "loop_s": float(scored.group(2)),
                     "total_s": wall, "peak_rss_mb": peak}
                )  # fmt: skip
    results = [
        {key: statistics.median(r[key] for r in measured) for key in measured[0]}
        | {"rows": rows, "total_s_runs": [r["total_s"] for r in measured]}
        for rows, measured in runs_of.items()
    ]
    return {"cpus": os.cpu_count(), "row_group": ROW_GROUP, "runs": runs, "sizes": results}


def _data(folder: str, rows: int) -> Path:
    return Path(folder) / f"{rows}.parquet"


def report(result: dict) -> str:
    lines = [
        f"scoring: make score on Parquet ({result['cpus']} CPUs, row groups of "
        f"{result['row_group']:,} rows), medians of {result.get('runs', 1)} run(s)",
        f"  {'rows':>10} {'loop s':>8} {'rows/s':>10} {'total s':>8} {'peak MB':>8}",
    ]
    for size in result["sizes"]:
        lines.append(
            f"  {size['rows']:>10,} {size['loop_s']:>8.2f} {size['rows'] / size['loop_s']:>10,.0f} "
            f"{size['total_s']:>8.1f} {size['peak_rss_mb']:>8.0f}"
        )
    lines.append(
        "  (loop: read, validate, predict, write; total adds imports and the drift report)"
    )
    return "\n".join(lines)
