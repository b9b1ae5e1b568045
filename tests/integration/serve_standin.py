"""`python -m workflows serve` with a stand-in scoring server, for many quick stop cycles.

The real `mlflow models serve` takes ~25 s to start; this one starts in a blink
and has the same process layout (checked against the real one by
tests.integration.processes.ServingTree in test_serving.py): a session leader
started by serve, which starts a worker that holds the port and answers /ping,
and which the leader waits for. Only the model check and the server command are
replaced; the signal handling, waiting and stopping are serve's own.

    python -m tests.integration.serve_standin serve --port P   # workflows serve, stand-in inside
    python -m tests.integration.serve_standin leader --port P  # what serve starts
    python -m tests.integration.serve_standin worker --port P  # what the leader starts
"""

from __future__ import annotations

import http.server
import subprocess
import sys

from workflows.cli.main import main as workflows_main
from workflows.serving import launcher

MODULE = "tests.integration.serve_standin"


class _Ping(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/ping" else 404)
        self.end_headers()

    def log_message(self, *args):  # quiet, like a server whose log nobody reads
        pass


def _worker(port: int) -> int:
    http.server.HTTPServer(("127.0.0.1", port), _Ping).serve_forever()
    return 0


def _leader(port: int) -> int:
    worker = subprocess.Popen([sys.executable, "-m", MODULE, "worker", "--port", str(port)])
    return worker.wait()


def _serve(argv: list[str]) -> int:
    def verify(settings, domain):
        return launcher.Verified(f"models:/standin@{domain}", "1", "models:/standin/1")

    def server_command(model_uri, host, port, workers=1):
        return [sys.executable, "-m", MODULE, "leader", "--port", str(port)]

    launcher.verify = verify
    launcher.server_command = server_command
    # The stand-in replaces MLflow's scoring server: the path that starts one.
    return workflows_main(["serve", *argv, "--server", "mlflow"])


def main(argv: list[str]) -> int:
    role, rest = argv[0], argv[1:]
    if role == "serve":
        return _serve(rest)
    port = int(rest[rest.index("--port") + 1])
    return {"leader": _leader, "worker": _worker}[role](port)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
