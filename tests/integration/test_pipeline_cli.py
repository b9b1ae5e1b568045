"""`python -m workflows run` end to end against PostgreSQL, S3 and an MLflow server."""

from __future__ import annotations

import pytest

from tests.integration.helpers import registry_state, run_cli, run_pipeline, runs_with_model
from tests.integration.services import BUCKET
from workflows.domain import contract as data_contract
from workflows.domain.data import load
from workflows.domain.schema import DataValidationError


def s3_keys(services, prefix: str) -> set[str]:
    """Objects in the bucket, read with boto3 straight from S3, not through MLflow."""
    pages = (
        services.s3.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    )
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def s3_prefix(services, artifact_uri: str) -> str:
    """mlflow-artifacts:/<path> -> the key prefix under the server's --artifacts-destination."""
    root = services.mlflow.artifacts_destination.removeprefix(f"s3://{BUCKET}/")
    return f"{root}/{artifact_uri.removeprefix('mlflow-artifacts:').lstrip('/')}"


def test_happy_path_logs_to_s3_registers_in_postgres_and_serves(services, env, registry):
    outcome = run_cli(env)

    assert outcome.code == 0, outcome.stderr
    version = registry.client.get_model_version(registry.name, "1")
    assert f"alias:    @development -> v{version.version}" in outcome.stdout
    assert {
        "model_fingerprint",
        "git_sha",
        "domain",
        "flyte_execution",
    } <= set(version.tags)
    assert version.tags["domain"] == "development"
    assert version.tags["git_sha"] == env["GIT_SHA"]
    assert registry.alias_target("development") == version.version

    run = registry.client.get_run(version.run_id)
    assert run.data.metrics["roc_auc"] > 0.9
    run_keys = s3_keys(services, s3_prefix(services, run.info.artifact_uri))
    plots = {key.rsplit("/", 2)[-2] + "/" + key.rsplit("/", 1)[-1] for key in run_keys}
    assert {"plots/roc_curve.svg", "plots/confusion_matrix.svg"} <= plots
    experiment = registry.client.get_experiment(run.info.experiment_id)
    model_keys = s3_keys(services, s3_prefix(services, experiment.artifact_location))
    assert {"MLmodel", "model.skops"} <= {key.rsplit("/", 1)[-1] for key in model_keys - run_keys}

    model = registry.load_model(f"models:/{registry.name}@development")
    contract = data_contract.load(env["CONTRACT"])
    rows = load(env["DATA"], contract)[contract.feature_names].head(5)
    assert set(model.predict(rows)["label"]) <= {contract.positive, contract.negative}


def test_gate_failure_registers_nothing_and_moves_no_alias(env, registry):
    run_pipeline(seed=1)  # an alias already in place, which must not move
    before = registry_state(registry)

    outcome = run_cli(env, MIN_AUC="0.9999")

    assert outcome.code == 1
    assert "error: " in outcome.stderr
    assert "0.9999" in outcome.stderr.split("error: ", 1)[1]
    assert registry_state(registry) == before


def _bad_frames():
    import numpy as np

    from tests.fixtures.tables import table

    frame = table("wide")
    with_nan = frame.copy()
    with_nan.loc[3, "x04"] = np.nan
    return {
        "nan": (with_nan, "x04"),
        "missing-column": (frame.drop(columns=["tier"]), "tier"),
        "one-class": (frame[frame["target"] == 1], "target"),
    }


def write_bad_csv(case: str, folder) -> tuple[str, str]:
    frame, column = _bad_frames()[case]
    path = folder / f"{case}.csv"
    frame.to_csv(path, index=False)
    return str(path), column


def test_bad_data_fails_in_prepare_naming_the_column(env, registry, tmp_path):
    path, column = write_bad_csv("nan", tmp_path)

    outcome = run_cli(env, DATA=path)

    assert outcome.code == 1
    assert "data validation failed" in outcome.stderr
    assert f"column {column!r}" in outcome.stderr
    assert "✗ prepare failed" in outcome.stderr
    assert "▶ train" not in outcome.stderr
    assert runs_with_model(registry) == []
    assert registry_state(registry)["versions"] == []


# The other bad sets in-process (same Flyte local execution, without a process start each).
@pytest.mark.parametrize("case", ["missing-column", "one-class"])
def test_other_bad_data_fails_in_prepare(case, env, registry, tmp_path):
    path, column = write_bad_csv(case, tmp_path)

    with pytest.raises(DataValidationError) as failed:
        run_pipeline(data=path)

    assert column in failed.value.columns
    assert runs_with_model(registry) == []
    assert registry_state(registry)["versions"] == []


def test_rerun_with_the_same_inputs_reuses_the_version(env, registry):
    first = run_cli(env)
    assert first.code == 0, first.stderr
    before = registry_state(registry)

    again = run_cli(env)

    assert again.code == 0, again.stderr
    assert "already holds this model: reusing it" in again.stderr
    assert registry_state(registry) == before
    assert before["versions"] == [1]
    assert before["aliases"]["development"] == "1"
