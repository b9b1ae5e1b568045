"""`python -m ci package` builds a real Flyte archive of the pipeline.

The protobufs are decoded with flyteidl: tasks carry the planned image, and the
workflow and the launch plan that `ci launch` starts are inside.
"""

from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import pytest
from flyteidl.admin import launch_plan_pb2

from ci import flyte
from tests.static._ci_helpers import ROOT, run
from workflows import identity
from workflows.flyte import schedules

IMAGE = "registry.example:5000/pipeline:" + "a" * 40
PACKAGE_REF = "refs/heads/package-test"
PIPELINE = ROOT / "workflows" / "flyte" / "pipeline.py"


@pytest.fixture(scope="module")
def entities(tmp_path_factory) -> dict[str, list]:
    if not PIPELINE.exists():
        pytest.fail("workflows/flyte/pipeline.py is missing: the package has nothing to serialize")
    from flyteidl.admin import task_pb2, workflow_pb2

    archive = tmp_path_factory.mktemp("package") / "flyte-package.tgz"
    sha = run("git", "rev-parse", "HEAD").stdout.strip()
    done = run(
        sys.executable, "-m", "ci", "package", "--ref", PACKAGE_REF, "--sha", sha,
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


def test_the_scheduled_launch_plans_carry_their_crons_and_start_inactive(entities):
    plans = {lp.id.name: lp for lp in entities["3"]}
    crons = schedules.read()
    expected = {
        schedules.SCORING_SCHEDULE: (
            "workflows.flyte.pipeline.scoring_pipeline",
            crons.scoring_cron,
        ),
        schedules.TRAINING_SCHEDULE: (flyte.WORKFLOW, crons.training_cron),
    }
    for name, (workflow, cron) in expected.items():
        spec = plans[name].spec
        assert spec.workflow_id.name == workflow
        assert spec.entity_metadata.schedule.cron_schedule.schedule == cron
        # Registered inactive everywhere: only `ci register` in production activates them.
        assert plans[name].closure.state == launch_plan_pb2.INACTIVE
        fixed = {k: v.scalar.primitive for k, v in spec.fixed_inputs.literals.items()}
        assert fixed["git_ref"].string_value == PACKAGE_REF and fixed["git_sha"].string_value
    scoring_fixed = plans[schedules.SCORING_SCHEDULE].spec.fixed_inputs.literals
    retrain = scoring_fixed["retrain_on_drift"].scalar.primitive.boolean
    assert retrain is False  # drift-triggered retraining is off by default
    # Unscheduled plans stay unscheduled: CI launches them by hand.
    for name in (flyte.LAUNCH_PLAN, f"{identity.FLYTE_PROJECT}.scoring"):
        assert not plans[name].spec.entity_metadata.HasField("schedule")


def test_drift_starts_the_training_launch_plan_through_a_branch_node(entities):
    workflows = {w.template.id.name: w for w in entities["2"]}
    scoring = workflows["workflows.flyte.pipeline.scoring_pipeline"].template
    branches = [n.branch_node.if_else for n in scoring.nodes if n.HasField("branch_node")]
    assert len(branches) == 1
    retrain = branches[0].case.then_node
    assert retrain.workflow_node.launchplan_ref.name == flyte.LAUNCH_PLAN
    condition = branches[0].case.condition.conjunction
    assert condition.operator == condition.AND
    sides = (condition.left_expression.comparison, condition.right_expression.comparison)
    names = {side.left_value.var.rsplit(".", 1)[-1] for side in sides}  # "<node>.<output>"
    assert names == {"drift_detected", "retrain_on_drift"}
    assert all(side.right_value.primitive.boolean for side in sides)
