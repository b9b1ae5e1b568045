"""The serving manifests: names, the pinned model, probes and a non-root pod, for any domain."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.serving import (
    CONTAINER_USER,
    PORT,
    reapplicable,
    service_url,
    serving_manifests,
    serving_name,
)

labels = st.from_regex(r"[a-z]([-a-z0-9]{0,40}[a-z0-9])?", fullmatch=True)
model_names = st.text(
    st.characters(whitelist_categories=("Ll", "Lu", "Nd"), whitelist_characters="-_."),
    min_size=1,
    max_size=40,
)
versions = st.integers(1, 10_000).map(str)


def _manifests(**overrides):
    args = {
        "model_name": "a-model",
        "version": "3",
        "domain": "staging",
        "namespace": "project-staging",
        "image": "registry.local/project:abc1234",
        "tracking_uri": "http://mlflow.mlops.svc.cluster.local:5000",
    }
    return serving_manifests(**(args | overrides))


@given(domain=labels, namespace=labels, model_name=model_names, version=versions)
def test_deployment_and_service_share_the_domain_name(domain, namespace, model_name, version):
    deployment, service = _manifests(
        domain=domain, namespace=namespace, model_name=model_name, version=version
    )
    assert (deployment["kind"], service["kind"]) == ("Deployment", "Service")
    for resource in (deployment, service):
        assert resource["metadata"]["name"] == f"model-{domain}"
        assert resource["metadata"]["namespace"] == namespace
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert (
        service_url(domain, namespace) == f"http://model-{domain}.{namespace}.svc.cluster.local:80"
    )


@given(model_name=model_names, version=versions, domain=labels)
def test_the_pod_serves_the_pinned_version(model_name, version, domain):
    (deployment, _) = _manifests(model_name=model_name, version=version, domain=domain)
    template = deployment["spec"]["template"]
    (container,) = template["spec"]["containers"]
    command = container["command"]
    assert command[:4] == ["python", "-m", "workflows", "serve"]  # the app `make serve` runs
    assert command[command.index("--model-version") + 1] == version
    assert command[command.index("--domain") + 1] == domain
    assert command[command.index("--port") + 1] == str(PORT)
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MODEL_NAME"] == model_name
    annotations = template["metadata"]["annotations"]
    assert f"models:/{model_name}/{version}" in annotations.values()
    assert f"{model_name}@{domain}" in annotations.values()


def test_versions_differ_only_in_the_model_they_serve():
    """A new version changes the pod template (so it rolls out), and nothing else."""
    old, new = _manifests(version="3")[0], _manifests(version="4")[0]
    assert old["spec"]["template"] != new["spec"]["template"]
    assert old["spec"]["selector"] == new["spec"]["selector"]
    assert old["metadata"] == new["metadata"]


def test_pod_is_probed_bounded_and_not_root():
    (deployment, _) = _manifests()
    spec = deployment["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ping"
    assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == CONTAINER_USER != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.mlops.svc.cluster.local:5000"
    # The previous pods keep serving until a new one is ready.
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@given(
    domain=st.text(max_size=70).filter(
        lambda d: not re.fullmatch(r"[a-z]([-a-z0-9]*[a-z0-9])?", f"model-{d}") or len(d) > 57
    )
)
def test_a_domain_that_makes_no_dns_name_is_refused(domain):
    with pytest.raises(ValueError, match="DNS label"):
        serving_name(domain)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("namespace", "Bad_NS", "DNS label"),
        ("image", " ", "image"),
        ("version", "latest", "version"),
        ("replicas", -1, "replicas"),
    ],
)
def test_bad_arguments_are_refused(field, value, message):
    with pytest.raises(ValueError, match=message):
        _manifests(**{field: value})


def test_a_live_deployment_becomes_a_manifest_that_puts_it_back():
    (deployment, _) = _manifests()
    live = {
        **deployment,
        "metadata": {
            **deployment["metadata"],
            "uid": "1234",
            "resourceVersion": "99",
            "generation": 4,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "kubectl"}],
            "annotations": {
                "deployment.kubernetes.io/revision": "4",
                "kubectl.kubernetes.io/last-applied-configuration": "{}",
                "team": "risk",
            },
        },
        "status": {"replicas": 1},
    }
    again = reapplicable(live)
    assert again["spec"] == deployment["spec"]
    assert again["metadata"] == {**deployment["metadata"], "annotations": {"team": "risk"}}
    assert "status" not in again
