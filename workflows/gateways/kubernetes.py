"""Roll out `model-<domain>` in the cluster, check it, and put the old one back on failure.

Only the apply is a side effect: the manifests come from
workflows.domain.serving. kubectl is the client (KUBECTL= names another
binary); inside a pod it uses the pod's service account, which the domain
namespace's `model-serving` Role (infra/flyte) allows to get, create, patch and
watch Deployments and Services there, and nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import TYPE_CHECKING

from workflows.domain.errors import PipelineError
from workflows.domain.serving import reapplicable, service_url, serving_manifests, serving_name
from workflows.gateways.deployer import HttpDeployer
from workflows.progress import note

if TYPE_CHECKING:
    import pandas as pd

    from workflows.gateways.registry import Registry
    from workflows.settings import Settings

# The startup probe allows 3 minutes; a rollout still not done after 5 has failed.
READY_TIMEOUT = 300


class RolloutError(PipelineError):
    """kubectl could not apply the serving manifests, or the rollout did not finish."""


class Kubectl:
    def __init__(self, namespace: str, binary: str | None = None):
        self.namespace = namespace
        self.binary = binary or os.environ.get("KUBECTL") or "kubectl"

    def _run(self, *args: str, stdin: str | None = None, timeout: float = 60) -> str:
        command = [self.binary, "--namespace", self.namespace, *args]
        try:
            done = subprocess.run(
                command, input=stdin, capture_output=True, text=True, timeout=timeout
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise RolloutError(f"{' '.join(command[:4])}: {err}") from None
        if done.returncode != 0:
            raise RolloutError(f"{' '.join(command[:4])} failed: {done.stderr.strip()[-2000:]}")
        return done.stdout

    def get_deployment(self, name: str) -> dict | None:
        found = self._run("get", "deployment", name, "--ignore-not-found", "-o", "json")
        return json.loads(found) if found.strip() else None

    def apply(self, resources: list[dict]) -> None:
        listed = {"apiVersion": "v1", "kind": "List", "items": resources}
        self._run("apply", "-f", "-", stdin=json.dumps(listed))

    def wait_rolled_out(self, name: str, timeout: int) -> None:
        self._run(
            "rollout", "status", f"deployment/{name}", f"--timeout={timeout}s",
            timeout=timeout + 30,
        )  # fmt: skip


class KubernetesDeployer:
    """Serve `version` as `model-<domain>` and prove it answers through its Service."""

    def __init__(
        self,
        settings: Settings,
        registry: Registry,
        version: str,
        kubectl: Kubectl | None = None,
        url: str | None = None,
        ready_timeout: int = READY_TIMEOUT,
    ):
        self.settings = settings
        self.registry = registry
        self.version = version
        self.kubectl = kubectl or Kubectl(settings.serving_namespace)
        self.url = url or service_url(settings.domain, settings.serving_namespace)
        self.ready_timeout = ready_timeout

    def _manifests(self, replicas: int = 1) -> list[dict]:
        return serving_manifests(
            model_name=self.settings.model_name,
            version=self.version,
            domain=self.settings.domain,
            namespace=self.settings.serving_namespace,
            image=self.settings.serving_image,
            tracking_uri=self.settings.tracking_uri,
            replicas=replicas,
        )

    def check(self, model_uri: str, rows: pd.DataFrame, expected: list[float]) -> str:
        pinned = f"models:/{self.settings.model_name}/{self.version}"
        # The pods load with MLFLOW_ALLOW_PICKLE_DESERIALIZATION: check the version
        # against our own allow-list before any pod gets to load it.
        self.registry.load_model(pinned)
        name = serving_name(self.settings.domain)
        previous = self.kubectl.get_deployment(name)
        try:
            self.kubectl.apply(self._manifests())
            note(f"applied {name} serving {pinned}; waiting for the rollout")
            self.kubectl.wait_rolled_out(name, self.ready_timeout)
            checked = HttpDeployer(self.url).check(model_uri, rows, expected)
        except Exception:
            self._roll_back(name, previous)
            raise
        return f"{checked}, rolled out {name} in {self.settings.serving_namespace}"

    def _roll_back(self, name: str, previous: dict | None) -> None:
        try:
            if previous is not None:
                self.kubectl.apply([reapplicable(previous)])
                note(f"{name}: previous Deployment put back")
            else:
                # Nothing served before: serve nothing rather than an unchecked model.
                # (Scaling to zero by apply: the Role allows patch, not deletion.)
                self.kubectl.apply(self._manifests(replicas=0)[:1])
                note(f"{name}: scaled to 0, nothing served before")
        except RolloutError as err:
            note(f"{name}: could not roll back ({err}); check it by hand")
