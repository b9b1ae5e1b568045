"""Registry.find_version on a real MLflow store: names and values with quotes.

Settings refuse such model names, but the filter must not depend on that:
MLflow's search filter takes quoted text as it is, with no escapes.
"""

from __future__ import annotations

import dataclasses

import pytest

from workflows.gateways.registry import Registry
from workflows.settings import Settings

TAG = "model_fingerprint"


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Settings:
    root = tmp_path_factory.mktemp("mlflow")
    return Settings(
        tracking_uri=f"sqlite:///{root}/mlflow.db", artifact_root=(root / "artifacts").as_uri()
    )


def _version(registry: Registry, value: str) -> str:
    import mlflow

    client = registry.client
    client.create_registered_model(registry.name)
    with mlflow.start_run() as run:
        pass
    source = f"runs:/{run.info.run_id}/model"
    made = client.create_model_version(registry.name, source, run.info.run_id, tags={TAG: value})
    return str(made.version)


@pytest.mark.parametrize(
    ("name", "value"),
    [("it's-a-model", "abc123"), ('say-"hi"', "abc123"), ("plain-1", "x'y"), ("plain-2", 'x"y')],
)
def test_find_version_finds_what_was_tagged(store, name, value):
    registry = Registry(dataclasses.replace(store, model_name=name))
    version = _version(registry, value)
    assert registry.find_version(TAG, value) == version
    assert registry.find_version(TAG, value + "-other") is None
