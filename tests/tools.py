"""Finding the command-line tools tests need, the same way in every suite."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# The locked environment's bin/ first: tools from uv.lock win over the machine's.
BIN = Path(sys.executable).parent


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(message: str):
    """Skip locally; fail in CI (CI=true), where a skipped check would hide a gap."""
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def require_tool(name: str, install_hint: str) -> str:
    found = shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if found:
        return found
    missing(f"{name} is not installed: {install_hint}")
    raise AssertionError("unreachable")  # pytest.skip/fail raise


def working_tree_files(root: Path) -> list[str]:
    """What git would commit in `root`: tracked and untracked-but-not-ignored files."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=root, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return sorted(p for p in listed.split("\0") if p and (root / p).is_file())


def copy_working_tree(root: Path, destination: Path) -> Path:
    """What a fresh clone of `root` would hold, uncommitted work included (no .git)."""
    for relative in working_tree_files(root):
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / relative, target)
    return destination


def drift_tables(shifts: tuple[float, ...], seed: int = 7):
    """A contract of three numbers (x2 partly missing) and a code ("NA" a real
    one), and one 500-row table per shift of x1, for the drift report's tests.
    Skips (fails in CI) when Evidently is not installed."""
    import importlib.util

    import numpy as np
    import pandas as pd

    from workflows.domain.contract import Contract, Feature

    if importlib.util.find_spec("evidently") is None:
        missing("evidently is not installed: uv sync --group drift")
    features = (
        *(Feature(f"x{i}", "numeric", True) for i in range(3)),
        Feature("colour", "categorical", False),
    )
    rng = np.random.default_rng(seed)

    def table(shift: float) -> pd.DataFrame:
        frame = pd.DataFrame(rng.normal(size=(500, 3)), columns=["x0", "x1", "x2"])
        frame["x1"] += shift
        frame["colour"] = rng.choice(["red", "NA"], size=500)
        frame.loc[:10, "x2"] = np.nan
        return frame

    return *(table(shift) for shift in shifts), Contract("y", 1, 0, features)
