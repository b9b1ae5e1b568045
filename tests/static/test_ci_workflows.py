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
from tests.static.ci_steps import (
    GITHUB_EXPRESSION,
    ReleaseRepo,
    clone_at,
    make_release_repo,
    run_script,
    substitute,
)

FILES = sorted(WORKFLOWS.glob("*.yml"))
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
    # 1: the file breaks the schema; other codes mean check-jsonschema itself failed.
    assert _schema_check(without_runs_on / "ci.yml") == 1


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


# --- the plan step, run as written ---------------------------------------------------

# GitHub's `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`.
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


@pytest.fixture(scope="module")
def release_repo(tmp_path_factory) -> ReleaseRepo:
    return make_release_repo(tmp_path_factory.mktemp("pushed"))


def _run_cd_step(job: str, step_id: str, ref: str, sha: str, checkout: Path):
    """cd.yml's step with GitHub's values put in, in a checkout at `sha`; its outputs."""
    cd = _load(WORKFLOWS / "cd.yml")
    steps = cd["jobs"][job]["steps"]
    (step,) = [s for s in steps if step_id in (s.get("id"), s.get("name", "").split(";")[0])]
    values = {
        "github.ref": ref, "github.sha": sha, "github.repository": "Owner/Repo",
        "secrets.FLYTE_ENDPOINT": "flyte.example.com:443", "secrets.FLYTE_CLIENT_ID": "",
        "secrets.FLYTE_CLIENT_SECRET": "", "vars.FLYTE_CONSOLE_URL": "",
    }  # fmt: skip
    env = {**cd.get("env", {}), **cd["jobs"][job].get("env", {}), **step.get("env", {})}
    env = {k: substitute(str(v), GITHUB_EXPRESSION, values) for k, v in env.items()}
    outputs = checkout.parent / f"{checkout.name}-github-output"
    outputs.write_text("")
    done = run_script(step["run"], checkout, {**env, "GITHUB_OUTPUT": str(outputs)}, GITHUB_BASH)
    lines = outputs.read_text().splitlines()
    return done, dict(line.split("=", 1) for line in lines)


def test_cd_refuses_a_release_tag_on_a_branch_off_main(release_repo, tmp_path):
    checkout = clone_at(release_repo.path, tmp_path / "checkout", release_repo.off_main)
    ref, sha = "refs/tags/v9.9.9", release_repo.off_main

    planned, outputs = _run_cd_step("plan", "plan", ref, sha, checkout)
    assert planned.returncode == 1, planned.stderr
    assert outputs["allowed"] == "false" and "not on main" in outputs["reason"]
    assert "refused" in planned.stderr

    # Even run by itself, the deploy job refuses before building anything.
    delivered, _ = _run_cd_step("deploy", "Package, register and launch", ref, sha, checkout)
    assert delivered.returncode == 1, delivered.stdout + delivered.stderr
    assert "not on main" in delivered.stderr
    assert not (checkout / "build").exists()


def test_cd_sends_a_release_tag_on_main_to_production(release_repo, tmp_path):
    checkout = clone_at(release_repo.path, tmp_path / "checkout", release_repo.on_main)
    done, outputs = _run_cd_step("plan", "plan", "refs/tags/v1.0.0", release_repo.on_main, checkout)
    assert done.returncode == 0, done.stderr
    assert (outputs["allowed"], outputs["domain"], outputs["version"]) == (
        "true", "production", "v1.0.0",
    )  # fmt: skip
    assert outputs["image"] == f"ghcr.io/owner/repo:{release_repo.on_main}"
