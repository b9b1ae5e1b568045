"""The steps of argo/cicd.yaml that can run without a cluster, each in the cicd-tools
image with its declared command, env and parameters, against a local bare
repository holding a feature branch, main and a release tag.

Not run here, for want of the component: build-image (kaniko pushes to a
registry), register and launch (flytectl needs flyteadmin). The image is built
`--target tools`: its flytectl stage downloads a GitHub release, out of reach here.
"""

from __future__ import annotations

import http.server
import re
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import yaml

from tests.containers.conftest import ROOT, TIMINGS, build_image, git_sha

TEMPLATE = ROOT / "argo" / "cicd.yaml"
CACHE = ROOT / ".cache" / "cicd-uv-cache"  # uv's downloads, kept between test sessions
REPO = "/repos/project.git"  # where the bare repository is mounted in each step


def templates() -> dict[str, dict]:
    return {t["name"]: t for t in yaml.safe_load(TEMPLATE.read_text())["spec"]["templates"]}


def substitute(text: str, values: dict[str, str], where: str) -> str:
    def value(match: re.Match) -> str:
        if match.group(1) not in values:
            raise AssertionError(f"{where}: no value for {{{{{match.group(1)}}}}}")
        return values[match.group(1)]

    return re.sub(r"\{\{\s*([\w.-]+)\s*\}\}", value, text)


def run_step(name: str, values: dict[str, str], workspace: Path, repo: Path, tmp: Path):
    """Run one template as Argo would: container command + args (or a script's
    source as a file), env with `{{...}}` filled, the workspace volume mounted.
    Returns (exit code, output, {output parameter: value})."""
    template = templates()[name]
    spec = template.get("container") or template["script"]
    command = [substitute(c, values, name) for c in spec["command"]]
    command += [substitute(a, values, name) for a in spec.get("args", [])]
    mounts = [f"--volume={repo}:{REPO}:ro"]
    if "source" in spec:
        script = tmp / f"{name}-{uuid.uuid4().hex[:6]}.sh"
        script.write_text(substitute(spec["source"], values, name))
        mounts.append(f"--volume={script}:/argo/staging/script:ro")
        command.append("/argo/staging/script")
    for mount in spec.get("volumeMounts", []):
        if mount["name"] == "workspace":
            mounts += [f"--volume={workspace}:{mount['mountPath']}"]
            mounts += [f"--volume={CACHE}:{mount['mountPath']}/uv-cache"]
    env = [f"--env={e['name']}={substitute(e['value'], values, name)}" for e in spec.get("env", [])]
    container = f"cicd-{name}-{uuid.uuid4().hex[:8]}"
    cmd = ["docker", "run", f"--name={container}", "--network=host", *mounts, *env]
    done = subprocess.run([*cmd, spec["image"], *command], capture_output=True, text=True)
    # Argo: a script's `outputs.result` is its stdout; parameters read from files;
    # both with the whitespace around them trimmed.
    outputs = {"result": done.stdout.strip()} if "source" in spec else {}
    for parameter in template.get("outputs", {}).get("parameters", []):
        path = parameter["valueFrom"]["path"]
        copied = subprocess.run(["docker", "cp", f"{container}:{path}", "-"], capture_output=True)
        # Argo trims the whitespace around an output parameter read from a file.
        outputs[parameter["name"]] = (
            _untar_one(copied.stdout).strip() if copied.returncode == 0 else None
        )
    subprocess.run(["docker", "rm", "--force", container], capture_output=True)
    return done.returncode, done.stdout + done.stderr, outputs


def _untar_one(archive: bytes) -> str:
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return tar.extractfile(tar.getmembers()[0]).read().decode()


@pytest.fixture(scope="module")
def cicd(docker_engine, tmp_path_factory):
    """The tools image, a bare repo (feature branch, main, release tag) and a workspace."""
    image = templates()["clone"]["container"]["image"]
    TIMINGS["build cicd-tools image (--target tools)"] = build_image(
        ROOT / "infra" / "cicd-tools", image, target="tools"
    )
    tmp = tmp_path_factory.mktemp("cicd")
    repo = tmp / "project.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(ROOT), str(repo)], check=True)
    sha = git_sha()
    for ref in ("refs/heads/main", "refs/heads/feature/containers", "refs/tags/v1.0.0"):
        subprocess.run(["git", "-C", str(repo), "update-ref", ref, sha], check=True)
    workspace = tmp / "work"
    workspace.mkdir()
    CACHE.mkdir(parents=True, exist_ok=True)
    return {"repo": repo, "workspace": workspace, "tmp": tmp, "sha": sha}


def step(cicd, name: str, **values: str):
    return run_step(name, values, cicd["workspace"], cicd["repo"], cicd["tmp"])


@pytest.fixture(scope="module")
def cloned(cicd):
    code, log, outputs = step(
        cicd, "clone", **{"workflow.parameters.repo": REPO,
                          "workflow.parameters.revision": "v1.0.0",
                          "workflow.parameters.ref": "refs/tags/v1.0.0"},
    )  # fmt: skip
    assert code == 0, log[-3000:]
    return outputs["commit"]


def test_clone_checks_out_the_revision_peeled_to_its_commit(cicd, cloned):
    assert cloned == cicd["sha"]


@pytest.mark.parametrize(
    ("ref", "domain"),
    [("refs/heads/feature/containers", "development"), ("refs/heads/main", "staging"),
     ("refs/tags/v1.0.0", "production")],
)  # fmt: skip
def test_plan_decides_domain_version_and_image(cicd, cloned, ref, domain):
    code, log, outputs = step(
        cicd, "plan", **{"workflow.parameters.ref": ref, "inputs.parameters.sha": cloned}
    )
    assert code == 0, log[-3000:]
    assert outputs["domain"] == domain
    assert outputs["image"].endswith(f":{cicd['sha']}")
    plan_env = {e["name"]: e["value"] for e in templates()["plan"]["container"]["env"]}
    assert outputs["image"].startswith(plan_env["CI_IMAGE_REGISTRY"] + "/")


def test_unit_tests_step_passes(cicd, cloned):
    code, log, _ = step(cicd, "unit-tests")
    assert code == 0, log[-3000:]
    assert " passed" in log


@pytest.fixture(scope="module")
def registry():
    """A stand-in registry on loopback that holds one manifest: present/image:1.
    The steps run with the host's network, so they reach it."""

    class Manifests(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self):
            self.send_response(200 if self.path == "/v2/present/image/manifests/1" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Manifests)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("image", "result"), [("present/image:1", "present"), ("nothing/here:2", "absent")]
)
def test_image_exists_asks_the_registry(cicd, registry, image, result):
    code, log, outputs = step(
        cicd, "image-exists", **{"inputs.parameters.image": f"{registry}/{image}"}
    )
    assert code == 0, log[-3000:]
    assert outputs["result"] == result  # what build-image's `when` compares


def test_image_exists_fails_when_the_registry_cannot_be_asked(cicd):
    # Rebuilding on an unreachable registry would overwrite what staging tested.
    code, log, _ = step(cicd, "image-exists", **{"inputs.parameters.image": "127.0.0.1:9/x:1"})
    assert code == 1 and "answered 000" in log


def test_package_step_writes_the_archive(cicd, cloned):
    code, log, _ = step(
        cicd, "ci", **{"inputs.parameters.command": "package", "inputs.parameters.sha": cloned,
                       "workflow.parameters.ref": "refs/heads/main"},
    )  # fmt: skip
    assert code == 0, log[-3000:]
    assert (cicd["workspace"] / "src" / "build" / "flyte-package.tgz").stat().st_size > 0
