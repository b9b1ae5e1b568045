"""workflows.serving.launcher without a model: the request it prints, the server's environment,
and stopping a server's whole process group."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workflows.serving.launcher import KILL_WAIT, example_request, server_command, server_env, stop

ROOT = Path(__file__).resolve().parents[3]


def test_example_request_sends_the_logged_rows_as_a_valid_shell_call():
    logged = {
        "dataframe_split": {
            "columns": ["it's", "colour"],  # a quote must survive the shell
            "data": [[1.5, "red"], [None, "l'orange"]],
        }
    }
    words = shlex.split(example_request("http://127.0.0.1:5001", logged).replace("\\\n", " "))
    assert words[:3] == ["curl", "-s", "http://127.0.0.1:5001/invocations"]
    assert json.loads(words[words.index("-d") + 1]) == logged


def test_example_request_without_a_logged_example_says_so():
    assert "without an input example" in example_request("http://h:1", None)


def test_server_runs_from_this_environment_and_only_it_may_unpickle():
    env = server_env({"PATH": "/usr/bin"}, "sqlite:///x.db")
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] == "true"
    assert env["MLFLOW_TRACKING_URI"] == "sqlite:///x.db"
    assert "MLFLOW_ALLOW_PICKLE_DESERIALIZATION" not in os.environ  # not in our own process
    command = server_command("models:/m/3", "127.0.0.1", 5001)
    assert command[1:] == ["models", "serve", "-m", "models:/m/3", "--env-manager", "local",
                           "-h", "127.0.0.1", "-p", "5001", "-w", "1"]  # fmt: skip


def test_stop_ends_the_server_and_the_workers_it_started():
    # A parent that ignores SIGTERM, with a child of its own: like mlflow and uvicorn.
    process = subprocess.Popen(
        ["sh", "-c", "trap '' TERM; sleep 300 & sleep 300"], start_new_session=True
    )
    time.sleep(0.3)
    started = time.monotonic()
    stop(process, grace=0.5)
    assert time.monotonic() - started < 0.5 + KILL_WAIT + 1  # bounded: SIGKILL after the grace
    assert process.returncode is not None  # reaped: no zombie of ours
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    raise AssertionError("a process of the group outlived stop()")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_serving_even_when_sigint_was_inherited_as_ignored(signum):
    # A shell's background job starts with SIGINT ignored: serve must still stop
    # (and so stop its scoring server) on Ctrl-C and on SIGTERM.
    script = (
        "import sys, time\n"
        "from workflows.serving.launcher import stop_on_signals\n"
        "stop_on_signals()\n"
        "try:\n"
        "    print('ready', flush=True)\n"
        "    time.sleep(60)\n"
        "except KeyboardInterrupt:\n"
        "    print('stopped', flush=True)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )  # fmt: skip
    assert child.stdout.readline().strip() == "ready"
    child.send_signal(signum)
    assert child.stdout.readline().strip() == "stopped"
    assert child.wait(10) == 0


def test_a_logged_example_with_missing_values_still_starts_the_server():
    """Found by a new user: every model of a table with missing values failed to
    start (`json.dumps(..., allow_nan=False)` on the logged rows)."""
    logged = {"dataframe_split": {"columns": ["a", "b"], "data": [[float("nan"), "x"]]}}
    words = shlex.split(example_request("http://127.0.0.1:5001", logged).replace("\\\n", " "))
    sent = json.loads(words[words.index("-d") + 1])
    assert sent["dataframe_split"]["data"] == [[None, "x"]]
