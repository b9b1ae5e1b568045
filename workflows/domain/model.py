"""The object a registered model version holds: a fitted scikit-learn Pipeline
that answers with the label and the probability of the positive label.

This module travels with every logged model (MLflow `code_paths`), so a
scoring server loads it without the project installed: keep it free of
imports beyond scikit-learn's stack.
"""

from __future__ import annotations

import contextlib
import functools

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


def __getattr__(name: str):
    """`DateParts` is built on first use: importing this module (settings do,
    through the training code) must not import scikit-learn."""
    if name == "DateParts":
        globals()[name] = _date_parts()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _date_parts():
    from sklearn.base import BaseEstimator, TransformerMixin

    class DateParts(TransformerMixin, BaseEstimator):
        """Dates and date-times as numbers the trees can split on, inside the model,
        so serving and scoring send the raw value.

        In: columns of ISO 8601 text ("2024-03-01", "2024-03-01T08:30:00+01:00") or
        timestamps. Out: float array (n_rows, 6 * n_columns): per column, days since
        1970-01-01 (trend), year, month (1-12), day of the month, day of the week
        (0 = Monday) and hour of the day (fractional), all in UTC (a value without
        a zone is taken as UTC). Missing or unreadable values give NaN, which the
        estimators handle as missing.
        """

        PARTS = ("days", "year", "month", "day", "weekday", "hour")

        def fit(self, rows, labels=None):
            self.feature_names_in_ = list(rows.columns)
            self.n_features_in_ = len(self.feature_names_in_)
            return self

        def transform(self, rows):
            import numpy as np
            import pandas as pd

            out = np.empty((len(rows), len(self.PARTS) * rows.shape[1]), dtype=float)
            for index, name in enumerate(rows.columns):
                column = rows[name]
                if not pd.api.types.is_datetime64_any_dtype(column):
                    column = column.map(lambda v: v if isinstance(v, str) else None)
                when = pd.to_datetime(column, format="ISO8601", utc=True, errors="coerce")
                first = index * len(self.PARTS)
                out[:, first] = (
                    when - pd.Timestamp("1970-01-01", tz="UTC")
                ).dt.total_seconds() / 86400
                for offset, part in enumerate((when.dt.year, when.dt.month, when.dt.day,
                                               when.dt.weekday), start=1):  # fmt: skip
                    out[:, first + offset] = part.to_numpy(dtype=float, na_value=np.nan)
                hour = when.dt.hour + when.dt.minute / 60 + when.dt.second / 3600
                out[:, first + 5] = hour.to_numpy(dtype=float, na_value=np.nan)
            return out

        def get_feature_names_out(self, input_features=None):
            names = self.feature_names_in_ if input_features is None else input_features
            import numpy as np

            return np.asarray(
                [f"{name} {part}" for name in names for part in self.PARTS], dtype=object
            )

    DateParts.__qualname__ = "DateParts"  # as skops and pickle find it: model.DateParts
    return DateParts


def missing_as_nan(rows):
    """One marker for a missing value: scikit-learn's encoders take None for a
    category of its own, and NaN for missing."""
    import numpy as np

    return rows.where(rows.notna(), np.nan) if rows.isna().any(axis=None) else rows


def threads_for(rows):
    """One thread for small inputs, all of them for large ones."""
    if len(rows) >= PARALLEL_FROM_ROWS:
        return contextlib.nullcontext()
    return _thread_pools().limit(limits=1)


@functools.cache
def _thread_pools():
    """The process's thread pools, found once: `threadpool_limits` reads
    /proc/self/maps on every call, which cost a served 1-row request ~40 %
    of its time. Created at the first fit or predict, when the model's native
    libraries are already loaded."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()
