"""The quality gate: a model below `min_auc` is never registered."""

from __future__ import annotations

from workflows.domain.errors import PipelineError


class QualityGateError(PipelineError):
    """The model's AUC is below the bar; nothing is registered."""

    def __init__(self, auc: float, min_auc: float):
        self.auc = auc
        self.min_auc = min_auc
        super().__init__(
            f"quality gate failed: ROC AUC {auc:.4f} is below min_auc {min_auc:.4f}; "
            "no model version was registered and no alias moved"
        )


def check_min_auc(min_auc: float) -> float:
    if not 0.0 < min_auc <= 1.0:
        raise ValueError(f"min_auc must be in (0, 1], got {min_auc}")
    return min_auc


def check_gate(auc: float, min_auc: float) -> None:
    """Pass exactly when auc >= min_auc."""
    check_min_auc(min_auc)
    if not auc >= min_auc:  # `not >=` also stops a NaN AUC
        raise QualityGateError(auc, min_auc)
