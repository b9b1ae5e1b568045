"""Serve `@<domain>` in this process and follow the alias when the pipeline moves it.

Every request goes through MLflow's own scoring code (`scoring_server.invocations`:
request parsing, the pyfunc model's schema enforcement, the JSON answer) on a
model loaded with `mlflow.pyfunc.load_model`, so answers and 400s follow MLflow's
protocol. What this adds around it:

- a version is served only after its downloaded files passed our skops
  allow-list (Registry.download_checked) and it answered its own logged input
  example: the very bytes checked are the ones loaded;
- a poller notices when the alias moves, loads and checks the new version
  beside the old one, then swaps one reference: a request already running
  finishes on the version it started with, so no request fails across a switch;
- each answer names the version that gave it (`model_version` in the body and
  the `MLflow-Model-Version` header);
- a 400 names the columns at fault, not the whole schema and the request data;
- requests that arrive while the model is busy are answered together, with one
  call of MLflow's scoring code (workflows/serving/batching.py).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

from workflows.serving.batching import Batcher

if TYPE_CHECKING:
    from workflows.gateways.registry import Registry

VERSION_HEADER = "MLflow-Model-Version"
DEFAULT_POLL_SECONDS = 2.0
MAX_MESSAGE = 400  # characters of an MLflow error kept in a 400 we cannot name columns for
_LOAD_LOCK = threading.Lock()  # the pickle flag below is process-wide: one load at a time


class HostingError(RuntimeError):
    """A version could not be loaded or failed its smoke check, or the port is taken;
    the message says which."""


@dataclass(frozen=True)
class Served:
    version: str
    model: object  # mlflow.pyfunc.PyFuncModel
    input_schema: object  # mlflow.types.Schema | None
    required: tuple[str, ...]
    optional: tuple[str, ...]
    example: dict | None = None  # the request body logged with the model, if any
    booleans: tuple[str, ...] = ()  # input columns of MLflow type boolean


def load_version(registry: Registry, version: str) -> Served:
    """Download `version`, check it against the allow-list, load it with MLflow's
    pyfunc loader and check that it answers its own input example."""
    import mlflow.pyfunc
    from mlflow.types import DataType

    uri = f"models:/{registry.name}/{version}"
    with tempfile.TemporaryDirectory(prefix="serve-") as folder:
        local = registry.download_checked(uri, Path(folder))
        path = list(sys.path)
        with _pickle_allowed():
            model = mlflow.pyfunc.load_model(str(local))
        # MLflow prepends the model's code_paths to sys.path for good. The model's
        # class is already imported from this project (workflows.domain.model), so
        # the logged copy is never run here; nothing later may import from it either.
        sys.path[:] = path
        example = _example(local)
    schema = model.metadata.get_input_schema()
    inputs = schema.inputs if schema is not None and schema.has_input_names() else []
    served = Served(
        version,
        model,
        schema,
        tuple(c.name for c in inputs if c.required),
        tuple(c.name for c in inputs if not c.required),
        example,
        tuple(c.name for c in inputs if c.type == DataType.boolean),
    )
    if example is not None:
        status, answer = score(served, json.dumps(example).encode(), "application/json")
        if status != 200:
            message = _json(answer).decode()[:MAX_MESSAGE]
            raise HostingError(f"{uri} failed its own input example: {message}")
    return served


@contextlib.contextmanager
def _pickle_allowed() -> Iterator[None]:
    """mlflow 3.17 loads no sklearn model, skops included, without this flag. The
    files were just checked against TRUSTED_TYPES, our allow-list from code; the
    flag is set only while MLflow loads those checked files."""
    name = "MLFLOW_ALLOW_PICKLE_DESERIALIZATION"
    with _LOAD_LOCK:
        before = os.environ.get(name)
        os.environ[name] = "true"
        try:
            yield
        finally:
            if before is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = before


def _example(local: Path) -> dict | None:
    path = local / "serving_input_example.json"
    return json.loads(path.read_text()) if path.exists() else None


def score(served: Served, body: bytes, content_type: str) -> tuple[int, dict]:
    """MLflow's own scoring of one request; (status, JSON document naming the version)."""
    from mlflow.exceptions import MlflowException
    from mlflow.pyfunc import scoring_server

    problem = precheck(served, body)
    if problem:
        return 400, {"error_code": "BAD_REQUEST", "message": problem}
    try:
        result = scoring_server.invocations(body, content_type, served.model, served.input_schema)
    except MlflowException as err:
        message = bad_request_message(served, body, err.message)
        return err.get_http_status_code(), {"error_code": err.error_code, "message": message}
    if result.status != 200:
        return result.status, {"message": str(result.response)}
    document = json.loads(result.response)
    document["model_version"] = served.version
    return 200, document


def precheck(served: Served, body: bytes) -> str:
    """What MLflow's schema enforcement lets through but the model cannot take: an
    absent column (optional means its values may be null, not that it may be left
    out; the model needs every column) and a boolean sent as anything but JSON
    true/false/null (MLflow would read the text "False" as True). "" when fine."""
    frame = _request_frame(body)
    if frame is None:
        return ""  # not a JSON frame: MLflow's own parsing answers
    columns, rows = frame
    if any(c not in columns for c in (*served.required, *served.optional)):
        return _column_message(served, columns)
    for name in served.booleans:
        odd = [row[name] for row in rows if row.get(name) not in (True, False, None)]
        if odd:
            shown = ", ".join(repr(v) for v in odd[:3])
            return f"column {name!r} takes true, false or null; got {shown}"
    return ""


def _request_frame(body: bytes) -> tuple[list[str], list[dict]] | None:
    """(column names, rows as dicts) of a `dataframe_split` or `dataframe_records`
    JSON request; None for anything else."""
    try:
        document = json.loads(body)
    except ValueError:
        return None
    if not isinstance(document, dict):
        return None
    split = document.get("dataframe_split")
    if isinstance(split, dict) and isinstance(split.get("columns"), list):
        names = [str(c) for c in split["columns"]]
        data = split.get("data")
        if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
            return None
        return names, [dict(zip(names, row, strict=False)) for row in data]
    records = document.get("dataframe_records")
    if isinstance(records, list) and records and all(isinstance(r, dict) for r in records):
        rows = [{str(k): v for k, v in r.items()} for r in records]
        return list(dict.fromkeys(name for row in rows for name in row)), rows
    return None


def bad_request_message(served: Served, body: bytes, mlflow_message: str) -> str:
    """Name the columns at fault; otherwise MLflow's message without the request
    data and the schema it quotes."""
    frame = _request_frame(body)
    named = _column_message(served, frame[0]) if frame is not None else ""
    return named or short_message(mlflow_message)


def _column_message(served: Served, columns: list[str]) -> str:
    """The model's columns the request lacks and the ones it has too many; "" if none."""
    expected = (*served.required, *served.optional)
    missing = [c for c in expected if c not in columns]
    unexpected = [c for c in columns if c not in expected] if expected else []
    problems = []
    if missing:
        problems.append(f"missing column(s): {', '.join(map(repr, missing))}")
    if unexpected:
        problems.append(f"unexpected column(s): {', '.join(map(repr, unexpected))}")
    return "; ".join(problems)


def short_message(message: str) -> str:
    """MLflow's own words without the data frame and the schema it prints."""
    # "Failed to predict data '<frame>'. \nError: Failed to enforce schema of data
    # '<frame>' with schema '<schema>'. Error: <the reason>"
    reason = message.rsplit("Error: ", 1)[-1] if "Failed to enforce schema" in message else message
    reason = re.sub(r"^Failed to predict data '.*?'\. \s*Error: ", "", reason, flags=re.S)
    reason = reason.removeprefix("Invalid input. Data is not compatible with model signature. ")
    return reason if len(reason) <= MAX_MESSAGE else reason[: MAX_MESSAGE - 3] + "..."


def _json(document: dict) -> bytes:
    from mlflow.utils.proto_json_utils import NumpyEncoder

    return json.dumps(document, cls=NumpyEncoder).encode()


class Host:
    """The version being served, and the poller that swaps it when the alias moves."""

    def __init__(self, registry: Registry, alias: str, served: Served, poll_seconds: float):
        self.registry = registry
        self.alias = alias
        self.served = served  # replaced whole, never mutated: readers need no lock
        self.poll_seconds = poll_seconds
        self.refused: str | None = None  # a version that failed: not retried until the alias moves
        self._stopping = threading.Event()

    def follow(self) -> None:
        """Poll the alias until stop(); each move is loaded, checked, then swapped in."""
        while not self._stopping.wait(self.poll_seconds):
            self.check_alias()

    def check_alias(self) -> str | None:
        """Swap to the alias's version if it moved; the version now served, or None."""
        try:
            target = self.registry.alias_target(self.alias)
        except Exception as err:  # the registry is down: keep serving what we have
            log(f"could not read @{self.alias}: {err}")
            return None
        if target is None or target in (self.served.version, self.refused):
            return None
        log(f"@{self.alias} moved to v{target}: loading and checking it")
        try:
            served = load_version(self.registry, target)
        except Exception as err:  # never serve it; keep the running version
            self.refused = target
            log(f"v{target} refused, still serving v{self.served.version}: {err}")
            return None
        self.served = served
        self.refused = None
        log(f"now serving v{target}")
        return target

    def stop(self) -> None:
        self._stopping.set()


def log(message: str) -> None:
    print(f"serve: {message}", file=sys.stderr, flush=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse their connection
    # Headers and body leave in two writes; with Nagle's algorithm on, the body
    # waits for the client's delayed ACK of the headers: ~40 ms on every answer
    # of a kept-alive connection (measured: p50 48 ms for a 4 ms prediction).
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        served = self.server.host.served
        if self.path in ("/ping", "/health"):
            self._send(200, b"\n", served.version)
        elif self.path == "/version":
            self._send(200, _json({"model_version": served.version}), served.version)
        else:
            self._send(404, _json({"message": f"no such path: {self.path}"}), served.version)

    def do_POST(self) -> None:
        served = self.server.host.served  # one read: the whole request uses this version
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path != "/invocations":
            self._send(404, _json({"message": f"no such path: {self.path}"}), served.version)
            return
        content_type = self.headers.get("Content-Type") or "application/json"
        try:
            status, document = self.server.batcher.submit(served, body, content_type)
        except Exception as err:  # a bug must not take the server down; say what happened
            status, document = 500, {"message": f"{type(err).__name__}: {err}"}
        self._send(status, _json(document), served.version)

    def _send(self, status: int, payload: bytes, version: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header(VERSION_HEADER, version)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args) -> None:
        pass  # one line per request would drown the terminal; errors are in the bodies


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    host: Host
    batcher: Batcher

    def __init__(self, address: tuple[str, int]):
        super().__init__(address, _Handler)
        self.connections = 0  # open ones: how many clients may send at once
        self._counting = threading.Lock()
        self.batcher = Batcher(score, senders=lambda: self.connections)

    def process_request(self, request, client_address) -> None:
        with self._counting:
            self.connections += 1
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._counting:
            self.connections -= 1
        super().shutdown_request(request)


@contextlib.contextmanager
def hosting(
    host: Host, address: str = "127.0.0.1", port: int = 0
) -> Iterator[tuple[str, ThreadingHTTPServer]]:
    """Serve `host` over HTTP and follow its alias; yields the URL. Stops both on exit.

    Raises HostingError when the port is taken."""
    try:
        server = _Server((address, port))
    except OSError as err:
        if err.errno != errno.EADDRINUSE:
            raise
        raise HostingError(
            f"{address}:{port} is already in use: stop what listens there or choose "
            "another port (make serve PORT=<port>)"
        ) from err
    server.host = host
    threads = [
        threading.Thread(target=server.serve_forever, name="http", daemon=True),
        threading.Thread(target=host.follow, name="follow-alias", daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield f"http://{address}:{server.server_address[1]}", server
    finally:
        host.stop()
        server.shutdown()
        server.server_close()
        server.batcher.stop()
        for thread in threads:
            thread.join(timeout=10)
