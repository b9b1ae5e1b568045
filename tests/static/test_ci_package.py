"""`python -m ci package` builds a real Flyte archive of the pipeline.

The protobufs are decoded with flyteidl: tasks carry the planned image, and the
workflow and the launch plan that `ci launch` starts are inside.
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import pytest

from ci import flyte
from tests.static._ci_helpers import ROOT, run

IMAGE = "registry.example:5000/pipeline:" + "a" * 40
PIPELINE = ROOT / "workflows" / "pipeline.py"


@pytest.fixture(scope="module")
def entities(tmp_path_factory) -> dict[str, list]:
    if not PIPELINE.exists():
        pytest.fail("workflows/pipeline.py is missing: the package has nothing to serialize")
    from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2

    archive = tmp_path_factory.mktemp("package") / "flyte-package.tgz"
    sha = run("git", "rev-parse", "HEAD").stdout.strip()
    done = run(
        sys.executable, "-m", "ci", "package", "--ref", "refs/heads/package-test", "--sha", sha,
        "--image", IMAGE, "--output", archive,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    # pyflyte names files <n>_<name>_<kind>.pb: 1 task, 2 workflow, 3 launch plan.
    kinds = {
        "1": task_pb2.TaskSpec,
        "2": workflow_pb2.WorkflowSpec,
        "3": launch_plan_pb2.LaunchPlan,
    }
    found: dict[str, list] = {"1": [], "2": [], "3": []}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            kind = Path(member.name).stem.rsplit("_", 1)[-1]
            message = kinds[kind]()
            message.ParseFromString(tar.extractfile(member).read())
            found[kind].append(message)
    return found


def test_every_task_runs_in_the_given_image(entities):
    tasks = entities["1"]
    assert tasks
    assert {t.template.container.image for t in tasks} == {IMAGE}


def test_the_workflow_is_packaged_with_its_git_inputs(entities):
    workflows = {w.template.id.name: w for w in entities["2"]}
    assert flyte.WORKFLOW in workflows
    inputs = workflows[flyte.WORKFLOW].template.interface.inputs.variables
    assert {"git_sha", "git_ref"} <= set(inputs)


def test_the_launch_plan_ci_launches_is_packaged(entities):
    plans = {lp.id.name: lp for lp in entities["3"]}
    assert flyte.LAUNCH_PLAN in plans
    assert plans[flyte.LAUNCH_PLAN].spec.workflow_id.name == flyte.WORKFLOW
