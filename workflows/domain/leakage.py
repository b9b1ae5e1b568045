"""Duplicates and single-feature leaks: what flatters a held-out score. Pure.

A table drawn from few distinct rows, or a feature that alone separates the
target almost perfectly (an outcome recorded after the fact, an ID sorted by
label), gives a high ROC AUC that says nothing about new data. Neither is
refused (both can be genuine); both are named in the run's output and in MLflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from workflows.domain.contract import Contract

# One feature alone reaching this ROC AUC on held-out rows is named as a possible leak.
LEAK_AUC = 0.99


@dataclass(frozen=True)
class Leak:
    feature: str
    roc_auc: float  # of the feature alone, on the held-out rows, in [0.5, 1]


def single_feature_auc(
    train: pd.Series, train_truth, test: pd.Series, test_truth, kind: str
) -> float:
    """ROC AUC of one feature alone on the test rows, in [0.5, 1] (either direction).

    train/test: the feature's values; *_truth: booleans, True for the positive
    label. A number (a date: its time) is its own score; a category scores as
    its share of positives in train (unseen or missing: the overall share).
    """
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    if len(set(test_truth)) < 2:
        return 0.5
    if kind in ("numeric", "datetime"):
        values = test
        if kind == "datetime":
            values = pd.to_datetime(test, format="ISO8601", utc=True, errors="coerce")
            values = (values - pd.Timestamp("1970-01-01", tz="UTC")).dt.total_seconds()
        score = pd.to_numeric(values, errors="coerce").astype(float)
        score = score.fillna(score.median() if score.notna().any() else 0.0).to_numpy()
    else:
        rates = pd.Series(train_truth).groupby(train.astype(str).to_numpy()).mean()
        overall = float(np.mean(train_truth))
        score = test.astype(str).map(rates).fillna(overall).to_numpy(dtype=float)
    auc = float(roc_auc_score(test_truth, score))
    return max(auc, 1.0 - auc)


def possible_leaks(
    train: pd.DataFrame, test: pd.DataFrame, contract: Contract, limit: float = LEAK_AUC
) -> list[Leak]:
    """The features that alone reach `limit` ROC AUC on `test`, best first
    (binary targets; multiclass and regression are not checked yet)."""
    from workflows.domain.schema import is_label

    if contract.task != "binary":
        return []

    def truth(frame: pd.DataFrame):
        labels = frame[contract.target]
        return labels.map(lambda v: is_label(v, contract.positive)).to_numpy(dtype=bool)

    train_truth, test_truth = truth(train), truth(test)
    found = [
        Leak(
            f.name, single_feature_auc(train[f.name], train_truth, test[f.name], test_truth, f.kind)
        )
        for f in contract.features
    ]
    return sorted((leak for leak in found if leak.roc_auc >= limit), key=lambda x: -x.roc_auc)
