"""`make sandbox` without a container engine stops at once and says why.

The preflight runs with a PATH that holds only basic tools (and, in one case,
a docker client whose engine does not answer), so the result is the same on
any machine: non-zero within seconds, one message naming each missing tool
with how to install it, and no traceback.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from tests.static.cluster.support import ROOT
from tests.tools import missing

BASICS = ("bash", "dirname", "head", "timeout", "python3", "git", "curl", "make", "kubectl")


@pytest.fixture
def bare_path(tmp_path):
    """A bin directory with only BASICS: no docker, k3d or flytectl."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in BASICS:
        found = shutil.which(name)
        if found:
            (bin_dir / name).symlink_to(found)
    return bin_dir


def run(command: list[str], path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PATH": str(path)}
    start = time.monotonic()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    return done, time.monotonic() - start


def test_make_sandbox_names_every_missing_tool_and_stops(bare_path):
    if not (bare_path / "make").exists():
        missing("make is not installed: apt-get install make")
    done, seconds = run(["make", "sandbox"], bare_path)
    # The preflight exits 1; make reports it ("Error 1") and exits 2 itself.
    assert done.returncode == 2 and "sandbox] Error 1" in done.stderr
    assert seconds < 1.0, "the README promises a stop within a second"
    message = done.stderr
    for tool in ("docker", "k3d", "flytectl"):
        assert f"- {tool}: not found." in message
    assert "https://docs.docker.com/get-docker/" in message and "https://k3d.io" in message
    assert "Traceback" not in done.stdout + done.stderr
    assert "Nothing was changed" in message


def test_a_docker_client_without_engine_is_reported(bare_path):
    fake = bare_path / "docker"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        '[[ "$1" == --version ]] && { echo "Docker version 28.2.2"; exit 0; }\n'
        "echo 'Cannot connect to the Docker daemon' >&2; exit 1\n"
    )
    fake.chmod(0o755)
    done, seconds = run(["bash", "scripts/sandbox-preflight.sh"], bare_path)
    assert done.returncode == 1 and seconds < 15
    assert "docker engine: not reachable" in done.stderr
    assert "- docker: not found" not in done.stderr


def test_preflight_passes_when_every_tool_answers(bare_path):
    # Proof the check is not simply always failing: fake every tool as present.
    for tool in ("docker", "k3d", "flytectl", "kubectl", "git", "curl", "python3"):
        target = bare_path / tool
        if target.exists():
            target.unlink()
        target.write_text("#!/usr/bin/env bash\necho fake 1.0\n")
        target.chmod(0o755)
    done, _ = run(["bash", "scripts/sandbox-preflight.sh"], bare_path)
    assert done.returncode == 0, done.stderr
    assert "found docker: fake 1.0" in done.stdout


def test_preflight_runs_where_there_is_no_timeout_command(bare_path):
    # Stock macOS has no `timeout`: a working engine must not read as unreachable.
    for tool in ("docker", "k3d", "flytectl"):
        (bare_path / tool).write_text("#!/usr/bin/env bash\necho fake 1.0\n")
        (bare_path / tool).chmod(0o755)
    (bare_path / "timeout").unlink(missing_ok=True)
    done, _ = run(["bash", "scripts/sandbox-preflight.sh"], bare_path)
    assert done.returncode == 0, done.stderr
    assert "docker engine: not reachable" not in done.stderr


def test_preflight_uses_gtimeout_when_that_is_what_there_is(bare_path, tmp_path):
    (bare_path / "timeout").unlink(missing_ok=True)
    used = tmp_path / "gtimeout-used"
    (bare_path / "gtimeout").write_text(f'#!/usr/bin/env bash\necho "$@" >> {used}\nshift\n"$@"\n')
    (bare_path / "gtimeout").chmod(0o755)
    for tool in ("docker", "k3d", "flytectl"):
        (bare_path / tool).write_text("#!/usr/bin/env bash\necho fake 1.0\n")
        (bare_path / tool).chmod(0o755)
    done, _ = run(["bash", "scripts/sandbox-preflight.sh"], bare_path)
    assert done.returncode == 0, done.stderr
    assert "10 docker info" in used.read_text()
