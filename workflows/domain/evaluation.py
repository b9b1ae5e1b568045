"""Score a model on held-out rows, as its task asks.

binary: ROC AUC for the positive label, the ROC curve, the confusion matrix and
the class balance. multiclass: macro one-vs-rest ROC AUC, log loss, accuracy,
recall and support per class, the confusion matrix and one ROC curve per class.
regression: RMSE, MAE, R² and the same errors for predicting the mean of the
held-out target (the baseline a useful model beats), the predictions themselves
for the plots.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class MulticlassEvaluation:
    macro_roc_auc: float  # one-vs-rest, each class weighted equally
    log_loss: float
    accuracy: float
    labels: tuple[str, ...]  # the contract's labels, as text, in its order
    recall: tuple[float, ...]  # per label
    support: tuple[int, ...]  # held-out rows per label
    confusion: list[list[int]]  # rows: actual label, columns: predicted label
    curves: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)  # fpr, tpr
    rows: int = 0

    @property
    def roc_auc(self) -> float:
        return self.macro_roc_auc

    def metrics(self) -> dict[str, float]:
        from workflows.domain.model import probability_columns

        names = [c.removeprefix("probability_") for c in probability_columns(self.labels)]
        return {
            "macro_roc_auc": self.macro_roc_auc,
            "log_loss": self.log_loss,
            "accuracy": self.accuracy,
            "test_rows": self.rows,
            **{f"recall_{n}": r for n, r in zip(names, self.recall, strict=True)},
            **{f"support_{n}": s for n, s in zip(names, self.support, strict=True)},
        }


@dataclass(frozen=True)
class RegressionEvaluation:
    rmse: float
    mae: float
    r2: float
    baseline_rmse: float  # predicting the held-out mean for every row
    baseline_mae: float
    actual: list[float]
    predicted: list[float]

    @property
    def roc_auc(self) -> float:
        return float("nan")

    @property
    def rows(self) -> int:
        return len(self.actual)

    def metrics(self) -> dict[str, float]:
        return {
            "rmse": self.rmse,
            "mae": self.mae,
            "r2": self.r2,
            "baseline_rmse": self.baseline_rmse,
            "baseline_mae": self.baseline_mae,
            "test_rows": self.rows,
        }


def evaluate(model, test: pd.DataFrame, contract: Contract):
    """The evaluation of `model` on `test` for the contract's task: Evaluation,
    MulticlassEvaluation or RegressionEvaluation."""
    if contract.task == "multiclass":
        return _multiclass(model, test, contract)
    if contract.task == "regression":
        return _regression(model, test, contract)
    return _binary(model, test, contract)


def _multiclass(model, test: pd.DataFrame, contract: Contract) -> MulticlassEvaluation:
    import numpy as np
    from sklearn.metrics import confusion_matrix, log_loss, roc_auc_score, roc_curve

    from workflows.domain.schema import is_label

    features, target = features_and_target(test, contract)
    classes = list(model.classes_)
    probability = model.predict_proba(features)
    # The contract's label for each row (1 and 1.0 are one label, "1" is not).
    order = list(contract.classes)
    actual = np.array(
        [next(i for i, x in enumerate(order) if is_label(v, x)) for v in target], dtype=int
    )
    columns = [classes.index(x) for x in order]
    probability = probability[:, columns]
    predicted = probability.argmax(axis=1)
    curves = {}
    for i, label in enumerate(order):
        fpr, tpr, _ = roc_curve(actual == i, probability[:, i])
        curves[str(label)] = ([float(x) for x in fpr], [float(x) for x in tpr])
    support = np.bincount(actual, minlength=len(order))
    hits = np.bincount(actual[predicted == actual], minlength=len(order))
    indices = list(range(len(order)))
    return MulticlassEvaluation(
        macro_roc_auc=float(
            roc_auc_score(actual, probability, multi_class="ovr", average="macro", labels=indices)
        ),
        log_loss=float(log_loss(actual, probability, labels=indices)),
        accuracy=float((predicted == actual).mean()),
        labels=tuple(str(x) for x in order),
        recall=tuple(
            float(h / n) if n else float("nan") for h, n in zip(hits, support, strict=True)
        ),
        support=tuple(int(n) for n in support),
        confusion=confusion_matrix(actual, predicted, labels=indices).tolist(),
        curves=curves,
        rows=len(test),
    )


def _regression(model, test: pd.DataFrame, contract: Contract) -> RegressionEvaluation:
    import numpy as np

    features, target = features_and_target(test, contract)
    actual = target.to_numpy(dtype=float)
    predicted = np.asarray(model.predict_values(features), dtype=float)
    error = predicted - actual
    baseline = actual - actual.mean()
    total = float((baseline**2).sum())
    return RegressionEvaluation(
        rmse=float(np.sqrt((error**2).mean())),
        mae=float(np.abs(error).mean()),
        r2=float(1 - (error**2).sum() / total) if total else float("nan"),
        baseline_rmse=float(np.sqrt((baseline**2).mean())),
        baseline_mae=float(np.abs(baseline).mean()),
        actual=[float(x) for x in actual],
        predicted=[float(x) for x in predicted],
    )


def _binary(model: LabelledClassifier, test: pd.DataFrame, contract: Contract) -> Evaluation:
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
