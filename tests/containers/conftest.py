"""Images built from the project's own Dockerfiles, the package of the current
commit, and what a task pod gets. Needs a Docker engine (`make docker-engine`)."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest

from ci import flyte
from ci.image import image_for
from tests.containers import bases, pods
from tests.containers.propeller import Pod, read_package, run_workflow
from tests.tools import missing

ROOT = Path(__file__).resolve().parents[2]
TIMINGS: dict[str, float] = {}  # what took how long, printed at the end of the session
GIT_SHA = "c0ffee" + "0" * 34
GIT_REF = "refs/heads/containers-test"
# No Kubernetes here: deploy proves the model through MLflow in its own process
# instead of rolling out model-<domain> (test_serving_container runs that Deployment).
NO_CLUSTER = {"DEPLOY_TARGET": "local"}
# The pods train on a fixture table and its contract, never on the project's own:
# a team's contract (drafted by `make contract` from a table whose reachable score
# may sit below the project's min_auc, at a path no container sees) must not turn
# these tests red. The fixture's gate is the integration tests' threshold.
FIXTURE = "/fixture"
FIXTURE_MIN_AUC = 0.8


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/containers/" in str(item.fspath):
            item.add_marker(pytest.mark.containers)


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.section("container timings (s)")
        for what, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{seconds:7.1f}  {what}")


def build_image(context: Path, tag: str, dockerfile: Path | None = None, target: str = "") -> float:
    """docker build, host network (the package index is reached through the host),
    after making its base images available; returns the build's seconds."""
    dockerfile = dockerfile or context / "Dockerfile"
    for ref in bases.base_images(dockerfile):
        bases.ensure(ref)
    cmd = ["docker", "build", "--network", "host", "-t", tag, "-f", str(dockerfile)]
    cmd += [f"--target={target}"] if target else []
    started = time.monotonic()
    done = subprocess.run([*cmd, str(context)], capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise AssertionError(f"docker build of {dockerfile} failed:\n{tail}")
    return time.monotonic() - started


def _let_in() -> list[str]:
    """What .dockerignore lets into the build context: its `!` lines (an allow-list)."""
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line[1:].strip().rstrip("/") for line in lines if line.startswith("!")]


def context_copy(tmp_path: Path, path: str, edit: Callable[[str], str]) -> Path:
    """The pipeline image's build context (what .dockerignore lets in) with the
    file `path` changed by `edit`."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("Dockerfile", ".dockerignore", *_let_in()):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    text = (copy / path).read_text()
    edited = edit(text)
    assert edited != text, f"the edit changed nothing in {path}"
    (copy / path).write_text(edited)
    return copy


def package(archive: Path, image: str, project: Path = ROOT) -> Path:
    """`python -m ci package` of the current commit, as CI runs it, with `image`."""
    sha = git_sha(project)
    cmd = [sys.executable, "-m", "ci", "package", "--ref", "refs/heads/containers-test"]
    cmd += ["--sha", sha, "--repo", str(project), "--image", image, "--output", str(archive)]
    done = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return archive


def git_sha(project: Path = ROOT) -> str:
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project, capture_output=True, text=True)
    return done.stdout.strip()


@pytest.fixture(scope="session")
def docker_engine():
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        done = None
    if done is None or done.returncode != 0:
        missing("no Docker engine answers: `make docker-engine` starts one")


@pytest.fixture(scope="session")
def pipeline_image(docker_engine) -> str:
    """The pipeline image of the current commit, tagged as CI tags it."""
    tag = image_for(git_sha())
    TIMINGS["build pipeline image"] = build_image(ROOT, tag)
    return tag


@pytest.fixture(scope="session")
def packaged(pipeline_image, tmp_path_factory):
    archive = tmp_path_factory.mktemp("package") / "flyte-package.tgz"
    return read_package(package(archive, pipeline_image))


@pytest.fixture(scope="session")
def fixture_table(tmp_path_factory) -> Path:
    """A folder with the wide fixture's contract.yaml and table.csv, mounted at FIXTURE."""
    from tests.fixtures.tables import case

    folder = tmp_path_factory.mktemp("fixture")
    contract, data = case("wide", folder)
    shutil.copyfile(contract, folder / "contract.yaml")
    shutil.move(data, folder / "table.csv")
    folder.chmod(0o755)  # the images run as a non-root user
    return folder


@pytest.fixture(scope="session")
def pod(services, fixture_table) -> Pod:
    """A task pod's world: Flyte's bucket in the test S3, the values' environment,
    and the fixture contract (CONTRACT=) with its table mounted read-only."""
    bucket = pods.flyte_storage_bucket()
    client = services.s3.client()
    client.create_bucket(Bucket=bucket)
    env = {**pods.task_pod_env(services), "CONTRACT": f"{FIXTURE}/contract.yaml"}
    return Pod(client, bucket, env, volumes=(f"{fixture_table}:{FIXTURE}:ro",))


def execute(packaged, pod, **inputs):
    """One execution with a fresh name, on the fixture table and threshold unless
    `inputs` say otherwise; the pod's environment minus the cluster rollout."""
    name = f"c{uuid.uuid4().hex[:12]}"
    inputs = {"data": f"{FIXTURE}/table.csv", "min_auc": FIXTURE_MIN_AUC, **inputs}
    local_pod = dataclasses.replace(pod, env={**pod.env, **NO_CLUSTER})
    return run_workflow(packaged, flyte.LAUNCH_PLAN, inputs, local_pod, name)


@pytest.fixture(scope="session")
def execution(packaged, pod):
    """The workflow run once through, shared by the tests that look at what it left."""
    run = execute(packaged, pod, git_sha=GIT_SHA, git_ref=GIT_REF)
    for task in run.runs:
        TIMINGS[f"task container {task.node} {task.task}"] = task.seconds
    return run


def unpack(literal) -> dict:
    """A dataclass output (msgpack bytes, as flytekit writes it) as a dict."""
    assert literal.scalar.binary.tag == "msgpack", literal
    return msgpack.unpackb(literal.scalar.binary.value)


def registry_client(services):
    from mlflow import MlflowClient

    return MlflowClient(services.mlflow.url)
