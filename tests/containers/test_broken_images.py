"""The container tests fail, saying why, when the image is wrong: copies of the
project whose Dockerfile lost one line are built and run like the real one."""

from __future__ import annotations

import dataclasses
import subprocess
import uuid

import pytest

from ci import flyte
from tests.containers.conftest import build_image, context_copy, package
from tests.containers.propeller import NodeFailed, read_package, run_workflow

# (what is broken, Dockerfile text taken out, what the failure must say)
BREAKAGES = [
    ("forgets-a-package", "COPY workflows/ ./workflows/\n", "No module named 'workflows'"),
    ("forgets-the-contract", "COPY contract.yaml ./\n", "no data contract at /app/contract.yaml"),
    # The task's command starts with `pyflyte-execute`: found through the image's PATH.
    (
        "lacks-the-venv-on-path",
        "PATH=/opt/venv/bin:$PATH \\\n    ",
        '"pyflyte-execute": executable file not found in $PATH',
    ),
]


def without(dockerfile: str, text: str) -> str:
    assert dockerfile.count(text) == 1, f"{text!r} is not in the Dockerfile once"
    return dockerfile.replace(text, "")


@pytest.mark.parametrize(("broken", "text", "message"), BREAKAGES, ids=[b[0] for b in BREAKAGES])
def test_a_broken_image_fails_the_first_task_saying_why(
    broken, text, message, pipeline_image, pod, tmp_path
):
    tag = f"{pipeline_image.rsplit(':', 1)[0]}:broken-{broken}"
    build_image(context_copy(tmp_path, "Dockerfile", lambda d: without(d, text)), tag)
    packaged = read_package(package(tmp_path / "package.tgz", tag))
    # The image's own contract, as in the cluster: no fixture contract mounted.
    env = {k: v for k, v in pod.env.items() if k != "CONTRACT"}
    own = dataclasses.replace(pod, env=env, volumes=())
    try:
        with pytest.raises(NodeFailed) as failed:
            name = f"broken{uuid.uuid4().hex[:8]}"
            run_workflow(packaged, flyte.LAUNCH_PLAN, {}, own, name)
    finally:
        subprocess.run(["docker", "image", "rm", "--force", tag], capture_output=True)

    assert failed.value.task == "prepare"
    assert message in str(failed.value)
