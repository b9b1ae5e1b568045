"""The repository is its own copier template: check both directions.

- rendering with the default answers gives back this very tree, byte for byte,
  minus what copier.yml's `_exclude` calls template-only;
- every answer set gives a project that is the team's own: no template test, doc,
  CI job, make target or bench figure in it, and every `make` target its own CI
  (GitHub workflows, the Argo `cicd` template) calls passes after `make install`;
- bad answers are refused with the validator's message;
- `copier update` moves a project to a newer template and keeps its changes;
  `make template-status` says so beforehand and changes nothing.
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

from tests.template.ci_targets import ci_make_targets, make_targets
from tests.template.conftest import ROOT, copier_excludes, git
from tests.tools import missing, working_tree_files
from workflows import identity

pytestmark = pytest.mark.slow

ANSWERS_DIR = Path(__file__).parent / "answers"
ANSWERS = sorted(ANSWERS_DIR.glob("*.yml"))
CHANGED_ANSWERS = [p for p in ANSWERS if yaml.safe_load(p.read_text())]
DEFAULT_NAMES = {identity.PROJECT_SLUG, identity.MODEL_NAME, identity.FLYTE_PROJECT}
# Words that only the template's own files use (its tests, make target, CI job).
TEMPLATE_WORDS = ("tests/template", "test-template", "Template tests", "GNUmakefile")


def render(template: Path, destination: Path, vcs_ref: str = "HEAD", **data) -> Path:
    run_copy(
        str(template), destination, data=data, defaults=True, unsafe=False, quiet=True,
        vcs_ref=vcs_ref,
    )  # fmt: skip
    return destination


def project_files(root: Path) -> list[str]:
    return sorted(
        str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
    )


def test_default_answers_reproduce_this_repository(template, tmp_path):
    project = render(template, tmp_path / "project")
    excluded = copier_excludes({})
    expected = [
        p for p in working_tree_files(ROOT) if not excluded(p) and not p.endswith(".jinja")
    ]  # fmt: skip
    rendered = [p for p in project_files(project) if p != ".copier-answers.yml"]
    assert rendered == expected
    differing = [p for p in expected if (project / p).read_bytes() != (ROOT / p).read_bytes()]
    assert differing == [], "rendered files differ from the repository; update their .jinja"


def test_make_targets_are_read_from_shell_scripts():
    script = "cd src && make lint DRY_RUN=1 test-unit\ncmake .. ; make -j2 package | tee log"
    assert make_targets(script) == ["lint", "test-unit", "package"]
    assert make_targets("uv run --locked python -m ci plan") == []


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
    """A command in the generated project, as its CI runs it: its own env, CI=true."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "HYPOTHESIS_PROFILE")
    }
    env.update(CI="true", UV_PYTHON_DOWNLOADS="never")
    if python:
        env["UV_PYTHON"] = python
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def _grep(project: Path, words) -> list[str]:
    hits = []
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts and ".venv" not in path.parts:
            text = path.read_text(errors="ignore").lower()
            hits += [f"{path.relative_to(project)}: {w}" for w in words if w.lower() in text]
    return hits


def _template_lines() -> set[str]:
    """Long lines of the template's own documents (its README with the bench figures,
    its maintainer docs): none may turn up in a generated project."""
    documents = [p for p in working_tree_files(ROOT) if p.endswith(".md")]
    excluded = copier_excludes({})
    lines = set()
    for document in filter(excluded, documents):
        lines |= {ln.strip() for ln in (ROOT / document).read_text().splitlines()}
    return {ln for ln in lines if len(ln) >= 40}


def _copied_template_lines(project: Path) -> list[str]:
    lines = _template_lines()
    hits = []
    for path in project.rglob("*"):
        if path.is_file() and ".git" not in path.parts and ".venv" not in path.parts:
            text = {ln.strip() for ln in path.read_text(errors="ignore").splitlines()}
            hits += [f"{path.relative_to(project)}: {ln}" for ln in sorted(text & lines)]
    return hits


def _commit_all(project: Path, message: str) -> None:
    if not (project / ".git").exists():
        git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", message)


def _passes(project: Path, targets, python: str | None = None) -> list[str]:
    """`make install`, then each of `targets`; returns them."""
    installed = _run(project, "make", "install", python=python)
    assert installed.returncode == 0, installed.stderr[-3000:]
    ran = []
    for target in dict.fromkeys(targets):
        done = _run(project, "make", target, python=python)
        assert done.returncode == 0, f"make {target}:\n{done.stdout[-5000:]}\n{done.stderr[-3000:]}"
        ran.append(target)
    return ran


def _passes_its_own_ci(project: Path, python: str | None = None) -> list[str]:
    """`make install`, then every make target the project's CI calls; returns them."""
    targets = ci_make_targets(project)
    assert any(where.startswith("cicd:") for where in targets), "Argo's test step calls no make"
    return _passes(project, [t for ts in targets.values() for t in ts], python)


def _rendered(template: Path, tmp_path: Path, answers: dict) -> tuple[Path, dict]:
    """The project these answers generate, checked to be the team's own: its
    answers recorded, no template-only file, word or line, its own names."""
    project = render(template, tmp_path / "project", **answers)

    recorded = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert {k: recorded[k] for k in answers} == answers
    github = answers.get("git_host", "github") == "github"
    assert (project / ".github" / "workflows").exists() == github
    assert (project / "tests/static/test_ci_workflows.py").exists() == github
    assert not list(project.rglob("*.jinja"))
    excluded = copier_excludes(answers)
    assert [p for p in project_files(project) if excluded(p)] == []
    assert _grep(project, TEMPLATE_WORDS) == []
    assert _copied_template_lines(project) == []
    if answers.get("project_name"):
        assert _grep(project, DEFAULT_NAMES) == []
    readme = (project / "README.md").read_text()
    assert readme.startswith(f"# {recorded['project_name']}\n")
    assert "make contract DATA=" in readme and recorded["model_name"] in readme
    assert (project / ".python-version").read_text().strip() == recorded["python_version"]
    return project, recorded


@pytest.mark.parametrize("answers_file", ANSWERS, ids=lambda p: p.stem)
def test_each_answer_set_renders_the_teams_own_project(template, tmp_path, answers_file):
    _rendered(template, tmp_path, yaml.safe_load(answers_file.read_text()) or {})


# The default answers render this repository itself, file for file
# (test_default_answers_reproduce_this_repository), whose own `make test` runs
# every suite its CI calls and `make lint` (tests/static/test_lint.py). Each other
# answer set runs its CI here, on the project as generated.
@pytest.mark.parametrize("answers_file", CHANGED_ANSWERS, ids=lambda p: p.stem)
def test_each_other_answer_set_gives_a_project_green_on_its_first_push(
    template, tmp_path, answers_file
):
    answers = yaml.safe_load(answers_file.read_text())
    project, recorded = _rendered(template, tmp_path, answers)
    python = None
    if recorded["python_version"] != "3.11":
        python = _python_for(recorded["python_version"])
        if python is None:
            missing(
                f"rendering checked, but no local Python {recorded['python_version']} to run "
                "the generated project's CI (uv cannot download interpreters here)"
            )
    _commit_all(project, "generated")
    ran = _passes_its_own_ci(project, python)
    github = answers.get("git_host", "github") == "github"
    assert "test-unit" in ran and ("lint" in ran) == github
    # The team's own site, built with --strict: by its CI's docs job, or here without GitHub.
    if not github:
        done = _run(project, "make", "docs", python=python)
        assert done.returncode == 0, f"make docs:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        ran.append("docs")
    assert "docs" in ran
    home = (project / "site" / "index.html").read_text()
    assert recorded["project_name"] in home and not (project / "site" / "template").exists()
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
        ({"gate": "rmse>=12.5"}, "gate must be a metric"),
        ({"gate": "auc>=0.8"}, "gate must be a metric"),
    ],
)
def test_bad_answers_are_refused_with_the_validators_message(template, tmp_path, answers, message):
    with pytest.raises(ValueError, match=message):
        render(template, tmp_path / "project", **answers)
    assert not (tmp_path / "project" / "workflows").exists()


NEWS = "\n## Template news\n\nAdded in template v1.1.0.\n"


@pytest.fixture
def two_versions(template, tmp_path) -> Path:
    """The template tagged v1.0.0 (the snapshot), then v1.1.0 with a new README section."""
    versions = tmp_path / "template"
    shutil.copytree(template, versions)
    for name in ("README.md", "README.md.jinja"):
        with (versions / name).open("a") as readme:
            readme.write(NEWS)
    git(versions, "commit", "-q", "-am", "template: a newer README section")
    git(versions, "tag", "v1.1.0")
    return versions


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer holds {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_copier_update_keeps_local_edits_and_the_project_stays_green(two_versions, tmp_path):
    project = render(two_versions, tmp_path / "project", vcs_ref="v1.0.0",
                     project_name="Update Check")  # fmt: skip
    _commit_all(project, "generated from v1.0.0")

    # The team's own edits: its README, its data contract, one of its tests.
    readme_edit = "Our team owns this model; ask #risk-ml.\n"
    _edit(project / "README.md", "## Quickstart\n", f"{readme_edit}\n## Quickstart\n")
    _edit(project / "contract.yaml", "min_rows_per_class: 10\n", "min_rows_per_class: 12\n")
    contract = (project / "contract.yaml").read_text()
    team_test = "\n\ndef test_the_team_setting():\n    assert 1 + 1 == 2\n"
    with (project / "tests" / "unit" / "test_settings.py").open("a") as tests:
        tests.write(team_test)
    _commit_all(project, "the team's edits")
    head = git(project, "rev-parse", "HEAD")

    # make template-status: names the newer tag and the change, and changes nothing.
    status = _run(project, "make", "template-status")
    assert status.returncode == 0, status.stderr[-3000:]
    assert "newer release tags: v1.1.0" in status.stdout
    assert "+## Template news" in status.stdout
    assert git(project, "status", "--porcelain") == "" and git(project, "rev-parse", "HEAD") == head
    assert "Template news" not in (project / "README.md").read_text()

    run_update(project, defaults=True, overwrite=True, quiet=True, vcs_ref="v1.1.0",
               unsafe=False)  # fmt: skip

    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"] == "v1.1.0"
    readme = (project / "README.md").read_text()
    assert "Template news" in readme and readme_edit in readme
    assert (project / "contract.yaml").read_text() == contract
    assert team_test in (project / "tests" / "unit" / "test_settings.py").read_text()
    assert not list(project.rglob("*.rej"))
    assert not re.search(r"^<<<<<<< ", readme, re.MULTILINE)
    _commit_all(project, "template v1.1.0")
    # Green after the update: what the team's edits and the new README can break
    # (its lint and unit tests); the whole CI of such a project runs above.
    _passes(project, ["lint", "test-unit"])

    # Up to date now: nothing more to bring in.
    status = _run(project, "make", "template-status")
    assert "newer release tags: none" in status.stdout
    assert "would change nothing" in status.stdout
