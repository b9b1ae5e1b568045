"""Data drift: does the table being scored still look like the training data?

Evidently's `Report` with the metrics of its `DataDriftPreset` compares each
feature of the scored rows with the reference sample logged at training (its
own test per column, chosen by type and size) and gives the share of drifted
columns. `DRIFT_LIMIT` turns that share into `drift_detected`. The model's
answers (label and probabilities, or the prediction) are compared the same way,
in a report of their own: they say whether what the model does has moved,
whatever the features did. No Flyte, no MLflow.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from workflows.domain.contract import Contract

DEFAULT_DRIFT_LIMIT = 0.5
# Rows of training data logged with each model version, and rows of a scored
# table the report looks at: enough for the per-column tests, bounded in size
# whatever the table's size (a uniform sample).
SAMPLE_ROWS = 5_000
# Fewer scored rows than this hold too little of each distribution for its test:
# five copies of one customer "drift" in nearly every column. On so few rows the
# report is still made, but drift is not detected (nothing retrains on it), and
# `few_rows_caveat` says why.
FEW_ROWS = 100


def check_drift_limit(limit: float) -> float:
    if not 0.0 <= limit <= 1.0:  # `not` also refuses NaN
        raise ValueError(f"drift_limit must be in [0, 1], got {limit}")
    return limit


def few_rows_caveat(rows: int) -> str:
    """A note for a report on fewer than FEW_ROWS scored rows; "" for more."""
    if rows >= FEW_ROWS:
        return ""
    return (
        f"drift: only {rows} rows were scored: too few to show how a column is "
        f"distributed, so drift_detected stays false ({FEW_ROWS} rows or more are needed)"
    )


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    method: str
    score: float
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DriftResult:
    share: float  # of the contract's features that drifted
    limit: float
    columns: list[ColumnDrift] = field(default_factory=list)
    html: str = ""
    skipped: list[str] = field(default_factory=list)  # features with no value to compare
    predictions: list[ColumnDrift] = field(default_factory=list)  # the answer's columns
    rows: int | None = None  # scored rows compared; None: not known

    @property
    def predictions_drifted(self) -> list[str]:
        return [c.column for c in self.predictions if c.drifted]

    @property
    def detected(self) -> bool:
        """The share is over the limit, on enough rows to show it (FEW_ROWS)."""
        return self.share > self.limit and (self.rows is None or self.rows >= FEW_ROWS)

    @property
    def drifted(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]


class Sample:
    """A uniform sample of at most `size` rows of a table read in chunks
    (each row keeps a random key; the `size` smallest keys are the sample)."""

    def __init__(self, size: int, seed: int = 0):
        import numpy as np

        self.size = size
        self._random = np.random.default_rng(seed)
        self._rows: pd.DataFrame | None = None
        self._keys: np.ndarray | None = None

    def add(self, chunk: pd.DataFrame) -> None:
        import numpy as np
        import pandas as pd

        keys = self._random.random(len(chunk))
        if self._rows is None:
            rows, all_keys = chunk, keys
        else:
            rows = pd.concat([self._rows, chunk], ignore_index=True)
            all_keys = np.concatenate([self._keys, keys])
        keep = np.argsort(all_keys, kind="stable")[: self.size]
        self._rows = rows.iloc[keep].reset_index(drop=True)
        self._keys = all_keys[keep]

    @property
    def rows(self) -> pd.DataFrame:
        if self._rows is None:
            raise ValueError("the sample is empty: no rows were added")
        return self._rows


def report(
    reference: pd.DataFrame, current: pd.DataFrame, contract: Contract, limit: float
) -> DriftResult:
    """Evidently's data drift report of the contract's features, and of the
    model's answer columns when both samples hold them (a reference logged
    before answers were kept has none: then only the features are compared)."""
    from workflows.domain.model import LABEL, output_columns

    check_drift_limit(limit)
    numeric = contract.of_kind("numeric")
    coded = contract.of_kind("categorical") + contract.of_kind("boolean")
    share, columns, html, skipped = _drift(
        reference, current, contract.feature_names, numeric, coded, limit
    )
    answers = [
        c
        for c in output_columns(contract.task, contract.labels)
        if c in reference.columns and c in current.columns
    ]
    predictions = []
    if answers:
        _, predictions, more, _ = _drift(
            reference, current, answers, [c for c in answers if c != LABEL],
            [c for c in answers if c == LABEL], limit,
        )  # fmt: skip
        html += more
    return DriftResult(share, limit, columns, html, skipped, predictions, len(current))


def _drift(
    reference, current, names: list[str], numeric: list[str], coded: list[str], limit: float
):
    """(share drifted, each column's test, the HTML, the columns skipped as empty on
    a side) of the columns `names`."""
    _pandas3_compatible()
    from evidently import DataDefinition, Dataset, Report

    # A column empty on either side has no distribution to compare: Evidently
    # fails on it. It is skipped and named; the share is over the others.
    skipped = [n for n in names if not (current[n].notna().any() and reference[n].notna().any())]
    names = [n for n in names if n not in skipped]
    if not names:
        return 0.0, [], "", skipped
    definition = DataDefinition(
        numerical_columns=[n for n in numeric if n in names],
        categorical_columns=[n for n in coded if n in names],
    )

    def dataset(frame: pd.DataFrame):
        rows = frame[names].reset_index(drop=True)
        return Dataset.from_pandas(rows, data_definition=definition)

    # Evidently tests numbers and codes; other columns (dates) stay out, as the
    # preset leaves out the columns its data definition does not type.
    typed = [n for n in names if n in definition.numerical_columns + definition.categorical_columns]
    with warnings.catch_warnings():
        # numpy's "invalid value encountered in divide" where a sample holds one
        # value (a few scored rows): each test's result already says what it means.
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = Report(drift_metrics(typed, limit)).run(
            current_data=dataset(current), reference_data=dataset(reference)
        )
        share, columns = _read(snapshot.dict()["metrics"])
        html = snapshot.get_html_str(as_iframe=False)
    return share, columns, html, skipped


def drift_metrics(names: list[str], limit: float) -> list:
    """The metrics Evidently's DataDriftPreset computes (the share of drifted
    columns, each column's own test with its default method and threshold),
    without the preset's summary table: that table runs every test again in
    Evidently's legacy engine and draws its figures, 3.3 of the report's 3.9 s
    on 30 columns of 1,000 rows. Each column still gets its own plot."""
    from evidently.metrics import DriftedColumnsCount, ValueDrift

    return [
        DriftedColumnsCount(columns=names, drift_share=limit),
        *(ValueDrift(column=name) for name in names),
    ]


def _read(metrics: list[dict]) -> tuple[float, list[ColumnDrift]]:
    """The share of drifted columns and each column's test, from the snapshot."""
    import ast

    share = math.nan
    columns = []
    for metric in metrics:
        config = metric["config"]
        config = config if isinstance(config, dict) else ast.literal_eval(config)
        kind = config.get("type", "")
        if kind.endswith("DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif kind.endswith("ValueDrift"):
            method, score, threshold = config["method"], float(metric["value"]), config["threshold"]
            # A p-value drifts below its threshold, a distance above it.
            drifted = score < threshold if "p_value" in method else score >= threshold
            columns.append(ColumnDrift(config["column"], method, score, threshold, drifted))
    if math.isnan(share):
        raise ValueError("Evidently's report holds no DriftedColumnsCount metric")
    return share, columns


def import_evidently() -> None:
    """Import what `report` needs from Evidently (~3 s on a 2-core machine), ahead
    of the report: a worker process calls it when it starts."""
    _pandas3_compatible()
    import evidently.metrics  # noqa: F401  (also imports the Report and Dataset)


def _pandas3_compatible() -> None:
    """Evidently 0.7.23 imports `infer_dtype_from_object`, which pandas 3 removed,
    in a legacy test module that DataDriftPreset never calls: give the import the
    name back (pandas 2's meaning) so the package loads."""
    import pandas as pd
    import pandas.core.dtypes.common as common

    if not hasattr(common, "infer_dtype_from_object"):
        common.infer_dtype_from_object = lambda dtype: pd.api.types.pandas_dtype(dtype).type
