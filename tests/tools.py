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
