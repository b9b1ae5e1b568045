"""The GitHub workflows: schema-valid, zizmor-clean, pinned, least privilege.

Each check also runs on a deliberately broken copy to prove it can fail.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.static._ci_helpers import WORKFLOWS, run, tool

FILES = sorted(WORKFLOWS.glob("*.yml"))
# A project generated with git_host=sandbox-only has no GitHub workflows at all.
pytestmark = pytest.mark.skipif(
    not WORKFLOWS.exists(), reason="no .github/workflows: CI/CD runs only through the sandbox"
)
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
PIN_COMMENT = re.compile(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$")


def _schema_check(*files: Path) -> int:
    exe = tool("check-jsonschema")
    return run(exe, "--builtin-schema", "vendor.github-workflows", *files).returncode


def _zizmor_findings(directory: Path) -> list[dict]:
    exe = tool("zizmor")
    done = run(exe, "--offline", "--format", "json", "--no-exit-codes", directory)
    assert done.returncode == 0, done.stderr
    findings = json.loads(done.stdout)
    return [f for f in findings if f["determinations"]["severity"] in ("High", "Medium")]


def _load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _steps(workflow: dict):
    for job in workflow["jobs"].values():
        yield from job.get("steps", [])


def _broken_copy(tmp_path: Path, old: str, new: str) -> Path:
    """ci.yml with one deliberate fault, alone in a .github/workflows of its own."""
    text = (WORKFLOWS / "ci.yml").read_text()
    broken = re.sub(old, new, text, count=1)
    assert broken != text
    target = tmp_path / ".github" / "workflows"
    target.mkdir(parents=True)
    (target / "ci.yml").write_text(broken)
    return target


@pytest.fixture
def without_runs_on(tmp_path: Path) -> Path:
    return _broken_copy(tmp_path, r"    runs-on: ubuntu-24\.04\n", "")


@pytest.fixture
def pinned_by_tag(tmp_path: Path) -> Path:
    return _broken_copy(tmp_path, r"actions/checkout@[0-9a-f]{40} # \S+", "actions/checkout@v4")


def test_both_workflows_exist():
    assert {f.name for f in FILES} >= {"ci.yml", "cd.yml"}


def test_workflows_match_the_github_schema():
    assert _schema_check(*FILES) == 0


def test_schema_check_fails_on_a_job_without_runs_on(without_runs_on: Path):
    assert _schema_check(without_runs_on / "ci.yml") != 0


def test_zizmor_has_no_medium_or_high_finding():
    findings = _zizmor_findings(WORKFLOWS)
    assert findings == [], [(f["ident"], f["desc"]) for f in findings]


def test_zizmor_flags_an_action_pinned_by_tag(pinned_by_tag: Path):
    findings = _zizmor_findings(pinned_by_tag)
    assert "unpinned-uses" in {f["ident"] for f in findings}


def test_pin_check_rejects_an_action_pinned_by_tag(pinned_by_tag: Path):
    uses = [s["uses"] for s in _steps(_load(pinned_by_tag / "ci.yml")) if "uses" in s]
    assert not all(PINNED.match(u) for u in uses)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_a_version_comment(path: Path):
    uses = [s["uses"] for s in _steps(_load(path)) if "uses" in s]
    assert uses, "a workflow without actions proves nothing"
    assert all(PINNED.match(u) for u in uses), uses
    lines = [line for line in path.read_text().splitlines() if "uses:" in line]
    assert all(PIN_COMMENT.search(line) for line in lines), lines


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege_and_no_persisted_credentials(path: Path):
    workflow = _load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} must say what it needs"
        assert "write-all" not in str(job["permissions"])
    checkouts = [s for s in _steps(workflow) if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts and all(s["with"]["persist-credentials"] is False for s in checkouts)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_expression_inside_run_scripts(path: Path):
    # Values reach scripts through env: only then can a branch name not inject shell.
    runs = [s["run"] for s in _steps(_load(path)) if "run" in s]
    assert runs and not [r for r in runs if "${{" in r]


def test_cd_plans_from_env_and_serializes_per_domain():
    cd = _load(WORKFLOWS / "cd.yml")
    on = cd.get("on") or cd.get(True)  # YAML 1.1 reads a bare `on` as True
    assert on["push"]["tags"] == ["v*"]
    plan = cd["jobs"]["plan"]["steps"][-1]
    assert "python3 -m ci plan" in plan["run"] and plan["env"]["REF"] == "${{ github.ref }}"
    deploy = cd["jobs"]["deploy"]
    assert deploy["concurrency"]["group"] == "cd-${{ needs.plan.outputs.domain }}"
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert "::notice" in deploy["steps"][0]["run"]
    assert "packages" not in deploy["permissions"]
