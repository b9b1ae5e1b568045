"""Benchmarks behind `make bench`."""

from __future__ import annotations

import os
from pathlib import Path

# The user's own pipeline settings would change what is measured: each run sets its own.
PIPELINE_SETTINGS = ("MIN_AUC", "DATA", "ROWS", "DOMAIN")


def run_env(store: Path, **extra: str) -> dict[str, str]:
    """This process's environment without the pipeline settings, with the SQLite
    store `store`/mlflow.db and `extra` set."""
    env = {k: v for k, v in os.environ.items() if k not in PIPELINE_SETTINGS}
    return env | {"MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}", **extra}
