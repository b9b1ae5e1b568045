"""The tracking server dies between train and register: the run fails clearly and,
once the server is back on the same database and bucket, nothing is half-made."""

from __future__ import annotations

import pytest

from tests.integration.helpers import registry_state, run_pipeline
from workflows.domain.training import TrainParams
from workflows.settings import Settings
from workflows.steps import training


def test_server_killed_before_register(services, env, registry, monkeypatch):
    run_pipeline(seed=1)
    before = registry_state(registry)
    settings = Settings.from_env()
    train, test = training.prepare(settings.contract_path, settings.data, 0.25, 2)
    result, _, _ = training.train(settings, train, test, TrainParams(seed=2))
    training.gate(result, settings.min_auc)
    # Fail fast rather than retry for minutes against a server that is gone.
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")

    services.mlflow.stop()
    try:
        with pytest.raises(Exception) as failed:
            training.register(settings, result, "itest/outage")
    finally:
        services.mlflow.start()  # same port, database and bucket: already migrated

    assert services.mlflow.url.removeprefix("http://") in str(failed.value)
    assert registry_state(registry) == before
    # The server is back: the same result registers once, as a new version.
    again = training.register(settings, result, "itest/outage")
    assert registry_state(registry)["versions"] == [*before["versions"], int(again.version)]
