"""Our pipeline against the seed-style baseline, each run in a fresh process.

Three rows, so the comparison is honest about where the time goes:
- ours: `python -m workflows run`, in the environment `make install` builds
  (bytecode compiled at install time);
- baseline, as installed: bench/baseline.py through `pyflyte run`, with no
  compiled bytecode, as a plain `uv sync` leaves it on a machine that never
  writes bytecode caches (this one sets PYTHONDONTWRITEBYTECODE);
- baseline, same environment: the baseline with our compiled bytecode, so the
  code alone is compared.
Each row gets its own fresh SQLite store in a temporary folder, shared by its
runs: the first run pays for creating the store, as a first `make run` does.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import header, row, summary

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "bench" / "baseline.py"


def _env(store: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MIN_AUC", "DATA", "ROWS", "DOMAIN")}
    env.update(MLFLOW_TRACKING_URI=f"sqlite:///{store / 'mlflow.db'}", **extra)
    return env


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark run failed: {' '.join(command)}\n{done.stderr[-3000:]}")
    return elapsed


def run_ours(runs: int, workdir: Path) -> dict:
    store = workdir / "ours"
    store.mkdir()
    totals, steps = [], {}
    for index in range(runs):
        timings_file = store / f"timings-{index}.json"
        command = [sys.executable, "-m", "workflows", "run", "--timings", str(timings_file)]
        totals.append(_timed(command, _env(store), ROOT))
        for step, seconds in json.loads(timings_file.read_text()).items():
            steps.setdefault(step, []).append(seconds)
    return {"total": totals, "steps": steps}


def run_baseline(runs: int, workdir: Path, compiled: bool) -> dict:
    store = workdir / ("baseline-compiled" if compiled else "baseline")
    store.mkdir()
    extra = {"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true"}
    if not compiled:
        # An empty cache prefix hides the compiled bytecode: every import compiles.
        empty = store / "no-bytecode"
        empty.mkdir()
        extra.update(PYTHONPYCACHEPREFIX=str(empty), PYTHONDONTWRITEBYTECODE="1")
    pyflyte = Path(sys.executable).with_name("pyflyte")
    command = [str(pyflyte), "run", str(BASELINE), "baseline_pipeline"]
    return {"total": [_timed(command, _env(store, **extra), store) for _ in range(runs)]}


def compare(runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        workdir = Path(folder)
        print(f"timing our pipeline ({runs} runs) ...", file=sys.stderr, flush=True)
        ours = run_ours(runs, workdir)
        print(f"timing the baseline as installed ({runs} runs) ...", file=sys.stderr, flush=True)
        baseline = run_baseline(runs, workdir, compiled=False)
        print(f"timing the baseline, same environment ({runs} runs) ...", file=sys.stderr)
        same_env = run_baseline(runs, workdir, compiled=True)
    ours_median = statistics.median(ours["total"])
    return {
        "runs": runs,
        "ours": {"total": summary(ours["total"])}
        | {"steps": {k: summary(v) for k, v in ours["steps"].items()}},
        "baseline_as_installed": {"total": summary(baseline["total"])},
        "baseline_same_environment": {"total": summary(same_env["total"])},
        "ratio_vs_baseline_as_installed": ours_median / statistics.median(baseline["total"]),
        "ratio_vs_baseline_same_environment": ours_median / statistics.median(same_env["total"]),
    }


def report(result: dict) -> str:
    lines = [f"pipeline wall time, seconds ({result['runs']} runs)", header()]
    for step, values in result["ours"]["steps"].items():
        if step != "total":
            lines.append(row(f"ours: {step}", values))
    lines += [
        row("ours: total (process wall)", result["ours"]["total"]),
        row("baseline, as installed", result["baseline_as_installed"]["total"]),
        row("baseline, same environment", result["baseline_same_environment"]["total"]),
        f"  ratio ours / baseline as installed:      "
        f"{result['ratio_vs_baseline_as_installed']:.2f}x",
        f"  ratio ours / baseline same environment:  "
        f"{result['ratio_vs_baseline_same_environment']:.2f}x",
    ]
    return "\n".join(lines)
