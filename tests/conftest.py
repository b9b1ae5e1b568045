"""Fixtures shared by suites: one PostgreSQL + S3 + MLflow server per session, used by
the integration tests and the container tests alike (started only when asked for)."""

from __future__ import annotations

import pytest

from tests.integration.services import MissingTool, Services
from tests.tools import missing


@pytest.fixture(scope="session")
def services():
    stack = Services.create()
    try:
        stack.start()
    except MissingTool as err:
        missing(f"integration services: {err}")  # skip locally, fail with CI=true
    yield stack
    stack.stop()
