"""One marker for a missing value per kind, for serving and scoring alike."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.contract import Contract, Feature
from workflows.domain.missing import is_missing, model_rows

CONTRACT = Contract(
    "y",
    "p",
    "n",
    (
        Feature("n", "numeric", True),
        Feature("c", "categorical", True),
        Feature("b", "boolean", True),
    ),
    ignore={"id": ""},
)
MISSING = st.sampled_from([None, math.nan, pd.NA, pd.NaT, np.nan])


@given(MISSING)
def test_every_kind_of_missing_is_missing(value):
    assert is_missing(value)


@given(st.one_of(st.just(False), st.just(0), st.just(""), st.text(), st.floats(allow_nan=False)))
def test_values_are_not_missing(value):
    assert not is_missing(value)


@given(st.lists(st.tuples(MISSING, MISSING, MISSING), min_size=1, max_size=5))
def test_a_missing_boolean_is_nan_never_false_and_columns_come_in_contract_order(rows):
    frame = pd.DataFrame(rows, columns=["b", "c", "n"])
    frame["id"] = "x"
    out = model_rows(frame, CONTRACT)
    assert list(out.columns) == ["n", "c", "b"]
    assert out["n"].dtype == "float64" and out.isna().all(axis=None)
    assert not (out["b"] == False).any()  # noqa: E712 - False is a value, not missing


def test_ints_become_floats_and_booleans_stay_booleans():
    frame = pd.DataFrame({"n": [3, 4], "c": ["a", None], "b": [np.bool_(True), None]})
    out = model_rows(frame, CONTRACT)
    assert out["n"].tolist() == [3.0, 4.0]
    assert out["b"][0] is True and math.isnan(out["b"][1])


NUMBERS = Contract(
    "y", "p", "n", (Feature("a", "numeric", True), Feature("b", "numeric", False)),
    ignore={"id": ""},
)  # fmt: skip


@given(
    st.lists(
        st.tuples(st.floats(allow_nan=True), st.integers(-(2**40), 2**40)), min_size=1, max_size=5
    ),
    st.permutations(["a", "b", "id"]),
)
def test_numbers_only_become_one_float_block_in_contract_order(rows, order):
    """A contract of numbers only takes the one-block path: the same values as
    floats, NaN where missing, the contract's order, extra columns left out."""
    frame = pd.DataFrame(rows, columns=["a", "b"]).assign(id="x")[order]
    out = model_rows(frame, NUMBERS)
    assert list(out.columns) == ["a", "b"]
    assert (out.dtypes == "float64").all()
    assert out.index.equals(frame.index)
    for name in ("a", "b"):
        expected = frame[name].astype("float64")
        assert out[name].isna().equals(expected.isna())
        assert (out[name].dropna() == expected.dropna()).all()
