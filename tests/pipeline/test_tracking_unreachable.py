"""A tracking server that cannot be reached: `python -m workflows run` and
`python -m workflows serve` each say so in one line (the server, the setting it came
from, what to check) and exit 2 at once, before any work, with no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from workflows.settings import PROJECT_ROOT

COMMANDS = {
    "run": ["-m", "workflows", "run"],
    "serve": ["-m", "workflows", "serve", "--domain", "development"],
}


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("command", COMMANDS)
def test_an_unreachable_tracking_server_is_named_in_one_line(command):
    url = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "MLFLOW_TRACKING_URI": url, "GIT_REF": "refs/heads/itest"}

    # MLflow alone retries for ~4 minutes before giving up: this must not.
    done = subprocess.run(
        [sys.executable, *COMMANDS[command]],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, done.stderr
    assert url in errors[0]
    assert "MLFLOW_TRACKING_URI" in errors[0]
    assert "check that" in errors[0]
    assert "Traceback" not in done.stderr
    assert "▶ prepare" not in done.stderr  # refused before any work
