"""threads_for: one thread for small inputs, the pools as they were afterwards;
probability_columns: a safe, distinct column for any label."""

from __future__ import annotations

import pandas as pd
import sklearn.ensemble  # noqa: F401 - loads the OpenMP runtime the limit applies to
from hypothesis import given
from hypothesis import strategies as st
from threadpoolctl import threadpool_info

from workflows.domain.model import PARALLEL_FROM_ROWS, threads_for


def _threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info()]


def test_small_inputs_run_on_one_thread_and_the_pools_are_restored():
    before = _threads()
    assert before  # there is a pool to limit
    for _ in range(2):  # the cached controller works more than once
        with threads_for(pd.DataFrame({"x": range(10)})):
            assert set(_threads()) == {1}
        assert _threads() == before


def test_large_inputs_keep_every_thread():
    before = _threads()
    with threads_for(pd.DataFrame({"x": range(PARALLEL_FROM_ROWS)})):
        assert _threads() == before


@given(st.lists(st.one_of(st.text(), st.integers(), st.booleans()), min_size=1, max_size=12))
def test_probability_columns_are_safe_and_distinct_for_any_labels(labels):
    import re

    from workflows.domain.model import probability_columns

    columns = probability_columns(labels)
    assert len(columns) == len(labels) == len(set(columns))
    assert all(re.fullmatch(r"probability_[0-9A-Za-z_]+", c) for c in columns)


def test_probability_columns_keep_readable_labels_as_they_are():
    from workflows.domain.model import probability_columns

    assert probability_columns(["Adelie", "Chinstrap", "a b", "a-b", 3]) == [
        "probability_Adelie", "probability_Chinstrap", "probability_a_b", "probability_a_b_2",
        "probability_3",
    ]  # fmt: skip
