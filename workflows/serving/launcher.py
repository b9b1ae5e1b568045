"""Serve `@<domain>` over HTTP locally: what `make serve` (workflows/cli/serve.py) starts.

By default (`serve_in_process`) it serves in this
process through MLflow's own scoring code and follows the alias: when the
pipeline moves `@<domain>`, the new version is checked, loaded and swapped in
with no failed request (workflows/serving/hosting.py). `serve_fixed` instead checks
the version behind the alias against our skops allow-list (Registry.load_model)
and starts MLflow's scoring server (`mlflow models serve --env-manager local`)
on that very version, fixed. Both print the URL and an example request. Ctrl-C
or SIGTERM stops the server and every worker it started, within a few seconds,
whatever moment the signal comes (and however many come).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from workflows.serving import DEFAULT_PORT

if TYPE_CHECKING:
    from workflows.serving.app import Limits
    from workflows.settings import Settings

# The scoring server imports mlflow, pandas and sklearn and loads the model
# before it answers: ~25 s on a busy 2-core machine.
START_TIMEOUT = 180.0
# Stopping: SIGTERM lets uvicorn close its socket; whatever still runs after
# STOP_GRACE gets SIGKILL. Together well under the 5 s a person waits for Ctrl-C.
STOP_GRACE = 2.0
KILL_WAIT = 1.0
POLL = 0.1


class ServeError(RuntimeError):
    """The model could not be verified or the server did not come up."""


class Stopped(Exception):
    """SIGINT or SIGTERM asked us to stop while the scoring server was starting."""


@dataclass
class _Shutdown:
    """What SIGINT and SIGTERM have asked for, read by the loops that wait.

    Before the scoring server exists a signal interrupts at once: nothing is left
    to clean up. From the moment it may exist (`guarded`), a signal is only
    recorded: an exception landing inside Popen or inside stop() itself is how a
    server got orphaned or a stop hung on a lock; the loops poll instead.
    """

    requested: int | None = None
    guarded: bool = False


_SHUTDOWN = _Shutdown()


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen


@dataclass(frozen=True)
class Verified:
    alias_uri: str  # models:/<name>@<domain>
    version: str
    uri: str  # models:/<name>/<version>: what the server loads
    example: dict | None = None  # a request body of real training rows, logged with it


def verify(settings: Settings, domain: str) -> Verified:
    """Resolve `@<domain>` to a version and check that version against our allow-list.

    The server is then started on the version itself, not on the alias: an alias
    moved between this check and the server's own load cannot slip in a model
    nobody checked.
    """
    from workflows.gateways.registry import Registry

    registry = Registry(settings)
    version = registry.alias_target(domain)
    alias_uri = f"models:/{settings.model_name}@{domain}"
    if version is None:
        raise ServeError(f"{alias_uri} points nowhere: run the pipeline first (make run)")
    uri = f"models:/{settings.model_name}/{version}"
    registry.load_model(uri)  # raises UntrustedModelError on anything outside TRUSTED_TYPES
    return Verified(alias_uri, version, uri, registry.serving_example(uri))


def server_command(model_uri: str, host: str, port: int, workers: int = 1) -> list[str]:
    mlflow = Path(sys.executable).with_name("mlflow")
    return [
        str(mlflow), "models", "serve", "-m", model_uri, "--env-manager", "local",
        "-h", host, "-p", str(port), "-w", str(workers),
    ]  # fmt: skip


def server_env(base: dict[str, str], tracking_uri: str) -> dict[str, str]:
    env = dict(base)
    # mlflow starts `uvicorn` from PATH: put this environment's bin directory first,
    # so the server runs with the project's locked packages even outside `uv run`.
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, env.get("PATH", "")])
    env["MLFLOW_TRACKING_URI"] = tracking_uri
    # mlflow 3.17 refuses to deserialize any sklearn model, skops included, unless
    # this is set: it cannot tell which skops types are safe. We can: verify() has
    # just checked this version with skops against TRUSTED_TYPES, our allow-list
    # from code. Set only for the server process, never for the pipeline itself.
    env["MLFLOW_ALLOW_PICKLE_DESERIALIZATION"] = "true"
    return env


def example_request(url: str, example: dict | None) -> str:
    """A curl command sending the rows logged with the model (real training rows)."""
    if example is None:
        return f"(this model was logged without an input example; POST rows to {url}/invocations)"
    # A missing value in the logged rows is NaN in Python and null in JSON.
    body = json.dumps(_nan_as_null(example), allow_nan=False).replace("'", "'\\''")
    return f"curl -s {url}/invocations -H 'Content-Type: application/json' \\\n  -d '{body}'"


def _nan_as_null(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_as_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_as_null(v) for v in value]
    return value


def wait_ready(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _SHUTDOWN.requested is not None:
            raise Stopped
        if process.poll() is not None:
            raise ServeError(f"the scoring server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL)
    raise ServeError(f"the scoring server did not answer {url}/ping within {timeout:.0f} s")


def serve_until_stopped(process: subprocess.Popen) -> int | None:
    """Wait for a stop request (None) or for the server to exit by itself (its code)."""
    while _SHUTDOWN.requested is None:
        code = process.poll()
        if code is not None:
            return code
        time.sleep(POLL)
    return None


def stop(process: subprocess.Popen, grace: float = STOP_GRACE) -> None:
    """Stop the server and its uvicorn workers (they share the server's process
    group) in bounded time, and reap the server: no zombie, no orphan."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    # Workers can outlive their parent: the group is killed whatever happened above.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(KILL_WAIT)  # only a process stuck in the kernel outlasts SIGKILL


@contextlib.contextmanager
def running(
    settings: Settings,
    model_uri: str,
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
    workers: int = 1,
    log: IO | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[Server]:
    """Start the scoring server on `model_uri`, yield it once it answers, stop it.

    Raises Stopped when SIGINT or SIGTERM came before it answered.
    """
    url = f"http://{host}:{port}"
    # For good: after stop() only exiting is left, and a late signal must not interrupt it.
    _SHUTDOWN.guarded = True
    if _SHUTDOWN.requested is not None:
        raise Stopped
    process = subprocess.Popen(
        server_command(model_uri, host, port, workers),
        env=server_env(dict(os.environ), settings.tracking_uri),
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
        # Its own session: Ctrl-C reaches only us, and stop() ends the whole group.
        start_new_session=True,
    )
    try:
        wait_ready(url, process, timeout)
        yield Server(url, process)
    finally:
        stop(process)


def _on_signal(signum, frame) -> None:
    _SHUTDOWN.requested = signum
    if not _SHUTDOWN.guarded:
        raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both stop serving (see _Shutdown).

    Set explicitly: a process started in the background by a non-interactive
    shell inherits SIGINT as ignored, and SIGTERM would otherwise kill us
    outright, orphaning the scoring server in its own session.
    """
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)


def serve_fixed(settings: Settings, verified: Verified, host: str, port: int, workers: int):
    """Run `mlflow models serve` on the verified version until a stop request
    (returns None) or until the server exits by itself (returns its code).

    Raises ServeError when it does not come up, Stopped or KeyboardInterrupt when
    a signal came first.
    """
    print(
        f"{verified.alias_uri} -> v{verified.version}: checked against the allow-list\n"
        f"starting the scoring server on {verified.uri} ...",
        file=sys.stderr,
        flush=True,
    )
    with running(settings, verified.uri, host, port, workers) as server:
        print(f"\nserving {verified.uri} at {server.url} (Ctrl-C stops)\n")
        print(example_request(server.url, verified.example), flush=True)
        return serve_until_stopped(server.process)


def serve_in_process(
    settings: Settings,
    host_name: str,
    port: int,
    poll: float,
    limits: Limits | None = None,
    version: str | None = None,
) -> None:
    """Serve @domain here on uvicorn and follow it (workflows/serving/app.py) until
    SIGINT or SIGTERM, then let the requests in flight finish. `version`: serve that
    version fixed instead (the cluster's Deployment pins one).

    Raises ServeError when the alias points nowhere, HostingError when the version
    cannot be loaded or the port is taken, Stopped when a signal came first.
    """
    from workflows.gateways.registry import Registry, import_model_format

    import_model_format()  # before hosting imports mlflow
    from workflows.serving import app, hosting

    registry = Registry(settings)
    alias_uri = f"models:/{settings.model_name}@{settings.domain}"
    pinned = version is not None
    if version is None:
        version = registry.alias_target(settings.domain)
        if version is None:
            raise ServeError(f"{alias_uri} points nowhere: run the pipeline first (make run)")
    served = hosting.load_version(registry, version)
    host = hosting.Host(registry, None if pinned else settings.domain, served, poll)
    sock = app.bind(host_name, port)
    # From here uvicorn takes SIGINT and SIGTERM (it drains, then gives them back
    # to us): a signal is only recorded (see _Shutdown).
    _SHUTDOWN.guarded = True
    if _SHUTDOWN.requested is not None:
        sock.close()
        raise Stopped
    url = app.url_of(sock)
    what = f"models:/{settings.model_name}/{version}" if pinned else f"{alias_uri} (v{version}"
    follows = "" if pinned else f"; following the alias every {poll:g} s"
    print(
        f"\nserving {what}{'' if pinned else ')'} checked against the allow-list, at {url}"
        f"{follows}; Ctrl-C stops\n"
    )
    print(example_request(url, served.example), flush=True)
    app.serve_here(host, sock, limits or app.Limits(), lambda: _SHUTDOWN.requested is not None)
