"""The whole Flyte workflow, executed locally against a temporary SQLite store,
on the project's own contract, the demo and each fixture shape."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pandas as pd
import pytest

from tests.fixtures import tables as fixtures
from workflows.domain import contract as data_contract
from workflows.domain.data import load
from workflows.domain.errors import find_pipeline_error
from workflows.domain.gate import QualityGateError
from workflows.domain.model import LABEL, PROBABILITY, output_columns
from workflows.domain.schema import DataValidationError
from workflows.gateways.registry import Registry
from workflows.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.slow
DOMAIN = "development"
REACHABLE_AUC = 0.7  # every case's table is learnable well beyond this


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
    monkeypatch.setenv("DOMAIN", DOMAIN)
    for name in ("MIN_AUC", "DATA", "ROWS", "SERVING_URL", "MODEL_NAME", "CONTRACT"):
        monkeypatch.delenv(name, raising=False)
    return Registry(Settings.from_env())


@pytest.fixture
def wide(tmp_path, monkeypatch, store):
    """The wide fixture table and its contract, set for the runs of a test."""
    contract_path, data = fixtures.case("wide", tmp_path)
    monkeypatch.setenv("CONTRACT", contract_path)
    return data


def run(**inputs):
    from workflows.flyte.pipeline import training_pipeline

    try:
        return training_pipeline(**{"min_auc": REACHABLE_AUC, **inputs})
    except Exception as err:
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


@pytest.mark.parametrize("case", fixtures.CASES)
def test_a_run_logs_registers_and_aliases_a_model_that_takes_raw_rows(
    case, store, tmp_path, monkeypatch, capsys
):
    contract_path, data = fixtures.case(case, tmp_path)
    monkeypatch.setenv("CONTRACT", contract_path)
    contract = data_contract.load(contract_path)

    deployment = run(data=data, seed=1)
    # The deploy note names "no previous version" in words, not as "v-".
    assert f"v{deployment.version} (previous: none)" in capsys.readouterr().err

    assert (deployment.alias, deployment.previous) == (DOMAIN, "")
    version = store.client.get_model_version(store.name, deployment.version)
    assert {"model_fingerprint", "git_sha", "git_ref", "domain", "flyte_execution"} <= set(
        version.tags
    )
    assert store.alias_target(DOMAIN) == deployment.version
    run_data = store.client.get_run(version.run_id).data
    artifacts = {f.path for f in store.client.list_artifacts(version.run_id)}
    assert {"plots", "contract.yaml"} <= artifacts
    plots = {f.path for f in store.client.list_artifacts(version.run_id, "plots")}
    binary = contract.task == "binary"  # the project's own contract may be of any task
    if binary:
        assert run_data.metrics["roc_auc"] >= REACHABLE_AUC
        assert 0 < run_data.metrics["test_positive_share"] < 1
        assert plots == {"plots/roc_curve.svg", "plots/confusion_matrix.svg"}
    else:
        assert plots and all(p.endswith(".svg") for p in plots)

    # The registered model answers raw rows: the contract's columns only, a
    # category it never saw and a missing value included.
    model = store.load_model(deployment.uri)
    rows = load(data, contract, seed=3)[contract.feature_names].head(50).astype(object)
    for name in contract.of_kind("categorical")[:1]:
        rows.loc[0, name] = "a category never seen"
    rows.iloc[1, 0] = None
    answer = model.predict(rows)
    assert list(answer.columns) == output_columns(contract.task, contract.labels)
    assert len(answer) == len(rows)
    if binary:
        assert set(answer[LABEL]) <= {contract.positive, contract.negative}
        assert answer[PROBABILITY].between(0, 1).all()


def test_a_second_model_moves_the_alias_and_keeps_the_previous(store, wide):
    first = run(data=wide, seed=1)
    # Another split: the champion saw some of these test rows, so allow it a margin.
    second = run(data=wide, seed=2, min_delta=0.5)
    assert second.version != first.version
    assert store.alias_target(DOMAIN) == second.version
    assert store.alias_target(f"{DOMAIN}-previous") == first.version == second.previous


WEAK = '{"max_depth": 1, "max_iter": 2}'  # stumps, two rounds: clears the floor, no more


def test_a_worse_challenger_is_registered_and_tagged_and_the_alias_stays(store, wide):
    weak = run(data=wide, seed=1, params=WEAK)
    strong = run(data=wide, seed=1)
    assert strong.promoted and store.alias_target(DOMAIN) == strong.version
    before = store.alias_state(DOMAIN)

    weaker = run(data=wide, seed=1, params='{"max_depth": 1, "max_iter": 3}')

    assert not weaker.promoted and weaker.candidate not in (weak.version, strong.version)
    assert store.alias_state(DOMAIN) == before  # neither alias moved
    tags = store.version_tags(weaker.candidate)
    assert (tags["challenge"], tags["champion_version"]) == ("lost", strong.version)
    champion, challenger = float(tags["champion_roc_auc"]), float(tags["challenger_roc_auc"])
    assert challenger < champion
    assert f"{challenger:.4f}" in weaker.outcome and f"{champion:.4f}" in weaker.outcome
    run_id = store.client.get_model_version(store.name, weaker.candidate).run_id
    metrics = store.client.get_run(run_id).data.metrics
    assert metrics["champion_roc_auc"] == pytest.approx(champion, abs=1e-6)
    assert metrics["challenger_roc_auc"] == pytest.approx(metrics["roc_auc"])


def test_a_champion_of_another_contract_is_not_compared_only_the_floor_applies(
    store, wide, tmp_path, monkeypatch
):
    strong = run(data=wide, seed=1)
    contract = data_contract.load(os.environ["CONTRACT"])
    dropped = contract.features[-1].name  # still in the table, now ignored
    changed = dataclasses.replace(
        contract, features=contract.features[:-1], ignore={**contract.ignore, dropped: "test"}
    )
    (tmp_path / "changed.yaml").write_text(data_contract.dump(changed))
    monkeypatch.setenv("CONTRACT", str(tmp_path / "changed.yaml"))

    other = run(data=wide, seed=1, params='{"max_depth": 2, "max_iter": 10}')

    assert other.promoted and store.alias_target(DOMAIN) == other.version != strong.version
    assert "different data contract" in other.outcome


def test_rerunning_the_same_inputs_reuses_the_version(store, wide):
    first = run(data=wide, seed=1)
    before = registry_state(store)
    again = run(data=wide, seed=1)
    assert again.version == first.version
    assert registry_state(store) == before
    # Found by a new user: a re-run said "no champion yet" while the alias pointed at it.
    assert again.outcome == (
        f"champion v{first.version} not compared (it is this same model): "
        "the quality gate alone decides"
    )


def test_the_estimator_and_its_parameters_are_inputs(store, wide):
    deployment = run(data=wide, estimator="random_forest", params='{"n_estimators": 7}')
    run_id = store.client.get_model_version(store.name, deployment.version).run_id
    params = store.client.get_run(run_id).data.params
    assert (params["estimator"], params["estimator.n_estimators"]) == ("random_forest", "7")


def test_a_run_below_the_gate_changes_nothing(store, wide):
    run(data=wide, seed=1)
    before = registry_state(store)
    with pytest.raises(QualityGateError, match=r"below min_auc 0\.9999"):
        run(data=wide, seed=3, min_auc=0.9999)
    assert registry_state(store) == before


def test_the_training_run_records_the_gates_verdict(store, wide):
    """Found by a new user: a run the gate refused was stored as FINISHED with
    nothing to say that the gate refused it."""

    def newest_verdict() -> str:
        experiments = [e.experiment_id for e in store.client.search_experiments()]
        runs = store.client.search_runs(experiments, order_by=["attributes.start_time DESC"])
        return runs[0].data.tags.get("quality_gate", "")

    run(data=wide, seed=1)
    assert newest_verdict().startswith("passed: roc_auc")
    with pytest.raises(QualityGateError):
        run(data=wide, seed=4, min_auc=0.9999)
    assert newest_verdict().startswith("refused: roc_auc") and "roc_auc>=0.9999" in newest_verdict()


def test_bad_data_fails_in_prepare_and_logs_nothing(store, tmp_path, monkeypatch):
    contract_path, data = fixtures.case("biopsy", tmp_path)
    monkeypatch.setenv("CONTRACT", contract_path)
    frame = pd.read_csv(data)
    frame["mitoses"] = frame["mitoses"].astype(object)
    frame.loc[7, "mitoses"] = "many"
    frame.to_csv(data, index=False)
    with pytest.raises(DataValidationError) as caught:
        run(data=data)
    assert caught.value.columns == {"mitoses"}
    assert store.client.search_model_versions(f"name = '{store.name}'") == []
    experiments = [e.experiment_id for e in store.client.search_experiments()]
    assert not experiments or store.client.search_runs(experiments) == []


def cli(tmp_path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path}/mlflow.db",
        "GIT_REF": "refs/heads/main",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "workflows", *args],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("env", "code", "message"),
    [
        ({"MIN_AUC": "0.9999"}, 1, "quality gate failed"),
        ({"DOMAIN": "production"}, 2, "production moves only from a release tag"),
        ({"MIN_AUC": "2"}, 2, "MIN_AUC='2'"),
        ({"PARAMS": '{"max_dept": 2}'}, 2, "has no parameter(s) ['max_dept']"),
        ({"ESTIMATOR": "svm"}, 2, "estimator 'svm' is not known"),
        ({"CONTRACT": "/nowhere/contract.yaml"}, 2, "no data contract at /nowhere/contract.yaml"),
        ({"GATE": "rmse<=12.5"}, 2, "rmse is a regression metric; the contract's task is binary"),
        ({"GATE": "auc>=0.8"}, 2, "GATE='auc>=0.8': unknown metric 'auc'; did you mean"),
        ({"GATE": "roc_auc 0.8"}, 2, "GATE='roc_auc 0.8': no direction"),
        ({"GATE": "roc_auc>=0.9999"}, 1, "ROC AUC 0."),
    ],
)
def test_the_cli_exits_non_zero_with_the_reason(tmp_path, env, code, message):
    # A binary fixture contract: the project's own may be of any task.
    fixture = str(fixtures.contract_path("wide"))
    done = cli(tmp_path, {"ROWS": "300", "CONTRACT": fixture, **env}, "run")
    assert done.returncode == code
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_make_contract_then_run_on_a_csv_with_no_code_edits(tmp_path):
    """A team's table: draft its contract, then train, gate, register, deploy."""
    _, data = fixtures.case("imbalanced", tmp_path)
    contract = tmp_path / "contract.yaml"
    drafted = cli(tmp_path, {"CONTRACT": str(contract)}, "contract", "--data", data,
                  "--target", "churned")  # fmt: skip
    assert drafted.returncode == 0, drafted.stderr
    assert "positive label 'Yes'" in drafted.stdout and "plan" in drafted.stdout
    assert data_contract.load(contract).source == "imbalanced.csv"  # beside the contract

    done = cli(tmp_path, {"CONTRACT": str(contract), "MIN_AUC": "0.7"}, "run")
    assert done.returncode == 0, done.stderr
    assert "@development -> v1" in done.stdout


def test_the_run_lists_its_datasets_and_the_version_carries_the_digest(store, wide):
    deployment = run(data=wide, seed=1)

    version = store.client.get_model_version(store.name, deployment.version)
    inputs = store.client.get_run(version.run_id).inputs.dataset_inputs
    contexts = {
        next(t.value for t in i.tags if t.key == "mlflow.data.context"): i.dataset for i in inputs
    }
    assert set(contexts) == {"training", "evaluation"}
    training = contexts["training"]
    assert wide in training.source and training.name == "wide.csv"
    assert '"num_rows"' in training.profile and training.schema
    assert version.tags["training_dataset_digest"] == training.digest
    assert contexts["evaluation"].digest != training.digest


def test_duplicates_are_counted_and_a_leaking_feature_is_named(
    store, tmp_path, monkeypatch, capsys
):
    contract_path, data = fixtures.case("imbalanced", tmp_path)
    table = pd.read_csv(data)
    table["status at exit"] = table["churned"].map({"Yes": "closed", "No": "open"})  # a leak
    table = pd.concat([table, table.head(300)], ignore_index=True)  # 300 copies
    table.to_csv(data, index=False)
    contract = data_contract.load(contract_path)
    leaking = dataclasses.replace(
        contract,
        features=(
            *contract.features,
            data_contract.Feature("status at exit", "categorical", False),
        ),
    )
    (tmp_path / "leaking.yaml").write_text(data_contract.dump(leaking))
    monkeypatch.setenv("CONTRACT", str(tmp_path / "leaking.yaml"))

    deployment = run(data=data, seed=1)

    said = capsys.readouterr().err
    copies = int(table.duplicated(subset=leaking.feature_names).sum())
    assert copies >= 300 and f"{copies} duplicate row(s)" in said
    assert "possible leak: 'status at exit' alone reaches ROC AUC 1.0000" in said
    version = store.client.get_model_version(store.name, deployment.version)
    assert store.client.get_run(version.run_id).data.tags["possible_leak"] == "status at exit"
