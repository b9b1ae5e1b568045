"""The whole Flyte workflow, executed locally against a temporary SQLite store."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from workflows.domain.data import synthetic
from workflows.domain.errors import find_pipeline_error
from workflows.domain.gate import QualityGateError
from workflows.domain.schema import FEATURES, DataValidationError
from workflows.gateways.registry import Registry
from workflows.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow
DOMAIN = "development"


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.setenv("DOMAIN", DOMAIN)
    for name in ("MIN_AUC", "DATA", "ROWS", "SERVING_URL", "MODEL_NAME"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    return Registry(settings)


def run(**inputs):
    from workflows.pipeline import training_pipeline

    try:
        return training_pipeline(n_estimators=20, **inputs)
    except Exception as err:
        raise_cause(err)


def raise_cause(err):
    found = find_pipeline_error(err)
    if found is None:
        raise AssertionError(f"unexpected failure: {err}") from err
    raise found from None


def registry_state(registry: Registry) -> dict:
    versions = registry.client.search_model_versions(f"name = '{registry.name}'")
    return {
        "versions": sorted(int(v.version) for v in versions),
        "aliases": {a: registry.alias_target(a) for a in (DOMAIN, f"{DOMAIN}-previous")},
    }


def test_a_run_logs_registers_and_aliases(store, capsys):
    deployment = run(seed=1)
    # The deploy note names "no previous version" in words, not as "v-".
    progress = capsys.readouterr().err
    assert f"v{deployment.version} (previous: none)" in progress

    assert (deployment.alias, deployment.previous) == (DOMAIN, "")
    version = store.client.get_model_version(store.name, deployment.version)
    assert {"model_fingerprint", "git_sha", "git_ref", "domain", "flyte_execution"} <= set(
        version.tags
    )
    assert version.tags["domain"] == DOMAIN
    assert store.alias_target(DOMAIN) == deployment.version

    run_data = store.client.get_run(version.run_id).data
    assert run_data.metrics["roc_auc"] > 0.9
    plots = {f.path for f in store.client.list_artifacts(version.run_id, "plots")}
    assert plots == {"plots/roc_curve.svg", "plots/confusion_matrix.svg"}

    model = store.load_model(deployment.uri)
    assert set(model.predict(synthetic(5)[list(FEATURES)])) <= {0, 1}


def test_a_second_model_moves_the_alias_and_keeps_the_previous(store):
    first = run(seed=1)
    second = run(seed=2)
    assert second.version != first.version
    assert store.alias_target(DOMAIN) == second.version
    assert store.alias_target(f"{DOMAIN}-previous") == first.version == second.previous


def test_rerunning_the_same_inputs_reuses_the_version(store):
    first = run(seed=1)
    before = registry_state(store)
    again = run(seed=1)
    assert again.version == first.version
    assert registry_state(store) == before


def test_a_run_below_the_gate_changes_nothing(store):
    run(seed=1)
    before = registry_state(store)
    with pytest.raises(QualityGateError, match=r"below min_auc 0\.9999"):
        run(seed=3, min_auc=0.9999)
    assert registry_state(store) == before


def test_bad_data_fails_in_prepare_and_registers_nothing(store, tmp_path):
    frame = synthetic(200)
    frame.loc[7, FEATURES[2]] = float("nan")
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataValidationError) as caught:
        run(data=str(path))
    assert caught.value.columns == {FEATURES[2]}
    assert store.client.search_model_versions(f"name = '{store.name}'") == []
    experiments = [e.experiment_id for e in store.client.search_experiments()]
    assert not experiments or store.client.search_runs(experiments) == []


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MIN_AUC": "0.9999"}, "quality gate failed"),
        ({"DOMAIN": "production"}, "production moves only from a release tag"),
        ({"MIN_AUC": "2"}, "MIN_AUC='2'"),
    ],
)
def test_the_cli_exits_non_zero_with_the_reason(tmp_path, env, message):
    environment = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db",
        "GIT_REF": "refs/heads/main",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "workflows", "run"],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode != 0
    assert message in done.stderr
    assert "Traceback" not in done.stderr
