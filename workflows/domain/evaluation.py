"""Score a model on held-out rows: ROC AUC for the positive label, the ROC
curve, the confusion matrix and the class balance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.domain.training import features_and_target

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.contract import Contract
    from workflows.domain.model import LabelledClassifier

THRESHOLD = 0.5


@dataclass(frozen=True)
class Evaluation:
    roc_auc: float  # for the contract's positive label
    accuracy: float
    fpr: list[float]
    tpr: list[float]
    confusion: list[list[int]]  # [[tn, fp], [fn, tp]], positive label = 1
    rows: int
    positives: int  # rows of the held-out split with the positive label
    labels: tuple[str, str] = ("0", "1")  # (negative, positive), as the contract names them

    @property
    def positive_share(self) -> float:
        return self.positives / self.rows if self.rows else 0.0

    def metrics(self) -> dict[str, float]:
        return {
            "roc_auc": self.roc_auc,
            "accuracy": self.accuracy,
            "test_rows": self.rows,
            "test_positive_share": self.positive_share,
        }


def evaluate(model: LabelledClassifier, test: pd.DataFrame, contract: Contract) -> Evaluation:
    from sklearn.metrics import confusion_matrix, roc_auc_score, roc_curve

    from workflows.domain.schema import is_label

    features, target = features_and_target(test, contract)
    is_positive = target.map(lambda v: is_label(v, contract.positive)).astype(int).to_numpy()
    scores = model.positive_probability(features)
    predicted = (scores >= THRESHOLD).astype(int)
    fpr, tpr, _ = roc_curve(is_positive, scores)
    return Evaluation(
        roc_auc=float(roc_auc_score(is_positive, scores)),
        accuracy=float((predicted == is_positive).mean()),
        fpr=[float(x) for x in fpr],
        tpr=[float(x) for x in tpr],
        confusion=confusion_matrix(is_positive, predicted, labels=[0, 1]).tolist(),
        rows=len(test),
        positives=int(is_positive.sum()),
        labels=(str(contract.negative), str(contract.positive)),
    )
