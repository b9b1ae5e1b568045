"""`make sandbox` does things in an order that works, and stops when a step fails.

scripts/sandbox-up.sh runs for real against stand-in k3d, docker, kubectl,
flytectl and curl (tests/static/cluster/sandbox_run.py): each test reads the
calls they recorded, the resources the script applied and the hooks it made.
"""

from __future__ import annotations

import re

import pytest

from tests.static.cluster.sandbox_run import SandboxRun, prepare, run_sandbox_up

REGISTRY = "k3d-registry.localhost:5000"


@pytest.fixture
def first_run(sandbox_run) -> SandboxRun:
    return sandbox_run


@pytest.fixture(scope="module")
def rerun(tmp_path_factory) -> SandboxRun:
    """`make sandbox` again on that laptop after Docker restarted: k3s rewrote
    CoreDNS's hosts without the registry."""
    tmp = tmp_path_factory.mktemp("rerun")
    prepared = prepare(tmp)
    assert run_sandbox_up(tmp, prepared=prepared).done.returncode == 0
    run = run_sandbox_up(tmp, flags=("cluster-exists", "dns-lost"), prepared=prepared)
    assert run.done.returncode == 0, run.done.stderr[-3000:]
    return run


def is_call(tool: str, *words: str):
    return lambda c: c["tool"] == tool and all(w in c["argv"] for w in words)


def gitea_api(call: dict) -> bool:
    return call["tool"] == "curl" and any("/api/v1/" in a for a in call["argv"])


def test_first_call_through_the_ingress_waits_for_it(first_run):
    first_api_call = first_run.index(gitea_api)
    traefik = first_run.index(is_call("kubectl", "rollout", "deployment/traefik"))
    healthy = first_run.index(
        lambda c: c["tool"] == "curl" and any(a.endswith("/api/healthz") for a in c["argv"])
    )
    assert first_api_call > 0
    assert 0 <= traefik < first_api_call, "no wait for the ingress controller"
    assert 0 <= healthy < first_api_call, "no check that the ingress routes to Gitea"


def test_a_failed_gitea_admin_creation_stops_make_sandbox(tmp_path):
    run = run_sandbox_up(tmp_path, flags=("gitea-create-fails",))
    assert run.done.returncode != 0
    assert "database is locked" in run.done.stderr  # Gitea's own words reach the user
    assert "admin" in run.done.stderr.splitlines()[-1]
    assert run.index(gitea_api) == -1, "went on to use an admin that does not exist"


def test_an_existing_admin_is_not_created_again(rerun):
    assert rerun.index(is_call("kubectl", "list")) >= 0
    assert rerun.index(is_call("kubectl", "create", "--admin")) == -1


def own_image_tags(run: SandboxRun) -> dict[str, str]:
    """{name: tag} of the images the script built and pushed."""
    built = [a[a.index("--tag") + 1] for a in run.of("docker") if a[0] == "build"]
    return dict(image.rsplit("/", 1)[1].split(":") for image in built)


def test_own_images_are_tagged_by_content_and_applied_with_that_tag(first_run, tmp_path):
    tags = own_image_tags(first_run)
    assert set(tags) == {"cicd-tools", "mlflow-server"}
    pushed = {a[-1] for a in first_run.of("docker") if a[0] == "push"}
    used = {
        image
        for stage in first_run.applied()
        for image in re.findall(rf"{REGISTRY}/(?:cicd-tools|mlflow-server):[\w.-]+", str(stage))
    }
    # Every use of an own image in what was applied carries the tag just built.
    assert used == {f"{REGISTRY}/{name}:{tag}" for name, tag in tags.items()}
    assert {p.split("/", 1)[1] for p in pushed} == {u.split("/", 1)[1] for u in used}
    # A changed build context gives a new tag, so the node pulls the new image.
    prepared = prepare(tmp_path)
    dockerfile = prepared[0] / "infra" / "cicd-tools" / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "# changed\n")
    changed = own_image_tags(run_sandbox_up(tmp_path, prepared=prepared))
    assert changed["cicd-tools"] != tags["cicd-tools"]
    assert changed["mlflow-server"] == tags["mlflow-server"]


def k3d_host_port(run: SandboxRun) -> str:
    import json

    import yaml

    config = yaml.safe_load(json.loads((run.state / "k3d-config.json").read_text()))
    return config["registries"]["create"]["hostPort"]


def pushed_to(run: SandboxRun) -> set[str]:
    return {a[-1].split("/", 1)[0] for a in run.of("docker") if a[0] == "push"}


def test_registry_port_defaults_off_airplay_and_can_be_chosen(first_run, tmp_path):
    # macOS's AirPlay receiver listens on 5000.
    assert k3d_host_port(first_run) != "5000"
    assert pushed_to(first_run) == {f"localhost:{k3d_host_port(first_run)}"}
    chosen = run_sandbox_up(tmp_path, env={"SANDBOX_REGISTRY_PORT": "6123"})
    assert chosen.done.returncode == 0, chosen.done.stderr[-2000:]
    assert k3d_host_port(chosen) == "6123"
    assert pushed_to(chosen) == {"localhost:6123"}


def test_a_re_run_with_a_long_hook_list_adds_no_second_hook(rerun):
    # Gitea's answer is long enough that a reader stopping at the first match
    # (grep -q) makes curl fail; under pipefail that read as "no hook".
    assert len(rerun.hooks()) == 1  # each push would otherwise start two workflows


def test_flyte_is_applied_only_after_its_bucket_and_user_exist(first_run):
    def applies_flyte(stage: dict) -> bool:
        return any(r["metadata"]["name"] == "flyte-binary" for r in stage["resources"])

    flyte_stages = [s["source"] for s in first_run.applied() if applies_flyte(s)]
    assert len(flyte_stages) == 1
    flyte_apply = first_run.index(is_call("kubectl", "apply", flyte_stages[0]))
    bucket_job = first_run.index(is_call("kubectl", "wait", "job/minio-setup"))
    assert 0 <= bucket_job < flyte_apply, "flyte-binary starts before its bucket and user exist"


def test_a_cluster_whose_dns_lost_the_registry_is_restarted(rerun):
    k3d = [a[:2] for a in rerun.of("k3d")]
    assert ["cluster", "stop"] in k3d
    stop = k3d.index(["cluster", "stop"])
    assert ["cluster", "start"] in k3d[stop:], "only a start of stopped nodes re-injects it"


def test_a_new_cluster_is_not_restarted(first_run):
    assert ["cluster", "stop"] not in [a[:2] for a in first_run.of("k3d")]
