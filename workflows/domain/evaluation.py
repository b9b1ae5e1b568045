"""Score a model on held-out rows: ROC AUC, ROC curve, confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.domain.training import features_and_target

if TYPE_CHECKING:
    import pandas as pd

THRESHOLD = 0.5


@dataclass(frozen=True)
class Evaluation:
    roc_auc: float
    accuracy: float
    fpr: list[float]
    tpr: list[float]
    confusion: list[list[int]]  # [[tn, fp], [fn, tp]]
    rows: int

    def metrics(self) -> dict[str, float]:
        return {"roc_auc": self.roc_auc, "accuracy": self.accuracy, "test_rows": self.rows}


def evaluate(model, test: pd.DataFrame) -> Evaluation:
    from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

    features, target = features_and_target(test)
    scores = model.predict_proba(features)[:, 1]
    predicted = (scores >= THRESHOLD).astype(int)
    fpr, tpr, _ = roc_curve(target, scores)
    return Evaluation(
        roc_auc=float(roc_auc_score(target, scores)),
        accuracy=float((predicted == target.to_numpy()).mean()),
        fpr=[float(x) for x in fpr],
        tpr=[float(x) for x in tpr],
        confusion=confusion_matrix(target, predicted, labels=[0, 1]).tolist(),
        rows=len(test),
    )
