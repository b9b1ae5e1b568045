"""Champion/challenger: may a new model take the alias from the one it replaces?

Both are scored on the same held-out rows (the challenger's test split). The
challenger wins when its ROC AUC is at least the champion's minus `min_delta`.
A champion trained on another contract cannot be scored on these rows: then
only the quality gate applies. Pure: no Flyte, no MLflow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from workflows.domain.contract import Contract


def check_min_delta(min_delta: float) -> float:
    if not 0.0 <= min_delta < 1.0:  # `not` also refuses NaN
        raise ValueError(f"min_delta must be in [0, 1), got {min_delta}")
    return min_delta


def wins(challenger_auc: float, champion_auc: float, min_delta: float) -> bool:
    """True exactly when challenger_auc >= champion_auc - min_delta (NaN never wins)."""
    check_min_delta(min_delta)
    if math.isnan(challenger_auc):
        return False
    if math.isnan(champion_auc):
        return True  # the champion cannot be scored on these rows: nothing to beat
    return challenger_auc >= champion_auc - min_delta


def comparable(champion: Contract, challenger: Contract) -> bool:
    """Same target, labels and features (kinds included): the champion can score
    the challenger's rows. Ignored columns and the default source may differ."""

    def shape(contract: Contract):
        return (contract.target, contract.labels, contract.features)

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


def decide(
    challenger_auc: float,
    min_delta: float,
    champion_version: str = "",
    champion_auc: float | None = None,
    why_not_compared: str = "",
) -> Verdict:
    """The verdict with its reason; `champion_auc` None = not compared (say why)."""
    if not champion_version:
        return Verdict(True, challenger_auc, reason="no champion yet: the quality gate decides")
    if champion_auc is None:
        return Verdict(
            True, challenger_auc, champion_version, min_delta=min_delta,
            reason=f"champion v{champion_version} not compared ({why_not_compared}): "
            "the quality gate alone decides",
        )  # fmt: skip
    won = wins(challenger_auc, champion_auc, min_delta)
    verb = "beats or matches" if won else "loses to"
    reason = (
        f"challenger ROC AUC {challenger_auc:.4f} {verb} champion v{champion_version} "
        f"{champion_auc:.4f} (min_delta {min_delta:g}) on the same held-out rows"
    )
    return Verdict(won, challenger_auc, champion_version, champion_auc, min_delta, reason)
