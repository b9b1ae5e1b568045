"""The deploy step checks the version itself before `@<domain>` moves, so a failed
check (wrong answers, an endpoint down, the tracking server dying inside the check)
leaves both aliases exactly as they were, on a first deploy and on a later one.
Through SERVING_URL, the endpoint is asked before the alias moves."""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.integration.helpers import registry_state, run_pipeline
from tests.integration.services import free_port
from workflows.domain import contract as data_contract
from workflows.domain.errors import PipelineError
from workflows.domain.model import PROBABILITY
from workflows.domain.training import TrainParams, features_and_target
from workflows.gateways.deployer import TOLERANCE, SmokeCheckError, invocations_payload
from workflows.gateways.registry import Registry
from workflows.serving import launcher
from workflows.settings import Settings
from workflows.steps import training


def register_only(seed: int) -> tuple[training.ModelVersion, object, list]:
    """Train and register a model without deploying it: a version no alias points at."""
    settings = Settings.from_env()
    train, test = training.prepare(settings.contract_path, settings.data, 0.25, seed)
    result, _, _ = training.train(settings, train, test, TrainParams(seed=seed))
    model = training.register(
        settings, training.gate(result, settings.min_auc), "itest/register-only"
    )
    return model, test, result.expected


def kill_server_inside_the_check(services, monkeypatch) -> None:
    """The tracking server dies just as the deploy step loads the version it checks."""
    real_load = Registry.load_model

    def load_as_the_server_dies(self, model_uri):
        services.mlflow.stop()
        return real_load(self, model_uri)

    monkeypatch.setattr(Registry, "load_model", load_as_the_server_dies)
    # Fail fast rather than retry for minutes against a server that is gone.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")


@pytest.mark.parametrize("history", ["first deploy", "alias already set"])
@pytest.mark.parametrize("failure", ["wrong predictions", "endpoint down", "server killed"])
def test_a_failed_check_leaves_the_aliases_as_they_were(
    failure, history, services, env, registry, monkeypatch
):
    if history == "alias already set":
        run_pipeline(seed=1)
    candidate, test, expected = register_only(seed=2)
    before = registry_state(registry)
    assert before["aliases"]["development"] != candidate.version
    if failure == "wrong predictions":
        expected = [2.0] * len(expected)  # no probability is 2
    elif failure == "endpoint down":
        monkeypatch.setenv("SERVING_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    settings = Settings.from_env()

    if failure == "server killed":
        kill_server_inside_the_check(services, monkeypatch)
        try:
            with pytest.raises(PipelineError) as failed:
                training.deploy(settings, candidate, test, expected)
        finally:
            services.mlflow.start()  # same port, database and bucket
        message = str(failed.value)
        assert services.mlflow.url in message and "MLFLOW_TRACKING_URI" in message
    else:
        with pytest.raises(SmokeCheckError):
            training.deploy(settings, candidate, test, expected)

    assert registry_state(registry) == before


def _served_probabilities(url: str, features) -> list[float]:
    request = urllib.request.Request(
        f"{url}/invocations",
        data=invocations_payload(features),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return [float(p[PROBABILITY]) for p in json.load(response)["predictions"]]


def _close(got: list[float], wanted: list[float]) -> bool:
    return len(got) == len(wanted) and all(
        abs(g - w) <= TOLERANCE for g, w in zip(got, wanted, strict=True)
    )


def test_deploy_through_serving_url_checks_the_endpoint_then_moves_the_alias(
    env, registry, monkeypatch, tmp_path
):
    first = run_pipeline(seed=1)
    candidate, test, expected = register_only(seed=4)
    settings = Settings.from_env()
    features, _ = features_and_target(test, data_contract.load(settings.contract_path))
    old = registry.load_model(f"models:/{registry.name}/{first.version}")
    new = registry.load_model(f"models:/{registry.name}/{candidate.version}")
    new_answers = [float(p) for p in new.positive_probability(features)]
    # The two versions must answer differently, or serving one proves nothing.
    assert not _close(new_answers, [float(p) for p in old.positive_probability(features)])
    pinned = f"models:/{registry.name}/{candidate.version}"

    with (
        (tmp_path / "server.log").open("w") as log,
        launcher.running(settings, pinned, port=free_port(), log=log) as server,
    ):
        monkeypatch.setenv("SERVING_URL", server.url)
        deployment = training.deploy(Settings.from_env(), candidate, test, expected)
        served = _served_probabilities(server.url, features)

    assert deployment.checked_by == f"served ({server.url})"
    assert (deployment.version, deployment.previous) == (candidate.version, first.version)
    assert registry.alias_target("development") == candidate.version
    assert registry.alias_target("development-previous") == first.version
    assert _close(served, new_answers)
