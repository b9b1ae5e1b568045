"""threads_for: one thread for small inputs, the pools as they were afterwards."""

from __future__ import annotations

import pandas as pd
import sklearn.ensemble  # noqa: F401 - loads the OpenMP runtime the limit applies to
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
