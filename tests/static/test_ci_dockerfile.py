"""The pipeline image's Dockerfile, checked without a Docker engine."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from tests.static._ci_helpers import ROOT, run, tool

DOCKERFILE = ROOT / "Dockerfile"
VERSIONED_TAG = re.compile(r"^[\w.\-/]+:v?\d+\.\d+\.\d+[\w.-]*$")


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _index(steps, predicate) -> int:
    return next(i for i, step in enumerate(steps) if predicate(*step))


STEPS = instructions(DOCKERFILE.read_text())


def test_base_image_and_uv_are_pinned_to_versions():
    bases = [args.split()[0] for op, args in STEPS if op == "FROM"]
    copied = [m.group(1) for _, a in STEPS if (m := re.search(r"--from=(\S+)", a))]
    assert bases and copied
    for image in bases + copied:
        assert VERSIONED_TAG.match(image) and "latest" not in image, image
    assert any(image.startswith("ghcr.io/astral-sh/uv:") for image in copied)


def test_locked_dependencies_are_a_layer_before_the_code():
    lock = _index(STEPS, lambda op, a: op == "COPY" and "uv.lock" in a.split())
    sync = _index(STEPS, lambda op, a: op == "RUN" and "uv sync" in a)
    code = [
        i
        for i, (op, a) in enumerate(STEPS)
        if op == "COPY" and re.search(r"\b(workflows/|contract\.yaml)", a)
    ]
    assert len(code) == 2 and lock < sync < min(code)
    flags = set(STEPS[sync][1].split())
    assert {"--locked", "--no-default-groups", "--no-dev", "--no-install-project"} <= flags


def test_the_image_holds_what_the_tasks_import_and_not_the_delivery_code():
    # ci/ runs in the cicd-tools image from the clone; the tasks never import it
    # (tests/unit/domain/test_promotion.py: test_the_pipeline_never_imports_the_delivery_code).
    copied = [a for op, a in STEPS if op == "COPY" and "--from" not in a]
    assert not [a for a in copied if re.search(r"(^|\s)\.?/?ci/", a)], copied


def test_runs_as_a_non_root_user():
    users = [args.split(":")[0] for op, args in STEPS if op == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_the_image_installs_runtime_dependencies_only():
    # The Dockerfile's own uv sync line, dry-run against this lock: what it would install.
    sync = next(a for op, a in STEPS if op == "RUN" and "uv sync" in a)
    args = shlex.split(sync)[shlex.split(sync).index("uv") :]
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(ROOT / "build" / "image-venv-dry-run")}
    done = run(tool("uv"), *args[1:], "--dry-run", env=env)
    assert done.returncode == 0, done.stderr
    installed = set(re.findall(r"^ \+ ([\w.-]+)==", done.stdout + done.stderr, re.MULTILINE))
    assert {"flytekit", "mlflow", "scikit-learn", "pandera"} <= installed
    assert not installed & {"pytest", "ruff", "zizmor", "copier", "hypothesis", "boto3"}


def test_hadolint_passes():
    done = run(tool("hadolint"), DOCKERFILE)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "fault",
    [
        (re.compile(r"^FROM python:\S+", re.M), "FROM python:latest"),
        ("USER 10001:10001", "USER root"),
    ],
    ids=["unpinned-base", "root-user"],
)
def test_checks_fail_on_a_broken_dockerfile(tmp_path: Path, fault: tuple):
    text = DOCKERFILE.read_text()
    pattern = fault[0] if isinstance(fault[0], re.Pattern) else re.compile(re.escape(fault[0]))
    assert pattern.search(text)
    broken = tmp_path / "Dockerfile"
    broken.write_text(pattern.sub(fault[1], text, count=1))
    # 1: findings; any other code is hadolint failing to run, not a caught fault.
    assert run(tool("hadolint"), broken).returncode == 1


def test_the_image_holds_the_drift_group_the_scoring_task_imports():
    sync = _index(STEPS, lambda op, a: op == "RUN" and "uv sync" in a)
    words = STEPS[sync][1].split()
    assert "drift" in [words[i + 1] for i, w in enumerate(words[:-1]) if w == "--group"]
