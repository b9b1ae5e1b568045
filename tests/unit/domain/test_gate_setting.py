"""GATE: one quality gate for every task, `<metric><direction><threshold>`."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.domain.gate import (
    METRICS,
    Gate,
    GateError,
    QualityGateError,
    check_gate_value,
    gate_for,
    parse_gate,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("roc_auc>=0.8", Gate("roc_auc", ">=", 0.8)),
        ("macro_roc_auc >= 0.85", Gate("macro_roc_auc", ">=", 0.85)),
        ("rmse<=12.5", Gate("rmse", "<=", 12.5)),
        (" r2>=0.6 ", Gate("r2", ">=", 0.6)),
        ("mae<=1e3", Gate("mae", "<=", 1000.0)),
    ],
)
def test_a_gate_is_read_as_metric_direction_threshold(text, expected):
    assert parse_gate(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("auc>=0.8", "unknown metric 'auc'; did you mean 'roc_auc'?"),
        ("rmse 12.5", "no direction"),
        ("rmse<=", "threshold"),
        ("rmse<=twelve", "threshold"),
        ("rmse>=12.5", "rmse: lower is better; write rmse<=12.5"),
        ("r2<=0.6", "r2: higher is better; write r2>=0.6"),
        ("roc_auc>=nan", "threshold"),
    ],
)
def test_a_gate_that_cannot_be_read_is_refused_by_name(text, message):
    with pytest.raises(GateError) as caught:
        parse_gate(text)
    assert message in str(caught.value) and repr(text.strip()) in str(caught.value)


@pytest.mark.parametrize(
    ("text", "task", "message"),
    [
        ("rmse<=12.5", "binary", "rmse is a regression metric; the contract's task is binary"),
        ("roc_auc>=0.8", "regression", "roc_auc is a binary metric"),
        ("macro_roc_auc>=0.8", "binary", "macro_roc_auc is a multiclass metric"),
        ("roc_auc>=0.8", "multiclass", "use macro_roc_auc"),
    ],
)
def test_a_gate_for_another_task_is_refused(text, task, message):
    with pytest.raises(GateError, match=message):
        gate_for(text, 0.9, task)


def test_without_gate_min_auc_gates_classification_and_the_default_gates_regression():
    assert gate_for("", 0.9, "binary") == Gate("roc_auc", ">=", 0.9, "min_auc")
    assert gate_for("", 0.9, "multiclass") == Gate("macro_roc_auc", ">=", 0.9, "min_auc")
    assert gate_for("", 0.9, "regression").metric == "r2"
    assert gate_for("", 0.9, "regression", "rmse<=3") == Gate("rmse", "<=", 3.0, "default")


values = st.floats(0, 100, allow_nan=False)


@given(st.sampled_from(sorted(METRICS)), values, values)
def test_a_gate_passes_exactly_on_its_side_and_says_metric_numbers_and_direction(
    metric, value, threshold
):
    direction = ">=" if METRICS[metric].higher_is_better else "<="
    gate = Gate(metric, direction, threshold)
    if (value >= threshold) if direction == ">=" else (value <= threshold):
        check_gate_value(value, gate)
        return
    with pytest.raises(QualityGateError) as caught:
        check_gate_value(value, gate)
    message = str(caught.value)
    assert metric in message and f"{value:.4f}" in message and f"{threshold:.4f}" in message
    assert ("higher is better" if direction == ">=" else "lower is better") in message


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_nan_never_passes(metric):
    direction = ">=" if METRICS[metric].higher_is_better else "<="
    with pytest.raises(QualityGateError):
        check_gate_value(math.nan, Gate(metric, direction, 0.5))
