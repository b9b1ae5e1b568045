"""How the pipeline's cost grows with data: tables of 10k, 100k and 1M rows x 30
columns as teams have them (20 numeric, 6 categorical, 2 boolean, 1 date, one
identifier; a third of the features with ~3 % missing values), written as CSV.

Each size is one `python -m workflows run` with DATA=<the CSV> and the table's
own contract in a fresh SQLite store; wall times per step come from its
--timings file, peak memory from the process's own rusage (os.wait4). MIN_AUC
is 0.6 here: the bench measures cost, not quality, and a gate failure would stop
the run before register and deploy (the ROC AUC each size reached is reported).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import run_env

ROOT = Path(__file__).resolve().parents[1]
SIZES = (10_000, 100_000, 1_000_000)
MIN_AUC = "0.6"


def contract():
    """The bench table's contract: 29 features of every kind, an identifier."""
    from workflows.domain.contract import Contract, Feature

    kinds = ["numeric"] * 20 + ["categorical"] * 6 + ["boolean"] * 2 + ["datetime"]
    features = tuple(
        Feature(f"{kind} {index}", kind, index % 3 == 0) for index, kind in enumerate(kinds)
    )
    return Contract("outcome", "yes", "no", features, ignore={"customer id": "identifier"})


def write_table(rows: int, folder: Path) -> tuple[Path, Path]:
    """(contract path, CSV path) of a `rows`-row table in `folder`."""
    from workflows.domain import contract as data_contract
    from workflows.domain.data import synthetic

    shape = contract()
    path = folder / "contract.yaml"
    path.write_text(data_contract.dump(shape, schema=""))
    table = synthetic(rows, shape, seed=rows)
    table["customer id"] = [f"{i:08d}" for i in range(rows)]  # leading zeros
    data = folder / "table.csv"
    table.to_csv(data, index=False)
    return path, data


def one_size(rows: int, store: Path) -> dict:
    contract_path, data = write_table(rows, store)
    env = run_env(store, DATA=str(data), CONTRACT=str(contract_path), MIN_AUC=MIN_AUC)
    timings = store / "timings.json"
    command = [sys.executable, "-m", "workflows", "run", "--timings", str(timings)]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        err.seek(0)
        log = err.read().decode(errors="replace")
    if process.returncode != 0:
        sys.exit(f"pipeline with ROWS={rows} failed:\n{log[-3000:]}")
    steps = json.loads(timings.read_text())
    auc = re.search(r"ROC AUC ([0-9.]+) for", log)
    return {
        "rows": rows,
        "prepare_s": steps["prepare"],
        "train_s": steps["train"],
        "total_s": wall,
        "peak_rss_mb": usage.ru_maxrss / 1024,  # Linux reports KiB
        "roc_auc": float(auc.group(1)) if auc else None,
    }


def measure(sizes: tuple[int, ...] = SIZES) -> dict:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as folder:
        for rows in sizes:
            print(f"scale: {rows:,} rows ...", file=sys.stderr, flush=True)
            store = Path(folder) / str(rows)
            store.mkdir()
            results.append(one_size(rows, store))
    return {"min_auc": float(MIN_AUC), "cpus": os.cpu_count(), "sizes": results}


def report(result: dict) -> str:
    lines = [
        f"scale: CSV tables x 30 columns, one run each ({result['cpus']} CPUs, "
        f"MIN_AUC {result['min_auc']})",
        f"  {'rows':>10} {'prepare s':>10} {'train s':>9} {'total s':>9} {'peak MB':>9} "
        f"{'ROC AUC':>8} {'x total':>8} {'x memory':>9}",
    ]
    previous = None
    for size in result["sizes"]:
        growth = ("", "")
        if previous:
            growth = (
                f"{size['total_s'] / previous['total_s']:.1f}x",
                f"{size['peak_rss_mb'] / previous['peak_rss_mb']:.1f}x",
            )
        auc = f"{size['roc_auc']:.4f}" if size["roc_auc"] is not None else "-"
        lines.append(
            f"  {size['rows']:>10,} {size['prepare_s']:>10.2f} {size['train_s']:>9.2f} "
            f"{size['total_s']:>9.2f} {size['peak_rss_mb']:>9.0f} {auc:>8} "
            f"{growth[0]:>8} {growth[1]:>9}"
        )
        previous = size
    lines.append(
        "  (x: ratio to the size 10x smaller; train includes evaluation and MLflow logging\n"
        "   into a fresh store; total is the process wall time, imports included)"
    )
    return "\n".join(lines)
