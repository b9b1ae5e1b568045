"""Our pipeline against the seed-style baseline, in paired alternating runs.

Both run in this project's environment (same interpreter, same compiled
bytecode, same kind of store: SQLite), each run in a fresh process, in pairs:
ours, baseline, ours, baseline, ... Load from other work on the machine then
hits both sides of a pair alike, so the ratio within each pair is what is
compared, and the median of those ratios is the figure quoted.

Three store states, each its own set of pairs:
- first: every run gets a new store on a machine that never made one: ours
  also builds its migrated store template (workflows/gateways/store_template.py);
- fresh: every run gets a new store (the first `make run` of a clone); ours
  copies the template an untimed run built;
- existing: each side keeps one store, already used once before timing starts.

ours: `python -m workflows run` (what `make run` starts). baseline:
bench/baseline.py through `pyflyte run`, as the seed ran it. floor: a process
that only imports the libraries every run of ours must import (flytekit, pandas,
scikit-learn, skops, mlflow and its SQLite store): where 0.5x is out of reach,
this shows how far the dependencies alone allow.
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

from bench import run_env
from bench.stats import header, row, summary

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "bench" / "baseline.py"
STORES = ("first", "fresh", "existing")


def _env(store: Path, **extra: str) -> dict[str, str]:
    # The store template's cache: the one the bench keeps, unless `extra` gives a fresh one.
    return run_env(store, **{"XDG_CACHE_HOME": str(store.parent / "cache"), **extra})


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"benchmark run failed: {' '.join(command)}\n{done.stderr[-3000:]}")
    return elapsed


def ours(store: Path, timings: Path, cache: Path | None = None) -> float:
    command = [sys.executable, "-m", "workflows", "run", "--timings", str(timings)]
    extra = {"XDG_CACHE_HOME": str(cache)} if cache is not None else {}
    return _timed(command, _env(store, **extra), ROOT)


def baseline(store: Path) -> float:
    # The seed saved with cloudpickle; mlflow 3.17 loads it only with this flag.
    env = _env(store, MLFLOW_ALLOW_PICKLE_DESERIALIZATION="true")
    pyflyte = Path(sys.executable).with_name("pyflyte")
    return _timed([str(pyflyte), "run", str(BASELINE), "baseline_pipeline"], env, store)


# What any run of this pipeline must import, and nothing else: no process of ours
# can start faster than this. Its ratio to the baseline is the floor for ours.
FLOOR = (
    "import flytekit, pandas, sklearn.ensemble, skops.io, mlflow.sklearn; "
    "from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore"
)


def floor() -> float:
    return _timed([sys.executable, "-c", FLOOR], _env(ROOT), ROOT)


def pairs(runs: int, workdir: Path, kind: str) -> dict:
    """`runs` pairs (ours, then the baseline), each in a fresh process, each
    followed by the import floor."""
    ours_store, base_store = workdir / f"{kind}-ours", workdir / f"{kind}-baseline"
    for store in (ours_store, base_store):
        store.mkdir()
    # Used once, untimed: the store and its tables exist, and so does the template.
    ours(ours_store, workdir / "warm.json")
    baseline(base_store)
    totals: dict[str, list[float]] = {"ours": [], "baseline": [], "floor": []}
    steps: dict[str, list[float]] = {}
    for index in range(runs):
        print(f"pipeline, {kind} store: pair {index + 1}/{runs} ...", file=sys.stderr, flush=True)
        if kind != "existing":
            ours_store = workdir / f"{kind}-ours-{index}"
            base_store = workdir / f"{kind}-baseline-{index}"
            ours_store.mkdir()
            base_store.mkdir()
        timings = workdir / f"{kind}-timings-{index}.json"
        cache = workdir / f"{kind}-cache-{index}" if kind == "first" else None
        totals["ours"].append(ours(ours_store, timings, cache))
        totals["baseline"].append(baseline(base_store))
        totals["floor"].append(floor())
        for step, seconds in json.loads(timings.read_text()).items():
            steps.setdefault(step, []).append(seconds)
    ratios = [o / b for o, b in zip(totals["ours"], totals["baseline"], strict=True)]
    floors = [f / b for f, b in zip(totals["floor"], totals["baseline"], strict=True)]
    return {
        **totals,
        "ratios": ratios,
        "median_ratio": statistics.median(ratios),
        "floor_ratios": floors,
        "median_floor_ratio": statistics.median(floors),
        "ours_summary": summary(totals["ours"]),
        "baseline_summary": summary(totals["baseline"]),
        "floor_summary": summary(totals["floor"]),
        "steps": {k: summary(v) for k, v in steps.items()},
    }


def measure(runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        result = {kind: pairs(runs, Path(folder), kind) for kind in STORES}
    return {"runs": runs, "load_before": os.getloadavg(), "cpus": os.cpu_count(), **result}


def report(result: dict) -> str:
    lines = [
        f"pipeline wall time, seconds: ours vs the seed-style baseline, same environment,\n"
        f"{result['runs']} alternating pairs per store state "
        f"({result['cpus']} CPUs, load average {result['load_before'][0]:.1f} at the start)"
    ]
    for kind in STORES:
        part = result[kind]
        lines += [f"  {kind} store", header()]
        for step, values in part["steps"].items():
            if step != "total":
                lines.append(row(f"ours: {step}", values))
        lines += [
            row("ours: total (process wall)", part["ours_summary"]),
            row("baseline (process wall)", part["baseline_summary"]),
            row("import floor (imports only)", part["floor_summary"]),
            "  ratio ours / baseline per pair:  "
            + ", ".join(f"{r:.2f}" for r in part["ratios"])
            + f"  -> median {part['median_ratio']:.2f}x",
            "  ratio floor / baseline per pair: "
            + ", ".join(f"{r:.2f}" for r in part["floor_ratios"])
            + f"  -> median {part['median_floor_ratio']:.2f}x",
        ]
    return "\n".join(lines)
