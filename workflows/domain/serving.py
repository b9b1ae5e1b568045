"""The serving Deployment and Service of one domain, as Kubernetes manifests. Pure.

`model-<domain>` runs this project's serving app (`python -m workflows serve`,
the one `make serve` runs) in the pipeline's own image. The
pod serves a pinned version (`models:/<name>/<version>`), not the alias: a pod
restarted later then loads what the manifest says, never whatever the alias
points at by then, and putting the previous manifest back really puts the
previous model back. The alias it stands for is recorded in an annotation.
"""

from __future__ import annotations

import re

from workflows.domain.names import check_dns_label

PORT = 8080  # the scoring server's port in the pod
SERVICE_PORT = 80
CONTAINER_USER = 10001  # the image's non-root user (Dockerfile)
ANNOTATION_PREFIX = "mlflow.org"
_DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def serving_name(domain: str) -> str:
    name = f"model-{domain}"
    _check_label(name, "serving name")
    return name


def service_url(domain: str, namespace: str) -> str:
    return f"http://{serving_name(domain)}.{namespace}.svc.cluster.local:{SERVICE_PORT}"


def _check_label(value: str, what: str) -> None:
    # Service names are DNS-1035 labels: lowercase, start with a letter, <= 63 chars.
    if len(value) > 63 or not _DNS_LABEL.match(value):
        raise ValueError(f"{what} {value!r} is not a DNS label (a-z, 0-9, '-', <= 63 chars)")


def serving_manifests(
    *,
    model_name: str,
    version: str,
    domain: str,
    namespace: str,
    image: str,
    tracking_uri: str,
    replicas: int = 1,
) -> list[dict]:
    """A Deployment and a Service named `model-<domain>` serving `model_name` v`version`."""
    name = serving_name(domain)
    check_dns_label(namespace, "namespace")  # RFC 1123, unlike Service names
    if not image.strip():
        raise ValueError("image must not be empty")
    if not version.isdigit():
        raise ValueError(f"version must be a model version number, got {version!r}")
    if replicas < 0:
        raise ValueError(f"replicas must be >= 0, got {replicas}")
    model_uri = f"models:/{model_name}/{version}"
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": "model-serving",
    }
    ping = {"httpGet": {"path": "/ping", "port": "http"}}
    container = {
        "name": "model",
        "image": image,
        # The same app as `make serve` (workflows/serving/app.py), on this version fixed.
        "command": [
            *("python", "-m", "workflows", "serve", "--domain", domain),
            *("--model-version", version, "--host", "0.0.0.0", "--port", str(PORT)),
        ],
        "env": [
            {"name": "MLFLOW_TRACKING_URI", "value": tracking_uri},
            {"name": "MODEL_NAME", "value": model_name},
            # The root filesystem is read-only: caches and the model download go to /tmp.
            {"name": "HOME", "value": "/tmp"},
        ],
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        # Loading imports mlflow, pandas and sklearn and downloads the model:
        # the startup probe gives it up to 3 minutes before liveness applies.
        "startupProbe": {**ping, "periodSeconds": 5, "failureThreshold": 36},
        "readinessProbe": {**ping, "periodSeconds": 5, "failureThreshold": 2},
        "livenessProbe": {**ping, "periodSeconds": 10, "failureThreshold": 3},
        # Idle between requests: a small CPU share (it bursts when the node is
        # free); memory as measured for `mlflow models serve` of the demo model
        # (~460 MiB, the CLI's parent process and one uvicorn worker). One such
        # pod per domain stays after its run: the sandbox's resource sum
        # (tests/static/test_cluster_resources.py) counts them all.
        "resources": {
            "requests": {"cpu": "100m", "memory": "512Mi"},
            "limits": {"memory": "2Gi"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            # Old pods keep serving until a new one is ready: a model that never
            # comes up leaves the previous one answering.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
            },
            "revisionHistoryLimit": 3,
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        f"{ANNOTATION_PREFIX}/model-uri": model_uri,
                        f"{ANNOTATION_PREFIX}/alias": f"{model_name}@{domain}",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": False,  # the server needs no API access
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": CONTAINER_USER,
                        "runAsGroup": CONTAINER_USER,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "2Gi"}}],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": name},
            "ports": [
                {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }
    return [deployment, service]


# Fields the API server owns: applying them back would fail or pin stale values.
_SERVER_OWNED_ANNOTATIONS = (
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
)


def reapplicable(live: dict) -> dict:
    """A live Deployment as a manifest that puts exactly it back when applied.

    This is what `kubectl rollout undo` does, without needing to list
    ReplicaSets, which the deploy step's Role does not allow.
    """
    metadata = live["metadata"]
    annotations = {
        key: value
        for key, value in metadata.get("annotations", {}).items()
        if key not in _SERVER_OWNED_ANNOTATIONS
    }
    kept = {"name": metadata["name"], "namespace": metadata["namespace"]}
    if metadata.get("labels"):
        kept["labels"] = metadata["labels"]
    if annotations:
        kept["annotations"] = annotations
    return {
        "apiVersion": live["apiVersion"],
        "kind": live["kind"],
        "metadata": kept,
        "spec": live["spec"],
    }
