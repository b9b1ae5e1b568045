"""What the cluster gives a container, read from the repository's own manifests and
pointed at the test services (tests/integration/services.py) instead of the
cluster's: task pods' environment from the Flyte values in infra/flyte/, the
secrets' keys from scripts/sandbox-up.sh, which creates them.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tests.containers.propeller import HarnessError
from tests.integration.services import ACCESS_KEY, HOST, SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]
FLYTE_VALUES = ROOT / "infra" / "flyte" / "flyte-binary.yaml"
SANDBOX_UP = ROOT / "scripts" / "sandbox-up.sh"


def flyte_k8s_plugin() -> dict:
    chart = yaml.safe_load(FLYTE_VALUES.read_text())
    values = yaml.safe_load(chart["spec"]["valuesContent"])
    return values["configuration"]["inline"]["plugins"]["k8s"]


def default_env_vars() -> dict[str, str]:
    """`default-env-vars` as Flyte reads it: a map, or a list of one-entry maps."""
    raw = flyte_k8s_plugin().get("default-env-vars") or {}
    items = raw if isinstance(raw, list) else [raw]
    return {str(k): str(v) for item in items for k, v in item.items()}


def secret_keys(secret: str) -> list[str]:
    """The keys scripts/sandbox-up.sh puts into `secret` (its --from-literal names)."""
    text = SANDBOX_UP.read_text()
    literals = r"((?:\s*\\\n\s*--from-literal\S+)+)"
    match = re.search(rf"apply_secret\s+\S+\s+{re.escape(secret)}{literals}", text)
    if not match:
        raise HarnessError(f"{SANDBOX_UP.name} does not create the secret {secret!r}")
    return re.findall(r"--from-literal=\"?(\w+)=", match.group(1))


def local_url(url: str, services) -> str:
    """A cluster service URL -> the same URL on the test service with the same role
    (by the service's name); scheme, credentials and path are kept."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    by_name = {
        "mlflow": services.mlflow.url,
        "minio": services.s3.endpoint,
        "postgres": f"postgresql://{HOST}:{services.postgres.port}",
    }
    if not host.endswith(".svc.cluster.local") or host.split(".")[0] not in by_name:
        raise HarnessError(f"no test service stands in for {url}")
    local = urlsplit(by_name[host.split(".")[0]]).netloc
    credentials = parts.netloc.rpartition("@")[0]
    return parts._replace(netloc=f"{credentials}@{local}" if credentials else local).geturl()


def task_pod_env(services) -> dict[str, str]:
    """Every variable the Flyte values give task pods, endpoints made local."""
    env = {}
    for name, value in default_env_vars().items():
        env[name] = local_url(value, services) if "://" in value else value
    for secret in flyte_k8s_plugin().get("default-env-from-secrets") or []:
        for key in secret_keys(secret):
            env[key] = _test_credential(key)
    return env


def _test_credential(key: str) -> str:
    if key.endswith("SECRET_ACCESS_KEY"):
        return SECRET_KEY
    if key.endswith("ACCESS_KEY_ID"):
        return ACCESS_KEY
    raise HarnessError(f"no test value for the secret key {key}")


def flyte_storage_bucket() -> str:
    """The bucket Flyte keeps task inputs and outputs in (the values' metadataContainer)."""
    chart = yaml.safe_load(FLYTE_VALUES.read_text())
    return yaml.safe_load(chart["spec"]["valuesContent"])["configuration"]["storage"][
        "metadataContainer"
    ]
