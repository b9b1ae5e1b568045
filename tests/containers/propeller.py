"""A test harness that stands in for Flyte's propeller, to prove the artifacts.

It runs the packaged workflow the way propeller would hand it to pods: for each
node in dependency order, the node's task runs in its own image with the task's
own serialized container command, the `{{.input}}`-style templates filled with
S3 locations, inputs and outputs as protobuf LiteralMaps in S3. Only what the
workflow uses is handled (task nodes; bindings to workflow inputs and to node
outputs, with attribute paths); anything else fails loudly rather than being
guessed. It exists to test the image and the archive, never to run the pipeline:
no retries, no caching, no parallelism, no scheduling.
"""

from __future__ import annotations

import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import msgpack
from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
from flyteidl.core import errors_pb2, literals_pb2

WORKFLOW_INPUT_NODES = ("", "start-node")  # how a binding names the workflow's inputs
PROJECT = "containers"
DOMAIN = "development"


class HarnessError(RuntimeError):
    """The archive asks for something this stand-in does not do."""


class NodeFailed(RuntimeError):
    """A task failed; the message is its error document or its container's output."""

    def __init__(self, node: str, task: str, message: str):
        self.node = node
        self.task = task.rsplit(".", 1)[-1]  # the task function's name, e.g. `gate`
        super().__init__(f"node {node} ({task}) failed: {message}")


@dataclass
class Package:
    tasks: dict[str, task_pb2.TaskSpec]
    workflows: dict[str, workflow_pb2.WorkflowSpec]
    launch_plans: dict[str, launch_plan_pb2.LaunchPlan]


def read_package(archive: Path) -> Package:
    """Decode `pyflyte package`'s archive: <n>_<name>_<kind>.pb, kind 1 task,
    2 workflow, 3 launch plan."""
    kinds = {
        "1": task_pb2.TaskSpec,
        "2": workflow_pb2.WorkflowSpec,
        "3": launch_plan_pb2.LaunchPlan,
    }
    found: dict[str, dict] = {kind: {} for kind in kinds}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            kind = Path(member.name).stem.rsplit("_", 1)[-1]
            if kind not in kinds:
                raise HarnessError(f"{member.name}: unknown entity kind in {archive}")
            message = kinds[kind]()
            message.ParseFromString(tar.extractfile(member).read())
            name = message.template.id.name if kind in "12" else message.id.name
            found[kind][name] = message
    return Package(found["1"], found["2"], found["3"])


@dataclass
class Pod:
    """What every task pod gets: the S3 store, the environment, and the engine."""

    s3: object  # a boto3 S3 client for the bucket below
    bucket: str
    env: dict[str, str]
    docker_network: str = "host"  # the test services listen on the host's loopback
    volumes: tuple[str, ...] = ()  # `host:container:ro` mounts (the tests' fixture table)


@dataclass
class TaskRun:
    node: str
    task: str
    seconds: float
    log: str
    outputs: literals_pb2.LiteralMap | None = None


@dataclass
class Execution:
    name: str
    runs: list[TaskRun] = field(default_factory=list)

    def outputs(self, node: str) -> literals_pb2.LiteralMap:
        """A node's outputs, by node id or by its task function's name."""
        for run in self.runs:
            if node in (run.node, run.task.rsplit(".", 1)[-1]):
                return run.outputs
        raise HarnessError(f"node {node} has not run")


def run_workflow(
    package: Package, launch_plan: str, inputs: dict, pod: Pod, name: str
) -> Execution:
    """Run every node of the launch plan's workflow; raise NodeFailed at the first
    failure (later nodes do not run). `inputs` override the launch plan's defaults."""
    plan = package.launch_plans[launch_plan]
    workflow = package.workflows[plan.spec.workflow_id.name].template
    values = _workflow_inputs(plan, workflow, inputs)
    execution = Execution(name)
    for node in _in_dependency_order(workflow.nodes):
        if not node.HasField("task_node"):
            raise HarnessError(f"node {node.id}: only task nodes are handled")
        task = package.tasks[node.task_node.reference_id.name].template
        node_inputs = literals_pb2.LiteralMap()
        for binding in node.inputs:
            node_inputs.literals[binding.var].CopyFrom(
                _resolve(binding, values, execution, node.id)
            )
        execution.runs.append(_run_task(node.id, task, node_inputs, pod, execution.name))
    return execution


def _workflow_inputs(plan, workflow, given: dict) -> dict[str, literals_pb2.Literal]:
    from flytekit import FlyteContextManager
    from flytekit.core.type_engine import TypeEngine
    from flytekit.models.types import LiteralType

    values = {k: p.default for k, p in plan.spec.default_inputs.parameters.items()}
    values.update(plan.spec.fixed_inputs.literals)
    declared = workflow.interface.inputs.variables
    context = FlyteContextManager.current_context()
    for key, value in given.items():
        if key not in declared:
            raise HarnessError(f"the workflow has no input {key!r} (it has {sorted(declared)})")
        expected = LiteralType.from_flyte_idl(declared[key].type)
        values[key] = TypeEngine.to_literal(context, value, type(value), expected).to_flyte_idl()
    return values


def _in_dependency_order(nodes) -> list:
    """Topological order over upstream nodes and the nodes bindings read from."""
    pending = {n.id: n for n in nodes if n.id not in ("start-node", "end-node")}
    done: set[str] = set()
    order = []
    while pending:
        ready = [n for n in pending.values() if _needs(n) <= done]
        if not ready:
            raise HarnessError(f"nodes {sorted(pending)} wait on each other")
        for node in sorted(ready, key=lambda n: n.id):
            order.append(pending.pop(node.id))
            done.add(node.id)
    return order


def _needs(node) -> set[str]:
    upstream = set(node.upstream_node_ids)
    upstream |= {b.binding.promise.node_id for b in node.inputs if b.binding.HasField("promise")}
    return upstream - set(WORKFLOW_INPUT_NODES)


def _resolve(binding, workflow_inputs, execution: Execution, node: str) -> literals_pb2.Literal:
    kind = binding.binding.WhichOneof("value")
    if kind != "promise":
        raise HarnessError(f"node {node} input {binding.var}: {kind} bindings are not handled")
    ref = binding.binding.promise
    if ref.node_id in WORKFLOW_INPUT_NODES:
        if ref.var not in workflow_inputs:
            raise HarnessError(f"workflow input {ref.var!r} has no default and was not given")
        literal = workflow_inputs[ref.var]
    else:
        literal = execution.outputs(ref.node_id).literals[ref.var]
    for step in ref.attr_path:
        literal = _attribute(literal, step, f"node {node} input {binding.var}")
    return literal


def _attribute(literal, step, where: str) -> literals_pb2.Literal:
    """One step of an attribute path (e.g. `approved.expected`) into a dataclass
    value, which flytekit sends as msgpack bytes; the result stays msgpack, as
    propeller's resolver leaves it."""
    key = step.string_value if step.HasField("string_value") else step.int_value
    binary = literal.scalar.binary
    if not literal.HasField("scalar") or binary.tag != "msgpack":
        raise HarnessError(f"{where}: attribute {key!r} of a non-msgpack literal")
    value = msgpack.unpackb(binary.value, strict_map_key=False)[key]
    resolved = literals_pb2.Literal()
    resolved.scalar.binary.value = msgpack.packb(value)
    resolved.scalar.binary.tag = "msgpack"
    return resolved


def _run_task(node: str, task, inputs: literals_pb2.LiteralMap, pod: Pod, execution: str):
    prefix = f"metadata/{PROJECT}/{DOMAIN}/{execution}/{node}"
    s3 = f"s3://{pod.bucket}"
    pod.s3.put_object(Bucket=pod.bucket, Key=f"{prefix}/inputs.pb", Body=inputs.SerializeToString())
    templates = {
        "{{.input}}": f"{s3}/{prefix}/inputs.pb",
        "{{.inputPrefix}}": f"{s3}/{prefix}",
        "{{.outputPrefix}}": f"{s3}/{prefix}/data",
        "{{.rawOutputDataPrefix}}": f"{s3}/raw/{execution}/{node}",
        "{{.checkpointOutputPrefix}}": f"{s3}/{prefix}/checkpoint",
        "{{.prevCheckpointPrefix}}": '""',  # first attempt: no previous checkpoint
    }
    container = task.container
    args = [_fill(arg, templates, node) for arg in (*container.command, *container.args)]
    started = time.monotonic()
    done = subprocess.run(
        [*docker_run(task, pod, execution), container.image, *args], capture_output=True, text=True
    )
    seconds = time.monotonic() - started
    log = done.stdout + done.stderr
    error = _read(pod, f"{prefix}/data/error.pb")
    if error is not None:
        document = errors_pb2.ErrorDocument()
        document.ParseFromString(error)
        raise NodeFailed(node, task.id.name, document.error.message)
    outputs = _read(pod, f"{prefix}/data/outputs.pb")
    if done.returncode != 0 or outputs is None:
        tail = "\n".join(log.strip().splitlines()[-15:])
        message = f"container exited {done.returncode} and wrote no outputs:\n{tail}"
        raise NodeFailed(node, task.id.name, message)
    literal_map = literals_pb2.LiteralMap()
    literal_map.ParseFromString(outputs)
    return TaskRun(node, task.id.name, seconds, log, literal_map)


def _fill(arg: str, templates: dict[str, str], node: str) -> str:
    for template, value in templates.items():
        arg = arg.replace(template, value)
    if "{{" in arg:
        raise HarnessError(f"node {node}: argument {arg!r} holds a template this harness lacks")
    return arg


def docker_run(task, pod: Pod, execution: str) -> list[str]:
    """`docker run` of a task's pod, up to the image: the pod's environment (the
    execution's identity, the task's own env, the platform's defaults, in
    propeller's order) and its network. The image's own USER is kept."""
    env = {**_execution_env(task, execution), **{kv.key: kv.value for kv in task.container.env}}
    env.update(pod.env)
    cmd = ["docker", "run", "--rm", f"--network={pod.docker_network}"]
    cmd += [f"--volume={volume}" for volume in pod.volumes]
    return cmd + [f"--env={k}={v}" for k, v in sorted(env.items())]


def _execution_env(task, execution: str) -> dict[str, str]:
    """The execution identity propeller gives each pod (flytekit reads it into
    current_context().execution_id). Nothing else: no FLYTE_INTERNAL_IMAGE."""
    return {
        "FLYTE_INTERNAL_EXECUTION_ID": execution,
        "FLYTE_INTERNAL_EXECUTION_PROJECT": PROJECT,
        "FLYTE_INTERNAL_EXECUTION_DOMAIN": DOMAIN,
        "FLYTE_INTERNAL_TASK_NAME": task.id.name,
        "FLYTE_INTERNAL_TASK_PROJECT": PROJECT,
        "FLYTE_INTERNAL_TASK_DOMAIN": DOMAIN,
        "FLYTE_INTERNAL_TASK_VERSION": task.id.version or "containers",
        "FLYTE_ATTEMPT_NUMBER": "0",
    }


def _read(pod: Pod, key: str) -> bytes | None:
    try:
        return pod.s3.get_object(Bucket=pod.bucket, Key=key)["Body"].read()
    except pod.s3.exceptions.NoSuchKey:
        return None
