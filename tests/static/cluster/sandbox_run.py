"""`make sandbox` (scripts/sandbox-up.sh) run for real against stand-in tools.

No cluster can run here, so k3d, docker, kubectl, flytectl and curl are small
stand-ins that record every call, in order, and answer like the real tools;
bash, python3, git, awk and base64 are the machine's own. The stand-in
kubectl refuses any flag the locked kubectl does not list, builds each
`apply -k` with the real `kubectl kustomize`, and keeps the Secrets the
script creates, so tests can ask: what did `make sandbox` apply, in which
order, with which images, and what did it do when a tool failed?
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tests.static.cluster.support import ROOT

# What the script reads from the repository.
COPIED = ("scripts", "k3d", "infra", "argo", "workflows/identity.py")

PRELUDE = f"""#!{sys.executable}
import json, os, sys
sys.path.insert(0, {str(ROOT)!r})
STATE = os.environ["FAKE_STATE"]
def log(tool, stdin=None):
    with open(os.path.join(STATE, "calls.jsonl"), "a") as out:
        out.write(json.dumps({{"tool": tool, "argv": sys.argv[1:], "stdin": stdin}}) + "\\n")
def load(name, default):
    path = os.path.join(STATE, name)
    return json.load(open(path)) if os.path.exists(path) else default
def save(name, value):
    json.dump(value, open(os.path.join(STATE, name), "w"))
def flag(name):
    return os.path.exists(os.path.join(STATE, name))
"""

K3D = """
log("k3d")
args = sys.argv[1:]
if args == ["version"]:
    print("k3d version v5.8.3")
    print("k3s version v1.31.5-k3s1 (default)")
if args[:2] == ["cluster", "get"]:
    sys.exit(0 if flag("cluster-exists") else 1)
if args[:2] == ["cluster", "create"]:
    config = args[args.index("--config") + 1]
    # k3d expands environment variables in its config (Go's os.ExpandEnv).
    text = os.path.expandvars(open(config).read())
    save("k3d-config.json", text)
if args[:2] == ["cluster", "start"] and flag("cluster-stopped"):
    os.remove(os.path.join(STATE, "cluster-stopped"))
    os.remove(os.path.join(STATE, "dns-lost")) if flag("dns-lost") else None
if args[:2] == ["cluster", "stop"]:
    open(os.path.join(STATE, "cluster-stopped"), "w").close()
"""

# A laptop that meets the preflight's minimum: Docker Engine 29, k3d 5.8.
DOCKER = """
log("docker")
if sys.argv[1:2] == ["info"]:  # CPUs, memory, data dir, OS: what the preflight asks
    print(4, 8 * 2**30, "/nonexistent/docker-root", "Docker Desktop")
elif sys.argv[1:2] == ["version"]:  # --format '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}'
    print("1.52 1.44")
"""

# The script's waits sleep between tries; the stand-ins answer at once.
SLEEP = """
log("sleep")
"""

FLYTECTL = """
from tests.fakes.contracts import refuse_unknown_flags
log("flytectl")
refuse_unknown_flags("flytectl", sys.argv[1:])
"""

CURL = """
log("curl")
args = sys.argv[1:]
url = next(a for a in args if a.startswith("http"))
method = args[args.index("-X") + 1] if "-X" in args else "GET"
if method == "POST":
    hooks = load("hooks.json", [])
    if url.endswith("/hooks"):
        hooks.append(json.loads(args[args.index("--data") + 1]))
        save("hooks.json", hooks)
    print("{}")
elif url.endswith("/hooks"):
    # The hook list, long and over many lines: a reader that stops at the first
    # match (grep -q) closes the pipe, and the writer fails as real curl does
    # (exit 23), writing piece by piece as curl does.
    hooks = load("hooks.json", []) + [{"config": {"url": "x" * 100}}] * 20000
    data = json.dumps(hooks, indent=2).encode()
    try:
        for start in range(0, len(data), 16384):
            os.write(1, data[start:start + 16384])
    except BrokenPipeError:
        os._exit(23)
else:
    print("{}")
"""

KUBECTL = """
import base64, subprocess
from tests.fakes.contracts import check_kubectl, UnknownFlag, real_kubectl
args = sys.argv[1:]
stdin = sys.stdin.read() if "-" in args and "-f" in args else None
log("kubectl", stdin)
try:
    command = check_kubectl(args)
except UnknownFlag as err:
    sys.exit(f"error: {err}")
def option(*names):
    for i, a in enumerate(args):
        for n in names:
            if a == n:
                return args[i + 1]
            if a.startswith(n + "="):
                return a.split("=", 1)[1]
    return None
namespace = option("-n", "--namespace") or "default"
words = [a for a in args if not a.startswith("-")]
secrets = load("secrets.json", {})
if command == ("version",):
    print("Client Version: v1.32.0")
elif command == ("create", "secret", "generic"):
    data = dict(a.split("=", 1)[1].split("=", 1) for a in args if a.startswith("--from-literal="))
    name = words[words.index("generic") + 1]
    print(json.dumps({"apiVersion": "v1", "kind": "Secret",
                      "metadata": {"name": name, "namespace": namespace}, "stringData": data}))
elif command == ("create", "namespace"):
    print(json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": words[-1]}}))
elif command == ("apply",) and stdin is not None:
    document = json.loads(stdin)
    if document["kind"] == "Secret":
        meta = document["metadata"]
        secrets[meta["namespace"] + "/" + meta["name"]] = document["stringData"]
        save("secrets.json", secrets)
elif command == ("apply",) and option("-k", "--kustomize"):
    built = subprocess.run([real_kubectl(), "kustomize", option("-k", "--kustomize")],
                           capture_output=True, text=True)
    if built.returncode:
        sys.exit(built.stderr)
    applied = load("applied.json", [])
    applied.append({"kustomize": option("-k", "--kustomize"), "namespace": None,
                    "yaml": built.stdout})
    save("applied.json", applied)
elif command == ("apply",) and option("-f", "--filename"):
    applied = load("applied.json", [])
    applied.append({"file": option("-f", "--filename"), "namespace": namespace,
                    "yaml": open(option("-f", "--filename")).read()})
    save("applied.json", applied)
elif command == ("get",) and "secret" in words:
    key = f"{namespace}/{words[words.index('secret') + 1]}"
    if key not in secrets:
        sys.exit(f"Error from server (NotFound): secrets {key!r} not found")
    output = option("-o", "--output")
    if output and output.startswith("jsonpath={.data."):
        field = output[len("jsonpath={.data."):-1]
        print(base64.b64encode(secrets[key][field].encode()).decode(), end="")
elif command == ("get",) and "configmap" in words:
    hosts = "172.18.0.3 k3d-mlops-sandbox-server-0\\n"
    if not flag("dns-lost"):
        hosts += "172.18.0.2 k3d-registry.localhost\\n"
    print(hosts, end="")
elif command == ("exec",):
    gitea = args[args.index("--") + 1:]
    users = load("gitea-users.json", [])
    if gitea[:4] == ["gitea", "admin", "user", "list"]:
        print("ID   Username        Email                IsActive")
        for i, user in enumerate(users, 1):
            print(f"{i}    {user}   {user}@sandbox.localhost   true")
    elif gitea[:4] == ["gitea", "admin", "user", "create"]:
        if flag("gitea-create-fails"):
            sys.exit("Command error: CreateUser: database is locked")
        users.append(gitea[gitea.index("--username") + 1])
        save("gitea-users.json", users)
"""


@dataclass
class SandboxRun:
    """One run of sandbox-up.sh: its result and everything the stand-ins saw."""

    done: subprocess.CompletedProcess
    state: Path
    repo: Path
    calls: list[dict] = field(default_factory=list)

    def of(self, tool: str) -> list[list[str]]:
        return [c["argv"] for c in self.calls if c["tool"] == tool]

    def index(self, predicate) -> int:
        """Position of the first call matching predicate(call); -1 when none does."""
        return next((i for i, c in enumerate(self.calls) if predicate(c)), -1)

    def applied(self) -> list[dict]:
        """Every apply, in order: {source, namespace, resources}."""
        path = self.state / "applied.json"
        stages = json.loads(path.read_text()) if path.exists() else []
        return [
            {
                "source": s.get("kustomize") or s.get("file"),
                "namespace": s["namespace"],
                "resources": [d for d in yaml.safe_load_all(s["yaml"]) if d],
            }
            for s in stages
        ]

    def secrets(self) -> dict[str, dict[str, str]]:
        path = self.state / "secrets.json"
        return json.loads(path.read_text()) if path.exists() else {}

    def hooks(self) -> list[dict]:
        path = self.state / "hooks.json"
        return json.loads(path.read_text()) if path.exists() else []


def prepare(tmp: Path) -> tuple[Path, Path, Path]:
    """A copy of what the script reads, a bin dir of stand-ins, and a state dir."""
    repo, bin_dir, state = tmp / "repo", tmp / "bin", tmp / "state"
    for directory in (repo, bin_dir, state):
        directory.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source, target = ROOT / name, repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    for name, body in {
        "k3d": K3D, "docker": DOCKER, "kubectl": KUBECTL, "flytectl": FLYTECTL, "curl": CURL,
        "sleep": SLEEP,
    }.items():  # fmt: skip
        script = bin_dir / name
        script.write_text(PRELUDE + body)
        script.chmod(0o755)
    return repo, bin_dir, state


def run_sandbox_up(
    tmp: Path, flags: tuple[str, ...] = (), env: dict[str, str] | None = None,
    prepared: tuple[Path, Path, Path] | None = None,
) -> SandboxRun:  # fmt: skip
    """Run scripts/sandbox-up.sh with the stand-ins; `flags` are state files
    that steer them (cluster-exists, dns-lost, gitea-create-fails, …)."""
    repo, bin_dir, state = prepared or prepare(tmp)
    for name in flags:
        (state / name).touch()
    (state / "calls.jsonl").unlink(missing_ok=True)
    environment = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "FAKE_STATE": str(state),
        "KUBECTL_HELP_CACHE": str(tmp.parent / "kubectl-help"),
        "SANDBOX_TIMEOUT": "20",
        **(env or {}),
    }
    environment.pop("SANDBOX_REGISTRY_PORT", None) if "SANDBOX_REGISTRY_PORT" not in (
        env or {}
    ) else None
    done = subprocess.run(
        ["bash", "scripts/sandbox-up.sh"], cwd=repo, env=environment,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    log = state / "calls.jsonl"
    calls = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return SandboxRun(done, state, repo, calls)
