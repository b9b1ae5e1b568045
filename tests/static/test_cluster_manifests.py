"""The sandbox's manifests, as `make sandbox` would apply them, validate strictly.

Kubernetes kinds against the 1.32 schemas with unknown fields as errors;
HelmChart, EventBus, EventSource and Sensor against this project's closed JSON
schemas; Argo workflows against hera's models made strict; the k3d config
against a closed schema of k3d's v1alpha5 Simple config and against k3d's own
(v5.8.3) schema.
"""

from __future__ import annotations

import copy
import json

import pytest
from jsonschema.validators import validator_for

from tests.static.cluster.support import (
    APPLIED_STAGES,
    HERE,
    ROOT,
    applied,
    build,
    k3d_config,
    kustomizations,
    load_documents,
    name_of,
    of_kind,
    sandbox_lib,
    schema_errors,
    validation_errors,
    yaml_files,
)

SENSITIVE = ("PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY")


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_yaml_file_parses(path):
    documents = load_documents(path)
    assert documents, f"{path} holds no YAML document"
    assert all(isinstance(d, dict) for d in documents)


@pytest.mark.parametrize("directory", kustomizations(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_kustomization_builds(directory):
    assert build(directory), f"{directory} builds to nothing"


def test_every_base_under_infra_is_applied():
    # By infra/'s kustomization, or as a stage of its own (infra/flyte waits
    # for its bucket): APPLIED_STAGES, held to sandbox-up.sh's run elsewhere.
    infra = ROOT / "infra"
    bases = {p.relative_to(infra).parts[0] for p in kustomizations() if infra in p.parents}
    listed = set(load_documents(ROOT / "infra" / "kustomization.yaml")[0]["resources"])
    staged = {s.split("/", 1)[1] for s in APPLIED_STAGES if s.startswith("infra/")}
    assert bases <= listed | staged, "a base under infra/ is applied by nothing"


@pytest.mark.parametrize("resource", applied(), ids=name_of)
def test_applied_resource_validates_strictly(resource):
    assert validation_errors(resource) == []


def test_k3d_config_validates_strictly():
    assert schema_errors("k3d-simple", k3d_config()) == []


def k3d_own_schema_errors(config: dict) -> list[str]:
    """What k3d itself says of a config before it creates anything: its own
    v1alpha5 schema (k3d-io/k3d v5.8.3 pkg/config/v1alpha5/schema.json,
    vendored unchanged), against the config with variables expanded as k3d
    does (cmd/util/config/config.go: os.ExpandEnv)."""
    path = HERE / "upstream" / "k3d-v5.8.3-config-v1alpha5.schema.json"
    data = json.loads(path.read_text())
    validator = validator_for(data)
    validator.check_schema(data)
    found = validator(data).iter_errors(config)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in found]


def test_k3d_config_validates_against_k3ds_own_schema():
    assert k3d_own_schema_errors(k3d_config()) == []


def test_k3ds_own_schema_refuses_an_unquoted_port():
    config = k3d_config()
    config["kubeAPI"]["hostPort"] = 6550  # k3d wants a string here
    assert k3d_own_schema_errors(config) == ["kubeAPI/hostPort: 6550 is not of type 'string'"]


def test_cicd_pushes_pipeline_images_to_the_k3d_registry():
    # Whatever registry the project names, the sandbox builds into its own, by
    # the registry's own port (5000), which k3d mirrors whatever the host port.
    registry = f"{k3d_config()['registries']['create']['name']}:5000"
    assert sandbox_lib("$CLUSTER_REGISTRY") == registry
    (template,) = load_documents(ROOT / "argo" / "cicd.yaml")
    steps = {t["name"]: t for t in template["spec"]["templates"]}
    for name in ("plan", "ci"):
        env = {e["name"]: e.get("value") for e in steps[name]["container"]["env"]}
        assert env.get("CI_IMAGE_REGISTRY") == registry, f"{name} does not push to {registry}"


def test_every_deployment_has_readiness_probe_and_requests():
    for deployment in of_kind(applied(), "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            where = f"{name_of(deployment)} container {container['name']}"
            assert "readinessProbe" in container, f"{where} has no readinessProbe"
            assert container.get("resources", {}).get("requests"), f"{where} requests nothing"


def test_stateful_services_keep_data_on_claims():
    resources = applied()
    claims = {r["metadata"]["name"] for r in of_kind(resources, "PersistentVolumeClaim")}
    for name in ("postgres", "minio", "gitea"):
        deployments = of_kind(resources, "Deployment")
        (deployment,) = [d for d in deployments if d["metadata"]["name"] == name]
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        used = {
            v["persistentVolumeClaim"]["claimName"] for v in volumes if "persistentVolumeClaim" in v
        }
        assert used and used <= claims, f"{name} keeps its data on no declared PVC"


def test_no_credentials_in_committed_manifests():
    resources = applied()
    assert not of_kind(resources, "Secret"), "Secrets are made at `make sandbox`, never committed"
    for resource in resources:
        for env in _env_vars(resource):
            if any(word in env["name"] for word in SENSITIVE):
                assert "value" not in env, f"{name_of(resource)}: {env['name']} is a literal"
    for chart in of_kind(resources, "HelmChart"):
        values = chart["spec"].get("valuesContent", "")
        assert "password: " not in values.lower().replace('password: ""', "")


def _env_vars(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "env" and isinstance(value, list):
                yield from (e for e in value if isinstance(e, dict) and "name" in e)
            else:
                yield from _env_vars(value)
    elif isinstance(node, list):
        for item in node:
            yield from _env_vars(item)


# --- the checks catch what they claim to catch ----------------------------------------


def _first(kind):
    return copy.deepcopy(of_kind(applied(), kind)[0])


def test_rejects_unknown_field_in_a_kubernetes_resource():
    deployment = _first("Deployment")
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    errors = validation_errors(deployment)
    assert errors and "readinesProbe" in errors[0]


def test_rejects_wrong_type_in_a_kubernetes_resource():
    deployment = _first("Deployment")
    deployment["spec"]["replicas"] = "one"
    assert validation_errors(deployment)


def test_rejects_unknown_field_in_a_helmchart():
    chart = _first("HelmChart")
    chart["spec"]["values"] = {}
    assert any("values" in e for e in validation_errors(chart))


def test_rejects_a_floating_chart_version():
    chart = _first("HelmChart")
    chart["spec"]["version"] = "1.x"
    assert validation_errors(chart)


def test_rejects_unknown_key_in_the_k3d_config():
    config = k3d_config()
    config["options"]["k3s"]["extraArg"] = []
    assert schema_errors("k3d-simple", config)


def test_rejects_a_k3s_image_of_another_kubernetes_minor():
    config = k3d_config()
    config["image"] = "rancher/k3s:v1.30.4-k3s1"
    assert schema_errors("k3d-simple", config)
