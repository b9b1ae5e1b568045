"""Fixtures for template tests: a throwaway git copy of this template."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import jinja2
import pytest
import yaml
from pathspec import PathSpec

from tests.tools import copy_working_tree

ROOT = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "template-test",
    "GIT_AUTHOR_EMAIL": "template-test@example.com",
    "GIT_COMMITTER_NAME": "template-test",
    "GIT_COMMITTER_EMAIL": "template-test@example.com",
}


def git(cwd: Path, *args: str) -> str:
    import os

    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout


def copier_excludes(answers: dict) -> Callable[[str], bool]:
    """copier.yml's `_exclude`, rendered with these answers: is a path left out?

    copier.yml is the one place that says what is template-only; the tests ask it
    instead of keeping their own list. copier matches the patterns like .gitignore.
    """
    config = yaml.safe_load((ROOT / "copier.yml").read_text())
    defaults = {k: v.get("default") for k, v in config.items() if isinstance(v, dict)}
    context = {**defaults, **answers}
    patterns = [jinja2.Template(p).render(**context) for p in config["_exclude"]]
    spec = PathSpec.from_lines("gitignore", [p for p in patterns if p.strip()])
    return spec.match_file


def snapshot_repo(destination: Path, tag: str = "v1.0.0") -> Path:
    """Copy the working tree into a fresh git repository, committed and tagged."""
    copy_working_tree(ROOT, destination)
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "template snapshot")
    git(destination, "tag", tag)
    return destination


@pytest.fixture(scope="session")
def template(tmp_path_factory) -> Path:
    return snapshot_repo(tmp_path_factory.mktemp("template"))
