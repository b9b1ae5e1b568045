"""Run or print commands: the single place that starts subprocesses for ci."""

from __future__ import annotations

import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

from .errors import USAGE, CiError

INSTALL_HINT = {
    "pyflyte": "run `uv sync --locked` (pyflyte comes with flytekit)",
    "flytectl": "install flytectl (see docs/cicd.md) and put it on PATH",
}


class Runner:
    """Prints every command; runs it unless dry_run."""

    def __init__(self, dry_run: bool, cwd: Path) -> None:
        self.dry_run = dry_run
        self.cwd = cwd

    def show(self, command: list[str]) -> None:
        # Dry run: the commands are the output. Real run: a log line on stderr.
        stream = sys.stdout if self.dry_run else sys.stderr
        print(("" if self.dry_run else "+ ") + shlex.join(command), file=stream, flush=True)

    def require(self, tool: str) -> None:
        if not self.dry_run and shutil.which(tool) is None:
            raise CiError(f"{tool} is not on PATH: {INSTALL_HINT.get(tool, 'install it')}", USAGE)

    def run(self, command: list[str], capture: bool = False) -> subprocess.CompletedProcess[str]:
        self.show(command)
        if self.dry_run:
            return subprocess.CompletedProcess(command, 0, "", "")
        self.require(command[0])
        done = subprocess.run(
            command,
            cwd=self.cwd,
            text=True,
            check=False,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.STDOUT if capture else None,
        )
        if capture and done.stdout:
            print(done.stdout, end="", file=sys.stderr)
        return done


def check_reachable(host: str, port: int, timeout: float = 5.0) -> None:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as err:
        raise CiError(
            f"Flyte endpoint {host}:{port} is unreachable ({err.strerror or err}): start the "
            "cluster (make sandbox) or point FLYTECTL_CONFIG/--config at a reachable one",
            USAGE,
        ) from err
