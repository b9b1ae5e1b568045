"""Finding the command-line tools tests need, the same way in every suite."""

from __future__ import annotations

import os
import shutil
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
