"""Every service account that acts may do what it must, checked by simulation.

The grants come from what `make sandbox` really applies (its run against
stand-in tools, tests/static/cluster/sandbox_run.py) and from the pinned
flyte-binary chart's ClusterRole (vendored rules, cluster/upstream/). The
requests come from the parts themselves: the Sensor's trigger, Argo's
executor, Flyte's cluster-resource templates, and every kubectl call that
workflows.gateways.kubernetes.Kubectl makes, recorded from its own builders.
"""

from __future__ import annotations

import copy
import inspect
import json
import sys
from pathlib import Path

import pytest
import yaml

from ci.refs import DOMAINS
from tests.static.cluster.rbac import Authorizer, Request, creation_requests, kubectl_requests
from tests.static.cluster.support import HERE
from workflows import identity
from workflows.domain.serving import serving_manifests, serving_name
from workflows.gateways.kubernetes import Kubectl

FLYTE_RBAC = yaml.safe_load(
    (HERE / "upstream" / "flyte-binary-v1.16.8-clusterrole.yaml").read_text()
)
FLYTE = (FLYTE_RBAC["serviceAccount"]["namespace"], FLYTE_RBAC["serviceAccount"]["name"])
NAMESPACES = [f"{identity.FLYTE_PROJECT}-{domain}" for domain in DOMAINS]


def applied_resources(run) -> list[dict]:
    """Everything the run applied, with `kubectl -n NS apply -f` namespaces filled in."""
    resources = []
    for stage in run.applied():
        for resource in copy.deepcopy(stage["resources"]):
            if stage["namespace"] and resource["kind"] not in ("Namespace", "ClusterRole"):
                resource["metadata"].setdefault("namespace", stage["namespace"])
            resources.append(resource)
    return resources


def flyte_values(resources: list[dict]) -> dict:
    (chart,) = [
        r for r in resources if r["kind"] == "HelmChart" and r["metadata"]["name"] == "flyte-binary"
    ]
    return yaml.safe_load(chart["spec"]["valuesContent"])


def cluster_resource_templates(values: dict, namespace: str) -> list[dict]:
    inline = values.get("clusterResourceTemplates", {}).get("inline", {})
    return [
        yaml.safe_load(text.replace("{{ namespace }}", namespace))
        for _, text in sorted(inline.items())
    ]


def authorizer(resources: list[dict]) -> tuple[Authorizer, list[str]]:
    """Grants as the cluster would hold them; and what Flyte's sync is refused."""
    auth = Authorizer()
    auth.apply(resources)
    values = flyte_values(resources)
    auth.grant(FLYTE, None, FLYTE_RBAC["rules"] + (values.get("rbac", {}).get("extraRules") or []))
    refused = []
    for namespace in NAMESPACES:
        created = []
        for resource in cluster_resource_templates(values, namespace):
            lacking = [str(r) for r in creation_requests(resource) if not auth.allows(FLYTE, r)]
            if resource["kind"] == "Role":
                lacking += auth.covers(FLYTE, namespace, resource.get("rules", []))
            if resource["kind"] == "RoleBinding":
                ref = resource["roleRef"]
                roles = [
                    r
                    for r in created + resources
                    if r["kind"] == ref["kind"]
                    and r["metadata"]["name"] == ref["name"]
                    and r["metadata"].get("namespace") in (namespace, None)
                ]
                for role in roles[:1]:
                    lacking += auth.covers(FLYTE, namespace, role.get("rules", []))
            if lacking:
                refused.append(
                    f"{resource['kind']}/{resource['metadata']['name']} in {namespace}: {lacking}"
                )
            else:
                created.append(resource)
        auth.apply(created)
    return auth, refused


@pytest.fixture(scope="module")
def cluster(sandbox_run):
    resources = applied_resources(sandbox_run)
    auth, refused = authorizer(resources)
    return resources, auth, refused


def test_flytes_cluster_resource_templates_are_within_its_chart_role(cluster):
    _, _, refused = cluster
    assert refused == [], "flyte-binary's ClusterRole (chart v1.16.8) cannot create these"


def test_the_sensor_may_create_the_workflows_it_submits(cluster):
    resources, auth, _ = cluster
    (sensor,) = [r for r in resources if r["kind"] == "Sensor"]
    account = (sensor["metadata"]["namespace"], sensor["spec"]["template"]["serviceAccountName"])
    for trigger in sensor["spec"]["triggers"]:
        workflow = trigger["template"]["argoWorkflow"]["source"]["resource"]
        assert trigger["template"]["argoWorkflow"]["operation"] == "submit"
        request = Request("create", "argoproj.io", "workflows", workflow["metadata"]["namespace"])
        assert auth.allows(account, request), f"{account} may not {request}"


def test_the_cicd_steps_may_record_their_outputs(cluster):
    resources, auth, _ = cluster
    (template,) = [r for r in resources if r["kind"] == "WorkflowTemplate"]
    account = (template["metadata"]["namespace"], template["spec"]["serviceAccountName"])
    # Argo v4's executor stores each step's outputs as a WorkflowTaskResult.
    for verb in ("create", "patch"):
        request = Request(verb, "argoproj.io", "workflowtaskresults", account[0])
        assert auth.allows(account, request), f"{account} may not {request}"
    # The steps themselves talk to git, the registry and Flyte, not to Kubernetes.
    scripts = json.dumps(template["spec"]["templates"])
    assert "kubectl " not in scripts and "argo submit" not in scripts


RECORDER = f"""#!{sys.executable}
import json, os, sys
stdin = sys.stdin.read() if "-" in sys.argv else None
with open(os.environ["KUBECTL_RECORD"], "a") as out:
    out.write(json.dumps({{"argv": sys.argv[1:], "stdin": stdin}}) + "\\n")
"""


def deploy_kubectl_calls(tmp_path: Path, monkeypatch, namespace: str) -> list[dict]:
    """Call every public method of Kubectl with a recording binary: the code's own commands."""
    recorder = tmp_path / "kubectl"
    recorder.write_text(RECORDER)
    recorder.chmod(0o755)
    record = tmp_path / "calls.jsonl"
    monkeypatch.setenv("KUBECTL_RECORD", str(record))
    domain = namespace.rsplit("-", 1)[1]
    arguments = {
        "name": serving_name(domain),
        "timeout": 1,
        "resources": serving_manifests(
            model_name=identity.MODEL_NAME, version="1", domain=domain, namespace=namespace,
            image=f"{identity.IMAGE_REPOSITORY}:abc", tracking_uri="http://mlflow:5000",
        ),
    }  # fmt: skip
    kubectl = Kubectl(namespace, binary=str(recorder))
    methods = [m for n, m in inspect.getmembers(kubectl, inspect.ismethod) if not n.startswith("_")]
    for method in methods:
        parameters = inspect.signature(method).parameters
        unknown = set(parameters) - set(arguments)
        assert not unknown, f"Kubectl.{method.__name__}: no sample for {unknown}: add one"
        method(**{name: arguments[name] for name in parameters})
    return [json.loads(line) for line in record.read_text().splitlines()]


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_the_deploy_task_may_make_every_kubectl_call_it_makes(
    cluster, namespace, tmp_path, monkeypatch
):
    _, auth, _ = cluster
    calls = deploy_kubectl_calls(tmp_path, monkeypatch, namespace)
    assert len(calls) >= 3
    account = (namespace, "default")  # Flyte's task pods run as the namespace's default
    for call in calls:
        for request in kubectl_requests(call["argv"], call["stdin"], namespace):
            assert auth.allows(account, request), f"task pods in {namespace} may not {request}"


# --- the simulation catches what it claims to -------------------------------------------


def test_a_role_beyond_its_creator_is_refused(cluster):
    resources, _, _ = cluster
    broken = copy.deepcopy(resources)
    (chart,) = [
        r for r in broken if r["kind"] == "HelmChart" and r["metadata"]["name"] == "flyte-binary"
    ]
    values = yaml.safe_load(chart["spec"]["valuesContent"])
    values["clusterResourceTemplates"]["inline"]["009_role.yaml"] = (
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n"
        "  name: x\n  namespace: '{{ namespace }}'\n"
        "rules: [{apiGroups: [apps], resources: [deployments], verbs: [get]}]\n"
    )
    chart["spec"]["valuesContent"] = yaml.safe_dump(values)
    _, refused = authorizer(broken)
    assert len(refused) == len(NAMESPACES) and "roles" in refused[0]


def test_a_missing_serving_binding_is_caught(cluster, tmp_path, monkeypatch):
    resources, _, _ = cluster
    kept = [
        r
        for r in resources
        if not (r["kind"] == "RoleBinding" and r["metadata"]["name"] == "model-serving")
    ]
    auth, _ = authorizer(kept)
    for call in deploy_kubectl_calls(tmp_path, monkeypatch, NAMESPACES[0]):
        for request in kubectl_requests(call["argv"], call["stdin"], NAMESPACES[0]):
            assert not auth.allows((NAMESPACES[0], "default"), request)
