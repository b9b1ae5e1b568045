"""Per-test environments on the session's PostgreSQL + S3 + MLflow server (tests/conftest.py).

Each test gets its own model name and experiment, so tests sharing the server
stay independent.
"""

from __future__ import annotations

import re
import uuid

import pytest

from tests.integration.helpers import PIPELINE_VARS


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture
def model_name(request) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    return f"itest-{slug}-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
def table(tmp_path_factory) -> tuple[str, str]:
    """(contract, data) the integration runs train on: the wide fixture shape
    (numeric, categorical and boolean columns), never the project's own contract."""
    from tests.fixtures.tables import case

    return case("wide", tmp_path_factory.mktemp("table"))


@pytest.fixture
def env(services, model_name, table, monkeypatch) -> dict[str, str]:
    """The pipeline's environment: only the tracking URI points at the services.

    Also set in os.environ, for tests that run steps or the workflow in-process.
    """
    for name in PIPELINE_VARS:
        monkeypatch.delenv(name, raising=False)
    values = {
        "MLFLOW_TRACKING_URI": services.mlflow.url,
        "MODEL_NAME": model_name,
        "MLFLOW_EXPERIMENT_NAME": model_name,
        "DOMAIN": "development",
        "GIT_SHA": "0123456789abcdef0123456789abcdef01234567",
        "GIT_REF": "refs/heads/itest",
        "CONTRACT": table[0],
        "DATA": table[1],
        "MIN_AUC": "0.8",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def registry(env):
    from workflows.gateways.registry import Registry
    from workflows.settings import Settings

    return Registry(Settings.from_env())
