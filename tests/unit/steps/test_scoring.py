"""`make score`'s drift worker: the report computed in another process is the
report computed here, and its refusals reach the caller unchanged."""

import pandas as pd
import pytest

from tests.tools import drift_tables
from workflows.domain.contract import Contract, Feature
from workflows.domain.drift import report
from workflows.steps.scoring import drift_worker


@pytest.fixture(scope="module")
def tables():
    return drift_tables((0.0, 1.5))


def test_the_worker_reports_what_the_report_gives_here(tables):
    reference, current, contract = tables
    here = report(reference, current, contract, 0.3)

    with drift_worker() as report_drift:
        there = report_drift(reference, current, contract, 0.3)

    assert there.drifted == here.drifted == ["x1"]
    assert (there.share, there.columns, there.skipped) == (here.share, here.columns, here.skipped)
    assert there.detected == here.detected


def test_a_refusal_in_the_worker_reaches_the_caller_as_it_was_raised(tables):
    reference, current, contract = tables
    with drift_worker() as report_drift, pytest.raises(ValueError, match="drift_limit"):
        report_drift(reference, current, contract, 1.5)


def _no_model_yet(tmp_path):
    """Settings of a project with a one-feature contract and an empty store: a
    refusal that comes before the model is looked up is the only one it can get."""
    from workflows.domain import contract as data_contract
    from workflows.settings import Settings

    contract_path = tmp_path / "contract.yaml"
    contract = Contract("y", "yes", "no", (Feature("x", "numeric", False),))
    contract_path.write_text(data_contract.dump(contract, {}, "schema.json"), encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    return Settings.from_env({"MLFLOW_TRACKING_URI": store, "CONTRACT": str(contract_path)})


def test_a_table_that_is_not_there_is_named_before_the_model_is_looked_up(tmp_path):
    """Found by a new user: `make score DATA=/nope.csv` said so only after loading
    the model, 12 s later; an empty store (no model) shows which comes first."""
    from workflows.domain.data import DataLoadError
    from workflows.steps.scoring import score

    with pytest.raises(DataLoadError, match=r"nope\.csv'?: no such file"):
        score(_no_model_yet(tmp_path), str(tmp_path / "nope.csv"), str(tmp_path / "out.parquet"))
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("header.csv", "x,y\n", "the table has no rows"),
        ("blank.csv", "", "the file is empty"),
        ("header.parquet", None, "the table has no rows"),
    ],
)
def test_a_table_with_no_rows_is_refused_before_the_model_is_looked_up(
    tmp_path, name, content, says
):
    """Found by a new user: `make score` of a header-only file said so only after
    loading the model (8-26 s)."""
    from workflows.domain.data import DataLoadError
    from workflows.steps.scoring import score

    source = tmp_path / name
    if content is None:
        pd.DataFrame({"x": pd.Series([], dtype=float)}).to_parquet(source)
    else:
        source.write_text(content, encoding="utf-8")

    with pytest.raises(DataLoadError, match=rf"{name}'?: {says}"):
        score(_no_model_yet(tmp_path), str(source), str(tmp_path / "out.parquet"))
    assert not (tmp_path / "out.parquet").exists()


@pytest.mark.parametrize(
    ("content", "columns", "row"),
    [
        ("x,y\n1.5,yes\n,no\n2.5,yes\n", {"x"}, 2),  # x may not be missing: row 2 lacks it
        ("x,colour\n1.5,red\n", {"colour"}, None),  # a column the contract lacks
    ],
)
def test_a_table_that_breaks_the_contract_early_is_refused_before_the_model_is_looked_up(
    tmp_path, content, columns, row
):
    """Found by a new user: `make score` took 7.7 s to refuse a bad row, loading
    the model and the drift library first."""
    from workflows.domain.schema import DataValidationError
    from workflows.steps.scoring import score

    source = tmp_path / "bad.csv"
    source.write_text(content, encoding="utf-8")
    with pytest.raises(DataValidationError) as refused:
        score(_no_model_yet(tmp_path), str(source), str(tmp_path / "out.parquet"))
    assert (refused.value.columns, refused.value.first_row) == (columns, row)
    assert not (tmp_path / "out.parquet").exists()
