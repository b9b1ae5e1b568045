"""Champion/challenger: may a new model take the alias from the one it replaces?

Both are scored on the same held-out rows (the challenger's test split), on the
quality gate's metric. The challenger wins when it is no worse than the
champion by more than `min_delta`, in the metric's own direction (higher ROC
AUC or R², lower RMSE...).
A champion trained on another contract cannot be scored on these rows: then
only the quality gate applies. Pure: no Flyte, no MLflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workflows.domain.contract import Contract
from workflows.domain.gate import METRICS, Gate


def check_min_delta(min_delta: float) -> float:
    if not 0.0 <= min_delta < 1.0:  # `not` also refuses NaN
        raise ValueError(f"min_delta must be in [0, 1), got {min_delta}")
    return min_delta


ROC_AUC_GATE = Gate("roc_auc", ">=", 0.5)


def wins(
    challenger_auc: float, champion_auc: float, min_delta: float, gate: Gate = ROC_AUC_GATE
) -> bool:
    """For a higher-is-better metric: exactly when challenger >= champion - min_delta;
    lower-is-better: challenger <= champion + min_delta. NaN never wins; a NaN
    champion cannot be scored on these rows: nothing to beat."""
    check_min_delta(min_delta)
    if math.isnan(challenger_auc):
        return False
    return gate.at_least_as_good(challenger_auc, champion_auc, min_delta)


def comparable(champion: Contract, challenger: Contract) -> bool:
    """Same target, labels and features (kinds included): the champion can score
    the challenger's rows. Ignored columns and the default source may differ."""

    def shape(contract: Contract):
        return (contract.target, contract.task, contract.labels, contract.features)

    return shape(champion) == shape(challenger)


@dataclass(frozen=True)
class Verdict:
    """The outcome, as the run records it and `make run` prints it."""

    promote: bool
    challenger_auc: float
    champion_version: str = ""  # "" = no champion yet
    champion_auc: float = float("nan")  # NaN when there is none or it cannot be scored
    min_delta: float = 0.0
    reason: str = ""
    metric: str = "roc_auc"  # the gate's metric both were compared on


def decide(
    challenger_auc: float,
    min_delta: float,
    champion_version: str = "",
    champion_auc: float | None = None,
    why_not_compared: str = "",
    gate: Gate = ROC_AUC_GATE,
) -> Verdict:
    """The verdict with its reason; `champion_auc` None = not compared (say why).
    The values are of the gate's metric (named `_auc` for the binary default)."""
    metric = gate.metric
    if not champion_version:
        return Verdict(
            True, challenger_auc, reason="no champion yet: the quality gate decides", metric=metric
        )
    if champion_auc is None:
        return Verdict(
            True, challenger_auc, champion_version, min_delta=min_delta,
            reason=f"champion v{champion_version} not compared ({why_not_compared}): "
            "the quality gate alone decides", metric=metric,
        )  # fmt: skip
    won = wins(challenger_auc, champion_auc, min_delta, gate)
    verb = "beats or matches" if won else "loses to"
    better = "higher" if METRICS[metric].higher_is_better else "lower"
    direction = "" if metric == "roc_auc" else f", {better} is better"
    reason = (
        f"challenger {METRICS[metric].title} {challenger_auc:.4f} {verb} champion "
        f"v{champion_version} {champion_auc:.4f} (min_delta {min_delta:g}{direction}) on the "
        "same held-out rows"
    )
    return Verdict(won, challenger_auc, champion_version, champion_auc, min_delta, reason, metric)
