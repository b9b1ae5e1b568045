"""The sandbox's parts name each other correctly: checked across documents.

Shapes are checked elsewhere; here, what one document names must exist in
another: Service selectors and ports, Ingress backends, Secrets and their
keys (made by the manifests or by `make sandbox` itself), the webhook URL
Gitea is given, the WorkflowTemplate's parameter references, the images, and
the stages `make sandbox` applies. Each check also runs on a broken copy.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from urllib.parse import urlsplit

import pytest
import yaml

from tests.static.cluster.crossrefs import (
    ingress_problems,
    secret_problems,
    secret_references,
    service_problems,
    template_reference_problems,
)
from tests.static.cluster.support import (
    APPLIED_STAGES,
    ROOT,
    applied,
    container_images,
    image_problem,
    k3d_config,
    name_of,
    of_kind,
    own_images,
    sandbox_lib,
)
from tests.static.test_cluster_images import all_images
from workflows import identity

RESOURCES = applied()
(TEMPLATE,) = of_kind(RESOURCES, "WorkflowTemplate")


def test_services_select_pods_and_target_their_ports():
    assert service_problems(RESOURCES) == []


def test_a_service_selecting_nothing_is_caught():
    broken = copy.deepcopy(RESOURCES)
    (service,) = [s for s in of_kind(broken, "Service") if s["metadata"]["name"] == "mlflow"]
    service["spec"]["selector"] = {"app.kubernetes.io/name": "mlflw"}
    (postgres,) = [s for s in of_kind(broken, "Service") if s["metadata"]["name"] == "postgres"]
    postgres["spec"]["ports"][0]["targetPort"] = "pg"
    problems = service_problems(broken)
    assert len(problems) == 2 and "mlflw" in problems[0] + problems[1]


def test_ingress_backends_are_services_with_that_port():
    assert ingress_problems(RESOURCES) == []


def test_an_ingress_to_a_missing_port_is_caught():
    broken = copy.deepcopy(RESOURCES)
    ingress = of_kind(broken, "Ingress")[0]
    ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"] = {"name": "web"}
    assert ingress_problems(broken)


def all_secret_references(resources: list[dict]) -> list[tuple]:
    references = []
    for resource in resources:
        namespace = resource["metadata"].get("namespace")
        references += secret_references(resource, namespace, name_of(resource))
    # Secrets named inside flyte-binary's values: its own config Secret, and
    # the one every task pod loads in each domain namespace.
    (chart,) = [
        r for r in of_kind(resources, "HelmChart") if r["metadata"]["name"] == "flyte-binary"
    ]
    values = yaml.safe_load(chart["spec"]["valuesContent"])
    references.append(
        ("flyte-binary inlineSecretRef", "flyte", values["configuration"]["inlineSecretRef"], None)
    )
    for domain in ("development", "staging", "production"):
        namespace = f"{identity.FLYTE_PROJECT}-{domain}"
        for name in values["configuration"]["inline"]["plugins"]["k8s"]["default-env-from-secrets"]:
            references.append((f"flyte task pods in {namespace}", namespace, name, None))
    return references


def test_every_secret_reference_is_made_by_make_sandbox(sandbox_run):
    references = all_secret_references(RESOURCES)
    assert len(references) >= 10
    assert secret_problems(references, sandbox_run.secrets()) == []


def test_a_reference_to_a_missing_key_is_caught(sandbox_run):
    secrets = copy.deepcopy(sandbox_run.secrets())
    del secrets["mlops/postgres-credentials"]["MLFLOW_DB_PASSWORD"]
    problems = secret_problems(all_secret_references(RESOURCES), secrets)
    assert problems and all("MLFLOW_DB_PASSWORD" in p for p in problems)


def test_the_webhook_gitea_is_given_reaches_the_event_source(sandbox_run):
    (hook,) = sandbox_run.hooks()
    url = urlsplit(hook["config"]["url"])
    (source,) = of_kind(RESOURCES, "EventSource")
    # Argo Events names the EventSource's Service <name>-eventsource-svc.
    service = f"{source['metadata']['name']}-eventsource-svc.{source['metadata']['namespace']}"
    assert url.hostname == f"{service}.svc.cluster.local"
    ports = {p["port"] for p in source["spec"]["service"]["ports"]}
    (webhook,) = source["spec"]["webhook"].values()
    assert url.port in ports and str(url.port) == webhook["port"]
    assert url.path == webhook["endpoint"] and webhook["method"] == "POST"
    assert hook["events"] == ["push"] and hook["authorization_header"].startswith("Bearer ")
    # ... and Gitea may call it.
    (gitea,) = [d for d in of_kind(RESOURCES, "Deployment") if d["metadata"]["name"] == "gitea"]
    env = {
        e["name"]: e.get("value") for e in gitea["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    allowed = env["GITEA__webhook__ALLOWED_HOST_LIST"].split(",")
    assert any(fnmatch.fnmatch(url.hostname, pattern) for pattern in allowed)


def test_the_token_gitea_sends_is_the_one_the_event_source_checks(sandbox_run):
    (hook,) = sandbox_run.hooks()
    (source,) = of_kind(RESOURCES, "EventSource")
    (webhook,) = source["spec"]["webhook"].values()
    secret = sandbox_run.secrets()[f"argo/{webhook['authSecret']['name']}"]
    assert hook["authorization_header"] == f"Bearer {secret[webhook['authSecret']['key']]}"


def test_template_references_resolve():
    assert template_reference_problems(TEMPLATE) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("{{inputs.parameters.domain}}", "{{inputs.parameters.domian}}"),
        ("{{workflow.parameters.ref}}", "{{workflow.parameters.branch}}"),
        ("{{steps.plan.outputs.parameters.image}}", "{{steps.plan.outputs.parameters.img}}"),
        ("{{steps.image-exists.outputs.result}}", "{{steps.build-image.outputs.result}}"),
    ],
)
def test_a_dangling_template_reference_is_caught(old, new):
    text = json.dumps(TEMPLATE)
    assert old in text
    assert template_reference_problems(json.loads(text.replace(old, new, 1)))


def image_tags(images: list[str]) -> dict[str, set[str]]:
    tags: dict[str, set[str]] = {}
    for image in images:
        repository, _, tag = image.rpartition(":")
        tags.setdefault(repository, set()).add(tag)
    return tags


def test_every_image_is_pinned_at_one_version():
    images = all_images()
    assert [i for i in images if image_problem(i)] == []
    assert {r: t for r, t in image_tags(images).items() if len(t) > 1} == {}


def test_two_versions_of_one_image_are_caught():
    assert image_tags(["postgres:15.13-alpine", "postgres:15.12-alpine"])["postgres"] == {
        "15.13-alpine",
        "15.12-alpine",
    }


def test_own_images_are_listed_once_and_tagged_by_make_sandbox():
    registry = sandbox_lib("$CLUSTER_REGISTRY")
    placeholder = sandbox_lib("$OWN_IMAGE_PLACEHOLDER")
    listed = sandbox_lib("${OWN_IMAGES[*]}").split()
    assert len({entry.split("=")[0] for entry in listed}) == len(listed)
    ours = [i for i in container_images(RESOURCES) if i.startswith(f"{registry}/")]
    assert {i.rsplit("/", 1)[1] for i in ours} == {f"{n}:{placeholder}" for n in own_images()}
    for context in own_images().values():
        assert (ROOT / context / "Dockerfile").is_file()
    assert k3d_config()["registries"]["create"]["name"] == registry.split(":")[0]


def test_the_stages_make_sandbox_applies_are_the_ones_the_tests_check(sandbox_run):
    stages = [s["source"] for s in sandbox_run.applied() if not s["namespace"]]
    # Overlays only add image tags: build/sandbox/overlays/<stage> stands for <stage>.
    assert [re.sub(r"^build/sandbox/overlays/", "", s) for s in stages] == list(APPLIED_STAGES)
