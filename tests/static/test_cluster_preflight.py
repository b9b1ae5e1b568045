"""`make sandbox` checks its tools and the machine first, and stops at once saying why.

The preflight runs with a PATH that holds only basic tools plus stand-ins
that answer as the real ones do (`docker info`/`docker version` with
--format, `k3d version`, `kubectl version --client`), so the result is the
same on any machine: non-zero within seconds, one message naming each problem
with what was found, what is needed and how to fix it, and no traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from tests.static.cluster.support import ROOT, sandbox_lib
from tests.tools import missing

GIB = 2**30
BASICS = ("bash", "dirname", "head", "timeout", "python3", "git", "curl", "make", "sed", "awk",
          "cut", "df")  # fmt: skip


@pytest.fixture
def bare_path(tmp_path):
    """A bin directory with only BASICS: no docker, k3d, kubectl or flytectl."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in BASICS:
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    return bin_dir


def fake(bin_dir, name: str, body: str) -> None:
    target = bin_dir / name
    target.unlink(missing_ok=True)
    target.write_text(f"#!/usr/bin/env bash\n{body}\n")
    target.chmod(0o755)


def machine(bin_dir, *, cpus=2, memory=7.7 * GIB, root="/", os_name="Ubuntu 24.04.1 LTS",
            api="1.52 1.44", k3d="v5.8.3", kubectl="v1.32.5", engine_up=True) -> None:  # fmt: skip
    """Stand-ins for a laptop that meets the minimum unless told otherwise:
    Docker Engine 29 (API 1.52, accepts >= 1.44), k3d 5.8.3, kubectl 1.32."""
    info = (
        f'echo "{cpus} {int(memory)} {root} {os_name}"'
        if engine_up
        else "echo 'Cannot connect' >&2; exit 1"
    )
    fake(
        bin_dir,
        "docker",
        f"""case "$1" in
  --version) echo "Docker version 29.0.1, build abc" ;;
  info) {info} ;;
  version) echo "{api}" ;;
esac""",
    )
    fake(bin_dir, "k3d", f'echo "k3d version {k3d}"; echo "k3s version v1.31.5-k3s1 (default)"')
    fake(bin_dir, "kubectl", f'echo "Client Version: {kubectl}"; echo "Kustomize Version: v5.5.0"')
    fake(bin_dir, "flytectl", "echo 'flytectl 0.9.8'")


def run(command: list[str], path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PATH": str(path)}
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - start


def preflight(bin_dir) -> subprocess.CompletedProcess:
    done, seconds = run(["bash", "scripts/sandbox-preflight.sh"], bin_dir)
    assert seconds < 15 and "Traceback" not in done.stdout + done.stderr
    return done


def test_make_sandbox_names_every_missing_tool_and_stops(bare_path):
    if not (bare_path / "make").exists():
        missing("make is not installed: apt-get install make")
    done, seconds = run(["make", "sandbox"], bare_path)
    # The preflight exits 1; make reports it ("Error 1") and exits 2 itself.
    assert done.returncode == 2 and "sandbox] Error 1" in done.stderr
    assert seconds < 1.0, "the README promises a stop within a second"
    message = done.stderr
    for tool in ("docker", "k3d", "kubectl", "flytectl"):
        assert f"- {tool}: not found." in message
    assert "https://docs.docker.com/get-docker/" in message and "https://k3d.io" in message
    assert "Traceback" not in done.stdout + done.stderr
    assert "Nothing was changed" in message


def test_preflight_passes_on_a_machine_that_meets_the_minimum(bare_path):
    # Proof the checks are not simply always failing.
    machine(bare_path)
    done = preflight(bare_path)
    assert done.returncode == 0, done.stderr
    assert "found k3d 5.8.3" in done.stdout
    assert "found docker: 2 CPUs, 7.7 GiB" in done.stdout
    assert "found kubectl 1.32 (cluster 1.32)" in done.stdout


def test_a_docker_client_without_engine_is_reported(bare_path):
    machine(bare_path, engine_up=False)
    done = preflight(bare_path)
    assert done.returncode == 1
    assert "docker engine: not reachable" in done.stderr
    assert "- docker: not found" not in done.stderr


def test_k3d_older_than_5_7_is_refused_with_found_and_needed(bare_path):
    machine(bare_path, k3d="v5.6.0")
    done = preflight(bare_path)
    assert done.returncode == 1
    assert "- k3d: found 5.6.0, needs >= 5.7" in done.stderr
    assert "https://k3d.io" in done.stderr and "Nothing was changed" in done.stderr


def test_a_machine_with_one_cpu_is_refused_naming_both_numbers(bare_path):
    machine(bare_path, cpus=1)
    done = preflight(bare_path)
    assert done.returncode == 1
    needed = sandbox_lib("$MIN_CPUS")
    assert f"- CPUs: Docker has 1, the sandbox needs {needed}." in done.stderr


def test_too_little_memory_is_refused(bare_path):
    machine(bare_path, memory=4 * GIB)
    done = preflight(bare_path)
    assert done.returncode == 1
    needed = sandbox_lib("$MIN_MEMORY_GIB")
    assert f"- memory: Docker has 4.0 GiB, the sandbox needs {needed} GiB." in done.stderr


def test_docker_desktop_set_to_the_minimum_passes(bare_path):
    # Its VM's kernel keeps ~2-3 %: 6 GiB given reads as ~5.85 GiB.
    machine(bare_path, memory=int(sandbox_lib("$MIN_MEMORY_GIB")) * GIB * 0.975)
    assert preflight(bare_path).returncode == 0


def test_too_little_free_disk_is_refused(bare_path, tmp_path):
    machine(bare_path, root=str(tmp_path))
    fake(bare_path, "df", 'echo "Filesystem 1024-blocks Used Available Capacity Mounted"; '
                          'echo "/dev/x 100000000 90000000 5000000 95% /"')  # fmt: skip
    done = preflight(bare_path)
    assert done.returncode == 1
    needed = sandbox_lib("$MIN_DISK_GB")
    assert (
        f"- disk: 5 GB free for Docker ({tmp_path}), the sandbox needs {needed} GB." in done.stderr
    )


@pytest.mark.parametrize(
    "where",
    [{"root": "/nonexistent/docker-root"}, {"os_name": "Docker Desktop"}, {"host": "ssh://me@box"}],
)
def test_docker_data_out_of_reach_is_not_measured_and_says_so(bare_path, tmp_path, where):
    # Docker Desktop keeps its data in a VM even where the host has the same path.
    machine(
        bare_path, root=where.get("root", str(tmp_path)), os_name=where.get("os_name", "Ubuntu")
    )
    fake(bare_path, "df", "echo 'df must not be asked' >&2; exit 1")
    env = {**os.environ, "PATH": str(bare_path), "DOCKER_HOST": where.get("host", "")}
    done = subprocess.run(["bash", "scripts/sandbox-preflight.sh"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "disk not measured" in done.stdout


def test_an_engine_newer_than_k3d_speaks_is_refused(bare_path):
    # A future engine that drops API 1.46, with k3d 5.8 (docker client API 1.46).
    machine(bare_path, api="1.55 1.47")
    done = preflight(bare_path)
    assert done.returncode == 1
    assert "- docker engine: accepts API >= 1.47, but k3d 5.8.3 speaks up to 1.46." in done.stderr


def test_an_engine_older_than_docker_24_is_refused(bare_path):
    machine(bare_path, api="1.41 1.12")
    done = preflight(bare_path)
    assert done.returncode == 1
    assert "- docker engine: API 1.41, needs >= 1.43 (Docker Engine 24+)." in done.stderr


@pytest.mark.parametrize(("version", "ok"), [("v1.31.9", True), ("v1.33.1", True),
                                             ("v1.30.2", False), ("v1.37.1", False)])  # fmt: skip
def test_kubectl_must_be_within_one_minor_of_the_cluster(bare_path, version, ok):
    machine(bare_path, kubectl=version)
    done = preflight(bare_path)
    assert (done.returncode == 0) is ok, done.stderr
    if not ok:
        minor = version[1:].rsplit(".", 1)[0]
        assert f"- kubectl: found {minor}, the cluster runs Kubernetes 1.32" in done.stderr


def test_preflight_runs_where_there_is_no_timeout_command(bare_path):
    # Stock macOS has no `timeout`: a working engine must not read as unreachable.
    machine(bare_path)
    (bare_path / "timeout").unlink(missing_ok=True)
    done = preflight(bare_path)
    assert done.returncode == 0, done.stderr
    assert "docker engine: not reachable" not in done.stderr


def test_preflight_uses_gtimeout_when_that_is_what_there_is(bare_path, tmp_path):
    machine(bare_path)
    (bare_path / "timeout").unlink(missing_ok=True)
    used = tmp_path / "gtimeout-used"
    fake(bare_path, "gtimeout", f'echo "$@" >> {used}\nshift\n"$@"')
    done = preflight(bare_path)
    assert done.returncode == 0, done.stderr
    assert "10 docker info" in used.read_text()
