"""The quality gate: a model that misses it is never registered.

One gate for every task, written as `<metric><direction><threshold>` (the GATE
setting): `roc_auc>=0.8`, `macro_roc_auc>=0.85`, `rmse<=12.5`, `r2>=0.6`.
Without GATE, classification is gated by MIN_AUC on ROC AUC (binary) or macro
one-vs-rest ROC AUC (multiclass), regression by the project's default gate.
Pure: no Flyte, no MLflow.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass

from workflows.domain.errors import PipelineError

# R² at or above this: the model explains at least half the target's variance
# on held-out rows (a model predicting the mean scores 0).
DEFAULT_REGRESSION_GATE = "r2>=0.5"


@dataclass(frozen=True)
class Metric:
    tasks: tuple[str, ...]  # the tasks whose evaluation reports it
    higher_is_better: bool
    title: str  # as a person reads it


METRICS = {
    "roc_auc": Metric(("binary",), True, "ROC AUC"),
    "macro_roc_auc": Metric(("multiclass",), True, "macro ROC AUC"),
    "accuracy": Metric(("binary", "multiclass"), True, "accuracy"),
    "log_loss": Metric(("multiclass",), False, "log loss"),
    "rmse": Metric(("regression",), False, "RMSE"),
    "mae": Metric(("regression",), False, "MAE"),
    "r2": Metric(("regression",), True, "R²"),
}
_GATE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=)\s*(\S*)\s*$")


class GateError(PipelineError, ValueError):
    """GATE cannot be read, or does not fit the contract's task; the message says why."""


class QualityGateError(PipelineError):
    """The model misses the gate; nothing is registered."""

    def __init__(self, value: float, gate: Gate):
        self.value = value
        self.gate = gate
        # The MIN_AUC names, kept for what reads them.
        self.auc, self.min_auc = value, gate.threshold
        metric = METRICS[gate.metric]
        side = "below" if metric.higher_is_better else "above"
        better = "higher" if metric.higher_is_better else "lower"
        bar = "min_auc" if gate.source == "min_auc" else "the threshold"
        super().__init__(
            f"quality gate failed: {metric.title} {value:.4f} is {side} {bar} "
            f"{gate.threshold:.4f} (gate {gate}, {better} is better); "
            "no model version was registered and no alias moved"
        )


@dataclass(frozen=True)
class Gate:
    metric: str  # a key of METRICS
    direction: str  # ">=" (higher is better) or "<=" (lower is better)
    threshold: float
    source: str = "GATE"  # where it came from: "GATE", "min_auc" or "default"

    def __str__(self) -> str:
        return f"{self.metric}{self.direction}{self.threshold:g}"

    def passes(self, value: float) -> bool:
        """On the gate's side of the threshold, the threshold included; NaN never."""
        if math.isnan(value):
            return False
        return value >= self.threshold if self.direction == ">=" else value <= self.threshold

    def at_least_as_good(self, challenger: float, champion: float, delta: float) -> bool:
        """The challenger is no worse than the champion by more than `delta`, in the
        metric's own direction (NaN never wins; a NaN champion is nothing to beat)."""
        if math.isnan(challenger):
            return False
        if math.isnan(champion):
            return True
        if self.direction == ">=":
            return challenger >= champion - delta
        return challenger <= champion + delta


def parse_gate(text: str, source: str = "GATE") -> Gate:
    """`<metric><direction><threshold>`, e.g. "rmse<=12.5"; GateError names what is
    wrong: an unknown metric, no direction, no number, or the wrong direction."""
    shown = repr(text.strip())
    found = _GATE.match(text)
    if not found:
        name = re.match(r"\s*([A-Za-z0-9_]*)", text).group(1)
        if name and name not in METRICS:
            raise GateError(f"GATE={shown}: {_unknown(name)}")
        raise GateError(
            f"GATE={shown}: no direction; write <metric>>=<number> or <metric><=<number>, "
            "e.g. roc_auc>=0.8 or rmse<=12.5"
        )
    name, direction, number = found.groups()
    if name not in METRICS:
        raise GateError(f"GATE={shown}: {_unknown(name)}")
    try:
        threshold = float(number)
    except ValueError:
        threshold = math.nan
    if not math.isfinite(threshold):
        raise GateError(f"GATE={shown}: the threshold must be a number, got {number!r}")
    higher = METRICS[name].higher_is_better
    if (direction == ">=") != higher:
        right = ">=" if higher else "<="
        raise GateError(
            f"GATE={shown}: {name}: {'higher' if higher else 'lower'} is better; write "
            f"{name}{right}{number}"
        )
    return Gate(name, direction, threshold, source)


def _unknown(name: str) -> str:
    close = difflib.get_close_matches(name, list(METRICS), n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"metrics: {', '.join(METRICS)}"
    return f"unknown metric {name!r}; {hint}"


def gate_for(text: str, min_auc: float, task: str, default: str = "") -> Gate:
    """The gate a run of `task` applies: GATE (`text`) when set, else MIN_AUC on
    the task's ROC AUC (classification) or `default` / DEFAULT_REGRESSION_GATE
    (regression). GateError when the gate's metric is not the task's."""
    if text.strip():
        gate = parse_gate(text)
    elif task == "regression":
        gate = parse_gate(default or DEFAULT_REGRESSION_GATE, "default")
    elif default.strip() and METRICS[parse_gate(default).metric].tasks.count(task):
        gate = parse_gate(default, "default")
    else:
        metric = "roc_auc" if task == "binary" else "macro_roc_auc"
        gate = Gate(metric, ">=", check_min_auc(min_auc), "min_auc")
    if task not in METRICS[gate.metric].tasks:
        kinds = "/".join(METRICS[gate.metric].tasks)
        ours = [name for name, m in METRICS.items() if task in m.tasks]
        raise GateError(
            f"GATE={str(gate)!r}: {gate.metric} is a {kinds} metric; the contract's task is "
            f"{task}: use {' or '.join(ours)}"
        )
    return gate


def check_min_auc(min_auc: float) -> float:
    if not 0.0 < min_auc <= 1.0:
        raise ValueError(f"min_auc must be in (0, 1], got {min_auc}")
    return min_auc


def check_gate_value(value: float, gate: Gate) -> None:
    """Pass exactly when `value` is on the gate's side of its threshold."""
    if not gate.passes(value):
        raise QualityGateError(value, gate)


def check_gate(auc: float, min_auc: float) -> None:
    """Pass exactly when auc >= min_auc (the binary gate from MIN_AUC)."""
    check_gate_value(auc, Gate("roc_auc", ">=", check_min_auc(min_auc), "min_auc"))
