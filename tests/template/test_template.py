"""The repository is its own copier template: check both directions.

- rendering with the default answers gives back this very tree, byte for byte;
- other answers give projects whose own tests pass and that hold no default name;
- bad answers are refused with the validator's message;
- `copier update` moves a project to a newer template and keeps its changes.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from copier import run_copy, run_update

from tests.template.conftest import ROOT, git, working_tree_files
from workflows import identity

ANSWERS = sorted((Path(__file__).parent / "answers").glob("*.yml"))
TEMPLATE_ONLY = re.compile(r"^(copier\.yml|tests/template/|docs/template\.md)|\.jinja$")
DEFAULT_NAMES = {identity.PROJECT_SLUG, identity.MODEL_NAME, identity.FLYTE_PROJECT}
# Fast suites of a generated project: what its own CI's first jobs run.
PROJECT_TESTS = ["tests/unit", "tests/static"]


def render(template: Path, destination: Path, **data) -> Path:
    run_copy(
        str(template), destination, data=data, defaults=True, unsafe=False, quiet=True,
        vcs_ref="HEAD",
    )  # fmt: skip
    return destination


def project_files(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
    )


def test_default_answers_reproduce_this_repository(template, tmp_path):
    project = render(template, tmp_path / "project")
    expected = [p for p in working_tree_files() if not TEMPLATE_ONLY.search(p)]
    rendered = [p for p in project_files(project) if p != ".copier-answers.yml"]
    assert rendered == expected
    differing = [p for p in expected if (project / p).read_bytes() != (ROOT / p).read_bytes()]
    assert differing == [], "rendered files differ from the repository; update their .jinja"


def _python_for(version: str) -> str | None:
    """A local interpreter of that version: uv cannot download one here."""
    found = shutil.which(f"python{version}")
    candidates = [found] if found else []
    home = Path.home()
    for pattern in (
        f"{home}/.pyenv/versions/{version}*/bin/python{version}",
        f"{home}/.local/share/uv/python/cpython-{version}*/bin/python{version}",
        f"/usr/bin/python{version}",
        f"/usr/local/bin/python{version}",
    ):
        candidates += sorted(glob.glob(pattern))
    for candidate in candidates:
        done = subprocess.run([candidate, "--version"], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.split()[-1].startswith(version):
            return candidate
    return None


def _run(project: Path, *command: str, python: str | None = None) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
    }
    env.update(CI="true", UV_PYTHON_DOWNLOADS="never")
    if python:
        env["UV_PYTHON"] = python
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def _grep(project: Path, names: set[str]) -> list[str]:
    hits = []
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts and ".venv" not in path.parts:
            text = path.read_text(errors="ignore").lower()
            hits += [f"{path.relative_to(project)}: {n}" for n in names if n.lower() in text]
    return hits


@pytest.mark.parametrize("answers_file", ANSWERS, ids=lambda p: p.stem)
def test_other_answers_give_a_working_project(template, tmp_path, answers_file):
    answers = yaml.safe_load(answers_file.read_text())
    project = render(template, tmp_path / "project", **answers)

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {k: recorded[k] for k in answers} == answers
    assert (project / ".github").exists() == (answers.get("git_host", "github") == "github")
    assert not list(project.rglob("*.jinja"))
    assert not (project / "copier.yml").exists() and not (project / "tests/template").exists()
    assert _grep(project, DEFAULT_NAMES) == []
    assert (project / ".python-version").read_text().strip() == recorded["python_version"]

    python = None
    if recorded["python_version"] != "3.11":
        python = _python_for(recorded["python_version"])
        if python is None:
            pytest.skip(
                f"rendering checked, but no local Python {recorded['python_version']} to run "
                "the generated project's tests (uv cannot download interpreters here)"
            )
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "generated")
    synced = _run(project, "uv", "sync", "--locked", "--group", "drift", python=python)
    assert synced.returncode == 0, synced.stderr[-3000:]
    # The drift group too: the project's test targets install it (its Evidently tests).
    tested = _run(project, "uv", "run", "--locked", "--group", "drift", "pytest", "-q",
                  "-p", "no:cacheprovider", *PROJECT_TESTS, python=python)  # fmt: skip
    assert tested.returncode == 0, tested.stdout[-5000:]
    version = _run(project, ".venv/bin/python", "--version").stdout
    assert version.split()[-1].startswith(recorded["python_version"])


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_slug": "my_model"}, "project_slug must be lowercase"),
        ({"project_slug": "My-Model"}, "project_slug must be lowercase"),
        ({"min_auc": 1.5}, "min_auc must be greater than 0.5"),
        ({"min_auc": 0.5}, "min_auc must be greater than 0.5"),
        ({"author_email": "nobody"}, "author_email must look like"),
    ],
)
def test_bad_answers_are_refused_with_the_validators_message(template, tmp_path, answers, message):
    with pytest.raises(ValueError, match=message):
        render(template, tmp_path / "project", **answers)
    assert not (tmp_path / "project" / "workflows").exists()


def test_copier_update_brings_template_changes_and_keeps_local_ones(template, tmp_path):
    # An older template version: the snapshot tagged v1.0.0. Then a newer one.
    older = tmp_path / "template"
    shutil.copytree(template, older)
    newer_note = "\n## Template news\n\nAdded in template v1.1.0.\n"
    for name in ("README.md", "README.md.jinja"):
        with (older / name).open("a") as readme:
            readme.write(newer_note)
    git(older, "commit", "-q", "-am", "template: a newer README section")
    git(older, "tag", "v1.1.0")

    project = tmp_path / "project"
    run_copy(str(older), project, data={"project_name": "Update Check"}, defaults=True,
             quiet=True, vcs_ref="v1.0.0")  # fmt: skip
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "generated from v1.0.0")
    settings = project / "workflows" / "settings.py"
    local_change = settings.read_text().replace(
        '    serving_url: str = ""\n', '    serving_url: str = ""\n    team: str = "risk"\n'
    )
    assert local_change != settings.read_text()
    settings.write_text(local_change)
    git(project, "commit", "-q", "-am", "local change: a team setting")

    run_update(project, defaults=True, overwrite=True, quiet=True, vcs_ref="v1.1.0",
               unsafe=False)  # fmt: skip

    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"
    assert "Template news" in (project / "README.md").read_text()
    assert 'team: str = "risk"' in settings.read_text()
    assert not list(project.rglob("*.rej"))
    synced = _run(project, "uv", "sync", "--locked", "--group", "drift")
    assert synced.returncode == 0, synced.stderr[-3000:]
    tested = _run(project, "uv", "run", "--locked", "--group", "drift", "pytest", "-q",
                  "-p", "no:cacheprovider", "tests/unit")  # fmt: skip
    assert tested.returncode == 0, tested.stdout[-5000:]
