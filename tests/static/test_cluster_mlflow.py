"""The MLflow UI works through the sandbox's ingress: host and origin are allowed.

mlflow 3's security middleware (mlflow/server/security.py, security_utils.py)
answers 403 to a request whose Host header is not in --allowed-hosts, and to
a POST/PUT/PATCH/DELETE to the API whose Origin is neither localhost nor in
--cors-allowed-origins. The UI lists experiments and runs by POST from the
page's own origin, http://<ingress host>:<k3d's port for Traefik>. So:

- cross-reference: the host of the Ingress to the `mlflow` Service, on the
  port k3d maps to Traefik's, passes both of the server's checks, judged by
  mlflow's own functions with the flags the Deployment passes; so does every
  in-cluster tracking URI the sandbox hands out; a foreign origin does not;
- running: the locked `mlflow server`, started on loopback with the
  Deployment's own flags and plain environment, answers a UI-style POST that
  carries the ingress's Host and Origin with 200, and a foreign Origin with 403.
"""

from __future__ import annotations

import copy
import http.client
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from mlflow.server.security_utils import is_allowed_host_header, should_block_cors_request

from tests.integration.services import _spawn, _wait_until, free_port, stop_group
from tests.static.cluster.support import applied, k3d_config, of_kind

RESOURCES = applied()
SEARCH = "/ajax-api/2.0/mlflow/experiments/search"  # what the UI's experiment list posts
FOREIGN = "http://attacker.example"


def mlflow_deployment(resources: list[dict]) -> dict:
    (found,) = [r for r in of_kind(resources, "Deployment") if r["metadata"]["name"] == "mlflow"]
    return found


def server_flags(resources: list[dict]) -> dict[str, str]:
    """{flag: value} of the mlflow container's `--flag=value` arguments."""
    (container,) = mlflow_deployment(resources)["spec"]["template"]["spec"]["containers"]
    return dict(arg.removeprefix("--").split("=", 1) for arg in container["args"] if "=" in arg)


def split(flag: str | None) -> list[str]:
    # mlflow splits the flags' values on "," and strips each (security_utils.py).
    return [part.strip() for part in flag.split(",")] if flag else []


def ingress_addresses(resources: list[dict]) -> list[str]:
    """host:port a browser reaches each MLflow Ingress rule at (k3d maps a laptop
    port to the load balancer's port 80, where Traefik listens)."""
    ports = [
        p["port"].rsplit(":", 2)
        for p in k3d_config()["ports"]
        if "loadbalancer" in p.get("nodeFilters", [])
    ]
    (laptop_port,) = [host_port for *_, host_port, node_port in ports if node_port == "80"]
    return [
        f"{rule['host']}:{laptop_port}"
        for ingress in of_kind(resources, "Ingress")
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
        if path["backend"]["service"]["name"] == "mlflow"
    ]


def tracking_addresses(resources: list[dict]) -> list[str]:
    """host:port of every MLFLOW_TRACKING_URI the sandbox gives its pods."""
    (chart,) = [
        r for r in of_kind(resources, "HelmChart") if r["metadata"]["name"] == "flyte-binary"
    ]
    values = yaml.safe_load(chart["spec"]["valuesContent"])
    env = values["configuration"]["inline"]["plugins"]["k8s"]["default-env-vars"]
    uris = [e["MLFLOW_TRACKING_URI"] for e in env if "MLFLOW_TRACKING_URI" in e]
    return [urlsplit(uri).netloc for uri in uris]


def ingress_problems(resources: list[dict]) -> list[str]:
    flags = server_flags(resources)
    hosts, origins = split(flags.get("allowed-hosts")), split(flags.get("cors-allowed-origins"))
    problems = []
    addresses = ingress_addresses(resources)
    if not addresses:
        problems.append("no Ingress routes to the mlflow Service")
    for address in addresses:
        if not is_allowed_host_header(hosts, address):
            problems.append(f"Host {address}: not in --allowed-hosts {hosts}")
        if should_block_cors_request(f"http://{address}", "POST", origins):
            problems.append(
                f"Origin http://{address}: POST refused, --cors-allowed-origins {origins}"
            )
    for address in tracking_addresses(resources):
        if not is_allowed_host_header(hosts, address):
            problems.append(f"tracking URI host {address}: not in --allowed-hosts {hosts}")
    if not should_block_cors_request(FOREIGN, "POST", origins):
        problems.append(f"a POST from {FOREIGN} is allowed: the CORS guard is off")
    return problems


def test_the_ingress_host_passes_the_servers_host_and_origin_checks():
    assert ingress_problems(RESOURCES) == []


def _without_cors(args: list[str]) -> list[str]:
    return [a for a in args if not a.startswith("--cors-allowed-origins=")]


@pytest.mark.parametrize(
    ("break_it", "named"),
    [
        (_without_cors, "Origin http://mlflow.localhost:8080: POST refused"),
        (
            lambda args: [a.replace("mlflow.localhost:*,", "") for a in args],
            "Host mlflow.localhost",
        ),
        (lambda args: [*_without_cors(args), "--cors-allowed-origins=*"], "CORS guard is off"),
    ],
)
def test_a_server_flag_that_misses_the_ingress_is_caught(break_it, named):
    broken = copy.deepcopy(RESOURCES)
    (container,) = mlflow_deployment(broken)["spec"]["template"]["spec"]["containers"]
    container["args"] = break_it(container["args"])
    problems = ingress_problems(broken)
    assert any(named in p for p in problems), problems


def test_an_ingress_host_the_server_does_not_know_is_caught():
    broken = copy.deepcopy(RESOURCES)
    (ingress,) = [i for i in of_kind(broken, "Ingress") if i["metadata"]["name"] == "mlflow"]
    ingress["spec"]["rules"][0]["host"] = "tracking.localhost"
    problems = ingress_problems(broken)
    assert any("Host tracking.localhost:8080" in p for p in problems)
    assert any("Origin http://tracking.localhost:8080" in p for p in problems)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> str:
    """The locked `mlflow server` with the Deployment's flags, stores made local."""
    tmp = tmp_path_factory.mktemp("mlflow")
    (container,) = mlflow_deployment(RESOURCES)["spec"]["template"]["spec"]["containers"]
    port = free_port()
    local = {
        "host": "127.0.0.1",
        "port": str(port),
        "backend-store-uri": f"sqlite:///{tmp / 'mlflow.db'}",
        "artifacts-destination": str(tmp / "artifacts"),
    }
    args = [
        f"--{flag}={local.get(flag, value)}" if "=" in arg else arg
        for arg in container["args"]
        for flag, _, value in [arg.removeprefix("--").partition("=")]
    ]
    assert {"--host=127.0.0.1", f"--port={port}"} <= set(args)
    env = {**os.environ, **{e["name"]: e["value"] for e in container["env"] if "value" in e}}
    for name in ("MLFLOW_S3_ENDPOINT_URL", "AWS_DEFAULT_REGION"):
        env.pop(name, None)  # the MinIO side of the Deployment: not needed on loopback
    mlflow = Path(sys.executable).parent / "mlflow"
    log = tmp / "server.log"
    pid = _spawn([str(mlflow), "server", *args], log, env)
    try:
        _wait_until(
            lambda: _status("GET", port, "/health", {"Host": f"127.0.0.1:{port}"}) == 200,
            120, "mlflow server", log,
        )  # fmt: skip
        yield port
    finally:
        stop_group(pid)


def _status(method: str, port: int, path: str, headers: dict[str, str], body: str = "") -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=True)
        for name, value in {**headers, "Content-Type": "application/json"}.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body.encode())
        return connection.getresponse().status
    finally:
        connection.close()


def ui_search(port: int, address: str, origin: str) -> int:
    body = json.dumps({"max_results": 10})
    return _status("POST", port, SEARCH, {"Host": address, "Origin": origin}, body)


def test_the_ui_lists_experiments_through_the_ingress(server):
    (address,) = ingress_addresses(RESOURCES)
    assert ui_search(server, address, f"http://{address}") == 200


def test_a_foreign_origin_is_still_refused(server):
    (address,) = ingress_addresses(RESOURCES)
    assert ui_search(server, address, FOREIGN) == 403
