"""The MLflow server image from infra/mlflow, run with the arguments and env of its
manifest against the test PostgreSQL and S3: a run's artifact round-trips
through the server's artifact proxy into the bucket."""

from __future__ import annotations

import re
import subprocess
import time
import urllib.request
import uuid

import pytest
import yaml

from tests.containers import pods
from tests.containers.conftest import ROOT, TIMINGS, build_image
from tests.integration.services import free_port

MANIFEST = ROOT / "infra" / "mlflow" / "mlflow.yaml"
DB_PASSWORD = "container-test-password"  # pragma: allowlist secret (a throwaway test value)


def server_container() -> dict:
    documents = yaml.safe_load_all(MANIFEST.read_text())
    (deployment,) = [d for d in documents if d and d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def secret_value(ref: dict) -> str:
    """Test values for the secrets the manifest reads, by the key's meaning."""
    key = ref["secretKeyRef"]["key"]
    for suffix, value in (("DB_PASSWORD", DB_PASSWORD), ("ACCESS_KEY", pods.ACCESS_KEY),
                          ("SECRET_KEY", pods.SECRET_KEY)):  # fmt: skip
        if key.endswith(suffix):
            return value
    raise AssertionError(f"no test value for the secret key {key}")


def docker_run_server(container: dict, services, port: int) -> list[str]:
    env = {e["name"]: e.get("value") or secret_value(e["valueFrom"]) for e in container["env"]}
    env = {k: pods.local_url(v, services) if "://" in v else v for k, v in env.items()}
    args = []
    for arg in container["args"]:
        # The kubelet expands $(VAR) from the container's env.
        arg = re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], arg)
        if arg.startswith("--port="):
            arg = f"--port={port}"  # host networking: the host's free port, not 5000
        elif "://" in arg and ".svc.cluster.local" in arg:
            flag, _, url = arg.partition("=")
            arg = f"{flag}={pods.local_url(url, services)}"
        args.append(arg)
    cmd = ["docker", "run", "--detach", "--rm", "--network=host"]
    cmd += [f"--env={k}={v}" for k, v in env.items()]
    return [*cmd, container["image"], *args]


def artifacts_bucket(container: dict) -> str:
    (destination,) = [a for a in container["args"] if a.startswith("--artifacts-destination=")]
    return destination.partition("s3://")[2].split("/")[0]


@pytest.fixture(scope="module")
def server(docker_engine, services):
    container = server_container()
    TIMINGS["build mlflow server image"] = build_image(MANIFEST.parent, container["image"])
    services.s3.client().create_bucket(Bucket=artifacts_bucket(container))
    _database_user(services)
    port = free_port()
    started = subprocess.run(docker_run_server(container, services, port), capture_output=True,
                             text=True)  # fmt: skip
    assert started.returncode == 0, started.stderr
    container_id = started.stdout.strip()
    # The manifest's --allowed-hosts answers localhost, not 127.0.0.1.
    url = f"http://localhost:{port}"
    try:
        _wait_healthy(url, container_id)
        yield url, container, container_id
    finally:
        subprocess.run(["docker", "rm", "--force", container_id], capture_output=True)


def _database_user(services) -> None:
    """The manifest connects as `mlflow` (infra/postgres creates that user)."""
    import psycopg

    with psycopg.connect(services.postgres.url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'mlflow'").fetchone()
        if not exists:
            conn.execute(f"CREATE ROLE mlflow LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}'")


def _wait_healthy(url: str, container_id: str, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    logs = subprocess.run(["docker", "logs", container_id], capture_output=True, text=True)
    pytest.fail(f"mlflow server in its image never healthy:\n{(logs.stdout + logs.stderr)[-3000:]}")


def test_a_run_artifact_round_trips_through_the_proxy_into_s3(server, services, tmp_path):
    from mlflow import MlflowClient

    url, container, _ = server
    client = MlflowClient(url)
    experiment = client.create_experiment(f"container-{uuid.uuid4().hex[:8]}")
    run = client.create_run(experiment).info
    payload = f"round trip {uuid.uuid4()}"
    client.log_text(run.run_id, payload, "notes/hello.txt")

    downloaded = client.download_artifacts(run.run_id, "notes/hello.txt", str(tmp_path))

    with open(downloaded) as text:
        assert text.read() == payload
    listed = services.s3.client().list_objects_v2(Bucket=artifacts_bucket(container))
    keys = [item["Key"] for item in listed.get("Contents", [])]
    assert any(key.endswith(f"{run.run_id}/artifacts/notes/hello.txt") for key in keys), keys


def test_the_server_runs_as_a_non_root_user(server):
    container_id = server[2]
    uid = subprocess.run(
        ["docker", "exec", container_id, "id", "-u"], capture_output=True, text=True
    )
    assert uid.stdout.strip() not in ("", "0")
