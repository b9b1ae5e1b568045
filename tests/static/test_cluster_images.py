"""Every image the sandbox runs is pinned, and MLflow matches the lock file.

Images are collected from the applied resources, from inside HelmChart
values and Argo templates, from the k3d config and from the Dockerfiles under
infra/: none may be untagged or `latest`.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.containers.bases import base_images
from tests.static.cluster.support import (
    ROOT,
    applied,
    container_images,
    image_problem,
    k3d_config,
    of_kind,
    own_images,
)

DOCKERFILES = sorted((ROOT / "infra").rglob("Dockerfile"))


def all_images() -> list[str]:
    images = container_images(applied()) + container_images(k3d_config())
    # Build stages' own names (`FROM tools`) are not images; `COPY --from=<image>` is.
    images += [i for path in DOCKERFILES for i in base_images(path)]
    return images


def locked_version(package: str) -> str:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    (version,) = {p["version"] for p in lock["package"] if p["name"] == package}
    return version


def test_images_are_found_everywhere_they_hide():
    images = all_images()
    # One from each hiding place: a plain manifest, chart values, an Argo
    # template, the k3d config, a Dockerfile.
    for expected in (
        "quay.io/minio/minio:",
        "cr.flyte.org/flyteorg/flyte-binary-release:",
        "ghcr.io/osscontainertools/kaniko:",
        "rancher/k3s:",
        "docker.io/library/python:",
    ):
        assert any(i.startswith(expected) for i in images), f"no image {expected}…"


@pytest.mark.parametrize("image", sorted(set(all_images())))
def test_image_is_pinned(image):
    assert image_problem(image) is None


@pytest.mark.parametrize(
    "image", ["postgres", "postgres:latest", "quay.io/minio/minio:", "localhost:5000/app"]
)
def test_unpinned_images_are_caught(image):
    assert image_problem(image) is not None


def test_pinned_forms_pass():
    assert image_problem("localhost:5000/app:1") is None
    assert image_problem("quay.io/x/y@sha256:" + "a" * 64) is None


def test_mlflow_server_runs_the_locked_mlflow():
    version = locked_version("mlflow")
    dockerfile = (ROOT / "infra" / "mlflow" / "Dockerfile").read_text()
    assert f"ARG MLFLOW_VERSION={version}\n" in dockerfile
    # ... and the Deployment runs the image `make sandbox` builds from that Dockerfile.
    (mlflow,) = [d for d in of_kind(applied(), "Deployment") if d["metadata"]["name"] == "mlflow"]
    image = mlflow["spec"]["template"]["spec"]["containers"][0]["image"]
    name = image.rsplit("/", 1)[1].split(":")[0]
    assert own_images()[name] == "infra/mlflow"


def test_mlflow_image_installs_exactly_what_the_server_needs():
    dockerfile = (ROOT / "infra" / "mlflow" / "Dockerfile").read_text()
    installed = re.findall(r'"([a-z0-9_.\[\]-]+)==', dockerfile)
    assert installed == ["mlflow", "psycopg[binary]", "boto3"]
    for package in ("psycopg", "boto3"):
        assert f"{package}" in dockerfile and locked_version(package) in dockerfile
