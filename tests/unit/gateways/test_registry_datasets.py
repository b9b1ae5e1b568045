"""The MLflow datasets that record which table made and met a model (lineage)."""

from __future__ import annotations

import warnings

import pandas as pd

from workflows.gateways.registry import _dataset


def test_a_table_with_integer_columns_is_described_without_mlflows_integer_hint():
    frame = pd.DataFrame({"age": [31, 45, 52], "plan": ["a", "b", "a"], "churn": [0, 1, 0]})
    dataset = _dataset(frame, "exports/customers.csv", "training", target="churn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning fails the test
        schema = dataset.schema
    assert schema.input_names() == ["age", "plan", "churn"]
    assert dataset.profile == {"num_rows": 3, "num_elements": 9}
    assert len(dataset.digest) == 8


def test_the_digest_follows_the_rows_not_the_object():
    frame = pd.DataFrame({"x": [1.5, 2.5], "y": ["p", "q"]})
    same = _dataset(frame.copy(), "t.csv", "training").digest
    assert _dataset(frame, "t.csv", "training").digest == same
    changed = frame.assign(x=[1.5, 2.6])
    assert _dataset(changed, "t.csv", "training").digest != same
