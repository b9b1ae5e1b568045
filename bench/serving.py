"""Time to a serving model, and the local scoring server's throughput.

Time to serving: from the start of `python -m workflows run` (what `make run`
starts) to the first correct prediction from `python -m workflows.serve` (what
`make serve` starts), each run in a fresh SQLite store. Then a short load test
against the last server, from a second process (`python -m bench.serving load`)
on loopback: a bounded number of requests per case, with a time cap.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from bench.stats import header, row, summary
from workflows.gateways.deployer import SmokeCheckError, compare, invocations_payload

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "development"
REQUESTS = 300
THREADS = 4
TIME_CAP = 30.0
CASES = {"1 row": 1, "100 rows": 100}


def _env(store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("MIN_AUC", "DATA", "ROWS", "DOMAIN")}
    return env | {"MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}", "DOMAIN": DOMAIN}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def held_out(rows: int) -> tuple[list[str], list[list]]:
    """Held-out rows of the project's default table, as the pipeline splits it (seed 42)."""
    import pandas as pd

    from workflows import steps
    from workflows.domain import contract as data_contract
    from workflows.domain.training import features_and_target
    from workflows.settings import Settings

    settings = Settings.from_env()
    _, test = steps.prepare(settings.contract_path, settings.data, 0.25, 42)
    features, _ = features_and_target(test, data_contract.load(settings.contract_path))
    repeats = -(-rows // len(features))  # more rows than held out: repeat them
    features = pd.concat([features] * repeats, ignore_index=True).head(rows)
    split = json.loads(invocations_payload(features))["dataframe_split"]
    return split["columns"], split["data"]


def _payload(columns: list[str], data: list[list]) -> bytes:
    return json.dumps({"dataframe_split": {"columns": columns, "data": data}}).encode()


def _first_prediction(url: str, body: bytes, server: subprocess.Popen, timeout: float) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the scoring server exited with code {server.returncode}")
        request = urllib.request.Request(
            f"{url}/invocations", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.load(response)["predictions"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    sys.exit(f"no prediction from {url} within {timeout:.0f} s")


def _stop(server: subprocess.Popen) -> None:
    # Ctrl-C, as a user would: workflows.serve then stops its scoring server's group.
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGINT)
    try:
        server.wait(30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def one_run(store: Path, columns: list[str], rows: list[list[float]]) -> tuple[dict, Path]:
    env = _env(store)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "workflows", "run"], env=env, cwd=ROOT, capture_output=True
    )
    pipeline = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"pipeline failed:\n{done.stderr.decode()[-3000:]}")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "workflows.serve", "--domain", DOMAIN, "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    got = _first_prediction(url, _payload(columns, rows), server, timeout=300)
    to_serving = time.perf_counter() - started
    return {"pipeline": pipeline, "to_serving": to_serving, "predictions": got}, (server, url)


def _expected(store: Path, columns: list[str], rows: list[list]) -> list[float]:
    """The registered model's own P(positive), loaded in this process (not timed)."""
    import pandas as pd

    from workflows.gateways.registry import Registry
    from workflows.settings import Settings

    settings = Settings.from_env(_env(store))
    model = Registry(settings).load_model(f"models:/{settings.model_name}@{DOMAIN}")
    return [float(p) for p in model.positive_probability(pd.DataFrame(rows, columns=columns))]


def measure(runs: int) -> dict:
    columns, rows = held_out(20)
    times: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as folder:
        for index in range(runs):
            print(f"time to serving, run {index + 1}/{runs} ...", file=sys.stderr, flush=True)
            store = Path(folder) / f"run-{index}"
            store.mkdir()
            result, (server, url) = one_run(store, columns, rows)
            try:
                served = [p["probability"] for p in result.pop("predictions")]
                try:
                    compare("the scoring server", served, _expected(store, columns, rows))
                except SmokeCheckError as err:
                    sys.exit(str(err))
                times.append(result)
                if index == runs - 1:
                    print("load test ...", file=sys.stderr, flush=True)
                    throughput = _load_test(url)
            finally:
                _stop(server)
    pipeline = [t["pipeline"] for t in times]
    serving = [t["to_serving"] for t in times]
    return {
        "runs": runs,
        "pipeline_seconds": summary(pipeline),
        "time_to_serving_seconds": summary(serving),
        "server_start_seconds": summary([s - p for s, p in zip(serving, pipeline, strict=True)]),
        "throughput": throughput,
    }


def _load_test(url: str) -> dict:
    command = [sys.executable, "-m", "bench.serving", "load", url]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        sys.exit(f"load test failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


# --- the load client: runs in its own process ---------------------------------------


def load(url: str, requests: int = REQUESTS, threads: int = THREADS) -> dict:
    host, port = url.removeprefix("http://").split(":")
    results = {}
    for case, rows in CASES.items():
        columns, data = held_out(rows)
        latencies, errors, wall = _hammer(
            host, int(port), _payload(columns, data), requests, threads
        )
        ordered = sorted(latencies)
        results[case] = {
            "rows_per_request": rows,
            "requests": len(ordered),
            "errors": errors,
            "concurrency": threads,
            "requests_per_second": len(ordered) / wall,
            "p50_ms": 1000 * ordered[len(ordered) // 2],
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        }
    return results


def _hammer(
    host: str, port: int, body: bytes, requests: int, threads: int
) -> tuple[list[float], int, float]:
    """`requests` POSTs from `threads` keep-alive clients, stopping at TIME_CAP."""
    latencies: list[float] = []
    errors = 0
    remaining = requests
    lock = threading.Lock()
    deadline = time.monotonic() + TIME_CAP

    def worker() -> None:
        nonlocal errors, remaining
        connection = http.client.HTTPConnection(host, port, timeout=30)
        while time.monotonic() < deadline:
            with lock:
                if remaining == 0:
                    break
                remaining -= 1
            start = time.perf_counter()
            connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                errors += response.status != 200
        connection.close()

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, errors, time.perf_counter() - started


def report(result: dict) -> str:
    lines = [
        f"time to a serving model, seconds ({result['runs']} runs, fresh store each)",
        header(),
        row("pipeline (make run)", result["pipeline_seconds"]),
        row("then server up, first prediction", result["server_start_seconds"]),
        row("run start -> first prediction", result["time_to_serving_seconds"]),
        "",
        "local scoring server throughput (1 uvicorn worker, loopback, keep-alive)",
        f"  {'request':<12} {'requests':>8} {'clients':>7} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'errors':>6}",
    ]
    for case, values in result["throughput"].items():
        lines.append(
            f"  {case:<12} {values['requests']:>8} {values['concurrency']:>7} "
            f"{values['requests_per_second']:>8.1f} {values['p50_ms']:>8.1f} "
            f"{values['p99_ms']:>8.1f} {values['errors']:>6}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.serving")
    parser.add_argument("command", choices=["load"])
    parser.add_argument("url")
    args = parser.parse_args()
    print(json.dumps(load(args.url)))
