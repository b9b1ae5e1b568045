"""The object a registered model version holds: a fitted scikit-learn Pipeline
that answers, per task, in the columns `answer` names:

    binary      label, probability                   (P(positive) in [0, 1])
    multiclass  label, probability_<label> per class (each in [0, 1], summing to 1)
    regression  prediction                           (in the target's units)

`answer` is the one mapping from the estimator's output to those columns: the
served model (MLflow pyfunc calls `predict`), batch scoring and the MLflow
signature all go through it.

This module travels with every logged model (MLflow `code_paths`), so a
scoring server loads it without the project installed: keep it free of
imports beyond scikit-learn's stack.
"""

from __future__ import annotations

import contextlib
import functools
import re

LABEL = "label"
PROBABILITY = "probability"  # of the contract's positive label, in [0, 1]
PROBABILITY_PREFIX = "probability_"  # multiclass: one column per label
PREDICTION = "prediction"  # regression: the predicted number
# Below this many rows, OpenMP's worker threads cost more than they save: on
# 2 busy cores a 525-row fit took 0.9-4 s with them and 0.1 s without.
PARALLEL_FROM_ROWS = 20_000


def probability_columns(labels) -> list[str]:
    """`probability_<label>` for each label, safe as a column, a JSON key and an
    MLflow signature name whatever the label holds: runs of other characters than
    ASCII letters, digits and "_" become one "_", and a name two labels would
    share gets a number ("a b", "a-b" -> probability_a_b, probability_a_b_2)."""
    names: list[str] = []
    for label in labels:
        base = PROBABILITY_PREFIX + (re.sub(r"[^0-9A-Za-z_]+", "_", str(label)).strip("_") or "_")
        name, n = base, 1
        while name in names:
            n += 1
            name = f"{base}_{n}"
        names.append(name)
    return names


def answer(output, classes=None, positive=None, labels=None):
    """The answer's columns from the estimator's output, one row per input row.

    output: regression (`classes` None): the predicted numbers, shape (n,);
        classification: the class probabilities, shape (n, len(classes)), in the
        order of `classes` (the estimator's classes_).
    positive: binary: the positive label -> DataFrame[label, probability];
        None -> multiclass: DataFrame[label, probability_<label>...], the columns
        in the order of `labels` (the contract's; default `classes`).
    """
    import pandas as pd

    if classes is None:
        return pd.DataFrame({PREDICTION: output})
    classes = list(classes)
    predicted = [classes[i] for i in output.argmax(axis=1)]
    if positive is not None:
        return pd.DataFrame({LABEL: predicted, PROBABILITY: output[:, classes.index(positive)]})
    labels = classes if labels is None else list(labels)
    columns = probability_columns(labels)
    each = {c: output[:, classes.index(x)] for c, x in zip(columns, labels, strict=True)}
    return pd.DataFrame({LABEL: predicted, **each})


def output_columns(task: str, labels=()) -> list[str]:
    """The answer's column names for a task (the MLflow signature's outputs)."""
    if task == "regression":
        return [PREDICTION]
    if task == "binary":
        return [LABEL, PROBABILITY]
    return [LABEL, *probability_columns(labels)]


def check_scores(predicted) -> list[float]:
    """One number per answered row, what a deploy check compares: P(positive),
    the highest class probability, or the prediction."""
    if PROBABILITY in predicted.columns:
        column = predicted[PROBABILITY]
    elif PREDICTION in predicted.columns:
        column = predicted[PREDICTION]
    else:
        column = predicted[[c for c in predicted.columns if c.startswith(PROBABILITY_PREFIX)]]
        column = column.max(axis=1)
    return [float(v) for v in column]


class LabelledClassifier:
    """`predict(rows)` -> the answer (see `answer`), one row per input row.

    pipeline: a fitted scikit-learn classifier Pipeline taking raw rows (the
        contract's feature columns, text categories and missing values included).
    positive: binary: the contract's positive label; `probability` is
        P(label == positive). None: multiclass, one probability per label.
    labels: multiclass: the contract's labels, the order of the answer's columns.
    """

    def __init__(self, pipeline, positive, labels=None):
        self.pipeline = pipeline
        self.positive = positive
        self.labels = None if labels is None else list(labels)

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

    def check_scores(self, rows) -> list[float]:
        return check_scores(self.predict(rows))

    def predict(self, rows):
        # Binary models saved before multiclass existed have no `labels`.
        labels = getattr(self, "labels", None)
        return answer(self.predict_proba(rows), self.pipeline.classes_, self.positive, labels)


class NumericRegressor:
    """`predict(rows)` -> DataFrame[prediction], one row per input row.

    pipeline: a fitted scikit-learn regressor Pipeline taking raw rows, as
        LabelledClassifier's does.
    """

    def __init__(self, pipeline):
        self.pipeline = pipeline

    def fit(self, rows, values):
        with threads_for(rows):
            self.pipeline.fit(missing_as_nan(rows), values)
        return self

    def predict_values(self, rows):
        """The predicted numbers, shape (n_rows,)."""
        with threads_for(rows):
            return self.pipeline.predict(missing_as_nan(rows))

    def check_scores(self, rows) -> list[float]:
        return check_scores(self.predict(rows))

    def predict(self, rows):
        return answer(self.predict_values(rows))


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
