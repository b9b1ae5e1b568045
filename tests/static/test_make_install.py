"""`make install` installs uv with pip when the `uv` it finds cannot run, and only then.

Found by a new user: under pyenv, the `uv` shim exists on PATH but fails for a
`.python-version` whose Python has no uv ("pyenv: uv: command not found", exit
127); `command -v uv` found the shim, so uv was never installed."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from tests.static._ci_helpers import ROOT

PIP_INSTALL = "python3 -m pip install --quiet uv"


def _script(path: Path, body: str) -> None:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize(
    ("uv", "installs"),
    [
        ('echo "pyenv: uv: command not found" >&2; exit 127', True),
        ('[ "$1" = --version ] && echo "uv 0.0.0"; exit 0', False),
    ],
    ids=["a-uv-that-cannot-run", "a-working-uv"],
)
def test_uv_is_installed_exactly_when_the_one_found_cannot_run(tmp_path, uv, installs):
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    _script(bin_dir / "uv", uv)
    _script(bin_dir / "python3", f'echo "python3 $*" >> {calls}; exit 0')
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("UV", None)
    make = shutil.which("make")
    assert make
    subprocess.run([make, "-C", str(ROOT), "install"], env=env, capture_output=True, text=True)
    asked = calls.read_text().splitlines() if calls.exists() else []
    assert (PIP_INSTALL in asked) is installs, asked
