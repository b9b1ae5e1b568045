"""Shared helpers for the tests/static/test_ci_*.py checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.tools import require_tool

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """Path of a CLI tool: skipped locally when absent, a failure in CI (CI=true)."""
    return require_tool(name, "run `make test-static` (it installs the static group)")


def run(
    *args: str | Path, cwd: Path = ROOT, timeout: float = 300, env: dict | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def tracked_files() -> list[str]:
    done = run("git", "ls-files", "-z")
    assert done.returncode == 0, done.stderr
    return [f for f in done.stdout.split("\0") if f and (ROOT / f).is_file()]
