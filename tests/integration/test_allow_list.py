"""The skops allow-list, proved with real models in a real store: a version saved with
pickle, and a skops model holding a type outside the allow-list, are refused by the
deploy step and by `python -m workflows serve` (what `make serve` runs), each with a
message naming the format or type, and nothing is served."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from tests.integration.helpers import PIPELINE_VARS, registry_state, run_pipeline
from tests.integration.services import free_port
from workflows.domain.training import TRUSTED_TYPES
from workflows.gateways.registry import UntrustedModelError
from workflows.settings import PROJECT_ROOT, Settings
from workflows.steps import training

# What an attacker would smuggle in: a function that runs shell commands.
SHELL = f"{os.system.__module__}.{os.system.__name__}"


def register_variant(registry, model, serialization_format: str, **extra) -> str:
    """Log `model` as a new version of the test's model, saved as `serialization_format`."""
    import mlflow
    import mlflow.sklearn

    with mlflow.start_run(experiment_id=registry._experiment_id()):
        info = mlflow.sklearn.log_model(
            model, name="model", serialization_format=serialization_format, **extra
        )
    return str(mlflow.register_model(info.model_uri, registry.name).version)


@pytest.fixture
def deployed(env, registry):
    """One good version behind @development, and the model object it holds."""
    good = run_pipeline(seed=1)
    return good, registry.load_model(f"models:/{registry.name}/{good.version}")


def pickled(registry, model) -> tuple[str, str]:
    return register_variant(registry, model, "cloudpickle"), "cloudpickle"


def with_shell_hook(registry, model) -> tuple[str, str]:
    model.hook = os.system  # a skops file can name any importable function
    # The model's own MLmodel even claims the function is trusted: it must not matter.
    return register_variant(
        registry, model, "skops", skops_trusted_types=[SHELL, *TRUSTED_TYPES]
    ), SHELL


@pytest.mark.parametrize("make_bad", [pickled, with_shell_hook], ids=["pickle", "shell-hook"])
def test_the_deploy_step_refuses_the_version_and_moves_no_alias(make_bad, deployed, registry):
    good, model = deployed
    bad, named = make_bad(registry, model)
    before = registry_state(registry)
    settings = Settings.from_env()
    _, test = training.prepare(settings.contract_path, settings.data, 0.25, 1)
    candidate = training.ModelVersion(registry.name, bad, "", reused=False)

    with pytest.raises(UntrustedModelError) as refused:
        training.deploy(settings, candidate, test, [0.5] * training.SMOKE_ROWS)

    assert named in str(refused.value)
    assert registry_state(registry) == before
    assert registry.alias_target("development") == good.version


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("make_bad", [pickled, with_shell_hook], ids=["pickle", "shell-hook"])
def test_serve_refuses_the_version_and_serves_nothing(make_bad, deployed, registry, env):
    _, model = deployed
    bad, named = make_bad(registry, model)
    # Someone moved the alias by hand, past the deploy step's check.
    registry.client.set_registered_model_alias(registry.name, "development", bad)
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if k not in PIPELINE_VARS}

    done = subprocess.run(
        [sys.executable, "-m", "workflows", "serve", "--domain", "development",
         "--port", str(port)],
        cwd=PROJECT_ROOT, env={**clean, **env}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    assert named in done.stderr and "UntrustedModelError" in done.stderr
    assert "starting the scoring server" not in done.stderr
    assert done.stdout == ""
    assert _port_is_free(port)
