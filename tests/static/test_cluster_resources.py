"""The sandbox fits the machine docs/sandbox.md states, through whole deliveries.

Every pod's requests are added up at each moment of four deliveries, one
after the other, with the serving pods of earlier ones still running: a
branch push (development), main (staging), a release tag (production), and
the branch pushed again (development's serving pod rolls over, old and new
side by side). Each moment's sum must leave HEADROOM_* of the stated minimum
free for k3s itself. The task pods' requests come from a real `ci package`
archive, so TASK_RESOURCES in the environment is what is checked; a second
package with one task's CPU request raised past the minimum must fail.
See tests/static/cluster/resources.py for where each number comes from.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass

import pytest

from tests.static.cluster.resources import (
    GIB,
    HEADROOM_CPU,
    HEADROOM_MEMORY,
    Demand,
    chart_values,
    dig,
    platform,
    read_package,
    serving_pod,
    step_phases,
    step_pods,
    task_order,
    task_pods,
    total,
    unsized_containers,
)
from tests.static.cluster.support import ROOT, applied, sandbox_lib
from workflows.domain.resources import memory_bytes, millicores
from workflows.settings import DEFAULT_TASK_RESOURCES

RESOURCES = applied()
DELIVERIES = (
    ("branch", "development"),
    ("main", "staging"),
    ("tag", "production"),
    ("branch again", "development"),
)
TRAINING = "workflows.flyte.pipeline.training_pipeline"


@dataclass(frozen=True)
class Budget:
    """What the pods may request: the stated minimum less the headroom, in m / bytes."""

    cpu: int
    memory: int


def stated_minimum() -> Budget:
    return Budget(int(sandbox_lib("$MIN_CPUS")) * 1000, int(sandbox_lib("$MIN_MEMORY_GIB")) * GIB)


def budget() -> Budget:
    minimum = stated_minimum()
    return Budget(minimum.cpu - HEADROOM_CPU, minimum.memory - HEADROOM_MEMORY)


def package(tmp_path, **env) -> tuple[dict, list]:
    archive = tmp_path / "flyte-package.tgz"
    sha = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    done = subprocess.run(
        [sys.executable, "-m", "ci", "package", "--ref", "refs/heads/resources", "--sha", sha,
         "--image", "registry.example:5000/pipeline:resources", "--output", str(archive)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env={**os.environ, **env},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return read_package(archive)


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    return package(tmp_path_factory.mktemp("package"))


def deliveries(tasks: dict, workflows: list) -> list[tuple[str, list[Demand]]]:
    """[(delivery, [the summed requests at each of its moments])]."""
    (training,) = [w for w in workflows if w.id.name == TRAINING]
    order = task_order(training)
    task_demand, _ = task_pods(tasks, RESOURCES)
    steps = step_pods(RESOURCES)
    base = platform(RESOURCES)
    serving: dict[str, int] = {}
    result = []
    for label, domain in DELIVERIES:
        one_serving, surge = serving_pod(domain)
        moments = []
        for phase in step_phases(RESOURCES):
            running = base + [serving_pod(d)[0] for d, n in serving.items() for _ in range(n)]
            pods = [steps[template] for _, template in phase]
            if [step for step, _ in phase] != ["launch"]:
                moments.append(total(" + ".join(s for s, _ in phase), running + pods))
                continue
            # `ci launch` waits while the Flyte execution runs its tasks one by one.
            for task in order:
                now = [*pods, task_demand[task]]
                if task == "deploy":  # the new serving pod starts while deploy waits for it
                    now += [one_serving] * (surge if serving.get(domain) else 1)
                moments.append(total(f"launch + task {task}", running + now))
        serving[domain] = 1
        result.append((f"{label} -> {domain}", moments))
    return result


def over_budget(runs: list[tuple[str, list[Demand]]], limit: Budget) -> list[str]:
    return [
        f"{label}, {m.name}: {m.cpu}m CPU / {m.memory / GIB:.2f} GiB requested, "
        f"room for {limit.cpu}m / {limit.memory / GIB:.2f} GiB"
        for label, moments in runs
        for m in moments
        if m.cpu > limit.cpu or m.memory > limit.memory
    ]


def test_every_delivery_fits_the_stated_minimum(packaged, capsys):
    runs = deliveries(*packaged)
    minimum, room = stated_minimum(), budget()
    lines = [
        f"sandbox requests at each delivery's peak; minimum {minimum.cpu}m CPU / "
        f"{minimum.memory / GIB:.0f} GiB, less {HEADROOM_CPU}m / "
        f"{HEADROOM_MEMORY / GIB:.0f} GiB for k3s = room for {room.cpu}m / "
        f"{room.memory / GIB:.2f} GiB"
    ]
    for label, moments in runs:
        cpu = max(moments, key=lambda m: m.cpu)
        memory = max(moments, key=lambda m: m.memory)
        lines.append(
            f"  {label:28} CPU {cpu.cpu:5}m ({cpu.name}); "
            f"memory {memory.memory / GIB:.2f} GiB ({memory.name})"
        )
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert over_budget(runs, room) == []


def test_the_docs_table_of_peaks_is_what_the_sum_gives(packaged):
    text = (ROOT / "docs" / "sandbox.md").read_text()
    rows = dict(
        re.findall(r"^\| ([a-z ]+ -> [a-z]+|room within the minimum) \| (.+) \|$", text, re.M)
    )
    room = budget()
    expected = {label: (max(m.cpu for m in ms), max(m.memory for m in ms))
                for label, ms in deliveries(*packaged)}  # fmt: skip
    expected["room within the minimum"] = (room.cpu, room.memory)
    stated = {}
    for label, cells in rows.items():
        cpu, memory = re.match(r"(\d+)m\b.*\| ([\d.]+) GiB", cells).groups()
        stated[label] = (int(cpu), memory)
    assert stated == {k: (cpu, f"{memory / GIB:.2f}") for k, (cpu, memory) in expected.items()}


def test_a_task_asking_past_the_minimum_turns_the_sum_red(tmp_path):
    cpus = sandbox_lib("$MIN_CPUS")
    tasks, workflows = package(tmp_path, TASK_RESOURCES=json.dumps({"train": {"cpu": cpus}}))
    problems = over_budget(deliveries(tasks, workflows), budget())
    assert problems and all("task train" in p for p in problems)


def test_the_sum_sees_a_raised_platform_request(packaged):
    # The platform counts from the rendered manifests, not from a list kept here.
    raised = [dict(r) for r in RESOURCES]
    (mlflow,) = [
        r for r in raised if r["kind"] == "Deployment" and r["metadata"]["name"] == "mlflow"
    ]
    before = total("p", platform(RESOURCES))
    mlflow_spec = json.loads(json.dumps(mlflow))
    mlflow_spec["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "2"
    raised[raised.index(mlflow)] = mlflow_spec
    after = total("p", platform(raised))
    assert after.cpu - before.cpu == 2000 - millicores("50m")


def test_no_cicd_step_outlives_its_work():
    # A daemon step or a sidecar keeps a pod (and its requests) up after its step.
    (template,) = [r for r in RESOURCES if r["kind"] == "WorkflowTemplate"]
    for t in template["spec"]["templates"]:
        assert not t.get("daemon") and not t.get("sidecars"), t["name"]
    assert template["spec"]["podGC"]["strategy"] in ("OnPodCompletion", "OnWorkflowSuccess")


def test_every_container_the_sandbox_runs_asks_for_cpu_and_memory():
    assert unsized_containers(RESOURCES) == []


def test_an_unsized_jetstream_sidecar_is_caught_and_its_size_summed():
    # argo-events builds main, reloader and metrics containers per JetStream node.
    resources = json.loads(json.dumps(RESOURCES))
    (bus,) = [r for r in resources if r["kind"] == "EventBus"]
    jetstream = bus["spec"]["jetstream"]
    sized = total("p", platform(resources))
    del jetstream["metricsContainerTemplate"]
    assert unsized_containers(resources) == ["EventBus/default jetstream.metricsContainerTemplate"]
    assert sized.cpu - total("p", platform(resources)).cpu == jetstream.get("replicas", 3) * 5


def test_flyte_keeps_every_task_at_what_it_declares(packaged):
    tasks, _ = packaged
    _, lowered = task_pods(tasks, RESOURCES)
    assert lowered == []


def test_flyte_would_lower_a_task_above_its_limits_and_that_is_caught(tmp_path):
    tasks, _ = package(
        tmp_path, TASK_RESOURCES=json.dumps({"train": {"memory": "3Gi", "memory_limit": "3Gi"}})
    )
    _, lowered = task_pods(tasks, RESOURCES)
    assert lowered and all(p.startswith("workflows.flyte.tasks.train: memory") for p in lowered)


def test_flyte_platform_defaults_are_the_settings_defaults():
    sizes = dig(
        chart_values(RESOURCES, "flyte-binary"), ("configuration", "inline", "task_resources")
    )
    defaults = sizes["defaults"]
    assert millicores(defaults["cpu"]) == millicores(DEFAULT_TASK_RESOURCES.cpu)
    assert memory_bytes(defaults["memory"]) == memory_bytes(DEFAULT_TASK_RESOURCES.memory)


def test_the_stated_minimum_is_the_one_the_docs_state():
    text = (ROOT / "docs" / "sandbox.md").read_text()
    minimum = stated_minimum()
    stated = re.search(
        r"at least \*\*(\d+) CPUs, (\d+) GiB of memory and (\d+) GB\s+of free disk\*\*", text
    )
    assert stated, "docs/sandbox.md states no machine minimum in the expected words"
    assert (int(stated[1]) * 1000, int(stated[2]) * GIB) == (minimum.cpu, minimum.memory)
    assert stated[3] == sandbox_lib("$MIN_DISK_GB")
