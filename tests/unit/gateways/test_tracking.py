"""Asking whether the tracking server is there: only a server that does not answer is down."""

from __future__ import annotations

import http.server
import socket
import threading

from workflows.gateways.tracking import unreachable_reason


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_nothing_listening_is_unreachable_with_the_reason():
    reason = unreachable_reason(f"http://127.0.0.1:{_closed_port()}", timeout=2)
    assert reason is not None and "refused" in reason.lower()


def test_any_http_answer_even_an_error_means_the_server_is_there():
    class NoHealth(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # e.g. a proxy in front of the server that hides /health
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), NoHealth)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert unreachable_reason(f"http://127.0.0.1:{server.server_port}/", timeout=2) is None
    finally:
        server.shutdown()
        server.server_close()


def test_a_local_store_has_no_server_to_be_down():
    assert unreachable_reason("sqlite:////nowhere/mlflow.db") is None
