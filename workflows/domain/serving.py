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
from typing import TYPE_CHECKING

from workflows.domain.names import check_dns_label

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.contract import Contract

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


# Every contract kind (a date travels as its ISO text, as in the table).
_JSON_TYPES = {
    "numeric": "number",
    "categorical": "string",
    "boolean": "boolean",
    "datetime": "string",
}


def as_table_cells(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    """A request's rows as the cells of a table to score (what the contract's CSV
    reader gives, data.read_table), so a JSON body and a table give a row the same
    answer and the same refusal. JSON tells apart what a CSV cell cannot:

    - a text the contract reads as missing in a column (an empty cell always, and
      the feature's own `missing_values`) is missing, whatever the kind: `""` sent
      for a number, a category, a date or true/false is no value, as in the table;
    - a whole number in a categorical or datetime column is the text a CSV holds
      for it (4 and 4.0 -> "4", 20240301 -> "20240301", ISO 8601's basic date):
      JSON has one kind of number, the table keeps these columns as text.

    Every other value is left as it is, for validation to name (4.5 in a
    categorical column, 1709251200 in a datetime one). `frame` itself is not
    changed; it is returned as it is when no cell changes (no copy)."""
    import pandas as pd

    tokens = contract.missing_values()
    as_text = set(contract.of_kind("categorical") + contract.of_kind("datetime"))
    changed = {}
    for feature in contract.features:
        column = frame.get(feature.name)
        if column is None or column.ndim != 1:  # absent or named twice: validation says so
            continue
        text = feature.name in as_text
        kind = column.dtype.kind  # "O": Python objects, or pandas' text (str) dtype
        if kind != "O" and not (text and kind in "iuf"):
            continue  # numbers, true/false or timestamps only: no text, no code
        marks = tokens[feature.name]
        values = column.tolist()
        cells = [_cell(v, marks, text) for v in values]
        if any(c is not v for c, v in zip(cells, values, strict=True)):
            changed[feature.name] = pd.Series(cells, index=column.index, dtype=object)
    if not changed:
        return frame
    out = frame.copy()
    for name, column in changed.items():
        out[name] = column
    return out


def _cell(value, missing_marks: list[str], text: bool):
    """One value as a table cell holds it (as_table_cells); `value` itself when unchanged."""
    import numbers

    if type(value) is str:
        return None if value in missing_marks else value
    if not text or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    if isinstance(value, numbers.Integral) or float(value).is_integer():
        return str(int(value))
    return value


def answer_description(contract: Contract) -> str:
    """What POST /invocations answers for each row, by the contract's task."""
    from workflows.domain.model import output_columns

    columns = ", ".join(output_columns(contract.task, contract.labels))
    return f"{contract.task} model of {contract.target!r}: rows in; per row out: {columns}."


def request_schema(contract: Contract) -> dict:
    """The OpenAPI requestBody of POST /invocations: MLflow's `dataframe_records`
    and `dataframe_split`, each column with its kind and whether it may be missing."""
    columns = {}
    for feature in contract.features:
        kind = {"type": _JSON_TYPES[feature.kind]}
        may = "may be missing (null)" if feature.missing else "never missing"
        columns[feature.name] = {
            **({"anyOf": [kind, {"type": "null"}]} if feature.missing else kind),
            "description": f"{feature.kind}; {may}",
        }
    names = contract.feature_names
    records = {
        "type": "array",
        "items": {"type": "object", "properties": columns, "required": names},
    }
    split = {
        "type": "object",
        "properties": {
            "columns": {"type": "array", "items": {"type": "string", "enum": names}},
            "data": {
                "type": "array",
                "items": {"type": "array", "prefixItems": list(columns.values())},
            },
        },
        "required": ["columns", "data"],
    }
    body = {
        "oneOf": [
            {
                "type": "object",
                "properties": {"dataframe_records": records},
                "required": ["dataframe_records"],
            },
            {
                "type": "object",
                "properties": {"dataframe_split": split},
                "required": ["dataframe_split"],
            },
        ]
    }
    return {"required": True, "content": {"application/json": {"schema": body}}}
