"""Which requests `make serve` may answer together, and the Batcher's queueing.

tests/integration/test_serving.py holds merged answers against lone ones on a
real model through MLflow's scoring code; here the scoring is a stand-in that
answers the way MLflow does for this project's models: one prediction per row.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.serving.batching import Batcher, answer_together, merge_key

JSON = "application/json"


def _split(columns: list, data: list) -> dict:
    return {"dataframe_split": {"columns": columns, "data": data}}


def test_the_same_columns_and_kinds_of_value_share_a_key():
    one = merge_key(JSON, _split(["a", "b"], [[1.5, "x"]]))
    other = merge_key(JSON, _split(["a", "b"], [[2.5, "y"], [0.5, "z"]]))
    assert one is not None and one == other


@pytest.mark.parametrize(
    "other",
    [
        _split(["a", "b"], [[1, "x"]]),  # an int where the other has a float: another dtype
        _split(["a", "b"], [[None, "x"]]),  # null: float64 alone, object beside text
        _split(["b", "a"], [["x", 1.5]]),  # another column order
        _split(["a", "b"], [[True, "x"]]),
        _split(["a", "b"], [[2**64, "x"]]),  # past int64: pandas makes it uint64 or object
    ],
)
def test_another_kind_of_value_or_column_order_gets_another_key(other):
    assert merge_key(JSON, other) != merge_key(JSON, _split(["a", "b"], [[1.5, "x"]]))


@pytest.mark.parametrize(
    ("content_type", "document"),
    [
        ("text/csv", _split(["a"], [[1.0]])),
        ("application/json; charset=latin-1", _split(["a"], [[1.0]])),
        (JSON, {"dataframe_records": [{"a": 1.0}]}),
        (JSON, {**_split(["a"], [[1.0]]), "params": {"k": 1}}),
        (JSON, _split(["a"], [])),
        (JSON, _split(["a"], [[1.0, 2.0]])),  # a row longer than the columns
        (JSON, _split(["a", "a"], [[1.0, 2.0]])),
        (JSON, _split(["a"], [[[1.0]]])),  # a list in a cell
        (JSON, [1, 2]),
        (JSON, None),  # the body was not JSON
    ],
)
def test_anything_but_a_plain_dataframe_split_is_answered_alone(content_type, document):
    assert merge_key(content_type, document) is None


def _one_prediction_per_row(calls: list[bytes]):
    def score(model, body, content_type):
        calls.append(body)
        rows = json.loads(body)["dataframe_split"]["data"]
        return 200, {"predictions": [{"first": row[0]} for row in rows], "model_version": model}

    return score


@given(st.lists(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=4), min_size=1, max_size=6))
def test_each_request_gets_its_own_rows_back_in_order(requests_rows):
    calls: list[bytes] = []
    bodies = [json.dumps(_split(["a"], [[v] for v in rows])).encode() for rows in requests_rows]
    answers = answer_together(_one_prediction_per_row(calls), [("7", b, JSON) for b in bodies])
    assert answers == [
        (200, {"predictions": [{"first": v} for v in rows], "model_version": "7"})
        for rows in requests_rows
    ]
    assert len(calls) == 1  # one shape: one call


def test_versions_are_never_merged():
    calls: list[bytes] = []
    body = json.dumps(_split(["a"], [[1.0]])).encode()
    answers = answer_together(
        _one_prediction_per_row(calls), [("1", body, JSON), ("2", body, JSON)]
    )
    assert [a["model_version"] for _, a in answers] == ["1", "2"]
    assert len(calls) == 2


def test_requests_queued_while_the_model_is_busy_are_answered_in_one_call():
    calls: list[bytes] = []
    busy, release = threading.Event(), threading.Event()
    answer = _one_prediction_per_row(calls)

    def slow_first(model, body, content_type):
        if not calls:
            busy.set()
            release.wait(10)
        return answer(model, body, content_type)

    batcher = Batcher(slow_first)
    results: dict[int, tuple[int, dict]] = {}

    def client(value: int) -> None:
        body = json.dumps(_split(["a"], [[float(value)]])).encode()
        results[value] = batcher.submit("1", body, JSON)

    threads = [threading.Thread(target=client, args=(0,))]
    threads[0].start()
    assert busy.wait(10)
    threads += [threading.Thread(target=client, args=(v,)) for v in (1, 2, 3)]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 10
    while batcher._queue.qsize() < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(10)
    batcher.stop()
    assert len(calls) == 2  # the first alone, the three that waited together
    assert {v: r[1]["predictions"] for v, r in results.items()} == {
        v: [{"first": float(v)}] for v in range(4)
    }


def test_an_error_raised_for_one_request_reaches_only_that_request():
    def score(model, body, content_type):
        if body == b"boom":
            raise RuntimeError("boom")
        return 200, {"predictions": []}

    batcher = Batcher(score)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            batcher.submit("1", b"boom", JSON)
        assert batcher.submit("1", b"fine", JSON) == (200, {"predictions": []})
    finally:
        batcher.stop()


def _submit_later(batcher: Batcher, value: float, delay: float, results: dict) -> threading.Thread:
    def client() -> None:
        time.sleep(delay)
        body = json.dumps(_split(["a"], [[value]])).encode()
        results[value] = batcher.submit("1", body, JSON)

    thread = threading.Thread(target=client)
    thread.start()
    return thread


def test_with_two_open_connections_the_first_request_waits_briefly_for_the_second():
    calls: list[bytes] = []
    batcher = Batcher(_one_prediction_per_row(calls), senders=lambda: 2, max_wait=5.0)
    results: dict[float, tuple[int, dict]] = {}
    threads = [_submit_later(batcher, 1.0, 0, results), _submit_later(batcher, 2.0, 0.2, results)]
    for thread in threads:
        thread.join(10)
    batcher.stop()
    assert len(calls) == 1
    assert {v: r[1]["predictions"] for v, r in results.items()} == {
        1.0: [{"first": 1.0}],
        2.0: [{"first": 2.0}],
    }


def test_a_lone_connection_never_waits():
    calls: list[bytes] = []
    batcher = Batcher(_one_prediction_per_row(calls), senders=lambda: 1, max_wait=5.0)
    started = time.monotonic()
    body = json.dumps(_split(["a"], [[1.0]])).encode()
    assert batcher.submit("1", body, JSON)[0] == 200
    assert time.monotonic() - started < 2.5  # not the 5 s a wait would take
    batcher.stop()
