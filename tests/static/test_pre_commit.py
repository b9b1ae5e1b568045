"""pre-commit runs offline on a fresh copy of the repository: every hook is `repo: local`
and runs from the locked environment, so no hook repository is ever fetched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.static._ci_helpers import ROOT, tool
from tests.tools import copy_working_tree


def _fresh_copy(destination: Path) -> Path:
    """What a clone would hold (tracked and new, not ignored files), as a new git repo."""
    copy_working_tree(ROOT, destination)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=destination, check=True)
    subprocess.run(["git", "add", "-A"], cwd=destination, check=True)
    return destination


@pytest.fixture
def offline_env(tmp_path: Path) -> dict[str, str]:
    """No network: a dead proxy for HTTP(S), git allowed only local transports, uv offline."""
    dead = "http://127.0.0.1:9"
    return {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "http_proxy": dead, "https_proxy": dead,
        "GIT_ALLOW_PROTOCOL": "file",
        "UV_OFFLINE": "1",
        # The copy uses this environment (same lock) instead of building its own.
        "UV_PROJECT_ENVIRONMENT": sys.prefix,
    }  # fmt: skip


def test_every_hook_is_local_and_runs_through_the_lock():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    for hook in config["repos"][0]["hooks"]:
        assert hook["language"] == "system", hook["id"]
        assert hook["entry"].startswith("uv run --locked "), hook["id"]


def test_pre_commit_passes_offline_on_a_fresh_copy(tmp_path, offline_env):
    pre_commit = tool("pre-commit")
    copy = _fresh_copy(tmp_path / "clone")
    done = subprocess.run(
        [pre_commit, "run", "--all-files"], cwd=copy, env=offline_env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "Passed" in done.stdout
    # Nothing was installed into pre-commit's cache: no hook repository, no hook env.
    home = Path(offline_env["PRE_COMMIT_HOME"])
    assert not list(home.glob("repo*")), sorted(p.name for p in home.iterdir())

    # The hooks really check: a file with trailing whitespace fails them.
    (copy / "sloppy.py").write_text("x = 1   \n")
    subprocess.run(["git", "add", "sloppy.py"], cwd=copy, check=True)
    again = subprocess.run(
        [pre_commit, "run", "--all-files"], cwd=copy, env=offline_env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 1
    assert "trim trailing whitespace" in again.stdout and "Failed" in again.stdout
