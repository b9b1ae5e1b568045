"""`make lint` (ruff and import-linter, as CI's lint job runs it) passes on this tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_lint_passes():
    done = subprocess.run(["make", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
