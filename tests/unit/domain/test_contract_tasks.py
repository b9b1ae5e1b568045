"""The contract says the task: binary (the default, as every existing contract
means), multiclass (its labels listed) or regression (a number to predict)."""

import pytest
import yaml

from workflows.domain import contract as data_contract
from workflows.domain.contract import TASKS, Contract, ContractError, Feature

FEATURES = "features: {x: {kind: numeric}}"


def parsed(text: str) -> Contract:
    return data_contract.parse(text)


def test_a_contract_without_task_is_binary():
    contract = parsed(f"target: {{column: y, positive: 1, negative: 0}}\n{FEATURES}")
    assert contract.task == "binary"
    assert contract.labels == (0, 1)


def test_a_multiclass_contract_lists_its_labels_in_order():
    contract = parsed(f"task: multiclass\ntarget: {{column: y, labels: [c, a, b]}}\n{FEATURES}")
    assert contract.task == "multiclass"
    assert contract.labels == ("c", "a", "b")
    assert contract.positive is None


def test_a_regression_contract_has_no_labels():
    contract = parsed(f"task: regression\ntarget: {{column: price}}\n{FEATURES}")
    assert contract.task == "regression"
    assert contract.labels == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("task: multiclass\ntarget: {column: y, labels: [a, b]}",
         "target.labels: a multiclass target needs at least 3 labels"),
        ("task: multiclass\ntarget: {column: y, labels: [a, b, a]}",
         "target.labels: 'a' is listed twice"),
        ("task: multiclass\ntarget: {column: y}", "target.labels: required key is missing"),
        ("task: multiclass\ntarget: {column: y, labels: [a, b, c], positive: a}",
         "target.positive: only a binary target has a positive label"),
        ("task: regression\ntarget: {column: y, positive: 1, negative: 0}",
         "target.positive: only a binary target has a positive label"),
        ("task: regression\ntarget: {column: y, labels: [1, 2, 3]}",
         "target.labels: only a multiclass target lists labels"),
        ("target: {column: y, labels: [1, 2, 3]}",
         "target.labels: only a multiclass target lists labels"),
        ("task: ordinal\ntarget: {column: y}", "task: the text 'ordinal' is not one of"),
    ],
)  # fmt: skip
def test_a_task_and_target_that_disagree_are_refused_by_key(text, message):
    with pytest.raises(ContractError) as caught:
        parsed(f"{text}\n{FEATURES}")
    assert message in str(caught.value)


@pytest.mark.parametrize("task", TASKS)
def test_each_task_is_written_and_read_back_the_same(task):
    contract = Contract(
        target="y",
        positive=1 if task == "binary" else None,
        negative=0 if task == "binary" else None,
        features=(Feature("x", "numeric", False),),
        task=task,
        classes=("low", "mid", "high") if task == "multiclass" else (),
    )
    text = data_contract.dump(contract)
    assert data_contract.from_dict(yaml.safe_load(text)) == contract
    assert ("task:" in text) is (task != "binary")  # a binary contract reads as before


def test_the_schema_names_the_tasks():
    schema = data_contract.json_schema()
    assert schema["properties"]["task"]["enum"] == list(TASKS)
    assert schema["properties"]["task"]["default"] == "binary"
