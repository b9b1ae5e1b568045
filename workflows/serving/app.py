"""The HTTP side of serving: an ASGI app (FastAPI) on uvicorn, with limits.

`make serve` and the serving Deployment in the cluster run this same app
(`python -m workflows serve`), so `@staging` answers exactly as a laptop does.
Routes are MLflow's: GET /ping, /health, /version, POST /invocations, plus the
OpenAPI page (/docs) whose request schema comes from the data contract.

Limits, each a setting of `make serve` (workflows/cli/serve.py):
- a body larger than `max_body_bytes` is answered 413 as soon as its
  Content-Length says so, or, sent chunked, as soon as that many bytes came:
  it is never read whole;
- a request whose headers have not all come within `header_seconds`, or whose
  body stalls for `body_seconds`, is dropped (408 for the body); an idle
  kept-alive connection is closed after `keep_alive_seconds`;
- SIGTERM (or Ctrl-C) stops taking connections and lets the requests in flight
  finish, for up to `drain_seconds`.
Reading a body is asynchronous and the model runs on its own thread
(workflows/serving/batching.py): a slow or huge request delays no other.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.requests import ClientDisconnect

from workflows.domain.request import answer_description, request_schema
from workflows.serving.batching import Batcher
from workflows.serving.errors import HostingError
from workflows.serving.hosting import VERSION_HEADER, Host, score, score_parsed, to_json

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 10 * MB
    header_seconds: float = 10.0
    body_seconds: float = 30.0
    keep_alive_seconds: float = 5.0
    drain_seconds: float = 30.0


class _VersionAndCount:
    """ASGI middleware: `MLflow-Model-Version` on every answer that lacks it (404s,
    /docs); it also holds the count of open connections (kept by the protocol,
    `_protocol`), which the batcher reads: a client that was just answered on a
    kept-alive connection is about to send its next request."""

    def __init__(self, app, host: Host):
        self.app = app
        self.host = host
        self.in_flight = 0
        self.connections = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        header = VERSION_HEADER.lower().encode()

        async def sending(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == header for name, _ in headers):
                    headers.append((header, self.host.served.version.encode()))
                message = {**message, "headers": headers}
            await send(message)

        self.in_flight += 1
        try:
            await self.app(scope, receive, sending)
        finally:
            self.in_flight -= 1


def create_app(host: Host, limits: Limits = Limits()):
    """The ASGI app serving `host`; returns (app, batcher). Stop the batcher after."""
    app = FastAPI(
        title=f"{host.registry.name} @{host.alias}" if host.alias else host.registry.name,
        description=answer_description(host.served.contract),
    )
    counted = _VersionAndCount(app, host)
    # Each open connection may send a request any moment: with 4 clients taking
    # turns, waiting (at most batching.MAX_WAIT_SECONDS) for those just answered
    # fills a batch to 4 where counting only requests in flight settled at ~1.7.
    batcher = Batcher(score, senders=lambda: max(counted.connections, 1), score_parsed=score_parsed)

    def answer(status: int, document: dict, version: str, close: bool = False) -> Response:
        headers = {VERSION_HEADER: version}
        if close:  # the rest of the body is not read: the connection cannot be reused
            headers["Connection"] = "close"
        return Response(to_json(document), status, headers, media_type="application/json")

    async def ping() -> Response:
        return Response(b"\n", 200, {VERSION_HEADER: host.served.version}, "application/json")

    app.get("/ping")(ping)
    app.get("/health")(ping)

    @app.get("/version")
    async def version() -> Response:
        served = host.served
        return answer(200, {"model_version": served.version}, served.version)

    @app.post(
        "/invocations",
        openapi_extra={"requestBody": request_schema(host.served.contract)},
        responses={413: {"description": "body larger than the limit"}},
    )
    async def invocations(request: Request) -> Response:
        served = host.served  # one read: the whole request uses this version
        too_large = {
            "error_code": "REQUEST_TOO_LARGE",
            "message": f"the body is larger than {limits.max_body_bytes:,} bytes; "
            "send fewer rows per request",
        }
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limits.max_body_bytes:
            return answer(413, too_large, served.version, close=True)
        body = bytearray()
        chunks = request.stream().__aiter__()
        try:
            while True:
                body += await asyncio.wait_for(anext(chunks), limits.body_seconds)
                if len(body) > limits.max_body_bytes:
                    return answer(413, too_large, served.version, close=True)
        except StopAsyncIteration:
            pass
        except TimeoutError:
            stalled = {"message": f"the body stalled for {limits.body_seconds:g} s"}
            return answer(408, stalled, served.version, close=True)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is left to read it
        content_type = request.headers.get("content-type") or "application/json"
        try:
            future = batcher.enqueue(served, bytes(body), content_type)
            status, document = await asyncio.wrap_future(future)
        except Exception as err:  # a bug must not take the server down; say what happened
            status, document = 500, {"message": f"{type(err).__name__}: {err}"}
        return answer(status, document, served.version)

    return counted, batcher


def _protocol(header_seconds: float, counted: _VersionAndCount | None = None):
    """uvicorn's HTTP protocol with a deadline for a request's headers: a client
    that connects and trickles (or sends nothing) is dropped, not waited for.
    counted: where the open connections are counted (for the batcher).

    httptools' C parser where it is installed (a dependency of this project), else
    h11: on 4 clients' 1-row requests, with uvloop, 0.87x the CPU per request."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as Protocol
    except ImportError:  # a platform without httptools' wheels
        from uvicorn.protocols.http.h11_impl import H11Protocol as Protocol

    class HeaderDeadline(Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if counted is not None:
                counted.connections += 1
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self.cycle is None or self.cycle.response_complete:
                self._arm()  # a new request is starting: its headers are on the clock
            cycle = self.cycle
            super().data_received(data)
            if self.cycle is not cycle:  # the headers are in: the app takes over
                self._disarm()

        def connection_lost(self, exc) -> None:
            if counted is not None:
                counted.connections -= 1
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(header_seconds, self._expired)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expired(self) -> None:
            self._deadline = None
            if self.cycle is None or self.cycle.response_complete:
                self.timeout_keep_alive_handler()  # closes the connection

    return HeaderDeadline


def bind(address: str, port: int) -> socket.socket:
    """A listening socket; HostingError when the port is taken."""
    # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only on connections
    # accepted from such a socket. With it on, every kept-alive answer's body waited
    # ~40 ms for the client's delayed ACK (64 req/s where 315 were possible).
    sock = socket.socket(
        socket.AF_INET6 if ":" in address else socket.AF_INET,
        socket.SOCK_STREAM,
        socket.IPPROTO_TCP,
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as err:
        sock.close()
        if err.errno != errno.EADDRINUSE:
            raise
        raise HostingError(
            f"{address}:{port} is already in use: stop what listens there or choose "
            "another port (make serve PORT=<port>)"
        ) from err
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def server(app, limits: Limits, stop_requested: Callable[[], bool] = lambda: False):
    """A uvicorn Server for `app` with `limits`; run it with `.run(sockets=[bind(...)])`.

    stop_requested: polled every tick; True drains and stops the server as SIGTERM
    does (a signal that came before uvicorn took the signals over is not lost)."""
    import uvicorn

    class Server(uvicorn.Server):
        async def on_tick(self, counter: int) -> bool:
            if stop_requested():
                self.should_exit = True
            return await super().on_tick(counter)

    config = uvicorn.Config(
        app,
        http=_protocol(limits.header_seconds, app if isinstance(app, _VersionAndCount) else None),
        loop="auto",  # uvloop where it is installed
        lifespan="off",
        timeout_keep_alive=limits.keep_alive_seconds,
        timeout_graceful_shutdown=limits.drain_seconds,
        log_level="warning",
        access_log=False,  # one line per request would drown the terminal
    )
    return Server(config)


def url_of(sock: socket.socket) -> str:
    address, port = sock.getsockname()[:2]
    return f"http://{f'[{address}]' if ':' in address else address}:{port}"


@contextlib.contextmanager
def hosting(
    host: Host, address: str = "127.0.0.1", port: int = 0, limits: Limits = Limits()
) -> Iterator[tuple[str, object]]:
    """Serve `host` on a thread and follow its alias; yields (URL, uvicorn Server).
    Stops both on exit, letting requests in flight finish. HostingError when the
    port is taken."""
    sock = bind(address, port)
    app, batcher = create_app(host, limits)
    running = server(app, limits)
    threads = [
        threading.Thread(target=running.run, kwargs={"sockets": [sock]}, name="http", daemon=True),
        threading.Thread(target=host.follow, name="follow-alias", daemon=True),
    ]
    for thread in threads:
        thread.start()
    try:
        yield url_of(sock), running
    finally:
        host.stop()
        running.should_exit = True
        for thread in threads:
            thread.join(timeout=limits.drain_seconds + 10)
        batcher.stop()
        sock.close()


def serve_here(
    host: Host, sock: socket.socket, limits: Limits, stop_requested: Callable[[], bool]
) -> None:
    """Serve on this (main) thread until SIGINT, SIGTERM or stop_requested(), then
    drain: uvicorn stops taking connections and finishes the requests in flight."""
    app, batcher = create_app(host, limits)
    follower = threading.Thread(target=host.follow, name="follow-alias", daemon=True)
    follower.start()
    try:
        server(app, limits, stop_requested).run(sockets=[sock])
    finally:
        host.stop()
        batcher.stop()
        follower.join(timeout=10)
