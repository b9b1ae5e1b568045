"""The packaged workflow, node by node, each task in the pipeline image with its own
serialized command, data through S3, against the MLflow server (tests/containers/
propeller.py is the stand-in for Flyte's propeller that does the running)."""

from __future__ import annotations

import functools
import http.server
import subprocess
import threading

import pytest

from tests.containers.conftest import GIT_REF, GIT_SHA, execute, registry_client, unpack
from tests.containers.propeller import NodeFailed, docker_run
from tests.integration.services import BUCKET
from tests.integration.test_pipeline_cli import s3_keys, s3_prefix, write_bad_csv
from workflows import identity


def version_count(client) -> int:
    return len(client.search_model_versions(f"name = '{identity.MODEL_NAME}'"))


def test_every_node_runs_in_order_and_hands_data_over_through_s3(execution, pod):
    tasks = [run.task.rsplit(".", 1)[-1] for run in execution.runs]
    assert tasks == ["prepare", "train", "gate", "register", "challenge", "deploy"]
    split = execution.outputs("prepare")
    for name in ("train", "test"):
        uri = split.literals[name].scalar.structured_dataset.uri
        assert uri.startswith(f"s3://{pod.bucket}/raw/{execution.name}/"), uri
        listed = pod.s3.list_objects_v2(Bucket=pod.bucket, Prefix=uri.split("/", 3)[3])
        assert listed.get("KeyCount", 0) > 0, f"{uri} is not in S3"


def test_the_version_is_registered_with_provenance_and_the_alias_moved(execution, services):
    deployment = unpack(execution.outputs("deploy").literals["o0"])
    client = registry_client(services)
    version = client.get_model_version(identity.MODEL_NAME, deployment["version"])
    assert version.tags["git_sha"] == GIT_SHA
    assert version.tags["git_ref"] == GIT_REF
    assert version.tags["domain"] == "development"
    assert version.tags["flyte_execution"] == f"containers/development/{execution.name}"
    assert "model_fingerprint" in version.tags
    alias = client.get_model_version_by_alias(identity.MODEL_NAME, "development")
    assert alias.version == deployment["version"]
    assert deployment["alias"] == "development"


def test_the_plots_are_in_the_artifact_store(execution, services):
    trained = unpack(execution.outputs("train").literals["o0"])
    run = registry_client(services).get_run(trained["run_id"])
    keys = s3_keys(services, s3_prefix(services, run.info.artifact_uri))
    names = {key.rsplit("/", 2)[-2] + "/" + key.rsplit("/", 1)[-1] for key in keys}
    assert {"plots/roc_curve.svg", "plots/confusion_matrix.svg"} <= names
    assert BUCKET  # the artifacts live in the MLflow bucket of the test S3


def test_a_gate_above_reach_fails_the_gate_node_and_registers_nothing(packaged, pod, services):
    client = registry_client(services)
    before = version_count(client)

    with pytest.raises(NodeFailed) as failed:
        execute(packaged, pod, min_auc=1.0, seed=7, git_sha=GIT_SHA, git_ref=GIT_REF)

    assert failed.value.task == "gate"  # its error document, not a crash
    assert "quality gate failed" in str(failed.value)
    assert "below min_auc 1.0000" in str(failed.value)
    assert version_count(client) == before


def test_bad_data_fails_prepare_naming_the_column(packaged, pod, tmp_path):
    path, column = write_bad_csv("nan", tmp_path)
    # The pod reads the table over HTTP from the host (host network), as it
    # would read any URI pandas opens.
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/{path.rsplit('/', 1)[-1]}"
        with pytest.raises(NodeFailed) as failed:
            execute(packaged, pod, data=url, git_sha=GIT_SHA, git_ref=GIT_REF)
        server.shutdown()

    assert failed.value.task == "prepare"
    assert f"column {column!r}" in str(failed.value)


def test_every_task_pod_reads_its_settings_with_the_cluster_rollout_on(packaged, pod):
    """In the cluster DEPLOY_TARGET=kubernetes (the Flyte values), which needs the
    serving image: the pods must get it from the package, since propeller sets no
    FLYTE_INTERNAL_IMAGE."""
    read = "from workflows.settings import Settings; print(Settings.from_env().serving_image)"
    for name, spec in packaged.tasks.items():
        task = spec.template
        cmd = [*docker_run(task, pod, "settings"), task.container.image, "python", "-c", read]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{name}: {done.stderr.strip().splitlines()[-1:]}"
        assert done.stdout.strip() == task.container.image


def test_no_task_log_warns_about_git(execution):
    """The image has no git: GitPython must stay quiet instead of warning in every task."""
    for run in execution.runs:
        assert "bad git executable" not in run.log.lower(), run.task
