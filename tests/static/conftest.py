"""One run of `make sandbox` against stand-in tools, shared by the static tests."""

from __future__ import annotations

import pytest

from tests.static.cluster.sandbox_run import SandboxRun, run_sandbox_up


@pytest.fixture(scope="session")
def sandbox_run(tmp_path_factory) -> SandboxRun:
    """`make sandbox` on a laptop with no cluster yet."""
    run = run_sandbox_up(tmp_path_factory.mktemp("sandbox"))
    assert run.done.returncode == 0, run.done.stderr[-3000:]
    return run
