"""The object a registered model version holds: a fitted scikit-learn Pipeline
that answers with the label and the probability of the positive label.

This module travels with every logged model (MLflow `code_paths`), so a
scoring server loads it without the project installed: keep it free of
imports beyond scikit-learn's stack.
"""

from __future__ import annotations

import contextlib

LABEL = "label"
PROBABILITY = "probability"  # of the contract's positive label, in [0, 1]
# Below this many rows, OpenMP's worker threads cost more than they save: on
# 2 busy cores a 525-row fit took 0.9-4 s with them and 0.1 s without.
PARALLEL_FROM_ROWS = 20_000


class LabelledClassifier:
    """`predict(rows)` -> DataFrame[label, probability], one row per input row.

    pipeline: a fitted scikit-learn classifier Pipeline taking raw rows (the
        contract's feature columns, text categories and missing values included).
    positive: the contract's positive label; `probability` is P(label == positive).
    """

    def __init__(self, pipeline, positive):
        self.pipeline = pipeline
        self.positive = positive

    def fit(self, rows, labels):
        with threads_for(rows):
            self.pipeline.fit(missing_as_nan(rows), labels)
        return self

    @property
    def classes_(self):
        return self.pipeline.classes_

    def predict_proba(self, rows):
        with threads_for(rows):
            return self.pipeline.predict_proba(missing_as_nan(rows))

    def positive_probability(self, rows):
        """P(positive) for each row, shape (n_rows,)."""
        column = list(self.pipeline.classes_).index(self.positive)
        return self.predict_proba(rows)[:, column]

    def predict(self, rows):
        import pandas as pd

        probability = self.predict_proba(rows)
        labels = self.pipeline.classes_[probability.argmax(axis=1)]
        column = list(self.pipeline.classes_).index(self.positive)
        return pd.DataFrame({LABEL: labels, PROBABILITY: probability[:, column]})


def missing_as_nan(rows):
    """One marker for a missing value: scikit-learn's encoders take None for a
    category of its own, and NaN for missing."""
    import numpy as np

    return rows.where(rows.notna(), np.nan) if rows.isna().any(axis=None) else rows


def threads_for(rows):
    """One thread for small inputs, all of them for large ones."""
    if len(rows) >= PARALLEL_FROM_ROWS:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)
