"""The target is checked as its task needs: every multiclass label with enough
rows (the rare ones named), a regression target numeric, finite and varying."""

import math

import pandas as pd
import pytest

from workflows.domain.contract import Contract, Feature
from workflows.domain.schema import DataValidationError, validate

ROWS = 60
FEATURES = (Feature("x", "numeric", False),)


def contract(task: str, classes=()) -> Contract:
    return Contract("y", None, None, FEATURES, task=task, classes=tuple(classes))


def problems(frame: pd.DataFrame, contract: Contract) -> str:
    with pytest.raises(DataValidationError) as caught:
        validate(frame, contract)
    assert "'y'" in str(caught.value).splitlines()[0]
    return str(caught.value)


def table(target) -> pd.DataFrame:
    return pd.DataFrame({"x": [float(i) for i in range(len(target))], "y": target})


def test_a_valid_multiclass_and_regression_table_pass():
    labels = ["a"] * 30 + ["b"] * 15 + ["c"] * 15
    assert validate(table(labels), contract("multiclass", "abc")) is not None
    assert validate(table([i * 0.5 for i in range(ROWS)]), contract("regression")) is not None


def test_a_rare_class_is_named_with_its_count():
    labels = ["a"] * 45 + ["b"] * 12 + ["c"] * 3
    message = problems(table(labels), contract("multiclass", "abc"))
    assert "'c': 3" in message and "'b'" not in message.split("found")[1]


def test_a_label_outside_the_contract_is_named():
    labels = ["a"] * 20 + ["b"] * 20 + ["c"] * 15 + ["d"] * 5
    message = problems(table(labels), contract("multiclass", "abc"))
    assert "values other than the contract's labels 'a', 'b', 'c'" in message and "'d'" in message


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([1.0] * (ROWS - 2) + [None, None], "2 missing value(s)"),
        ([1.0 + i for i in range(ROWS - 1)] + [math.inf], "1 infinite value(s), e.g. inf"),
        ([str(i) for i in range(ROWS - 1)] + ["lots"], "not numbers, e.g. 'lots'"),
        ([7.5] * ROWS, "constant: every value is 7.5"),
    ],
)
def test_a_regression_target_that_is_not_a_usable_number_is_refused(values, expected):
    assert expected in problems(table(values), contract("regression"))


def test_a_label_absent_from_one_side_of_the_split_is_named():
    from workflows.domain.schema import check_split

    three = contract("multiclass", "abc")
    train = table(["a"] * 20 + ["b"] * 20 + ["c"] * 12)
    test = table(["a"] * 5 + ["b"] * 5)
    held_out = r"no row in the held-out split: 'c' \(12 training"
    with pytest.raises(DataValidationError, match=held_out):
        check_split(train, test, three)
    with pytest.raises(DataValidationError, match=r"no row in the training split: 'c'"):
        check_split(test, train, three)
    check_split(train, train, three)  # every label on both sides
