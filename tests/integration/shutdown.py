"""One start/stop cycle of a serve command, as a terminal would run it, measured."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.integration.processes import (
    ServingTree,
    alive,
    descendants,
    in_session,
    port_listening,
    processes,
    serving_tree,
)
from workflows.settings import PROJECT_ROOT

STOP_LIMIT = 5.0  # seconds from the signal until nothing is left


@dataclass
class Cycle:
    tree: ServingTree
    seconds: float  # from the signal until every process and the port were gone
    left: list[str]  # what was still there at STOP_LIMIT
    code: int | None
    stderr: str


def run_cycle(
    command: list[str], env: dict[str, str], port: int, signum: int, log: Path, start: float
) -> Cycle:
    """Start `command` in a session of its own (a terminal's foreground job), wait until
    a worker listens on `port`, signal the whole group as the terminal does, and watch."""
    with log.open("w") as err:
        launcher = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
        )  # fmt: skip
    everyone: set[int] = set()
    session = None
    try:
        tree = _wait_for_tree(launcher, port, start, log)
        # Every process of the job: make or uv, serve, the server and its workers.
        everyone = {p.pid for p in descendants(launcher.pid, alive(processes()))}
        session = tree.leader.sid
        os.killpg(launcher.pid, signum)
        signalled = time.monotonic()
        left = _left(launcher, everyone, tree.leader.sid, port)
        while left and time.monotonic() - signalled < STOP_LIMIT:
            time.sleep(0.05)
            left = _left(launcher, everyone, tree.leader.sid, port)
        seconds = time.monotonic() - signalled
    finally:
        _clean_up(launcher, everyone, session)
    return Cycle(tree, seconds, left, launcher.returncode, log.read_text())


def _wait_for_tree(launcher: subprocess.Popen, port: int, start: float, log: Path) -> ServingTree:
    deadline = time.monotonic() + start
    while time.monotonic() < deadline:
        if launcher.poll() is not None:
            raise AssertionError(f"exited with {launcher.returncode}: {log.read_text()}")
        tree = serving_tree(launcher.pid, port)
        if tree is not None:
            return tree
        time.sleep(0.05)
    raise AssertionError(f"no worker listened on {port} within {start} s: {log.read_text()}")


def _left(launcher: subprocess.Popen, pids: set[int], session: int, port: int) -> list[str]:
    left = []
    if launcher.poll() is None:
        left.append(f"the launcher {launcher.args[0]}")
    running = alive(processes())
    left += [f"{running[pid].command} ({pid})" for pid in pids if pid in running]
    left += [f"{p.command} ({p.pid}) in the server's session" for p in in_session(session)]
    if port_listening(port):
        left.append(f"a listener on port {port}")
    return left


def _clean_up(launcher: subprocess.Popen, pids: set[int], session: int | None) -> None:
    """Whatever the cycle found, leave nothing running for the next one."""
    procs = alive(processes())
    doomed = {p.pid for p in descendants(launcher.pid, procs)} | (pids & procs.keys())
    doomed |= {p.pid for p in procs.values() if session is not None and p.sid == session}
    for pid in doomed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(launcher.pid, signal.SIGKILL)
    launcher.wait(5)
