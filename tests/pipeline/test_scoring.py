"""The scoring workflow, executed locally after a training run on the biopsy
fixture: the Parquet it writes, the drift report, refusals, and retraining on
drift (a launch-plan node in a conditional branch)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.fixtures import tables as fixtures
from tests.tools import missing
from workflows.domain import contract as data_contract
from workflows.domain.errors import find_pipeline_error
from workflows.domain.model import LABEL, PROBABILITY
from workflows.domain.schema import DataValidationError
from workflows.gateways.registry import Registry
from workflows.settings import Settings
from workflows.steps.scoring import MODEL_NAME, MODEL_VERSION

pytestmark = pytest.mark.slow
SHIFTED = 5  # of biopsy's 9 features: more than half, so above the default DRIFT_LIMIT


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One model @development trained on biopsy; (registry, contract, table path)."""
    if importlib.util.find_spec("evidently") is None:
        missing("evidently is not installed: uv sync --group drift (make score installs it)")
    folder = tmp_path_factory.mktemp("scoring")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{folder}/mlflow.db")
        patch.setenv("DOMAIN", "development")
        for name in ("MIN_AUC", "DATA", "ROWS", "SERVING_URL", "MODEL_NAME", "DRIFT_LIMIT"):
            patch.delenv(name, raising=False)
        contract_path, data = fixtures.case("biopsy", folder)
        patch.setenv("CONTRACT", contract_path)
        from workflows.flyte.pipeline import training_pipeline

        training_pipeline(data=data, min_auc=0.7)
        yield Registry(Settings.from_env()), data_contract.load(contract_path), data, folder, patch


def score(**inputs):
    from workflows.flyte.pipeline import scoring_pipeline

    try:
        return scoring_pipeline(**inputs)
    except Exception as err:
        found = find_pipeline_error(err)
        if found is None:
            raise AssertionError(f"unexpected failure: {err}") from err
        raise found from None


def test_scores_keep_ignored_columns_and_carry_label_probability_and_model(trained):
    registry, contract, data, folder, _ = trained
    table = pd.read_csv(data).drop(columns=contract.target)  # the target is optional
    table.to_csv(folder / "new.csv", index=False)
    out = folder / "scores.parquet"

    _, result = score(data=str(folder / "new.csv"), out=str(out))

    scores = pq.read_table(out).to_pandas()
    version = registry.alias_target("development")
    assert list(scores.columns) == [*contract.ignore, LABEL, PROBABILITY, MODEL_NAME, MODEL_VERSION]
    # Same rows, same order; an ignored column is kept as the text written, never
    # re-guessed chunk by chunk.
    assert scores["rownames"].tolist() == table["rownames"].astype(str).tolist()
    assert set(scores[LABEL]) <= {contract.positive, contract.negative}
    assert scores[PROBABILITY].between(0, 1).all()
    assert set(scores[MODEL_NAME]) == {registry.name} and set(scores[MODEL_VERSION]) == {version}
    assert (result.rows, result.model_version) == (len(table), version)
    assert not result.drift_detected and result.drift_share <= 0.5


def test_shifted_features_are_flagged_and_drift_is_detected(trained):
    registry, contract, data, folder, _ = trained
    table = pd.read_csv(data)
    moved = contract.feature_names[:SHIFTED]
    for name in moved:
        table[name] = table[name] + 2 * table[name].std()
    table.to_csv(folder / "shifted.csv", index=False)

    _, result = score(data=str(folder / "shifted.csv"), out=str(folder / "shifted.parquet"))

    assert result.drift_detected and result.drift_share >= SHIFTED / len(contract.features)
    assert set(moved) <= set(result.drifted)
    run = registry.client.get_run(result.run_id)
    assert run.data.metrics["drift_share"] == pytest.approx(result.drift_share)
    assert "drift/report.html" in [
        a.path for a in registry.client.list_artifacts(result.run_id, "drift")
    ]


def test_bad_rows_write_nothing(trained):
    _, contract, data, folder, _ = trained
    table = pd.read_csv(data)
    table[contract.feature_names[0]] = table[contract.feature_names[0]].astype(object)
    table.loc[len(table) - 1, contract.feature_names[0]] = "many"
    table.to_csv(folder / "bad.csv", index=False)
    out = folder / "bad.parquet"
    with pytest.raises(DataValidationError, match=contract.feature_names[0]):
        score(data=str(folder / "bad.csv"), out=str(out))
    assert not out.exists() and not list(folder.glob(".bad.parquet*"))


def test_make_score_refuses_a_table_that_breaks_the_contract_in_one_line(trained):
    """What `make score` runs: a refusal is one `error:` line naming the column,
    as `make run` prints it, never a traceback."""
    _, contract, data, folder, _ = trained
    column = contract.feature_names[0]
    table = pd.read_csv(data)
    table[column] = table[column].astype(object)
    table.loc[0, column] = "many"
    table.to_csv(folder / "refused.csv", index=False)
    out = folder / "refused.parquet"

    done = subprocess.run(
        [sys.executable, "-m", "workflows", "score", "--data", str(folder / "refused.csv"),
         "--output", str(out)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip

    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and column in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_drift_starts_the_training_launch_plan_only_when_turned_on(trained):
    registry, contract, data, folder, patch = trained
    patch.setenv("DATA", data)  # what the launch plan's training run reads
    table = pd.read_csv(data)
    for name in contract.feature_names[:SHIFTED]:
        table[name] = table[name] + 2 * table[name].std()
    table.to_csv(folder / "drifted.csv", index=False)

    def runs() -> int:
        return len(registry.client.search_runs([registry._experiment_id()]))

    before = runs()
    score(data=str(folder / "drifted.csv"), out=str(folder / "a.parquet"))
    assert runs() == before  # off by default
    score(data=str(folder / "drifted.csv"), out=str(folder / "b.parquet"), retrain_on_drift=True)
    assert runs() == before + 1  # one training run, on the contract's source


def test_the_scoring_run_lists_the_table_it_scored(trained):
    registry, _, data, folder, _ = trained
    _, result = score(data=data, out=str(folder / "lineage.parquet"))

    inputs = registry.client.get_run(result.run_id).inputs.dataset_inputs
    assert [t.value for i in inputs for t in i.tags if t.key == "mlflow.data.context"] == [
        "scoring"
    ]
    assert data in inputs[0].dataset.source and inputs[0].dataset.digest
