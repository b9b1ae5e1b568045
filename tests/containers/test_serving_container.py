"""The Deployment that serving_manifests() writes, run as its pod would run it: its
image, command, env, user and read-only root, answering on its probe path. The pod
runs the project's own app (`python -m workflows serve`, as `make serve` does), so
the answers, the 413 and the version header are the ones the local server gives."""

from __future__ import annotations

import io
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pandas as pd
import pytest

from tests.containers.conftest import registry_client, unpack
from tests.integration.services import free_port
from workflows import identity
from workflows.domain.serving import serving_manifests


def docker_run_pod(spec: dict, port: int) -> list[str]:
    """`docker run` of a one-container pod spec. Host networking shares the host's
    ports, so the container's port becomes `port`: the one change made to it."""
    (container,) = spec["containers"]
    security = {**spec.get("securityContext", {}), **container.get("securityContext", {})}
    command = list(container["command"])
    command[command.index("--port") + 1] = str(port)
    cmd = ["docker", "run", "--detach", "--rm", "--network=host"]
    cmd += [f"--user={security['runAsUser']}:{security['runAsGroup']}"]
    cmd += ["--read-only"] if security.get("readOnlyRootFilesystem") else []
    cmd += ["--cap-drop=ALL"] if "ALL" in security.get("capabilities", {}).get("drop", []) else []
    if security.get("allowPrivilegeEscalation") is False:
        cmd += ["--security-opt=no-new-privileges"]
    cmd += [f"--tmpfs={mount['mountPath']}" for mount in container.get("volumeMounts", [])]
    cmd += [f"--env={e['name']}={e['value']}" for e in container.get("env", [])]
    return [*cmd, f"--entrypoint={command[0]}", container["image"], *command[1:]]


def http(method: str, url: str, body: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def held_out_rows(execution, pod) -> pd.DataFrame:
    """The test split the workflow wrote to S3 (a parquet folder)."""
    uri = execution.outputs("prepare").literals["test"].scalar.structured_dataset.uri
    bucket, prefix = uri.removeprefix("s3://").split("/", 1)
    listed = pod.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    parts = [pod.s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read() for item in listed]
    return pd.concat(pd.read_parquet(io.BytesIO(part)) for part in parts)


@pytest.fixture(scope="module")
def served(execution, pipeline_image, services):
    deployment = unpack(execution.outputs("deploy").literals["o0"])
    manifest = serving_manifests(
        model_name=identity.MODEL_NAME, version=deployment["version"], domain="development",
        namespace=f"{identity.FLYTE_PROJECT}-development", image=pipeline_image,
        tracking_uri=services.mlflow.url,
    )[0]  # fmt: skip
    spec = manifest["spec"]["template"]["spec"]
    port = free_port()
    started = subprocess.run(docker_run_pod(spec, port), capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    container_id = started.stdout.strip()
    (container,) = spec["containers"]
    probe = container["startupProbe"]
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url + probe["httpGet"]["path"], probe, container_id)
        yield url, container_id, spec, f"models:/{identity.MODEL_NAME}/{deployment['version']}"
    finally:
        subprocess.run(["docker", "rm", "--force", container_id], capture_output=True)


def _wait_ready(url: str, probe: dict, container_id: str) -> None:
    deadline = time.monotonic() + probe["periodSeconds"] * probe["failureThreshold"]
    while time.monotonic() < deadline:
        try:
            if http("GET", url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(1)
    logs = subprocess.run(["docker", "logs", container_id], capture_output=True, text=True)
    pytest.fail(f"the model server never answered {url}:\n{(logs.stdout + logs.stderr)[-3000:]}")


def test_the_served_model_answers_as_the_model_in_process(served, execution, pod, services):
    """Parity rows: held-out rows, then the same with a value missing in each column
    the contract lets be missing, ints for floats and the columns reversed."""
    import mlflow

    from workflows.domain import missing
    from workflows.gateways.registry import Registry
    from workflows.settings import Settings

    url, _, _, model_uri = served
    mlflow.set_tracking_uri(services.mlflow.url)
    registry = Registry(Settings.from_env({"MLFLOW_TRACKING_URI": services.mlflow.url}))
    version = model_uri.rsplit("/", 1)[1]
    contract = registry.version_contract(version)
    model = registry.load_model(model_uri)
    rows = held_out_rows(execution, pod)[contract.feature_names].head(10).reset_index(drop=True)
    for index, feature in enumerate(contract.features):
        if feature.missing:
            rows.loc[index % len(rows), feature.name] = None
    rows = rows[list(reversed(rows.columns))]
    expected = model.predict(missing.model_rows(rows, contract))

    split = json.loads(rows.to_json(orient="split", index=False))
    status, answer = http(
        "POST", f"{url}/invocations", json.dumps({"dataframe_split": split}).encode()
    )

    assert status == 200, answer[:500]
    document = json.loads(answer)
    assert document["model_version"] == version
    served_rows = document["predictions"]
    assert [p["label"] for p in served_rows] == expected["label"].tolist()
    assert [p["probability"] for p in served_rows] == pytest.approx(
        expected["probability"].tolist(), abs=1e-9
    )


def test_a_body_over_the_limit_is_413_and_ping_names_the_version(served):
    url, _, _, model_uri = served
    request = urllib.request.Request(f"{url}/ping")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["MLflow-Model-Version"] == model_uri.rsplit("/", 1)[1]
    # 11 MB announced (the default limit is 10 MB): answered before one byte of it is sent.
    port = int(url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: pod\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (11 * 1024 * 1024)
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 413")


def test_a_malformed_request_gets_400(served):
    url = served[0]
    body = json.dumps({"dataframe_split": {"columns": ["no such column"], "data": [[1]]}})
    assert http("POST", f"{url}/invocations", body.encode())[0] == 400
    assert http("POST", f"{url}/invocations", b"not json")[0] == 400


def test_the_server_runs_as_the_user_its_pod_declares(served):
    _, container_id, spec, _ = served
    uid = subprocess.run(
        ["docker", "exec", container_id, "id", "-u"], capture_output=True, text=True
    ).stdout.strip()
    assert uid == str(spec["securityContext"]["runAsUser"]) != "0"


def test_registry_still_names_the_served_version(served, services):
    """The pod serves a pinned version number, the one @development points at."""
    model_uri = served[3]
    alias = registry_client(services).get_model_version_by_alias(identity.MODEL_NAME, "development")
    assert model_uri.endswith(f"/{alias.version}")
