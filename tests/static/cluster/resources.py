"""What the sandbox's pods ask the scheduler for, added up over deliveries.

A pod that does not fit the node's free CPU or memory (the sum of the
*requests* of every pod still running, not their use) stays Pending: the
serving rollout then times out and the delivery fails. So the sums here are
of requests, taken from what the cluster would really get:

- the platform: the Deployments of `kubectl kustomize infra/` (Jobs finish
  before any delivery), the charts' pods from their HelmChart values (the
  value paths each pinned chart's templates read, listed in CHART_PODS), the
  Argo Events pods the controllers make from the EventBus, EventSource and
  Sensor, and k3s's own pods (upstream/k3s-system-pods.yaml);
- each cicd step pod: its container, plus the `wait` container Argo adds
  (and an `init` one, which runs before and so counts only if larger), both
  sized by the chart's `executor.resources`;
- each Flyte task pod: the task's requests from the serialized package, as
  propeller adjusts them to flyte-binary's `task_resources`
  (flyteplugins v1.16.8, pluginmachinery/flytek8s/container_helper.go:
  AdjustOrDefaultResource);
- each serving pod: workflows/domain/serving.py's Deployment; a rollout onto
  a running one adds `maxSurge` pods until the old one goes.
"""

from __future__ import annotations

import tarfile
from dataclasses import dataclass
from functools import reduce
from itertools import pairwise
from pathlib import Path

import yaml

from tests.static.cluster.support import HERE, of_kind
from workflows.domain.resources import memory_bytes, millicores
from workflows.domain.serving import serving_manifests

GIB = 2**30
# Left unrequested for what the scheduler does not count: k3s's own server
# process and containerd (k3s's resource profiling measured 6-30 % of a core
# and 0.8-1.6 GB for a server with a workload) and the pods without requests
# (Traefik, the local-path provisioner, ServiceLB).
HEADROOM_CPU = 400  # millicores
HEADROOM_MEMORY = 1 * GIB

# (pod, HelmChart name, the values path its containers' resources come from),
# read in each pinned chart's templates: flyte-binary v1.16.8
# templates/deployment.yaml (the `flyte` container and its wait-for-db init
# container both take deployment.resources); argo-workflows 1.0.18
# templates/controller/deployment.yaml and templates/server/deployment.yaml;
# argo-events 2.4.22 templates/argo-events-controller/deployment.yaml.
CHART_PODS = (
    ("flyte/flyte-binary", "flyte-binary", ("deployment", "resources")),
    ("argo/workflow-controller", "argo-workflows", ("controller", "resources")),
    ("argo/argo-server", "argo-workflows", ("server", "resources")),
    ("argo/events-controller", "argo-events", ("controller", "resources")),
)


@dataclass(frozen=True)
class Demand:
    """Requests of one pod (or a sum of pods): CPU in millicores, memory in bytes."""

    name: str
    cpu: int
    memory: int

    def __add__(self, other: Demand) -> Demand:
        return Demand(
            f"{self.name} + {other.name}", self.cpu + other.cpu, self.memory + other.memory
        )


NOTHING = Demand("nothing", 0, 0)


def total(name: str, demands: list[Demand]) -> Demand:
    summed = reduce(Demand.__add__, demands, NOTHING)
    return Demand(name, summed.cpu, summed.memory)


def requests(resources: dict | None) -> tuple[int, int]:
    """(millicores, bytes) a container's `resources` requests; what is absent is 0."""
    asked = (resources or {}).get("requests") or {}
    cpu, memory = asked.get("cpu"), asked.get("memory")
    return (millicores(cpu) if cpu not in (None, "0") else 0,
            memory_bytes(memory) if memory not in (None, "0") else 0)  # fmt: skip


def pod(name: str, containers: list[dict | None], init: list[dict | None] = ()) -> Demand:
    """A pod's requests: its containers' summed, or its largest init container's
    when that is larger (init containers run one at a time, before the rest)."""
    summed = [sum(x) for x in zip(*(requests(c) for c in containers), strict=True)]
    firsts = [requests(c) for c in init] or [(0, 0)]
    return Demand(name, max(summed[0], *(c for c, _ in firsts)),
                  max(summed[1], *(m for _, m in firsts)))  # fmt: skip


def chart_values(resources: list[dict], chart: str) -> dict:
    (found,) = [r for r in of_kind(resources, "HelmChart") if r["metadata"]["name"] == chart]
    return yaml.safe_load(found["spec"].get("valuesContent") or "") or {}


def dig(values: dict, path: tuple[str, ...]) -> object:
    for key in path:
        values = (values or {}).get(key)
    return values


# --- the platform ---------------------------------------------------------------


def platform(resources: list[dict]) -> list[Demand]:
    """Every pod the sandbox keeps running, with its requests."""
    pods = []
    for workload in of_kind(resources, "Deployment") + of_kind(resources, "StatefulSet"):
        spec = workload["spec"]["template"]["spec"]
        name = f"{workload['metadata'].get('namespace', '-')}/{workload['metadata']['name']}"
        one = pod(name, [c.get("resources") for c in spec["containers"]],
                  [c.get("resources") for c in spec.get("initContainers", [])])  # fmt: skip
        pods += [one] * spec.get("replicas", workload["spec"].get("replicas", 1))
    for name, chart, path in CHART_PODS:
        sized = dig(chart_values(resources, chart), path)
        init = [sized] if chart == "flyte-binary" else []
        pods.append(pod(name, [sized], init))
    (bus,) = of_kind(resources, "EventBus")
    jetstream = bus["spec"]["jetstream"]
    node = pod("argo/eventbus-default-js", [r for _, r in jetstream_containers(jetstream)])
    pods += [node] * jetstream.get("replicas", 3)
    for kind in ("EventSource", "Sensor"):
        for resource in of_kind(resources, kind):
            container = dig(resource, ("spec", "template", "container")) or {}
            pods.append(pod(f"argo/{kind.lower()}-{resource['metadata']['name']}",
                            [container.get("resources")]))  # fmt: skip
    return pods + k3s_pods()


def jetstream_containers(jetstream: dict) -> list[tuple[str, dict | None]]:
    """(template key, its resources) of each container in a JetStream node's pod:
    argo-events v1.9.10 installer/jetstream.go builds `main`, `reloader` and
    `metrics`, and sizes each only from its own template (none given: 0)."""
    keys = ("containerTemplate", "reloaderContainerTemplate", "metricsContainerTemplate")
    return [(key, dig(jetstream, (key, "resources"))) for key in keys]


def k3s_pods() -> list[Demand]:
    listed = yaml.safe_load((HERE / "upstream" / "k3s-system-pods.yaml").read_text())
    return [
        pod(p["name"], [{"requests": {"cpu": p["cpu"], "memory": p["memory"]}}]) for p in listed
    ]


def unsized_containers(resources: list[dict]) -> list[str]:
    """Containers the sandbox itself declares that ask for no CPU or no memory:
    invisible to the sum, and first to be starved."""
    found = []
    for workload in (
        of_kind(resources, "Deployment")
        + of_kind(resources, "StatefulSet")
        + of_kind(resources, "Job")
    ):
        spec = workload["spec"]["template"]["spec"]
        for c in spec["containers"] + spec.get("initContainers", []):
            if 0 in requests(c.get("resources")):
                found.append(f"{workload['kind']}/{workload['metadata']['name']}/{c['name']}")
    for name, chart, path in CHART_PODS:
        if 0 in requests(dig(chart_values(resources, chart), path)):
            found.append(f"HelmChart {chart} {'.'.join(path)} ({name})")
    executor = dig(chart_values(resources, "argo-workflows"), ("executor", "resources"))
    if 0 in requests(executor):
        found.append(
            "HelmChart argo-workflows executor.resources (every cicd pod's wait container)"
        )
    (template,) = of_kind(resources, "WorkflowTemplate")
    for t in template["spec"]["templates"]:
        body = t.get("container") or t.get("script")
        if body is not None and 0 in requests(body.get("resources")):
            found.append(f"WorkflowTemplate cicd template {t['name']}")
    for kind in ("EventSource", "Sensor"):
        for r in of_kind(resources, kind):
            if 0 in requests(dig(r, ("spec", "template", "container", "resources"))):
                found.append(f"{kind}/{r['metadata']['name']}")
    for bus in of_kind(resources, "EventBus"):
        for key, sized in jetstream_containers(bus["spec"]["jetstream"]):
            if 0 in requests(sized):
                found.append(f"EventBus/{bus['metadata']['name']} jetstream.{key}")
    return found


# --- the cicd workflow -------------------------------------------------------------


def step_pods(resources: list[dict]) -> dict[str, Demand]:
    """{cicd template name: its pod's requests}, Argo's executor containers included."""
    executor = dig(chart_values(resources, "argo-workflows"), ("executor", "resources"))
    (template,) = of_kind(resources, "WorkflowTemplate")
    pods = {}
    for t in template["spec"]["templates"]:
        body = t.get("container") or t.get("script")
        if body is not None:
            pods[t["name"]] = pod(
                f"cicd {t['name']}", [body.get("resources"), executor], [executor]
            )
    return pods


def step_phases(resources: list[dict]) -> list[list[tuple[str, str]]]:
    """The cicd run as a sequence of phases, each the (step, leaf template) pairs
    running at once.

    Follows the entrypoint's steps into nested steps templates. A parallel
    group must hold only leaf templates (pods): the sum here does not model
    parallel nested workflows, and says so rather than guess.
    """
    (template,) = of_kind(resources, "WorkflowTemplate")
    by_name = {t["name"]: t for t in template["spec"]["templates"]}

    def walk(step: str, name: str) -> list[list[tuple[str, str]]]:
        t = by_name[name]
        if "steps" not in t:
            return [[(step, name)]]
        phases = []
        for group in t["steps"]:
            if len(group) == 1:
                phases += walk(group[0]["name"], group[0]["template"])
            else:
                nested = [s["template"] for s in group if "steps" in by_name[s["template"]]]
                if nested:
                    raise AssertionError(f"parallel steps templates {nested}: not modelled")
                phases.append([(s["name"], s["template"]) for s in group])
        return phases

    entry = template["spec"]["entrypoint"]
    return walk(entry, entry)


# --- Flyte tasks -------------------------------------------------------------------


def read_package(archive: Path) -> tuple[dict[str, object], list[object]]:
    """({task name: TaskTemplate}, [WorkflowTemplate]) from a `ci package` archive."""
    from flyteidl.admin import task_pb2, workflow_pb2

    tasks, workflows = {}, []
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            data = tar.extractfile(member).read()
            if member.name.endswith("_1.pb"):
                spec = task_pb2.TaskSpec.FromString(data)
                tasks[spec.template.id.name] = spec.template
            elif member.name.endswith("_2.pb"):
                workflows.append(workflow_pb2.WorkflowSpec.FromString(data).template)
    return tasks, workflows


def _declared(template, which: str) -> dict[str, str]:
    from flyteidl.core import tasks_pb2

    names = {tasks_pb2.Resources.CPU: "cpu", tasks_pb2.Resources.MEMORY: "memory"}
    entries = getattr(template.container.resources, which)
    return {names[e.name]: e.value for e in entries if e.name in names}


def _adjusted(request: int, limit: int, default: int, platform_limit: int) -> tuple[int, int]:
    """Propeller's AdjustOrDefaultResource: (request, limit) a task pod gets."""
    if not request:
        request = limit or default
    if not limit:
        limit = request
    if platform_limit:
        request, limit = min(request, platform_limit), min(limit, platform_limit)
    return min(request, limit), limit


def task_pods(
    tasks: dict[str, object], resources: list[dict]
) -> tuple[dict[str, Demand], list[str]]:
    """({task name: its pod's requests}, [tasks whose declared resources Flyte
    would lower, silently, to flyte-binary's task_resources limits])."""
    platform_sizes = dig(
        chart_values(resources, "flyte-binary"), ("configuration", "inline", "task_resources")
    )
    defaults, limits = platform_sizes["defaults"], platform_sizes["limits"]
    parse = {"cpu": millicores, "memory": memory_bytes}
    pods, lowered = {}, []
    for name, template in tasks.items():
        asked, capped = _declared(template, "requests"), _declared(template, "limits")
        got = {}
        for kind, read in parse.items():
            want = tuple(read(d[kind]) if kind in d else 0 for d in (asked, capped))
            got[kind] = _adjusted(*want, read(defaults[kind]), read(limits[kind]))
            if any(w and g < w for w, g in zip(want, got[kind], strict=True)):
                lowered.append(f"{name}: {kind} {asked.get(kind)} / {capped.get(kind)} "
                               f"above task_resources.limits {limits[kind]}")  # fmt: skip
        short = name.rsplit(".", 1)[-1]
        pods[short] = Demand(f"task {short}", got["cpu"][0], got["memory"][0])
    return pods, lowered


def task_order(workflow) -> list[str]:
    """The workflow's task nodes in run order; fails when two could run at once."""
    nodes = {n.id: n for n in workflow.nodes if n.HasField("task_node")}
    ancestors: dict[str, set[str]] = {}

    def above(node_id: str) -> set[str]:
        if node_id not in ancestors:
            ups = [u for u in nodes[node_id].upstream_node_ids if u in nodes]
            ancestors[node_id] = set(ups).union(*(above(u) for u in ups))
        return ancestors[node_id]

    order = sorted(nodes, key=lambda n: len(above(n)))
    for before, after in pairwise(order):
        if before not in above(after):
            raise AssertionError(f"{before} and {after} can run at once: not modelled")
    return [nodes[n].task_node.reference_id.name.rsplit(".", 1)[-1] for n in order]


# --- serving -----------------------------------------------------------------------


def serving_pod(domain: str) -> tuple[Demand, int]:
    """(one `model-<domain>` pod's requests, the pods a rollout adds over a running one)."""
    deployment, _ = serving_manifests(
        model_name="m", version="1", domain=domain, namespace=f"p-{domain}",
        image="registry.example/p:1", tracking_uri="http://mlflow:5000",
    )  # fmt: skip
    spec = deployment["spec"]["template"]["spec"]
    surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    one = pod(f"model-{domain}", [c.get("resources") for c in spec["containers"]])
    return one, int(surge)
