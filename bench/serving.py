"""Serving: server candidates side by side, and time from a change to a served answer.

For one model (the pipeline run once into a fresh SQLite store), each candidate
server is started in its own process and measured in turn:
- start: from launching it to its first correct answer;
- throughput and latency of 1-row and 100-row requests from 4 keep-alive
  clients in a second process (`python -m bench.serving load`) on loopback.
Candidates: `make serve` (in-process, follows the alias), MLflow's scoring
server with 1 and 2 workers, and MLServer with its MLflow runtime when an
`mlserver` executable is found (MLSERVER=<path> or on PATH; it is not a
dependency of the project).

Then, for each candidate, one 50 MB request while the 4 clients send 1-row
requests: how long until it is answered (413 from `make serve`'s body limit),
the clients' p99 meanwhile beside their p99 without it, and how much the
server's peak memory (VmHWM of its process tree) grew.

Then the switch: `make serve` is running and a load client sends 1-row
requests without pause while `python -m workflows run` trains and moves the
alias to a new version. Reported: failed requests (the goal is 0) and the time
from the start of the run to the first answer given by the new version.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import run_env

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = "development"
REQUESTS = 2000
THREADS = 4
TIME_CAP = 20.0
CASES = {"1 row": 1, "100 rows": 100}
JSON = {"Content-Type": "application/json"}
START_TIMEOUT = 300.0


def _env(store: Path) -> dict[str, str]:
    return run_env(store, DOMAIN=DOMAIN)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pipeline(env: dict[str, str], **extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "workflows", "run"], env=env | extra, cwd=ROOT, capture_output=True
    )
    if done.returncode != 0:
        sys.exit(f"pipeline failed:\n{done.stderr.decode()[-3000:]}")
    return time.perf_counter() - started


def example_rows(store: Path, rows: int) -> dict:
    """A `dataframe_split` body of `rows` rows: the model's logged example, repeated."""
    from workflows.gateways.registry import Registry
    from workflows.settings import Settings

    settings = Settings.from_env(_env(store))
    body = Registry(settings).serving_example(f"models:/{settings.model_name}@{DOMAIN}")
    data = body["dataframe_split"]["data"]
    repeated = (data * -(-rows // len(data)))[:rows]
    return {"dataframe_split": {"columns": body["dataframe_split"]["columns"], "data": repeated}}


def post(host: str, port: int, body: bytes, timeout: float = 30) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("POST", "/invocations", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


class ServerDown(RuntimeError):
    """A candidate never answered; the bench records it and goes on."""


def _first_answer(port: int, body: bytes, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDown(f"the server exited with code {process.returncode}")
        with contextlib.suppress(OSError, ValueError):
            status, answer = post("127.0.0.1", port, body, timeout=5)
            if status == 200:
                return answer
        time.sleep(0.05)
    raise ServerDown(f"no answer on port {port} within {START_TIMEOUT:.0f} s")


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """A server in a session of its own, so _stop can end its whole group."""
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    """Ctrl-C, as a user would; the whole group if it does not end in time."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _mlserver_folder(store: Path, port: int) -> Path:
    """MLServer's settings for the model behind the alias, checked against our allow-list."""
    from workflows.gateways.registry import Registry
    from workflows.settings import Settings

    registry = Registry(Settings.from_env(_env(store)))
    folder = Path(tempfile.mkdtemp(prefix="mlserver-", dir=store))
    version = registry.alias_target(DOMAIN)
    local = registry.download_checked(f"models:/{registry.name}/{version}", folder / "files")
    (folder / "settings.json").write_text(
        json.dumps(
            {
                "http_port": port,
                "grpc_port": free_port(),
                "metrics_port": free_port(),
                # Inference in the server process: MLServer 1.7.1's worker pool dies
                # at start with the uvloop this resolves to ("no current event loop").
                "parallel_workers": 0,
            }
        )
    )
    (folder / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "model",
                "implementation": "mlserver_mlflow.MLflowRuntime",
                "parameters": {"uri": str(local)},
            }
        )
    )
    return folder


def candidates(store: Path, port: int) -> dict[str, list[str]]:
    serve = [sys.executable, "-m", "workflows", "serve", "--domain", DOMAIN, "--port", str(port)]
    found = {
        "make serve (uvicorn app, follows the alias)": serve,
        "mlflow models serve, 1 worker": [*serve, "--server", "mlflow", "--workers", "1"],
        "mlflow models serve, 2 workers": [*serve, "--server", "mlflow", "--workers", "2"],
    }
    mlserver = os.environ.get("MLSERVER") or shutil.which("mlserver")
    if mlserver:
        found["MLServer 1.7 + MLflow runtime"] = [
            mlserver, "start", str(_mlserver_folder(store, port)),
        ]  # fmt: skip
    return found


def expected_probabilities(store: Path, body: dict) -> list[float]:
    """P(positive) the registered model itself gives the rows of `body` (not timed)."""
    import pandas as pd

    from workflows.gateways.registry import Registry
    from workflows.settings import Settings

    settings = Settings.from_env(_env(store))
    model = Registry(settings).load_model(f"models:/{settings.model_name}@{DOMAIN}")
    rows = pd.DataFrame(body["dataframe_split"]["data"], columns=body["dataframe_split"]["columns"])
    return [float(p) for p in model.positive_probability(rows)]


def measure_candidate(
    command: list[str], port: int, env: dict, bodies: Path, expected: list[float]
) -> dict:
    """Start to the first correct answer, then the load test; the server is stopped."""
    from workflows.gateways.deployer import SmokeCheckError, compare

    if Path(command[0]).name == "mlserver":
        # Its MLflow runtime loads the files _mlserver_folder checked against our allow-list.
        env = env | {"MLFLOW_ALLOW_PICKLE_DESERIALIZATION": "true"}
    first = json.dumps(json.loads(bodies.read_text())["1 row"]).encode()
    started = time.perf_counter()
    process = _start(command, env)
    try:
        answer = _first_answer(port, first, process)
        start = time.perf_counter() - started
        compare(command[-1], [p["probability"] for p in answer["predictions"]], expected)
        return {
            "start_seconds": start,
            "load": _load_test(port, bodies, process.pid),
            "big_request": big_request(port, process.pid, bodies),
        }
    except (ServerDown, SmokeCheckError) as err:
        return {"error": str(err)}
    finally:
        _stop(process)


BIG_MB = 50


def _tree(root: int) -> list[Path]:
    """/proc entries of `root` and every process under it. By parent, not by
    process group: `mlflow models serve` starts its uvicorn in a session of its own."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                parents[int(entry.name)] = int(
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
                )
    tree, grown = {root}, True
    while grown:
        below = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= below
        grown = bool(below)
    return [Path(f"/proc/{pid}") for pid in tree]


def _peak_mb(root: int) -> float:
    """The summed peak resident memory (VmHWM) of `root`'s process tree, in MB."""
    total = 0
    for entry in _tree(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            for line in (entry / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return total / 1024


def _cpu_seconds(root: int) -> float:
    """User + system CPU time spent so far by `root`'s process tree (live processes)."""
    ticks = 0
    for entry in _tree(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _send_big(port: int) -> tuple[int, float]:
    """A 50 MB JSON-looking body sent as fast as the server takes it; (status, seconds)."""
    piece = b" " * (1 << 20)
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (BIG_MB << 20)
        )
        with contextlib.suppress(OSError):  # the server may answer and close early
            for _ in range(BIG_MB):
                sock.sendall(piece)
        answer = b""
        with contextlib.suppress(OSError):
            while b"\r\n" not in answer:
                more = sock.recv(4096)
                if not more:
                    break
                answer += more
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - started


def big_request(port: int, group: int, bodies: Path) -> dict:
    """One 50 MB request while 4 clients send 1-row requests (load in its own process)."""
    one_row = bodies.with_name("one-row.json")
    one_row.write_text(json.dumps({"1 row": json.loads(bodies.read_text())["1 row"]}))
    before = _peak_mb(group)
    command = [sys.executable, "-m", "bench.serving", "load", str(port), "--bodies", str(one_row)]
    load = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)  # the clients are sending
    status, seconds = _send_big(port)
    out, _ = load.communicate(timeout=300)
    return {
        "status": status,
        "seconds": seconds,
        "others": json.loads(out)["1 row"],
        "peak_growth_mb": _peak_mb(group) - before,
    }


def switch(store: Path, env: dict, body: bytes) -> dict:
    """Requests without pause while the pipeline moves the alias to a new version."""
    port = free_port()
    command = [sys.executable, "-m", "workflows", "serve", "--domain", DOMAIN, "--port", str(port)]
    process = _start(command, env)
    try:
        before = _first_answer(port, body, process)["model_version"]
        seen: list[tuple[float, int, str]] = []  # (time, status, version)
        stop = threading.Event()

        def client() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while not stop.is_set():
                try:
                    connection.request("POST", "/invocations", body, JSON)
                    response = connection.getresponse()
                    answer = json.loads(response.read())
                    seen.append((time.perf_counter(), response.status, answer.get("model_version")))
                except (OSError, ValueError, http.client.HTTPException):
                    seen.append((time.perf_counter(), 0, ""))
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.close()

        clients = [threading.Thread(target=client) for _ in range(2)]
        for thread in clients:
            thread.start()
        started = time.perf_counter()
        # Another seed gives another model, so the run registers a new version.
        pipeline = _pipeline(env, PARAMS=json.dumps({"max_depth": 3}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(v not in (before, "") for *_, v in seen):
            time.sleep(0.05)
        time.sleep(1.0)  # and keep the load on a little after the swap
        stop.set()
        for thread in clients:
            thread.join()
    finally:
        _stop(process)
    after = [t for t, status, v in seen if status == 200 and v not in (before, "")]
    return {
        "requests": len(seen),
        "failed": sum(status != 200 for _, status, _ in seen),
        "version_before": before,
        "version_after": seen[-1][2] if seen else "",
        "pipeline_seconds": pipeline,
        "run_start_to_new_version_seconds": (min(after) - started) if after else None,
    }


def measure(runs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as folder:
        store = Path(folder)
        env = _env(store)
        print("serving: the pipeline once, for a model ...", file=sys.stderr, flush=True)
        _pipeline(env)
        bodies = store / "bodies.json"
        bodies.write_text(json.dumps({case: example_rows(store, n) for case, n in CASES.items()}))
        expected = expected_probabilities(store, example_rows(store, 1))
        port = free_port()
        found = candidates(store, port)
        rounds: dict[str, list[dict]] = {name: [] for name in found}
        # Alternating order, round by round: a machine that gets busier or quieter
        # meanwhile weighs on every candidate alike.
        for index in range(runs):
            order = list(found) if index % 2 == 0 else list(found)[::-1]
            for name in order:
                print(f"serving, run {index + 1}/{runs}: {name} ...", file=sys.stderr, flush=True)
                rounds[name].append(measure_candidate(found[name], port, env, bodies, expected))
        print("serving: load across an alias switch ...", file=sys.stderr, flush=True)
        moved = switch(store, env, json.dumps(example_rows(store, 1)).encode())
    servers = {name: median_record(records) for name, records in rounds.items()}
    return {
        "runs": runs,
        "load_before": os.getloadavg(),
        "servers": servers,
        "ratios": paired_ratios(rounds),
        "switch": moved,
    }


def median_record(records: list[dict]) -> dict:
    """Field by field, the median of the runs that did not fail; the first
    failure when every run failed."""
    ok = [r for r in records if "error" not in r]
    if not ok:
        return records[0]
    merged: dict = {}
    for key, value in ok[0].items():
        values = [r[key] for r in ok]
        if isinstance(value, dict):
            merged[key] = median_record(values)
        elif key == "errors":  # a failed request in any run counts
            merged[key] = max(values)
        elif isinstance(value, int) and len(set(values)) == 1:  # a status, a count
            merged[key] = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            merged[key] = statistics.median(values)
        else:
            merged[key] = value
    return merged


def paired_ratios(rounds: dict[str, list[dict]]) -> dict[str, dict[str, float]]:
    """`make serve` against each other candidate, 1-row case, run by run: the
    median of its req/s over theirs and of its CPU per request over theirs."""
    ours_name = next(iter(rounds))
    ratios = {}
    for name, records in list(rounds.items())[1:]:
        pairs = [
            (a["load"]["1 row"], b["load"]["1 row"])
            for a, b in zip(rounds[ours_name], records, strict=True)
            if "error" not in a and "error" not in b
        ]
        if pairs:
            ratios[name] = {
                "requests_per_second": statistics.median(
                    a["requests_per_second"] / b["requests_per_second"] for a, b in pairs
                ),
                "cpu_ms_per_request": statistics.median(
                    a["cpu_ms_per_request"] / b["cpu_ms_per_request"] for a, b in pairs
                ),
            }
    return ratios


def _load_test(port: int, bodies: Path, server: int) -> dict:
    """The load client's figures per case, with the server's CPU time per request
    (ms, its whole process tree): a figure the other processes on a shared machine
    skew far less than requests per second."""
    results = {}
    for case, body in json.loads(bodies.read_text()).items():
        one_case = bodies.with_name("case.json")
        one_case.write_text(json.dumps({case: body}))
        command = [
            sys.executable,
            "-m",
            "bench.serving",
            "load",
            str(port),
            "--bodies",
            str(one_case),
        ]
        before = _cpu_seconds(server)
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            sys.exit(f"load test failed:\n{done.stderr[-3000:]}")
        figures = json.loads(done.stdout)[case]
        figures["cpu_ms_per_request"] = 1000 * (_cpu_seconds(server) - before) / figures["requests"]
        results[case] = figures
    return results


# --- the load client: runs in its own process ---------------------------------------


def load(port: int, bodies: dict[str, bytes]) -> dict:
    results = {}
    for case, body in bodies.items():
        latencies, errors, wall = _hammer("127.0.0.1", port, body, REQUESTS, THREADS)
        ordered = sorted(latencies)
        results[case] = {
            "requests": len(ordered),
            "errors": errors,
            "concurrency": THREADS,
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
        f"serving, medians of {result.get('runs', 1)} alternating run(s) "
        f"(load average {result['load_before'][0]:.1f} at the end): "
        f"{THREADS} keep-alive clients on loopback, up to {REQUESTS} requests or "
        f"{TIME_CAP:.0f} s per case",
        f"  {'server':<50} {'start s':>7} {'case':<9} {'req/s':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6} {'cpu ms/req':>10}",
    ]
    for name, values in result["servers"].items():
        if "error" in values:
            lines.append(f"  {name:<50} failed: {values['error']}")
            continue
        for index, (case, load_result) in enumerate(values["load"].items()):
            start = f"{values['start_seconds']:7.2f}" if index == 0 else " " * 7
            lines.append(
                f"  {name if index == 0 else '':<50} {start} {case:<9} "
                f"{load_result['requests_per_second']:7.1f} {load_result['p50_ms']:7.1f} "
                f"{load_result['p99_ms']:7.1f} {load_result['errors']:>6} "
                f"{load_result.get('cpu_ms_per_request', float('nan')):10.2f}"
            )
    lines += [
        "",
        f"one {BIG_MB} MB request while {THREADS} clients send 1-row requests:",
        f"  {'server':<50} {'status':>6} {'s':>6} {'p99 ms':>7} {'quiet p99':>9} {'peak +MB':>8}",
    ]
    for name, values in result["servers"].items():
        big = values.get("big_request")
        if big:
            quiet = values["load"]["1 row"]["p99_ms"]
            lines.append(
                f"  {name:<50} {big['status']:>6} {big['seconds']:6.2f} "
                f"{big['others']['p99_ms']:7.1f} {quiet:9.1f} {big['peak_growth_mb']:8.1f}"
            )
    ratios = result.get("ratios", {})
    if ratios:
        lines += ["", "make serve against each, 1 row, paired per run (median ratio):"]
        lines += [
            f"  {name:<50} req/s {r['requests_per_second']:5.2f}x  "
            f"CPU per request {r['cpu_ms_per_request']:5.2f}x"
            for name, r in ratios.items()
        ]
    moved = result["switch"]
    to_new = moved["run_start_to_new_version_seconds"]
    lines += [
        "",
        f"alias switch under load: v{moved['version_before']} -> v{moved['version_after']}, "
        f"{moved['requests']} requests, {moved['failed']} failed",
        f"  make run {moved['pipeline_seconds']:.2f} s; run start -> first answer of the new "
        f"version: {to_new:.2f} s"
        if to_new is not None
        else "  the new version never answered",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.serving")
    parser.add_argument("command", choices=["load"])
    parser.add_argument("port", type=int)
    parser.add_argument("--bodies", required=True, help="JSON file: case -> request body")
    args = parser.parse_args()
    cases = json.loads(Path(args.bodies).read_text())
    print(json.dumps(load(args.port, {k: json.dumps(v).encode() for k, v in cases.items()})))
