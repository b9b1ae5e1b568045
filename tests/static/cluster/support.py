"""Shared loading and strict validation for tests/static/test_cluster_*.py.

The sandbox's manifests are checked the way the cluster would read them:
kustomize output, not the source files, and unknown fields are errors
(Kubernetes 1.32 schemas, hera's Argo models made strict, and small JSON
schemas of our own for the CRDs no package describes).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
import typing
from functools import cache
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from pydantic import BaseModel, RootModel, ValidationError

from tests.tools import require_tool

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
SCHEMAS = HERE / "schemas"
PAYLOADS = HERE / "payloads"
MANIFEST_DIRS = ("infra", "argo", "k3d")
KUBERNETES_VERSION = "1.32"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """Path of a CLI tool: skipped locally when absent, a failure when CI=true."""
    return require_tool(
        name, "kubectl >= 1.31 builds the kustomizations (`make test-static` installs it)"
    )


def yaml_files() -> list[Path]:
    return sorted(
        p for d in MANIFEST_DIRS for p in (ROOT / d).rglob("*") if p.suffix in (".yaml", ".yml")
    )


def kustomizations() -> list[Path]:
    return sorted(p.parent for p in yaml_files() if p.name == "kustomization.yaml")


def load_documents(path: Path) -> list[dict]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


@cache
def _build(directory: Path) -> str:
    done = subprocess.run(
        [tool("kubectl"), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed: {done.stderr.strip()}")
    return done.stdout


def build(directory: Path) -> list[dict]:
    """The resources `kubectl apply -k directory` would send."""
    return [d for d in yaml.safe_load_all(_build(directory)) if d]


# The kustomizations `make sandbox` applies, in order (scripts/sandbox-up.sh;
# tests/static/test_cluster_crossrefs.py holds this list to the script's run).
APPLIED_STAGES = ("infra", "infra/flyte", "argo")


def applied() -> list[dict]:
    """Everything `make sandbox` applies from kustomizations: infra/, infra/flyte, argo/."""
    return [r for stage in APPLIED_STAGES for r in build(ROOT / stage)]


def of_kind(resources: list[dict], kind: str) -> list[dict]:
    return [r for r in resources if r.get("kind") == kind]


def name_of(resource: dict) -> str:
    meta = resource.get("metadata", {})
    return f"{resource.get('kind')}/{meta.get('namespace', '-')}/{meta.get('name')}"


# --- JSON schemas of our own -------------------------------------------------


@cache
def schema(name: str) -> Draft202012Validator:
    data = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(data)
    return Draft202012Validator(data)


def schema_errors(name: str, document: dict) -> list[str]:
    errors = sorted(schema(name).iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


# --- pydantic models made strict ----------------------------------------------


def strict_errors(model: type[BaseModel], data: object, path: str = "") -> list[str]:
    """Unknown keys anywhere under `data`, then pydantic's strict type check.

    hera's generated models accept (and drop) unknown fields, so a misspelt
    key would pass model_validate silently; this walk names every such key.
    """
    errors = _unknown_keys(model, data, path or model.__name__)
    if errors:
        return errors
    try:
        model.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as err:
        return [
            f"{path or model.__name__}.{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in err.errors()
        ]
    return []


def _unknown_keys(model: type[BaseModel], data: object, path: str) -> list[str]:
    if issubclass(model, RootModel):
        return _check_type(model.model_fields["root"].annotation, data, path)
    if not isinstance(data, dict):
        return []  # the strict type check reports the wrong type
    fields = {(f.alias or n): f for n, f in model.model_fields.items()}
    errors = []
    for key, value in data.items():
        field = fields.get(key)
        if field is None:
            errors.append(f"{path}: unknown field {key!r}")
        else:
            errors += _check_type(field.annotation, value, f"{path}.{key}")
    return errors


def _check_type(annotation: object, value: object, path: str) -> list[str]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _check_type(args[0], value, path)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        results = [_check_type(a, value, path) for a in options]
        return [] if any(not r for r in results) else min(results, key=len)
    if origin is list and isinstance(value, list):
        items = enumerate(value)
        return [e for i, item in items for e in _check_type(args[0], item, f"{path}[{i}]")]
    if origin is dict and isinstance(value, dict):
        return [e for k, v in value.items() for e in _check_type(args[1], v, f"{path}[{k}]")]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _unknown_keys(annotation, value, path)
    return []


# --- scripts/sandbox-lib.sh, the sandbox's names ------------------------------


@cache
def sandbox_lib(expression: str) -> str:
    """A value of scripts/sandbox-lib.sh, as bash sees it after sourcing the file."""
    done = subprocess.run(
        ["bash", "-c", f'source scripts/sandbox-lib.sh && printf "%s" "{expression}"'],
        cwd=ROOT, capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    if done.returncode != 0:
        raise AssertionError(f"sourcing scripts/sandbox-lib.sh failed: {done.stderr}")
    return done.stdout


def k3d_config() -> dict:
    """k3d/sandbox.yaml as k3d reads it: environment variables expanded the way
    Go's os.ExpandEnv does (unset is empty), with sandbox-lib.sh's defaults."""
    env = {"SANDBOX_REGISTRY_PORT": sandbox_lib("$SANDBOX_REGISTRY_PORT")}
    text = re.sub(
        r"\$\{(\w+)\}|\$(\w+)",
        lambda m: env.get(m.group(1) or m.group(2), ""),
        (ROOT / "k3d" / "sandbox.yaml").read_text(),
    )
    return yaml.safe_load(text)


def own_images() -> dict[str, str]:
    """{image name: build context} of the images `make sandbox` builds itself."""
    listed = sandbox_lib("${OWN_IMAGES[*]}").split()
    return dict(entry.split("=", 1) for entry in listed)


# --- images ----------------------------------------------------------------------


def container_images(node: object) -> list[str]:
    """Every `image:` string in a resource, HelmChart values and Argo templates included."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                found.append(value)
            elif key == "valuesContent" and isinstance(value, str):
                found += chart_images(yaml.safe_load(value) or {})
            else:
                found += container_images(value)
    elif isinstance(node, list):
        for item in node:
            found += container_images(item)
    return found


def chart_images(values: object) -> list[str]:
    """Helm values spell images as {repository, tag} (or a plain string)."""
    found: list[str] = []
    if isinstance(values, dict):
        image = values.get("image")
        if isinstance(image, dict) and "repository" in image:
            found.append(f"{image['repository']}:{image.get('tag', '')}")
        elif isinstance(image, str):
            found.append(image)
        for key, value in values.items():
            if key != "image":
                found += chart_images(value)
    elif isinstance(values, list):
        for item in values:
            found += chart_images(item)
    return found


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, or None when it is."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    if digest:
        return None if digest.startswith("sha256:") else f"{image}: malformed digest"
    if ":" not in last:
        return f"{image}: no tag (means latest)"
    tag = last.split(":", 1)[1]
    if not tag or tag == "latest":
        return f"{image}: tag {tag!r} is not a pinned version"
    return None


# --- one entry point: how the cluster would judge a resource -----------------

# Custom resources no Kubernetes schema covers, and what checks them instead.
OWN_SCHEMAS = {
    ("helm.cattle.io/v1", "HelmChart"): "helmchart",
    ("argoproj.io/v1alpha1", "EventBus"): "eventbus",
    ("argoproj.io/v1alpha1", "EventSource"): "eventsource",
    ("argoproj.io/v1alpha1", "Sensor"): "sensor",
}


def argo_model(kind: str) -> type[BaseModel]:
    from hera.workflows import models

    return {"WorkflowTemplate": models.WorkflowTemplate, "Workflow": models.Workflow}[kind]


def validation_errors(resource: dict) -> list[str]:
    """Strict validation of one resource; [] when the cluster would take it as is."""
    import kubernetes_validate

    key = (resource.get("apiVersion"), resource.get("kind"))
    if key in OWN_SCHEMAS:
        return schema_errors(OWN_SCHEMAS[key], resource)
    if key[0] == "argoproj.io/v1alpha1" and key[1] in ("WorkflowTemplate", "Workflow"):
        return strict_errors(argo_model(key[1]), resource)
    try:
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError as err:
        return [f"no schema checks {key}: {err.message}"]
    except kubernetes_validate.ValidationError as err:
        where = "/".join(map(str, err.absolute_path)) or "<root>"
        return [f"{where}: {err.message}"]
    return []
