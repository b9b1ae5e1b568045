"""`make serve`'s stop, many times over: SIGTERM or SIGINT to the job's whole process
group (as a terminal, a supervisor or `kill -- -PGID` sends it) ends serve, the
scoring server and its workers within 5 s and frees the port, every time.

The 20 cycles per signal use a stand-in scoring server that starts in a blink
(tests/integration/serve_standin.py), run through `uv run` as `make serve` does (uv
forwards the signal too, so serve gets it twice); test_serving.py holds the
stand-in's process layout to the real server's and stops a real one the same way.
"""

from __future__ import annotations

import os
import signal
import sys

import pytest

from tests.integration.services import free_port
from tests.integration.shutdown import STOP_LIMIT, run_cycle
from tests.tools import require_tool

pytestmark = pytest.mark.slow
CYCLES = 20


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_every_stop_ends_everything_within_5_s(signum, tmp_path):
    uv = require_tool("uv", "install uv (make install)")
    command = [uv, "run", "--locked", "python", "-m", "tests.integration.serve_standin", "serve"]
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    slowest, failures = 0.0, []
    for number in range(CYCLES):
        port = free_port()
        cycle = run_cycle(
            [*command, "--port", str(port)], env, port, signum, tmp_path / f"{number}.log", 30
        )
        assert cycle.tree.problems() == [], cycle.tree
        slowest = max(slowest, cycle.seconds)
        if cycle.left or cycle.code != 0 or "Traceback" in cycle.stderr:
            failures.append(f"cycle {number}: exit {cycle.code}, left {cycle.left}, {cycle.stderr}")
    name = signal.Signals(signum).name
    print(f"{name}: slowest of {CYCLES} stops: {slowest:.2f} s", file=sys.stderr)
    assert failures == []
    assert slowest < STOP_LIMIT
