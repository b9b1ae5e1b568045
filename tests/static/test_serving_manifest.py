"""The serving manifests the deploy step applies validate strictly, like infra/ (k8s 1.32)."""

from __future__ import annotations

import pytest

from tests.static.cluster.support import ROOT, load_documents, validation_errors
from workflows import identity
from workflows.domain.environments import DOMAINS
from workflows.domain.serving import serving_manifests


def _manifests(domain: str) -> list[dict]:
    return serving_manifests(
        model_name=identity.MODEL_NAME,
        version="12",
        domain=domain,
        namespace=f"{identity.FLYTE_PROJECT}-{domain}",
        image=f"{identity.IMAGE_REPOSITORY}:0123456789ab",
        tracking_uri="http://mlflow.mlops.svc.cluster.local:5000",
    )


@pytest.mark.parametrize("domain", DOMAINS)
def test_serving_manifests_validate_strictly(domain):
    for resource in _manifests(domain):
        assert validation_errors(resource) == [], resource["kind"]


def test_the_check_catches_a_misspelled_field():
    deployment, _ = _manifests("development")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert validation_errors(deployment)


def test_the_role_lets_the_deploy_step_apply_them():
    """make sandbox gives each domain namespace this Role: it must cover what is applied.
    (tests/static/test_cluster_rbac.py checks it call by call, from Kubectl's own commands.)"""
    resources = load_documents(ROOT / "infra" / "domains" / "model-serving-rbac.yaml")
    (role,) = [r for r in resources if r["kind"] == "Role"]
    allowed = {
        (group, resource): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }
    # kubectl apply: get, create or patch; rollout status: get + watch.
    assert {"get", "create", "patch", "watch"} <= allowed[("apps", "deployments")]
    assert {"get", "create", "patch"} <= allowed[("", "services")]
