"""The few git facts CI needs, read with the git CLI (no library)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .errors import USAGE, CiError
from .refs import MAIN_BRANCH

# CI clones have origin/main; a developer's laptop may only have main.
MAIN_REFS = (f"refs/remotes/origin/{MAIN_BRANCH}", f"refs/heads/{MAIN_BRANCH}")


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None:
        raise CiError("git is not on PATH: install git", USAGE)
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
    )


def _has_ref(repo: Path, ref: str) -> bool:
    return _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode == 0


def commit_on_main(repo: Path, sha: str) -> bool:
    """True when `sha` is main or an ancestor of it (origin/main first, then main)."""
    if _git(repo, "rev-parse", "--git-dir").returncode != 0:
        raise CiError(f"--repo {repo} is not a git repository", USAGE)
    if not _has_ref(repo, sha):
        raise CiError(f"commit {sha} is not in the repository {repo}: fetch it first", USAGE)
    for main in MAIN_REFS:
        if _has_ref(repo, main):
            done = _git(repo, "merge-base", "--is-ancestor", sha, main)
            if done.returncode in (0, 1):
                return done.returncode == 0
            raise CiError(f"git merge-base failed: {done.stderr.strip()}")
    raise CiError(
        f"{repo} has neither origin/{MAIN_BRANCH} nor {MAIN_BRANCH}: "
        "fetch main (actions/checkout: fetch-depth: 0) so a tag can be checked",
        USAGE,
    )


def head_sha(repo: Path) -> str:
    done = _git(repo, "rev-parse", "HEAD")
    if done.returncode != 0:
        raise CiError(f"cannot read HEAD in {repo}: pass --sha", USAGE)
    return done.stdout.strip()


def head_ref(repo: Path) -> str:
    """The branch checked out, else a tag pointing exactly at HEAD."""
    branch = _git(repo, "symbolic-ref", "--quiet", "HEAD")
    if branch.returncode == 0:
        return branch.stdout.strip()
    tag = _git(repo, "describe", "--tags", "--exact-match", "HEAD")
    if tag.returncode == 0:
        return f"refs/tags/{tag.stdout.strip()}"
    raise CiError("HEAD is detached and carries no tag: pass --ref", USAGE)
