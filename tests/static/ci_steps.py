"""Run CI/CD's own step scripts, as the YAML writes them, against a real git repository.

A test that only looks for `python -m ci plan` in a workflow passes when the
call loses `--repo .` or runs in the wrong directory. These helpers take the
script and environment of a step out of cd.yml or argo/cicd.yaml, put in the
values the CI system would (GitHub expressions, Argo parameters, Argo's paths
mapped into a temporary directory), and run it with bash in a clone of a
repository that holds this project and release tags on and off main.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "ci-steps", "GIT_AUTHOR_EMAIL": "ci-steps@example.com",
    "GIT_COMMITTER_NAME": "ci-steps", "GIT_COMMITTER_EMAIL": "ci-steps@example.com",
}  # fmt: skip
GITHUB_EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
ARGO_EXPRESSION = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV},
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.strip()


@dataclass(frozen=True)
class ReleaseRepo:
    """main: project - c2 (tag v1.0.0); branch `side` off the first commit: s1 (tag v9.9.9)."""

    path: Path
    on_main: str  # commit of v1.0.0
    off_main: str  # commit of v9.9.9
    off_main_tag_object: str  # v9.9.9 is annotated: a push names this object, not the commit


def make_release_repo(destination: Path) -> ReleaseRepo:
    """This project's working tree (what git would commit) in a fresh repository."""
    listed = git(ROOT, "ls-files", "--cached", "--others", "--exclude-standard", "-z")
    for relative in filter(None, listed.split("\0")):
        source = ROOT / relative
        if source.is_file():
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
            target.chmod(source.stat().st_mode)
    git(destination, "init", "-q", "-b", "main")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "project")
    git(destination, "checkout", "-q", "-b", "side")
    git(destination, "commit", "-q", "--allow-empty", "-m", "s1: never merged")
    git(destination, "tag", "-a", "-m", "release off main", "v9.9.9")
    git(destination, "checkout", "-q", "main")
    git(destination, "commit", "-q", "--allow-empty", "-m", "c2")
    git(destination, "tag", "v1.0.0")
    return ReleaseRepo(
        path=destination,
        on_main=git(destination, "rev-parse", "v1.0.0^{commit}"),
        off_main=git(destination, "rev-parse", "v9.9.9^{commit}"),
        off_main_tag_object=git(destination, "rev-parse", "v9.9.9"),
    )


def clone_at(repo: Path, destination: Path, sha: str) -> Path:
    """What actions/checkout with fetch-depth: 0 leaves: all of origin's branches, HEAD detached."""
    git(repo.parent, "clone", "-q", "--", str(repo), str(destination))
    git(destination, "checkout", "-q", "--detach", sha)
    return destination


def substitute(text: str, pattern: re.Pattern[str], values: dict[str, str]) -> str:
    """Replace every expression; an expression the test did not foresee is an error."""

    def value(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise AssertionError(f"no test value for the expression {match.group(0)!r}")
        return values[match.group(1)]

    return pattern.sub(value, text)


def map_paths(text: str, paths: dict[str, Path]) -> str:
    """Replace absolute paths of the CI system's machine by local ones."""
    for old, new in paths.items():
        text = text.replace(old, f"{new}/" if old.endswith("/") else str(new))
    return text


def run_script(
    script: str, cwd: Path, env: dict[str, str], shell: list[str]
) -> subprocess.CompletedProcess[str]:
    """The script under `shell` (e.g. bash -euo pipefail -c) with the step's environment.

    The surrounding uv environment is left out, as on a fresh runner, so `uv run`
    in the step uses the project environment the step itself names or creates.
    """
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "GITHUB_OUTPUT")
    }
    base["UV_PYTHON_DOWNLOADS"] = "never"
    return subprocess.run(
        [*shell, script], cwd=cwd, env={**base, **env},
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
