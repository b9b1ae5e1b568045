"""Shared by every suite.

Hypothesis profiles: few examples for the local edit-test loop, many in CI.
The properties are the same in both; only how many examples each one tries
changes. `CI=true` (set by GitHub Actions and .ci/run) picks `thorough`;
HYPOTHESIS_PROFILE=thorough asks for it locally.

One PostgreSQL + S3 + MLflow server per session, used by the integration
tests and the container tests alike (started only when asked for).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.integration.services import MissingTool, Services
from tests.tools import missing

settings.register_profile("fast", max_examples=10, deadline=None)
# Hypothesis's own CI profile (derandomized, no example database), with more examples.
settings.register_profile("thorough", parent=settings.get_profile("ci"), max_examples=100)

_in_ci = os.environ.get("CI", "").lower() in ("true", "1")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("thorough" if _in_ci else "fast"))


@pytest.fixture(scope="session")
def services():
    stack = Services.create()
    try:
        stack.start()
    except MissingTool as err:
        missing(f"integration services: {err}")  # skip locally, fail with CI=true
    yield stack
    stack.stop()
